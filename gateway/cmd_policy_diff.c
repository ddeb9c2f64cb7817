/*
 * `sluice policy diff OLD NEW [--corpus DIR]`: what a change to a policy changes (issue 5,
 * part 4; docs/POLICY.md, "Seeing what a change changes").
 *
 * First the structural diff of policy_diff.h, one line per change, grouped. Then, with
 * --corpus, every report of DIR is replayed for every affected pair under OLD and under NEW
 * through the dry-run machinery of `sluice policy test` and `explain` (policy_dryrun.h:
 * release_decide, the sandboxed filter child, one per decision; nothing is signed, audited or
 * written) and the reports whose outcome changes are listed.
 *
 * Exit: 0 nothing changes, 1 something does, 64 usage (or a corpus of more than
 * DIFF_MAX_REPORTS files), 74 I/O, 78 a policy is invalid.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "commands.h"
#include "policy_diff.h"
#include "policy_dryrun.h"

#define PROG "sluice policy diff"
#define DIFF_MAX_REPORTS 10000

static const char usage[] =
	"usage: sluice policy diff OLD NEW [--corpus DIR] [--json]\n"
	"\n"
	"What changing policy OLD into NEW changes: profile, limits and schema, caveat rules\n"
	"added, removed or changed, domains (clearance, holds, TLP membership), flows added or\n"
	"removed per (from, to) pair and, for a pair in both, portions, marker, word lists (by\n"
	"path and by contents), patterns and replace-with; word lists whose contents changed.\n"
	"--corpus DIR replays every report in DIR (not its subfolders, no dot files, at most\n"
	"10000) under both policies for every affected pair, through the same sandboxed filter\n"
	"as `sluice release` (nothing is signed, logged or written), and lists the reports\n"
	"whose outcome changes.\n"
	"--json prints the same as one JSON object (docs/POLICY.md gives its members), for\n"
	"review tools and CI pipelines.\n"
	"Exit: 0 nothing changes, 1 something does, 64 usage, 74 I/O, 78 invalid policy.\n";

/* ---------------------------------------------------------------------------------------- */
/* Structural diff                                                                          */

static void print_lines(const struct policy_change *c)
{
	if (c->kind == CHANGE_REMOVED && c->old_line > 0)
		printf(" (OLD line %u)", c->old_line);
	else if (c->kind == CHANGE_ADDED && c->new_line > 0)
		printf(" (NEW line %u)", c->new_line);
	else if (c->old_line > 0 && c->old_line == c->new_line)
		printf(" (line %u)", c->old_line);
	else if (c->old_line > 0 || c->new_line > 0)
		printf(" (OLD line %u, NEW line %u)", c->old_line, c->new_line);
}

static void print_structure(const char *old_path, const struct policy *a, const char *new_path,
                            const struct policy *b, const struct policy_diff *d)
{
	printf("OLD %s: policy %s version %ld (sha256 %.16s..., bundle_sha256 %.16s...)\n",
	       old_path, a->id, a->version, a->sha256_hex, a->bundle_sha256_hex);
	printf("NEW %s: policy %s version %ld (sha256 %.16s..., bundle_sha256 %.16s...)\n",
	       new_path, b->id, b->version, b->sha256_hex, b->bundle_sha256_hex);
	if (d->nchanges == 0) {
		puts("no change: both policies decide every transfer alike");
		return;
	}
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct policy_change *c = &d->changes[i];
		if (i == 0 || d->changes[i - 1].group != c->group)
			printf("%s:\n", policy_diff_group_name(c->group));
		printf("  %-7s %s", policy_change_kind_name(c->kind), c->subject);
		print_lines(c);
		if (c->text[0] != '\0')
			printf(": %s", c->text);
		putchar('\n');
	}
	printf("%zu change%s\n", d->nchanges, d->nchanges == 1 ? "" : "s");
}

/* A corpus file name as JSON: it is whatever bytes the folder holds, and JSON strings are
 * UTF-8. */
