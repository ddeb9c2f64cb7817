/*
 * The trusted half of the signed ADatP-4778 binding (filters/s4778_binding.h): the binding key
 * and certificate, signing the canonical SignedInfo the filter returned, and putting the
 * signature in the released report in place of the placeholder the parent chose. Nothing here
 * parses XML: the report is handled as bytes.
 *
 * ADatP-4778.2 requires ECDSA or RSA with SHA-256 (Ed25519, the receipts' algorithm, is not in
 * its profile), so the binding key is a key of its own: an EC P-256/P-384 or RSA (2048 bits or
 * more) key in PEM, with the X.509 certificate that goes into KeyInfo.
 */
#ifndef SLUICE_BINDING_SIGN_H
#define SLUICE_BINDING_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "s4778_binding.h"
#include "sluice_error.h"

struct binding_signer {
	EVP_PKEY *key;
	uint8_t *cert_der;
	size_t cert_len;
	enum s4778_sig_alg alg;
};

/* Loads the key and the certificate and checks that they belong together. SLUICE_ERR_IO when a
 * file cannot be read, SLUICE_ERR_POLICY ("binding.key") for a key of another type or a
 * certificate of another key. */
enum sluice_rc binding_signer_load(const char *key_path, const char *cert_path,
                                   struct binding_signer *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
void binding_signer_free(struct binding_signer *s);

/* A fresh placeholder: S4778_PLACEHOLDER_LEN random hex characters (and a NUL). */
void binding_placeholder(char out[S4778_PLACEHOLDER_LEN + 1]);

/* The signature is made in one place and written into the report in another: the CLI does
 * both in its own process, the daemon signs in its signer process (which holds the key and
 * never sees the report) and fills the placeholder in its router (which holds no key). */

/* The longest SignedInfo either side accepts: the filter's is about 1 KiB (two references, a
 * handful of algorithm names); 8 KiB leaves room and keeps the signer a poor signing oracle. */
#define BINDING_SIGNED_INFO_MAX (8u * 1024)
/* The longest base64 SignatureValue accepted: an RSA-8192 signature is 1,368 characters. */
#define BINDING_SIGNATURE_B64_MAX 2048u

/* Whether `data` has the form of the canonical SignedInfo s4778_bind produces: the exclusive
 * C14N start tag `<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`, the end tag
 * `</ds:SignedInfo>` as its last bytes, no other SignedInfo start tag, no NUL byte, at most
 * BINDING_SIGNED_INFO_MAX bytes. The signer checks every request against it, so the binding
 * key signs nothing but XML-DSig SignedInfo elements. false with a reason in `why`. */
bool binding_signed_info_ok(const uint8_t *data, size_t len, char *why, size_t whylen);

/* Signs `signed_info` (checked with binding_signed_info_ok first) with the binding key: the
 * XML-DSig SignatureValue in base64 (ECDSA as r || s), a new NUL-terminated string. */
enum sluice_rc binding_signature(const struct binding_signer *s, const uint8_t *signed_info,
                                 size_t signed_info_len, char **signature_b64,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* Replaces `placeholder` in the report (it must occur exactly once, as the text of an element:
 * ">PLACEHOLDER<") with `signature_b64`, which must be base64 (A-Z a-z 0-9 + / =, at most
 * BINDING_SIGNATURE_B64_MAX characters: nothing that could change the XML around it). Needs no
 * key. On success *report is a new buffer (NUL-terminated) and the old one is freed; on failure
 * the report is unchanged. */
enum sluice_rc binding_fill_placeholder(const char *placeholder, const char *signature_b64,
                                        uint8_t **report, size_t *report_len,
                                        struct sluice_error *err) SLUICE_MUST_CHECK;

/* Both steps in one process, as `sluice release` does them. */
enum sluice_rc binding_sign_report(const struct binding_signer *s, const uint8_t *signed_info,
                                   size_t signed_info_len, const char *placeholder,
                                   uint8_t **report, size_t *report_len,
                                   struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
