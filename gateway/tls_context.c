#include "tls_context.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fileio.h"

/* TLS 1.2: forward secrecy (ECDHE) with an AEAD only. TLS 1.3 keeps OpenSSL's default suites
 * (all AEAD). Ed25519 certificates, as the development PKI makes, use the ECDSA suites. */
static const char tls12_ciphers[] =
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

static enum sluice_rc read_one(const char *path, struct tls_file *f, struct sluice_error *err)
{
	uint8_t *data;
	size_t len;
	f->path = xstrdup(path);
	if (file_read_bounded(path, TLS_FILE_MAX_BYTES, SLUICE_ERR_POLICY, &data, &len, err) !=
	    SLUICE_OK) {
		char why[sizeof(err->message)];
		snprintf(why, sizeof(why), "%s", err->message);
		return sluice_fail(err, SLUICE_ERR_POLICY, "config.tls", "tls: %s: %s", path, why);
	}
	f->pem = data;
	f->len = len;
	return SLUICE_OK;
}

static enum sluice_rc load_files(const char *certificate, const char *key, const char *ca,
                                 const char *crl, struct tls_material *out,
                                 struct sluice_error *err)
{
	memset(out, 0, sizeof(*out));
	if (read_one(certificate, &out->certificate, err) != SLUICE_OK ||
	    read_one(key, &out->key, err) != SLUICE_OK ||
	    read_one(ca, &out->client_ca, err) != SLUICE_OK ||
	    (crl != NULL && read_one(crl, &out->crl, err) != SLUICE_OK)) {
		tls_material_free(out);
		return err->rc;
	}
	return SLUICE_OK;
}

enum sluice_rc tls_material_load(const struct sluiced_tls *t, struct tls_material *out,
                                 struct sluice_error *err)
{
	return load_files(t->certificate, t->key, t->client_ca, t->crl, out, err);
}

enum sluice_rc tls_forward_material_load(const struct sluiced_forward *f,
                                         struct tls_material *out, struct sluice_error *err)
{
	return load_files(f->certificate, f->key, f->ca, NULL, out, err);
}

static void file_free(struct tls_file *f, int secret)
{
	if (f->pem != NULL && secret)
		OPENSSL_cleanse(f->pem, f->len);
	free(f->pem);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

void tls_material_free(struct tls_material *m)
{
	file_free(&m->certificate, 0);
	file_free(&m->key, 1);
	file_free(&m->client_ca, 0);
	file_free(&m->crl, 0);
}

/* The rule for every failure here: the file at fault and OpenSSL's reason. */
static enum sluice_rc fail(struct sluice_error *err, const char *what, const char *path)
{
	char why[256] = "no usable PEM data";
	unsigned long e = ERR_peek_last_error();
	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return sluice_fail(err, SLUICE_ERR_POLICY, "config.tls", "tls: %s %s: %s", what,
	                   path ? path : "", why);
}

static BIO *mem_bio(const struct tls_file *f)
{
	return BIO_new_mem_buf(f->pem, (int)f->len);
}

/* The certificate then its chain, as SSL_CTX_use_certificate_chain_file reads a file. */
static enum sluice_rc use_chain(SSL_CTX *ctx, const struct tls_file *f, struct sluice_error *err)
{
	BIO *bio = mem_bio(f);
	X509 *leaf = bio ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : NULL;
	if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1) {
		X509_free(leaf);
		BIO_free(bio);
		return fail(err, "cannot use the certificate", f->path);
	}
	X509_free(leaf);
	X509 *ca;
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			BIO_free(bio);
			return fail(err, "cannot use the chain in", f->path);
		}
	BIO_free(bio);
	ERR_clear_error(); /* the end of the data reads as "no start line" */
	return SLUICE_OK;
}

static enum sluice_rc use_key(SSL_CTX *ctx, const struct tls_file *f, struct sluice_error *err)
{
	BIO *bio = mem_bio(f);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		EVP_PKEY_free(key);
		return fail(err, "cannot use the key", f->path);
	}
	EVP_PKEY_free(key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return fail(err, "the key does not match the certificate; key", f->path);
	return SLUICE_OK;
}

/* Every certificate of the CA file is trusted (and, on the server, named to clients as the
 * acceptable issuers); the system's trust store is never used. */
