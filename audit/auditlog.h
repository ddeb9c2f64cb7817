/*
 * The audit log (SPEC section 7): JSON Lines, append-only, hash-chained, fsynced per record,
 * with signed checkpoints. Every line is canonical JSON (common/canonical_json.h); the chain
 * hash of a line is SHA-256 over its bytes without the newline. Line formats:
 *
 *   {"prev":"<hex of previous line's hash, 64 zeros for the first>","record":{...},
 *    "seq":N,"type":"transfer"}
 *   {"key_id":"<hex>","prev":"<hex>","records":N,"seq":N,"signature":"<base64>",
 *    "time":"...","type":"checkpoint"}
 *
 * A checkpoint's signature is over the canonical JSON of the checkpoint without its
 * "signature" member; since it names the hash of the line before it, it commits to the whole
 * log up to that point. `seq` counts lines from 1.
 */
#ifndef SLUICE_AUDITLOG_H
#define SLUICE_AUDITLOG_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sluice_error.h"

#define AUDITLOG_CHECKPOINT_INTERVAL 1000

struct auditlog;

/* Opens (creating, mode 0640) the log for appending and takes an exclusive lock on it
 * (flock), held until close. Reads the tail to continue the chain; a torn last line left by
 * a crash (no final newline) is cut off, and the next checkpoint records that it was.
 * SLUICE_ERR_IO when the file cannot be opened or locked, SLUICE_ERR_VERIFY when its last
 * complete line is not a valid log line. `key` signs checkpoints; the log keeps a reference. */
enum sluice_rc auditlog_open(const char *path, EVP_PKEY *key, struct auditlog **out,
                             struct sluice_error *err) SLUICE_MUST_CHECK;

/* Appends one transfer record (not copied; not modified) and fsyncs before returning. Writes
 * a checkpoint after every AUDITLOG_CHECKPOINT_INTERVAL transfer lines. */
enum sluice_rc auditlog_append(struct auditlog *log, const json_t *record,
                               struct sluice_error *err) SLUICE_MUST_CHECK;

/* Writes a final checkpoint, fsyncs, unlocks and frees. `log` may be NULL. */
enum sluice_rc auditlog_close(struct auditlog *log, struct sluice_error *err)
	SLUICE_MUST_CHECK;

struct auditlog_verify_result {
	size_t lines;        /* lines read */
	size_t transfers;    /* transfer records */
	size_t checkpoints;  /* valid signed checkpoints */
	size_t bad_line;     /* 1-based line of the first bad record, 0 when all good */
	char why[512];       /* what is wrong with it */
};

/* Verifies the whole log against `pub`: every line canonical JSON of a known type, seq
 * consecutive, every prev the hash of the line before, every checkpoint signed by `pub`,
 * and the log ending with a checkpoint (otherwise the records after the last checkpoint could
 * have been cut off or added unsigned). SLUICE_OK when all holds; SLUICE_ERR_VERIFY with
 * res->bad_line and res->why otherwise; SLUICE_ERR_IO when it cannot be read. */
enum sluice_rc auditlog_verify(const char *path, EVP_PKEY *pub,
                               struct auditlog_verify_result *res, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
