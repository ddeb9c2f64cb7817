/*
 * The development PKI (see devpki.h): a throw-away CA, the gateway's TLS server and client
 * certificates, one client certificate per agency, a CRL, and the gateway's signing pair, so
 * that Sluice can be tried without an organisation's PKI.
 *
 * Trust: names come from the administrator's command line and are checked against a strict
 * pattern before they become file names. The files read back by devpki_revoke (serials.txt,
 * ca.pem, ca.crl, ca.key) are administrator files but are parsed as untrusted bytes: bounded
 * in size, decoded by OpenSSL, serials.txt parsed strictly line by line, and the CRL accepted
 * only when the CA's key signed it. Writes private keys, so every new file is created with
 * O_EXCL | O_NOFOLLOW and exact modes, nothing is ever overwritten except ca.crl, which is
 * replaced atomically (temporary file, fsync, rename) under an exclusive lock on the folder.
 * Secrets: the CA key lives in an EVP_PKEY (wiped by OpenSSL on free); PEM text of private
 * keys is wiped by keys.c.
 */
#include "devpki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "keys.h"

#define DEVPKI_DAYS 365
#define DEVPKI_CRL_DAYS 30
#define DEVPKI_CA_CN "Sluice development CA - NOT FOR PRODUCTION"
#define DEVPKI_GATEWAY_CN "sluice-gateway"
#define DEVPKI_SERVER_SAN "DNS:localhost,DNS:sluice-gateway,IP:127.0.0.1,IP:::1"
#define DEVPKI_CLIENT_SAN "DNS:sluice-gateway"
/* Bounds for the files devpki_revoke reads back. */
#define DEVPKI_MAX_FILE (1024 * 1024)

static const char devpki_readme[] =
	"Sluice development PKI - NOT FOR PRODUCTION\n"
	"============================================\n"
	"\n"
	"Everything in this folder was made by `sluice certs init-dev` for development and\n"
	"testing only. The CA key sits in the same folder as the certificates it signed, the keys\n"
	"are not protected by any passphrase or hardware, and nobody vouches for these\n"
	"identities. Never use them to guard real traffic or to sign real receipts.\n"
	"\n"
	"  ca.key / ca.pem             development CA (Ed25519, 365 days)\n"
	"  ca.crl                      the CA's revocation list (30 days; empty at first)\n"
	"  serials.txt                 serial and name of every certificate the CA issued\n"
	"  gateway-server.key / .pem   the gateway's TLS server certificate (CN\n"
	"                              sluice-gateway; localhost, 127.0.0.1, ::1)\n"
	"  gateway-client.key / .pem   the gateway's TLS client certificate, for\n"
	"                              forwarding to destination agencies\n"
	"  gateway-signing.key / .pub  signs receipts and audit-log checkpoints\n"
	"  gateway-binding.key / .pem  signs ADatP-4778 bindings (ECDSA P-256; flows\n"
	"                              with binding: signed-4778)\n"
	"  NAME.key / NAME.pem         an agency's TLS client certificate (CN NAME)\n"
	"\n"
	"Check a certificate: openssl verify -CAfile ca.pem -purpose sslclient NAME.pem\n"
	"Revoke an agency:    sluice certs revoke DIR NAME   (then SIGHUP the daemon)\n"
	"Renew the CRL:       sluice certs refresh-crl DIR   (before 30 days have passed)\n"
	"Signing key id:      openssl pkey -pubin -in gateway-signing.pub -outform DER |\n"
	"                     sha256sum\n"
	"\n"
	"Using a real agency CA instead, revocation, key rotation: docs/PKI.md in Sluice.\n";

static const char serials_header[] =
	"# Certificates issued by the Sluice development CA (ca.pem): serial (hex) and name.\n"
	"# `sluice certs revoke DIR NAME` finds the serial to revoke here; ca.crl lists the\n"
	"# revoked ones. Written once by `sluice certs init-dev`; do not edit.\n";

/* Names that are files of the development PKI itself, or the gateway's own CN. */
static const char *const reserved_names[] = {
	"ca", "gateway-signing", "gateway-server", "gateway-client", "gateway-binding",
	DEVPKI_GATEWAY_CN,
};

bool devpki_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* ---- small helpers ----------------------------------------------------------------------- */

/* Files written so far, removed again when devpki_init fails half-way. */
struct created {
	char **paths;
	size_t n;
};

