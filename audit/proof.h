/*
 * Proof files: what `sluice audit prove` and `sluice audit consistency` write, and
 * `sluice audit check-proof` verifies with nothing but the gateway's public key. One JSON
 * object each (canonical JSON and a newline when written here):
 *
 *   {"leaf_index":N,"path":["<hex>",...],"record":{...},"sluice_proof":1,
 *    "tree_head":{<checkpoint>},"type":"inclusion"}
 *   {"new_head":{<checkpoint>},"old_head":{<checkpoint>},"path":["<hex>",...],
 *    "sluice_proof":1,"type":"consistency"}
 *
 * An inclusion proof carries the record itself (the leaf is SHA-256(0x00 || its canonical
 * JSON), as in treehead.h), so that the verifier sees what is proven, and the signed tree
 * head it is proven under; the path is RFC 6962's audit path, lowest sibling first. A
 * consistency proof carries both heads and RFC 6962's consistency proof between them.
 *
 * Parsing treats the file as hostile: at most AUDIT_PROOF_MAX_BYTES, duplicate keys refused,
 * no unknown members, every hash 64 lowercase hex digits, at most MERKLE_MAX_PATH of them.
 */
#ifndef SLUICE_PROOF_H
#define SLUICE_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "merkle.h"
#include "sluice_error.h"
#include "treehead.h"

/* A record line is at most 16 MiB; a proof adds two heads and a path. */
#define AUDIT_PROOF_MAX_BYTES (16u * 1024 * 1024 + 256u * 1024)

enum audit_proof_type { AUDIT_PROOF_INCLUSION, AUDIT_PROOF_CONSISTENCY };

struct audit_proof {
	enum audit_proof_type type;
	struct tree_head head;       /* inclusion: the head; consistency: the newer head */
	struct tree_head old_head;   /* consistency only */
	uint64_t leaf_index;         /* inclusion only */
	json_t *record;              /* inclusion only (a reference of our own) */
	merkle_hash path[MERKLE_MAX_PATH];
	size_t pathlen;
};

/* A new inclusion proof object, or NULL when it cannot be built (out of memory). */
json_t *audit_proof_inclusion_json(const struct tree_head *head, uint64_t leaf_index,
                                   const json_t *record, const merkle_hash *path,
                                   size_t pathlen);
/* A new consistency proof object, or NULL. */
json_t *audit_proof_consistency_json(const struct tree_head *old_head,
                                     const struct tree_head *new_head, const merkle_hash *path,
                                     size_t pathlen);

/* Parses a proof file. SLUICE_ERR_INVALID_REPORT ("proof.json", "proof.form", ...) with a
 * message naming what is malformed. */
enum sluice_rc audit_proof_parse(const uint8_t *text, size_t len, struct audit_proof *proof,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* Verifies a parsed proof: the head(s) signed by `pub` (and their frontiers), then the
 * inclusion of the record's leaf at leaf_index, or the consistency of the two heads.
 * SLUICE_ERR_VERIFY naming what fails: "proof.head-signature", "proof.inclusion",
 * "proof.consistency". */
enum sluice_rc audit_proof_verify(const struct audit_proof *proof, EVP_PKEY *pub,
                                  struct sluice_error *err) SLUICE_MUST_CHECK;

void audit_proof_free(struct audit_proof *proof);

#endif
