#include "binding_sign.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "fileio.h"
#include "keys.h"

#define CERT_MAX_BYTES (64u * 1024)

void binding_signer_free(struct binding_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->cert_der);
	memset(s, 0, sizeof(*s));
}

static enum sluice_rc bad_key(struct sluice_error *err, const char *path, const char *why)
{
	return sluice_fail_at(err, SLUICE_ERR_POLICY, "binding.key", path, 0, 0, "%s", why);
}

enum sluice_rc binding_signer_load(const char *key_path, const char *cert_path,
                                   struct binding_signer *out, struct sluice_error *err)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	enum sluice_rc rc;

	memset(out, 0, sizeof(*out));
	rc = key_load_private_any(key_path, &out->key, err);
	if (rc != SLUICE_OK)
		return rc;
	switch (EVP_PKEY_get_base_id(out->key)) {
	case EVP_PKEY_EC: {
		char group[64] = "";
		size_t glen = 0;
		if (EVP_PKEY_get_utf8_string_param(out->key, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0)) {
			rc = bad_key(err, key_path, "an EC binding key must be on P-256 or P-384");
			goto out;
		}
		out->alg = S4778_ECDSA_SHA256;
		break;
	}
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(out->key) < 2048) {
			rc = bad_key(err, key_path, "an RSA binding key must have 2048 bits or more");
			goto out;
		}
		out->alg = S4778_RSA_SHA256;
		break;
	default:
		rc = bad_key(err, key_path,
		             "the ADatP-4778.2 profile signs with ECDSA or RSA: the binding key must be "
		             "an EC (P-256, P-384) or RSA key");
		goto out;
	}
	rc = file_read_bounded(cert_path, CERT_MAX_BYTES, SLUICE_ERR_POLICY, &pem, &len, err);
	if (rc != SLUICE_OK)
		goto out;
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "binding.cert", cert_path, 0, 0,
		                    "not a PEM X.509 certificate");
		goto out;
	}
	if (X509_check_private_key(cert, out->key) != 1) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "binding.cert", cert_path, 0, 0,
		                    "the certificate is not the binding key's (%s)", key_path);
		goto out;
	}
	int n = i2d_X509(cert, &der);
	if (n <= 0) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.cert", "cannot encode the certificate");
		goto out;
	}
	out->cert_der = xmalloc((size_t)n);
	memcpy(out->cert_der, der, (size_t)n);
	out->cert_len = (size_t)n;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(cert);
	BIO_free(bio);
	free(pem);
	if (rc != SLUICE_OK)
		binding_signer_free(out);
	return rc;
}

void binding_placeholder(char out[S4778_PLACEHOLDER_LEN + 1])
{
	unsigned char r[S4778_PLACEHOLDER_LEN / 2];
	static const char hex[] = "0123456789abcdef";
	if (RAND_bytes(r, sizeof(r)) != 1)
		SLUICE_BUG("the OpenSSL random generator failed");
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[S4778_PLACEHOLDER_LEN] = '\0';
}

/* XML-DSig wants an ECDSA signature as r || s, each as long as the group order (RFC 4050
 * section 3.3); OpenSSL gives DER. */
static bool ecdsa_raw(const unsigned char *der, size_t derlen, size_t half, unsigned char *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	bool ok = sig != NULL &&
	          BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, (int)half) == (int)half &&
	          BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + half, (int)half) == (int)half;
	ECDSA_SIG_free(sig);
	return ok;
}

#define SIGNED_INFO_START "<ds:SignedInfo xmlns:ds=\"" XMLDSIG_NAMESPACE "\">"
#define SIGNED_INFO_END "</ds:SignedInfo>"

static bool has_bytes(const uint8_t *data, size_t len, const char *needle, size_t from)
{
	size_t nlen = strlen(needle);
	for (size_t i = from; i + nlen <= len; i++)
		if (memcmp(data + i, needle, nlen) == 0)
			return true;
	return false;
}

bool binding_signed_info_ok(const uint8_t *data, size_t len, char *why, size_t whylen)
{
	const size_t start = strlen(SIGNED_INFO_START), end = strlen(SIGNED_INFO_END);
	const char *problem = NULL;
	if (len > BINDING_SIGNED_INFO_MAX)
		problem = "longer than any SignedInfo of a binding";
	else if (len < start + end || memcmp(data, SIGNED_INFO_START, start) != 0)
		problem = "does not start with the canonical ds:SignedInfo start tag";
	else if (memcmp(data + len - end, SIGNED_INFO_END, end) != 0)
		problem = "does not end with the ds:SignedInfo end tag";
	else if (memchr(data, '\0', len) != NULL)
		problem = "holds a NUL byte";
	else if (has_bytes(data, len - end, "<ds:SignedInfo", 1))
		problem = "holds a second ds:SignedInfo";
	if (problem == NULL)
		return true;
	snprintf(why, whylen, "not a canonical SignedInfo: %s", problem);
	return false;
}

