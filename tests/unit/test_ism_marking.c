/* Unit tests of the IC-ISM marking renderer (filters/ism_marking.h): banner lines and portion
 * marks, every rule that refuses a marking, the roll-up checks, the marked elements of a
 * document and the whole-document listing of `sluice label show`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ism_marking.h"
#include "xml_intake.h"

#define NS "xmlns:ism=\"urn:us:gov:ic:ism\" "

static xmlDocPtr parse(const char *xml)
{
	static const struct xml_limits lim = { 1 << 20, 32, 50000 };
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	if (xml_intake_parse((const uint8_t *)xml, strlen(xml), &lim, &doc, &err) != SLUICE_OK)
		fail_msg("fixture does not parse: %s", err.message);
	return doc;
}

/* The marking string of an element written as `<e NS ATTRS/>`, checked as a US document's
 * banner or portion. */
static char *render(const char *attrs, enum ism_mark_style style)
{
	char xml[2048];
	struct ism_attrs a;
	struct sluice_error err;
	snprintf(xml, sizeof(xml), "<e " NS "%s/>", attrs);
	xmlDocPtr doc = parse(xml);
	ism_attrs_read(xmlDocGetRootElement(doc), &a);
	if (ism_attrs_check(&a, style == ISM_MARK_BANNER, true, &err) != SLUICE_OK)
		fail_msg("'%s' refused: %s [%s]", attrs, err.message, err.rule);
	char *s = ism_marking_string(&a, style);
	ism_attrs_free(&a);
	xmlFreeDoc(doc);
	return s;
}

static void expect_marking(const char *attrs, const char *banner, const char *portion)
{
	char *b = render(attrs, ISM_MARK_BANNER), *p = render(attrs, ISM_MARK_PORTION);
	assert_string_equal(b, banner);
	assert_string_equal(p, portion);
	free(b);
	free(p);
}

static void renders_us_markings(void **state)
{
	(void)state;
	expect_marking("ism:classification='U' ism:ownerProducer='USA'", "UNCLASSIFIED", "(U)");
	expect_marking("ism:classification='TS' ism:ownerProducer='USA' "
	               "ism:disseminationControls='OC NF'",
	               "TOP SECRET//ORCON/NOFORN", "(TS//OC/NF)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:disseminationControls='RS IMC PR'",
	               "SECRET//RSEN/IMCON/PROPIN", "(S//RS/IMC/PR)");
	expect_marking("ism:classification='C' ism:ownerProducer='USA' "
	               "ism:disseminationControls='REL' ism:releasableTo='USA DEU FRA NATO'",
	               "CONFIDENTIAL//REL TO USA, DEU, FRA, NATO",
	               "(C//REL TO USA, DEU, FRA, NATO)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:disseminationControls='EYES' ism:releasableTo='USA GBR'",
	               "SECRET//USA/GBR EYES ONLY", "(S//USA/GBR EYES ONLY)");
	/* declassification attributes are not part of a marking */
	expect_marking("ism:classification='S' ism:ownerProducer='USA' ism:declassDate='2040-01-01'",
	               "SECRET", "(S)");
}

static void renders_foreign_and_joint_markings(void **state)
{
	(void)state;
	expect_marking("ism:classification='TS' ism:ownerProducer='NATO'", "//COSMIC TOP SECRET",
	               "(//CTS)");
	expect_marking("ism:classification='R' ism:ownerProducer='NATO' ism:nonUSControls='ATOMAL'",
	               "//NATO RESTRICTED//ATOMAL", "(//NR//ATOMAL)");
	expect_marking("ism:classification='C' ism:ownerProducer='FRA'", "//FRA CONFIDENTIAL",
	               "(//FRA C)");
	expect_marking("ism:classification='S' ism:ownerProducer='CAN USA'",
	               "//JOINT SECRET CAN USA", "(//JOINT S CAN USA)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' ism:FGIsourceOpen='AUS NZL'",
	               "SECRET//FGI AUS NZL", "(S//FGI AUS NZL)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:FGIsourceProtected='FGI'", "SECRET//FGI", "(S//FGI)");
}

