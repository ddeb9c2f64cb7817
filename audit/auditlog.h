/*
 * The audit log (SPEC section 7): JSON Lines, append-only, hash-chained, fsynced per record,
 * with signed checkpoints. Every line is canonical JSON (common/canonical_json.h); the chain
 * hash of a line is SHA-256 over its bytes without the newline. Line formats:
 *
 *   {"prev":"<hex of previous line's hash, 64 zeros for the first>","record":{...},
 *    "seq":N,"type":"transfer"}
 *   {"frontier":["<hex>",...],"key_id":"<hex>","prev":"<hex>","records":N,"root":"<hex>",
 *    "seq":N,"signature":"<base64>","time":"...","type":"checkpoint"}
 *
 * A checkpoint's signature is over the canonical JSON of the checkpoint without its
 * "signature" member; since it names the hash of the line before it, it commits to the whole
 * log up to that point. `seq` counts lines from 1. "records" is the number of transfer lines
 * in the whole log up to the checkpoint. A checkpoint written after the writer cut off a torn
 * last line carries "recovered_torn_line":true (the member is absent otherwise).
 *
 * Every checkpoint is also an RFC 6962 signed tree head (treehead.h): the transfer records are
 * the leaves of a Merkle tree (merkle.h; leaf = the canonical JSON of the "record" object,
 * the bytes its receipt signs), "records" is the tree size, "root" its root and "frontier" its
 * compact range, from which the writer continues the tree after reading only the tail.
 *
 * A checkpoint is written after every AUDITLOG_CHECKPOINT_INTERVAL transfer lines and by
 * auditlog_close (unless the log already ends with one; a new, empty log gets one so that it
 * verifies). A log that a writer still holds open usually ends with unsigned transfer lines,
 * so auditlog_verify fails on it until the writer closes it: verify closed logs, or copies.
 *
 * Verification (auditlog_verify) names the first bad line, 1-based, in res->bad_line and
 * "line N: why" in res->why (also err->message, with err->line = N and err->rule):
 *   audit.torn          the last line has no newline (torn write, or cut mid-line)
 *   audit.line-too-long a line over 16 MiB
 *   audit.json          not JSON (or a duplicate key)
 *   audit.canonical     JSON, but not the canonical bytes (re-serialised and compared)
 *   audit.type          no type, or a type other than "transfer" / "checkpoint"
 *   audit.form          missing, unknown or mistyped members
 *   audit.seq           seq is not the line number (lines removed, inserted or reordered)
 *   audit.prev          prev is not the hash of the line before (a change to line N-1, or
 *                       lines removed, inserted or reordered); line 1 needs 64 zeros
 *   audit.key-id        a checkpoint by a key other than `pub`
 *   audit.signature     a checkpoint whose signature does not verify
 *   audit.records       a checkpoint whose "records" is not the number of transfer lines
 *   audit.root          a checkpoint whose root (or frontier) is not that of the records
 *                       before it
 *   audit.fork          (witness heads) a head whose root is not the log's at its size
 *   audit.truncated     (witness heads) a head larger than the log; bad_line = lines + 1
 *   audit.head-signature (witness heads) a head not signed by `pub`; bad_line 0
 *   audit.empty         an empty file (bad_line 1)
 *   audit.unsigned-tail the log does not end with a checkpoint; bad_line is the first line
 *                       after the last checkpoint (1 when there is none)
 * Known limit: a log cut exactly after one of its checkpoints is a valid, shorter log; only
 * a copy of a later checkpoint kept elsewhere (an external witness) shows the cut.
 */
#ifndef SLUICE_AUDITLOG_H
#define SLUICE_AUDITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "merkle.h"
#include "sluice_error.h"
#include "treehead.h"

#define AUDITLOG_CHECKPOINT_INTERVAL 1000
/* A proof is built from every leaf hash held in memory (32 bytes a record): at most this many
 * records (1 GiB). */
#define AUDITLOG_MAX_PROOF_LEAVES (1u << 25)
/* How long auditlog_open waits for another writer's lock before giving up (SLUICE_ERR_IO,
 * rule "audit.lock"). */
#define AUDITLOG_LOCK_WAIT_MS 5000

struct auditlog;