static void created_add(struct created *c, const char *path)
{
	c->paths = xrealloc(c->paths, (c->n + 1) * sizeof(*c->paths));
	c->paths[c->n++] = xstrdup(path);
}

static void created_free(struct created *c, bool remove_files)
{
	for (size_t i = 0; i < c->n; i++) {
		if (remove_files)
			unlink(c->paths[i]);
		free(c->paths[i]);
	}
	free(c->paths);
	c->paths = NULL;
	c->n = 0;
}

/* A growing text buffer (serials.txt). */
struct text {
	char *p;
	size_t n;
};

static void text_appendf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void text_appendf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		SLUICE_BUG("vsnprintf failed");
	t->p = xrealloc(t->p, t->n + (size_t)k + 1);
	va_start(ap, fmt);
	vsnprintf(t->p + t->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	t->n += (size_t)k;
}

static enum sluice_rc x509_fail(struct sluice_error *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return sluice_fail(err, SLUICE_ERR_INTERNAL, "devpki.x509", "%s failed%s%s", what,
	                   r != NULL ? ": " : "", r != NULL ? r : "");
}

static char *file_in(const char *dir, const char *name, const char *suffix)
{
	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s%s", dir, name, suffix);
	return p;
}

/* Uppercase hex of a serial number, as `openssl x509 -serial` prints it. New string, or NULL
 * when OpenSSL fails. */
static char *serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	char *out = hex != NULL ? xstrdup(hex) : NULL;
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

/* ---- certificates ------------------------------------------------------------------------ */

/* CERT_BINDING: the ADatP-4778 binding signer (ECDSA; digitalSignature and nonRepudiation,
 * extended key usage documentSigning: it signs documents, not TLS handshakes). */
enum cert_kind { CERT_CA, CERT_SERVER, CERT_CLIENT, CERT_BINDING };

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return false;
	bool ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool set_random_serial(X509 *x)
{
	uint8_t b[20];
	BIGNUM *bn = NULL;
	bool ok = false;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return false;
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40); /* positive, 159 bits, never zero */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* A certificate of `kind` for `key` named `cn`, signed by `issuer_key` (self-signed for
 * CERT_CA, when `issuer` is NULL). `san` is a subjectAltName value for a leaf, NULL for the
 * CA. */
static enum sluice_rc make_cert(EVP_PKEY *key, const char *cn, enum cert_kind kind,
                                X509 *issuer, EVP_PKEY *issuer_key, const char *san, X509 **out,
                                struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	bool ca = kind == CERT_CA;

	*out = NULL;
	if (ca != (issuer == NULL))
		SLUICE_BUG("a CA certificate is self-signed, a leaf has an issuer");
	if (x == NULL || name == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    !set_random_serial(x) || X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)DEVPKI_DAYS * 24 * 3600) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                               -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)) != 1 ||
	    X509_set_pubkey(x, key) != 1) {
		rc = x509_fail(err, "building the certificate");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca ? x : issuer, x, NULL, NULL, 0);
	X509V3_set_ctx_nodb(&ctx);
	bool ok;
	if (ca)
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	else if (kind == CERT_BINDING)
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
		     /* id-kp-documentSigning (RFC 9336): no TLS purpose accepts it. */
		     add_ext(x, &ctx, NID_ext_key_usage, "1.3.6.1.5.5.7.3.36") &&
		     add_ext(x, &ctx, NID_subject_alt_name, san) &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	else
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
		     add_ext(x, &ctx, NID_ext_key_usage,
		             kind == CERT_SERVER ? "serverAuth" : "clientAuth") &&
		     add_ext(x, &ctx, NID_subject_alt_name, san) &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!ok) {
		rc = x509_fail(err, "adding the certificate's extensions");
		goto out;
	}
	/* Ed25519 signs the message itself: no digest. */
	if (X509_sign(x, issuer_key, NULL) <= 0) {
		rc = x509_fail(err, "signing the certificate");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_NAME_free(name);
	X509_free(x);
	return rc;
}

static enum sluice_rc write_cert(X509 *x, const char *path, struct sluice_error *err)
{
	enum sluice_rc rc;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		rc = x509_fail(err, "encoding the certificate");
		goto out;
	}
	rc = certs_write_new_file(path, data, (size_t)len, 0644, err);