static void renders_compartments_and_programs(void **state)
{
	(void)state;
	expect_marking("ism:classification='TS' ism:ownerProducer='USA' "
	               "ism:SCIcontrols='SI SI-G SI-G-ABCD SI-G-WXYZ TK' "
	               "ism:disseminationControls='OC'",
	               "TOP SECRET//SI-G ABCD WXYZ/TK//ORCON", "(TS//SI-G ABCD WXYZ/TK//OC)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:SCIcontrols='RSV RSV-AAA RSV-BBB'", "SECRET//RSV-AAA-BBB",
	               "(S//RSV-AAA-BBB)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:SARIdentifier='BLUE_SKY BLUE_SKY-X1 BLUE_SKY-X1-Y22 GREEN'",
	               "SECRET//SAR-BLUE SKY-X1 Y22/GREEN", "(S//SAR-BLUE SKY-X1 Y22/GREEN)");
}

static void renders_atomic_and_non_ic_markings(void **state)
{
	(void)state;
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:atomicEnergyMarkings='RD RD-CNWDI RD-SG-14 RD-SG-20 FRD FRD-SG-15'",
	               "SECRET//RD-CNWDI-SIGMA 14 20/FRD-SIGMA 15", "(S//RD-CNWDI-SG 14 20/FRD-SG 15)");
	expect_marking("ism:classification='U' ism:ownerProducer='USA' "
	               "ism:atomicEnergyMarkings='DCNI'", "UNCLASSIFIED//DOD UCNI", "(U//DCNI)");
	expect_marking("ism:classification='S' ism:ownerProducer='USA' "
	               "ism:disseminationControls='NF' ism:nonICmarkings='DS ND'",
	               "SECRET//NOFORN//LIMDIS/NODIS", "(S//NF//DS/ND)");
	expect_marking("ism:classification='C' ism:ownerProducer='USA' "
	               "ism:nonICmarkings='ACCM-RED_ROCK ACCM-ALPHA'",
	               "CONFIDENTIAL//RED ROCK/ALPHA", "(C//RED ROCK/ALPHA)");
}

static void short_style_and_unchecked_values(void **state)
{
	(void)state;
	char *s = render("ism:classification='S' ism:ownerProducer='USA' "
	                 "ism:disseminationControls='NF'", ISM_MARK_SHORT);
	assert_string_equal(s, "S//NF");
	free(s);
	/* unchecked: out-of-order REL TO is still written in CVE order, unknown tokens as they are */
	xmlDocPtr doc = parse("<e " NS "ism:classification='C' ism:ownerProducer='USA' "
	                      "ism:disseminationControls='ZZ REL' ism:releasableTo='NATO GBR USA'/>");
	struct ism_attrs a;
	ism_attrs_read(xmlDocGetRootElement(doc), &a);
	s = ism_marking_string(&a, ISM_MARK_SHORT);
	assert_string_equal(s, "C//REL TO USA, GBR, NATO/ZZ");
	free(s);
	ism_attrs_free(&a);
	xmlFreeDoc(doc);
}

static void tokens_split_match_and_sort(void **state)
{
	(void)state;
	struct ism_tokens t = { NULL, 0 };
	assert_int_equal(ism_tokens_split("  SI\tSI-G \n TK ", &t), 3);
	assert_string_equal(t.v[1], "SI-G");
	assert_true(ism_tokens_match(&t, "SI-G*"));
	assert_true(ism_tokens_match(&t, "TK"));
	assert_false(ism_tokens_match(&t, "SI-G-*"));
	ism_tokens_free(&t);
	assert_int_equal(ism_tokens_split("", &t), 0);

	const char *dissem[] = { "REL", "NF", "ZZ", "OC", "FOUO" };
	ism_tokens_sort(ISM_DISSEMINATION, dissem, 5);
	assert_string_equal(dissem[0], "FOUO");
	assert_string_equal(dissem[1], "OC");
	assert_string_equal(dissem[2], "NF");
	assert_string_equal(dissem[3], "REL");
	assert_string_equal(dissem[4], "ZZ");
	const char *rel[] = { "NATO", "GBR", "USA", "AUS" };
	ism_tokens_sort(ISM_RELEASABLE_TO, rel, 4);
	assert_string_equal(rel[0], "USA");
	assert_string_equal(rel[1], "AUS");
	assert_string_equal(rel[3], "NATO");
	const char *owner[] = { "USA", "GBR" };
	ism_tokens_sort(ISM_OWNER_PRODUCER, owner, 2); /* alphabetical: USA is no exception */
	assert_string_equal(owner[0], "GBR");
}