/* Opens (creating, mode 0640) the log for appending and takes an exclusive lock on it
 * (flock), held until close. Reads the tail to continue the chain; a torn last line left by
 * a crash (no final newline) is cut off, and the next checkpoint records that it was.
 * SLUICE_ERR_IO when the file cannot be opened or locked, SLUICE_ERR_VERIFY when its last
 * complete line is not a valid log line. `key` signs checkpoints; the log keeps a reference.
 * The tail is read backwards in chunks, only as far as the last checkpoint (whose "records"
 * gives the count so far); the lines passed on the way must chain (seq and prev), or the open
 * fails with SLUICE_ERR_VERIFY ("audit.chain") rather than extend a damaged log. A symbolic
 * link is not followed (O_NOFOLLOW). Another writer's lock is waited for up to
 * AUDITLOG_LOCK_WAIT_MS. */
enum sluice_rc auditlog_open(const char *path, EVP_PKEY *key, struct auditlog **out,
                             struct sluice_error *err) SLUICE_MUST_CHECK;

/* Signs a checkpoint's canonical JSON (without its "signature" member) into `sig`. The
 * gateway daemon's auditor process holds no key: its callback asks the signer process. */
typedef enum sluice_rc (*auditlog_sign_fn)(void *arg, const char *payload, size_t len,
                                           uint8_t sig[64], struct sluice_error *err);

/* Like auditlog_open, with checkpoints signed through `sign` under the key whose id is
 * `key_id` (64 lowercase hex characters). */
