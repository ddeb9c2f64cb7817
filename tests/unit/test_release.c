/* The release filter end to end in one process (no sandbox): decisions, withholding,
 * redaction, re-marking, and that withheld content never comes out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release.h"
#include "xml_intake.h"

static struct policy *pol;

#define OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<CaseReport xmlns:ism=\"urn:us:gov:ic:ism\" ism:resourceElement=\"true\" "

static const char conformance_like[] =
	OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">\n"
	"  <!-- analyst note: CANARY-COMMENT-1 -->\n"
	"  <Summary ism:classification=\"U\" ism:ownerProducer=\"USA\">Vehicle recovered; "
	"informant Nightjar confirmed it.</Summary>\n"
	"  <Detail ism:classification=\"C\" ism:ownerProducer=\"USA\">Officer: "
	"k.smith@police.example.</Detail>\n"
	"  <Detail ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	"ism:disseminationControls=\"NF\">Wiretap CANARY-S-NF-1.</Detail>\n"
	"</CaseReport>\n";

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

/* Runs the filter for from -> to over `xml`. */
static void run(const char *from, const char *to, const char *xml, struct release_result *r)
{
	const struct policy_flow *flow = policy_flow_find(pol, from, to);
	assert_non_null(flow);
	struct redactor *red = NULL;
	struct sluice_error err;
	assert_int_equal(redactor_new(flow, &red, &err), SLUICE_OK);
	struct release_request req = { .policy = pol, .flow = flow,
	                               .destination = policy_domain_find(pol, to), .redactor = red };
	release_filter(&req, (const uint8_t *)xml, strlen(xml), r);
	redactor_free(red);
}

static bool output_has(const struct release_result *r, const char *s)
{
	return r->output != NULL && strstr((const char *)r->output, s) != NULL;
}