/* Checks `<e NS ATTRS/>` and expects a refusal by `rule` whose message names `ism_id`. */
static void expect_refused_as(const char *attrs, bool as_banner, bool capco, const char *rule,
                              const char *ism_id)
{
	char xml[2048];
	struct ism_attrs a;
	struct sluice_error err;
	snprintf(xml, sizeof(xml), "<e " NS "\n%s/>", attrs);
	xmlDocPtr doc = parse(xml);
	memset(&err, 0, sizeof(err));
	ism_attrs_read(xmlDocGetRootElement(doc), &a);
	enum sluice_rc rc = ism_attrs_check(&a, as_banner, capco, &err);
	if (rc != SLUICE_ERR_INVALID_REPORT || strcmp(err.rule, rule) != 0)
		fail_msg("'%s': expected %s, got rc %d rule '%s' (%s)", attrs, rule, rc, err.rule,
		         err.message);
	if (strstr(err.message, ism_id) == NULL || strstr(err.message, "element <e>") == NULL)
		fail_msg("'%s': message does not name %s and the element: %s", attrs, ism_id,
		         err.message);
	assert_int_equal(err.line, 2);
	ism_attrs_free(&a);
	xmlFreeDoc(doc);
}

#define US "ism:classification='S' ism:ownerProducer='USA' "

static void refuses_bad_values(void **state)
{
	(void)state;
	expect_refused_as(US "ism:colour='red'", false, true, "ism.unknown-attribute", "00125");
	expect_refused_as(US "ism:SCIcontrols=' '", false, true, "ism.empty-value", "00002");
	expect_refused_as("ism:ownerProducer='USA' ism:disseminationControls='NF'", false, true,
	                  "ism.missing-classification", "00012");
	expect_refused_as("ism:classification='S'", false, true, "ism.missing-owner-producer",
	                  "00012");
	expect_refused_as("ism:classification='S C' ism:ownerProducer='USA'", false, true,
	                  "ism.unknown-classification", "00254");
	expect_refused_as("ism:classification='secret' ism:ownerProducer='USA'", false, false,
	                  "ism.unknown-classification", "00254");
	expect_refused_as(US "ism:SCIcontrols='SI SI'", false, true, "ism.duplicate-value", "00236");
	expect_refused_as("ism:classification='S' ism:ownerProducer='XYZ1'", false, true,
	                  "ism.unknown-country", "00263");
	expect_refused_as(US "ism:FGIsourceOpen='USA'", false, true, "ism.unknown-country", "00259");
	expect_refused_as(US "ism:disseminationControls='REL' ism:releasableTo='USA ATLANTIS'",
	                  false, true, "ism.unknown-country", "00265");
	expect_refused_as(US "ism:SCIcontrols='SI-G-abcd'", false, true, "ism.unknown-value",
	                  "00267");
	expect_refused_as(US "ism:atomicEnergyMarkings='RD RD-SG-99'", false, true,
	                  "ism.unknown-value", "00253");
	expect_refused_as(US "ism:nonICmarkings='LIMDIS'", false, true, "ism.unknown-value",
	                  "00261");
	expect_refused_as(US "ism:disseminationControls='REL' ism:releasableTo='USA'", false, true,
	                  "ism.releasable-to-single", "00319");
	expect_refused_as("ism:classification='S' ism:ownerProducer='GBR' ism:nonUSControls='BALK'",
	                  false, false, "ism.non-us-controls-owner", "00163");
}

