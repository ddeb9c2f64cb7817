/* Unit tests of the structural policy diff (gateway/policy_diff.h): no change between equal
 * policies; each kind of change named, with its lines; the pairs a change affects; a word list
 * edited without the policy file changing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_diff.h"
#include "tmpdir.h"

static const char base[] =
	"sluice-policy: 1\n"                                      /* 1 */
	"id: diff\n"                                              /* 2 */
	"version: 1\n"                                            /* 3 */
	"profile: ism\n"                                          /* 4 */
	"limits: {max-bytes: 1MiB, max-depth: 32, max-nodes: 20000}\n" /* 5 */
	"caveats:\n"                                              /* 6 */
	"  NF: {requires: [USA]}\n"                               /* 7 */
	"  OC: {action: refuse}\n"                                /* 8 */
	"domains:\n"                                              /* 9 */
	"  a: {clearance: TS, holds: [USA]}\n"                    /* 10 */
	"  b: {clearance: S, holds: [USA]}\n"                     /* 11 */
	"  c: {clearance: C, holds: [USA]}\n"                     /* 12 */
	"flows:\n"                                                /* 13 */
	"  - from: a\n"                                           /* 14 */
	"    to: [b, c]\n"
	"    portions: redact\n"
	"    redact:\n"
	"      patterns: [email]\n"
	"  - from: b\n"                                           /* 19 */
	"    to: c\n"
	"    portions: refuse\n";

/* `base` with the first occurrence of `from` replaced by `to` (NULL: unchanged). */
static struct policy *load_edit(const char *from, const char *to, const char *dir)
{
	char text[4096];
	struct sluice_error err;
	struct policy *p = NULL;
	const char *at = from != NULL ? strstr(base, from) : NULL;
	if (from != NULL && at == NULL)
		fail_msg("'%s' not in the base policy", from);
	if (at == NULL)
		snprintf(text, sizeof(text), "%s", base);
	else
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, to,
		         at + strlen(from));
	if (policy_load_buffer("p.yaml", (const uint8_t *)text, strlen(text),
	                       dir != NULL ? dir : ".", &p, &err) != SLUICE_OK)
		fail_msg("%s:%u: %s", err.file, err.line, err.message);
	return p;
}

static const struct policy_change *find(const struct policy_diff *d, const char *subject,
                                        const char *text)
{
	for (size_t i = 0; i < d->nchanges; i++)
		if (strcmp(d->changes[i].subject, subject) == 0 &&
		    strstr(d->changes[i].text, text) != NULL)
			return &d->changes[i];
	return NULL;
}

/* How many pairs the diff affects, checking that they are those policy_diff_affects names. */
static size_t affected(const struct policy *a, const struct policy *b,
                       const struct policy_diff *d, const char *first_from,
                       const char *first_to)
{
	struct policy_pair *pairs;
	size_t n;
	policy_diff_affected_pairs(a, b, d, &pairs, &n);
	for (size_t i = 0; i < n; i++)
		assert_true(policy_diff_affects(d, pairs[i].from, pairs[i].to));
	if (first_from != NULL) {
		assert_true(n > 0);
		assert_string_equal(pairs[0].from, first_from);
		assert_string_equal(pairs[0].to, first_to);
	}
	policy_pairs_free(pairs, n);
	return n;
}

static void done(struct policy_diff *d, struct policy *a, struct policy *b)
{
	policy_diff_free(d);
	policy_free(a);
	policy_free(b);
}

static void equal_policies_no_change(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL), *b = load_edit(NULL, NULL, NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_int_equal(d.nchanges, 0);
	assert_false(d.everything);
	assert_false(d.content_only);
	assert_false(policy_diff_affects(&d, "a", "b"));
	assert_int_equal(affected(a, b, &d, NULL, NULL), 0);
	done(&d, a, b);
}

static void clearance_lowered(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL);
	struct policy *b = load_edit("c: {clearance: C", "c: {clearance: R", NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_int_equal(d.nchanges, 1);
	const struct policy_change *c = find(&d, "domain c", "clearance C -> R");
	assert_non_null(c);
	assert_int_equal(c->group, DIFF_DOMAINS);
	assert_int_equal(c->old_line, 12);
	assert_int_equal(c->new_line, 12);
	assert_false(d.everything);
	assert_true(policy_diff_affects(&d, "a", "c"));
	assert_true(policy_diff_affects(&d, "b", "c"));
	assert_false(policy_diff_affects(&d, "a", "b"));
	assert_int_equal(affected(a, b, &d, "a", "c"), 2); /* a -> c, b -> c; not a -> b */
	done(&d, a, b);
}

