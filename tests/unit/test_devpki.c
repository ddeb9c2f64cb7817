/*
 * certs/devpki.c: the development PKI (`sluice certs init-dev`, `sluice certs revoke`,
 * `sluice certs refresh-crl`).
 *
 * Every certificate and CRL is cross-checked with the `openssl` command line, run with
 * posix_spawnp (no shell): purposes (`openssl verify -purpose sslserver|sslclient`), the CRL's
 * signature (`openssl crl -CAfile`), revocation (`openssl verify -crl_check`), and a real
 * mutual-TLS handshake between `openssl s_server` and `openssl s_client` on 127.0.0.1 (random
 * free port, every process bounded in time). The `sluice` CLI is exercised when SLUICE_BIN
 * names it (ctest sets it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "devpki.h"
#include "fileio.h"
#include "keys.h"
#include "tmpdir.h"

extern char **environ;

/* ---- helpers ----------------------------------------------------------------------------- */

static int setup_tmp(void **state)
{
	char *d = strdup("/tmp/sluice-test-devpki-XXXXXX");
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

/* DIR/NAME in one of a ring of static buffers (enough for one command line). */
static const char *pf(const char *dir, const char *name)
{
	static char ring[12][4096];
	static unsigned next;
	char *b = ring[next++ % 12];
	snprintf(b, sizeof(ring[0]), "%s/%s", dir, name);
	return b;
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

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("\"%s\" unexpectedly found in:\n%s", needle, hay);
}

/* Runs argv (argv[0] found in PATH, stdin from the file `in`) and waits for it. Returns its
 * exit status, or -1 when it could not run or was killed. When `out` is not NULL it receives
 * the program's stdout and stderr together (free it). */
static int run_argv_in(char *const argv[], const char *in, char **out)
{
	int fds[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fds[1], 1), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fds[1], 2), 0);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	ssize_t r;
	while ((r = read(fds[0], buf + n, cap - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
		if (cap - 1 - n == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	close(fds[0]);
	if (rc != 0) {
		free(buf);
		fail_msg("cannot run %s: %s", argv[0], strerror(rc));
	}
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_argv(char *const argv[], char **out)
{
	return run_argv_in(argv, "/dev/null", out);
}

#define RUN(out, ...) run_argv((char *const[]){__VA_ARGS__, NULL}, (out))

/* `openssl verify -purpose PURPOSE -CAfile DIR/ca.pem DIR/NAME.pem`: its exit status. */
static int verify_purpose(const char *dir, const char *name, const char *purpose)
{
	char pem[4096];
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	return RUN(NULL, "openssl", "verify", "-purpose", (char *)purpose, "-CAfile",
	           (char *)pf(dir, "ca.pem"), pem);
}

/* `openssl verify -crl_check` of NAME.pem against DIR/ca.crl; its output in *out. */
static int verify_crl(const char *dir, const char *name, char **out)
{
	char pem[4096];
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	return RUN(out, "openssl", "verify", "-crl_check", "-CAfile", (char *)pf(dir, "ca.pem"),
	           "-CRLfile", (char *)pf(dir, "ca.crl"), pem);
}

/* `openssl crl -in CRLDIR/ca.crl -CAfile CADIR/ca.pem -noout` says "verify OK" (its exit
 * status alone says nothing: OpenSSL 3.0 exits 0 after "verify failure" too). */
static void assert_crl_verifies(const char *crldir, const char *cadir)
{
	char *out = NULL;
	assert_int_equal(RUN(&out, "openssl", "crl", "-in", (char *)pf(crldir, "ca.crl"),
	                     "-CAfile", (char *)pf(cadir, "ca.pem"), "-noout"),
	                 0);
	assert_contains(out, "verify OK");
	assert_lacks(out, "failure");
	free(out);
}

static char *x509_text(const char *dir, const char *name)
{
	char pem[4096], *out = NULL;
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	assert_int_equal(RUN(&out, "openssl", "x509", "-in", pem, "-noout", "-text"), 0);
	return out;
}

static X509 *load_cert(const char *dir, const char *name)
{
	char pem[4096];
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	BIO *b = BIO_new_file(pem, "r");
	assert_non_null(b);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static X509_CRL *load_crl(const char *dir)
{
	BIO *b = BIO_new_file(pf(dir, "ca.crl"), "r");
	assert_non_null(b);
	X509_CRL *c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(c);
	return c;
}

static long crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(n);
	long v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

/* Entries on the CRL (an empty CRL has no revokedCertificates list at all, RFC 5280 5.1.2.6). */
static int crl_count(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	return revs != NULL ? sk_X509_REVOKED_num(revs) : 0;
}

static bool crl_lists(X509_CRL *crl, const char *dir, const char *name)
{
	X509 *x = load_cert(dir, name);
	X509_REVOKED *r = NULL;
	bool found = X509_CRL_get0_by_serial(crl, &r, X509_get_serialNumber(x)) == 1;
	X509_free(x);
	return found;
}

static const char *const agencies[] = {"intel", "police", "customs", "partner-fra"};
#define NAGENCIES (sizeof(agencies) / sizeof(agencies[0]))

/* A development PKI for the example's agencies in TMP/pki (a new string). */
static char *make_pki(const char *tmp)
{
	struct sluice_error err;
	char *dir = path_join(tmp, "pki");
	if (devpki_init(dir, agencies, NAGENCIES, &err) != SLUICE_OK)
		fail_msg("devpki_init: %s [%s]", err.message, err.rule);
	return dir;
}

/* The sorted names in `dir`, joined by spaces (a new string). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *listing(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[256];
	size_t n = 0, total = 1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		assert_true(n < 256);
		names[n] = strdup(e->d_name);
		total += strlen(e->d_name) + 1;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	char *s = calloc(1, total);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, names[i]);
		free(names[i]);
	}
	return s;
}

/* Every file of `dir` with its bytes, to prove that nothing changed. */
struct snapshot {
	char *names;
	char *data[64];
	size_t len[64];
	size_t n;
};

static void snapshot_take(struct snapshot *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->names = listing(dir);
	char *copy = strdup(s->names);
	for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		assert_true(s->n < 64);
		s->data[s->n] = slurp(pf(dir, tok), &s->len[s->n]);
		assert_non_null(s->data[s->n]);
		s->n++;
	}
	free(copy);
}

static void snapshot_same(struct snapshot *a, struct snapshot *b)
{
	assert_string_equal(a->names, b->names);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->data[i], b->data[i], a->len[i]);
	}
}

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->data[i]);
	free(s->names);
}