static void refuses_capco_violations(void **state)
{
	(void)state;
	expect_refused_as(US "ism:disseminationControls='NF OC'", false, true, "ism.order", "00026");
	expect_refused_as(US "ism:disseminationControls='REL' ism:releasableTo='USA NATO FRA'", true,
	                  true, "ism.order", "00041");
	expect_refused_as("ism:classification='S' ism:ownerProducer='USA CAN'", false, true,
	                  "ism.order", "00100");
	expect_refused_as("ism:classification='R' ism:ownerProducer='USA'", false, true,
	                  "ism.us-classification", "00040");
	expect_refused_as("ism:classification='S' ism:ownerProducer='FGI GBR'", false, true,
	                  "ism.fgi-alone", "00099");
	expect_refused_as(US "ism:FGIsourceProtected='FGI GBR'", false, true, "ism.fgi-alone",
	                  "00217");
	expect_refused_as(US "ism:disseminationControls='REL' ism:releasableTo='CAN GBR'", false,
	                  true, "ism.releasable-to-usa-first", "00214");
	expect_refused_as(US "ism:disseminationControls='NF EYES' ism:releasableTo='USA GBR'", false,
	                  true, "ism.exclusive", "00033");
	expect_refused_as(US "ism:disseminationControls='NF DISPLAYONLY' ism:displayOnlyTo='IRQ'",
	                  false, true, "ism.exclusive", "00169");
	expect_refused_as(US "ism:nonICmarkings='LES LES-NF'", false, true, "ism.exclusive", "00148");
	expect_refused_as(US "ism:FGIsourceOpen='GBR' ism:disseminationControls='RELIDO'", false,
	                  true, "ism.exclusive", "00233");
	expect_refused_as(US "ism:disseminationControls='EYES'", false, true, "ism.requires",
	                  "00031");
	expect_refused_as(US "ism:releasableTo='USA GBR'", false, true, "ism.requires", "00032");
	expect_refused_as("ism:classification='TS' ism:ownerProducer='USA' ism:SCIcontrols='SI SI-G'",
	                  false, true, "ism.requires", "00045");
	expect_refused_as(US "ism:SCIcontrols='KDK'", false, true, "ism.requires", "00123");
	expect_refused_as(US "ism:SCIcontrols='RSV'", false, true, "ism.requires", "00243");
	expect_refused_as(US "ism:nonICmarkings='ND'", false, true, "ism.requires", "00313");
	expect_refused_as("ism:classification='C' ism:ownerProducer='FGI'", false, true,
	                  "ism.requires", "00219");
	expect_refused_as("ism:classification='C' ism:ownerProducer='USA' ism:SCIcontrols='TK'",
	                  false, true, "ism.classification-level", "00047");
	expect_refused_as("ism:classification='C' ism:ownerProducer='USA' "
	                  "ism:disseminationControls='IMC'", false, true,
	                  "ism.classification-level", "00107");
	expect_refused_as(US "ism:nonICmarkings='SBU'", false, true, "ism.classification-level",
	                  "00037");
	expect_refused_as(US "ism:atomicEnergyMarkings='DCNI'", false, true,
	                  "ism.classification-level", "00181");
	expect_refused_as("ism:classification='U' ism:ownerProducer='USA' ism:classifiedBy='X'",
	                  false, true, "ism.unclassified-forbidden", "00016");
}

/* Rules about portions only, and the CAPCO rules only in US documents. */
static void banner_and_non_us_documents_skip_rules(void **state)
{
	(void)state;
	char *s = render(US "ism:atomicEnergyMarkings='DCNI'", ISM_MARK_BANNER);
	assert_string_equal(s, "SECRET//DOD UCNI");
	free(s);
	xmlDocPtr doc = parse("<e " NS "ism:classification='R' ism:ownerProducer='USA' "
	                      "ism:disseminationControls='REL' ism:releasableTo='GBR USA'/>");
	struct ism_attrs a;
	struct sluice_error err;
	ism_attrs_read(xmlDocGetRootElement(doc), &a);
	assert_int_equal(ism_attrs_check(&a, false, false, &err), SLUICE_OK);
	assert_int_equal(ism_attrs_check(&a, false, true, &err), SLUICE_ERR_INVALID_REPORT);
	ism_attrs_free(&a);
	xmlFreeDoc(doc);
}

/* Roll-up of `portion` into `banner`, both `<e NS ATTRS/>`. */
static enum sluice_rc rollup(const char *banner, const char *portion, bool capco,
                             struct sluice_error *err)
{
	char xml[4096];
	struct ism_attrs b, p;
	snprintf(xml, sizeof(xml), "<r " NS "%s>\n<p %s/></r>", banner, portion);
	xmlDocPtr doc = parse(xml);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	ism_attrs_read(root, &b);
	ism_attrs_read(xmlFirstElementChild(root), &p);
	memset(err, 0, sizeof(*err));
	enum sluice_rc rc = ism_rollup_check(&b, &p, capco, err);
	ism_attrs_free(&b);
	ism_attrs_free(&p);
	xmlFreeDoc(doc);
	return rc;
}

