/*
 * Unit tests of the SPIF loader (filters/spif.c): the model of real SPIFs (the NATO, TLP and UK
 * demo SPIFs of surevine/spiffing, copied under tests/fixtures/stanag4774/spiffing with their
 * MIT licence, and the project's own example-spif.xml), then one test per refusal, each with its
 * rule and line. The SPIFs of ../shared/corpus are loaded when present (skipped otherwise).
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
#include "spif.h"
#include "xml_intake.h"

#include "stanag4774_fixtures.h"

static struct spif *load_fixture(const char *rel)
{
	struct spif *s = fixture_spif(rel);
	assert_non_null(s);
	return s;
}

/* A SPIF around `body`: the root, its schema version and policy id, then `body`. */
static enum sluice_rc load_body(const char *body, struct spif **out, struct sluice_error *err)
{
	size_t cap = strlen(body) + 256;
	char *buf = malloc(cap);
	snprintf(buf, cap,
	         "<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\n"
	         "<securityPolicyId name=\"T\" id=\"1.2.3\"/>\n%s</SPIF>\n",
	         body);
	enum sluice_rc rc = spif_load_buffer((const uint8_t *)buf, strlen(buf), "t.spif", out, err);
	free(buf);
	return rc;
}

static const char *const one_class =
	"<securityClassifications>"
	"<securityClassification name=\"LOW\" lacv=\"1\" hierarchy=\"1\"/>"
	"<securityClassification name=\"HIGH\" lacv=\"2\" hierarchy=\"2\"/>"
	"</securityClassifications>\n";

/* `one_class`, the tag sets `sets`, then the root-level elements `after`. */
static enum sluice_rc load_sets(const char *sets, const char *after, struct spif **out,
                                struct sluice_error *err)
{
	char body[7168];
	snprintf(body, sizeof(body), "%s<securityCategoryTagSets>\n%s</securityCategoryTagSets>\n%s",
	         one_class, sets, after);
	return load_body(body, out, err);
}

/* `one_class` followed by a tag set made of `tags`. */
static enum sluice_rc load_tags(const char *tags, struct spif **out, struct sluice_error *err)
{
	char set[4096];
	snprintf(set, sizeof(set), "<securityCategoryTagSet name=\"Set\" id=\"1.2.3.1\">\n%s"
	         "</securityCategoryTagSet>\n", tags);
	return load_sets(set, "", out, err);
}

static void expect_refused(enum sluice_rc rc, struct spif *s, const struct sluice_error *err,
                           const char *rule, unsigned line)
{
	if (rc == SLUICE_OK || strcmp(err->rule, rule) != 0 || (line != 0 && err->line != line))
		fprintf(stderr, "want %s at line %u, got rc %d %s line %u: %s\n", rule, line, rc,
		        err->rule, err->line, err->message);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_null(s);
	assert_string_equal(err->rule, rule);
	if (line != 0)
		assert_int_equal(err->line, line);
	assert_true(err->message[0] != '\0');
}

static enum sluice_rc load_text(const char *text, struct spif **out, struct sluice_error *err)
{
	return spif_load_buffer((const uint8_t *)text, strlen(text), "t.spif", out, err);
}

typedef enum sluice_rc (*spif_loader)(const char *, struct spif **, struct sluice_error *);

/* Loads `text` with `load` and expects the refusal `rule` at `line` (0: any line). */
static void refused(spif_loader load, const char *text, const char *rule, unsigned line)
{
	struct spif *s = NULL;
	struct sluice_error err;
	enum sluice_rc rc = load(text, &s, &err);
	expect_refused(rc, s, &err, rule, line);
}

#define REFUSED_BODY(body, rule, line) refused(load_body, (body), (rule), (line))
#define REFUSED_TAGS(tags, rule, line) refused(load_tags, (tags), (rule), (line))
#define REFUSED_TEXT(text, rule, line) refused(load_text, (text), (rule), (line))

/* ---- the model of real SPIFs ------------------------------------------------------------- */