out:
	BIO_free(bio);
	return rc;
}

/* Writes NAME.key and NAME.pem: a new key and a certificate of `kind` for it. A certificate
 * issued by the CA is recorded in `serials`. */
static enum sluice_rc write_pair(const char *dir, const char *name, const char *cn,
                                 enum cert_kind kind, X509 *issuer, EVP_PKEY *issuer_key,
                                 const char *san, struct created *made, struct text *serials,
                                 EVP_PKEY **key_out, X509 **cert_out, struct sluice_error *err)
{
	enum sluice_rc rc;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *hex = NULL;
	char *keypath = file_in(dir, name, ".key"), *pempath = file_in(dir, name, ".pem");

	if (kind == CERT_BINDING) {
		/* ADatP-4778.2 signs with ECDSA or RSA, not Ed25519. */
		key = EVP_EC_gen("P-256");
		rc = key != NULL ? SLUICE_OK : x509_fail(err, "generating the P-256 binding key");
	} else {
		rc = key_new_ed25519(&key, err);
	}
	if (rc != SLUICE_OK)
		goto out;
	rc = make_cert(key, cn, kind, issuer, issuer != NULL ? issuer_key : key, san, &cert, err);
	if (rc != SLUICE_OK)
		goto out;
	if (serials != NULL) {
		hex = serial_hex(X509_get0_serialNumber(cert));
		if (hex == NULL) {
			rc = x509_fail(err, "encoding the serial number");
			goto out;
		}
	}
	rc = key_write_private_any(key, keypath, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(made, keypath);
	rc = write_cert(cert, pempath, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(made, pempath);
	if (serials != NULL)
		text_appendf(serials, "%s %s\n", hex, name);
	if (key_out != NULL) {
		*key_out = key;
		key = NULL;
	}
	if (cert_out != NULL) {
		*cert_out = cert;
		cert = NULL;
	}
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	free(hex);
	free(keypath);
	free(pempath);
	return rc;
}

/* ---- the CRL ----------------------------------------------------------------------------- */

/* A new CRL from `ca`, signed with `cakey`: v2, lastUpdate now, nextUpdate in 30 days, the
 * entries of `prev` (if any) plus `revoke` (if not NULL), and a CRL number one above prev's
 * (1 when there is no previous CRL or it has no number). */
static enum sluice_rc make_crl(X509 *ca, EVP_PKEY *cakey, X509_CRL *prev,
                               const ASN1_INTEGER *revoke, X509_CRL **out,
                               struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = NULL, *next = NULL;
	ASN1_INTEGER *prevnum = NULL, *num = NULL, *serial = NULL;
	BIGNUM *bn = NULL;
	X509_REVOKED *rev = NULL;
	X509_EXTENSION *akid = NULL;
	X509V3_CTX ctx;
	STACK_OF(X509_REVOKED) *old = prev != NULL ? X509_CRL_get_REVOKED(prev) : NULL;
	time_t t = time(NULL);

	*out = NULL;
	now = ASN1_TIME_adj(NULL, t, 0, 0);
	next = ASN1_TIME_adj(NULL, t, DEVPKI_CRL_DAYS, 0);
	if (crl == NULL || now == NULL || next == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, now) != 1 || X509_CRL_set1_nextUpdate(crl, next) != 1) {
		rc = x509_fail(err, "building the CRL");
		goto out;
	}

	/* The CRL number: strictly increasing, so a relying party can tell the newer list. */
	if (prev != NULL)
		prevnum = X509_CRL_get_ext_d2i(prev, NID_crl_number, NULL, NULL);
	bn = prevnum != NULL ? ASN1_INTEGER_to_BN(prevnum, NULL) : BN_new();
	if (bn == NULL || !BN_add_word(bn, 1) || (num = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1) {
		rc = x509_fail(err, "numbering the CRL");
		goto out;
	}

	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	X509V3_set_ctx_nodb(&ctx);
	akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (akid == NULL || X509_CRL_add_ext(crl, akid, -1) != 1) {
		rc = x509_fail(err, "adding the CRL's authority key identifier");
		goto out;
	}

	for (int i = 0; i < sk_X509_REVOKED_num(old); i++) {
		rev = X509_REVOKED_dup(sk_X509_REVOKED_value(old, i));
		if (rev == NULL || X509_CRL_add0_revoked(crl, rev) != 1) {
			rc = x509_fail(err, "copying the earlier revocations");
			goto out;
		}
		rev = NULL; /* the CRL owns it now */
	}
	if (revoke != NULL) {
		rev = X509_REVOKED_new();
		serial = ASN1_INTEGER_dup(revoke);
		if (rev == NULL || serial == NULL ||
		    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
		    X509_REVOKED_set_revocationDate(rev, now) != 1 ||
		    X509_CRL_add0_revoked(crl, rev) != 1) {
			rc = x509_fail(err, "adding the revocation");
			goto out;
		}
		rev = NULL;
	}
	/* Ed25519 signs the message itself: no digest. */
	if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, cakey, NULL) <= 0) {
		rc = x509_fail(err, "signing the CRL");
		goto out;
	}
	*out = crl;
	crl = NULL;
out:
	X509_REVOKED_free(rev);
	X509_EXTENSION_free(akid);
	ASN1_INTEGER_free(serial);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(prevnum);
	BN_free(bn);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return rc;
}

