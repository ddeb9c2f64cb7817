/* Unit tests of the label model (SPEC section 2): access check, roll-up, dominance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "label.h"

static const struct classification_scheme *ism(void)
{
	return classification_scheme_find("ism");
}

static void scheme_order(void **state)
{
	(void)state;
	const struct classification_scheme *s = ism();
	assert_non_null(s);
	assert_true(classification_level(s, "U") < classification_level(s, "R"));
	assert_true(classification_level(s, "R") < classification_level(s, "C"));
	assert_true(classification_level(s, "C") < classification_level(s, "S"));
	assert_true(classification_level(s, "S") < classification_level(s, "TS"));
	assert_int_equal(classification_level(s, "X"), -1);
	assert_int_equal(classification_level(s, "ts"), -1);
	assert_null(classification_scheme_find("nope"));
	const struct classification_scheme *t = classification_scheme_find("tlp");
	assert_non_null(t);
	assert_true(classification_level(t, "AMBER") < classification_level(t, "AMBER+STRICT"));
}

static void holds_of(struct strset *h, const char *a, const char *b)
{
	if (a)
		strset_add(h, a);
	if (b)
		strset_add(h, b);
}

static void access_granted_when_all_rules_pass(void **state)
{
	(void)state;
	struct label l;
	struct strset holds = STRSET_INIT;
	char why[256];
	label_init(&l, "ism", classification_level(ism(), "C"));
	label_add_value(&l, "LES", CATEGORY_RESTRICTIVE, "LES");
	label_add_value(&l, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_add_value(&l, "releasableTo", CATEGORY_PERMISSIVE, "FRA");
	label_add_value(&l, "note", CATEGORY_INFORMATIVE, "anything");
	holds_of(&holds, "FRA", "LES");
	assert_true(label_access_check(&l, ism(), classification_level(ism(), "C"), &holds, why,
	                               sizeof(why)));
	label_free(&l);
	strset_free(&holds);
}

static void access_refused_above_clearance(void **state)
{
	(void)state;
	struct label l;
	struct strset holds = STRSET_INIT;
	char why[256];
	label_init(&l, "ism", classification_level(ism(), "S"));
	assert_false(label_access_check(&l, ism(), classification_level(ism(), "C"), &holds, why,
	                                sizeof(why)));
	assert_string_equal(why, "classification S above clearance C");
	label_free(&l);
}

static void access_refused_missing_restrictive_value(void **state)
{
	(void)state;
	struct label l;
	struct strset holds = STRSET_INIT;
	char why[256];
	label_init(&l, "ism", 0);
	label_add_value(&l, "NF", CATEGORY_RESTRICTIVE, "USA");
	label_add_value(&l, "LES", CATEGORY_RESTRICTIVE, "LES");
	holds_of(&holds, "USA", NULL);
	assert_false(label_access_check(&l, ism(), 4, &holds, why, sizeof(why)));
	assert_string_equal(why, "LES requires LES, not held");
	label_free(&l);
	strset_free(&holds);
}

static void access_refused_no_permissive_value(void **state)
{
	(void)state;
	struct label l;
	struct strset holds = STRSET_INIT;
	char why[256];
	label_init(&l, "ism", 0);
	label_add_value(&l, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_add_value(&l, "releasableTo", CATEGORY_PERMISSIVE, "GBR");
	holds_of(&holds, "FRA", "NATO");
	assert_false(label_access_check(&l, ism(), 4, &holds, why, sizeof(why)));
	assert_string_equal(why, "releasableTo GBR USA: none held");
	label_free(&l);
	strset_free(&holds);
}

static void informative_never_restricts(void **state)
{
	(void)state;
	struct label l;
	struct strset holds = STRSET_INIT;
	char why[256];
	label_init(&l, "ism", 0);
	label_add_value(&l, "disseminationControls", CATEGORY_INFORMATIVE, "FOUO");
	assert_true(label_access_check(&l, ism(), 0, &holds, why, sizeof(why)));
	label_free(&l);
}

static void rollup_rules(void **state)
{
	(void)state;
	struct label a, b, c, r;
	label_init(&a, "ism", 1);
	label_add_value(&a, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_add_value(&a, "releasableTo", CATEGORY_PERMISSIVE, "FRA");
	label_add_value(&a, "releasableTo", CATEGORY_PERMISSIVE, "GBR");
	label_add_value(&a, "NF", CATEGORY_RESTRICTIVE, "USA");
	label_init(&b, "ism", 3);
	label_add_value(&b, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_add_value(&b, "releasableTo", CATEGORY_PERMISSIVE, "GBR");
	label_add_value(&b, "LES", CATEGORY_RESTRICTIVE, "LES");
	label_add_value(&b, "note", CATEGORY_INFORMATIVE, "x");
	label_init(&c, "ism", 0); /* no releasableTo tag: does not take part in the intersection */
	label_add_value(&c, "note", CATEGORY_INFORMATIVE, "y");
	const struct label *in[] = { &a, &b, &c };
	label_rollup(&r, "ism", in, 3);
	assert_int_equal(r.level, 3);
	const struct label_category *rel =
		label_category_find(&r, "releasableTo", CATEGORY_PERMISSIVE);
	assert_non_null(rel);
	assert_int_equal(rel->values.n, 2);
	assert_true(strset_contains(&rel->values, "USA"));
	assert_true(strset_contains(&rel->values, "GBR"));
	assert_non_null(label_category_find(&r, "NF", CATEGORY_RESTRICTIVE));
	assert_non_null(label_category_find(&r, "LES", CATEGORY_RESTRICTIVE));
	const struct label_category *note = label_category_find(&r, "note", CATEGORY_INFORMATIVE);
	assert_int_equal(note->values.n, 2);
	label_free(&r);
	label_free(&a);
	label_free(&b);
	label_free(&c);
}