static json_t *name_json(const char *name)
{
	json_t *j = json_string(name);
	return j != NULL ? j : json_string("(a name that is not UTF-8)");
}

static json_t *policy_json(const char *path, const struct policy *p)
{
	return json_pack("{s:o, s:s, s:I, s:s, s:s}", "path", name_json(path), "id", p->id, "version",
	                 (json_int_t)p->version, "sha256", p->sha256_hex, "bundle_sha256",
	                 p->bundle_sha256_hex);
}

static json_t *structure_json(const char *old_path, const struct policy *a,
                              const char *new_path, const struct policy *b,
                              const struct policy_diff *d)
{
	json_t *changes = json_array();
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct policy_change *c = &d->changes[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "group", policy_diff_group_name(c->group),
		                      "kind", policy_change_kind_name(c->kind), "subject", c->subject,
		                      "text", c->text);
		if (c->old_line > 0)
			json_object_set_new(o, "old_line", json_integer(c->old_line));
		if (c->new_line > 0)
			json_object_set_new(o, "new_line", json_integer(c->new_line));
		json_array_append_new(changes, o);
	}
	return json_pack("{s:o, s:o, s:o}", "old", policy_json(old_path, a), "new",
	                 policy_json(new_path, b), "changes", changes);
}

/* ---------------------------------------------------------------------------------------- */
/* Corpus replay                                                                            */

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The regular files of `dir` (no dot files, not recursive), sorted. Returns 0, 64 (too many)
 * or 74 (unreadable), having said why. */
static int corpus_list(const char *dir, char ***out, size_t *n)
{
	DIR *dh = opendir(dir);
	char **names = NULL;
	size_t count = 0;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (dh == NULL) {
		fprintf(stderr, "%s: %s: cannot read the corpus folder: %s\n", PROG, dir,
		        strerror(errno));
		return 74;
	}
	while ((errno = 0, e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (count == DIFF_MAX_REPORTS) {
			fprintf(stderr, "%s: %s: more than %d reports; replay a smaller corpus\n", PROG,
			        dir, DIFF_MAX_REPORTS);
			closedir(dh);
			free_names(names, count);
			return 64;
		}
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = xstrdup(e->d_name);
	}
	int read_errno = errno;
	closedir(dh);
	if (read_errno != 0) {
		fprintf(stderr, "%s: %s: cannot read the corpus folder: %s\n", PROG, dir,
		        strerror(read_errno));
		free_names(names, count);
		return 74;
	}
	if (count > 0)
		qsort(names, count, sizeof(*names), by_name);
	*out = names;
	*n = count;
	return 0;
}

/* A growing string (the cells of the table). */
struct text {
	char s[512];
	size_t len;
};

static void text_add(struct text *t, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *f, ...)
{
	va_list ap;
	if (t->len >= sizeof(t->s) - 1)
		return;
	va_start(ap, f);
	int n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, f, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->s) - t->len ? (size_t)n : sizeof(t->s) - 1 - t->len;
}

static const char *str_or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* "released, 2 withheld, 3 redacted" or "refused (rule)". */
static void outcome_text(const struct release_result *r, struct text *t)
{
	t->len = 0;
	t->s[0] = '\0';
	text_add(t, "%s", release_decision_name(r->decision));
	if (r->decision != RELEASE_RELEASED)
		text_add(t, " (%s)", str_or_dash(r->error.rule));
	else
		text_add(t, ", %zu withheld, %zu redacted", r->nremovals, dryrun_redacted_total(r));
}

static size_t rule_count(const struct dryrun_rule_count *v, size_t n, const char *rule)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].rule, rule) == 0)
			return v[i].count;
	return 0;
}