static void nato_spif_model(void **state)
{
	(void)state;
	struct spif *s = load_fixture("spiffing/nato-4774-policy.xml");
	assert_string_equal(s->policy_name, "NATO");
	assert_string_equal(s->policy_id, "1.3.26.1.3.1");
	assert_string_equal(s->schema_version, "2.1");
	assert_string_equal(s->version, "79");
	assert_int_equal(s->nclasses, 5);
	assert_int_equal(s->ntag_sets, 5);
	assert_int_equal(s->ncategories, 205);
	/* The order of classifications, and the label model's scheme. */
	const char *const want[] = { "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET" };
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(s->by_level[i]->name, want[i]);
		assert_int_equal(s->by_level[i]->level, i);
		assert_int_equal(classification_level(&s->scheme, want[i]), (int)i);
	}
	assert_string_equal(s->scheme.profile, "NATO");
	/* COSMIC replaces the policy name for TOP SECRET; French phrases per classification. */
	const struct spif_classification *ts = spif_class_by_name(s, "top secret");
	assert_non_null(ts);
	assert_int_equal(ts->markings.ndata, 2);
	assert_string_equal(ts->markings.data[0].phrase, "COSMIC");
	assert_string_equal(ts->markings.data[0].lang, "");
	assert_true(ts->markings.data[0].codes & SPIF_CODE_REPLACE_POLICY);
	assert_true(ts->markings.data[0].codes & SPIF_LOC_PAGE_BOTTOM); /* no location: bottom */
	assert_string_equal(ts->markings.data[1].lang, "fr");
	assert_string_equal(ts->markings.data[1].phrase, "TRES SECRET");
	/* Tag sets, tag types, categories and their rules. */
	const struct spif_tag_set *rel = spif_tag_set_by_name(s, "releasable to");
	assert_non_null(rel);
	assert_ptr_equal(spif_tag_set_by_id(s, "1.3.26.1.4.2"), rel);
	assert_int_equal(rel->tags[0].type, SPIF_TAG_ENUM_PERMISSIVE);
	assert_int_equal(spif_tag_label_type(rel->tags[0].type), CATEGORY_PERMISSIVE);
	const struct spif_category *afg = spif_category_by_lacv(rel, SPIF_TAG_ENUM_PERMISSIVE, "4");
	assert_non_null(afg);
	assert_string_equal(afg->name, "AFG");
	assert_string_equal(afg->lacv, "004");
	assert_int_equal(afg->nexcluded_classes, 1);
	assert_ptr_equal(afg->excluded_classes[0], ts);
	assert_ptr_equal(spif_category_by_name(rel, CATEGORY_PERMISSIVE, "afg"), afg);
	assert_null(spif_category_by_name(rel, CATEGORY_RESTRICTIVE, "AFG"));
	const struct spif_tag_set *admin = spif_tag_set_by_name(s, "Administrative");
	assert_int_equal(admin->tags[0].type, SPIF_TAG_INFORMATIVE);
	const struct spif_tag_set *sens = spif_tag_set_by_name(s, "Additional Sensitivity");
	assert_int_equal(sens->tags[0].type, SPIF_TAG_RESTRICTIVE);
	assert_true(spif_category_by_name(sens, CATEGORY_RESTRICTIVE, "SIOP ESI")->obsolete);
	/* Qualifiers, with their language. */
	const struct spif_markings *q = &rel->tags[0].markings;
	assert_int_equal(q->nquals, 3);
	assert_int_equal(q->quals[1].code, SPIF_QUAL_PREFIX);
	assert_string_equal(q->quals[1].lang, "fr");
	assert_string_equal(q->quals[1].text, "Communicable a ");
	/* Categories keep document order over the whole SPIF. */
	for (size_t i = 0; i < s->ncategories; i++)
		assert_int_equal(s->by_ordinal[i]->ordinal, i);
	assert_int_equal(s->nequiv_policies, 0);
	spif_free(s);
}