static void expect_not_dominating(const char *banner, const char *portion, const char *ism_id)
{
	struct sluice_error err;
	if (rollup(banner, portion, true, &err) != SLUICE_ERR_INVALID_REPORT ||
	    strcmp(err.rule, "ism.banner-not-dominating") != 0 || strstr(err.message, ism_id) == NULL)
		fail_msg("expected %s, got '%s' (%s)", ism_id, err.rule, err.message);
	assert_int_equal(err.line, 2);
}

static void rollup_checks(void **state)
{
	(void)state;
	struct sluice_error err;
	assert_int_equal(rollup(US "ism:SCIcontrols='SI TK' ism:disseminationControls='OC NF'",
	                        "ism:classification='C' ism:ownerProducer='USA' ism:SCIcontrols='SI' "
	                        "ism:disseminationControls='NF'", true, &err),
	                 SLUICE_OK);
	assert_int_equal(rollup(US "ism:disseminationControls='REL' ism:releasableTo='USA GBR'",
	                        "ism:classification='U' ism:ownerProducer='USA'", true, &err),
	                 SLUICE_OK);
	expect_not_dominating("ism:classification='C' ism:ownerProducer='USA'", US, "00058");
	expect_not_dominating("ism:classification='U' ism:ownerProducer='USA'",
	                      "ism:classification='R' ism:ownerProducer='NATO'", "00056");
	expect_not_dominating(US, US "ism:disseminationControls='NF'", "00070");
	expect_not_dominating(US, US "ism:SCIcontrols='HCS' ism:disseminationControls='NF'", "00060");
	expect_not_dominating(US, US "ism:atomicEnergyMarkings='RD RD-SG-14'", "00072");
	expect_not_dominating(US "ism:atomicEnergyMarkings='RD'",
	                      US "ism:atomicEnergyMarkings='RD RD-SG-14'", "00074");
	expect_not_dominating(US "ism:disseminationControls='NF'",
	                      US "ism:disseminationControls='NF' ism:nonICmarkings='XD'", "00085");
	expect_not_dominating(US, US "ism:FGIsourceOpen='GBR'", "00064");
	expect_not_dominating(US "ism:FGIsourceOpen='GBR'", US "ism:FGIsourceProtected='GBR'",
	                      "00065");
	expect_not_dominating(US "ism:disseminationControls='REL' ism:releasableTo='USA GBR'",
	                      "ism:classification='C' ism:ownerProducer='USA'", "00088");
	expect_not_dominating(US "ism:disseminationControls='REL' ism:releasableTo='USA FRA GBR'",
	                      US "ism:disseminationControls='REL' ism:releasableTo='USA GBR'",
	                      "00320");
	/* outside a US document only the classification binds */
	assert_int_equal(rollup(US, US "ism:disseminationControls='NF'", false, &err), SLUICE_OK);
	assert_int_equal(rollup("ism:classification='C' ism:ownerProducer='NATO'", US, false, &err),
	                 SLUICE_ERR_INVALID_REPORT);
}

static void finds_marked_elements(void **state)
{
	(void)state;
	xmlDocPtr doc = parse("<doc " NS "><r ism:resourceElement='true' ism:classification='S' "
	                      "ism:ownerProducer='USA'><a ism:classification='U' "
	                      "ism:ownerProducer='USA'><b ism:classification='C' "
	                      "ism:ownerProducer='USA'/></a><plain/><c ism:DESVersion='10'/></r>"
	                      "</doc>");
	struct ism_elements e;
	struct sluice_error err;
	assert_int_equal(ism_elements_find(doc, &e, &err), SLUICE_OK);
	assert_string_equal((const char *)e.banner->name, "r");
	assert_int_equal(e.nportions, 3);
	assert_string_equal((const char *)e.portions[1]->name, "b");
	assert_int_equal(e.parent[0], -1);
	assert_int_equal(e.parent[1], 0);
	assert_int_equal(e.parent[2], -1);
	ism_elements_free(&e);
	xmlFreeDoc(doc);
}

