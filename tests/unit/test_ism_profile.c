/* Unit tests of the ism marking profile: reading markings into labels, the checks that
 * refuse a report (65), and re-marking the banner. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "ism_profile.h"
#include "xml_intake.h"

static struct policy *pol;

#define HEAD "<r xmlns:ism=\"urn:us:gov:ic:ism\" ism:resourceElement=\"true\" "

static int setup(void **state)
{
	(void)state;
	char path[1024];
	struct sluice_error err;
	xml_intake_init();
	snprintf(path, sizeof(path), "%s/ism/policy.yaml", getenv("SLUICE_FIXTURES"));
	if (policy_load(path, &pol, &err) != SLUICE_OK) {
		fprintf(stderr, "fixture policy: %s\n", err.message);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(pol);
	return 0;
}

static enum sluice_rc read_doc(const char *xml, xmlDocPtr *doc, struct ism_document *d,
                               struct sluice_error *err)
{
	static const struct xml_limits lim = { 1 << 20, 32, 50000 };
	enum sluice_rc rc = xml_intake_parse((const uint8_t *)xml, strlen(xml), &lim, doc, err);
	if (rc != SLUICE_OK)
		return rc;
	rc = ism_document_read(*doc, pol, d, err);
	if (rc != SLUICE_OK) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	return rc;
}

static void expect_invalid(const char *xml, const char *rule, unsigned line)
{
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	memset(&err, 0, sizeof(err));
	enum sluice_rc rc = read_doc(xml, &doc, &d, &err);
	if (rc != SLUICE_ERR_INVALID_REPORT || strcmp(err.rule, rule) != 0)
		fail_msg("expected %s, got rc %d rule '%s' (%s)", rule, rc, err.rule, err.message);
	if (line != 0)
		assert_int_equal(err.line, line);
	assert_null(doc);
}

static void reads_banner_and_portions(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">\n"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\">x</a>\n"
	                  "<b ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">"
	                  "<c ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">y</c></b></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	assert_int_equal(d.banner.level, 3);
	assert_int_equal(d.nportions, 3);
	assert_int_equal(d.portions[0].parent, -1);
	assert_int_equal(d.portions[2].parent, 1);
	/* unclassified without releasableTo: no releasability restriction */
	assert_null(label_category_find(&d.portions[0].label, "releasableTo", CATEGORY_PERMISSIVE));
	/* explicit REL TO */
	const struct label_category *rel =
		label_category_find(&d.portions[1].label, "releasableTo", CATEGORY_PERMISSIVE);
	assert_non_null(rel);
	assert_int_equal(rel->values.n, 2);
	/* classified without releasableTo: releasable to its ownerProducer only */
	rel = label_category_find(&d.portions[2].label, "releasableTo", CATEGORY_PERMISSIVE);
	assert_non_null(rel);
	assert_int_equal(rel->values.n, 1);
	assert_string_equal(rel->values.v[0], "USA");
	/* NF requires USA (policy) */
	const struct label_category *nf =
		label_category_find(&d.portions[2].label, "NF", CATEGORY_RESTRICTIVE);
	assert_non_null(nf);
	assert_string_equal(nf->values.v[0], "USA");
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

static void refuses_unknown_values(void **state)
{
	(void)state;
	expect_invalid(HEAD "ism:classification=\"X\" ism:ownerProducer=\"USA\"/>",
	               "ism.unknown-classification", 1);
	expect_invalid(HEAD "ism:classification=\"S C\" ism:ownerProducer=\"USA\"/>",
	               "ism.unknown-classification", 1);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">\n"
	               "<a ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	               "ism:disseminationControls=\"ZZZ\"/></r>", "ism.unknown-caveat", 2);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">\n\n"
	               "<a ism:classification=\"U\" ism:ownerProducer=\"QQQ\"/></r>",
	               "ism.unknown-country", 3);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	               "ism:releasableTo=\"USA QZQ\" ism:disseminationControls=\"REL\"/></r>",
	               "ism.unknown-country", 0);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"U\" ism:ownerProducer=\"USA\" ism:colour=\"x\"/></r>",
	               "ism.unknown-attribute", 0);
}

static void refuses_malformed_portions(void **state)
{
	(void)state;
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">\n"
	               "<a ism:releasableTo=\"USA FRA\"/></r>", "ism.missing-classification", 2);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"U\"/></r>", "ism.missing-owner-producer", 0);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	               "ism:disseminationControls=\"REL\"/></r>", "ism.malformed", 0);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	               "ism:excludeFromRollup=\"maybe\"/></r>", "ism.malformed", 0);
}