static void tlp_spifs_hold_equivalences(void **state)
{
	(void)state;
	struct spif *x = load_fixture("spiffing/tlp-plus.xml");
	assert_string_equal(x->policy_name, "TLPX");
	assert_int_equal(x->nequiv_policies, 2);
	const struct spif_equiv_policy *tlp = spif_equiv_policy_find(x, "TLP");
	assert_non_null(tlp);
	assert_ptr_equal(spif_equiv_policy_find(x, "1.2.826.0.1.6726289.0.2"), tlp);
	assert_string_equal(tlp->id, "1.2.826.0.1.6726289.0.2");
	assert_int_equal(tlp->nrequired, 1);
	assert_int_equal(tlp->required[0].op, SPIF_OP_ALL);
	assert_string_equal(tlp->required[0].refs[0].tag_set, "Additional Information");
	assert_null(tlp->required[0].refs[0].set); /* a tag set of the other policy */
	const struct spif_classification *amber = spif_class_by_name(x, "AMBER");
	assert_int_equal(amber->nequivs, 2);
	assert_ptr_equal(amber->equivs[0].policy, tlp);
	assert_string_equal(amber->equivs[0].lacv, "12");
	assert_int_equal(amber->equivs[0].applied, SPIF_APPLIED_ENCRYPT | SPIF_APPLIED_DECRYPT);
	assert_int_equal(amber->equivs[1].applied, SPIF_APPLIED_ENCRYPT);
	assert_string_equal(amber->equivs[1].policy->name, "UK-DEMO");
	assert_int_equal(amber->nrequired, 1);
	assert_int_equal(amber->required[0].op, SPIF_OP_ONE_OR_MORE);
	assert_null(amber->required[0].refs[0].lacv); /* any value of the tag */
	const struct spif_tag_set *status = spif_tag_set_by_name(x, "Data Status");
	const struct spif_category *dna = &status->tags[0].cats[0];
	assert_int_equal(dna->nequivs, 1);
	assert_true(dna->equivs[0].discard);
	assert_true(status->tags[0].single_selection);
	const struct spif_category *eu = spif_category_by_name(spif_tag_set_by_name(x, "Dissemination"),
	                                                       CATEGORY_PERMISSIVE, "EU");
	assert_int_equal(eu->nequivs, 3);
	assert_string_equal(eu->equivs[1].tag_set_id, "1.2.826.0.1.6726289.0.4.3");
	assert_int_equal(eu->equivs[1].type, SPIF_TAG_PERMISSIVE);
	assert_string_equal(eu->equivs[1].lacv, "3");
	spif_free(x);

	struct spif *t = load_fixture("spiffing/tlp.xml");
	assert_int_equal(t->markings.ndata, 1);
	assert_string_equal(t->markings.data[0].phrase, "");
	assert_int_equal(t->markings.nquals, 1);
	assert_string_equal(t->default_policy_name, "Default");
	assert_string_equal(t->default_policy_id, "1.1");
	spif_free(t);
}

static void uk_demo_spif_rules(void **state)
{
	(void)state;
	struct spif *s = load_fixture("spiffing/uk-demo.xml");
	assert_string_equal(s->by_level[0]->name, "OFFICIAL"); /* hierarchy 0 */
	const struct spif_tag_set *cw = spif_tag_set_by_name(s, "Codewords");
	assert_int_equal(cw->ntags, 2);
	assert_int_equal(cw->tags[0].type, SPIF_TAG_ENUM_RESTRICTIVE);
	assert_int_equal(cw->tags[1].type, SPIF_TAG_INFORMATIVE);
	const struct spif_category *sensitive =
		spif_category_by_name(spif_tag_set_by_name(s, "Sensitive"), CATEGORY_RESTRICTIVE,
		                      "SENSITIVE");
	assert_int_equal(sensitive->nexcluded_classes, 2);
	assert_int_equal(sensitive->nrequired, 1);
	assert_int_equal(sensitive->required[0].op, SPIF_OP_ONLY_ONE);
	assert_int_equal(sensitive->required[0].nrefs, 2);
	assert_non_null(sensitive->required[0].refs[0].set);
	assert_null(sensitive->required[0].refs[0].lacv); /* all="true" */
	assert_true(sensitive->markings.data[0].codes & SPIF_CODE_SUPPRESS_CLASS_NAME);
	const struct spif_category *locsen =
		spif_category_by_name(spif_tag_set_by_name(s, "Sensitive Descriptors"),
		                      CATEGORY_RESTRICTIVE, "LOCSEN");
	assert_int_equal(locsen->nexcluded, 1);
	assert_int_equal(locsen->excluded[0].type, SPIF_TAG_INFORMATIVE);
	assert_true(spif_category_ref_matches(
		&locsen->excluded[0],
		spif_category_by_name(spif_tag_set_by_name(s, "Sensitive Descriptors"),
		                      CATEGORY_INFORMATIVE, "PERSONAL")));
	assert_false(spif_category_ref_matches(&locsen->excluded[0], locsen));
	spif_free(s);
}

