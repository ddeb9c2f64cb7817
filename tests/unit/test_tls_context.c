/*
 * gateway/tls_context.c: the listener's TLS files read into memory, and the server context made
 * from them. Every case uses a development PKI (certs/devpki.h) made once in a temporary
 * folder; the broken files are made beside it. A refusal must be SLUICE_ERR_POLICY with the
 * rule "config.tls" and name the file at fault, because that is all the administrator sees of
 * `sluiced -t` or a refused SIGHUP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "devpki.h"
#include "fileio.h"
#include "tls_context.h"
#include "tmpdir.h"

static char tmp[64];
static char *pki;

static int setup_pki(void **state)
{
	static const char *const names[] = {"intel"};
	struct sluice_error err;
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-test-tls-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	pki = path_join(tmp, "pki");
	if (devpki_init(pki, names, 1, &err) != SLUICE_OK) {
		fprintf(stderr, "devpki_init: %s [%s]\n", err.message, err.rule);
		return -1;
	}
	return 0;
}

static int teardown_pki(void **state)
{
	(void)state;
	free(pki);
	return tmpdir_remove(tmp) == 0 ? 0 : -1;
}

/* A `tls:` section as config.c would make it, with files of the PKI folder (crl may be NULL). */
struct tls_files {
	char certificate[512], key[512], client_ca[512], crl[512];
	struct sluiced_tls t;
};

static void configure(struct tls_files *f, const char *certificate, const char *key,
                      const char *client_ca, const char *crl)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->certificate, sizeof(f->certificate), "%s/%s", pki, certificate);
	snprintf(f->key, sizeof(f->key), "%s/%s", pki, key);
	snprintf(f->client_ca, sizeof(f->client_ca), "%s/%s", pki, client_ca);
	f->t.certificate = f->certificate;
	f->t.key = f->key;
	f->t.client_ca = f->client_ca;
	if (crl != NULL) {
		snprintf(f->crl, sizeof(f->crl), "%s/%s", pki, crl);
		f->t.crl = f->crl;
	}
}

/* The development PKI's server files, with `which` ("certificate", "key", "client_ca", "crl")
 * replaced by PKI/`name` (NULL: no CRL). */
static void configure_but(struct tls_files *f, const char *which, const char *name)
{
	configure(f, strcmp(which, "certificate") == 0 ? name : "gateway-server.pem",
	          strcmp(which, "key") == 0 ? name : "gateway-server.key",
	          strcmp(which, "client_ca") == 0 ? name : "ca.pem",
	          strcmp(which, "crl") == 0 ? name : "ca.crl");
}

static void write_pki_file(const char *name, const void *data, size_t len)
{
	struct sluice_error err;
	char *path = path_join(pki, name);
	assert_int_equal(file_write_atomic(path, data, len, 0600, &err), SLUICE_OK);
	free(path);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found in \"%s\"", needle, hay);
}

static void assert_zeroed(const struct tls_material *m)
{
	static const struct tls_material zero;
	assert_memory_equal(m, &zero, sizeof(zero));
}

static int verify_cb(int ok, X509_STORE_CTX *store)
{
	(void)store;
	return ok;
}

/* With `which` replaced by PKI/`name`, the material loads but the context is refused, with
 * `err` naming that file and saying `what`. */
static void context_refused(const char *which, const char *name, const char *what)
{
	struct tls_files f;
	struct tls_material m;
	struct sluice_error err;
	SSL_CTX *ctx = (SSL_CTX *)&m; /* must be overwritten */
	int stale = -1;
	char *path = path_join(pki, name);
	configure_but(&f, which, name);
	assert_int_equal(tls_material_load(&f.t, &m, &err), SLUICE_OK);
	assert_int_equal(tls_server_context_new(&m, verify_cb, &ctx, &stale, &err),
	                 SLUICE_ERR_POLICY);
	assert_null(ctx);
	assert_string_equal(err.rule, "config.tls");
	assert_contains(err.message, path);
	assert_contains(err.message, what);
	tls_material_free(&m);
	free(path);
}

/* With `which` replaced by PKI/`name`, the material is refused with `err` naming that file,
 * and nothing is kept. */
static void material_refused(const char *which, const char *name)
{
	struct tls_files f;
	struct tls_material m;
	struct sluice_error err;
	char *path = path_join(pki, name);
	configure_but(&f, which, name);
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(tls_material_load(&f.t, &m, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "config.tls");
	assert_contains(err.message, path);
	assert_zeroed(&m);
	free(path);
}

/* The certificate PKI/`name`. */
static X509 *pki_cert(const char *name)
{
	char *path = path_join(pki, name);
	BIO *b = BIO_new_file(path, "r");
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(path);
	assert_non_null(x);
	return x;
}

/* A CRL of the development CA whose window is [now + from_days, now + to_days], or without a
 * nextUpdate when to_days is 0, written as PKI/name. */
static void write_crl(const char *name, long from_days, long to_days)
{
	char *key_path = path_join(pki, "ca.key");
	X509 *ca = pki_cert("ca.pem");
	BIO *b = BIO_new_file(key_path, "r");
	EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	assert_non_null(key);
	X509_CRL *crl = X509_CRL_new();
	assert_non_null(crl);
	ASN1_TIME *last = ASN1_TIME_adj(NULL, time(NULL), (int)from_days, 0);
	ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), (int)to_days, 0);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, last), 1);
	if (to_days != 0)
		assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
	assert_true(X509_CRL_sign(crl, key, NULL) > 0); /* Ed25519: no digest */
	BIO *mem = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_CRL(mem, crl), 1);
	char *pem;
	long len = BIO_get_mem_data(mem, &pem);
	write_pki_file(name, pem, (size_t)len);
	BIO_free(mem);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(ca);
	free(key_path);
}

