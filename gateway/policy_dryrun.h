/*
 * Dry runs of the release pipeline for policy administration: `sluice policy test`
 * (cmd_policy_test.c) and `sluice policy explain` (cmd_policy_explain.c).
 *
 * A dry run decides exactly as `sluice release` does, through the same code: the policy loaded
 * and its redactors and schema compiled by release_context_load_policy, the decision taken by
 * release_decide (the flow lookup, default deny, then the sandboxed filter child of
 * gateway/filter_child.c, one fresh child per report). What it leaves out is everything after
 * the decision: no signing key is loaded, nothing is signed, no receipt is written, the audit
 * log is not opened, the released report is not written anywhere.
 *
 * SECURITY: this is the trusted side. Report bytes are read here (bounded by the policy's
 * max-bytes, as release_one reads them) only to be piped to the filter child; they are parsed
 * only there. The filter's answer (gateway/filter_ipc.h) is hostile: every string of it that
 * goes to a terminal goes through dryrun_print_safe.
 */
#ifndef SLUICE_POLICY_DRYRUN_H
#define SLUICE_POLICY_DRYRUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "release.h"
#include "release_run.h"

/* `sluice policy test POLICY CASES` and `sluice policy explain ...`: argc/argv start at the
 * subcommand's name ("test", "explain"); they return the process exit code. */
int cmd_policy_test(int argc, char **argv);
int cmd_policy_explain(int argc, char **argv);

/* Loads the policy at `path` into `ctx` for dry runs. On failure prints the error as
 * "PROG: FILE:LINE:COLUMN: ... [rule]" to stderr, frees what was loaded and returns the exit
 * code (78: an unreadable policy is an invalid policy, as for `policy check`); 0 on success.
 * Free with dryrun_policy_free. */
int dryrun_policy_load(const char *prog, const char *path, struct release_context *ctx);
/* Frees what dryrun_policy_load loaded (a dry run holds no key and no audit log). */
void dryrun_policy_free(struct release_context *ctx);

/* Decides one report, read from the file `path` like `sluice release` reads it (larger than
 * the policy's max-bytes: invalid, "limits.max-bytes"; unreadable: an I/O error). `result` is
 * initialised here and must be freed with release_result_free. Returns the exit code
 * `sluice release` would give for it (0, 1, 65, 70 or 74). */
int dryrun_decide_file(const struct release_context *ctx, const char *from, const char *to,
                       const char *path, struct release_result *result);
/* The same for a report held in memory (`name` names it in errors). */
int dryrun_decide_bytes(const struct release_context *ctx, const char *from, const char *to,
                        const char *name, const uint8_t *report, size_t len,
                        struct release_result *result);

/* The sum of the redaction counts of a result (words and patterns replaced). */
size_t dryrun_redacted_total(const struct release_result *result);

/* One rule's total over all locations: the redactions of a result summed per rule, in the
 * order each rule first appears. */
struct dryrun_rule_count {
	const char *rule; /* points into the result */
	size_t count;
	size_t first; /* index of its first redaction in the result */
};
/* *out is a new array (free it) of *n entries, NULL when there is none. */
void dryrun_redactions_by_rule(const struct release_result *result,
                               struct dryrun_rule_count **out, size_t *n);

/* Writes `s` with every control character (C0, DEL) replaced by '?', so that nothing the
 * filter answers can send escape sequences to the operator's terminal. NULL writes "-". */
void dryrun_print_safe(FILE *f, const char *s);

#endif