/* What differs between two outcomes into `t`; false when nothing does. */
static bool outcome_changes(const struct release_result *a, const struct release_result *b,
                            struct text *t)
{
	t->len = 0;
	t->s[0] = '\0';
	const char *sep = "";
	if (a->decision != b->decision) {
		if (b->decision == RELEASE_RELEASED)
			text_add(t, "newly released");
		else if (a->decision == RELEASE_RELEASED && b->decision == RELEASE_REFUSED)
			text_add(t, "newly refused");
		else
			text_add(t, "%s -> %s", release_decision_name(a->decision),
			         release_decision_name(b->decision));
		return true;
	}
	if (a->decision != RELEASE_RELEASED) {
		if (strcmp(a->error.rule, b->error.rule) == 0)
			return false;
		text_add(t, "rule %s -> %s", a->error.rule, b->error.rule);
		return true;
	}
	if (a->nremovals != b->nremovals) {
		text_add(t, "%s portions withheld (%zu -> %zu)",
		         b->nremovals > a->nremovals ? "more" : "fewer", a->nremovals, b->nremovals);
		sep = "; ";
	}
	struct dryrun_rule_count *ra, *rb;
	size_t na, nb;
	dryrun_redactions_by_rule(a, &ra, &na);
	dryrun_redactions_by_rule(b, &rb, &nb);
	for (size_t i = 0; i < na; i++) {
		size_t cb = rule_count(rb, nb, ra[i].rule);
		if (cb != ra[i].count) {
			text_add(t, "%sredactions %s %zu -> %zu", sep, ra[i].rule, ra[i].count, cb);
			sep = "; ";
		}
	}
	for (size_t i = 0; i < nb; i++)
		if (rule_count(ra, na, rb[i].rule) == 0) {
			text_add(t, "%sredactions %s 0 -> %zu", sep, rb[i].rule, rb[i].count);
			sep = "; ";
		}
	free(ra);
	free(rb);
	if (strcmp(str_or_dash(a->banner), str_or_dash(b->banner)) != 0)
		text_add(t, "%sbanner %s -> %s", sep, str_or_dash(a->banner), str_or_dash(b->banner));
	return t->len > 0;
}

struct row {
	char *report, *from, *to;
	struct text old, new, what;
};

static int width(const struct row *rows, size_t n, size_t field, const char *head)
{
	size_t w = strlen(head);
	for (size_t i = 0; i < n; i++) {
		const char *s = field == 0 ? rows[i].report : field == 1 ? rows[i].from
		              : field == 2 ? rows[i].to : field == 3 ? rows[i].old.s : rows[i].new.s;
		if (strlen(s) > w)
			w = strlen(s);
	}
	return w > 48 ? 48 : (int)w;
}

static void cell(const char *s, int w)
{
	dryrun_print_safe(stdout, s);
	for (int l = (int)strlen(s); l < w; l++)
		putchar(' ');
	fputs("  ", stdout);
}

static void print_table(const struct row *rows, size_t n)
{
	static const char *const heads[] = { "REPORT", "FROM", "TO", "OLD", "NEW" };
	int w[5];
	for (size_t f = 0; f < 5; f++)
		w[f] = width(rows, n, f, heads[f]);
	for (size_t f = 0; f < 5; f++)
		cell(heads[f], w[f]);
	puts("CHANGE");
	for (size_t i = 0; i < n; i++) {
		cell(rows[i].report, w[0]);
		cell(rows[i].from, w[1]);
		cell(rows[i].to, w[2]);
		cell(rows[i].old.s, w[3]);
		cell(rows[i].new.s, w[4]);
		dryrun_print_safe(stdout, rows[i].what.s);
		putchar('\n');
	}
}

/* Replays the corpus; *changed is the number of outcomes that change. Returns 0 or the exit
 * code of a corpus that cannot be replayed. */
