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

/* Signs `signed_info` and replaces `placeholder` in the report (it must occur exactly once,
 * as the text of an element: ">PLACEHOLDER<") with the base64 SignatureValue. */
enum sluice_rc binding_sign_report(const struct binding_signer *s, const uint8_t *signed_info,
                                   size_t signed_info_len, const char *placeholder,
                                   uint8_t **report, size_t *report_len,
                                   struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