static void example_spif_model(void **state)
{
	(void)state;
	struct spif *s = load_fixture("example-spif.xml");
	assert_string_equal(s->policy_name, "EXAMPLE");
	/* Document order PUBLIC SECRET INTERNAL CONFIDENTIAL LEGACY; hierarchy order differs. */
	const char *const want[] = { "LEGACY", "PUBLIC", "INTERNAL", "CONFIDENTIAL", "SECRET" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(s->scheme.names[i], want[i]);
	assert_true(spif_class_by_lacv(s, "9")->obsolete);
	assert_ptr_equal(spif_class_by_lacv(s, "0004"), spif_class_by_name(s, "Secret"));
	assert_null(spif_class_by_lacv(s, "5"));
	assert_null(spif_class_by_name(s, "TOP SECRET"));
	const struct spif_tag_set *rel = spif_tag_set_by_name(s, "Releasable To");
	const struct spif_category *charlie = spif_category_by_lacv(rel, SPIF_TAG_ENUM_PERMISSIVE, "30");
	assert_string_equal(charlie->name, "CHARLIE");
	assert_null(spif_category_by_lacv(rel, SPIF_TAG_PERMISSIVE, "30")); /* another tag type */
	const struct spif_tag_set *sh = spif_tag_set_by_name(s, "Special Handling");
	assert_ptr_equal(spif_category_by_name(sh, CATEGORY_RESTRICTIVE, "TOPONLY")->required_class,
	                 spif_class_by_name(s, "SECRET"));
	assert_int_equal(spif_tag_set_by_name(s, "Administrative")->tags[0].max_selection, 2);
	assert_int_equal(spif_tag_set_by_name(s, "Administrative")->tags[0].min_selection, -1);
	assert_true(spif_tag_set_has_type(rel, CATEGORY_PERMISSIVE));
	assert_false(spif_tag_set_has_type(rel, CATEGORY_RESTRICTIVE));
	assert_null(spif_equiv_policy_find(s, "NOPE"));
	spif_free(s);
}

static void minimal_spif_loads(void **state)
{
	(void)state;
	struct spif *s = NULL;
	struct sluice_error err;
	assert_int_equal(load_body(one_class, &s, &err), SLUICE_OK);
	assert_int_equal(s->nclasses, 2);
	assert_int_equal(s->ntag_sets, 0);
	assert_int_equal(s->ncategories, 0);
	assert_int_equal(s->nequiv_policies, 0);
	/* Comments, extensions in any namespace, blank text: all ignored. */
	spif_free(s);
	s = NULL;
	assert_int_equal(load_body("<!-- c -->\n<securityClassifications>\n"
	                           "  <securityClassification name=\"A\" lacv=\"1\" hierarchy=\"0\"/>\n"
	                           "</securityClassifications>\n"
	                           "<extensions><x:any xmlns:x=\"urn:x\">text</x:any></extensions>\n",
	                           &s, &err),
	                 SLUICE_OK);
	spif_free(s);
	spif_free(NULL);
}

static void lacv_equality(void **state)
{
	(void)state;
	assert_true(spif_lacv_equal("004", "4"));
	assert_true(spif_lacv_equal("0", "000"));
	assert_true(spif_lacv_equal("abc", "abc"));
	assert_false(spif_lacv_equal("04a", "4a"));
	assert_false(spif_lacv_equal("4", "40"));
	assert_false(spif_lacv_equal("", "0"));
	assert_string_equal(spif_tag_type_name(SPIF_TAG_ENUM_RESTRICTIVE), "enumeratedRestrictive");
	assert_string_equal(spif_label_type_name(CATEGORY_INFORMATIVE), "INFORMATIVE");
}

/* The SPIFs of the shared corpus (run when ../shared is beside the checkout). */
static void corpus_spifs(void **state)
{
	(void)state;
	const char *corpus = getenv("SLUICE_SHARED_CORPUS");
	char path[2048];
	if (corpus == NULL || access(corpus, R_OK) != 0) {
		fprintf(stderr, "corpus_spifs: SKIP (no ../shared/corpus/stanag4774)\n");
		skip();
	}
	struct spif *s = NULL;
	struct sluice_error err;
	const char *good[] = { "spiffing/nato-4774-policy.xml", "spiffing/tlp.xml",
		               "spiffing/tlp-plus.xml", "spiffing/uk-demo.xml" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus, good[i]);
		assert_int_equal(spif_load_file(path, &s, &err), SLUICE_OK);
		spif_free(s);
	}
	const struct {
		const char *file, *rule;
		unsigned line;
	} bad[] = {
		/* sparrow's NATO SPIF: the word "undefined" between closing tags */
		{ "sparrow/config_spifs_nato.xml", "spif.unexpected-text", 1577 },
		/* ACME: equivalentSecCategoryTag without the spif: prefix (no namespace) */
		{ "sparrow/config_spifs_ACME.xml", "spif.unknown-element", 48 },
		{ "sparrow/config_schema_spif-21.xsd", "spif.root", 0 },
		{ "spiffing/food-policy.xml", "spif.not-well-formed", 81 },
		{ "spiffing/food-policy-missi.xml", "spif.not-well-formed", 0 },
		{ "spiffing/bsi-commercial.xml", "spif.not-well-formed", 0 },
		{ "spiffing/food-policy-borked.xml", "spif.root", 1 },
		{ "sparrow/test_labels_label1.xml", "spif.namespace", 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus, bad[i].file);
		s = NULL;
		enum sluice_rc rc = spif_load_file(path, &s, &err);
		expect_refused(rc, s, &err, bad[i].rule, bad[i].line);
		assert_string_equal(err.file, path);
	}
	/* The sparrow NATO SPIF without its stray text is the same policy as spiffing's. */
	uint8_t *data = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/sparrow/config_spifs_nato.xml", corpus);
	assert_int_equal(file_read_bounded(path, SPIF_MAX_BYTES, SLUICE_ERR_POLICY, &data, &len, &err),
	                 SLUICE_OK);
	for (char *u; (u = strstr((char *)data, "undefined")) != NULL;)
		memset(u, ' ', 9);
	assert_int_equal(spif_load_buffer(data, len, "sparrow-nato", &s, &err), SLUICE_OK);
	assert_string_equal(s->policy_id, "1.3.26.1.3.1");
	assert_int_equal(s->nclasses, 5);
	assert_int_equal(s->ntag_sets, 5);
	spif_free(s);
	free(data);
}

