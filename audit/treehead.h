/*
 * Signed tree heads: the audit log's checkpoint lines (auditlog.h), read as RFC 6962 tree
 * heads. A checkpoint is
 *
 *   {"frontier":["<hex>",...],"key_id":"<hex>","prev":"<hex>","records":N,"root":"<hex>",
 *    "seq":S,"signature":"<base64>","time":"...","type":"checkpoint"}
 *
 * (plus "recovered_torn_line":true after a crash). `records`, the number of transfer records
 * before it, is the tree size; `root` is the RFC 6962 root of the tree whose leaves are those
 * records (merkle.h; leaf = canonical JSON of the record object), `frontier` that tree's
 * compact range, from which a writer continues the tree without reading the log. The
 * signature covers the canonical JSON of the checkpoint without "signature", so one signature
 * vouches for the hash chain (prev) and the tree (tree_size, root) together.
 *
 * The same JSON object, saved to a file (`sluice audit head`), is what a witness keeps and what
 * proof files embed. Everything here parses hostile input: strict members and types, bounded
 * arrays, duplicate keys refused by the callers' jansson flags.
 */
#ifndef SLUICE_TREEHEAD_H
#define SLUICE_TREEHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "merkle.h"
#include "sluice_error.h"

/* A tree head file (or one inside a proof) is never larger than this. */
#define TREE_HEAD_MAX_BYTES (64u * 1024)

struct tree_head {
	json_t *json;                    /* the checkpoint object (a reference of our own) */
	uint64_t seq;                    /* its line in the log */
	uint64_t tree_size;              /* "records" */
	merkle_hash root;
	struct merkle_frontier frontier; /* as written: see tree_head_frontier_ok */
	const char *key_id;              /* into json */
	const char *time;                /* into json */
	const char *signature;           /* into json; NULL for an unsigned payload */
};

/* Reads a checkpoint object's form (without taking ownership: the head keeps a reference of
 * its own). `signed_head`: the "signature" member is required (a line of the log, a head
 * file); otherwise it must be absent (what the writer asks a signer to sign). Checks members
 * and their types only, so that a checkpoint edited after signing is reported as a bad
 * signature rather than as a bad form. On false, `why` says what is wrong and `head` is
 * empty. */
bool tree_head_from_json(json_t *obj, bool signed_head, struct tree_head *head, char *why,
                         size_t whylen);

/* Whether the head's frontier has one hash per bit set in its tree size and leads to its
 * root (a head can be signed and still wrong: a signer bug, a stolen key). */
bool tree_head_frontier_ok(const struct tree_head *head, char *why, size_t whylen);

/* Parses a tree head file: one JSON object (whitespace around it allowed), at most
 * TREE_HEAD_MAX_BYTES, duplicate keys refused, its frontier leading to its root.
 * SLUICE_ERR_INVALID_REPORT ("head.form") when it is not a signed tree head. The signature is
 * the caller's to check (tree_head_signature_ok). */
enum sluice_rc tree_head_parse(const uint8_t *text, size_t len, struct tree_head *head,
                               struct sluice_error *err) SLUICE_MUST_CHECK;

/* Reads and parses a tree head file (SLUICE_ERR_IO when it cannot be read). */
enum sluice_rc tree_head_load(const char *path, struct tree_head *head,
                              struct sluice_error *err) SLUICE_MUST_CHECK;

/* The bytes a head's signature covers: its canonical JSON without "signature" (malloc'd). */
char *tree_head_payload(const json_t *obj);

/* Whether the head names `pub`'s key id and its signature verifies; `why` otherwise. */
bool tree_head_signature_ok(const struct tree_head *head, EVP_PKEY *pub, char *why,
                            size_t whylen);

void tree_head_free(struct tree_head *head);

/* The Merkle leaf hash of a transfer record: SHA-256(0x00 || its canonical JSON), the bytes
 * its receipt signs, so that a receipt holder computes the same leaf. False when the record
 * cannot be serialised. */
bool audit_record_leaf_hash(const json_t *record, merkle_hash out);

#endif
