/*
 * Transfer records and receipts (SPEC section 6).
 *
 * A transfer record says what the gateway decided about one report: never the report's
 * content, only digests, names from the policy, locations and rule identifiers. A receipt is
 * the record, the id of the key that signed it and an Ed25519 signature over the record's
 * canonical JSON (common/canonical_json.h):
 *
 *   {"key_id":"<hex>","receipt":1,"record":{...},"signature":"<base64>",
 *    "signature_alg":"ed25519"}
 *
 * Version 2, what the gateway hands out since the audit log became a transparency log, adds
 * "log":{"leaf_index":N}: where the record sits in the audit log's Merkle tree (audit/merkle.h:
 * the leaf is the record's canonical JSON). It is outside the signature, because the gateway
 * learns the index only when it logs the signed record; an inclusion proof (`sluice audit
 * prove`) shows whether it is true. receipt_verify accepts both versions.
 */
#ifndef SLUICE_RECEIPT_H
#define SLUICE_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "keys.h"
#include "sluice_error.h"

struct removal_entry {
	char *location; /* e.g. "/CaseReport/Detail[2]" */
	unsigned line;
	char *rule;     /* e.g. "clearance: S above border's C" */
};

struct redaction_entry {
	char *location; /* e.g. "/CaseReport/Summary/text()" or ".../@author" */
	char *rule;     /* "words:terms.txt" or "pattern:email" */
	unsigned count;
};

struct transfer_record {
	char transfer_id[37];  /* random UUID v4 */
	char time[32];         /* RFC 3339 UTC, e.g. 2026-11-25T10:00:00Z */
	char *from;
	char *to;
	char *policy_id;
	long policy_version;
	char policy_sha256[SHA256_HEX_LEN];
	char policy_bundle_sha256[SHA256_HEX_LEN]; /* policy + word lists + schema; "" if none */
	char **policy_signers;  /* administrators' key ids that approved the policy (a signed
	                           bundle), sorted; none for a plain policy file */
	size_t npolicy_signers;
	char input_sha256[SHA256_HEX_LEN];
	char output_sha256[SHA256_HEX_LEN]; /* "" unless released */
	char *decision;        /* "released" | "refused" | "invalid" | "error" */
	char *reason_rule;     /* stable rule id, NULL when released */
	char *reason;          /* explanation without report content, NULL when released */
	unsigned reason_line;  /* 0 when not about one line */
	char *banner;          /* the released report's recomputed banner, or NULL */
	char *source_banner;   /* the same banner in the source's policy when the flow crossed
	                          into an equivalent policy (docs/LABELS.md), or NULL */
	struct removal_entry *removals;
	size_t nremovals;
	struct redaction_entry *redactions;
	size_t nredactions;
};

/* Zeroes `r`, then fills transfer_id (from the OpenSSL RNG) and time (now). */
void transfer_record_init(struct transfer_record *r);
void transfer_record_free(struct transfer_record *r);
void transfer_record_add_removal(struct transfer_record *r, const char *location,
                                 unsigned line, const char *rule);
void transfer_record_add_redaction(struct transfer_record *r, const char *location,
                                   const char *rule, unsigned count);
/* Sets the policy's approving administrators (copies; replaces any). */
void transfer_record_set_signers(struct transfer_record *r, char *const *key_ids, size_t n);
/* The record as a JSON object (fields named as in SPEC section 6; see docs/OVERSIGHT.md). */
json_t *transfer_record_to_json(const struct transfer_record *r);

/* Signs the record: *out is the receipt's canonical JSON followed by "\n". */
enum sluice_rc receipt_create(const struct transfer_record *r, EVP_PKEY *key, char **out,
                              size_t *outlen, struct sluice_error *err) SLUICE_MUST_CHECK;

/* Makes a version 2 receipt: adds (or replaces) the "log" member, the record's leaf index in
 * the audit log. `*receipt` (receipt_create's output, canonical JSON and "\n") is replaced by
 * a new string. */
enum sluice_rc receipt_set_log_index(char **receipt, size_t *len, uint64_t leaf_index,
                                     struct sluice_error *err) SLUICE_MUST_CHECK;

/* The fast path of one process signing and logging many records (`sluice release --batch`),
 * byte for byte what receipt_create then receipt_set_log_index make, with each record
 * serialised once instead of four times (docs/PERFORMANCE.md):
 *   canon = transfer_record_canonical(r)          the record's canonical JSON (NULL: not UTF-8)
 *   receipt_signature(canon, key, sig64)          Ed25519 over it, base64 (88 characters)
 *   receipt_assemble(kid, canon, sig64, &leaf)    the receipt text, "\n"-terminated; a version 2
 *                                                 receipt with the leaf index, or version 1
 *                                                 when `leaf_index` is NULL
 * `kid` is key_id_hex(key), which costs more than the signature: callers compute it once. */
#define RECEIPT_SIG64_LEN 89
char *transfer_record_canonical(const struct transfer_record *r);
enum sluice_rc receipt_signature(const char *canon, EVP_PKEY *key, char sig64[RECEIPT_SIG64_LEN],
                                 struct sluice_error *err) SLUICE_MUST_CHECK;
char *receipt_assemble(const char *kid, const char *canon, const char *sig64,
                       const uint64_t *leaf_index, size_t *len);

/* The signer process's one job: `record` must be the canonical JSON of a transfer record of
 * the form receipt_verify accepts (anything else is refused: SLUICE_ERR_VERIFY), and is signed
 * into a receipt as receipt_create would. `key_id` is key_id_hex(key), which the signer keeps
 * (NULL: computed for this call; it costs more than the signature). */
#define RECEIPT_MAX_RECORD_BYTES (64u * 1024 * 1024)
enum sluice_rc receipt_sign_json(const uint8_t *record, size_t len, EVP_PKEY *key,
                                 const char *key_id, char **out, size_t *outlen,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* Checks a receipt's form, its key id against `pub`, its signature, and, when `report` is not
 * NULL, that SHA-256(report) is the record's output_sha256 (or input_sha256 when nothing was
 * released). SLUICE_ERR_VERIFY with a precise message on any mismatch; on success *record_out
 * (when not NULL) receives a new reference to the record object. */
enum sluice_rc receipt_verify(const uint8_t *receipt, size_t receiptlen, EVP_PKEY *pub,
                              const uint8_t *report, size_t reportlen, json_t **record_out,
                              struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