/* ---- devpki_init: files, modes, certificates --------------------------------------------- */

static void check_files_and_modes(const char *dir)
{
	assert_int_equal(mode_of(dir), 0700);
	char *names = listing(dir);
	assert_string_equal(names,
	                    "README.txt ca.crl ca.key ca.pem customs.key customs.pem "
	                    "gateway-binding.key gateway-binding.pem "
	                    "gateway-client.key gateway-client.pem gateway-server.key "
	                    "gateway-server.pem gateway-signing.key gateway-signing.pub "
	                    "intel.key intel.pem partner-fra.key partner-fra.pem police.key "
	                    "police.pem serials.txt");
	char *save = NULL;
	for (char *tok = strtok_r(names, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(tok);
		bool key = n > 4 && strcmp(tok + n - 4, ".key") == 0;
		if (mode_of(pf(dir, tok)) != (key ? 0600u : 0644u))
			fail_msg("%s has mode %o", tok, (unsigned)mode_of(pf(dir, tok)));
	}
	free(names);
	char *readme = slurp(pf(dir, "README.txt"), NULL);
	assert_contains(readme, "NOT FOR PRODUCTION");
	assert_contains(readme, "sluice certs revoke");
	free(readme);
}

static void test_init_files_and_modes(void **state)
{
	const char *tmp = *state;
	mode_t old = umask(0);
	char *dir = make_pki(tmp);
	umask(old);
	check_files_and_modes(dir);
	free(dir);
}

static void test_init_modes_with_strict_umask(void **state)
{
	const char *tmp = *state;
	mode_t old = umask(077);
	char *dir = make_pki(tmp);
	umask(old);
	check_files_and_modes(dir);
	free(dir);
}

static void test_init_gateway_server_cert(void **state)
{
	char *dir = make_pki(*state);
	assert_int_equal(verify_purpose(dir, "gateway-server", "sslserver"), 0);
	assert_int_not_equal(verify_purpose(dir, "gateway-server", "sslclient"), 0);

	char *t = x509_text(dir, "gateway-server");
	assert_contains(t, "Subject: CN = sluice-gateway\n");
	assert_contains(t, "Issuer: CN = Sluice development CA - NOT FOR PRODUCTION");
	assert_contains(t, "DNS:localhost, DNS:sluice-gateway, IP Address:127.0.0.1, "
	                   "IP Address:0:0:0:0:0:0:0:1\n");
	assert_contains(t, "X509v3 Extended Key Usage: \n                TLS Web Server "
	                   "Authentication\n");
	assert_lacks(t, "Client Authentication");
	assert_contains(t, "CA:FALSE");
	assert_contains(t, "ED25519");
	free(t);

	/* The hostnames and addresses a client on this machine would use all match. */
	X509 *x = load_cert(dir, "gateway-server");
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "sluice-gateway", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_host(x, "police", 0, 0, NULL), 0);
	X509_free(x);
	free(dir);
}

/* The ADatP-4778 binding signer: ECDSA P-256 (the profile has no Ed25519), chained to the CA,
 * for document signatures only (no TLS purpose). */
static void test_init_gateway_binding_cert(void **state)
{
	char *dir = make_pki(*state);
	char *t = x509_text(dir, "gateway-binding");
	assert_contains(t, "Subject: CN = sluice-gateway\n");
	assert_contains(t, "Issuer: CN = Sluice development CA - NOT FOR PRODUCTION");
	assert_contains(t, "id-ecPublicKey");
	assert_contains(t, "NIST CURVE: P-256");
	assert_contains(t, "Digital Signature, Non Repudiation");
	assert_contains(t, "X509v3 Extended Key Usage: \n                1.3.6.1.5.5.7.3.36\n");
	assert_contains(t, "CA:FALSE");
	free(t);
	assert_int_not_equal(verify_purpose(dir, "gateway-binding", "sslserver"), 0);
	assert_int_equal(mode_of(pf(dir, "gateway-binding.key")), 0600);
	free(dir);
}

