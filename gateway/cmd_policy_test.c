/*
 * `sluice policy test POLICY CASES`: a policy's test cases, in the spirit of `opa test`.
 *
 * Each case's report goes through the same decision as `sluice release` (release_decide: flow
 * lookup, then the sandboxed filter child, one per case) and its outcome is compared with what
 * the case expects. Nothing is signed, logged or written (policy_dryrun.h). The cases file
 * format is in policy_cases.h and docs/POLICY.md.
 *
 * Output: "ok - NAME" or "not ok - NAME" per case, a failing case followed by one indented line
 * per field that differs ("    withheld: expected 2, got 1") and why the filter decided as it
 * did, then "N passed, M failed". Exit: 0 all passed, 1 any failed, 64 usage, 78 an invalid
 * policy or cases file.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "policy_cases.h"
#include "policy_dryrun.h"

static const char usage[] =
	"usage: sluice policy test POLICY CASES\n"
	"\n"
	"Runs a policy's test cases (docs/POLICY.md). Each case names a report (a\n"
	"file, or inline), a source and a destination domain, and what it expects: decision,\n"
	"exit code, portions withheld, redactions by rule, banner after re-marking, rule. The\n"
	"report goes through the same sandboxed release filter as `sluice release`; nothing is\n"
	"signed, logged or written. Prints \"ok - NAME\" or \"not ok - NAME\" with what differs,\n"
	"then \"N passed, M failed\".\n"
	"Exit: 0 every case passed, 1 a case failed, 64 usage, 78 invalid policy or test file.\n";

#define PROG "sluice policy test"

/* A value the case does not constrain is never compared. "got" values come from the filter:
 * printed through dryrun_print_safe. */
static void diff_string(FILE *d, const char *field, const char *expected, const char *got,
                        const char *got_none)
{
	if (expected == NULL || (got != NULL && strcmp(expected, got) == 0))
		return;
	fprintf(d, "    %s: expected \"%s\", got ", field, expected);
	if (got == NULL) {
		fputs(got_none, d);
	} else {
		fputc('"', d);
		dryrun_print_safe(d, got);
		fputc('"', d);
	}
	fputc('\n', d);
}

static void diff_redactions(FILE *d, const struct policy_case_expect *e,
                            const struct release_result *r)
{
	struct dryrun_rule_count *got = NULL;
	size_t ngot = 0;

	dryrun_redactions_by_rule(r, &got, &ngot);
	for (size_t i = 0; i < e->nredactions; i++) {
		size_t count = 0;
		for (size_t j = 0; j < ngot; j++)
			if (strcmp(got[j].rule, e->redactions[i].rule) == 0)
				count = got[j].count;
		if (count != e->redactions[i].count)
			fprintf(d, "    redactions[%s]: expected %lu, got %zu\n", e->redactions[i].rule,
			        e->redactions[i].count, count);
	}
	for (size_t j = 0; j < ngot; j++) {
		bool listed = false;
		for (size_t i = 0; i < e->nredactions && !listed; i++)
			listed = strcmp(got[j].rule, e->redactions[i].rule) == 0;
		if (listed)
			continue;
		fputs("    redactions[", d);
		dryrun_print_safe(d, got[j].rule);
		fprintf(d, "]: expected 0 (not listed), got %zu\n", got[j].count);
	}
	free(got);
}

/* Writes one line per expected field that differs; true when none does. */
static bool compare(FILE *d, const struct policy_case_expect *e, const struct release_result *r,
                    int got_exit)
{
	long start = ftell(d);
	const char *got_rule = r->decision == RELEASE_RELEASED ? NULL : r->error.rule;

	if (e->has_decision && e->decision != r->decision)
		fprintf(d, "    decision: expected %s, got %s\n", release_decision_name(e->decision),
		        release_decision_name(r->decision));
	if (e->has_exit && e->exit != got_exit)
		fprintf(d, "    exit: expected %d, got %d\n", e->exit, got_exit);
	if (e->has_withheld && e->withheld != r->nremovals)
		fprintf(d, "    withheld: expected %lu, got %zu\n", e->withheld, r->nremovals);
	if (e->has_redactions)
		diff_redactions(d, e, r);
	diff_string(d, "banner", e->banner, r->banner, "none (nothing released)");
	diff_string(d, "rule", e->rule, got_rule, "none (released)");
	if (ftell(d) == start)
		return true;
	if (r->decision != RELEASE_RELEASED) {
		fputs("    why: ", d);
		dryrun_print_safe(d, r->error.rule);
		if (r->error.line > 0)
			fprintf(d, " (report line %u)", r->error.line);
		fputs(": ", d);
		dryrun_print_safe(d, r->error.message);
		fputc('\n', d);
	}
	return false;
}

static bool run_case(const struct release_context *ctx, const char *cases_path,
                     const struct policy_case *pc)
{
	struct release_result r;
	char *diff = NULL;
	size_t difflen = 0;
	FILE *d = open_memstream(&diff, &difflen);
	if (d == NULL) {
		fputs("sluice: out of memory\n", stderr);
		exit(70);
	}

	int got_exit = pc->report_path != NULL
	                       ? dryrun_decide_file(ctx, pc->from, pc->to, pc->report_path, &r)
	                       : dryrun_decide_bytes(ctx, pc->from, pc->to, pc->name, pc->report,
	                                             pc->report_len, &r);
	bool pass = compare(d, &pc->expect, &r, got_exit);
	fclose(d);
	printf("%s - %s\n", pass ? "ok" : "not ok", pc->name);
	if (!pass)
		printf("    case at %s:%u\n%s", cases_path, pc->line, diff);
	fflush(stdout);
	free(diff);
	release_result_free(&r);
	return pass;
}

int cmd_policy_test(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_error(usage, "policy test takes a POLICY and a CASES file");

	struct release_context ctx;
	int code = dryrun_policy_load(PROG, argv[1], &ctx);
	if (code != 0)
		return code;

	struct sluice_error err;
	struct policy_cases *cases = NULL;
	sluice_error_clear(&err);
	if (policy_cases_load(argv[2], &cases, &err) != SLUICE_OK) {
		if (err.file[0] == '\0')
			snprintf(err.file, sizeof(err.file), "%s", argv[2]);
		sluice_error_print(PROG, &err);
		code = 78;
		goto out;
	}
	printf("# policy %s version %ld (sha256 %s): %zu case%s from %s\n", ctx.policy->id,
	       ctx.policy->version, ctx.policy->sha256_hex, cases->ncases,
	       cases->ncases == 1 ? "" : "s", argv[2]);
	size_t passed = 0, failed = 0;
	for (size_t i = 0; i < cases->ncases; i++) {
		if (run_case(&ctx, argv[2], &cases->cases[i]))
			passed++;
		else
			failed++;
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	code = failed == 0 ? 0 : 1;
out:
	policy_cases_free(cases);
	dryrun_policy_free(&ctx);
	return code;
}
