/*
 * `sluice policy explain --policy P --from A --to B [--json] REPORT`: the dry run an analyst
 * or administrator wants before a transfer. The report goes through the same decision as
 * `sluice release` (release_decide: flow lookup, then the sandboxed filter child) and what the
 * filter answered is shown: the decision and the rule behind it, every withheld portion
 * (location, line, rule), every redaction (location, rule, count; never the matched text),
 * the banner before and after re-marking, and every portion with its marking and whether it
 * is released. Nothing is signed, logged or written (policy_dryrun.h): the command takes no key
 * and no audit log. The matched text of a redaction is never in the filter's answer
 * (gateway/filter_ipc.h), so it cannot be shown.
 *
 * Exit: the exit code `sluice release` would give (0 released, 1 refused, 65 invalid report,
 * 70 internal, 74 I/O), 64 usage, 78 invalid policy.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "policy_dryrun.h"

static const char usage[] =
	"usage: sluice policy explain --policy P --from SRC --to DST [--json] REPORT\n"
	"\n"
	"Dry run of `sluice release`: the report goes through the same sandboxed release filter,\n"
	"and what was decided is shown: the decision and the rule behind it, every withheld\n"
	"portion (location, line, rule), every redaction (location, rule, count; never the\n"
	"matched text), the banner before and after re-marking, and every portion with its\n"
	"marking and whether it is kept. Nothing is signed, logged or written.\n"
	"--json prints one JSON object for tools. --show-matches is not available: the filter\n"
	"does not hand matched text out of its sandbox.\n"
	"Exit: 0 would be released, 1 would be refused, 65 invalid report, 64 usage,\n"
	"70 internal, 74 I/O, 78 invalid policy.\n";

#define PROG "sluice policy explain"

/* ---------------------------------------------------------------------------------------- */
/* Text                                                                                     */

static const char *flow_portions(const struct policy_flow *f)
{
	return f->portions == PORTIONS_REDACT ? "redact" : "refuse";
}

static const char *flow_marker(const struct policy_flow *f)
{
	return f->marker == MARKER_WITHHELD ? "withheld" : "none";
}

/* Width of a column of filter strings, bounded so that one long location does not push the
 * table off every screen. */
static int column_width(size_t n, const char *(*get)(const struct release_result *, size_t),
                        const struct release_result *r, int min)
{
	size_t w = (size_t)min;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(get(r, i));
		if (l > w)
			w = l;
	}
	return w > 60 ? 60 : (int)w;
}

static const char *removal_location(const struct release_result *r, size_t i)
{
	return r->removals[i].location;
}

static const char *portion_location(const struct release_result *r, size_t i)
{
	return r->portions[i].location;
}

static const char *redaction_location(const struct release_result *r, size_t i)
{
	return r->redactions[i].location;
}

static void print_padded(const char *s, int width)
{
	dryrun_print_safe(stdout, s);
	for (int l = (int)strlen(s); l < width; l++)
		putchar(' ');
}