static void test_init_gateway_client_cert(void **state)
{
	char *dir = make_pki(*state);
	assert_int_equal(verify_purpose(dir, "gateway-client", "sslclient"), 0);
	assert_int_not_equal(verify_purpose(dir, "gateway-client", "sslserver"), 0);
	char *t = x509_text(dir, "gateway-client");
	assert_contains(t, "Subject: CN = sluice-gateway\n");
	assert_contains(t, "TLS Web Client Authentication\n");
	assert_lacks(t, "Server Authentication");
	free(t);
	free(dir);
}

static void test_init_agency_certs(void **state)
{
	char *dir = make_pki(*state);
	X509 *ca = load_cert(dir, "ca");
	for (size_t i = 0; i < NAGENCIES; i++) {
		const char *a = agencies[i];
		if (verify_purpose(dir, a, "sslclient") != 0)
			fail_msg("%s does not verify as a TLS client", a);
		if (verify_purpose(dir, a, "sslserver") == 0)
			fail_msg("%s verifies as a TLS server", a);

		char *t = x509_text(dir, a), want[256];
		snprintf(want, sizeof(want), "Subject: CN = %s\n", a);
		assert_contains(t, want);
		snprintf(want, sizeof(want), "X509v3 Subject Alternative Name: \n"
		                             "                DNS:%s\n", a);
		assert_contains(t, want);
		assert_contains(t, "TLS Web Client Authentication\n");
		assert_lacks(t, "Server Authentication");
		assert_lacks(t, "localhost");
		assert_contains(t, "Digital Signature");
		assert_contains(t, "CA:FALSE");
		free(t);

		X509 *x = load_cert(dir, a);
		int days = 0, secs = 0;
		assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
		                                X509_get0_notAfter(x)),
		                 1);
		assert_int_equal(days, 365);
		assert_int_equal(X509_check_ca(x), 0);
		assert_int_equal(EVP_PKEY_get_id(X509_get0_pubkey(x)), EVP_PKEY_ED25519);
		assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca),
		                                      X509_get0_serialNumber(x)),
		                     0);
		X509_free(x);

		/* The key beside it is its key, and loads as an Ed25519 private key. */
		char keyname[128];
		snprintf(keyname, sizeof(keyname), "%s.key", a);
		EVP_PKEY *k = NULL;
		struct sluice_error err;
		assert_int_equal(key_load_private(pf(dir, keyname), &k, &err), SLUICE_OK);
		x = load_cert(dir, a);
		assert_int_equal(X509_check_private_key(x, k), 1);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	/* A leaf is not a CA: nothing it signs verifies. */
	assert_int_not_equal(RUN(NULL, "openssl", "verify", "-CAfile",
	                         (char *)pf(dir, "police.pem"), (char *)pf(dir, "police.pem")),
	                     0);
	X509_free(ca);
	free(dir);
}

static void test_init_ca_cert(void **state)
{
	char *dir = make_pki(*state);
	assert_int_equal(RUN(NULL, "openssl", "verify", "-CAfile", (char *)pf(dir, "ca.pem"),
	                     (char *)pf(dir, "ca.pem")),
	                 0);
	char *t = x509_text(dir, "ca");
	assert_contains(t, "Version: 3");
	assert_contains(t, "Subject: CN = Sluice development CA - NOT FOR PRODUCTION");
	assert_contains(t, "Basic Constraints: critical");
	assert_contains(t, "CA:TRUE");
	assert_contains(t, "Certificate Sign, CRL Sign");
	assert_contains(t, "ED25519");
	free(t);
	X509 *ca = load_cert(dir, "ca");
	assert_int_equal(X509_check_ca(ca), 1);
	X509_free(ca);

	/* The gateway signing pair loads and matches. */
	struct sluice_error err;
	EVP_PKEY *priv = NULL, *pub = NULL;
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN];
	assert_int_equal(key_load_private(pf(dir, "gateway-signing.key"), &priv, &err), SLUICE_OK);
	assert_int_equal(key_load_public(pf(dir, "gateway-signing.pub"), &pub, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(priv, a, &err), SLUICE_OK);
	assert_int_equal(key_id_hex(pub, b, &err), SLUICE_OK);
	assert_string_equal(a, b);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	free(dir);
}

static void test_init_serials_match_certs(void **state)
{
	char *dir = make_pki(*state);
	char *serials = slurp(pf(dir, "serials.txt"), NULL);
	assert_non_null(serials);
	static const char *const issued[] = {"gateway-server", "gateway-client", "intel",
	                                     "police", "customs", "partner-fra"};
	char seen[6][64];
	for (size_t i = 0; i < 6; i++) {
		char pem[4096], *out = NULL;
		snprintf(pem, sizeof(pem), "%s/%s.pem", dir, issued[i]);
		assert_int_equal(RUN(&out, "openssl", "x509", "-in", pem, "-noout", "-serial"), 0);
		assert_memory_equal(out, "serial=", 7);
		out[strcspn(out, "\n")] = '\0';
		char line[256];
		snprintf(line, sizeof(line), "\n%s %s\n", out + 7, issued[i]);
		assert_contains(serials, line);
		snprintf(seen[i], sizeof(seen[i]), "%s", out + 7);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
		free(out);
	}
	/* Only what the CA issued: not the CA itself, nor the signing pair. */
	assert_lacks(serials, " ca\n");
	assert_lacks(serials, "gateway-signing\n");
	free(serials);
	free(dir);
}

