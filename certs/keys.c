/*
 * Keys and signatures: Ed25519 only (SPEC section 6).
 *
 * Trust: key files are configuration written by an administrator, but they are still parsed as
 * untrusted bytes: read into a bounded buffer, decoded by OpenSSL, refused unless the result is
 * an Ed25519 key. Every buffer that held private key material (the PEM text read from disk,
 * the PEM text written to disk) is wiped with OPENSSL_cleanse before it is freed; the key
 * itself lives in an EVP_PKEY, which OpenSSL wipes when it is freed.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"

/* A PEM key file is a few hundred bytes; anything past this is not a key file. */
#define KEY_FILE_MAX (64 * 1024)

/* The last OpenSSL error's reason, for messages; clears the error queue. */
static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "no PEM data found";
}

/* Reads a key file into a fixed-size heap buffer that is wiped by key_buf_free. Never grows
 * (no realloc), so no copy of the bytes is left behind in freed memory. */
static enum sluice_rc key_file_read(const char *path, uint8_t **out, size_t *outlen,
                                    struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd = -1;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "key.open", path, 0, 0,
		                    "cannot open key file: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "key.open", path, 0, 0,
		                    "not a regular file");
		goto out;
	}
	buf = xmalloc(KEY_FILE_MAX + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = sluice_fail_at(err, SLUICE_ERR_IO, "key.read", path, 0, 0,
			                    "cannot read key file: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KEY_FILE_MAX) {
			rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "key.pem", path, 0, 0,
			                    "not a key file: larger than %d bytes", KEY_FILE_MAX);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static void key_buf_free(uint8_t *buf)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
	free(buf);
}

/* Encrypted keys are not supported: the callback refuses instead of prompting a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static bool is_ed25519(EVP_PKEY *key)
{
	return key != NULL && EVP_PKEY_is_a(key, "ED25519");
}

static enum sluice_rc check_ed25519(EVP_PKEY *key, const char *path, struct sluice_error *err)
{
	if (is_ed25519(key))
		return SLUICE_OK;
	const char *name = key != NULL ? EVP_PKEY_get0_type_name(key) : NULL;
	return sluice_fail_at(err, SLUICE_ERR_POLICY, "key.type", path, 0, 0,
	                      "not an Ed25519 key (found %s)", name != NULL ? name : "unknown type");
}

enum sluice_rc key_load_private(const char *path, EVP_PKEY **out, struct sluice_error *err)
{
	enum sluice_rc rc = key_load_private_any(path, out, err);
	if (rc == SLUICE_OK && (rc = check_ed25519(*out, path, err)) != SLUICE_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return rc;
}

enum sluice_rc key_load_private_any(const char *path, EVP_PKEY **out, struct sluice_error *err)
{
	enum sluice_rc rc;
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;

	*out = NULL;
	rc = key_file_read(path, &buf, &len, err);
	if (rc != SLUICE_OK)
		goto out;
	if (strstr((const char *)buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "key.pem", path, 0, 0,
		                    "encrypted private keys are not supported");
		goto out;
	}
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "key.internal", "BIO_new_mem_buf failed");
		goto out;
	}
	ERR_clear_error();
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (key == NULL) {
		const char *why = openssl_reason();
		if (strstr((const char *)buf, "-----BEGIN PUBLIC KEY-----") != NULL)
			why = "this is a public key; a private key (PKCS#8 PEM) is needed";
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "key.pem", path, 0, 0,
		                    "not a PEM private key: %s", why);
		goto out;
	}
	*out = key;
	key = NULL;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	key_buf_free(buf);
	return rc;
}

enum sluice_rc key_load_public(const char *path, EVP_PKEY **out, struct sluice_error *err)
{
	enum sluice_rc rc;
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;

	*out = NULL;
	rc = key_file_read(path, &buf, &len, err);
	if (rc != SLUICE_OK)
		goto out;
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "key.internal", "BIO_new_mem_buf failed");
		goto out;
	}
	ERR_clear_error();
	key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (key == NULL) {
		const char *why = openssl_reason();
		if (strstr((const char *)buf, "PRIVATE KEY-----") != NULL)
			why = "this is a private key; give its public key (openssl pkey -pubout)";
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "key.pem", path, 0, 0,
		                    "not a PEM public key: %s", why);
		goto out;
	}
	rc = check_ed25519(key, path, err);
	if (rc != SLUICE_OK)
		goto out;
	*out = key;
	key = NULL;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	key_buf_free(buf);
	return rc;
}

enum sluice_rc key_new_ed25519(EVP_PKEY **out, struct sluice_error *err)
{
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (*out == NULL) {
		ERR_clear_error();
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "key.generate",
		                   "cannot generate an Ed25519 key");
	}
	return SLUICE_OK;
}

enum sluice_rc certs_write_new_file(const char *path, const void *p, size_t len, mode_t mode,
                                    struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return sluice_fail_at(err, SLUICE_ERR_IO, "key.exists", path, 0, 0,
			                      "already exists: refusing to overwrite it");
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0,
		                      "cannot create: %s", strerror(errno));
	}
	/* The umask may only have removed bits; set exactly the mode asked for. */
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, p, len) != 0 || fsync(fd) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0, "cannot write: %s",
		                    strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	if (close(fd) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0, "cannot close: %s",
		                    strerror(errno));
		unlink(path);
		return rc;
	}
	path_fsync_parent(path);
	return SLUICE_OK;
}