/* PEM text of `crl` in a new BIO (read its bytes with BIO_get_mem_data). */
static enum sluice_rc crl_pem(X509_CRL *crl, BIO **out, struct sluice_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	*out = NULL;
	if (bio == NULL || PEM_write_bio_X509_CRL(bio, crl) != 1) {
		BIO_free(bio);
		return x509_fail(err, "encoding the CRL");
	}
	*out = bio;
	return SLUICE_OK;
}

/* ---- devpki_init ------------------------------------------------------------------------- */

/* Every file devpki_init would write, so that it can refuse before writing anything. */
static enum sluice_rc check_absent(const char *dir, const char *name, const char *suffix,
                                   struct sluice_error *err)
{
	struct stat st;
	char *p = file_in(dir, name, suffix);
	enum sluice_rc rc = SLUICE_OK;

	if (lstat(p, &st) == 0)
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "key.exists", p, 0, 0,
		                    "already exists: refusing to overwrite it (use a new folder)");
	else if (errno != ENOENT)
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.stat", p, 0, 0, "cannot check: %s",
		                    strerror(errno));
	free(p);
	return rc;
}

static enum sluice_rc check_names(const char *const *names, size_t nnames,
                                  struct sluice_error *err)
{
	for (size_t i = 0; i < nnames; i++) {
		if (!devpki_name_ok(names[i]))
			return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
			                   "bad certificate name \"%.80s\": names match "
			                   "[a-z0-9][a-z0-9._-]{0,62}",
			                   names[i]);
		for (size_t r = 0; r < sizeof(reserved_names) / sizeof(reserved_names[0]); r++)
			if (strcmp(names[i], reserved_names[r]) == 0)
				return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
				                   "\"%s\" is reserved for the development "
				                   "PKI's own files",
				                   names[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
				                   "name \"%s\" given twice", names[i]);
	}
	return SLUICE_OK;
}

/* Writes `len` bytes to the new file DIR/NAME (mode `mode`) and records it in `made`. */
static enum sluice_rc write_new(const char *dir, const char *name, const void *p, size_t len,
                                mode_t mode, struct created *made, struct sluice_error *err)
{
	char *path = file_in(dir, name, "");
	enum sluice_rc rc = certs_write_new_file(path, p, len, mode, err);
	if (rc == SLUICE_OK)
		created_add(made, path);
	free(path);
	return rc;
}

enum sluice_rc devpki_init(const char *dir, const char *const *names, size_t nnames,
                           struct sluice_error *err)
{
	static const char *const own_files[][2] = {
		{"README", ".txt"},          {"serials", ".txt"},
		{"ca", ".key"},              {"ca", ".pem"},
		{"ca", ".crl"},              {"gateway-signing", ".key"},
		{"gateway-signing", ".pub"}, {"gateway-server", ".key"},
		{"gateway-server", ".pem"},  {"gateway-client", ".key"},
		{"gateway-client", ".pem"},  {"gateway-binding", ".key"},
		{"gateway-binding", ".pem"},
	};
	enum sluice_rc rc = SLUICE_OK;
	struct created made = {NULL, 0};
	struct text serials = {NULL, 0};
	EVP_PKEY *cakey = NULL;
	X509 *cacert = NULL;
	X509_CRL *crl = NULL;
	BIO *crlbio = NULL;
	char *priv = NULL, *pub = NULL, *san = NULL;
	char *crltext = NULL;
	long crllen;
	struct stat st;

