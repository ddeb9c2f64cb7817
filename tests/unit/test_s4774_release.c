/* The stanag4774 profile through the release filter (no sandbox): reading embedded labels
 * against the source's SPIF, per-portion access, roll-up and re-marking, translation into an
 * equivalent policy, and every way a labelled report is refused as invalid. The policy and the
 * report are tests/fixtures/stanag4774/release/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "release.h"
#include "s4774_profile.h"
#include "spif.h"
#include "xml_intake.h"

static struct policy *pol;
static char *report;       /* the fixture report */
static char *report_bound; /* the same, its Note labelled by an ADatP-4778 binding */

static char *read_fixture(const char *name)
{
	char path[1024];
	struct sluice_error err;
	uint8_t *data = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/stanag4774/release/%s", getenv("SLUICE_FIXTURES"), name);
	if (file_read_bounded(path, 1 << 20, SLUICE_ERR_IO, &data, &len, &err) != SLUICE_OK)
		return NULL;
	char *s = xstrndup((const char *)data, len);
	free(data);
	return s;
}

static int setup(void **state)
{
	(void)state;
	char path[1024];
	struct sluice_error err;
	xml_intake_init();
	snprintf(path, sizeof(path), "%s/stanag4774/release/policy.yaml",
	         getenv("SLUICE_FIXTURES"));
	if (policy_load(path, &pol, &err) != SLUICE_OK) {
		fprintf(stderr, "fixture policy: %s:%u: %s\n", err.file, err.line, err.message);
		return -1;
	}
	report = read_fixture("report.xml");
	report_bound = read_fixture("report-bound.xml");
	return report != NULL && report_bound != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(pol);
	free(report);
	free(report_bound);
	return 0;
}

static void run(const char *to, const char *xml, struct release_result *r)
{
	const struct policy_flow *flow = policy_flow_find(pol, "hq", to);
	assert_non_null(flow);
	struct redactor *red = NULL;
	struct sluice_error err;
	assert_int_equal(redactor_new(flow, &red, &err), SLUICE_OK);
	struct release_request req = { .policy = pol, .flow = flow,
	                               .destination = policy_domain_find(pol, to), .redactor = red,
	                               .explain = true };
	release_filter(&req, (const uint8_t *)xml, strlen(xml), r);
	redactor_free(red);
}

static bool output_has(const struct release_result *r, const char *s)
{
	return r->output != NULL && strstr((const char *)r->output, s) != NULL;
}

static size_t output_count(const struct release_result *r, const char *s)
{
	size_t n = 0;
	for (const char *p = (const char *)r->output; p != NULL && (p = strstr(p, s)) != NULL;
	     p += strlen(s))
		n++;
	return n;
}

/* The released report is itself a valid stanag4774 report under the source's SPIF. */
static void reread_output(const struct release_result *r, struct ism_document *d,
                          struct s4774_labels *l)
{
	struct xml_limits lim = { 1 << 20, 64, 100000 };
	xmlDocPtr doc = NULL;
	struct sluice_error err;
	assert_int_equal(xml_intake_parse(r->output, r->outlen, &lim, &doc, &err), SLUICE_OK);
	enum sluice_rc rc = s4774_document_read(doc, policy_domain_find(pol, "hq"), d, l, &err);
	if (rc != SLUICE_OK)
		fprintf(stderr, "re-read: %s [%s]\n", err.message, err.rule);
	assert_int_equal(rc, SLUICE_OK);
	/* Only the counts and names are used after this; the document goes. */
	xmlFreeDoc(doc);
}

