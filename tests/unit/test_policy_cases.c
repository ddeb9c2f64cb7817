/*
 * The loader of a policy's test cases (gateway/policy_cases.c, `sluice policy test`,
 * docs/POLICY.md): strict YAML through policy/yaml_strict.h, rules "cases.*".
 *
 * Success cases load the example's policy-tests.yaml and small inline files and check every
 * field. Failure cases are a table of small inline files, each run as its own cmocka test that
 * asserts SLUICE_ERR_POLICY, the rule and the exact line and column. Report paths resolve
 * against examples/fusion-cell (found from SLUICE_FIXTURES), whose reports exist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "policy_cases.h"
#include "tmpdir.h"

static char example_dir[1024]; /* $SLUICE_FIXTURES/../../examples/fusion-cell */

static void print_err(const struct sluice_error *err)
{
	print_error("%s:%u:%u: %s [%s]\n", err->file, err->line, err->column, err->message,
	            err->rule);
}

static struct policy_cases *load_text_ok(const char *text)
{
	struct sluice_error err;
	struct policy_cases *c = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_cases_load_buffer("inline.yaml", (const uint8_t *)text,
	                                             strlen(text), example_dir, &c, &err);
	if (rc != SLUICE_OK)
		print_err(&err);
	assert_int_equal(rc, SLUICE_OK);
	assert_non_null(c);
	return c;
}

/* Lines 1-6; a test adds line 7 (the case's expect, or more). */
#define HEAD "sluice-policy-tests: 1\ncases:\n  - name: a\n" \
             "    report: reports/01-intel-to-police-plain.xml\n    from: intel\n    to: police\n"

/* ---------------------------------------------------------------------------------------- */
/* Success                                                                                  */

static void test_example_file(void **state)
{
	struct sluice_error err;
	struct policy_cases *c = NULL;
	char *path = path_join(example_dir, "policy-tests.yaml");
	(void)state;

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_cases_load(path, &c, &err);
	if (rc != SLUICE_OK)
		print_err(&err);
	assert_int_equal(rc, SLUICE_OK);
	assert_true(c->ncases >= 19);
	assert_string_equal(c->path, path);
	/* Case 04: every kind of expectation but rule. */
	const struct policy_case *pc = &c->cases[3];
	assert_non_null(strstr(pc->name, "04 NOFORN"));
	assert_string_equal(pc->from, "intel");
	assert_string_equal(pc->to, "partner-fra");
	char *want = path_join(example_dir, "reports/04-intel-to-fra-noforn.xml");
	assert_string_equal(pc->report_path, want);
	free(want);
	assert_null(pc->report);
	assert_true(pc->expect.has_decision);
	assert_int_equal(pc->expect.decision, RELEASE_RELEASED);
	assert_true(pc->expect.has_exit);
	assert_int_equal(pc->expect.exit, 0);
	assert_true(pc->expect.has_withheld);
	assert_int_equal(pc->expect.withheld, 2);
	assert_true(pc->expect.has_redactions);
	assert_int_equal(pc->expect.nredactions, 1);
	assert_string_equal(pc->expect.redactions[0].rule, "words:lists/sources-and-methods.txt");
	assert_int_equal(pc->expect.redactions[0].count, 1);
	assert_string_equal(pc->expect.banner, "C//REL TO USA, FRA, NATO");
	assert_null(pc->expect.rule);
	/* Case 08: a refusal. */
	pc = &c->cases[7];
	assert_int_equal(pc->expect.decision, RELEASE_REFUSED);
	assert_string_equal(pc->expect.rule, "caveat.refuse");
	assert_null(pc->expect.banner);
	policy_cases_free(c);
	free(path);
}