static void explain_text(const struct release_context *ctx, const char *from, const char *to,
                         const char *report, const struct release_result *r, int code)
{
	const struct policy *p = ctx->policy;
	const struct policy_flow *flow = policy_flow_find(p, from, to);

	puts("Dry run of sluice release: nothing was signed, logged or written.");
	printf("report      %s\n", report);
	printf("policy      %s version %ld (%s, sha256 %s)\n", p->id, p->version, p->path,
	       p->sha256_hex);
	if (flow != NULL)
		printf("flow        %s -> %s (policy line %u): portions %s, marker %s, %zu word "
		       "list%s, %zu pattern%s\n", from, to, flow->line, flow_portions(flow),
		       flow_marker(flow), flow->nwordlists, flow->nwordlists == 1 ? "" : "s",
		       flow->npatterns, flow->npatterns == 1 ? "" : "s");
	else
		printf("flow        %s -> %s: none (default deny)\n", from, to);
	printf("decision    %s (exit %d)\n", release_decision_name(r->decision), code);
	if (r->decision != RELEASE_RELEASED) {
		fputs("why         ", stdout);
		dryrun_print_safe(stdout, r->error.rule);
		if (r->error.line > 0)
			printf(" (report line %u)", r->error.line);
		fputs(": ", stdout);
		dryrun_print_safe(stdout, r->error.message);
		putchar('\n');
	}
	fputs("banner      before: ", stdout);
	if (r->banner_before != NULL)
		dryrun_print_safe(stdout, r->banner_before);
	else
		fputs("none (the report was not read that far)", stdout);
	putchar('\n');
	fputs("            after:  ", stdout);
	if (r->banner != NULL)
		dryrun_print_safe(stdout, r->banner);
	else
		fputs("none (nothing released)", stdout);
	putchar('\n');

	printf("\nportions    %zu\n", r->nportions);
	if (r->nportions > 0) {
		int w = column_width(r->nportions, portion_location, r, 8);
		printf("  %-6s  %-*s  %-9s  %s\n", "LINE", w, "LOCATION", "DECISION", "MARKING");
		for (size_t i = 0; i < r->nportions; i++) {
			printf("  %-6u  ", r->portions[i].line);
			print_padded(r->portions[i].location, w);
			printf("  %-9s  ", r->portions[i].withheld ? "withheld" : "kept");
			dryrun_print_safe(stdout, r->portions[i].label);
			putchar('\n');
		}
	}
	printf("\nwithheld    %zu", r->nremovals);
	if (r->decision == RELEASE_RELEASED)
		fputs(" (every portion not listed here is released)", stdout);
	putchar('\n');
	if (r->nremovals > 0) {
		int w = column_width(r->nremovals, removal_location, r, 8);
		printf("  %-6s  %-*s  %s\n", "LINE", w, "LOCATION", "RULE");
		for (size_t i = 0; i < r->nremovals; i++) {
			printf("  %-6u  ", r->removals[i].line);
			print_padded(r->removals[i].location, w);
			fputs("  ", stdout);
			dryrun_print_safe(stdout, r->removals[i].rule);
			putchar('\n');
		}
	}
	printf("\nredacted    %zu", dryrun_redacted_total(r));
	if (r->nredactions > 0)
		printf(" (in %zu place%s; the matched text is never shown)", r->nredactions,
		       r->nredactions == 1 ? "" : "s");
	putchar('\n');
	if (r->nredactions > 0) {
		int w = column_width(r->nredactions, redaction_location, r, 8);
		printf("  %-*s  %-5s  %s\n", w, "LOCATION", "COUNT", "RULE");
		for (size_t i = 0; i < r->nredactions; i++) {
			fputs("  ", stdout);
			print_padded(r->redactions[i].location, w);
			printf("  %-5u  ", r->redactions[i].count);
			dryrun_print_safe(stdout, r->redactions[i].rule);
			putchar('\n');
		}
	}
}

/* ---------------------------------------------------------------------------------------- */
/* JSON                                                                                     */

/* The filter's strings are hostile: one that is not UTF-8 (jansson refuses it) is shown as
 * null rather than dropped silently from the object. */
static json_t *json_str_or_null(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;
	return j != NULL ? j : json_null();
}