static void refuses_banner_problems(void **state)
{
	(void)state;
	expect_invalid("<r xmlns:ism=\"urn:us:gov:ic:ism\"><a ism:classification=\"U\" "
	               "ism:ownerProducer=\"USA\"/></r>", "ism.no-banner", 0);
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">\n"
	               "<a ism:resourceElement=\"true\" ism:classification=\"S\" "
	               "ism:ownerProducer=\"USA\"/></r>", "ism.banner-repeated", 2);
	/* banner below a portion */
	expect_invalid(HEAD "ism:classification=\"C\" ism:ownerProducer=\"USA\">\n"
	               "<a ism:classification=\"S\" ism:ownerProducer=\"USA\"/></r>",
	               "ism.banner-not-dominating", 2);
	/* banner without a portion's NF */
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	               "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	               "ism:disseminationControls=\"NF\"/></r>", "ism.banner-not-dominating", 0);
	/* banner releasable wider than a portion */
	expect_invalid(HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	               "ism:releasableTo=\"USA FRA GBR\" ism:disseminationControls=\"REL\">"
	               "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	               "ism:releasableTo=\"USA GBR\" ism:disseminationControls=\"REL\"/></r>",
	               "ism.banner-not-dominating", 0);
}

static void excluded_portions_do_not_bind_the_banner(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"C\" ism:ownerProducer=\"USA\">"
	                  "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:excludeFromRollup=\"true\"/></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	assert_true(d.portions[0].excluded);
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

static char *attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ISM_NS);
	char *s = v ? strdup((char *)v) : NULL;
	xmlFree(v);
	return s;
}

static void remark_from_kept_portions(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA GBR\" ism:disseminationControls=\"REL FOUO\">"
	                  "<a ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA GBR NATO\" ism:disseminationControls=\"REL\"/>"
	                  "<b ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA GBR NATO\" "
	                  "ism:disseminationControls=\"FOUO REL\"/>"
	                  "<c ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA GBR\" ism:disseminationControls=\"REL\"/></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	/* keep a and b, drop c */
	const struct ism_marking *kept[] = { &d.portions[0], &d.portions[1] };
	struct label banner;
	char *summary = NULL;
	ism_remark(&d, kept, 2, pol, &banner, &summary);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *v = attr(root, "classification");
	assert_string_equal(v, "C");
	free(v);
	v = attr(root, "releasableTo");
	assert_string_equal(v, "USA GBR NATO");
	free(v);
	v = attr(root, "disseminationControls");
	assert_string_equal(v, "FOUO REL");
	free(v);
	assert_string_equal(summary, "C//FOUO/REL TO USA, GBR, NATO");
	assert_int_equal(banner.level, 2);
	free(summary);
	label_free(&banner);
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

static void remark_drops_nf_and_rel_when_not_earned(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\">x</a>"
	                  "<b ism:classification=\"C\" ism:ownerProducer=\"USA\">y</b>"
	                  "<c ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">z</c></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	const struct ism_marking *kept[] = { &d.portions[0], &d.portions[1] };
	struct label banner;
	char *summary = NULL;
	ism_remark(&d, kept, 2, pol, &banner, &summary);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *v = attr(root, "classification");
	assert_string_equal(v, "C");
	free(v);
	assert_null(attr(root, "disseminationControls")); /* NF left with its portion */
	assert_null(attr(root, "releasableTo"));           /* b is owner-only: no REL */
	assert_string_equal(summary, "C");
	free(summary);
	label_free(&banner);
	/* nothing kept: lowest level */
	ism_remark(&d, NULL, 0, pol, &banner, &summary);
	v = attr(root, "classification");
	assert_string_equal(v, "U");
	free(v);
	free(summary);
	label_free(&banner);
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

static void remark_keeps_nf_over_rel(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">"
	                  "<a ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\"/>"
	                  "<b ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\"/></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	const struct ism_marking *kept[] = { &d.portions[0], &d.portions[1] };
	struct label banner;
	char *summary = NULL;
	ism_remark(&d, kept, 2, pol, &banner, &summary);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *v = attr(root, "disseminationControls");
	assert_string_equal(v, "NF");
	free(v);
	assert_null(attr(root, "releasableTo"));
	assert_string_equal(summary, "S//NF");
	free(summary);
	label_free(&banner);
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

static void refuse_and_withhold_actions_found(void **state)
{
	(void)state;
	xmlDocPtr doc = NULL;
	struct ism_document d;
	struct sluice_error err;
	const char *xml = HEAD "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"OC PR\">"
	                  "<a ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"OC\"/>"
	                  "<b ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"PR\"/></r>";
	assert_int_equal(read_doc(xml, &doc, &d, &err), SLUICE_OK);
	const char *tok = NULL;
	assert_true(ism_marking_has_action(&d.portions[0], pol, CAVEAT_REFUSE, &tok));
	assert_string_equal(tok, "OC");
	assert_false(ism_marking_has_action(&d.portions[0], pol, CAVEAT_WITHHOLD, &tok));
	assert_true(ism_marking_has_action(&d.portions[1], pol, CAVEAT_WITHHOLD, &tok));
	assert_string_equal(tok, "PR");
	ism_document_free(&d);
	xmlFreeDoc(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_banner_and_portions),
		cmocka_unit_test(refuses_unknown_values),
		cmocka_unit_test(refuses_malformed_portions),
		cmocka_unit_test(refuses_banner_problems),
		cmocka_unit_test(excluded_portions_do_not_bind_the_banner),
		cmocka_unit_test(remark_from_kept_portions),
		cmocka_unit_test(remark_drops_nf_and_rel_when_not_earned),
		cmocka_unit_test(remark_keeps_nf_over_rel),
		cmocka_unit_test(refuse_and_withhold_actions_found),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