static void same_policy_withholds_redacts_and_remarks(void **state)
{
	(void)state;
	struct release_result r;
	run("alpha", report, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	/* Detail is SECRET (above CONFIDENTIAL); the title outside portions carries the SECRET
	 * banner: both go. */
	assert_int_equal(r.nremovals, 2);
	assert_string_equal(r.removals[0].location, "/Report/Detail");
	assert_non_null(strstr(r.removals[0].rule, "does not cover the classification SECRET"));
	assert_string_equal(r.removals[1].location, "/Report/Title");
	assert_false(output_has(&r, "driver at the depot"));
	assert_false(output_has(&r, "Convoy sightings"));
	/* Words are redacted in content, never in labels. */
	assert_true(output_has(&r, "Three [REDACTED] seen"));
	assert_true(output_has(&r, "<slab:GenericValue>ALPHA</slab:GenericValue>"));
	assert_true(output_has(&r, ">EXAMPLE</slab:PolicyIdentifier>"));
	/* The banner is the roll-up of Summary (C, REL ALPHA BRAVO), Note (INTERNAL, REL ALPHA)
	 * and Weather (PUBLIC). */
	assert_string_equal(r.banner, "EXAMPLE CONFIDENTIAL REL TO Alphaland");
	assert_null(r.source_banner);
	assert_int_equal(output_count(&r, "alternativeConfidentialityLabel"), 0);
	/* What explain shows: every portion's display marking. */
	assert_int_equal(r.nportions, 4);
	assert_string_equal(r.banner_before, "EXAMPLE SECRET REL TO Alphaland //KEYSTONE");
	assert_string_equal(r.portions[0].label, "EXAMPLE CONFIDENTIAL REL TO Alphaland, Bravoland");
	assert_true(r.portions[1].withheld);
	struct ism_document d;
	struct s4774_labels l;
	reread_output(&r, &d, &l);
	assert_int_equal(d.nportions, 3);
	assert_string_equal(l.banner.cls->name, "CONFIDENTIAL");
	ism_document_free(&d);
	s4774_labels_free(&l);
	release_result_free(&r);
}

static void equivalent_policy_gets_alternative_labels(void **state)
{
	(void)state;
	struct release_result r;
	run("partner", report, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	/* CONFIDENTIAL has no equivalent in OTHER: Summary is withheld. */
	assert_int_equal(r.nremovals, 1);
	assert_string_equal(r.removals[0].location, "/Report/Summary");
	assert_non_null(strstr(r.removals[0].rule, "CONFIDENTIAL has no equivalent in policy OTHER"));
	assert_false(output_has(&r, "river crossing"));
	assert_true(output_has(&r, "driver at the depot"));
	/* The banner and the three remaining portions carry OTHER labels beside their own. */
	assert_int_equal(output_count(&r, "<slab:alternativeConfidentialityLabel>"), 4);
	assert_true(output_has(&r, ">OTHER</slab:PolicyIdentifier>"));
	assert_true(output_has(&r, "<slab:Classification>SEALED</slab:Classification>"));
	assert_string_equal(r.banner, "<OTHER SEALED FOR A K [translated]>");
	assert_string_equal(r.source_banner, "EXAMPLE SECRET REL TO Alphaland //KEYSTONE");
	struct ism_document d;
	struct s4774_labels l;
	reread_output(&r, &d, &l);
	assert_int_equal(d.nportions, 3);
	ism_document_free(&d);
	s4774_labels_free(&l);
	release_result_free(&r);
}

static void refuse_flow_refuses_whole(void **state)
{
	(void)state;
	struct release_result r;
	run("bravo-strict", report, &r);
	assert_int_equal(r.decision, RELEASE_REFUSED);
	assert_string_equal(r.error.rule, "portion.refuse");
	assert_non_null(strstr(r.error.message, "Special Handling 'KEYSTONE'"));
	assert_null(r.output);
	release_result_free(&r);
}

/* A sender's alternative labels claim things about other policies: the guard drops them. */
static void senders_alternative_labels_are_dropped(void **state)
{
	(void)state;
	const char *at = strstr(report, "    Road closed");
	assert_non_null(at);
	size_t head = (size_t)(at - report);
	static const char alt[] =
		"<slab:alternativeConfidentialityLabel><slab:ConfidentialityInformation>"
		"<slab:PolicyIdentifier>ELSEWHERE</slab:PolicyIdentifier>"
		"<slab:Classification>WHATEVER</slab:Classification>"
		"</slab:ConfidentialityInformation></slab:alternativeConfidentialityLabel>\n";
	size_t n = strlen(report) + sizeof(alt);
	char *xml = malloc(n);
	snprintf(xml, n, "%.*s%s%s", (int)head, report, alt, at);
	struct release_result r;
	run("alpha", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "ELSEWHERE"));
	assert_true(output_has(&r, "Road closed"));
	release_result_free(&r);
	free(xml);
}

/* A label bound by an ADatP-4778 binding counts as the element's own; on release it is
 * embedded in the element and the sender's binding goes. */
static void bound_label_is_read_and_embedded(void **state)
{
	(void)state;
	struct release_result r;
	run("alpha", report_bound, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_int_equal(r.nportions, 4);
	assert_string_equal(r.portions[2].location, "/Report/Note");
	assert_string_equal(r.portions[2].label, "EXAMPLE INTERNAL REL TO Alphaland");
	assert_false(r.portions[2].withheld);
	assert_string_equal(r.banner, "EXAMPLE CONFIDENTIAL REL TO Alphaland");
	assert_false(output_has(&r, "BindingInformation"));
	assert_true(output_has(&r, "<Note Id=\"note-1\"><slab:originatorConfidentialityLabel"));
	struct ism_document d;
	struct s4774_labels l;
	reread_output(&r, &d, &l);
	assert_int_equal(d.nportions, 3);
	ism_document_free(&d);
	s4774_labels_free(&l);
	release_result_free(&r);
	/* Into the equivalent policy: the embedded copy gets its alternative label too. */
	run("partner", report_bound, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_int_equal(output_count(&r, "<slab:alternativeConfidentialityLabel>"), 4);
	release_result_free(&r);
}

/* The fixture report with `binding` inserted before </Report>. */
static char *with_binding(const char *binding)
{
	const char *end = strstr(report, "</Report>");
	size_t n = strlen(report) + strlen(binding) + 1;
	char *xml = malloc(n);
	snprintf(xml, n, "%.*s%s%s", (int)(end - report), report, binding, end);
	return xml;
}

#define BDO(inner)                                                                            \
	"<mb:BindingInformation xmlns:mb=\"urn:nato:stanag:4778:bindinginformation:1:0\">"        \
	"<mb:MetadataBindingContainer><mb:MetadataBinding>" inner "</mb:MetadataBinding>"          \
	"</mb:MetadataBindingContainer></mb:BindingInformation>"
#define PUBLIC_LABEL                                                                          \
	"<mb:Metadata><slab:originatorConfidentialityLabel><slab:ConfidentialityInformation>"      \
	"<slab:PolicyIdentifier>EXAMPLE</slab:PolicyIdentifier>"                                  \
	"<slab:Classification>PUBLIC</slab:Classification></slab:ConfidentialityInformation>"     \
	"</slab:originatorConfidentialityLabel></mb:Metadata>"

static void bad_bindings(void **state)
{
	(void)state;
	static const struct {
		const char *binding, *rule, *needle;
	} cases[] = {
		{ BDO(PUBLIC_LABEL "<mb:DataReference URI=\"\"/>"), "stanag4774.several-labels",
		  "its own and an ADatP-4778 binding's disagree" },
		{ BDO(PUBLIC_LABEL "<mb:DataReference URI=\"#nowhere\"/>"),
		  "stanag4774.binding-reference", "names no element" },
		{ BDO(PUBLIC_LABEL "<mb:DataReference URI=\"https://example.invalid/x\"/>"),
		  "stanag4774.binding-unsupported", "data outside the report" },
		{ BDO(PUBLIC_LABEL "<mb:Data><x/></mb:Data>"), "stanag4774.binding-unsupported",
		  "encapsulated Data" },
		{ BDO("<mb:MetadataReference URI=\"#l\"/><mb:DataReference URI=\"\"/>"),
		  "stanag4774.binding-unsupported", "MetadataReference" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *xml = with_binding(cases[i].binding);
		struct release_result r;
		run("alpha", xml, &r);
		if (r.decision != RELEASE_INVALID || strcmp(r.error.rule, cases[i].rule) != 0)
			fprintf(stderr, "case %zu: %d %s [%s]\n", i, (int)r.decision, r.error.message,
			        r.error.rule);
		assert_int_equal(r.decision, RELEASE_INVALID);
		assert_string_equal(r.error.rule, cases[i].rule);
		assert_non_null(strstr(r.error.message, cases[i].needle));
		release_result_free(&r);
		free(xml);
	}
	/* The same label bound again to the root: redundant, accepted, and the binding goes. */
	char *xml = with_binding(BDO(
		"<mb:Metadata><slab:originatorConfidentialityLabel><slab:ConfidentialityInformation>"
		"<slab:PolicyIdentifier>EXAMPLE</slab:PolicyIdentifier>"
		"<slab:Classification>SECRET</slab:Classification><slab:Category TagName=\"Special "
		"Handling\" Type=\"RESTRICTIVE\"><slab:GenericValue>KEYSTONE</slab:GenericValue>"
		"</slab:Category><slab:Category TagName=\"Releasable To\" Type=\"PERMISSIVE\">"
		"<slab:GenericValue>ALPHA</slab:GenericValue></slab:Category>"
		"</slab:ConfidentialityInformation></slab:originatorConfidentialityLabel></mb:Metadata>"
		"<mb:DataReference URI=\"\"/>"));
	struct release_result r;
	run("alpha", xml, &r);
	assert_int_equal(r.decision, RELEASE_RELEASED);
	assert_false(output_has(&r, "BindingInformation"));
	release_result_free(&r);
	free(xml);
}

struct invalid_case {
	const char *name;
	const char *find;    /* replaced once in the fixture report */
	const char *replace;
	const char *rule;
	const char *needle;
};

#define LABEL(cls, cats)                                                                      \
	"<slab:originatorConfidentialityLabel><slab:ConfidentialityInformation>"                  \
	"<slab:PolicyIdentifier>EXAMPLE</slab:PolicyIdentifier><slab:Classification>" cls        \
	"</slab:Classification>" cats "</slab:ConfidentialityInformation>"                        \
	"</slab:originatorConfidentialityLabel>"

static const struct invalid_case invalid_cases[] = {
	{ "no_banner", "</Report>", "</Report></Outer>", "stanag4774.no-banner",
	  "the root element <Outer> carries no originatorConfidentialityLabel" },
	{ "two_labels", "  <Title>", "  <Note2>" LABEL("PUBLIC", "") LABEL("PUBLIC", "")
	  "</Note2>\n  <Title>", "stanag4774.several-labels", "a second originator label" },
	{ "unknown_value", "<slab:GenericValue>BRAVO</slab:GenericValue>",
	  "<slab:GenericValue>ZULU</slab:GenericValue>", "stanag4774.unknown-value",
	  "'ZULU' is not a value" },
	{ "unknown_policy", "<slab:PolicyIdentifier URI=\"urn:oid:2.25.71001.1\">EXAMPLE"
	  "</slab:PolicyIdentifier>\n        <slab:Classification>INTERNAL",
	  "<slab:PolicyIdentifier>OTHER</slab:PolicyIdentifier>\n"
	  "        <slab:Classification>INTERNAL", "stanag4774.unknown-policy",
	  "the label's policy 'OTHER' is not the SPIF's policy 'EXAMPLE'" },
	{ "unknown_classification", "<slab:Classification>PUBLIC</slab:Classification>",
	  "<slab:Classification>SECRETISH</slab:Classification>",
	  "stanag4774.unknown-classification", "'SECRETISH' is not a classification" },
	{ "spif_rule", "  <Title>", "  <Locked>" LABEL("SECRET",
	  "<slab:Category TagName=\"Releasable To\" Type=\"PERMISSIVE\"><slab:GenericValue>ALPHA"
	  "</slab:GenericValue></slab:Category><slab:Category TagName=\"Special Handling\" "
	  "Type=\"RESTRICTIVE\"><slab:GenericValue>LOCKBOX</slab:GenericValue></slab:Category>")
	  "</Locked>\n  <Title>", "stanag4774.required-category", "KEYSTONE" },
	{ "banner_does_not_dominate", "  <Title>", "  <Top>" LABEL("SECRET",
	  "<slab:Category TagName=\"Releasable To\" Type=\"PERMISSIVE\"><slab:GenericValue>ALPHA"
	  "</slab:GenericValue></slab:Category><slab:Category TagName=\"Special Handling\" "
	  "Type=\"RESTRICTIVE\"><slab:GenericValue>KEYSTONE</slab:GenericValue>"
	  "<slab:GenericValue>TOPONLY</slab:GenericValue></slab:Category>")
	  "</Top>\n  <Title>", "label.banner-dominance", "TOPONLY is missing" },
};

static void invalid_report(void **state)
{
	const struct invalid_case *c = *state;
	const char *at = strstr(report, c->find);
	assert_non_null(at);
	size_t head = (size_t)(at - report);
	size_t n = strlen(report) + strlen(c->replace) + 1;
	char *xml = malloc(n);
	snprintf(xml, n, "%.*s%s%s", (int)head, report, c->replace, at + strlen(c->find));
	if (strcmp(c->name, "no_banner") == 0) { /* a root around the labelled one */
		char *wrapped = malloc(n + 32);
		const char *root = strstr(xml, "<Report");
		snprintf(wrapped, n + 32, "%.*s<Outer>%s", (int)(root - xml), xml, root);
		free(xml);
		xml = wrapped;
	}
	struct release_result r;
	run("alpha", xml, &r);
	if (r.decision != RELEASE_INVALID || strcmp(r.error.rule, c->rule) != 0)
		fprintf(stderr, "%s: decision %d: %s [%s]\n", c->name, (int)r.decision,
		        r.error.message, r.error.rule);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, c->rule);
	if (c->needle != NULL)
		assert_non_null(strstr(r.error.message, c->needle));
	assert_true(r.error.line > 0);
	assert_null(r.output);
	release_result_free(&r);
	free(xml);
}

static void bare_label_is_not_a_report(void **state)
{
	(void)state;
	struct release_result r;
	run("alpha",
	    "<slab:originatorConfidentialityLabel xmlns:slab=\"" S4774_NAMESPACE "\">"
	    "<slab:ConfidentialityInformation><slab:PolicyIdentifier>EXAMPLE</slab:PolicyIdentifier>"
	    "<slab:Classification>PUBLIC</slab:Classification></slab:ConfidentialityInformation>"
	    "</slab:originatorConfidentialityLabel>",
	    &r);
	assert_int_equal(r.decision, RELEASE_INVALID);
	assert_string_equal(r.error.rule, "stanag4774.no-banner");
	assert_non_null(strstr(r.error.message, "bare label"));
	release_result_free(&r);
}

/* Roll-up on SPIF labels: highest classification, RESTRICTIVE united, PERMISSIVE intersected
 * over the labels carrying the tag set, and an empty intersection refused. */
static void rollup(void **state)
{
	(void)state;
	const struct spif *spif = policy_scheme_find(pol, "")->spif;
	const struct spif_tag_set *rel = spif_tag_set_by_name(spif, "Releasable To");
	const struct spif_tag_set *sh = spif_tag_set_by_name(spif, "Special Handling");
	struct spif_label a = { spif, spif_class_by_name(spif, "INTERNAL"), NULL, 0, 0 };
	struct spif_label b = { spif, spif_class_by_name(spif, "SECRET"), NULL, 0, 0 };
	struct spif_label c = { spif, spif_class_by_name(spif, "PUBLIC"), NULL, 0, 0 };
	spif_label_add(&a, spif_category_by_name(rel, CATEGORY_PERMISSIVE, "ALPHA"));
	spif_label_add(&a, spif_category_by_name(rel, CATEGORY_PERMISSIVE, "BRAVO"));
	spif_label_add(&b, spif_category_by_name(rel, CATEGORY_PERMISSIVE, "BRAVO"));
	spif_label_add(&b, spif_category_by_name(sh, CATEGORY_RESTRICTIVE, "KEYSTONE"));
	const struct spif_label *in[] = { &a, &b, &c };
	struct spif_label out;
	struct sluice_error err;
	assert_int_equal(spif_label_rollup(spif, in, 3, &out, &err), SLUICE_OK);
	assert_string_equal(out.cls->name, "SECRET");
	assert_int_equal(out.ncats, 2);
	assert_string_equal(out.cats[0]->name, "BRAVO");
	assert_string_equal(out.cats[1]->name, "KEYSTONE");
	spif_label_free(&out);
	/* Nothing kept: the lowest classification that is not obsolete (LEGACY is). */
	assert_int_equal(spif_label_rollup(spif, in, 0, &out, &err), SLUICE_OK);
	assert_string_equal(out.cls->name, "PUBLIC");
	assert_int_equal(out.ncats, 0);
	spif_label_free(&out);
	/* ALPHA BRAVO and ALPHA alone, then CHARLIE alone: nothing in common. */
	struct spif_label d = { spif, spif_class_by_name(spif, "PUBLIC"), NULL, 0, 0 };
	spif_label_add(&d, spif_category_by_name(rel, CATEGORY_PERMISSIVE, "CHARLIE"));
	const struct spif_label *disjoint[] = { &a, &d };
	assert_int_equal(spif_label_rollup(spif, disjoint, 2, &out, &err), SLUICE_ERR_REFUSED);
	assert_string_equal(err.rule, "banner.no-releasability");
	spif_label_free(&a);
	spif_label_free(&b);
	spif_label_free(&c);
	spif_label_free(&d);
}

int main(void)
{
	const size_t ninvalid = sizeof(invalid_cases) / sizeof(invalid_cases[0]);
	struct CMUnitTest *tests = calloc(ninvalid + 8, sizeof(*tests));
	size_t n = 0;
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(same_policy_withholds_redacts_and_remarks);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(equivalent_policy_gets_alternative_labels);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(refuse_flow_refuses_whole);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(senders_alternative_labels_are_dropped);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(bare_label_is_not_a_report);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(rollup);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(bound_label_is_read_and_embedded);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(bad_bindings);
	for (size_t i = 0; i < ninvalid; i++)
		tests[n++] = (struct CMUnitTest){ invalid_cases[i].name, invalid_report, NULL, NULL,
			                          (void *)&invalid_cases[i] };
	int rc = _cmocka_run_group_tests("s4774_release", tests, n, setup, teardown);
	free(tests);
	return rc;
}
