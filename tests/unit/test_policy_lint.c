/* Unit tests of the policy linter (policy/policy_lint.h): each warning on the fixture that has
 * them all, none on a clean policy, and the backtracking heuristic on good and bad regexes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_lint.h"

static struct policy *load(const char *name)
{
	char path[1024];
	struct sluice_error err;
	struct policy *p = NULL;
	snprintf(path, sizeof(path), "%s/lint/%s", getenv("SLUICE_FIXTURES"), name);
	if (policy_load(path, &p, &err) != SLUICE_OK)
		fail_msg("%s: %s", path, err.message);
	return p;
}

static size_t count_rule(const struct lint_finding *f, size_t n, const char *rule,
                         unsigned line)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].rule, rule) == 0 && f[i].line == line && f[i].fix[0] != '\0')
			c++;
	return c;
}

static void every_warning_once(void **state)
{
	(void)state;
	struct policy *p = load("warnings.yaml");
	struct lint_finding *f;
	size_t n;
	policy_lint(p, &f, &n);
	assert_int_equal(n, 6);
	assert_int_equal(count_rule(f, n, "lint.limits-absurd", 7), 3);
	assert_int_equal(count_rule(f, n, "lint.caveat-unsatisfiable", 10), 1);
	assert_int_equal(count_rule(f, n, "lint.unreached-domain", 14), 1);
	assert_int_equal(count_rule(f, n, "lint.regex-backtracking", 16), 1);
	for (size_t i = 1; i < n; i++)
		assert_true(f[i - 1].line <= f[i].line); /* in line order */
	assert_non_null(strstr(f[3].message, "'SCI'"));
	assert_non_null(strstr(f[4].message, "'lonely'"));
	free(f);
	policy_free(p);
}

static void clean_policy_has_none(void **state)
{
	(void)state;
	struct policy *p = load("clean.yaml");
	struct lint_finding *f;
	size_t n;
	policy_lint(p, &f, &n);
	assert_int_equal(n, 0);
	free(f);
	policy_free(p);
}

static void absent_limits_are_named(void **state)
{
	(void)state;
	struct policy *p = load("nolimits.yaml");
	struct lint_finding *f;
	size_t n;
	policy_lint(p, &f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].rule, "lint.limits-absent");
	assert_int_equal(f[0].line, 0);
	free(f);
	policy_free(p);
}

static void backtracking_shapes(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"(a+)+", "(a*)*", "(\\w+\\s?)+$", "(a|aa)+", "((ab)*c)+", "(x+){2,}", "^(\\d+)*$",
		"(?:a+)+b",
	};
	static const char *const good[] = {
		"a+", "\\bCASE-[0-9]{4,8}\\b", "(ab)+", "(a+)?", "(a+)", "[(a+)]+", "\\(a+\\)+",
		"(?>a+)+", "(a+)++", "(a|b)", "(a+){3}", "[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!lint_regex_may_backtrack(bad[i]))
			fail_msg("not flagged: %s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (lint_regex_may_backtrack(good[i]))
			fail_msg("flagged: %s", good[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_warning_once),
		cmocka_unit_test(clean_policy_has_none),
		cmocka_unit_test(absent_limits_are_named),
		cmocka_unit_test(backtracking_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