static void test_inline_report_and_one_expectation(void **state)
{
	(void)state;
	struct policy_cases *c = load_text_ok("sluice-policy-tests: 1\n"
	                                      "cases:\n"
	                                      "  - name: inline one\n"
	                                      "    from: intel\n"
	                                      "    to: nowhere\n"
	                                      "    report-inline: |\n"
	                                      "      <a/>\n"
	                                      "    expect: {rule: policy.no-flow}\n");
	assert_int_equal(c->ncases, 1);
	const struct policy_case *pc = &c->cases[0];
	assert_string_equal(pc->name, "inline one");
	assert_int_equal(pc->line, 3);
	assert_null(pc->report_path);
	assert_int_equal(pc->report_len, 5);
	assert_memory_equal(pc->report, "<a/>\n", 5);
	assert_false(pc->expect.has_decision);
	assert_false(pc->expect.has_exit);
	assert_false(pc->expect.has_withheld);
	assert_false(pc->expect.has_redactions);
	assert_null(pc->expect.banner);
	assert_string_equal(pc->expect.rule, "policy.no-flow");
	policy_cases_free(c);
}

static void test_empty_redactions_means_none(void **state)
{
	(void)state;
	struct policy_cases *c = load_text_ok(HEAD "    expect: {redactions: {}}\n");
	assert_true(c->cases[0].expect.has_redactions);
	assert_int_equal(c->cases[0].expect.nredactions, 0);
	policy_cases_free(c);
}

static void test_zero_count_and_order(void **state)
{
	(void)state;
	struct policy_cases *c = load_text_ok(
		HEAD "    expect:\n      redactions: {\"pattern:iban\": 0, \"pattern:email\": 7}\n"
		     "      exit: 65\n      decision: invalid\n");
	const struct policy_case_expect *e = &c->cases[0].expect;
	assert_int_equal(e->nredactions, 2);
	assert_string_equal(e->redactions[0].rule, "pattern:iban");
	assert_int_equal(e->redactions[0].count, 0);
	assert_string_equal(e->redactions[1].rule, "pattern:email");
	assert_int_equal(e->redactions[1].count, 7);
	assert_int_equal(e->exit, 65);
	assert_int_equal(e->decision, RELEASE_INVALID);
	policy_cases_free(c);
}

static void test_decision_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(policy_case_decision_exit(RELEASE_RELEASED), 0);
	assert_int_equal(policy_case_decision_exit(RELEASE_REFUSED), 1);
	assert_int_equal(policy_case_decision_exit(RELEASE_INVALID), 65);
	assert_int_equal(policy_case_decision_exit(RELEASE_ERROR), 70);
}

static void test_relative_paths_resolve_against_the_file(void **state)
{
	char dir[] = "/tmp/sluice-cases.XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(dir));
	char *sub = path_join(dir, "r");
	assert_int_equal(mkdir(sub, 0755), 0);
	char *report = path_join(sub, "x.xml");
	assert_int_equal(file_write_atomic(report, "<a/>", 4, 0644, NULL), SLUICE_OK);
	char *cases = path_join(dir, "t.yaml");
	const char *text = "sluice-policy-tests: 1\ncases:\n  - {name: x, report: r/x.xml, from: a, "
	                   "to: b, expect: {exit: 0}}\n";
	assert_int_equal(file_write_atomic(cases, text, strlen(text), 0644, NULL), SLUICE_OK);

	struct sluice_error err;
	struct policy_cases *c = NULL;
	enum sluice_rc rc = policy_cases_load(cases, &c, &err);
	if (rc != SLUICE_OK)
		print_err(&err);
	assert_int_equal(rc, SLUICE_OK);
	assert_string_equal(c->cases[0].report_path, report);
	policy_cases_free(c);

	/* Writable by others: refused like a policy. */
	assert_int_equal(chmod(cases, 0666), 0);
	rc = policy_cases_load(cases, &c, &err);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "cases.permissions");
	assert_null(c);

	free(sub);
	free(report);
	free(cases);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_missing_file(void **state)
{
	struct sluice_error err;
	struct policy_cases *c = NULL;
	(void)state;
	enum sluice_rc rc = policy_cases_load("/nonexistent/cases.yaml", &c, &err);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "cases.read");
	assert_null(c);
}

