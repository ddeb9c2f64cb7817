/*
 * certs/keys.c: loading, generating and identifying Ed25519 keys, signatures, SHA-256 and
 * strict base64. The development PKI (certs/devpki.c) has its own tests: test_devpki.c.
 *
 * Fixtures (tests/fixtures/certs/, test keys only): ed25519.key/.pub and its id as
 * `openssl pkey -pubout -outform DER | sha256sum` printed it (ed25519.keyid), other-ed25519.*,
 * rsa.*, ec.*, ed448.key, an encrypted PKCS#8 key and a garbage PEM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "keys.h"
#include "tmpdir.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static char *fixture(const char *name)
{
	const char *base = getenv("SLUICE_FIXTURES");
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/certs/%s", base != NULL ? base : "tests/fixtures", name);
	return buf;
}

static int setup_tmp(void **state)
{
	char *d = strdup("/tmp/sluice-test-keys-XXXXXX");
	if (d == NULL || mkdtemp(d) == NULL)
		return -1;
	*state = d;
	return 0;
}

static int teardown_tmp(void **state)
{
	char *d = *state;
	(void)tmpdir_remove(d);
	free(d);
	return 0;
}

static char *in_dir(const char *dir, const char *name)
{
	return path_join(dir, name);
}

static char *slurp(const char *path, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0;
	struct sluice_error err;
	if (file_read_bounded(path, 1 << 20, SLUICE_ERR_IO, &p, &n, &err) != SLUICE_OK)
		return NULL;
	if (len != NULL)
		*len = n;
	return (char *)p;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

/* Runs a shell command and returns its first output line (without newline), or NULL. */
static char *run_capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run_capture(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	assert_non_null(cmd);
	FILE *p = popen(cmd, "r");
	free(cmd);
	char buf[4096];
	if (p == NULL)
		return NULL;
	char *line = fgets(buf, sizeof(buf), p);
	int st = pclose(p);
	if (line == NULL || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* Runs a shell command with its output discarded; its exit status. */
static int run_quiet(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_quiet(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	assert_non_null(cmd);
	char *full = NULL;
	assert_true(asprintf(&full, "%s >/dev/null 2>&1", cmd) > 0);
	int st = system(full);
	free(cmd);
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void expect_load_fail(bool private_key, const char *path, enum sluice_rc rc,
                             const char *rule, const char *msg_part)
{
	struct sluice_error err;
	EVP_PKEY *k = (EVP_PKEY *)1;
	enum sluice_rc got = private_key ? key_load_private(path, &k, &err)
	                                 : key_load_public(path, &k, &err);
	assert_int_equal(got, rc);
	assert_null(k);
	assert_string_equal(err.rule, rule);
	assert_string_equal(err.file, path);
	if (strstr(err.message, msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, msg_part);
}

/* ---- loading ----------------------------------------------------------------------------- */

static void test_load_private_ok(void **state)
{
	(void)state;
	struct sluice_error err;
	EVP_PKEY *k = NULL;
	assert_int_equal(key_load_private(fixture("ed25519.key"), &k, &err), SLUICE_OK);
	assert_non_null(k);
	assert_true(EVP_PKEY_is_a(k, "ED25519"));
	EVP_PKEY_free(k);
}

static void test_load_public_ok(void **state)
{
	(void)state;
	struct sluice_error err;
	EVP_PKEY *k = NULL;
	assert_int_equal(key_load_public(fixture("ed25519.pub"), &k, &err), SLUICE_OK);
	assert_true(EVP_PKEY_is_a(k, "ED25519"));
	EVP_PKEY_free(k);
}

static void test_key_id_matches_fixture(void **state)
{
	(void)state;
	struct sluice_error err;
	EVP_PKEY *priv = NULL, *pub = NULL;
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN];
	char *want = slurp(fixture("ed25519.keyid"), NULL);

	assert_non_null(want);
	want[strcspn(want, "\n")] = '\0';
	assert_int_equal(key_load_private(fixture("ed25519.key"), &priv, &err), SLUICE_OK);
	assert_int_equal(key_load_public(fixture("ed25519.pub"), &pub, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(priv, a, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(pub, b, &err), SLUICE_OK);
	assert_string_equal(a, want); /* the private key's id is its public key's id */
	assert_string_equal(b, want);
	assert_int_equal(strlen(a), 64);
	free(want);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
}

static void test_key_id_matches_openssl_cli(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	EVP_PKEY *k = NULL;
	char id[SHA256_HEX_LEN];
	char *priv = in_dir(dir, "k.pem"), *pub = in_dir(dir, "k.pub");

	assert_int_equal(key_generate(priv, pub, &err), SLUICE_OK);
	char *want =
		run_capture("openssl pkey -in '%s' -pubout -outform DER | sha256sum | cut -d' ' -f1",
		            priv);
	assert_non_null(want);
	assert_int_equal(key_load_private(priv, &k, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(k, id, &err), SLUICE_OK);
	assert_string_equal(id, want);
	free(want);
	EVP_PKEY_free(k);
	free(priv);
	free(pub);
}

static void test_load_rsa_refused(void **state)
{
	(void)state;
	expect_load_fail(true, fixture("rsa.key"), SLUICE_ERR_POLICY, "key.type",
	                 "not an Ed25519 key (found RSA)");
	expect_load_fail(false, fixture("rsa.pub"), SLUICE_ERR_POLICY, "key.type",
	                 "not an Ed25519 key (found RSA)");
}

static void test_load_ec_and_ed448_refused(void **state)
{
	(void)state;
	expect_load_fail(true, fixture("ec.key"), SLUICE_ERR_POLICY, "key.type",
	                 "not an Ed25519 key (found EC)");
	expect_load_fail(false, fixture("ec.pub"), SLUICE_ERR_POLICY, "key.type",
	                 "not an Ed25519 key (found EC)");
	expect_load_fail(true, fixture("ed448.key"), SLUICE_ERR_POLICY, "key.type",
	                 "not an Ed25519 key (found ED448)");
}

static void test_load_garbage_pem(void **state)
{
	(void)state;
	expect_load_fail(true, fixture("garbage.pem"), SLUICE_ERR_POLICY, "key.pem",
	                 "not a PEM private key");
	expect_load_fail(false, fixture("garbage.pem"), SLUICE_ERR_POLICY, "key.pem",
	                 "not a PEM public key");
}

static void test_load_missing_file(void **state)
{
	const char *dir = *state;
	char *p = in_dir(dir, "nope.key");
	expect_load_fail(true, p, SLUICE_ERR_IO, "key.open", "No such file");
	expect_load_fail(false, p, SLUICE_ERR_IO, "key.open", "No such file");
	free(p);
}

static void test_load_not_a_regular_file(void **state)
{
	const char *dir = *state;
	expect_load_fail(true, dir, SLUICE_ERR_IO, "key.open", "not a regular file");
}

static void test_load_encrypted_refused(void **state)
{
	(void)state;
	expect_load_fail(true, fixture("encrypted.key"), SLUICE_ERR_POLICY, "key.pem",
	                 "encrypted");
}

static void test_load_wrong_kind(void **state)
{
	(void)state;
	expect_load_fail(true, fixture("ed25519.pub"), SLUICE_ERR_POLICY, "key.pem",
	                 "this is a public key");
	expect_load_fail(false, fixture("ed25519.key"), SLUICE_ERR_POLICY, "key.pem",
	                 "this is a private key");
}

static void test_load_empty_and_huge(void **state)
{
	const char *dir = *state;
	char *empty = in_dir(dir, "empty.key"), *huge = in_dir(dir, "huge.key");
	char *big = malloc(70000);

	spit(empty, "", 0);
	expect_load_fail(true, empty, SLUICE_ERR_POLICY, "key.pem", "not a PEM private key");
	expect_load_fail(false, empty, SLUICE_ERR_POLICY, "key.pem", "not a PEM public key");
	memset(big, 'A', 70000);
	spit(huge, big, 70000);
	expect_load_fail(true, huge, SLUICE_ERR_POLICY, "key.pem", "larger than");
	free(big);
	free(empty);
	free(huge);
}

/* ---- generating -------------------------------------------------------------------------- */

static void test_generate_modes_and_pair(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	EVP_PKEY *priv = NULL, *pub = NULL;
	char *pp = in_dir(dir, "g.key"), *pu = in_dir(dir, "g.pub");
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN];
	uint8_t sig[64];
	mode_t old = umask(0);

	assert_int_equal(key_generate(pp, pu, &err), SLUICE_OK);
	umask(old);
	assert_int_equal(mode_of(pp), 0600);
	assert_int_equal(mode_of(pu), 0644);
	char *text = slurp(pp, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "-----BEGIN PRIVATE KEY-----")); /* PKCS#8 */
	free(text);
	text = slurp(pu, NULL);
	assert_non_null(strstr(text, "-----BEGIN PUBLIC KEY-----"));
	free(text);
	assert_int_equal(key_load_private(pp, &priv, &err), SLUICE_OK);
	assert_int_equal(key_load_public(pu, &pub, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(priv, a, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(pub, b, &err), SLUICE_OK);
	assert_string_equal(a, b);
	assert_int_equal(signature_sign(priv, "hello", 5, sig, &err), SLUICE_OK);
	assert_true(signature_verify(pub, "hello", 5, sig, 64));

	/* OpenSSL's own tool reads what we wrote. */
	assert_int_equal(run_quiet("openssl pkey -in '%s' -noout", pp), 0);
	assert_int_equal(run_quiet("openssl pkey -pubin -in '%s' -noout", pu), 0);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	free(pp);
	free(pu);
}

static void test_generate_modes_with_strict_umask(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	char *pp = in_dir(dir, "u.key"), *pu = in_dir(dir, "u.pub");
	mode_t old = umask(077);
	assert_int_equal(key_generate(pp, pu, &err), SLUICE_OK);
	umask(old);
	assert_int_equal(mode_of(pp), 0600);
	assert_int_equal(mode_of(pu), 0644);
	free(pp);
	free(pu);
}

static void test_generate_never_overwrites(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	char *pp = in_dir(dir, "o.key"), *pu = in_dir(dir, "o.pub");
	char *pp2 = in_dir(dir, "o2.key");
	struct stat st;

	spit(pp, "precious", 8);
	assert_int_equal(key_generate(pp, pu, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "key.exists");
	assert_string_equal(err.file, pp);
	char *text = slurp(pp, NULL);
	assert_string_equal(text, "precious");
	free(text);
	assert_int_not_equal(stat(pu, &st), 0); /* nothing else was written */

	/* The public file exists: the private key is not created either. */
	spit(pu, "public", 6);
	assert_int_equal(key_generate(pp2, pu, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "key.exists");
	assert_int_not_equal(stat(pp2, &st), 0);
	text = slurp(pu, NULL);
	assert_string_equal(text, "public");
	free(text);
	free(pp);
	free(pu);
	free(pp2);
}

static void test_generate_unwritable_folder(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	char *pp = in_dir(dir, "no/such/dir/k.key"), *pu = in_dir(dir, "no/such/dir/k.pub");
	assert_int_equal(key_generate(pp, pu, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "io.write");
	free(pp);
	free(pu);
}

static void test_write_refuses_other_types(void **state)
{
	const char *dir = *state;
	struct sluice_error err;
	EVP_PKEY *rsa = NULL;
	char *p = in_dir(dir, "rsa-out.key");
	BIO *bio = BIO_new_file(fixture("rsa.key"), "r");
	assert_non_null(bio);
	rsa = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(rsa);
	assert_int_equal(key_write_private(rsa, p, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "key.type");
	assert_int_equal(key_write_public(rsa, p, &err), SLUICE_ERR_POLICY);
	uint8_t sig[64];
	assert_int_equal(signature_sign(rsa, "x", 1, sig, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "key.type");
	assert_false(signature_verify(rsa, "x", 1, sig, 64));
	EVP_PKEY_free(rsa);
	free(p);
}

/* ---- signatures -------------------------------------------------------------------------- */

static void test_sign_verify_and_tamper(void **state)
{
	(void)state;
	struct sluice_error err;
	EVP_PKEY *priv = NULL, *pub = NULL, *other = NULL;
	uint8_t sig[64], bad[64];
	const char msg[] = "a transfer record";

	assert_int_equal(key_load_private(fixture("ed25519.key"), &priv, &err), SLUICE_OK);
	assert_int_equal(key_load_public(fixture("ed25519.pub"), &pub, &err), SLUICE_OK);
	assert_int_equal(key_load_public(fixture("other-ed25519.pub"), &other, &err), SLUICE_OK);
	assert_int_equal(signature_sign(priv, msg, strlen(msg), sig, &err), SLUICE_OK);
	assert_true(signature_verify(pub, msg, strlen(msg), sig, 64));
	assert_true(signature_verify(priv, msg, strlen(msg), sig, 64)); /* private works too */
	assert_false(signature_verify(other, msg, strlen(msg), sig, 64));
	assert_false(signature_verify(pub, "a transfer recorD", strlen(msg), sig, 64));
	assert_false(signature_verify(pub, msg, strlen(msg), sig, 63));
	assert_false(signature_verify(pub, msg, strlen(msg), NULL, 64));
	assert_false(signature_verify(NULL, msg, strlen(msg), sig, 64));
	for (size_t i = 0; i < 64; i += 7) {
		memcpy(bad, sig, 64);
		bad[i] ^= 0x01;
		assert_false(signature_verify(pub, msg, strlen(msg), bad, 64));
	}
	/* Ed25519 is deterministic. */
	assert_int_equal(signature_sign(priv, msg, strlen(msg), bad, &err), SLUICE_OK);
	assert_memory_equal(sig, bad, 64);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
}

static void hex_decode(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i] != '\0'; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* RFC 8032 section 7.1, test 1 (empty message). */
static void test_sign_rfc8032_vector(void **state)
{
	(void)state;
	struct sluice_error err;
	uint8_t sk[32], pk[32], want[64], sig[64];
	hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", sk);
	hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk);
	hex_decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a3"
	           "3bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	           want);
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	assert_non_null(priv);
	assert_non_null(pub);
	assert_int_equal(signature_sign(priv, "", 0, sig, &err), SLUICE_OK);
	assert_memory_equal(sig, want, 64);
	assert_true(signature_verify(pub, "", 0, want, 64));
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
}

/* ---- sha256 and base64 ------------------------------------------------------------------- */

static void test_sha256(void **state)
{
	(void)state;
	char h[SHA256_HEX_LEN];
	uint8_t d[32];
	sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex(NULL, 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_bytes("abc", 3, d);
	assert_int_equal(d[0], 0xba);
	assert_int_equal(d[31], 0xad);
}

static void test_base64_vectors(void **state)
{
	(void)state;
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                  "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *e = base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
		assert_string_equal(e, enc[i]);
		uint8_t *d = NULL;
		size_t n = 99;
		assert_int_equal(base64_decode(e, &d, &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		free(d);
		free(e);
	}
}

static void test_base64_round_trip(void **state)
{
	(void)state;
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(buf); n++) {
		char *e = base64_encode(buf, n);
		uint8_t *d = NULL;
		size_t dn = 0;
		assert_int_equal(strlen(e) % 4, 0);
		assert_int_equal(base64_decode(e, &d, &dn), 0);
		assert_int_equal(dn, n);
		assert_memory_equal(d, buf, n);
		free(d);
		free(e);
	}
}

static void test_base64_strict_refusals(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg=",       /* length not a multiple of 4 */
		"Zg",        /* missing padding */
		"Z===",      /* too much padding */
		"====",
		"Zm9v\n",    /* line break */
		"Zm 9v",     /* space */
		"Zm9v====",  /* padding-only group */
		"Zh==",      /* unused bits not zero */
		"Zm9=",      /* unused bits not zero */
		"Zg==Zg==",  /* padding in the middle */
		"Zm-v",      /* URL-safe alphabet */
		"Zm_v",
		"Zm9\xc3\xa9", /* non-ASCII */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = (uint8_t *)1;
		size_t n = 99;
		if (base64_decode(bad[i], &d, &n) != -1)
			fail_msg("accepted bad base64 #%zu", i);
		assert_null(d);
		assert_int_equal(n, 0);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_private_ok),
		T(test_load_public_ok),
		T(test_key_id_matches_fixture),
		T(test_key_id_matches_openssl_cli),
		T(test_load_rsa_refused),
		T(test_load_ec_and_ed448_refused),
		T(test_load_garbage_pem),
		T(test_load_missing_file),
		T(test_load_not_a_regular_file),
		T(test_load_encrypted_refused),
		T(test_load_wrong_kind),
		T(test_load_empty_and_huge),
		T(test_generate_modes_and_pair),
		T(test_generate_modes_with_strict_umask),
		T(test_generate_never_overwrites),
		T(test_generate_unwritable_folder),
		T(test_write_refuses_other_types),
		T(test_sign_verify_and_tamper),
		T(test_sign_rfc8032_vector),
		T(test_sha256),
		T(test_base64_vectors),
		T(test_base64_round_trip),
		T(test_base64_strict_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