static json_t *explain_json(const struct release_context *ctx, const char *from,
                            const char *to, const char *report, const struct release_result *r,
                            int code)
{
	const struct policy *p = ctx->policy;
	const struct policy_flow *flow = policy_flow_find(p, from, to);
	json_t *o = json_object();

	json_object_set_new(o, "dry_run", json_true());
	json_object_set_new(o, "report", json_str_or_null(report));
	json_object_set_new(o, "policy",
	                    json_pack("{s:s?, s:I, s:s, s:s, s:s?}", "id", p->id, "version",
	                              (json_int_t)p->version, "sha256", p->sha256_hex,
	                              "bundle_sha256", p->bundle_sha256_hex, "path", p->path));
	json_object_set_new(o, "from", json_str_or_null(from));
	json_object_set_new(o, "to", json_str_or_null(to));
	json_object_set_new(o, "flow",
	                    flow == NULL ? json_null()
	                                 : json_pack("{s:I, s:s, s:s}", "line",
	                                             (json_int_t)flow->line, "portions",
	                                             flow_portions(flow), "marker",
	                                             flow_marker(flow)));
	json_object_set_new(o, "decision", json_string(release_decision_name(r->decision)));
	json_object_set_new(o, "exit", json_integer(code));
	bool released = r->decision == RELEASE_RELEASED;
	json_object_set_new(o, "rule", released ? json_null() : json_str_or_null(r->error.rule));
	json_object_set_new(o, "message",
	                    released ? json_null() : json_str_or_null(r->error.message));
	json_object_set_new(o, "line", released || r->error.line == 0
	                                       ? json_null()
	                                       : json_integer((json_int_t)r->error.line));
	json_object_set_new(o, "banner_before", json_str_or_null(r->banner_before));
	json_object_set_new(o, "banner_after", json_str_or_null(r->banner));
	json_t *portions = json_array();
	for (size_t i = 0; i < r->nportions; i++)
		json_array_append_new(portions,
		                      json_pack("{s:s, s:I, s:s, s:b}", "location",
		                                r->portions[i].location, "line",
		                                (json_int_t)r->portions[i].line, "marking",
		                                r->portions[i].label, "withheld",
		                                r->portions[i].withheld));
	json_object_set_new(o, "portions", portions);
	json_object_set_new(o, "withheld", json_integer((json_int_t)r->nremovals));
	json_object_set_new(o, "redacted", json_integer((json_int_t)dryrun_redacted_total(r)));
	json_t *removals = json_array();
	for (size_t i = 0; i < r->nremovals; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "location", json_str_or_null(r->removals[i].location));
		json_object_set_new(e, "line", json_integer((json_int_t)r->removals[i].line));
		json_object_set_new(e, "rule", json_str_or_null(r->removals[i].rule));
		json_array_append_new(removals, e);
	}
	json_object_set_new(o, "removals", removals);
	json_t *redactions = json_array();
	for (size_t i = 0; i < r->nredactions; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "location", json_str_or_null(r->redactions[i].location));
		json_object_set_new(e, "rule", json_str_or_null(r->redactions[i].rule));
		json_object_set_new(e, "count", json_integer((json_int_t)r->redactions[i].count));
		json_array_append_new(redactions, e);
	}
	json_object_set_new(o, "redactions", redactions);
	return o;
}

/* ---------------------------------------------------------------------------------------- */

int cmd_policy_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },     { "json", no_argument, NULL, 'j' },
		{ "show-matches", no_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *from = NULL, *to = NULL;
	bool json = false, show_matches = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'j': json = true; break;
		case 'm': show_matches = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (show_matches)
		return usage_error(usage, "--show-matches is not available: the sandboxed filter "
		                          "answers each redaction's rule, location and count, never "
		                          "the matched text, so it cannot be shown");
	if (!policy || !from || !to)
		return usage_error(usage, "--policy, --from and --to are required");
	if (optind != argc - 1)
		return usage_error(usage, optind == argc ? "no REPORT given"
		                                         : "more than one REPORT given");
	const char *report = argv[optind];

	struct release_context ctx;
	int code = dryrun_policy_load(PROG, policy, &ctx);
	if (code != 0)
		return code;
	struct release_result r;
	code = dryrun_decide_file(&ctx, from, to, report, &r);
	if (json) {
		json_t *o = explain_json(&ctx, from, to, report, &r, code);
		if (json_dumpf(o, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF) {
			fprintf(stderr, "sluice: cannot write the explanation\n");
			if (code == 0)
				code = 74;
		}
		json_decref(o);
	} else {
		explain_text(&ctx, from, to, report, &r, code);
	}
	if (fflush(stdout) != 0 && code == 0)
		code = 74;
	release_result_free(&r);
	dryrun_policy_free(&ctx);
	return code;
}