enum sluice_rc key_write_private(EVP_PKEY *key, const char *path, struct sluice_error *err)
{
	if (!is_ed25519(key))
		return check_ed25519(key, path, err);
	return key_write_private_any(key, path, err);
}

enum sluice_rc key_write_private_any(EVP_PKEY *key, const char *path, struct sluice_error *err)
{
	enum sluice_rc rc;
	BIO *bio = NULL;
	char *data = NULL;
	long len;

	/* A secure-memory BIO: its buffer is wiped when it is freed or grown. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		ERR_clear_error();
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "key.encode", path, 0, 0,
		                    "cannot encode the private key as PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "key.encode", path, 0, 0,
		                    "cannot encode the private key as PEM");
		goto out;
	}
	rc = certs_write_new_file(path, data, (size_t)len, 0600, err);
	OPENSSL_cleanse(data, (size_t)len);
out:
	BIO_free(bio);
	return rc;
}

enum sluice_rc key_write_public(EVP_PKEY *key, const char *path, struct sluice_error *err)
{
	enum sluice_rc rc;
	BIO *bio = NULL;
	char *data = NULL;
	long len;

	if (!is_ed25519(key))
		return check_ed25519(key, path, err);
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key)) {
		ERR_clear_error();
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "key.encode", path, 0, 0,
		                    "cannot encode the public key as PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "key.encode", path, 0, 0,
		                    "cannot encode the public key as PEM");
		goto out;
	}
	rc = certs_write_new_file(path, data, (size_t)len, 0644, err);
out:
	BIO_free(bio);
	return rc;
}

enum sluice_rc key_generate(const char *private_path, const char *public_path,
                            struct sluice_error *err)
{
	enum sluice_rc rc;
	EVP_PKEY *key = NULL;
	struct stat st;

	/* Refuse before creating anything when either file is already there. */
	if (lstat(private_path, &st) == 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "key.exists", private_path, 0, 0,
		                      "already exists: refusing to overwrite it");
	if (lstat(public_path, &st) == 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "key.exists", public_path, 0, 0,
		                      "already exists: refusing to overwrite it");
	rc = key_new_ed25519(&key, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = key_write_private(key, private_path, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = key_write_public(key, public_path, err);
	if (rc != SLUICE_OK) {
		/* We created the private key file just now: do not leave half a pair. */
		unlink(private_path);
		goto out;
	}
out:
	EVP_PKEY_free(key);
	return rc;
}

enum sluice_rc key_id_hex(EVP_PKEY *key, char out[SHA256_HEX_LEN], struct sluice_error *err)
{
	unsigned char *der = NULL;
	int n;

	out[0] = '\0';
	if (key == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "key.id", "no key");
	n = i2d_PUBKEY(key, &der);
	if (n <= 0 || der == NULL) {
		ERR_clear_error();
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "key.id",
		                   "cannot encode the public key as DER");
	}
	sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
	return SLUICE_OK;
}

enum sluice_rc signature_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64],
                              struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = 64;

	if (!is_ed25519(key))
		return check_ed25519(key, "", err);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != 64) {
		ERR_clear_error();
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "key.sign", "Ed25519 signing failed");
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

bool signature_verify(EVP_PKEY *pub, const void *msg, size_t len, const uint8_t *sig,
                      size_t siglen)
{
	EVP_MD_CTX *ctx = NULL;
	bool ok = false;

	if (!is_ed25519(pub) || sig == NULL || siglen != 64)
		return false;
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return ok;
}

void sha256_bytes(const void *p, size_t n, uint8_t out[32])
{
	unsigned int outlen = 0;
	static const uint8_t empty = 0;

	if (p == NULL)
		p = &empty; /* SHA-256 of nothing; OpenSSL wants a pointer */
	if (EVP_Digest(p, n, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != 32)
		SLUICE_BUG("EVP_Digest(SHA-256) failed");
}

void sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN])
{
	uint8_t d[32];
	sha256_bytes(p, n, d);
	hex_encode(d, sizeof(d), out);
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const uint8_t *p, size_t n)
{
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		SLUICE_BUG("base64_encode: input too large");
	size_t outlen = (n + 2) / 3 * 4;
	char *out = xmalloc(outlen + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict: length a multiple of 4, only the standard alphabet, '=' only as the last one or two
 * characters, and the bits that padding leaves unused must be zero (so every byte string has
 * exactly one accepted encoding). The empty string decodes to zero bytes. */
int base64_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(s), pad = 0, o = 0;
	uint8_t *buf;

	*out = NULL;
	*outlen = 0;
	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	buf = xmalloc(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		bool last = i + 4 == n;
		for (int k = 0; k < 4; k++) {
			bool padpos = last && (size_t)k >= 4 - pad;
			v[k] = padpos ? (s[i + (size_t)k] == '=' ? 0 : -1) : b64_value(s[i + (size_t)k]);
			if (v[k] < 0) {
				free(buf);
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		if (last && pad == 2 && (w & 0xffff) != 0) {
			free(buf);
			return -1;
		}
		if (last && pad == 1 && (w & 0xff) != 0) {
			free(buf);
			return -1;
		}
		buf[o++] = (uint8_t)(w >> 16);
		if (!(last && pad == 2))
			buf[o++] = (uint8_t)(w >> 8);
		if (!(last && pad >= 1))
			buf[o++] = (uint8_t)w;
	}
	*out = buf;
	*outlen = o;
	return 0;
}