static enum sluice_rc use_ca(SSL_CTX *ctx, const struct tls_file *f, bool name_to_clients,
                             struct sluice_error *err)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio = mem_bio(f);
	X509 *ca;
	int n = 0;
	if (bio == NULL)
		return fail(err, "cannot read the client CA", f->path);
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		int ok = X509_STORE_add_cert(store, ca) == 1 &&
		         (!name_to_clients || SSL_CTX_add_client_CA(ctx, ca) == 1);
		X509_free(ca);
		if (!ok) {
			BIO_free(bio);
			return fail(err, "cannot use the client CA", f->path);
		}
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		return fail(err, "no CA certificate in", f->path);
	return SLUICE_OK;
}

static enum sluice_rc use_crl(SSL_CTX *ctx, const struct tls_file *f, int *stale,
                              struct sluice_error *err)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio = mem_bio(f);
	X509_CRL *crl;
	int n = 0;
	if (bio == NULL)
		return fail(err, "cannot read the CRL", f->path);
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
		if (next == NULL || X509_cmp_current_time(next) < 0)
			*stale = 1;
		int added = X509_STORE_add_crl(store, crl);
		X509_CRL_free(crl);
		if (added != 1) {
			BIO_free(bio);
			return fail(err, "cannot use the CRL", f->path);
		}
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		return fail(err, "no CRL in", f->path);
	/* Leaf certificates are checked; a CA in the bundle without a CRL would make every
	 * client fail with "unable to get certificate CRL", which is the safe side. */
	if (X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK) != 1)
		return fail(err, "cannot enable CRL checking for", f->path);
	return SLUICE_OK;
}

/* What both ends share: TLS 1.2 or 1.3 with the suites above, no compression, renegotiation,
 * tickets or session cache, our certificate chain and key. NULL with `err` set on failure. */
static SSL_CTX *context_base(const SSL_METHOD *method, long extra_options,
                             const struct tls_material *m, struct sluice_error *err)
{
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(method);
	if (ctx == NULL) {
		fail(err, "cannot create a TLS context for", m->certificate.path);
		return NULL;
	}
	enum sluice_rc rc = SLUICE_OK;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1)
		rc = fail(err, "cannot set the TLS versions and ciphers for", m->certificate.path);
	if (rc == SLUICE_OK) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
		                         SSL_OP_NO_TICKET | (uint64_t)extra_options);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		rc = use_chain(ctx, &m->certificate, err);
	}
	if (rc == SLUICE_OK)
		rc = use_key(ctx, &m->key, err);
	if (rc != SLUICE_OK) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

enum sluice_rc tls_server_context_new(const struct tls_material *m,
                                      int (*verify_cb)(int, X509_STORE_CTX *), SSL_CTX **out,
                                      int *crl_stale, struct sluice_error *err)
{
	*out = NULL;
	*crl_stale = 0;
	SSL_CTX *ctx = context_base(TLS_server_method(), (long)SSL_OP_CIPHER_SERVER_PREFERENCE, m,
	                            err);
	if (ctx == NULL)
		return err->rc;
	enum sluice_rc rc = use_ca(ctx, &m->client_ca, true, err);
	if (rc == SLUICE_OK && m->crl.pem != NULL)
		rc = use_crl(ctx, &m->crl, crl_stale, err);
	if (rc == SLUICE_OK &&
	    X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx), X509_PURPOSE_SSL_CLIENT) != 1)
		rc = fail(err, "cannot require TLS client certificates for", m->client_ca.path);
	if (rc != SLUICE_OK) {
		SSL_CTX_free(ctx);
		return rc;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	*out = ctx;
	return SLUICE_OK;
}

enum sluice_rc tls_client_context_new(const struct tls_material *m, SSL_CTX **out,
                                      struct sluice_error *err)
{
	*out = NULL;
	SSL_CTX *ctx = context_base(TLS_client_method(), 0, m, err);
	if (ctx == NULL)
		return err->rc;
	/* The destination's server certificate must chain to `ca`, and only to it. */
	enum sluice_rc rc = use_ca(ctx, &m->client_ca, false, err);
	if (rc == SLUICE_OK &&
	    X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx), X509_PURPOSE_SSL_SERVER) != 1)
		rc = fail(err, "cannot require a TLS server certificate for", m->client_ca.path);
	if (rc != SLUICE_OK) {
		SSL_CTX_free(ctx);
		return rc;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	*out = ctx;
	return SLUICE_OK;
}

int tls_client_expect_host(SSL *ssl, const char *host)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	return is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
	             : SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
}

int tls_write_all(SSL *ssl, const void *data, size_t len)
{
	const char *c = data;
	while (len > 0) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		int n = SSL_write(ssl, c, chunk);
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}
