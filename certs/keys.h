/*
 * Keys and signatures (SPEC section 6): Ed25519 keys in PEM as OpenSSL writes them (PKCS#8
 * private keys, SubjectPublicKeyInfo public keys); a key's id is the lowercase hex SHA-256 of
 * its public key's DER encoding. Private key material stays inside OpenSSL's EVP_PKEY and is
 * freed with EVP_PKEY_free, which wipes it; PEM buffers read here are wiped before release.
 */
#ifndef SLUICE_KEYS_H
#define SLUICE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sluice_error.h"

#define SHA256_HEX_LEN 65

enum sluice_rc key_load_private(const char *path, EVP_PKEY **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
enum sluice_rc key_load_public(const char *path, EVP_PKEY **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Writes a new Ed25519 pair: the private key with mode 0600, the public key 0644. */
enum sluice_rc key_generate(const char *private_path, const char *public_path,
                            struct sluice_error *err) SLUICE_MUST_CHECK;

/* SHA-256 of the public key's DER (works for a private key too), as lowercase hex. */
enum sluice_rc key_id_hex(EVP_PKEY *key, char out[SHA256_HEX_LEN], struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Ed25519 signature of `msg` (64 bytes into `sig`). */
enum sluice_rc signature_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64],
                              struct sluice_error *err) SLUICE_MUST_CHECK;
bool signature_verify(EVP_PKEY *pub, const void *msg, size_t len, const uint8_t *sig,
                      size_t siglen);

void sha256_bytes(const void *p, size_t n, uint8_t out[32]);
void sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN]);

/* Standard base64 without line breaks. New string. */
char *base64_encode(const uint8_t *p, size_t n);
/* Strict decoding; -1 on any character outside the alphabet or bad padding. */
int base64_decode(const char *s, uint8_t **out, size_t *outlen) SLUICE_MUST_CHECK;

#endif
