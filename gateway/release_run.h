/*
 * The trusted side of a release (the parent process of `sluice release`, later the daemon's
 * monitor): holds the policy, the signing key and the audit log; reads report bytes only to
 * hash them and hand them to the sandboxed filter; turns the filter's checked answer into a
 * transfer record, a signed receipt, an audit line and the released file.
 *
 * Order for one report (so that nothing is acknowledged before it is logged): decide, sign,
 * append to the audit log (fsync), then write the released report and the receipt.
 */
#ifndef SLUICE_RELEASE_RUN_H
#define SLUICE_RELEASE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "auditlog.h"
#include "binding_sign.h"
#include "filter_child.h"
#include "keys.h"
#include "policy.h"
#include "redact.h"
#include "sluice_error.h"

struct release_context {
	struct policy *policy;          /* NULL when the policy did not load */
	struct redactor **redactors;    /* one per flow */
	void *schema;                   /* compiled XSD or NULL */
	EVP_PKEY *key;
	char key_id[SHA256_HEX_LEN];    /* key_id_hex(key), computed once: it costs more than a
	                                   signature (docs/PERFORMANCE.md) */
	struct auditlog *audit;         /* opened (and locked) at the first record, see below */
	char audit_path[1024];
	char policy_path[1024];
	/* Set before loading: the policy must be a signed bundle (gateway/policy_bundle.h) that
	 * `required_signatures` distinct administrators of `admins_dir` signed. "" : a plain file. */
	char admins_dir[1024];
	unsigned required_signatures;
	bool explain; /* dry runs: the filter also reports every portion (release_request) */
	/* Set before loading, like admins_dir: the ADatP-4778 binding key and certificate for
	 * flows with `binding: signed-4778` (have_binding false: none given). */
	struct binding_signer binding;
	bool have_binding;
	/* Set by `sluice release --batch` (filter_worker_new): one sandboxed filter child serves
	 * the reports of the batch, all from one source (--from); NULL: a fresh child per report.
	 * Freed by release_context_close. */
	struct filter_worker *filter;
};

/* Loads the key, checks that the audit log can be written, then loads the policy (and compiles its redactors and
 * schema). A policy that fails to load is still audited (decision "error") and, when
 * `receipt_path` is given, receipted with the digest of `report_path` (either may be NULL),
 * before this returns SLUICE_ERR_POLICY, or SLUICE_ERR_VERIFY for a bundle without enough
 * valid signatures. `ctx->admins_dir` and `ctx->required_signatures`, set by the caller
 * before (ctx otherwise zeroed), are kept. */
enum sluice_rc release_context_open(struct release_context *ctx, const char *policy_path,
                                    const char *key_path, const char *audit_path,
                                    const char *from, const char *to, const char *report_path,
                                    const char *receipt_path, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* What release_context_open does after the key and the audit-log check: loads the policy at
 * `policy_path` into `ctx` (zeroed, or as release_context_open leaves it) and compiles its
 * redactors and schema; on failure err->file names the policy. No key and no audit log are
 * involved: `sluice policy test` and `sluice policy explain` use it alone, then
 * release_context_close. */
enum sluice_rc release_context_load_policy(struct release_context *ctx, const char *policy_path,
                                           struct sluice_error *err) SLUICE_MUST_CHECK;
/* Writes the closing checkpoint and frees everything. */
enum sluice_rc release_context_close(struct release_context *ctx, struct sluice_error *err)
	SLUICE_MUST_CHECK;

struct transfer_record;
struct release_result;
/* The policy's id, version and digests into a record (empty ones for NULL). */
void transfer_record_set_policy(struct transfer_record *r, const struct policy *p);
/* The filter's decision, reason, output digest, banner, removals and redactions into a
 * record. Shared by `sluice release` and the daemon's router. */
void transfer_record_set_result(struct transfer_record *rec, const struct release_result *result);

struct release_summary {
	char decision[16];
	size_t withheld;       /* portions and outside-portion content removed */
	size_t redacted;       /* words and patterns replaced */
	char rule[64];         /* why, when not released */
	char transfer_id[40];
};

/* The decision on one report already in memory, and nothing after it: the flow lookup (no
 * flow: refused, rule "policy.no-flow", default deny, and the filter is not started), then the
 * sandboxed filter (filter_run, or ctx->filter's child when set; `purge`, when not NULL, runs in the child before its sandbox).
 * `result` must have been initialised (release_result_init); it is replaced. Nothing is signed,
 * logged or written. Returns the rc of the decision (SLUICE_OK when released). Shared by
 * release_one and the dry runs `sluice policy test` and `sluice policy explain`. */
enum sluice_rc release_decide(const struct release_context *ctx, const char *from, const char *to,
                              const uint8_t *report, size_t len, filter_purge_fn purge,
                              void *purge_arg, struct release_result *result) SLUICE_MUST_CHECK;

/* Releases one report. `out_path` NULL means stdout; `receipt_path` NULL means no receipt
 * file. Returns the rc whose exit code SPEC section 5 gives; `err` explains anything but a
 * release. */
enum sluice_rc release_one(struct release_context *ctx, const char *from, const char *to,
                           const char *report_path, const char *out_path,
                           const char *receipt_path, struct release_summary *summary,
                           struct sluice_error *err) SLUICE_MUST_CHECK;

/* `sluice release --batch`'s group commit (SPEC 7: a record is durable before its transfer is
 * acknowledged, and in a batch the acknowledgement is OUTDIR/NAME, its receipt and the summary
 * line): decides the first items and appends their records without fsync, for up to
 * RELEASE_GROUP_REPORTS reports, RELEASE_GROUP_MS milliseconds or RELEASE_GROUP_BYTES of
 * released output held (at least one report); then one fsync of the log; then writes their
 * reports and receipts (each file fsynced and renamed into place) and one fsync of the folder.
 * A report whose record did not become durable gets no file. Fills each taken item's
 * summary, rc and err as release_one would (the caller prints the summary lines after), and
 * returns how many items it took. */
#define RELEASE_GROUP_REPORTS 64
#define RELEASE_GROUP_MS 50
#define RELEASE_GROUP_BYTES (64u * 1024 * 1024)
struct release_item {
	char *in_path, *out_path, *receipt_path;      /* given (freed by the caller) */
	struct release_summary summary;               /* filled */
	enum sluice_rc rc;
	struct sluice_error err;
};
size_t release_group(struct release_context *ctx, const char *from, const char *to,
                     struct release_item *items, size_t n);

#endif