static void test_free_null(void **state)
{
	(void)state;
	policy_cases_free(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Failures                                                                                 */

struct fail_case {
	const char *name;
	const char *yaml;
	const char *rule;
	unsigned line, column;
	const char *needle; /* in the message, or NULL */
};

static struct fail_case fail_cases[] = {
	{ "empty_document", "", "cases.missing-key", 1, 1, "sluice-policy-tests" },
	{ "root_not_mapping", "- a\n", "cases.type", 1, 1, NULL },
	{ "no_cases_key", "sluice-policy-tests: 1\n", "cases.missing-key", 1, 1, "'cases'" },
	{ "wrong_format", "sluice-policy-tests: 2\ncases: []\n", "cases.value", 1, 22,
	  "format 2" },
	{ "quoted_format", "sluice-policy-tests: \"1\"\ncases: []\n", "cases.type", 1, 22, NULL },
	{ "empty_cases", "sluice-policy-tests: 1\ncases: []\n", "cases.value", 2, 8,
	  "lists no case" },
	{ "cases_not_list", "sluice-policy-tests: 1\ncases: {a: 1}\n", "cases.type", 2, 8, NULL },
	{ "case_not_mapping", "sluice-policy-tests: 1\ncases: [a]\n", "cases.type", 2, 9, NULL },
	{ "unknown_top_key", "sluice-policy-tests: 1\npolicy: p.yaml\ncases: []\n",
	  "cases.unknown-key", 2, 1, "'policy'" },
	{ "unknown_case_key", HEAD "    descr: x\n    expect: {exit: 0}\n", "cases.unknown-key",
	  7, 5, "(allowed: name, from, to, report, report-inline, expect)" },
	{ "unknown_expect_key", HEAD "    expect: {decision: released, colour: red}\n",
	  "cases.unknown-key", 7, 34, "'colour'" },
	{ "missing_name",
	  "sluice-policy-tests: 1\ncases:\n  - {from: a, to: b, report-inline: x, expect: {exit: 0}}\n",
	  "cases.missing-key", 3, 5, "'name'" },
	{ "missing_expect", HEAD, "cases.missing-key", 3, 5, "'expect'" },
	{ "missing_report",
	  "sluice-policy-tests: 1\ncases:\n  - {name: a, from: a, to: b, expect: {exit: 0}}\n",
	  "cases.missing-key", 3, 5, "'report' (a file) or 'report-inline'" },
	{ "both_reports", HEAD "    report-inline: \"<a/>\"\n    expect: {exit: 0}\n", "cases.value",
	  7, 5, "not both" },
	{ "report_file_missing",
	  "sluice-policy-tests: 1\ncases:\n  - name: a\n    report: reports/nope.xml\n"
	  "    from: a\n    to: b\n    expect: {exit: 0}\n",
	  "cases.report-file", 4, 13, "'reports/nope.xml'" },
	{ "report_is_a_folder",
	  "sluice-policy-tests: 1\ncases:\n  - name: a\n    report: reports\n"
	  "    from: a\n    to: b\n    expect: {exit: 0}\n",
	  "cases.report-file", 4, 13, NULL },
	{ "empty_expect", HEAD "    expect: {}\n", "cases.missing-key", 7, 13, "at least one" },
	{ "expect_not_mapping", HEAD "    expect: released\n", "cases.type", 7, 13, NULL },
	{ "unknown_decision", HEAD "    expect: {decision: allowed}\n", "cases.value", 7, 24,
	  "released, refused or invalid" },
	{ "decision_error_not_expectable", HEAD "    expect: {decision: error}\n", "cases.value",
	  7, 24, NULL },
	{ "exit_quoted", HEAD "    expect: {exit: \"0\"}\n", "cases.type", 7, 20, NULL },
	{ "exit_out_of_range", HEAD "    expect: {exit: 256}\n", "cases.value", 7, 20, NULL },
	{ "exit_contradicts_decision", HEAD "    expect: {decision: released, exit: 1}\n",
	  "cases.value", 7, 40, "contradicts" },
	{ "withheld_negative", HEAD "    expect: {withheld: -1}\n", "cases.value", 7, 24, NULL },
	{ "redactions_not_mapping", HEAD "    expect: {redactions: [pattern:email]}\n",
	  "cases.type", 7, 26, NULL },
	{ "redaction_count_quoted", HEAD "    expect: {redactions: {\"pattern:email\": \"1\"}}\n",
	  "cases.type", 7, 44, "'pattern:email'" },
	{ "redaction_rule_empty", HEAD "    expect: {redactions: {\"\": 1}}\n", "cases.value", 7,
	  27, NULL },
	{ "banner_empty", HEAD "    expect: {banner: \"\"}\n", "cases.value", 7, 22, NULL },
	{ "banner_control_char", HEAD "    expect: {banner: \"S\\e[31m\"}\n", "cases.value", 7, 22,
	  "control" },
	{ "name_control_char",
	  "sluice-policy-tests: 1\ncases:\n  - {name: \"a\\nb\", from: a, to: b, report-inline: x, "
	  "expect: {exit: 0}}\n",
	  "cases.value", 3, 12, "control characters" },
	{ "bad_from_name", HEAD "    expect: {exit: 0}\n  - {name: b, from: \"a b\", to: c, "
	  "report-inline: x, expect: {exit: 0}}\n", "cases.value", 8, 21, NULL },
	{ "duplicate_name", HEAD "    expect: {exit: 0}\n  - {name: a, from: b, to: c, "
	  "report-inline: x, expect: {exit: 0}}\n", "cases.duplicate-name", 8, 12,
	  "first at line 3" },
	{ "duplicate_key", HEAD "    to: customs\n    expect: {exit: 0}\n", "cases.duplicate-key",
	  7, 5, NULL },
	{ "alias", HEAD "    expect: &e {exit: 0}\n", "cases.alias", 7, 13, NULL },
	{ "tag", HEAD "    expect: {exit: !!int 0}\n", "cases.tag", 7, 20, NULL },
	{ "syntax", "sluice-policy-tests: 1\ncases: [\n", "cases.syntax", 3, 1, NULL },
};

#define NFAIL (sizeof(fail_cases) / sizeof(fail_cases[0]))

static void run_fail_case(void **state)
{
	const struct fail_case *c = *state;
	struct sluice_error err;
	struct policy_cases *cases = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_cases_load_buffer("inline.yaml", (const uint8_t *)c->yaml,
	                                             strlen(c->yaml), example_dir, &cases, &err);
	if (getenv("SLUICE_TEST_VERBOSE") != NULL || rc != SLUICE_ERR_POLICY ||
	    strcmp(err.rule, c->rule) != 0 || err.line != c->line || err.column != c->column ||
	    (c->needle != NULL && strstr(err.message, c->needle) == NULL))
		print_err(&err);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_null(cases);
	assert_string_equal(err.rule, c->rule);
	assert_string_equal(err.file, "inline.yaml");
	assert_int_equal(err.line, c->line);
	assert_int_equal(err.column, c->column);
	if (c->needle != NULL)
		assert_non_null(strstr(err.message, c->needle));
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_example_file),
	cmocka_unit_test(test_inline_report_and_one_expectation),
	cmocka_unit_test(test_empty_redactions_means_none),
	cmocka_unit_test(test_zero_count_and_order),
	cmocka_unit_test(test_decision_exit_codes),
	cmocka_unit_test(test_relative_paths_resolve_against_the_file),
	cmocka_unit_test(test_missing_file),
	cmocka_unit_test(test_free_null),
};

int main(void)
{
	const char *fixtures = getenv("SLUICE_FIXTURES");
	size_t nfixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
	struct CMUnitTest *tests;
	int failed;

	if (fixtures == NULL || fixtures[0] != '/') {
		fprintf(stderr, "test_policy_cases: set SLUICE_FIXTURES to the absolute path of "
		                "tests/fixtures\n");
		return 1;
	}
	snprintf(example_dir, sizeof(example_dir), "%s/../../examples/fusion-cell", fixtures);

	tests = xcalloc(nfixed + NFAIL, sizeof(*tests));
	memcpy(tests, fixed_tests, sizeof(fixed_tests));
	for (size_t i = 0; i < NFAIL; i++) {
		tests[nfixed + i].name = fail_cases[i].name;
		tests[nfixed + i].test_func = run_fail_case;
		tests[nfixed + i].initial_state = &fail_cases[i];
	}
	failed = _cmocka_run_group_tests("policy_cases", tests, nfixed + NFAIL, NULL, NULL);
	free(tests);
	return failed;
}