/* ---- refusals ---------------------------------------------------------------------------- */

static void refuses_bad_xml(void **state)
{
	(void)state;
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\">\n<oops></SPIF>",
	             "spif.not-well-formed", 2);
	REFUSED_TEXT("<?xml version=\"1.0\"?>\n<!DOCTYPE SPIF [<!ENTITY e \"x\">]>\n<SPIF/>",
	             "spif.doctype", 2);
	REFUSED_TEXT("<SPIF>&ext;</SPIF>", "spif.entity", 1);
	REFUSED_TEXT("", "spif.empty", 0);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\xff</SPIF>",
	             "spif.utf8", 1);
	REFUSED_TEXT("<s:SPIF xmlns:s=\"http://www.xmlspif.org/spif\"><x:y/></s:SPIF>",
	             "spif.namespace", 0);
	REFUSED_TEXT("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><SPIF/>", "spif.encoding", 1);
}

static void refuses_wrong_root_and_version(void **state)
{
	(void)state;
	REFUSED_TEXT("<SPIF schemaVersion=\"2.1\"/>", "spif.root", 1);
	REFUSED_TEXT("<spif xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\"/>",
	             "spif.root", 1);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\"/>", "spif.missing-attribute", 1);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"3.0\"/>",
	             "spif.schema-version", 1);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\n"
	             "<securityClassifications/></SPIF>",
	             "spif.missing-element", 1);
	REFUSED_BODY("", "spif.missing-element", 1);
	REFUSED_BODY("<securityClassifications/>\n", "spif.missing-element", 3);
	REFUSED_BODY("<securityPolicyId name=\"U\" id=\"1.2.4\"/>\n", "spif.duplicate-element", 3);
}

static void refuses_bad_policy_identity(void **state)
{
	(void)state;
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\n"
	             "<securityPolicyId name=\"T\" id=\"NATO\"/>\n"
	             "<securityClassifications><securityClassification name=\"A\" lacv=\"1\" "
	             "hierarchy=\"1\"/></securityClassifications></SPIF>",
	             "spif.value", 2);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\n"
	             "<securityPolicyId id=\"1.2\"/></SPIF>",
	             "spif.missing-attribute", 2);
	REFUSED_TEXT("<SPIF xmlns=\"http://www.xmlspif.org/spif\" schemaVersion=\"2.1\">\n"
	             "<securityPolicyId name=\" \" id=\"1.2\"/></SPIF>",
	             "spif.value", 2);
}

static void refuses_bad_classifications(void **state)
{
	(void)state;
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>\n"
	             "<securityClassification name=\"a\" lacv=\"2\" hierarchy=\"2\"/>\n"
	             "</securityClassifications>\n",
	             "spif.duplicate-classification", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>\n"
	             "<securityClassification name=\"B\" lacv=\"01\" hierarchy=\"2\"/>\n"
	             "</securityClassifications>\n",
	             "spif.duplicate-classification", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>\n"
	             "<securityClassification name=\"B\" lacv=\"2\" hierarchy=\"1\"/>\n"
	             "</securityClassifications>\n",
	             "spif.duplicate-hierarchy", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"x\" hierarchy=\"1\"/>\n"
	             "</securityClassifications>\n",
	             "spif.value", 4);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"-1\"/>\n"
	             "</securityClassifications>\n",
	             "spif.value", 4);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\"/>\n"
	             "</securityClassifications>\n",
	             "spif.missing-attribute", 4);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\" obsolete=\"yes\"/>\n"
	             "</securityClassifications>\n",
	             "spif.value", 4);
}