	if ((rc = check_names(names, nnames, err)) != SLUICE_OK)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.mkdir", dir, 0, 0,
		                      "cannot create the folder: %s", strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.mkdir", dir, 0, 0,
		                      "not a folder");

	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++)
		if ((rc = check_absent(dir, own_files[i][0], own_files[i][1], err)) != SLUICE_OK)
			return rc;
	for (size_t i = 0; i < nnames; i++)
		if ((rc = check_absent(dir, names[i], ".key", err)) != SLUICE_OK ||
		    (rc = check_absent(dir, names[i], ".pem", err)) != SLUICE_OK)
			return rc;

	rc = write_new(dir, "README.txt", devpki_readme, strlen(devpki_readme), 0644, &made, err);
	if (rc != SLUICE_OK)
		goto out;

	rc = write_pair(dir, "ca", DEVPKI_CA_CN, CERT_CA, NULL, NULL, NULL, &made, NULL, &cakey,
	                &cacert, err);
	if (rc != SLUICE_OK)
		goto out;

	priv = file_in(dir, "gateway-signing", ".key");
	pub = file_in(dir, "gateway-signing", ".pub");
	rc = key_generate(priv, pub, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(&made, priv);
	created_add(&made, pub);

	text_appendf(&serials, "%s", serials_header);
	rc = write_pair(dir, "gateway-server", DEVPKI_GATEWAY_CN, CERT_SERVER, cacert, cakey,
	                DEVPKI_SERVER_SAN, &made, &serials, NULL, NULL, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = write_pair(dir, "gateway-client", DEVPKI_GATEWAY_CN, CERT_CLIENT, cacert, cakey,
	                DEVPKI_CLIENT_SAN, &made, &serials, NULL, NULL, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = write_pair(dir, "gateway-binding", DEVPKI_GATEWAY_CN, CERT_BINDING, cacert, cakey,
	                DEVPKI_CLIENT_SAN, &made, &serials, NULL, NULL, err);
	if (rc != SLUICE_OK)
		goto out;
	for (size_t i = 0; i < nnames; i++) {
		size_t n = strlen(names[i]) + 8;
		free(san);
		san = xmalloc(n);
		snprintf(san, n, "DNS:%s", names[i]);
		rc = write_pair(dir, names[i], names[i], CERT_CLIENT, cacert, cakey, san, &made,
		                &serials, NULL, NULL, err);
		if (rc != SLUICE_OK)
			goto out;
	}

	/* The CRL, empty for now, and the record of what was issued. */
	if ((rc = make_crl(cacert, cakey, NULL, NULL, &crl, err)) != SLUICE_OK ||
	    (rc = crl_pem(crl, &crlbio, err)) != SLUICE_OK)
		goto out;
	crllen = BIO_get_mem_data(crlbio, &crltext);
	if (crllen <= 0) {
		rc = x509_fail(err, "encoding the CRL");
		goto out;
	}
	rc = write_new(dir, "ca.crl", crltext, (size_t)crllen, 0644, &made, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = write_new(dir, "serials.txt", serials.p, serials.n, 0644, &made, err);
out:
	created_free(&made, rc != SLUICE_OK);
	free(serials.p);
	free(priv);
	free(pub);
	free(san);
	BIO_free(crlbio);
	X509_CRL_free(crl);
	EVP_PKEY_free(cakey);
	X509_free(cacert);
	return rc;
}

/* ---- devpki_revoke and devpki_refresh_crl ------------------------------------------------ */

/* One line "HEX NAME" of serials.txt (without its newline): true when it is well-formed, with
 * the space replaced by a NUL (so `line` is the serial) and *name pointing at the name. */
static bool serials_line(char *line, char **name)
{
	char *sp = strchr(line, ' ');
	size_t hexlen = sp != NULL ? (size_t)(sp - line) : 0;

	if (sp == NULL || hexlen < 1 || hexlen > 64 ||
	    strspn(line, "0123456789ABCDEF") != hexlen || !devpki_name_ok(sp + 1))
		return false;
	*sp = '\0';
	*name = sp + 1;
	return true;
}

/* Finds `name` in DIR/serials.txt and returns its serial. The file is parsed strictly: comment
 * lines start with '#', every other line is "HEX NAME" with exactly one space, a name at most
 * once. */
static enum sluice_rc serial_lookup(const char *dir, const char *name, ASN1_INTEGER **out,
                                    struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	char *path = file_in(dir, "serials", ".txt");
	uint8_t *buf = NULL;
	size_t len = 0;
	char *found = NULL;
	char *line_name = NULL;
	BIGNUM *bn = NULL;
	unsigned lineno = 0;

	*out = NULL;
	rc = file_read_bounded(path, DEVPKI_MAX_FILE, SLUICE_ERR_POLICY, &buf, &len, err);
	if (rc != SLUICE_OK)
		goto out;
	if (memchr(buf, '\0', len) != NULL || (len > 0 && buf[len - 1] != '\n')) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.serials", path, 0, 0,
		                    "holds a NUL byte or does not end with a newline");
		goto out;
	}
	for (char *line = (char *)buf; line < (char *)buf + len;) {
		char *eol = memchr(line, '\n', (size_t)((char *)buf + len - line));
		*eol = '\0';
		lineno++;
		line_name = NULL;
		if (line[0] != '#' && !serials_line(line, &line_name)) {
			rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.serials", path, lineno,
			                    1, "expected \"SERIAL NAME\" (uppercase hex, one space)");
			goto out;
		}
		if (line_name != NULL && strcmp(line_name, name) == 0) {
			if (found != NULL) {
				rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.serials", path,
				                    lineno, 1, "\"%s\" is listed twice", name);
				goto out;
			}
			found = line; /* serials_line ended the serial with a NUL */
		}
		line = eol + 1;
	}
	if (found == NULL) {
		rc = sluice_fail_at(err, SLUICE_ERR_USAGE, "devpki.unknown", path, 0, 0,
		                    "no certificate named \"%s\" was issued by this development CA",
		                    name);
		goto out;
	}
	if (BN_hex2bn(&bn, found) != (int)strlen(found) ||
	    (*out = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		rc = x509_fail(err, "decoding the serial number");
		goto out;
	}
out:
	BN_free(bn);
	free(buf);
	free(path);
	return rc;
}