enum sluice_rc binding_signature(const struct binding_signer *s, const uint8_t *signed_info,
                                 size_t signed_info_len, char **signature_b64,
                                 struct sluice_error *err)
{
	char why[128];
	*signature_b64 = NULL;
	if (!binding_signed_info_ok(signed_info, signed_info_len, why, sizeof(why)))
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.signed-info", "%s", why);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL, *raw = NULL;
	size_t siglen = 0;
	bool ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) == 1 &&
	          EVP_DigestSign(md, NULL, &siglen, signed_info, signed_info_len) == 1 &&
	          (sig = OPENSSL_malloc(siglen)) != NULL &&
	          EVP_DigestSign(md, sig, &siglen, signed_info, signed_info_len) == 1;
	const unsigned char *value = sig;
	size_t valuelen = siglen;
	if (ok && s->alg == S4778_ECDSA_SHA256) {
		size_t half = (size_t)(EVP_PKEY_get_bits(s->key) + 7) / 8;
		raw = OPENSSL_malloc(2 * half);
		ok = raw != NULL && ecdsa_raw(sig, siglen, half, raw);
		value = raw;
		valuelen = 2 * half;
	}
	if (ok)
		*signature_b64 = base64_encode(value, valuelen);
	EVP_MD_CTX_free(md);
	OPENSSL_free(sig);
	OPENSSL_free(raw);
	ERR_clear_error();
	if (!ok) {
		free(*signature_b64);
		*signature_b64 = NULL;
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.sign",
		                   "signing the ADatP-4778 binding failed");
	}
	return SLUICE_OK;
}

static bool is_base64(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' || s[i] == '='))
			return false;
	return len > 0;
}

enum sluice_rc binding_fill_placeholder(const char *placeholder, const char *signature_b64,
                                        uint8_t **report, size_t *report_len,
                                        struct sluice_error *err)
{
	char needle[S4778_PLACEHOLDER_LEN + 3];
	const uint8_t *at = NULL;
	size_t found = 0, plen = strlen(placeholder), blen = strlen(signature_b64);

	if (plen != S4778_PLACEHOLDER_LEN)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.placeholder",
		                   "a signature placeholder of %zu characters (%d expected)", plen,
		                   S4778_PLACEHOLDER_LEN);
	if (blen > BINDING_SIGNATURE_B64_MAX || !is_base64(signature_b64, blen))
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.signature",
		                   "the binding signature is not base64 of a sensible length");
	snprintf(needle, sizeof(needle), ">%s<", placeholder);
	size_t nlen = strlen(needle);
	for (size_t i = 0; i + nlen <= *report_len; i++)
		if (memcmp(*report + i, needle, nlen) == 0) {
			at = *report + i;
			found++;
		}
	if (found != 1)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.placeholder",
		                   "the filter's answer holds the signature placeholder %zu times "
		                   "(once expected): not signed", found);
	size_t head = (size_t)(at - *report) + 1;
	size_t tail = *report_len - head - S4778_PLACEHOLDER_LEN;
	uint8_t *out = xmalloc(head + blen + tail + 1);
	memcpy(out, *report, head);
	memcpy(out + head, signature_b64, blen);
	memcpy(out + head + blen, *report + head + S4778_PLACEHOLDER_LEN, tail);
	out[head + blen + tail] = '\0';
	free(*report);
	*report = out;
	*report_len = head + blen + tail;
	return SLUICE_OK;
}

enum sluice_rc binding_sign_report(const struct binding_signer *s, const uint8_t *signed_info,
                                   size_t signed_info_len, const char *placeholder,
                                   uint8_t **report, size_t *report_len,
                                   struct sluice_error *err)
{
	char *signature_b64 = NULL;
	enum sluice_rc rc = binding_signature(s, signed_info, signed_info_len, &signature_b64, err);
	if (rc == SLUICE_OK)
		rc = binding_fill_placeholder(placeholder, signature_b64, report, report_len, err);
	free(signature_b64);
	return rc;
}