static void refuses_unknown_elements_and_text(void **state)
{
	(void)state;
	/* An element of the SPIF namespace where the schema has none. */
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingCode phrase=\"X\"/></securityClassification>\n"
	             "</securityClassifications>\n",
	             "spif.unknown-element", 5);
	/* An element in no namespace (the ACME SPIF's mistake). */
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<excludedClass xmlns=\"\">A</excludedClass></securityClassification>\n"
	             "</securityClassifications>\n",
	             "spif.unknown-element", 5);
	/* Another namespace outside <extensions>. */
	char body[1024];
	snprintf(body, sizeof(body), "%s<x:foo xmlns:x=\"urn:x\"/>\n", one_class);
	REFUSED_BODY(body, "spif.unknown-element", 4);
	snprintf(body, sizeof(body), "%s<securityCategories/>\n", one_class);
	REFUSED_BODY(body, "spif.unknown-element", 4);
	/* Stray text (sparrow's NATO SPIF). */
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>undefined"
	             "</securityClassifications>\n",
	             "spif.unexpected-text", 4);
}

static void refuses_bad_marking_data(void **state)
{
	(void)state;
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingData phrase=\"x\"><code>pageMiddle</code></markingData>\n"
	             "</securityClassification></securityClassifications>\n",
	             "spif.value", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingData phrase=\"x\"/>\n"
	             "</securityClassification></securityClassifications>\n",
	             "spif.missing-element", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingQualifier><qualifier markingQualifier=\"x\" qualifierCode=\"middle\"/>\n"
	             "</markingQualifier></securityClassification></securityClassifications>\n",
	             "spif.value", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingQualifier>\n<qualifier qualifierCode=\"prefix\"/>\n"
	             "</markingQualifier></securityClassification></securityClassifications>\n",
	             "spif.missing-attribute", 6);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingQualifier markingCode=\"nowhere\">\n"
	             "<qualifier markingQualifier=\"x\" qualifierCode=\"prefix\"/>\n"
	             "</markingQualifier></securityClassification></securityClassifications>\n",
	             "spif.value", 5);
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<markingQualifier/>\n"
	             "</securityClassification></securityClassifications>\n",
	             "spif.missing-element", 5);
}

static void refuses_bad_tags(void **state)
{
	(void)state;
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"sometimes\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\"/></securityCategoryTag>\n",
	             "spif.value", 6);
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"enumerated\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\"/></securityCategoryTag>\n",
	             "spif.value", 6);
	REFUSED_TAGS("<securityCategoryTag name=\"T\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\"/></securityCategoryTag>\n",
	             "spif.missing-attribute", 6);
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"permissive\" maxSelection=\"x\">\n"
	             "</securityCategoryTag>\n",
	             "spif.value", 6);
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\"/>\n<tagCategory name=\"Y\" lacv=\"01\"/>\n"
	             "</securityCategoryTag>\n",
	             "spif.duplicate-category", 8);
	/* Two restrictive tags of one set naming the same value: a label would be ambiguous. */
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\"/></securityCategoryTag>\n"
	             "<securityCategoryTag name=\"U\" tagType=\"enumerated\" enumType=\"restrictive\">\n"
	             "<tagCategory name=\"x\" lacv=\"2\"/></securityCategoryTag>\n",
	             "spif.duplicate-category", 9);
	REFUSED_TAGS("<securityCategoryTag name=\"T\" tagType=\"restrictive\">\n"
	             "<tagCategory lacv=\"1\"/></securityCategoryTag>\n",
	             "spif.missing-attribute", 7);
	REFUSED_BODY("<securityClassifications><securityClassification name=\"A\" lacv=\"1\" "
	             "hierarchy=\"1\"/></securityClassifications>\n<securityCategoryTagSets>\n"
	             "<securityCategoryTagSet name=\"S\" id=\"1.2.3.1\"/>\n</securityCategoryTagSets>\n",
	             "spif.missing-element", 5);
}

static void refused_sets(const char *sets, const char *after, const char *rule, unsigned line)
{
	struct spif *s = NULL;
	struct sluice_error err;
	enum sluice_rc rc = load_sets(sets, after, &s, &err);
	expect_refused(rc, s, &err, rule, line);
}

#define PERMISSIVE_TAG "<securityCategoryTag tagType=\"permissive\"/>"