static bool crl_checked(SSL_CTX *ctx)
{
	X509_VERIFY_PARAM *p = X509_STORE_get0_param(SSL_CTX_get_cert_store(ctx));
	return (X509_VERIFY_PARAM_get_flags(p) & X509_V_FLAG_CRL_CHECK) != 0;
}

/* Loads `f` into *m and builds a context from it (the caller frees both), which must succeed
 * with *crl_stale == `stale`. */
static SSL_CTX *context_built(const struct tls_files *f, struct tls_material *m,
                              int (*cb)(int, X509_STORE_CTX *), int stale)
{
	struct sluice_error err;
	SSL_CTX *ctx = NULL;
	int got_stale = -1;
	if (tls_material_load(&f->t, m, &err) != SLUICE_OK)
		fail_msg("tls_material_load: %s [%s]", err.message, err.rule);
	if (tls_server_context_new(m, cb, &ctx, &got_stale, &err) != SLUICE_OK)
		fail_msg("tls_server_context_new: %s [%s]", err.message, err.rule);
	assert_non_null(ctx);
	assert_int_equal(got_stale, stale);
	return ctx;
}

/* ---- accepted ----------------------------------------------------------------------------- */

static void test_loads_and_builds(void **state)
{
	struct tls_files f;
	struct tls_material m;
	struct sluice_error err;
	(void)state;
	configure(&f, "gateway-server.pem", "gateway-server.key", "ca.pem", "ca.crl");
	SSL_CTX *ctx = context_built(&f, &m, verify_cb, 0);
	assert_string_equal(m.certificate.path, f.certificate);
	assert_string_equal(m.key.path, f.key);
	assert_string_equal(m.client_ca.path, f.client_ca);
	assert_string_equal(m.crl.path, f.crl);

	/* the bytes are the files' bytes, not a parsed copy */
	uint8_t *key = NULL;
	size_t keylen = 0;
	assert_int_equal(file_read_bounded(f.key, 1 << 20, SLUICE_ERR_IO, &key, &keylen, &err),
	                 SLUICE_OK);
	assert_int_equal(m.key.len, keylen);
	assert_memory_equal(m.key.pem, key, keylen);
	free(key);

	assert_int_equal(SSL_CTX_get_verify_mode(ctx),
	                 SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	assert_true(SSL_CTX_get_verify_callback(ctx) == verify_cb);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_true(crl_checked(ctx));
	assert_int_equal(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx)), 1);
	SSL_CTX_free(ctx);
	tls_material_free(&m);
}

static void test_no_crl_configured(void **state)
{
	struct tls_files f;
	struct tls_material m;
	(void)state;
	configure(&f, "gateway-server.pem", "gateway-server.key", "ca.pem", NULL);
	SSL_CTX *ctx = context_built(&f, &m, NULL, 0);
	assert_null(m.crl.pem);
	assert_null(m.crl.path);
	assert_false(crl_checked(ctx));
	SSL_CTX_free(ctx);
	tls_material_free(&m);
}

/* A CRL past its next update (or without one) still builds: the caller logs it, and OpenSSL
 * refuses every client of that CA, which is the safe side. */
static void test_stale_crl_is_reported(void **state)
{
	struct tls_files f;
	struct tls_material m;
	static const char *const crls[] = {"stale.crl", "no-next-update.crl"};
	(void)state;
	write_crl("stale.crl", -2, -1);
	write_crl("no-next-update.crl", -1, 0);
	for (size_t i = 0; i < 2; i++) {
		configure_but(&f, "crl", crls[i]);
		SSL_CTX_free(context_built(&f, &m, NULL, 1));
		tls_material_free(&m);
	}
}

/* The verification error of PKI/`name` checked by the context's own store and parameters, as
 * the handshake checks a client's certificate. */
static int verify_error(SSL_CTX *ctx, const char *name)
{
	X509 *x = pki_cert(name);
	X509_STORE_CTX *v = X509_STORE_CTX_new();
	assert_non_null(v);
	assert_int_equal(X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(ctx), x, NULL), 1);
	assert_int_equal(X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(v), SSL_CTX_get0_param(ctx)),
	                 1);
	(void)X509_verify_cert(v);
	int e = X509_STORE_CTX_get_error(v);
	X509_STORE_CTX_free(v);
	X509_free(x);
	return e;
}