static int replay(const struct release_context *old_ctx, const struct release_context *new_ctx,
                  const struct policy_diff *d, const char *dir, json_t *json, size_t *changed)
{
	char **names;
	size_t nnames, npairs;
	struct policy_pair *pairs;
	struct timespec t0, t1;

	*changed = 0;
	int code = corpus_list(dir, &names, &nnames);
	if (code != 0)
		return code;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	policy_diff_affected_pairs(old_ctx->policy, new_ctx->policy, d, &pairs, &npairs);
	struct row *rows = NULL;
	size_t nrows = 0;
	for (size_t i = 0; i < nnames; i++)
		for (size_t k = 0; k < npairs; k++) {
			char path[4096];
			struct release_result ra, rb;
			struct row r;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			(void)dryrun_decide_file(old_ctx, pairs[k].from, pairs[k].to, path, &ra);
			(void)dryrun_decide_file(new_ctx, pairs[k].from, pairs[k].to, path, &rb);
			if (outcome_changes(&ra, &rb, &r.what)) {
				r.report = names[i];
				r.from = pairs[k].from;
				r.to = pairs[k].to;
				outcome_text(&ra, &r.old);
				outcome_text(&rb, &r.new);
				rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
				rows[nrows++] = r;
			}
			release_result_free(&ra);
			release_result_free(&rb);
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*changed = nrows;
	if (json != NULL) {
		json_t *jp = json_array(), *jr = json_array();
		for (size_t k = 0; k < npairs; k++)
			json_array_append_new(jp, json_pack("{s:s, s:s}", "from", pairs[k].from, "to",
			                                    pairs[k].to));
		for (size_t i = 0; i < nrows; i++)
			json_array_append_new(jr, json_pack("{s:o, s:s, s:s, s:s, s:s, s:s}", "report",
			                                    name_json(rows[i].report), "from", rows[i].from, "to",
			                                    rows[i].to, "old", rows[i].old.s, "new",
			                                    rows[i].new.s, "change", rows[i].what.s));
		json_object_set_new(json, "corpus",
		                    json_pack("{s:o, s:o, s:I, s:o}", "dir", name_json(dir), "pairs", jp,
		                              "reports", (json_int_t)nnames, "changed", jr));
		goto done;
	}
	printf("\ncorpus %s: %zu affected pair%s", dir, npairs, npairs == 1 ? "" : "s");
	for (size_t k = 0; k < npairs; k++)
		printf("%s%s -> %s", k == 0 ? " (" : ", ", pairs[k].from, pairs[k].to);
	puts(npairs > 0 ? ")" : "");
	if (nrows > 0)
		print_table(rows, nrows);
	printf("%zu report%s x %zu pair%s replayed: %zu outcome%s change (%.1f s)\n", nnames,
	       nnames == 1 ? "" : "s", npairs, npairs == 1 ? "" : "s", nrows,
	       nrows == 1 ? "" : "s", secs);
done:
	free(rows);
	policy_pairs_free(pairs, npairs);
	free_names(names, nnames);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */

int cmd_policy_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "corpus", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *corpus = NULL;
	bool as_json = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (corpus != NULL)
				return usage_error(usage, "--corpus given twice");
			corpus = optarg;
			break;
		case 'j': as_json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error(usage, "policy diff takes exactly two policies, OLD and NEW");
	const char *old_path = argv[optind], *new_path = argv[optind + 1];

	struct release_context a, b;
	int code = dryrun_policy_load(PROG, old_path, &a);
	if (code != 0)
		return code;
	code = dryrun_policy_load(PROG, new_path, &b);
	if (code != 0) {
		dryrun_policy_free(&a);
		return code;
	}
	struct policy_diff d;
	policy_diff_compute(a.policy, b.policy, &d);
	json_t *json = NULL;
	if (as_json)
		json = structure_json(old_path, a.policy, new_path, b.policy, &d);
	else
		print_structure(old_path, a.policy, new_path, b.policy, &d);
	size_t changed = 0;
	if (corpus != NULL)
		code = replay(&a, &b, &d, corpus, json, &changed);
	if (code == 0)
		code = d.nchanges > 0 || changed > 0 ? 1 : 0;
	if (json != NULL) {
		if (code <= 1) {
			json_object_set_new(json, "changed", json_boolean(code == 1));
			if (json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
				code = 74;
			putchar('\n');
		}
		json_decref(json);
	}
	if (fflush(stdout) != 0)
		code = 74;
	policy_diff_free(&d);
	dryrun_policy_free(&a);
	dryrun_policy_free(&b);
	return code;
}