static void test_init_crl(void **state)
{
	char *dir = make_pki(*state);
	assert_crl_verifies(dir, dir);

	X509_CRL *crl = load_crl(dir);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(crl_number(crl), 1);
	assert_int_equal(crl_count(crl), 0);
	int days = 0, secs = 0;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
	                                X509_CRL_get0_nextUpdate(crl)),
	                 1);
	assert_int_equal(days, 30);
	assert_int_equal(secs, 0);
	/* lastUpdate is now (within a minute). */
	assert_true(X509_cmp_time(X509_CRL_get0_lastUpdate(crl), NULL) < 0);
	time_t soon = time(NULL) - 60;
	assert_true(X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &soon) > 0);
	X509_CRL_free(crl);

	/* Nothing is revoked yet: every issued certificate passes a CRL check. */
	for (size_t i = 0; i < NAGENCIES; i++)
		assert_int_equal(verify_crl(dir, agencies[i], NULL), 0);
	assert_int_equal(verify_crl(dir, "gateway-server", NULL), 0);
	free(dir);
}

/* ---- devpki_init: refusals --------------------------------------------------------------- */

static void test_second_init_overwrites_nothing(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *dir = make_pki(tmp);
	struct snapshot before, after;

	snapshot_take(&before, dir);
	assert_int_equal(devpki_init(dir, agencies, NAGENCIES, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "key.exists");
	assert_contains(err.message, "refusing to overwrite");
	/* Only a new agency: still refused (the CA and the gateway's files are there). */
	const char *fresh[] = {"newagency"};
	assert_int_equal(devpki_init(dir, fresh, 1, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "key.exists");
	assert_int_equal(devpki_init(dir, NULL, 0, &err), SLUICE_ERR_IO);
	snapshot_take(&after, dir);
	snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	free(dir);
}

static void test_existing_files_refused_before_writing(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	const char *names[] = {"a", "b"};
	static const char *const taken[] = {"b.pem",          "b.key",
	                                    "ca.crl",         "serials.txt",
	                                    "gateway-server.pem", "gateway-client.key",
	                                    "README.txt"};

	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		char sub[64];
		snprintf(sub, sizeof(sub), "pki%zu", i);
		char *dir = path_join(tmp, sub);
		assert_int_equal(mkdir(dir, 0700), 0);
		spit(pf(dir, taken[i]), "mine", 4);
		assert_int_equal(devpki_init(dir, names, 2, &err), SLUICE_ERR_IO);
		assert_string_equal(err.rule, "key.exists");
		assert_string_equal(err.file, pf(dir, taken[i]));
		/* Nothing was written: the folder holds only the file that was there. */
		char *l = listing(dir);
		assert_string_equal(l, taken[i]);
		free(l);
		size_t n = 0;
		char *mine = slurp(pf(dir, taken[i]), &n);
		assert_int_equal(n, 4);
		assert_memory_equal(mine, "mine", 4);
		free(mine);
		free(dir);
	}
}

static void test_no_names_and_existing_folder(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *dir = path_join(tmp, "pki3");
	assert_int_equal(mkdir(dir, 0755), 0);
	spit(pf(dir, "unrelated.txt"), "x", 1);
	assert_int_equal(devpki_init(dir, NULL, 0, &err), SLUICE_OK);
	char *l = listing(dir);
	assert_string_equal(l, "README.txt ca.crl ca.key ca.pem gateway-binding.key "
	                       "gateway-binding.pem gateway-client.key "
	                       "gateway-client.pem gateway-server.key gateway-server.pem "
	                       "gateway-signing.key gateway-signing.pub serials.txt "
	                       "unrelated.txt");
	free(l);
	assert_int_equal(verify_purpose(dir, "gateway-server", "sslserver"), 0);
	free(dir);
}

static void test_bad_names(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *dir = path_join(tmp, "pki-bad");
	static const char *const bad[] = {
		"", "Gateway", "-x", ".x", "_x", "a/b", "../x", "a b", "a\n",
		"ca", "gateway-signing", "gateway-server", "gateway-client", "sluice-gateway",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 64 */};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *names[] = {"ok", bad[i]};
		assert_int_equal(devpki_init(dir, names, 2, &err), SLUICE_ERR_USAGE);
		assert_string_equal(err.rule, "devpki.name");
	}
	const char *dup[] = {"x", "y", "x"};
	assert_int_equal(devpki_init(dir, dup, 3, &err), SLUICE_ERR_USAGE);
	assert_contains(err.message, "given twice");
	assert_false(exists(dir)); /* nothing was created */

	assert_true(devpki_name_ok("a"));
	assert_true(devpki_name_ok("0-a.b_c"));
	assert_true(devpki_name_ok(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 63 */
	free(dir);
}

static void test_folder_is_a_file(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *f = path_join(tmp, "plainfile");
	spit(f, "x", 1);
	assert_int_equal(devpki_init(f, NULL, 0, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "io.mkdir");
	free(f);
}

/* ---- devpki_revoke ----------------------------------------------------------------------- */

static void test_revoke_police(void **state)
{
	struct sluice_error err;
	char *dir = make_pki(*state);
	char *before = listing(dir);

	mode_t old = umask(077); /* the CRL stays readable for the daemon whatever the umask */
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_OK);
	umask(old);

	char *out = NULL;
	assert_int_not_equal(verify_crl(dir, "police", &out), 0);
	assert_contains(out, "certificate revoked");
	free(out);
	for (size_t i = 0; i < NAGENCIES; i++)
		if (strcmp(agencies[i], "police") != 0 && verify_crl(dir, agencies[i], NULL) != 0)
			fail_msg("%s fails the CRL check after revoking police", agencies[i]);
	assert_int_equal(verify_crl(dir, "gateway-server", NULL), 0);
	/* Without the CRL, police still verifies: revocation lives in the CRL only. */
	assert_int_equal(verify_purpose(dir, "police", "sslclient"), 0);

	assert_crl_verifies(dir, dir);
	X509_CRL *crl = load_crl(dir);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(crl_number(crl), 2);
	assert_int_equal(crl_count(crl), 1);
	assert_true(crl_lists(crl, dir, "police"));
	assert_false(crl_lists(crl, dir, "intel"));
	const ASN1_TIME *police_date =
		X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0));
	ASN1_TIME *kept = ASN1_STRING_dup(police_date);
	X509_CRL_free(crl);

	/* The file was replaced, not rewritten in place: same mode, no temporary left over. */
	assert_int_equal(mode_of(pf(dir, "ca.crl")), 0644);
	char *after = listing(dir);
	assert_string_equal(before, after);
	free(after);

	/* A second revocation keeps the first one, and its date. */
	sleep(1);
	assert_int_equal(devpki_revoke(dir, "customs", &err), SLUICE_OK);
	crl = load_crl(dir);
	assert_int_equal(crl_number(crl), 3);
	assert_int_equal(crl_count(crl), 2);
	assert_true(crl_lists(crl, dir, "police"));
	assert_true(crl_lists(crl, dir, "customs"));
	X509 *p = load_cert(dir, "police");
	X509_REVOKED *r = NULL;
	assert_int_equal(X509_CRL_get0_by_serial(crl, &r, X509_get_serialNumber(p)), 1);
	assert_int_equal(ASN1_TIME_compare(X509_REVOKED_get0_revocationDate(r), kept), 0);
	X509_free(p);
	X509_CRL_free(crl);
	ASN1_TIME_free(kept);
	assert_int_not_equal(verify_crl(dir, "police", NULL), 0);
	assert_int_not_equal(verify_crl(dir, "customs", NULL), 0);
	assert_int_equal(verify_crl(dir, "intel", NULL), 0);
	after = listing(dir);
	assert_string_equal(before, after);
	free(after);
	free(before);
	free(dir);
}