static void releases_with_withholding_redaction_and_remarking(void **state)
{
	(void)state;
	struct release_result r;
	run("hq", "customs", conformance_like, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	/* the S//NF portion is withheld by clearance */
	assert_false(output_has(&r, "CANARY-S-NF-1"));
	assert_int_equal(r.nremovals, 1);
	assert_string_equal(r.removals[0].location, "/CaseReport/Detail[2]");
	assert_int_equal(r.removals[0].line, 6);
	assert_string_equal(r.removals[0].rule, "classification S above clearance C");
	assert_true(output_has(&r, "<sluice:withheld xmlns:sluice=\"urn:sluice:guard:1\"/>"));
	/* dirty word and email redacted, comment gone */
	assert_false(output_has(&r, "Nightjar"));
	assert_false(output_has(&r, "k.smith@police.example"));
	assert_false(output_has(&r, "CANARY-COMMENT-1"));
	assert_true(output_has(&r, "informant [REDACTED] confirmed"));
	assert_int_equal(r.nredactions, 2);
	/* locations name elements as they are in the sender's copy, before withholding */
	assert_string_equal(r.redactions[0].location, "/CaseReport/Summary/text()");
	assert_string_equal(r.redactions[0].rule, "words:words.txt");
	assert_string_equal(r.redactions[1].location, "/CaseReport/Detail[1]/text()");
	assert_string_equal(r.redactions[1].rule, "pattern:email");
	/* banner recomputed: C, and NF left with its portion */
	assert_true(output_has(&r, "ism:classification=\"C\""));
	assert_false(output_has(&r, "ism:disseminationControls=\"NF\""));
	assert_string_equal(r.banner, "C");
	release_result_free(&r);
}

static void refuse_mode_refuses_whole_report(void **state)
{
	(void)state;
	struct release_result r;
	run("police", "customs", conformance_like, &r);
	assert_int_equal(r.decision, RELEASE_REFUSED);
	assert_string_equal(r.error.rule, "portion.refuse");
	assert_int_equal(r.error.line, 6);
	assert_null(r.output);
	release_result_free(&r);
}

static void refuse_caveat_anywhere_refuses(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"OC\">\n"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\">x</a>\n"
	                  "<b ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"OC\">y</b></CaseReport>";
	run("hq", "police", xml, &r);
	assert_int_equal(r.decision, RELEASE_REFUSED);
	assert_string_equal(r.error.rule, "caveat.refuse");
	release_result_free(&r);
}

static void caveat_rules_withhold(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"PR\" ism:nonICmarkings=\"LES\">\n"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\">open</a>\n"
	                  "<b ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"PR\">CANARY-PR</b>\n"
	                  "<c ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:nonICmarkings=\"LES\">CANARY-LES</c></CaseReport>";
	run("hq", "customs", xml, &r); /* customs holds USA only: no LES */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY-PR"));
	assert_false(output_has(&r, "CANARY-LES"));
	assert_true(output_has(&r, "open"));
	assert_int_equal(r.nremovals, 2);
	assert_string_equal(r.removals[0].rule, "caveat PR: action withhold");
	assert_string_equal(r.removals[1].rule, "LES requires LES, not held");
	release_result_free(&r);
	run("hq", "police", xml, &r); /* police holds LES: only PR goes */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_true(output_has(&r, "CANARY-LES"));
	assert_false(output_has(&r, "CANARY-PR"));
	assert_true(output_has(&r, "ism:nonICmarkings=\"LES\""));
	release_result_free(&r);
}

static void releasability_to_partner(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\">\n"
	                  "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">shared</a>\n"
	                  "<b ism:classification=\"C\" ism:ownerProducer=\"USA\">CANARY-OWNER-ONLY</b>\n"
	                  "<c ism:classification=\"U\" ism:ownerProducer=\"USA\">public</c>"
	                  "</CaseReport>";
	run("hq", "fra", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_true(output_has(&r, "shared"));
	assert_true(output_has(&r, "public"));
	assert_false(output_has(&r, "CANARY-OWNER-ONLY"));
	assert_string_equal(r.removals[0].rule, "releasableTo USA: none held");
	assert_true(output_has(&r, "ism:releasableTo=\"USA FRA\""));
	assert_string_equal(r.banner, "S//REL TO USA, FRA");
	release_result_free(&r);
}

static void nested_portion_goes_with_parent(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">\n"
	                  "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">outer CANARY-OUTER"
	                  "<b ism:classification=\"U\" ism:ownerProducer=\"USA\">CANARY-INNER</b>"
	                  "</a>\n<c ism:classification=\"U\" ism:ownerProducer=\"USA\">"
	                  "kept<d ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"NF\">CANARY-DEEP</d></c></CaseReport>";
	run("hq", "customs", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY-OUTER"));
	assert_false(output_has(&r, "CANARY-INNER"));
	assert_false(output_has(&r, "CANARY-DEEP"));
	assert_true(output_has(&r, "kept"));
	assert_int_equal(r.nremovals, 2); /* the outer portion and the deep one */
	assert_string_equal(r.banner, "U");
	release_result_free(&r);
}

static void outside_content_carries_the_banner(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "id=\"CANARY-ATTR\">\nCANARY-LOOSE-TEXT\n"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\">fine</a>"
	                  "</CaseReport>";
	run("hq", "customs", xml, &r); /* banner S above customs C */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY-LOOSE-TEXT"));
	assert_false(output_has(&r, "CANARY-ATTR"));
	assert_true(output_has(&r, "fine"));
	assert_int_equal(r.nremovals, 1);
	release_result_free(&r);
	run("hq", "police", xml, &r); /* police may see S: the loose text stays, banner stays S */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_true(output_has(&r, "CANARY-LOOSE-TEXT"));
	assert_string_equal(r.banner, "S");
	release_result_free(&r);
}

/* Namespace declarations outside portions carry the banner's label: withheld with the text
 * outside portions, except those still in use (ism:, a kept portion's own prefix). Found by
 * tests/cli/test_redaction_canaries.sh: the declarations used to survive. */
static void outside_namespace_declarations_carry_the_banner(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "xmlns:canaryroot=\"urn:CANARY-ROOT-NS\" xmlns:k=\"urn:kept\" "
	                  "ism:classification=\"S\" ism:ownerProducer=\"USA\">"
	                  "<meta xmlns:canarymeta=\"urn:CANARY-META-NS\"/>"
	                  "<k:a ism:classification=\"U\" ism:ownerProducer=\"USA\">fine</k:a>"
	                  "</CaseReport>";
	run("hq", "customs", xml, &r); /* banner S above customs C: no text outside, yet */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY"));
	assert_false(output_has(&r, "canary"));
	assert_true(output_has(&r, "xmlns:k=\"urn:kept\""));
	assert_true(output_has(&r, "<k:a "));
	release_result_free(&r);
	run("hq", "police", xml, &r); /* police may see S: the declarations stay */
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_true(output_has(&r, "urn:CANARY-ROOT-NS"));
	assert_true(output_has(&r, "urn:CANARY-META-NS"));
	release_result_free(&r);
}

static void outside_content_follows_banner_withhold_caveats(void **state)
{
	(void)state;
	struct release_result r;
	/* police may see C and LES, but PR is withheld everywhere: the root's attribute carries
	 * the banner's PR and must go, and PR must leave the banner with its portion */
	const char *xml = OPEN "ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"PR\" reportId=\"CANARY-ROOT-ATTR\">"
	                  "<a ism:classification=\"C\" ism:ownerProducer=\"USA\">seizure</a>"
	                  "<b ism:classification=\"C\" ism:ownerProducer=\"USA\" "
	                  "ism:disseminationControls=\"PR\">CANARY-PR</b></CaseReport>";
	run("hq", "police", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY-ROOT-ATTR"));
	assert_false(output_has(&r, "CANARY-PR"));
	assert_false(output_has(&r, "ism:disseminationControls=\"PR\""));
	assert_string_equal(r.banner, "C");
	assert_int_equal(r.nremovals, 2);
	assert_string_equal(r.removals[0].rule, "caveat PR: action withhold");
	assert_string_equal(r.removals[1].location, "/CaseReport");
	assert_string_equal(r.removals[1].rule,
	                    "outside portions, banner label: caveat PR: action withhold");
	release_result_free(&r);
}

static void marker_none_removes_silently(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"TS\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">"
	                  "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">ok</a>"
	                  "<b ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA GBR\" ism:disseminationControls=\"REL\">b"
	                  "<c ism:classification=\"TS\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">"
	                  "CANARY</c></b></CaseReport>";
	run("police", "fra", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "CANARY"));
	assert_false(output_has(&r, "withheld"));
	assert_int_equal(r.nremovals, 1);
	assert_string_equal(r.removals[0].location, "/CaseReport/b/c");
	assert_string_equal(r.banner, "S//REL TO USA, FRA");
	release_result_free(&r);
}

static void recomputed_banner_must_admit_destination(void **state)
{
	(void)state;
	struct release_result r;
	/* each portion is releasable to FRA or NATO, but they share only USA */
	const char *xml = OPEN "ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA\" ism:disseminationControls=\"REL\">"
	                  "<a ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA FRA\" ism:disseminationControls=\"REL\">x</a>"
	                  "<b ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	                  "ism:releasableTo=\"USA NATO\" ism:disseminationControls=\"REL\">y</b>"
	                  "</CaseReport>";
	run("hq", "fra", xml, &r);
	assert_int_equal(r.decision, RELEASE_REFUSED);
	assert_string_equal(r.error.rule, "banner.denied");
	assert_null(r.output);
	release_result_free(&r);
}

static void invalid_reports_are_invalid(void **state)
{
	(void)state;
	struct release_result r;
	run("hq", "police", "<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>", &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "xml.doctype");
	release_result_free(&r);
	run("hq", "police", OPEN "ism:classification=\"Q\" ism:ownerProducer=\"USA\"/>", &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "ism.unknown-classification");
	release_result_free(&r);
	run("hq", "police", "<plain>no markings at all</plain>", &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "ism.no-banner");
	release_result_free(&r);
}

/* Findings 3 (docs/SECURITY.md): `ism:` bound to another namespace would show a reader a
 * marking that Sluice does not see; refused wherever it is declared. */
static void rebound_ism_prefix_is_invalid(void **state)
{
	(void)state;
	struct release_result r;
	run("hq", "police",
	    OPEN "ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "<Para xmlns:ism=\"urn:example:not-ism\" ism:classification=\"TS\" "
	    "ism:ownerProducer=\"USA\">looks TS</Para></CaseReport>", &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "ism.prefix-rebound");
	assert_int_equal(r.error.line, 3);
	assert_null(strstr(r.error.message, "not-ism"));
	release_result_free(&r);
	/* The IC-ISM namespace under another prefix is IC-ISM all the same: released. */
	run("hq", "police",
	    OPEN "ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "<Para xmlns:i=\"urn:us:gov:ic:ism\" i:classification=\"U\" "
	    "i:ownerProducer=\"USA\">fine</Para></CaseReport>", &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	release_result_free(&r);
}

/* Findings 2 and 4: hints that make a reader's parser fetch something never cross; xml:lang and
 * an attribute merely named schemaLocation in another namespace do. */
static void fetch_hints_are_stripped(void **state)
{
	(void)state;
	struct release_result r;
	run("hq", "police",
	    "<CaseReport xmlns:ism=\"urn:us:gov:ic:ism\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:o=\"urn:example:other\" "
	    "ism:resourceElement=\"true\" ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	    "xsi:schemaLocation=\"urn:x http://127.0.0.1:9/beacon.xsd\" "
	    "xsi:noNamespaceSchemaLocation=\"http://127.0.0.1:9/nons.xsd\">"
	    "<Para ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	    "xml:base=\"http://127.0.0.1:9/base/\" xml:lang=\"en\" "
	    "o:schemaLocation=\"kept-value\">text</Para></CaseReport>", &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "127.0.0.1"));
	assert_false(output_has(&r, "xsi:schemaLocation"));
	assert_false(output_has(&r, "noNamespaceSchemaLocation"));
	assert_false(output_has(&r, "xml:base"));
	assert_true(output_has(&r, "xml:lang=\"en\""));
	assert_true(output_has(&r, "o:schemaLocation=\"kept-value\""));
	assert_true(output_has(&r, ">text</Para>"));
	release_result_free(&r);
}

static void redaction_applies_to_attributes_not_markings(void **state)
{
	(void)state;
	struct release_result r;
	const char *xml = OPEN "ism:classification=\"U\" ism:ownerProducer=\"USA\">"
	                  "<a ism:classification=\"U\" ism:ownerProducer=\"USA\" "
	                  "author=\"j.doe@police.example\" "
	                  "ism:classifiedBy=\"Operation Kestrel desk\">t</a></CaseReport>";
	run("hq", "police", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "j.doe@police.example"));
	assert_false(output_has(&r, "Kestrel"));
	assert_true(output_has(&r, "author=\"[REDACTED]\""));
	assert_true(output_has(&r, "ism:classification=\"U\""));
	release_result_free(&r);
}

static char *schema_path(const char *name)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/ism/schemas/%s", getenv("SLUICE_FIXTURES"), name);
	return path;
}

static void schema_validates_reports(void **state)
{
	(void)state;
	void *schema = NULL;
	struct sluice_error err;
	assert_int_equal(release_schema_load(schema_path("report.xsd"), &schema, &err), SLUICE_OK);
	const struct policy_flow *flow = policy_flow_find(pol, "hq", "police");
	struct redactor *red = NULL;
	assert_int_equal(redactor_new(flow, &red, &err), SLUICE_OK);
	struct release_request req = { .policy = pol, .flow = flow,
	                               .destination = policy_domain_find(pol, "police"),
	                               .redactor = red, .schema = schema };
	struct release_result r;
	release_filter(&req, (const uint8_t *)conformance_like, strlen(conformance_like), &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	release_result_free(&r);
	const char *bad = OPEN "ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	                  "<Detail ism:classification=\"U\" ism:ownerProducer=\"USA\">no summary"
	                  "</Detail></CaseReport>";
	release_filter(&req, (const uint8_t *)bad, strlen(bad), &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "xml.schema");
	assert_int_equal(r.error.line, 3);
	release_result_free(&r);
	redactor_free(red);
	release_schema_free(schema);
}

static void schema_never_leaves_its_folder(void **state)
{
	(void)state;
	void *schema = NULL;
	struct sluice_error err;
	assert_int_equal(release_schema_load(schema_path("remote-include.xsd"), &schema, &err),
	                 SLUICE_ERR_POLICY);
	assert_null(schema);
	assert_string_equal(err.rule, "policy.schema");
	assert_int_equal(release_schema_load(schema_path("escape-include.xsd"), &schema, &err),
	                 SLUICE_ERR_POLICY);
	assert_null(schema);
	assert_int_equal(release_schema_load(schema_path("missing.xsd"), &schema, &err),
	                 SLUICE_ERR_POLICY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(releases_with_withholding_redaction_and_remarking),
		cmocka_unit_test(refuse_mode_refuses_whole_report),
		cmocka_unit_test(refuse_caveat_anywhere_refuses),
		cmocka_unit_test(caveat_rules_withhold),
		cmocka_unit_test(releasability_to_partner),
		cmocka_unit_test(nested_portion_goes_with_parent),
		cmocka_unit_test(outside_content_carries_the_banner),
		cmocka_unit_test(outside_namespace_declarations_carry_the_banner),
		cmocka_unit_test(outside_content_follows_banner_withhold_caveats),
		cmocka_unit_test(marker_none_removes_silently),
		cmocka_unit_test(recomputed_banner_must_admit_destination),
		cmocka_unit_test(invalid_reports_are_invalid),
		cmocka_unit_test(rebound_ism_prefix_is_invalid),
		cmocka_unit_test(fetch_hints_are_stripped),
		cmocka_unit_test(redaction_applies_to_attributes_not_markings),
		cmocka_unit_test(schema_validates_reports),
		cmocka_unit_test(schema_never_leaves_its_folder),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
