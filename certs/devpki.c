/*
 * The development PKI (see devpki.h): a throw-away CA, leaf certificates for local TLS, and the
 * gateway's signing pair, so that Sluice can be tried without an organisation's PKI.
 *
 * Trust: touches no hostile data (names come from the administrator's command line and are
 * checked against a strict pattern before they become file names). Writes private keys, so
 * every file is created with O_EXCL | O_NOFOLLOW and exact modes, nothing is ever overwritten,
 * and PEM text of private keys is wiped (keys.c).
 */
#include "devpki.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define DEVPKI_CA_CN "Sluice development CA - NOT FOR PRODUCTION"

static const char devpki_readme[] =
	"Sluice development PKI - NOT FOR PRODUCTION\n"
	"============================================\n"
	"\n"
	"Everything in this folder was made by `sluice certs init-dev` for development and\n"
	"testing only. The CA key sits in the same folder as the certificates it signed, the keys\n"
	"are not protected by any passphrase or hardware, and nobody vouches for these\n"
	"identities. Never use them to guard real traffic or to sign real receipts.\n"
	"\n"
	"  ca.key / ca.pem                      development CA (Ed25519, 365 days)\n"
	"  gateway-signing.key / .pub           signs receipts and audit-log checkpoints\n"
	"  NAME.key / NAME.pem                  TLS leaf for NAME (SAN NAME, localhost,\n"
	"                                       127.0.0.1; serverAuth, clientAuth)\n"
	"\n"
	"Check a leaf:   openssl verify -CAfile ca.pem NAME.pem\n"
	"Key id:         openssl pkey -pubin -in gateway-signing.pub -outform DER | sha256sum\n";

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

static enum sluice_rc x509_fail(struct sluice_error *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return sluice_fail(err, SLUICE_ERR_INTERNAL, "devpki.x509", "%s failed%s%s", what,
	                   r != NULL ? ": " : "", r != NULL ? r : "");
}

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

/* A certificate for `key` named `cn`, signed by `issuer_key` (self-signed when `issuer` is
 * NULL). `san` is a subjectAltName value for a leaf, NULL for the CA. */
static enum sluice_rc make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                                EVP_PKEY *issuer_key, const char *san, X509 **out,
                                struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	bool ca = issuer == NULL;

	*out = NULL;
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
	else
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
		     add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") &&
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

static char *file_in(const char *dir, const char *name, const char *suffix)
{
	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s%s", dir, name, suffix);
	return p;
}

/* Writes NAME.key and NAME.pem: a new key and a certificate for it. */
static enum sluice_rc write_pair(const char *dir, const char *name, const char *cn,
                                 X509 *issuer, EVP_PKEY *issuer_key, const char *san,
                                 struct created *made, EVP_PKEY **key_out, X509 **cert_out,
                                 struct sluice_error *err)
{
	enum sluice_rc rc;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *keypath = file_in(dir, name, ".key"), *pempath = file_in(dir, name, ".pem");

	rc = key_new_ed25519(&key, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = make_cert(key, cn, issuer, issuer != NULL ? issuer_key : key, san, &cert, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = key_write_private(key, keypath, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(made, keypath);
	rc = write_cert(cert, pempath, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(made, pempath);
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
	free(keypath);
	free(pempath);
	return rc;
}

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

enum sluice_rc devpki_init(const char *dir, const char *const *names, size_t nnames,
                           struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	struct created made = {NULL, 0};
	EVP_PKEY *cakey = NULL;
	X509 *cacert = NULL;
	char *path = NULL;
	struct stat st;

	for (size_t i = 0; i < nnames; i++) {
		if (!devpki_name_ok(names[i]))
			return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
			                   "bad certificate name \"%.80s\": names match "
			                   "[a-z0-9][a-z0-9._-]{0,62}",
			                   names[i]);
		if (strcmp(names[i], "ca") == 0 || strcmp(names[i], "gateway-signing") == 0)
			return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
			                   "\"%s\" is reserved for the development PKI's own files",
			                   names[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return sluice_fail(err, SLUICE_ERR_USAGE, "devpki.name",
				                   "name \"%s\" given twice", names[i]);
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.mkdir", dir, 0, 0,
		                      "cannot create the folder: %s", strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.mkdir", dir, 0, 0,
		                      "not a folder");

	if ((rc = check_absent(dir, "ca", ".key", err)) != SLUICE_OK ||
	    (rc = check_absent(dir, "ca", ".pem", err)) != SLUICE_OK ||
	    (rc = check_absent(dir, "gateway-signing", ".key", err)) != SLUICE_OK ||
	    (rc = check_absent(dir, "gateway-signing", ".pub", err)) != SLUICE_OK ||
	    (rc = check_absent(dir, "README", ".txt", err)) != SLUICE_OK)
		return rc;
	for (size_t i = 0; i < nnames; i++)
		if ((rc = check_absent(dir, names[i], ".key", err)) != SLUICE_OK ||
		    (rc = check_absent(dir, names[i], ".pem", err)) != SLUICE_OK)
			return rc;

	path = file_in(dir, "README", ".txt");
	rc = certs_write_new_file(path, devpki_readme, strlen(devpki_readme), 0644, err);
	if (rc != SLUICE_OK)
		goto out;
	created_add(&made, path);
	free(path);
	path = NULL;

	rc = write_pair(dir, "ca", DEVPKI_CA_CN, NULL, NULL, NULL, &made, &cakey, &cacert, err);
	if (rc != SLUICE_OK)
		goto out;

	char *priv = file_in(dir, "gateway-signing", ".key");
	char *pub = file_in(dir, "gateway-signing", ".pub");
	rc = key_generate(priv, pub, err);
	if (rc == SLUICE_OK) {
		created_add(&made, priv);
		created_add(&made, pub);
	}
	free(priv);
	free(pub);
	if (rc != SLUICE_OK)
		goto out;

	for (size_t i = 0; i < nnames; i++) {
		size_t n = 2 * strlen(names[i]) + 64;
		char *san = xmalloc(n);
		if (strcmp(names[i], "localhost") == 0)
			snprintf(san, n, "DNS:localhost,IP:127.0.0.1");
		else
			snprintf(san, n, "DNS:%s,DNS:localhost,IP:127.0.0.1", names[i]);
		rc = write_pair(dir, names[i], names[i], cacert, cakey, san, &made, NULL, NULL, err);
		free(san);
		if (rc != SLUICE_OK)
			goto out;
	}
out:
	free(path);
	created_free(&made, rc != SLUICE_OK);
	EVP_PKEY_free(cakey);
	X509_free(cacert);
	return rc;
}