/* Issue 7 item 6, what the context itself refuses: client-initiated renegotiation (also with
 * OpenSSL's ALLOW_CLIENT_RENEGOTIATION left off), tickets and compression; every TLS 1.2 suite
 * is ECDHE with an AEAD, every suite offered AEAD; and the purpose is sslclient, so that a
 * certificate from the right CA made for TLS servers (the gateway's own) is not a client's. */
static void test_server_context_refusals(void **state)
{
	struct tls_files f;
	struct tls_material m;
	(void)state;
	configure(&f, "gateway-server.pem", "gateway-server.key", "ca.pem", "ca.crl");
	SSL_CTX *ctx = context_built(&f, &m, NULL, 0);
	uint64_t opts = SSL_CTX_get_options(ctx);
	assert_true(opts & SSL_OP_NO_RENEGOTIATION);
	assert_false(opts & SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
	assert_true(opts & SSL_OP_NO_TICKET);
	assert_true(opts & SSL_OP_NO_COMPRESSION);
	assert_int_equal(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);

	STACK_OF(SSL_CIPHER) *suites = SSL_CTX_get_ciphers(ctx);
	assert_true(sk_SSL_CIPHER_num(suites) > 0);
	for (int i = 0; i < sk_SSL_CIPHER_num(suites); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(suites, i);
		if (!SSL_CIPHER_is_aead(c))
			fail_msg("%s is not an AEAD suite", SSL_CIPHER_get_name(c));
		int kx = SSL_CIPHER_get_kx_nid(c); /* "any" is TLS 1.3's, always ephemeral */
		if (kx != NID_kx_ecdhe && kx != NID_kx_any)
			fail_msg("%s is not forward-secret (ECDHE)", SSL_CIPHER_get_name(c));
	}

	assert_int_equal(verify_error(ctx, "intel.pem"), X509_V_OK);
	assert_int_equal(verify_error(ctx, "gateway-server.pem"), X509_V_ERR_INVALID_PURPOSE);
	SSL_CTX_free(ctx);
	tls_material_free(&m);
}

static void test_material_free_twice(void **state)
{
	struct tls_files f;
	struct tls_material m;
	struct sluice_error err;
	(void)state;
	memset(&m, 0, sizeof(m));
	tls_material_free(&m); /* a zeroed struct, as after a failed load */
	configure(&f, "gateway-server.pem", "gateway-server.key", "ca.pem", "ca.crl");
	assert_int_equal(tls_material_load(&f.t, &m, &err), SLUICE_OK);
	tls_material_free(&m);
	assert_zeroed(&m); /* no pointer or length left to the freed key */
	tls_material_free(&m);
	assert_zeroed(&m);
}

/* ---- refused ------------------------------------------------------------------------------ */

/* Another Ed25519 key goes to the certificate's slot, where OpenSSL compares it at once; a key
 * of another type takes a slot of its own and is caught by the final check. Both must name
 * the key. */
static void test_key_does_not_match_certificate(void **state)
{
	(void)state;
	context_refused("key", "intel.key", "mismatch");
	context_refused("key", "gateway-client.key", "mismatch");

	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(p256);
	BIO *mem = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(mem, p256, NULL, NULL, 0, NULL, NULL), 1);
	char *pem;
	long len = BIO_get_mem_data(mem, &pem);
	write_pki_file("p256.key", pem, (size_t)len);
	BIO_free(mem);
	EVP_PKEY_free(p256);
	context_refused("key", "p256.key", "does not match the certificate");
}

static void test_missing_file(void **state)
{
	static const char *const which[] = {"certificate", "key", "client_ca", "crl"};
	(void)state;
	for (size_t i = 0; i < 4; i++)
		material_refused(which[i], "missing.pem");
}

static void test_file_too_large(void **state)
{
	(void)state;
	char *big = calloc(1, TLS_FILE_MAX_BYTES + 1);
	assert_non_null(big);
	write_pki_file("big.pem", big, TLS_FILE_MAX_BYTES + 1);
	free(big);
	material_refused("crl", "big.pem");
	material_refused("key", "big.pem");
}

static void test_not_pem(void **state)
{
	(void)state;
	context_refused("certificate", "README.txt", "certificate");
	context_refused("key", "ca.pem", "key"); /* PEM, but a certificate */
}

static void test_client_ca_without_certificate(void **state)
{
	(void)state;
	write_pki_file("empty.pem", "", 0);
	context_refused("client_ca", "ca.crl", "no CA certificate in");
	context_refused("client_ca", "empty.pem", "no CA certificate in");
}

static void test_crl_not_a_crl(void **state)
{
	(void)state;
	context_refused("crl", "ca.pem", "no CRL in");
	context_refused("crl", "README.txt", "no CRL in");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_and_builds),
		cmocka_unit_test(test_no_crl_configured),
		cmocka_unit_test(test_stale_crl_is_reported),
		cmocka_unit_test(test_server_context_refusals),
		cmocka_unit_test(test_material_free_twice),
		cmocka_unit_test(test_key_does_not_match_certificate),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_not_pem),
		cmocka_unit_test(test_client_ca_without_certificate),
		cmocka_unit_test(test_crl_not_a_crl),
	};
	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