static void expect_find_refused(const char *xml, const char *rule)
{
	struct ism_elements e;
	struct sluice_error err;
	xmlDocPtr doc = parse(xml);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ism_elements_find(doc, &e, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, rule);
	assert_null(e.portions);
	xmlFreeDoc(doc);
}

static void refuses_bad_documents(void **state)
{
	(void)state;
	expect_find_refused("<r " NS "ism:classification='U' ism:ownerProducer='USA'/>",
	                    "ism.no-banner");
	expect_find_refused("<r " NS "ism:resourceElement='yes'/>", "ism.malformed");
	expect_find_refused("<r " NS "ism:resourceElement='true'><a ism:resourceElement='true'/></r>",
	                    "ism.banner-repeated");
	expect_find_refused("<d " NS "><p ism:classification='U' ism:ownerProducer='USA'>"
	                    "<r ism:resourceElement='true'/></p></d>", "ism.banner-in-portion");
}

static void lists_document_markings(void **state)
{
	(void)state;
	xmlDocPtr doc = parse("<r " NS "ism:resourceElement='true' ism:classification='S' "
	                      "ism:ownerProducer='USA' ism:disseminationControls='NF'>\n"
	                      "<a ism:classification='U' ism:ownerProducer='USA'>x</a>\n"
	                      "<b ism:classification='S' ism:ownerProducer='USA' "
	                      "ism:disseminationControls='NF'/>\n"
	                      "<c ism:classification='TS' ism:ownerProducer='USA' "
	                      "ism:excludeFromRollup='true'/></r>");
	struct sluice_error err;
	char *text = NULL;
	assert_int_equal(ism_document_markings(doc, &text, &err), SLUICE_OK);
	assert_string_equal(text, "SECRET//NOFORN\n(U)\n(S//NF)\n(TS)\n");
	free(text);
	xmlFreeDoc(doc);
}

static void expect_document_refused(const char *xml, const char *rule, unsigned line)
{
	struct sluice_error err;
	char *text = NULL;
	xmlDocPtr doc = parse(xml);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ism_document_markings(doc, &text, &err), SLUICE_ERR_INVALID_REPORT);
	assert_null(text);
	assert_string_equal(err.rule, rule);
	assert_int_equal(err.line, line);
	xmlFreeDoc(doc);
}

static void refuses_bad_document_markings(void **state)
{
	(void)state;
	/* the banner itself */
	expect_document_refused("<r " NS "ism:resourceElement='true' ism:classification='X' "
	                        "ism:ownerProducer='USA'/>", "ism.unknown-classification", 1);
	/* a portion, named with its line */
	expect_document_refused("<r " NS "ism:resourceElement='true' ism:classification='S' "
	                        "ism:ownerProducer='USA'>\n\n<a ism:classification='S' "
	                        "ism:ownerProducer='USA' ism:disseminationControls='NOFORN'/></r>",
	                        "ism.unknown-value", 3);
	/* a banner below its portion */
	expect_document_refused("<r " NS "ism:resourceElement='true' ism:classification='C' "
	                        "ism:ownerProducer='USA'>\n<a ism:classification='S' "
	                        "ism:ownerProducer='USA'/></r>", "ism.banner-not-dominating", 2);
	expect_document_refused("<r " NS "ism:resourceElement='true' ism:classification='C' "
	                        "ism:ownerProducer='USA'>\n<a ism:classification='U' "
	                        "ism:ownerProducer='USA' ism:excludeFromRollup='maybe'/></r>",
	                        "ism.malformed", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_us_markings),
		cmocka_unit_test(renders_foreign_and_joint_markings),
		cmocka_unit_test(renders_compartments_and_programs),
		cmocka_unit_test(renders_atomic_and_non_ic_markings),
		cmocka_unit_test(short_style_and_unchecked_values),
		cmocka_unit_test(tokens_split_match_and_sort),
		cmocka_unit_test(refuses_bad_values),
		cmocka_unit_test(refuses_capco_violations),
		cmocka_unit_test(banner_and_non_us_documents_skip_rules),
		cmocka_unit_test(rollup_checks),
		cmocka_unit_test(finds_marked_elements),
		cmocka_unit_test(refuses_bad_documents),
		cmocka_unit_test(lists_document_markings),
		cmocka_unit_test(refuses_bad_document_markings),
	};
	xml_intake_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