static void test_revoke_gateway_certs(void **state)
{
	struct sluice_error err;
	char *dir = make_pki(*state);
	assert_int_equal(devpki_revoke(dir, "gateway-client", &err), SLUICE_OK);
	assert_int_equal(devpki_revoke(dir, "gateway-server", &err), SLUICE_OK);
	char *out = NULL;
	assert_int_not_equal(verify_crl(dir, "gateway-server", &out), 0);
	assert_contains(out, "certificate revoked");
	free(out);
	assert_int_not_equal(verify_crl(dir, "gateway-client", NULL), 0);
	assert_int_equal(verify_crl(dir, "police", NULL), 0);
	free(dir);
}

static void test_revoke_refusals_leave_crl_alone(void **state)
{
	struct sluice_error err;
	char *dir = make_pki(*state);
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_OK);
	struct snapshot before, after;
	snapshot_take(&before, dir);

	/* A second revocation of the same certificate. */
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_ERR_USAGE);
	assert_string_equal(err.rule, "devpki.already-revoked");
	assert_contains(err.message, "already revoked");

	/* Names the CA never issued (the CA and the signing pair are not certificates it
	 * issued). */
	static const char *const unknown[] = {"nobody", "ca", "gateway-signing", "polic",
	                                      "police2"};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(devpki_revoke(dir, unknown[i], &err), SLUICE_ERR_USAGE);
		assert_string_equal(err.rule, "devpki.unknown");
		assert_contains(err.message, unknown[i]);
	}
	/* Names that could never have been issued. */
	static const char *const bad[] = {"", "Police", "../police", "police/", "a b",
	                                  "police\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(devpki_revoke(dir, bad[i], &err), SLUICE_ERR_USAGE);
		assert_string_equal(err.rule, "devpki.name");
	}
	assert_int_equal(devpki_revoke(dir, NULL, &err), SLUICE_ERR_USAGE);

	snapshot_take(&after, dir);
	snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	free(dir);
}

static void test_revoke_missing_files(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *nowhere = path_join(tmp, "nowhere");
	assert_int_equal(devpki_revoke(nowhere, "police", &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "io.open");
	free(nowhere);

	static const char *const needed[] = {"serials.txt", "ca.pem", "ca.key", "ca.crl"};
	for (size_t i = 0; i < 4; i++) {
		char sub[32];
		snprintf(sub, sizeof(sub), "m%zu", i);
		char *base = path_join(tmp, sub);
		assert_int_equal(mkdir(base, 0700), 0);
		char *dir = make_pki(base);
		assert_int_equal(unlink(pf(dir, needed[i])), 0);
		assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_ERR_IO);
		if (strstr(err.file, needed[i]) == NULL)
			fail_msg("error about %s, not %s: %s", err.file, needed[i], err.message);
		free(dir);
		free(base);
	}
}

