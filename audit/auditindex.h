/*
 * The audit index: an SQLite database derived from an audit log, so that oversight queries
 * over millions of records answer in well under a second (`sluice audit index`, and `sluice
 * audit query` / `stats` when LOG.idx exists). It is a cache, never a source of truth: it can
 * be deleted and rebuilt from the log at any time, and it is checked against the log each time
 * it is opened. The format and what the checks prove are in audit/README.md ("The index") and
 * docs/OVERSIGHT.md.
 *
 * Trust: both files are hostile. The index is opened without following a symbolic link, with
 * triggers, views and untrusted schema functions off, its schema compared with the one this
 * code creates, and every value read from it range-checked; SQL is prepared, with every value
 * bound. Records are printed from the log's bytes, not from the index: each is read at the
 * offset the index gives, its SHA-256 compared with the hash the index holds, and the filter
 * applied again to what the log says.
 */
#ifndef SLUICE_AUDITINDEX_H
#define SLUICE_AUDITINDEX_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "auditlog.h"
#include "auditrecord.h"
#include "sluice_error.h"

/* The index format this code reads and writes (the anchor's "format"). */
#define AUDITINDEX_FORMAT "sluice-audit-index 1"

/* What an index covers: lines 1..lines of the log, its first `bytes` bytes. */
struct auditindex_status {
	uint64_t lines, transfers, checkpoints, bytes;
	uint64_t verified_seq;   /* the last checkpoint whose signature was verified (0: none) */
	char key_id[65];         /* the key it was verified with */
	char verified_time[32];  /* when, UTC */
	uint64_t added;          /* lines this call added to the index */
};

struct auditindex;

/* Brings the index of `log_path` at `index_path` up to date, creating it if needed, after
 * verifying the whole log with `pub` (auditlog_verify on the very file it then indexes). A log
 * whose only fault is an unsigned tail (a writer still has it open) is indexed, verified up to
 * its last checkpoint. `rebuild` replaces an existing index instead of extending it; a new
 * index is written to a temporary file and renamed into place, so a failure leaves the old one.
 * SLUICE_ERR_VERIFY with `vres` filled when the log does not verify, or ("index.mismatch") when
 * an existing index does not match the log; SLUICE_ERR_IO for I/O. */
enum sluice_rc auditindex_build(const char *log_path, const char *index_path, EVP_PKEY *pub,
                                bool rebuild, struct auditindex_status *status,
                                struct auditlog_verify_result *vres, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Opens an index for queries: checks that it matches the log (the anchor lines re-read at their
 * offsets and their hashes compared: O(1)), then adds the complete lines appended to the log
 * since, each checked to continue the chain. SLUICE_ERR_VERIFY ("index.mismatch",
 * "index.corrupt", "index.chain") when it cannot be trusted, with a message saying to rebuild;
 * SLUICE_ERR_IO when a file cannot be opened or the index cannot be updated. */
enum sluice_rc auditindex_open(const char *log_path, const char *index_path,
                               struct auditindex **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

void auditindex_close(struct auditindex *ix);

const struct auditindex_status *auditindex_status(const struct auditindex *ix);

typedef void (*auditindex_record_fn)(json_t *record, const struct audit_record_view *view,
                                     void *arg);

/* Calls `each` for every transfer record matching `f`, in log order. Each record is read from
 * the log at the offset the index holds and must hash to the index's hash, be the line the
 * index says (seq) and match `f` itself; otherwise SLUICE_ERR_VERIFY ("index.mismatch"). */
enum sluice_rc auditindex_query(struct auditindex *ix, const struct audit_filter *f,
                                auditindex_record_fn each, void *arg, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* A group of records with the same values, for `audit stats`. */
struct auditindex_group {
	const char *from, *to, *decision, *reason_rule, *policy_id;
	bool has_policy_version;
	long long policy_version;
	bool redacted;
	uint64_t count;
};

struct auditindex_stats_callbacks {
	void (*group)(void *arg, const struct auditindex_group *g);
	/* records that name `rule` in their removals or redactions (kind) */
	void (*rule)(void *arg, enum audit_rule_kind kind, const char *rule, uint64_t records);
	/* the earliest and latest non-empty record time */
	void (*period)(void *arg, const char *first, const char *last);
	void *arg;
};

/* Counts from the index alone (it does not re-read the log: see docs/OVERSIGHT.md). */
enum sluice_rc auditindex_stats(struct auditindex *ix, const struct auditindex_stats_callbacks *cb,
                                struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
