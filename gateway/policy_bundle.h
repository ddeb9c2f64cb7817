/*
 * Signed policy bundles and the two-person rule (issue 5; docs/POLICY.md "Deploying with two
 * signatures").
 *
 * A bundle is one JSON file holding a policy and every file it references (word lists, SPIFs, the
 * XSD), each with its SHA-256, and any number of administrators' Ed25519 signatures:
 *
 *   {"sluice_policy_bundle": 1, "policy_id": ..., "policy_version": ..., "bundle_sha256": ...,
 *    "files": [{"path": "policy.yaml", "sha256": ..., "base64": ...}, ...],
 *    "signatures": [{"key_id": ..., "alg": "ed25519", "signature": ...}, ...]}
 *
 * Each signature covers "sluice-policy-bundle-v1\n" followed by the canonical JSON
 * (common/canonical_json.h) of the bundle without "signatures": every byte of every file, its
 * path and the policy's identity. Adding a signature changes nothing that is signed, so
 * administrators sign in any order; changing any byte invalidates every signature.
 *
 * SECURITY: a bundle is untrusted input until verified: it is parsed with size limits, strict
 * members and strict base64, its paths must be relative without ".." (they name files beside
 * the policy), and each file's bytes must match its SHA-256.
 */
#ifndef SLUICE_GATEWAY_POLICY_BUNDLE_H
#define SLUICE_GATEWAY_POLICY_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

#define POLICY_BUNDLE_MAX_BYTES (64u * 1024u * 1024u)
#define POLICY_BUNDLE_MAX_FILES 256u
#define POLICY_BUNDLE_MAX_SIGNATURES 32u

struct bundle_file {
	char *path;
	uint8_t *data;
	size_t len;
};

struct bundle_signature {
	char key_id[65];
	uint8_t sig[64];
};

struct policy_bundle {
	char *policy_id;
	long policy_version;
	char bundle_sha256[65];
	struct bundle_file *files; /* files[0] is the policy */
	size_t nfiles;
	struct bundle_signature *sigs;
	size_t nsigs;
};

/* Builds a bundle of the policy at `policy_path` (which must load: policy_load) and the files
 * it references. Refuses (SLUICE_ERR_POLICY, "bundle.path") a reference that is absolute or
 * climbs out with "..". */
enum sluice_rc policy_bundle_make(const char *policy_path, struct policy_bundle *out,
                                  struct sluice_error *err) SLUICE_MUST_CHECK;

/* Parses and checks a bundle's form and file digests (not its signatures): SLUICE_ERR_POLICY
 * with a rule "bundle.*" naming what is wrong. */
enum sluice_rc policy_bundle_parse(const uint8_t *data, size_t len, struct policy_bundle *out,
                                   struct sluice_error *err) SLUICE_MUST_CHECK;

/* The bundle as JSON text (new string), signatures included. */
char *policy_bundle_json(const struct policy_bundle *b);

/* The bytes every signature covers (new buffer, *len set). */
uint8_t *policy_bundle_signed_bytes(const struct policy_bundle *b, size_t *len);

/* Adds the signature of the private key at `key_path`. SLUICE_ERR_VERIFY ("bundle.signed-twice")
 * when that key already signed; *key_id gets the signer's key id. */
enum sluice_rc policy_bundle_sign(struct policy_bundle *b, const char *key_path,
                                  char key_id[65], struct sluice_error *err) SLUICE_MUST_CHECK;

/* The two-person rule: counts the distinct trusted administrators (the *.pub keys in
 * `admins_dir`) whose signature verifies. SLUICE_OK when at least `required` did; otherwise
 * SLUICE_ERR_VERIFY ("bundle.signatures") with a message naming how many valid signatures
 * were found, from whom, and what was wrong with the others (an untrusted key, a bad
 * signature, a key that signed twice). `report` (may be NULL) receives one line per signature. */
enum sluice_rc policy_bundle_verify(const struct policy_bundle *b, const char *admins_dir,
                                    unsigned required, char *report, size_t reportlen,
                                    struct sluice_error *err) SLUICE_MUST_CHECK;
/* The same, and on success the key ids of the administrators whose signatures verified,
 * sorted, in a new array of new strings (*signers, *nsigners; free each and the array). */
enum sluice_rc policy_bundle_verify_signers(const struct policy_bundle *b,
                                            const char *admins_dir, unsigned required,
                                            char ***signers, size_t *nsigners,
                                            struct sluice_error *err) SLUICE_MUST_CHECK;

/* Writes the bundle's files into a new private folder (mkdtemp under $TMPDIR or /tmp, 0700;
 * files 0600, never through links) so that policy_load can read them: *dir gets the folder,
 * *policy_path the policy file in it. Call policy_bundle_unpacked_remove when loaded. Only a
 * verified bundle should be unpacked: its paths were checked by policy_bundle_parse. */
enum sluice_rc policy_bundle_unpack(const struct policy_bundle *b, char *dir, size_t dirlen,
                                    char *policy_path, size_t pathlen, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Removes what policy_bundle_unpack wrote, and the folder. */
void policy_bundle_unpacked_remove(const struct policy_bundle *b, const char *dir);

/* All of it for a loader: reads the bundle at `path`, checks its form, verifies that `required`
 * distinct administrators of `admins_dir` signed it (their key ids into *signers, sorted), and
 * unpacks it (policy_bundle_unpack). On success the caller loads *policy_file, then calls
 * policy_bundle_unpacked_remove(b, dir) and policy_bundle_free(b). */
enum sluice_rc policy_bundle_open_verified(const char *path, const char *admins_dir,
                                           unsigned required, struct policy_bundle *b,
                                           char *dir, size_t dirlen, char *policy_file,
                                           size_t filelen, char ***signers, size_t *nsigners,
                                           struct sluice_error *err) SLUICE_MUST_CHECK;
void policy_bundle_free_signers(char **signers, size_t n);

void policy_bundle_free(struct policy_bundle *b);

#endif