static void test_revoke_malformed_serials(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *dir = make_pki(tmp);
	char *good = slurp(pf(dir, "serials.txt"), NULL);
	char *police = strstr(good, " police\n");
	assert_non_null(police);
	char *start = police;
	while (start > good && start[-1] != '\n')
		start--;
	char hex[64];
	snprintf(hex, sizeof(hex), "%.*s", (int)(police - start), start);
	struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{"# header\nZZ police\n", 2},
		{"# header\nabc police\n", 2},     /* lowercase hex is not what init-dev writes */
		{"# header\nABC\tpolice\n", 2},    /* a tab */
		{"# header\nABC  police\n", 2},    /* two spaces */
		{"# header\nABC police extra\n", 2},
		{"# header\nABC police\r\n", 2},
		{"# header\n\n", 2},               /* an empty line */
		{" police\n", 1},                  /* no serial */
		{"# header\nABC police", 0},       /* no final newline */
		{"# header\nABC police\nABD police\n", 3},
		{"ABC police\n\0", 0},             /* a NUL byte (length includes it) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(unlink(pf(dir, "serials.txt")), 0);
		size_t n = strlen(bad[i].text) + (i == sizeof(bad) / sizeof(bad[0]) - 1 ? 1 : 0);
		spit(pf(dir, "serials.txt"), bad[i].text, n);
		assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_ERR_POLICY);
		if (strcmp(err.rule, "devpki.serials") != 0 || err.line != bad[i].line)
			fail_msg("case %zu: %s line %u: %s", i, err.rule, err.line, err.message);
	}
	/* The right serial in a minimal, well-formed file works. */
	assert_int_equal(unlink(pf(dir, "serials.txt")), 0);
	char minimal[128];
	snprintf(minimal, sizeof(minimal), "%s police\n", hex);
	spit(pf(dir, "serials.txt"), minimal, strlen(minimal));
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_OK);
	assert_int_not_equal(verify_crl(dir, "police", NULL), 0);
	free(good);
	free(dir);
}