static void refuses_duplicate_tag_sets(void **state)
{
	(void)state;
	refused_sets("<securityCategoryTagSet name=\"S\" id=\"1.2.3.1\">" PERMISSIVE_TAG
	             "</securityCategoryTagSet>\n<securityCategoryTagSet name=\"s\" id=\"1.2.3.2\">"
	             PERMISSIVE_TAG "</securityCategoryTagSet>\n",
	             "", "spif.duplicate-tag-set", 6);
	refused_sets("<securityCategoryTagSet name=\"S\" id=\"1.2.3.1\">" PERMISSIVE_TAG
	             "</securityCategoryTagSet>\n<securityCategoryTagSet name=\"T\" id=\"1.2.3.1\">"
	             PERMISSIVE_TAG "</securityCategoryTagSet>\n",
	             "", "spif.duplicate-tag-set", 6);
	refused_sets("<securityCategoryTagSet name=\"S\" id=\"one\">" PERMISSIVE_TAG
	             "</securityCategoryTagSet>\n",
	             "", "spif.value", 5);
}

static void refuses_bad_rule_references(void **state)
{
	(void)state;
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<excludedClass>MEDIUM</excludedClass>\n"
	             "</tagCategory></securityCategoryTag>\n",
	             "spif.unknown-classification", 8);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\" requiredClass=\"MEDIUM\"/>\n"
	             "</securityCategoryTag>\n",
	             "spif.unknown-classification", 7);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<excludedClass>LOW</excludedClass>\n"
	             "<excludedClass>low</excludedClass>\n</tagCategory></securityCategoryTag>\n",
	             "spif.duplicate-excluded-class", 9);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n"
	             "<excludedCategory tagSetRef=\"Nope\" tagType=\"restrictive\"/>\n"
	             "</tagCategory></securityCategoryTag>\n",
	             "spif.unknown-tag-set", 8);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<requiredCategory operation=\"all\">\n"
	             "<categoryGroup tagSetRef=\"Set\" tagType=\"restrictive\" lacv=\"9\"/>\n"
	             "</requiredCategory></tagCategory></securityCategoryTag>\n",
	             "spif.unknown-category", 9);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<requiredCategory operation=\"all\">\n"
	             "<categoryGroup tagSetRef=\"Set\" tagType=\"permissive\"/>\n"
	             "</requiredCategory></tagCategory></securityCategoryTag>\n",
	             "spif.unknown-tag", 9);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<requiredCategory operation=\"some\">\n"
	             "<categoryGroup tagSetRef=\"Set\" tagType=\"restrictive\"/>\n"
	             "</requiredCategory></tagCategory></securityCategoryTag>\n",
	             "spif.value", 8);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<requiredCategory>\n"
	             "<categoryGroup tagSetRef=\"Set\" tagType=\"restrictive\"/>\n"
	             "</requiredCategory></tagCategory></securityCategoryTag>\n",
	             "spif.missing-attribute", 8);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n<requiredCategory operation=\"all\"/>\n"
	             "</tagCategory></securityCategoryTag>\n",
	             "spif.missing-element", 8);
	REFUSED_TAGS("<securityCategoryTag tagType=\"restrictive\">\n"
	             "<tagCategory name=\"X\" lacv=\"1\">\n"
	             "<excludedCategory tagSetRef=\"Set\" tagType=\"restrictive\" lacv=\"1\" "
	             "all=\"true\"/>\n</tagCategory></securityCategoryTag>\n",
	             "spif.value", 8);
	/* A classification's requiredCategory is resolved too. */
	REFUSED_BODY("<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<requiredCategory operation=\"all\">\n"
	             "<categoryGroup tagSetRef=\"Gone\" tagType=\"restrictive\"/>\n"
	             "</requiredCategory></securityClassification></securityClassifications>\n",
	             "spif.unknown-tag-set", 6);
}