static void holds_and_domains(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL);
	struct policy *b = load_edit("  b: {clearance: S, holds: [USA]}\n",
	                             "  b: {clearance: S, holds: [USA, LES]}\n"
	                             "  d: {clearance: U, holds: [USA]}\n", NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_non_null(find(&d, "domain b", "holds: added LES"));
	const struct policy_change *c = find(&d, "domain d", "clearance U");
	assert_non_null(c);
	assert_int_equal(c->kind, CHANGE_ADDED);
	assert_int_equal(c->old_line, 0);
	assert_int_equal(c->new_line, 12);
	assert_true(strset_contains(&d.domains, "b"));
	assert_true(strset_contains(&d.domains, "d"));
	done(&d, a, b);
}

static void caveat_changes_affect_everything(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL);
	struct policy *b = load_edit("NF: {requires: [USA]}", "NF: {action: withhold}", NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_int_equal(d.nchanges, 1);
	const struct policy_change *c =
		find(&d, "caveat NF", "requires {USA} -> action withhold");
	assert_non_null(c);
	assert_int_equal(c->old_line, 7);
	assert_true(d.everything);
	assert_true(policy_diff_affects(&d, "a", "b"));
	assert_int_equal(affected(a, b, &d, "a", "b"), 3); /* every pair a flow decides, only those */
	done(&d, a, b);
}

static void flows_expanded_to_pairs(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL);
	/* a -> c moves to its own flow with another pattern; b -> c is removed. */
	struct policy *b = load_edit("    to: [b, c]\n    portions: redact\n    redact:\n"
	                             "      patterns: [email]\n  - from: b\n    to: c\n"
	                             "    portions: refuse\n",
	                             "    to: b\n    portions: redact\n    redact:\n"
	                             "      patterns: [email]\n  - from: a\n    to: c\n"
	                             "    portions: refuse\n    marker: none\n    redact:\n"
	                             "      patterns: [phone]\n      replace-with: \"XX\"\n",
	                             NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_null(find(&d, "flow a -> b", "")); /* unchanged */
	assert_non_null(find(&d, "flow a -> c", "portions redact -> refuse"));
	assert_non_null(find(&d, "flow a -> c", "marker withheld -> none"));
	assert_non_null(find(&d, "flow a -> c", "patterns: added phone"));
	assert_non_null(find(&d, "flow a -> c", "patterns: removed email"));
	assert_non_null(find(&d, "flow a -> c", "replace-with \"[REDACTED]\" -> \"XX\""));
	const struct policy_change *c = find(&d, "flow b -> c", "");
	assert_non_null(c);
	assert_int_equal(c->kind, CHANGE_REMOVED);
	assert_int_equal(c->old_line, 19);
	assert_int_equal(d.nflows, 2);
	assert_false(d.everything);
	assert_false(policy_diff_affects(&d, "a", "b"));
	assert_true(policy_diff_affects(&d, "b", "c"));
	done(&d, a, b);
}

static void limits_affect_everything(void **state)
{
	(void)state;
	struct policy *a = load_edit(NULL, NULL, NULL);
	struct policy *b = load_edit("max-depth: 32", "max-depth: 16", NULL);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	const struct policy_change *c = find(&d, "limits", "max-depth 32 -> 16");
	assert_non_null(c);
	assert_int_equal(c->old_line, 5);
	assert_true(d.everything);
	done(&d, a, b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void wordlist_contents_only(void **state)
{
	(void)state;
	char dir[] = "/tmp/sluice-diff-XXXXXX", list[64];
	assert_non_null(mkdtemp(dir));
	snprintf(list, sizeof(list), "%s/w.txt", dir);
	write_file(list, "alpha\n");
	const char *from = "      patterns: [email]\n";
	const char *to = "      patterns: [email]\n      words: [w.txt]\n";
	struct policy *a = load_edit(from, to, dir);
	write_file(list, "alpha\nbravo\n");
	struct policy *b = load_edit(from, to, dir);
	struct policy_diff d;
	policy_diff_compute(a, b, &d);
	assert_true(d.content_only);
	assert_non_null(find(&d, "flow a -> b", "word list w.txt: contents changed (1 -> 2"));
	assert_non_null(find(&d, "flow a -> c", "word list w.txt: contents changed"));
	const struct policy_change *c = find(&d, "word list w.txt", "1 -> 2 entries");
	assert_non_null(c);
	assert_int_equal(c->group, DIFF_WORDLISTS);
	assert_non_null(find(&d, "bundle", "the policy file is unchanged"));
	assert_true(policy_diff_affects(&d, "a", "c"));
	assert_false(policy_diff_affects(&d, "b", "c"));
	done(&d, a, b);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(equal_policies_no_change),
		cmocka_unit_test(clearance_lowered),
		cmocka_unit_test(holds_and_domains),
		cmocka_unit_test(caveat_changes_affect_everything),
		cmocka_unit_test(flows_expanded_to_pairs),
		cmocka_unit_test(limits_affect_everything),
		cmocka_unit_test(wordlist_contents_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