/* Reads the first PEM certificate (or CRL, when `is_crl`) of DIR/NAME, bounded in size. */
static enum sluice_rc read_pem_object(const char *dir, const char *name, bool is_crl,
                                      X509 **cert, X509_CRL **crl, struct sluice_error *err)
{
	enum sluice_rc rc;
	char *path = file_in(dir, name, "");
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;

	rc = file_read_bounded(path, DEVPKI_MAX_FILE, SLUICE_ERR_POLICY, &buf, &len, err);
	if (rc != SLUICE_OK)
		goto out;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		rc = x509_fail(err, "reading PEM");
		goto out;
	}
	if (is_crl)
		*crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	else
		*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (is_crl ? *crl == NULL : *cert == NULL) {
		ERR_clear_error();
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.pem", path, 0, 0,
		                    "not a PEM %s", is_crl ? "CRL" : "certificate");
	}
out:
	BIO_free(bio);
	free(buf);
	free(path);
	return rc;
}

/* Loads the CA (ca.pem, ca.key: they must match) and its current CRL (ca.crl: issued and
 * signed by that CA). */
static enum sluice_rc load_ca_and_crl(const char *dir, X509 **ca, EVP_PKEY **cakey,
                                      X509_CRL **crl, struct sluice_error *err)
{
	enum sluice_rc rc;
	char *keypath = file_in(dir, "ca", ".key");
	char *crlpath = file_in(dir, "ca", ".crl");

	if ((rc = read_pem_object(dir, "ca.pem", false, ca, NULL, err)) != SLUICE_OK ||
	    (rc = key_load_private(keypath, cakey, err)) != SLUICE_OK ||
	    (rc = read_pem_object(dir, "ca.crl", true, NULL, crl, err)) != SLUICE_OK)
		goto out;
	if (X509_check_private_key(*ca, *cakey) != 1) {
		ERR_clear_error();
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.ca", keypath, 0, 0,
		                    "is not the key of ca.pem");
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(*crl), X509_get_subject_name(*ca)) != 0 ||
	    X509_CRL_verify(*crl, X509_get0_pubkey(*ca)) != 1) {
		ERR_clear_error();
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "devpki.crl", crlpath, 0, 0,
		                    "was not issued and signed by ca.pem: refusing to build on it");
		goto out;
	}