static void refuses_bad_equivalences(void **state)
{
	(void)state;
	REFUSED_BODY("<equivalentPolicies><equivalentPolicy name=\"O\" id=\"1.9\"/></equivalentPolicies>\n"
	             "<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<equivalentClassification policyRef=\"P\" lacv=\"1\" applied=\"both\"/>\n"
	             "</securityClassification></securityClassifications>\n",
	             "spif.unknown-policy", 6);
	REFUSED_BODY("<equivalentPolicies><equivalentPolicy name=\"O\" id=\"1.9\"/></equivalentPolicies>\n"
	             "<securityClassifications>\n"
	             "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n"
	             "<equivalentClassification policyRef=\"O\" lacv=\"1\" applied=\"always\"/>\n"
	             "</securityClassification></securityClassifications>\n",
	             "spif.value", 6);
	REFUSED_BODY("<equivalentPolicies>\n<equivalentPolicy name=\"O\" id=\"1.9\"/>\n"
	             "<equivalentPolicy name=\"o\" id=\"1.8\"/>\n</equivalentPolicies>\n",
	             "spif.duplicate-policy", 5);
	REFUSED_BODY("<equivalentPolicies>\n<equivalentPolicy name=\"O\" id=\"1.2.3\"/>\n"
	             "</equivalentPolicies>\n",
	             "spif.duplicate-policy", 4);
	REFUSED_BODY("<equivalentPolicies>\n<equivalentPolicy name=\"O\"/>\n</equivalentPolicies>\n",
	             "spif.missing-attribute", 4);
	refused_sets("<securityCategoryTagSet name=\"S\" id=\"1.2.3.1\">\n"
	             "<securityCategoryTag tagType=\"permissive\">\n<tagCategory name=\"X\" lacv=\"1\">\n"
	             "<equivalentSecCategoryTag policyRef=\"O\" tagSetId=\"1.9.1\" tagType=\"permissive\" "
	             "lacv=\"\" applied=\"encrypt\"/>\n"
	             "</tagCategory></securityCategoryTag></securityCategoryTagSet>\n",
	             "<equivalentPolicies><equivalentPolicy name=\"O\" id=\"1.9\"/></equivalentPolicies>\n",
	             "spif.value", 8);
}

static void refuses_too_many_parts(void **state)
{
	(void)state;
	size_t cap = 64 * (SPIF_MAX_CLASSES + 2) + 64;
	char *body = malloc(cap);
	size_t o = (size_t)snprintf(body, cap, "<securityClassifications>\n");
	for (unsigned i = 0; i <= SPIF_MAX_CLASSES; i++)
		o += (size_t)snprintf(body + o, cap - o,
		                      "<securityClassification name=\"C%u\" lacv=\"%u\" hierarchy=\"%u\"/>", i,
		                      i, i);
	snprintf(body + o, cap - o, "</securityClassifications>\n");
	REFUSED_BODY(body, "spif.too-many", 3);
	free(body);
	cap = 80 * (SPIF_MAX_PER_HOLDER + 2);
	body = malloc(cap);
	o = (size_t)snprintf(body, cap, "<securityClassifications>\n"
	                     "<securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\">\n");
	for (unsigned i = 0; i <= SPIF_MAX_PER_HOLDER; i++)
		o += (size_t)snprintf(body + o, cap - o, "<markingData phrase=\"p\"><code>pageTop</code></markingData>");
	snprintf(body + o, cap - o, "</securityClassification></securityClassifications>\n");
	REFUSED_BODY(body, "spif.too-many", 4);
	free(body);
}

static void refuses_unreadable_and_oversized_files(void **state)
{
	(void)state;
	struct spif *s = NULL;
	struct sluice_error err;
	char *missing = fixture("no-such-spif.xml");
	assert_int_equal(spif_load_file(missing, &s, &err), SLUICE_ERR_IO);
	assert_null(s);
	assert_string_equal(err.rule, "spif.read");
	assert_string_equal(err.file, missing);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_IO), 74);
	free(missing);

	char dirname[] = "/tmp/test_spif.XXXXXX";
	assert_non_null(mkdtemp(dirname));
	char big[256];
	snprintf(big, sizeof(big), "%s/big.xml", dirname);
	FILE *f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), (off_t)SPIF_MAX_BYTES + 1), 0);
	fclose(f);
	assert_int_equal(spif_load_file(big, &s, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "spif.too-large");
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_POLICY), 78);
	unlink(big);
	rmdir(dirname);
}

int main(void)
{
	if (fixtures_init("test_spif") != 0)
		return 1;
	xml_intake_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nato_spif_model),
		cmocka_unit_test(tlp_spifs_hold_equivalences),
		cmocka_unit_test(uk_demo_spif_rules),
		cmocka_unit_test(example_spif_model),
		cmocka_unit_test(minimal_spif_loads),
		cmocka_unit_test(lacv_equality),
		cmocka_unit_test(corpus_spifs),
		cmocka_unit_test(refuses_bad_xml),
		cmocka_unit_test(refuses_wrong_root_and_version),
		cmocka_unit_test(refuses_bad_policy_identity),
		cmocka_unit_test(refuses_bad_classifications),
		cmocka_unit_test(refuses_unknown_elements_and_text),
		cmocka_unit_test(refuses_bad_marking_data),
		cmocka_unit_test(refuses_bad_tags),
		cmocka_unit_test(refuses_duplicate_tag_sets),
		cmocka_unit_test(refuses_bad_rule_references),
		cmocka_unit_test(refuses_bad_equivalences),
		cmocka_unit_test(refuses_too_many_parts),
		cmocka_unit_test(refuses_unreadable_and_oversized_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
