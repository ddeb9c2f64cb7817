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
#include <sys/types.h>

#include <openssl/evp.h>

#include "sluice_error.h"

#define SHA256_HEX_LEN 65

enum sluice_rc key_load_private(const char *path, EVP_PKEY **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* The same for a private key of any type (the ADatP-4778 binding key is ECDSA or RSA). */
enum sluice_rc key_load_private_any(const char *path, EVP_PKEY **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
enum sluice_rc key_load_public(const char *path, EVP_PKEY **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Errors: a missing or unreadable file is SLUICE_ERR_IO ("key.open", "key.read"); a file that
 * is not a PEM key of the right kind ("key.pem") or a key that is not Ed25519 ("key.type",
 * "not an Ed25519 key (found RSA)") is SLUICE_ERR_POLICY (a configuration error, exit 78).
 * err->file names the key file. Encrypted private keys are refused. */

/* Writes a new Ed25519 pair: the private key with mode 0600, the public key 0644. Refuses
 * (before creating anything) when either file exists; never overwrites. */
enum sluice_rc key_generate(const char *private_path, const char *public_path,
                            struct sluice_error *err) SLUICE_MUST_CHECK;

/* A new Ed25519 key in memory (free with EVP_PKEY_free). */
enum sluice_rc key_new_ed25519(EVP_PKEY **out, struct sluice_error *err) SLUICE_MUST_CHECK;
/* Writes the private key as unencrypted PKCS#8 PEM to a new file, mode 0600. Never overwrites
 * (O_EXCL; SLUICE_ERR_IO with rule "key.exists"); the PEM text is wiped from memory. */
enum sluice_rc key_write_private(EVP_PKEY *key, const char *path, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Writes the public key as SubjectPublicKeyInfo PEM to a new file, mode 0644; never
 * overwrites. */
/* The same for a key of any type (the ECDSA binding key of the development PKI). */
enum sluice_rc key_write_private_any(EVP_PKEY *key, const char *path, struct sluice_error *err)
	SLUICE_MUST_CHECK;
enum sluice_rc key_write_public(EVP_PKEY *key, const char *path, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Creates `path` (O_EXCL | O_NOFOLLOW, exactly `mode`), writes `len` bytes,
 * fsyncs the file and its folder. An existing file is never touched ("key.exists"). */
enum sluice_rc certs_write_new_file(const char *path, const void *p, size_t len, mode_t mode,
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