static void test_revoke_foreign_ca_files(void **state)
{
	const char *tmp = *state;
	struct sluice_error err;
	char *a = make_pki(tmp);
	char *otherbase = path_join(tmp, "other");
	assert_int_equal(mkdir(otherbase, 0700), 0);
	char *b = make_pki(otherbase);

	/* Cross-check with the command line: B's CRL does not verify under A's CA (`openssl
	 * crl` 3.0 says so, but exits 0 all the same). */
	char *out = NULL;
	(void)RUN(&out, "openssl", "crl", "-in", (char *)pf(b, "ca.crl"), "-CAfile",
	          (char *)pf(a, "ca.pem"), "-noout");
	assert_contains(out, "verify failure");
	assert_lacks(out, "verify OK");
	free(out);

	/* A's folder with B's CRL: refused, and the CRL is left as it was. */
	size_t n = 0, m = 0;
	char *crl_a = slurp(pf(a, "ca.crl"), &n);
	char *crl_b = slurp(pf(b, "ca.crl"), &m);
	assert_int_equal(unlink(pf(a, "ca.crl")), 0);
	spit(pf(a, "ca.crl"), crl_b, m);
	assert_int_equal(devpki_revoke(a, "police", &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "devpki.crl");
	size_t k = 0;
	char *now = slurp(pf(a, "ca.crl"), &k);
	assert_int_equal(k, m);
	assert_memory_equal(now, crl_b, m);
	free(now);

	/* Not a CRL at all. */
	assert_int_equal(unlink(pf(a, "ca.crl")), 0);
	spit(pf(a, "ca.crl"), "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", 50);
	assert_int_equal(devpki_revoke(a, "police", &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "devpki.pem");

	/* A's CRL back, but B's CA key. */
	assert_int_equal(unlink(pf(a, "ca.crl")), 0);
	spit(pf(a, "ca.crl"), crl_a, n);
	size_t kl = 0;
	char *key_a = slurp(pf(a, "ca.key"), NULL);
	char *key_b = slurp(pf(b, "ca.key"), &kl);
	assert_int_equal(unlink(pf(a, "ca.key")), 0);
	spit(pf(a, "ca.key"), key_b, kl);
	assert_int_equal(devpki_revoke(a, "police", &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "devpki.ca");

	/* A key that is not Ed25519 is refused by the key loader. */
	assert_int_equal(unlink(pf(a, "ca.key")), 0);
	spit(pf(a, "ca.key"), "not a key\n", 10);
	assert_int_equal(devpki_revoke(a, "police", &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "key.pem");

	/* With its own key back, A revokes as usual. */
	assert_int_equal(unlink(pf(a, "ca.key")), 0);
	spit(pf(a, "ca.key"), key_a, strlen(key_a));
	assert_int_equal(devpki_revoke(a, "police", &err), SLUICE_OK);
	assert_int_not_equal(verify_crl(a, "police", NULL), 0);

	free(key_a);
	free(key_b);
	free(crl_a);
	free(crl_b);
	free(a);
	free(b);
	free(otherbase);
}

static void test_revoke_concurrent_runs_keep_every_revocation(void **state)
{
	char *dir = make_pki(*state);
	pid_t pids[NAGENCIES];
	for (size_t i = 0; i < NAGENCIES; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct sluice_error err;
			_exit(devpki_revoke(dir, agencies[i], &err) == SLUICE_OK ? 0 : 1);
		}
	}
	for (size_t i = 0; i < NAGENCIES; i++) {
		int st = 0;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_crl_verifies(dir, dir);
	X509_CRL *crl = load_crl(dir);
	assert_int_equal(crl_count(crl), (int)NAGENCIES);
	assert_int_equal(crl_number(crl), 1 + (long)NAGENCIES);
	for (size_t i = 0; i < NAGENCIES; i++)
		assert_true(crl_lists(crl, dir, agencies[i]));
	X509_CRL_free(crl);
	free(dir);
}

static void test_refresh_crl(void **state)
{
	struct sluice_error err;
	char *dir = make_pki(*state);
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_OK);
	sleep(1);
	assert_int_equal(devpki_refresh_crl(dir, &err), SLUICE_OK);
	assert_crl_verifies(dir, dir);
	X509_CRL *crl = load_crl(dir);
	assert_int_equal(crl_number(crl), 3);
	assert_int_equal(crl_count(crl), 1);
	assert_true(crl_lists(crl, dir, "police"));
	int days = 0, secs = 0;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
	                                X509_CRL_get0_nextUpdate(crl)),
	                 1);
	assert_int_equal(days, 30);
	X509_CRL_free(crl);
	assert_int_not_equal(verify_crl(dir, "police", NULL), 0);
	assert_int_equal(verify_crl(dir, "intel", NULL), 0);
	assert_int_equal(mode_of(pf(dir, "ca.crl")), 0644);

	char *nowhere = path_join(*state, "nowhere");
	assert_int_equal(devpki_refresh_crl(nowhere, &err), SLUICE_ERR_IO);
	free(nowhere);
	free(dir);
}

/* ---- a real mutual-TLS handshake --------------------------------------------------------- */

/* A port that was free a moment ago on 127.0.0.1. */
static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static bool port_accepts(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

/* Starts `openssl s_server` (killed by `timeout` after 60 s whatever happens) serving with
 * DIR/CERT.pem, requiring a client certificate from DIR/ca.pem not revoked in DIR/ca.crl.
 * Returns its pid and the port once it accepts connections, or -1. */
static pid_t start_server(const char *dir, const char *cert, int *port_out)
{
	char certpem[4096], certkey[4096], accept[64];
	snprintf(certpem, sizeof(certpem), "%s/%s.pem", dir, cert);
	snprintf(certkey, sizeof(certkey), "%s/%s.key", dir, cert);
	for (int attempt = 0; attempt < 3; attempt++) {
		int port = free_port();
		snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
		char *const argv[] = {"timeout", "60", "openssl", "s_server", "-cert", certpem,
		                      "-key", certkey, "-CAfile", (char *)pf(dir, "ca.pem"),
		                      "-Verify", "1", "-verify_return_error", "-crl_check", "-CRL",
		                      (char *)pf(dir, "ca.crl"), "-www", "-accept", accept, NULL};
		posix_spawn_file_actions_t fa;
		pid_t pid;
		assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
		assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0),
		                 0);
		assert_int_equal(
			posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0), 0);
		assert_int_equal(
			posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0), 0);
		int rc = posix_spawnp(&pid, "timeout", &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rc != 0)
			return -1;
		for (int i = 0; i < 500; i++) { /* up to 5 s */
			if (port_accepts(port)) {
				*port_out = port;
				return pid;
			}
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid)
				break; /* it died (port taken?): try another port */
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static void stop_server(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* `openssl s_client` with DIR/NAME.pem as its client certificate, checking the server's
 * certificate against DIR/ca.pem for "localhost", sending one HTTP request; true when the
 * server's answer came back. */
static bool client_gets_page(const char *dir, const char *name, int port, char **out)
{
	char connect[64], pem[4096], key[4096];
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	const char *request = pf(dir, "request.txt");
	if (!exists(request))
		spit(request, "GET / HTTP/1.0\r\n\r\n", 18);
	char *const argv[] = {"timeout", "20", "openssl", "s_client", "-connect", connect,
	                      "-cert", pem, "-key", key, "-CAfile", (char *)pf(dir, "ca.pem"),
	                      "-verify_return_error", "-verify_hostname", "localhost", "-quiet",
	                      NULL};
	char *o = NULL;
	(void)run_argv_in(argv, request, &o);
	bool ok = strstr(o, "HTTP/1.0 200 ok") != NULL;
	if (out != NULL)
		*out = o;
	else
		free(o);
	return ok;
}

static void test_tls_handshake(void **state)
{
	struct sluice_error err;
	char *dir = make_pki(*state);
	assert_int_equal(devpki_revoke(dir, "police", &err), SLUICE_OK);

	int port = 0;
	pid_t srv = start_server(dir, "gateway-server", &port);
	if (srv < 0) {
		free(dir);
		skip(); /* no free port or no openssl s_server: nothing learned, nothing failed */
	}
	char *out = NULL;
	bool intel = client_gets_page(dir, "intel", port, &out);
	if (!intel) {
		stop_server(srv);
		fail_msg("intel's handshake failed:\n%s", out);
	}
	free(out);
	assert_true(client_gets_page(dir, "gateway-client", port, NULL));
	/* Revoked: the server refuses the handshake. */
	bool police = client_gets_page(dir, "police", port, &out);
	/* A server certificate presented as a client certificate: refused (purpose). */
	bool server_as_client = client_gets_page(dir, "gateway-server", port, NULL);
	stop_server(srv);
	assert_false(police);
	assert_contains(out, "revoked");
	free(out);
	assert_false(server_as_client);

	/* An agency's client certificate presented as a server's: the client refuses it. */
	srv = start_server(dir, "intel", &port);
	if (srv < 0) {
		free(dir);
		skip();
	}
	bool wrong_server = client_gets_page(dir, "customs", port, &out);
	stop_server(srv);
	assert_false(wrong_server);
	assert_contains(out, "unsuitable certificate purpose");
	free(out);
	free(dir);
}

/* ---- the command line -------------------------------------------------------------------- */

static void test_cli(void **state)
{
	const char *bin = getenv("SLUICE_BIN");
	if (bin == NULL || access(bin, X_OK) != 0)
		skip();
	const char *tmp = *state;
	char dir[4096], *out = NULL;
	snprintf(dir, sizeof(dir), "%s/cli", tmp);
	char *b = (char *)bin;

	assert_int_equal(RUN(&out, b, "certs", "init-dev", dir, "intel", "police"), 0);
	assert_contains(out, "NOT FOR PRODUCTION");
	free(out);
	assert_int_equal(RUN(&out, b, "certs", "revoke", dir, "police"), 0);
	assert_contains(out, "revoked police");
	assert_contains(out, "SIGHUP");
	free(out);
	assert_int_not_equal(verify_crl(dir, "police", NULL), 0);
	assert_int_equal(verify_crl(dir, "intel", NULL), 0);

	assert_int_equal(RUN(&out, b, "certs", "revoke", dir, "police"), 64);
	assert_contains(out, "devpki.already-revoked");
	free(out);
	assert_int_equal(RUN(&out, b, "certs", "revoke", dir, "nobody"), 64);
	assert_contains(out, "devpki.unknown");
	free(out);
	assert_int_equal(RUN(NULL, b, "certs", "revoke", dir), 64);
	assert_int_equal(RUN(NULL, b, "certs", "revoke", dir, "intel", "police"), 64);
	assert_int_equal(RUN(NULL, b, "certs", "revoke"), 64);
	assert_int_equal(RUN(NULL, b, "certs", "revoke", dir, "-x"), 64);
	assert_int_equal(RUN(NULL, b, "certs", "frobnicate", dir), 64);
	assert_int_equal(RUN(NULL, b, "certs"), 64);
	char nowhere[4200];
	snprintf(nowhere, sizeof(nowhere), "%s/nowhere", tmp);
	assert_int_equal(RUN(NULL, b, "certs", "revoke", nowhere, "police"), 74);

	assert_int_equal(RUN(&out, b, "certs", "refresh-crl", dir), 0);
	free(out);
	assert_int_equal(RUN(NULL, b, "certs", "refresh-crl", dir, "extra"), 64);
	assert_int_not_equal(verify_crl(dir, "police", NULL), 0);

	/* init-dev as before: refuses to overwrite (74). */
	assert_int_equal(RUN(&out, b, "certs", "init-dev", dir, "intel"), 74);
	assert_contains(out, "key.exists");
	free(out);

	static const char *const helps[][3] = {
		{"certs", "--help", NULL},
		{"certs", "init-dev", "--help"},
		{"certs", "revoke", "--help"},
		{"certs", "refresh-crl", "-h"},
	};
	for (size_t i = 0; i < 4; i++) {
		char *argv[5] = {b, (char *)helps[i][0], (char *)helps[i][1], (char *)helps[i][2],
		                 NULL};
		assert_int_equal(run_argv(argv, &out), 0);
		assert_contains(out, "sluice certs init-dev DIR");
		assert_contains(out, "sluice certs revoke DIR NAME");
		free(out);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_files_and_modes),
		T(test_init_modes_with_strict_umask),
		T(test_init_gateway_server_cert),
		T(test_init_gateway_binding_cert),
		T(test_init_gateway_client_cert),
		T(test_init_agency_certs),
		T(test_init_ca_cert),
		T(test_init_serials_match_certs),
		T(test_init_crl),
		T(test_second_init_overwrites_nothing),
		T(test_existing_files_refused_before_writing),
		T(test_no_names_and_existing_folder),
		T(test_bad_names),
		T(test_folder_is_a_file),
		T(test_revoke_police),
		T(test_revoke_gateway_certs),
		T(test_revoke_refusals_leave_crl_alone),
		T(test_revoke_missing_files),
		T(test_revoke_malformed_serials),
		T(test_revoke_foreign_ca_files),
		T(test_revoke_concurrent_runs_keep_every_revocation),
		T(test_refresh_crl),
		T(test_tls_handshake),
		T(test_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