out:
	free(keypath);
	free(crlpath);
	return rc;
}

/* Replaces `path` atomically: a temporary file beside it (created O_EXCL, mode exactly
 * `mode`), fsync, rename, fsync of the folder. A reader (the daemon reloading its CRL) sees
 * the old file or the new one, never a part of either. */
static enum sluice_rc replace_file(const char *path, const void *p, size_t len, mode_t mode,
                                   struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n), *dir = NULL;
	int fd = -1, dfd = -1;

	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL, mode 0600 */
	if (fd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0,
		                    "cannot create a temporary file beside it: %s",
		                    strerror(errno));
		tmp[0] = '\0'; /* nothing to remove */
		goto out;
	}
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, p, len) != 0 || fsync(fd) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", tmp, 0, 0, "cannot write: %s",
		                    strerror(errno));
		goto out;
	}
	int closed = close(fd);
	fd = -1;
	if (closed != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", tmp, 0, 0, "cannot close: %s",
		                    strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0,
		                    "cannot rename %s over it: %s", tmp, strerror(errno));
		goto out;
	}
	dir = path_dirname(path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd); /* best effort: the rename is done either way */
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rc != SLUICE_OK && tmp[0] != '\0')
		unlink(tmp);
	free(dir);
	free(tmp);
	return rc;
}

/* Re-issues DIR/ca.crl with its earlier entries, plus NAME's serial when `name` is not NULL.
 * Holds an exclusive lock on the folder, so two runs cannot lose each other's revocation. */
static enum sluice_rc crl_update(const char *dir, const char *name, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	int dfd = -1;
	ASN1_INTEGER *serial = NULL;
	X509 *ca = NULL;
	EVP_PKEY *cakey = NULL;
	X509_CRL *crl = NULL, *next = NULL;
	X509_REVOKED *found = NULL;
	BIO *bio = NULL;
	char *path = file_in(dir, "ca", ".crl");
	char *data = NULL;
	long len;

	if (name != NULL && !devpki_name_ok(name)) {
		rc = sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
		                 "bad certificate name \"%.80s\": names match "
		                 "[a-z0-9][a-z0-9._-]{0,62}",
		                 name);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.open", dir, 0, 0,
		                    "cannot open the folder: %s", strerror(errno));
		goto out;
	}
	if (flock(dfd, LOCK_EX) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.lock", dir, 0, 0,
		                    "cannot lock the folder: %s", strerror(errno));
		goto out;
	}
	if (name != NULL && (rc = serial_lookup(dir, name, &serial, err)) != SLUICE_OK)
		goto out;
	if ((rc = load_ca_and_crl(dir, &ca, &cakey, &crl, err)) != SLUICE_OK)
		goto out;
	if (serial != NULL && X509_CRL_get0_by_serial(crl, &found, serial) > 0) {
		char *hex = serial_hex(serial);
		rc = sluice_fail_at(err, SLUICE_ERR_USAGE, "devpki.already-revoked", path, 0, 0,
		                    "\"%s\" (serial %s) is already revoked", name,
		                    hex != NULL ? hex : "?");
		free(hex);
		goto out;
	}
	if ((rc = make_crl(ca, cakey, crl, serial, &next, err)) != SLUICE_OK ||
	    (rc = crl_pem(next, &bio, err)) != SLUICE_OK)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		rc = x509_fail(err, "encoding the CRL");
		goto out;
	}
	rc = replace_file(path, data, (size_t)len, 0644, err);
out:
	if (dfd >= 0)
		close(dfd); /* releases the lock */
	BIO_free(bio);
	X509_CRL_free(next);
	X509_CRL_free(crl);
	EVP_PKEY_free(cakey);
	X509_free(ca);
	ASN1_INTEGER_free(serial);
	free(path);
	return rc;
}

enum sluice_rc devpki_revoke(const char *dir, const char *name, struct sluice_error *err)
{
	if (name == NULL)
		return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name", "no name to revoke");
	return crl_update(dir, name, err);
}

enum sluice_rc devpki_refresh_crl(const char *dir, struct sluice_error *err)
{
	return crl_update(dir, NULL, err);
}