static void rollup_empty_intersection(void **state)
{
	(void)state;
	struct label a, b, r;
	label_init(&a, "ism", 2);
	label_add_value(&a, "releasableTo", CATEGORY_PERMISSIVE, "FRA");
	label_init(&b, "ism", 2);
	label_add_value(&b, "releasableTo", CATEGORY_PERMISSIVE, "DEU");
	const struct label *in[] = { &a, &b };
	label_rollup(&r, "ism", in, 2);
	const struct label_category *rel =
		label_category_find(&r, "releasableTo", CATEGORY_PERMISSIVE);
	assert_non_null(rel);
	assert_int_equal(rel->values.n, 0); /* releasable to nobody outside the originator */
	struct strset holds = STRSET_INIT;
	char why[128];
	strset_add(&holds, "FRA");
	strset_add(&holds, "DEU");
	assert_false(label_access_check(&r, ism(), 4, &holds, why, sizeof(why)));
	strset_free(&holds);
	label_free(&r);
	label_free(&a);
	label_free(&b);
	label_rollup(&r, "ism", NULL, 0);
	assert_int_equal(r.level, 0);
	assert_int_equal(r.ncategories, 0);
	label_free(&r);
}

static void dominance(void **state)
{
	(void)state;
	struct label banner, portion;
	char why[256];
	label_init(&banner, "ism", 3);
	label_add_value(&banner, "NF", CATEGORY_RESTRICTIVE, "USA");
	label_add_value(&banner, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_init(&portion, "ism", 2);
	label_add_value(&portion, "NF", CATEGORY_RESTRICTIVE, "USA");
	label_add_value(&portion, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_add_value(&portion, "releasableTo", CATEGORY_PERMISSIVE, "FRA");
	assert_true(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	/* banner below the portion */
	portion.level = 4;
	assert_false(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	assert_string_equal(why, "classification S is below TS");
	portion.level = 2;
	/* banner missing a restrictive value */
	label_add_value(&portion, "LES", CATEGORY_RESTRICTIVE, "LES");
	assert_false(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	assert_string_equal(why, "RESTRICTIVE LES LES is missing");
	label_add_value(&banner, "LES", CATEGORY_RESTRICTIVE, "LES");
	assert_true(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	/* banner releasable wider than the portion */
	label_add_value(&banner, "releasableTo", CATEGORY_PERMISSIVE, "GBR");
	assert_false(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	assert_string_equal(why, "PERMISSIVE releasableTo GBR is wider than a portion allows");
	label_free(&banner);
	/* banner without the tag a portion restricts */
	label_init(&banner, "ism", 3);
	label_add_value(&banner, "NF", CATEGORY_RESTRICTIVE, "USA");
	label_add_value(&banner, "LES", CATEGORY_RESTRICTIVE, "LES");
	assert_false(label_dominates(&banner, &portion, ism(), why, sizeof(why)));
	label_free(&banner);
	label_free(&portion);
}

static void copy_is_deep(void **state)
{
	(void)state;
	struct label a, b;
	label_init(&a, "ism", 2);
	label_add_value(&a, "releasableTo", CATEGORY_PERMISSIVE, "USA");
	label_copy(&b, &a);
	label_free(&a);
	assert_int_equal(b.level, 2);
	assert_true(strset_contains(
		&label_category_find(&b, "releasableTo", CATEGORY_PERMISSIVE)->values, "USA"));
	label_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scheme_order),
		cmocka_unit_test(access_granted_when_all_rules_pass),
		cmocka_unit_test(access_refused_above_clearance),
		cmocka_unit_test(access_refused_missing_restrictive_value),
		cmocka_unit_test(access_refused_no_permissive_value),
		cmocka_unit_test(informative_never_restricts),
		cmocka_unit_test(rollup_rules),
		cmocka_unit_test(rollup_empty_intersection),
		cmocka_unit_test(dominance),
		cmocka_unit_test(copy_is_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