enum sluice_rc auditlog_open_with_signer(const char *path, const char *key_id,
                                         auditlog_sign_fn sign, void *sign_arg,
                                         struct auditlog **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Whether `payload` is what write_checkpoint asks a signer to sign: the canonical JSON of a
 * checkpoint without its signature, naming `key_id`. The signer process signs nothing else
 * for the auditor. On false, `why` says what is wrong. */
bool auditlog_checkpoint_payload_ok(const char *payload, size_t len, const char *key_id,
                                    char *why, size_t whylen);

/* The open log's descriptor, so that a sandboxed writer can keep it. */
int auditlog_fd(const struct auditlog *log);

/* Checkpoints after every `interval` transfer lines (1..AUDITLOG_CHECKPOINT_INTERVAL). */
void auditlog_set_checkpoint_interval(struct auditlog *log, unsigned interval);

/* Appends one transfer record (not copied; not modified) and fsyncs before returning. Writes
 * a checkpoint after every AUDITLOG_CHECKPOINT_INTERVAL transfer lines (one that fails is
 * tried again at the next append and at close: the record is appended all the same). The
 * record must be a JSON object (else SLUICE_ERR_INTERNAL, "audit.record") whose line stays
 * under 16 MiB ("audit.too-large"). A failed write or fsync (SLUICE_ERR_IO, "io.write": a full
 * or failing disk) is undone: the partial line is cut off and the cut fsynced, so the log
 * stays verifiable and the same append may be retried once the storage is back. Should the
 * cut itself fail, every later append retries it first and fails ("audit.broken") until it
 * succeeds. */
enum sluice_rc auditlog_append(struct auditlog *log, const json_t *record,
                               struct sluice_error *err) SLUICE_MUST_CHECK;

/* auditlog_append, and *leaf_index (when not NULL) receives the record's index in the Merkle
 * tree (0-based: the number of records before it), for its receipt. */
enum sluice_rc auditlog_append_indexed(struct auditlog *log, const json_t *record,
                                       uint64_t *leaf_index, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* auditlog_append_indexed without the fsync, for group commit (`sluice release --batch`): the
 * record is not durable, and must not be acknowledged, until auditlog_sync has returned
 * SLUICE_OK. (A checkpoint written meanwhile, or any later fsynced append, also makes it
 * durable.) */
enum sluice_rc auditlog_append_nosync(struct auditlog *log, const json_t *record,
                                      uint64_t *leaf_index, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* auditlog_append_indexed (`sync`) or auditlog_append_nosync (not `sync`) of a record given as
 * its canonical JSON text (json_canonical of a JSON object, as transfer_record_canonical makes
 * it: the caller's guarantee, not checked), so that a record signed and logged is serialised
 * once. The line written is byte for byte the one the json_t functions write (test_auditlog). */
enum sluice_rc auditlog_append_canonical(struct auditlog *log, const char *canon,
                                         uint64_t *leaf_index, bool sync,
                                         struct sluice_error *err) SLUICE_MUST_CHECK;
/* One fsync for the records appended by auditlog_append_nosync since the last fsync. When it
 * fails, those records are cut off the log and forgotten (as if never appended: their leaf
 * indexes will be given again) and SLUICE_ERR_IO is returned. */
enum sluice_rc auditlog_sync(struct auditlog *log, struct sluice_error *err) SLUICE_MUST_CHECK;


/* Records appended since the last checkpoint (0 when the log ends with one). */
uint64_t auditlog_unsigned_records(const struct auditlog *log);
/* Transfer records in the log (after a failed auditlog_sync: those that are durable). */
uint64_t auditlog_records(const struct auditlog *log);

/* Writes a signed tree head now, unless the log already ends with one (the daemon's timer and
 * its on-demand request). */
enum sluice_rc auditlog_checkpoint(struct auditlog *log, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Unlocks, closes and frees without a final checkpoint, leaving the file as a writer that
 * crashed would (tests, and a writer that must stop without signing). `log` may be NULL. */
void auditlog_abandon(struct auditlog *log);

/* Writes a final checkpoint (unless the log already ends with one), fsyncs, unlocks and
 * frees, even when writing the checkpoint fails. `log` may be NULL. */
enum sluice_rc auditlog_close(struct auditlog *log, struct sluice_error *err)
	SLUICE_MUST_CHECK;

struct auditlog_verify_result {
	size_t lines;        /* lines read */
	size_t transfers;    /* transfer records */
	size_t checkpoints;  /* valid signed checkpoints */
	size_t bad_line;     /* 1-based line of the first bad record, 0 when all good */
	char why[512];       /* what is wrong with it */
	size_t bad_witness;  /* 1-based index of the witness head named in why, 0 when none */
	merkle_hash root;    /* the root of the tree of all the records read */
};

/* Verifies the whole log against `pub`: every line canonical JSON of a known type, seq
 * consecutive, every prev the hash of the line before, every checkpoint signed by `pub`,
 * and the log ending with a checkpoint (otherwise the records after the last checkpoint could
 * have been cut off or added unsigned). SLUICE_OK when all holds; SLUICE_ERR_VERIFY with
 * res->bad_line and res->why otherwise; SLUICE_ERR_IO when it cannot be read;
 * SLUICE_ERR_POLICY ("key.type") when `pub` is not an Ed25519 key. Lines are read through a
 * bounded reader (at most 16 MiB each), never loaded whole. */
enum sluice_rc auditlog_verify(const char *path, EVP_PKEY *pub,
                               struct auditlog_verify_result *res, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Everything a scan of the log may check besides its own lines. */
struct auditlog_scan_options {
	EVP_PKEY *pub;                     /* checks checkpoints' key ids and signatures (and the
	                                      witness heads'); NULL: signatures are not checked */
	bool allow_unsigned_tail;          /* records after the last checkpoint are not an error
	                                      (a log that a writer holds open) */
	const struct tree_head *witness;   /* tree heads kept elsewhere, each of which must be the
	                                      log's tree at its size (audit.fork) and no larger
	                                      than the log (audit.truncated) */
	size_t nwitness;
};

/* What a scan keeps for proofs: every record's leaf hash, and the last checkpoint. */
struct auditlog_tree {
	merkle_hash *leaves;
	uint64_t nleaves;
	struct tree_head last_head;
	bool has_head;
};

/* auditlog_verify with options, and, when `tree` is not NULL, the leaf hashes and the last
 * checkpoint (free with auditlog_tree_free; empty after a failure). Every line is checked as
 * auditlog_verify does, every checkpoint's root and frontier recomputed (audit.root). */
enum sluice_rc auditlog_scan(const char *path, const struct auditlog_scan_options *opt,
                             struct auditlog_verify_result *res, struct auditlog_tree *tree,
                             struct sluice_error *err) SLUICE_MUST_CHECK;

void auditlog_tree_free(struct auditlog_tree *tree);

/* The log's last checkpoint, read from the end (without reading the whole log or checking
 * the chain: `sluice audit verify` does that), and the number of records after it. A last line
 * still being written is skipped. SLUICE_ERR_VERIFY ("audit.no-head") when there is none. */
enum sluice_rc auditlog_last_head(const char *path, struct tree_head *head,
                                  uint64_t *unsigned_records, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
