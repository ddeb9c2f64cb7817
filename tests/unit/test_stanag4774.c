/*
 * Unit tests of ADatP-4774 labels (filters/stanag4774.c, clearance.c, label_spif.c): reading
 * label elements, resolving and checking them against the EXAMPLE SPIF
 * (tests/fixtures/stanag4774/example-spif.xml), display markings, access decisions, the label
 * model, equivalent policies, and the `sluice label` entry points with their exit codes. Every
 * refusal has its own test with its rule.
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

#include "clearance.h"
#include "label.h"
#include "spif.h"
#include "spif_files.h"
#include "stanag4774.h"
#include "xml_intake.h"

#include "stanag4774_fixtures.h"

static struct spif *example, *other, *nato;

static int setup(void **state)
{
	(void)state;
	example = fixture_spif("example-spif.xml");
	other = fixture_spif("other-spif.xml");
	nato = fixture_spif("spiffing/nato-4774-policy.xml");
	return example != NULL && other != NULL && nato != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spif_free(example);
	spif_free(other);
	spif_free(nato);
	return 0;
}

static xmlDocPtr parse_xml(const char *text)
{
	static const struct xml_limits lim = { 1 << 20, 64, 100000 };
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	if (xml_intake_parse((const uint8_t *)text, strlen(text), &lim, &doc, &err) != SLUICE_OK)
		fprintf(stderr, "fixture XML: %s\n", err.message);
	assert_non_null(doc);
	return doc;
}

#define NS "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"

/* An originator label of `policy` / `classification` with `categories` (Category elements). */
static char *label_xml(const char *policy, const char *classification, const char *categories)
{
	size_t cap = strlen(categories) + 1024;
	char *buf = malloc(cap);
	snprintf(buf, cap,
	         "<originatorConfidentialityLabel xmlns=\"" NS "\" ReviewDateTime=\"2030-01-01T00:00:00Z\">\n"
	         "<ConfidentialityInformation>\n"
	         "<PolicyIdentifier>%s</PolicyIdentifier>\n"
	         "<Classification>%s</Classification>\n%s"
	         "</ConfidentialityInformation>\n"
	         "<CreationDateTime>2024-01-01T00:00:00Z</CreationDateTime>\n"
	         "</originatorConfidentialityLabel>\n",
	         policy, classification, categories);
	return buf;
}

#define CAT(tag, type, values) "<Category TagName=\"" tag "\" Type=\"" type "\">" values "</Category>\n"
#define V(x) "<GenericValue>" x "</GenericValue>"

/* Parses `xml` (a label element at the root) with `flags`. */
static enum sluice_rc parse_label(const char *xml, unsigned flags, struct s4774_label *out,
                                  struct sluice_error *err)
{
	xmlDocPtr doc = parse_xml(xml);
	enum sluice_rc rc = s4774_label_parse(xmlDocGetRootElement(doc), flags, out, err);
	xmlFreeDoc(doc);
	return rc;
}

/* Parses, resolves against `spif` and checks; SLUICE_OK leaves `out` to free. */
static enum sluice_rc full_label(const char *xml, const struct spif *spif, struct spif_label *out,
                                 struct sluice_error *err)
{
	struct s4774_label l;
	enum sluice_rc rc = parse_label(xml, 0, &l, err);
	memset(out, 0, sizeof(*out));
	if (rc != SLUICE_OK)
		return rc;
	rc = s4774_label_resolve(&l, spif, out, err);
	s4774_label_free(&l);
	if (rc == SLUICE_OK && (rc = spif_label_check(out, err)) != SLUICE_OK)
		spif_label_free(out);
	return rc;
}

static void expect_invalid(const char *xml, const struct spif *spif, const char *rule,
                           const char *in_message)
{
	struct spif_label l;
	struct sluice_error err;
	enum sluice_rc rc = full_label(xml, spif, &l, &err);
	if (rc == SLUICE_OK || strcmp(err.rule, rule) != 0 ||
	    (in_message != NULL && strstr(err.message, in_message) == NULL))
		fprintf(stderr, "want %s (\"%s\"), got rc %d %s: %s\n", rule, in_message ? in_message : "",
		        rc, rc == SLUICE_OK ? "" : err.rule, rc == SLUICE_OK ? "" : err.message);
	assert_int_equal(rc, SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, rule);
	if (in_message != NULL)
		assert_non_null(strstr(err.message, in_message));
	assert_int_equal(sluice_rc_exit_code(rc), 65);
}

#define INVALID(policy, cls, cats, rule, msg)                                                 \
	do {                                                                                    \
		char *x_ = label_xml((policy), (cls), (cats));                                      \
		expect_invalid(x_, example, (rule), (msg));                                         \
		free(x_);                                                                           \
	} while (0)

static char *marking_of(const char *cls, const char *cats, const char *lang)
{
	struct spif_label l;
	struct sluice_error err;
	char *x = label_xml("EXAMPLE", cls, cats);
	enum sluice_rc rc = full_label(x, example, &l, &err);
	if (rc != SLUICE_OK)
		fprintf(stderr, "marking_of: %s [%s]\n", err.message, err.rule);
	assert_int_equal(rc, SLUICE_OK);
	char *m = spif_label_marking(&l, lang, SPIF_LOC_PAGE_BOTTOM);
	spif_label_free(&l);
	free(x);
	return m;
}

static void expect_marking(const char *cls, const char *cats, const char *lang, const char *want)
{
	char *got = marking_of(cls, cats, lang);
	assert_string_equal(got, want);
	free(got);
}

/* ---- reading label elements -------------------------------------------------------------- */

static void parses_conformant_label(void **state)
{
	(void)state;
	char *p = fixture("label-example.xml");
	FILE *f = fopen(p, "r");
	char text[8192];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	free(p);
	struct s4774_label l;
	struct sluice_error err;
	assert_int_equal(parse_label(text, S4774_STRICT, &l, &err), SLUICE_OK);
	assert_int_equal(l.kind, S4774_ORIGINATOR);
	assert_string_equal(l.policy, "EXAMPLE");
	assert_string_equal(l.policy_uri, "urn:oid:2.25.71001.1");
	assert_string_equal(l.classification, "CONFIDENTIAL");
	assert_int_equal(l.ncats, 3);
	assert_string_equal(l.cats[0].tag_name, "Releasable To");
	assert_int_equal(l.cats[0].type, CATEGORY_PERMISSIVE);
	assert_int_equal(l.cats[0].nvalues, 2);
	assert_string_equal(l.cats[0].values[0], "BRAVO");
	assert_string_equal(l.cats[0].uri, "urn:oid:2.25.71001.2.1");
	assert_int_equal(l.cats[1].type, CATEGORY_RESTRICTIVE);
	assert_int_equal(l.cats[2].type, CATEGORY_INFORMATIVE);
	assert_string_equal(l.creation_time, "2024-05-01T09:30:00.5+02:00");
	assert_string_equal(l.review_time, "2030-01-01T00:00:00Z");
	assert_int_equal(l.deviations, 0);
	assert_int_equal(l.line, 4); /* where its start tag ends */
	s4774_label_free(&l);
	s4774_label_free(NULL);
}

static const char nato_style[] =
	"<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	"<ConfidentialityInformation>\n"
	"<PolicyIdentifier URL=\"urn:oid:1.3.26.1.3.1\">  NATO </PolicyIdentifier>\n"
	"<Classification>UNCLASSIFIED</Classification>\n"
	"<Category TagName=\"Context\" Type=\"PERMISSIVE\"><GenericValue>NATO</GenericValue>"
	"</Category>\n"
	"</ConfidentialityInformation>\n"
	"</originatorConfidentialityLabel>\n";

static void accepts_real_world_deviations(void **state)
{
	(void)state;
	struct s4774_label l;
	struct sluice_error err;
	assert_int_equal(parse_label(nato_style, 0, &l, &err), SLUICE_OK);
	assert_string_equal(l.policy, "NATO"); /* xs:token: trimmed */
	assert_string_equal(l.policy_uri, "urn:oid:1.3.26.1.3.1");
	assert_int_equal(l.deviations, S4774_DEV_URL_ATTRIBUTE | S4774_DEV_NO_CREATION_TIME |
	                                   S4774_DEV_NO_REVIEW_TIME);
	struct spif_label r;
	assert_int_equal(s4774_label_resolve(&l, nato, &r, &err), SLUICE_OK);
	assert_int_equal(spif_label_check(&r, &err), SLUICE_OK);
	char *m = spif_label_marking(&r, "", SPIF_LOC_PAGE_BOTTOM);
	assert_string_equal(m, "NATO UNCLASSIFIED");
	free(m);
	spif_label_free(&r);
	s4774_label_free(&l);
}

static void strict_mode_refuses_deviations(void **state)
{
	(void)state;
	struct s4774_label l;
	struct sluice_error err;
	assert_int_equal(parse_label(nato_style, S4774_STRICT, &l, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.deviation");
	assert_non_null(strstr(err.message, "URI"));
	/* URI= but no CreationDateTime */
	char *x = label_xml("EXAMPLE", "PUBLIC", "");
	char *cut = strstr(x, "<CreationDateTime>");
	char *end = strstr(cut, "\n");
	memmove(cut, end + 1, strlen(end + 1) + 1);
	assert_int_equal(parse_label(x, S4774_STRICT, &l, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.deviation");
	assert_non_null(strstr(err.message, "CreationDateTime"));
	free(x);
}

static void reads_all_three_label_kinds(void **state)
{
	(void)state;
	const char *names[] = { "originatorConfidentialityLabel", "alternativeConfidentialityLabel",
		                "ConfidentialityLabel" };
	const enum s4774_kind kinds[] = { S4774_ORIGINATOR, S4774_ALTERNATIVE, S4774_LEGACY };
	for (size_t i = 0; i < 3; i++) {
		char x[1024];
		snprintf(x, sizeof(x),
		         "<s:%s xmlns:s=\"" NS "\"><s:ConfidentialityInformation><s:PolicyIdentifier>"
		         "EXAMPLE</s:PolicyIdentifier><s:Classification>PUBLIC</s:Classification>"
		         "</s:ConfidentialityInformation></s:%s>",
		         names[i], names[i]);
		struct s4774_label l;
		struct sluice_error err;
		xmlDocPtr doc = parse_xml(x);
		assert_true(s4774_is_label_element(xmlDocGetRootElement(doc)));
		assert_int_equal(s4774_label_parse(xmlDocGetRootElement(doc), 0, &l, &err), SLUICE_OK);
		assert_int_equal(l.kind, kinds[i]);
		s4774_label_free(&l);
		xmlFreeDoc(doc);
	}
}

static void finds_the_label_in_a_binding(void **state)
{
	(void)state;
	static const char bdo[] =
		"<mb:BindingInformation xmlns:mb=\"urn:nato:stanag:4778:bindinginformation:1:0\" "
		"xmlns:slab=\"" NS "\"><mb:MetadataBindingContainer><mb:MetadataBinding>\n"
		"<mb:Metadata><slab:alternativeConfidentialityLabel><slab:ConfidentialityInformation>"
		"<slab:PolicyIdentifier>OTHER</slab:PolicyIdentifier><slab:Classification>OPEN"
		"</slab:Classification></slab:ConfidentialityInformation>"
		"</slab:alternativeConfidentialityLabel></mb:Metadata>\n"
		"<mb:Metadata><slab:originatorConfidentialityLabel><slab:ConfidentialityInformation>"
		"<slab:PolicyIdentifier>EXAMPLE</slab:PolicyIdentifier><slab:Classification>PUBLIC"
		"</slab:Classification></slab:ConfidentialityInformation>"
		"</slab:originatorConfidentialityLabel></mb:Metadata>\n"
		"<mb:DataReference URI=\"\"/></mb:MetadataBinding></mb:MetadataBindingContainer>"
		"</mb:BindingInformation>";
	struct sluice_error err;
	xmlNodePtr node = NULL;
	xmlDocPtr doc = parse_xml(bdo);
	assert_int_equal(s4774_find_label(doc, &node, &err), SLUICE_OK);
	assert_string_equal((const char *)node->name, "originatorConfidentialityLabel");
	xmlFreeDoc(doc);
}

static void refuses_documents_without_one_label(void **state)
{
	(void)state;
	struct sluice_error err;
	xmlNodePtr node = NULL;
	xmlDocPtr doc = parse_xml("<report><p>no label</p></report>");
	assert_int_equal(s4774_find_label(doc, &node, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.no-label");
	xmlFreeDoc(doc);
	doc = parse_xml("<r xmlns:s=\"" NS "\"><s:originatorConfidentialityLabel/>\n"
	                "<s:originatorConfidentialityLabel/></r>");
	assert_int_equal(s4774_find_label(doc, &node, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.several-labels");
	xmlFreeDoc(doc);
	/* The right name in no namespace (sparrow's labels, once their prefix is repaired). */
	doc = parse_xml("<originatorConfidentialityLabel/>");
	assert_int_equal(s4774_find_label(doc, &node, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.namespace");
	assert_int_equal(s4774_label_parse(xmlDocGetRootElement(doc), 0, &(struct s4774_label){ 0 },
	                                   &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.no-label");
	xmlFreeDoc(doc);
}

static void expect_parse_error(const char *xml, const char *rule, unsigned line)
{
	struct s4774_label l;
	struct sluice_error err;
	enum sluice_rc rc = parse_label(xml, 0, &l, &err);
	if (rc == SLUICE_OK || strcmp(err.rule, rule) != 0)
		fprintf(stderr, "want %s, got %s: %s\n", rule, rc ? err.rule : "ok", rc ? err.message : "");
	assert_int_equal(rc, SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, rule);
	if (line != 0)
		assert_int_equal(err.line, line);
	assert_int_equal(l.ncats, 0); /* nothing left to free */
	assert_null(l.policy);
}

#define BAD_CATS(cats, rule, line)                                                            \
	do {                                                                                    \
		char *x_ = label_xml("EXAMPLE", "PUBLIC", (cats));                                  \
		expect_parse_error(x_, (rule), (line));                                             \
		free(x_);                                                                           \
	} while (0)

static void refuses_malformed_categories(void **state)
{
	(void)state;
	BAD_CATS(CAT("Releasable To", "permissive", V("ALPHA")), "stanag4774.type", 5);
	BAD_CATS("<Category TagName=\"Releasable To\">" V("ALPHA") "</Category>\n",
	         "stanag4774.missing-attribute", 5);
	BAD_CATS("<Category Type=\"PERMISSIVE\">" V("ALPHA") "</Category>\n",
	         "stanag4774.missing-attribute", 5);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", ""), "stanag4774.empty-category", 5);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", "\n" V("  ")), "stanag4774.empty-value", 6);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", "<IntegerValue>10</IntegerValue>"),
	         "stanag4774.value-kind", 5);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", "<Value>ALPHA</Value>"),
	         "stanag4774.unknown-element", 5);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", "ALPHA"), "stanag4774.unexpected-text", 5);
	BAD_CATS(CAT("Releasable To", "PERMISSIVE", "<GenericValue xmlns=\"\">ALPHA</GenericValue>"),
	         "stanag4774.namespace", 5);
}

static void refuses_too_many_categories_and_values(void **state)
{
	(void)state;
	size_t cap = 96 * (S4774_MAX_CATEGORIES + 2);
	char *cats = malloc(cap);
	size_t o = 0;
	cats[0] = '\0';
	for (unsigned i = 0; i <= S4774_MAX_CATEGORIES; i++)
		o += (size_t)snprintf(cats + o, cap - o, CAT("T%u", "PERMISSIVE", V("x")), i);
	char *x = label_xml("EXAMPLE", "PUBLIC", cats);
	expect_parse_error(x, "stanag4774.too-many", 5 + S4774_MAX_CATEGORIES); /* one a line */
	free(x);
	free(cats);
	cap = 48 * (S4774_MAX_VALUES + 2);
	char *values = malloc(cap);
	o = (size_t)snprintf(values, cap, "<Category TagName=\"Releasable To\" Type=\"PERMISSIVE\">");
	for (unsigned i = 0; i <= S4774_MAX_VALUES; i++)
		o += (size_t)snprintf(values + o, cap - o, V("ALPHA"));
	snprintf(values + o, cap - o, "</Category>\n");
	char *big = malloc(strlen(values) + 1024);
	x = label_xml("EXAMPLE", "PUBLIC", "");
	char *at = strstr(x, "</ConfidentialityInformation>");
	sprintf(big, "%.*s%s%s", (int)(at - x), x, values, at);
	expect_parse_error(big, "stanag4774.too-many", 5);
	free(big);
	free(x);
	free(values);
}

static void refuses_malformed_information(void **state)
{
	(void)state;
	BAD_CATS("<Classification>PUBLIC</Classification>\n", "stanag4774.duplicate-element", 5);
	BAD_CATS("<PolicyIdentifier>EXAMPLE</PolicyIdentifier>\n", "stanag4774.duplicate-element", 5);
	BAD_CATS("<PrivacyMark>a</PrivacyMark><PrivacyMark>b</PrivacyMark>\n",
	         "stanag4774.duplicate-element", 5);
	BAD_CATS("<Colour>red</Colour>\n", "stanag4774.unknown-element", 5);
	char *x = label_xml("", "PUBLIC", "");
	expect_parse_error(x, "stanag4774.missing-policy", 2);
	free(x);
	x = label_xml("EXAMPLE", " ", "");
	expect_parse_error(x, "stanag4774.missing-classification", 2);
	free(x);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<ConfidentialityInformation><PolicyIdentifier>EXAMPLE</PolicyIdentifier>\n"
	                   "<Classification URI=\"urn:oid:1.2\">PUBLIC</Classification>\n"
	                   "</ConfidentialityInformation></originatorConfidentialityLabel>",
	                   "stanag4774.classification-uri", 3);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<CreationDateTime>2024-01-01T00:00:00Z</CreationDateTime>\n"
	                   "</originatorConfidentialityLabel>",
	                   "stanag4774.missing-information", 1);
	/* Elements of other namespaces are allowed (##other); extra text is not. */
	struct s4774_label l;
	struct sluice_error err;
	x = label_xml("EXAMPLE", "PUBLIC", "<x:note xmlns:x=\"urn:x\">hello</x:note>\n");
	assert_int_equal(parse_label(x, 0, &l, &err), SLUICE_OK);
	s4774_label_free(&l);
	free(x);
}

static void refuses_malformed_label_elements(void **state)
{
	(void)state;
	char *x = label_xml("EXAMPLE", "PUBLIC", "");
	char *bad = malloc(strlen(x) + 64);
	/* bad ReviewDateTime */
	strcpy(bad, x);
	char *r = strstr(bad, "2030-01-01T00:00:00Z");
	memcpy(r, "2030-13-01", 10);
	expect_parse_error(bad, "stanag4774.date-time", 1);
	/* bad CreationDateTime */
	strcpy(bad, x);
	r = strstr(bad, "2024-01-01T00:00:00Z");
	memcpy(r, "yesterday", 9);
	expect_parse_error(bad, "stanag4774.date-time", 6);
	free(bad);
	free(x);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<ConfidentialityInformation><PolicyIdentifier>E</PolicyIdentifier>"
	                   "<Classification>C</Classification></ConfidentialityInformation>\n"
	                   "<ConfidentialityInformation/>\n</originatorConfidentialityLabel>",
	                   "stanag4774.duplicate-element", 3);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<OriginatorID IDType=\"nickname\">bob</OriginatorID>\n"
	                   "</originatorConfidentialityLabel>",
	                   "stanag4774.originator-id", 2);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<Extra/>\n</originatorConfidentialityLabel>",
	                   "stanag4774.unknown-element", 2);
	expect_parse_error("<originatorConfidentialityLabel xmlns=\"" NS "\">\n"
	                   "<Extra xmlns=\"\"/>\n</originatorConfidentialityLabel>",
	                   "stanag4774.namespace", 2);
	expect_parse_error("<metadataConfidentialityLabel xmlns=\"" NS "\"/>", "stanag4774.no-label", 1);
}

/* ---- resolving against the SPIF ---------------------------------------------------------- */

static void resolves_a_valid_label(void **state)
{
	(void)state;
	struct spif_label l;
	struct sluice_error err;
	char *x = label_xml("example", "confidential",
	                    CAT("releasable to", "PERMISSIVE", V("bravo") V("ALPHA") V("Alpha"))
	                    CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	assert_string_equal(l.cls->name, "CONFIDENTIAL");
	assert_int_equal(l.ncats, 3); /* ALPHA once */
	assert_string_equal(l.cats[0]->name, "ALPHA"); /* SPIF order */
	assert_string_equal(l.cats[1]->name, "BRAVO");
	assert_string_equal(l.cats[2]->name, "KEYSTONE");
	spif_label_free(&l);
	free(x);
}

static void refuses_unknown_names(void **state)
{
	(void)state;
	INVALID("NATO", "PUBLIC", "", "stanag4774.unknown-policy", "'NATO'");
	INVALID("EXAMPLE", "TOP SECRET", "", "stanag4774.unknown-classification", "'TOP SECRET'");
	INVALID("EXAMPLE", "PUBLIC", CAT("Caveats", "RESTRICTIVE", V("X")), "stanag4774.unknown-tag",
	        "'Caveats'");
	INVALID("EXAMPLE", "PUBLIC", CAT("Releasable To", "RESTRICTIVE", V("ALPHA")),
	        "stanag4774.unknown-tag", "no RESTRICTIVE tag");
	INVALID("EXAMPLE", "PUBLIC", CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("DELTA")),
	        "stanag4774.unknown-value", "'DELTA'");
	INVALID("EXAMPLE", "PUBLIC",
	        CAT("Releasable To", "PERMISSIVE", V("ALPHA")) CAT("Releasable To", "PERMISSIVE", V("BRAVO")),
	        "stanag4774.duplicate-category", "twice");
	INVALID("EXAMPLE", "PUBLIC",
	        "<Category TagName=\"Releasable To\" Type=\"PERMISSIVE\" URI=\"urn:oid:1.2\">" V("ALPHA")
	        "</Category>\n",
	        "stanag4774.tag-uri", "urn:oid:2.25.71001.2.1");
	char *x = label_xml("EXAMPLE", "PUBLIC", "");
	char *p = strstr(x, "<PolicyIdentifier>");
	char *fixed = malloc(strlen(x) + 64);
	snprintf(fixed, strlen(x) + 64, "%.*s<PolicyIdentifier URI=\"urn:oid:2.25.9\">%s",
	         (int)(p - x), x, p + strlen("<PolicyIdentifier>"));
	expect_invalid(fixed, example, "stanag4774.policy-uri", "urn:oid:2.25.71001.1");
	free(fixed);
	free(x);
}

static void refuses_spif_rule_breaches(void **state)
{
	(void)state;
	INVALID("EXAMPLE", "SECRET", CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("CHARLIE")),
	        "stanag4774.excluded-class", "'CHARLIE' is not allowed with the classification SECRET");
	INVALID("EXAMPLE", "PUBLIC", CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE")),
	        "stanag4774.excluded-class", "KEYSTONE");
	INVALID("EXAMPLE", "SECRET", "", "stanag4774.required-category",
	        "the classification SECRET requires one or more of: Releasable To 'ALPHA', "
	        "Releasable To 'BRAVO'");
	INVALID("EXAMPLE", "INTERNAL", CAT("Special Handling", "RESTRICTIVE", V("LOCKBOX")),
	        "stanag4774.required-category", "Special Handling 'LOCKBOX' requires all of");
	INVALID("EXAMPLE", "INTERNAL",
	        CAT("Releasable To", "PERMISSIVE", V("BRAVO")) CAT("Administrative", "INFORMATIVE",
	                                                           V("LOCAL ONLY")),
	        "stanag4774.excluded-category",
	        "Administrative 'LOCAL ONLY' may not be combined with Releasable To 'BRAVO'");
	INVALID("EXAMPLE", "LEGACY", "", "stanag4774.obsolete", "LEGACY");
	INVALID("EXAMPLE", "INTERNAL", CAT("Special Handling", "RESTRICTIVE", V("OLDCODE")),
	        "stanag4774.obsolete", "OLDCODE");
	INVALID("EXAMPLE", "INTERNAL", CAT("Special Handling", "RESTRICTIVE", V("TOPONLY")),
	        "stanag4774.required-class", "requires the classification SECRET");
	INVALID("EXAMPLE", "INTERNAL", CAT("Sensitivity", "RESTRICTIVE", V("PERSONNEL") V("MEDICAL")),
	        "stanag4774.selection", "single value");
	INVALID("EXAMPLE", "INTERNAL",
	        CAT("Administrative", "INFORMATIVE", V("STAFF") V("PROJECT") V("LOCAL ONLY")),
	        "stanag4774.selection", "at most 2");
	/* and what passes the same rules */
	struct spif_label l;
	struct sluice_error err;
	char *x = label_xml("EXAMPLE", "SECRET",
	                    CAT("Releasable To", "PERMISSIVE", V("BRAVO"))
	                    CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE") V("LOCKBOX") V("TOPONLY"))
	                    CAT("Administrative", "INFORMATIVE", V("STAFF") V("PROJECT")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	spif_label_free(&l);
	free(x);
}

static void nato_table17_label_five_is_invalid(void **state)
{
	(void)state;
	/* ADatP-4774 Table 17 case 5: ISAF may not be released at CONFIDENTIAL. */
	char *x = label_xml("NATO", "CONFIDENTIAL",
	                    CAT("Context", "PERMISSIVE", V("EAPC") V("Releasable"))
	                    CAT("Releasable To", "PERMISSIVE", V("EAPC") V("ISAF")));
	expect_invalid(x, nato, "stanag4774.excluded-class", "'EAPC'");
	free(x);
}

/* ---- display markings -------------------------------------------------------------------- */

static void marks_as_the_spif_says(void **state)
{
	(void)state;
	expect_marking("PUBLIC", "", "", "EXAMPLE PUBLIC");
	expect_marking("CONFIDENTIAL",
	               CAT("Releasable To", "PERMISSIVE", V("BRAVO") V("CHARLIE") V("ALPHA"))
	               CAT("Special Handling", "RESTRICTIVE", V("LOCKBOX") V("KEYSTONE"))
	               CAT("Administrative", "INFORMATIVE", V("PROJECT") V("STAFF")),
	               "",
	               "EXAMPLE CONFIDENTIAL REL TO Alphaland, Bravoland, Charlieland //KEYSTONE/LOCKBOX"
	               " - STAFF PROJECT");
	/* A category replaces the policy name and hides its own name. */
	expect_marking("INTERNAL", CAT("Context", "PERMISSIVE", V("JOINT")), "", "EXAMPLE/JOINT INTERNAL");
	/* suppressClassName */
	expect_marking("INTERNAL", CAT("Sensitivity", "RESTRICTIVE", V("PERSONNEL")), "",
	               "EXAMPLE PERSONNEL-IN-CONFIDENCE");
	/* A tag without qualifiers separates with "/" */
	expect_marking("INTERNAL", CAT("Context", "PERMISSIVE", V("JOINT"))
	               CAT("Sensitivity", "RESTRICTIVE", V("MEDICAL")), "", "EXAMPLE/JOINT INTERNAL MEDICAL");
}

static void marks_in_other_languages(void **state)
{
	(void)state;
	const char *cats = CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("BRAVO"));
	expect_marking("INTERNAL", cats, "fr", "EXAMPLE INTERNE COMMUNICABLE A Alphalande, Bravoland");
	expect_marking("INTERNAL", cats, "FR-ca", "EXAMPLE INTERNE COMMUNICABLE A Alphalande, Bravoland");
	expect_marking("INTERNAL", cats, "fr_BE", "EXAMPLE INTERNE COMMUNICABLE A Alphalande, Bravoland");
	expect_marking("INTERNAL", cats, "de", "EXAMPLE INTERNAL REL TO Alphaland, Bravoland");
	expect_marking("INTERNAL", cats, "en-GB", "EXAMPLE INTERNAL REL TO Alphaland, Bravoland");
	expect_marking("CONFIDENTIAL", "", "fr", "EXAMPLE CONFIDENTIAL"); /* no French phrase */
}

static void nato_markings(void **state)
{
	(void)state;
	struct spif_label l;
	struct sluice_error err;
	char *x = label_xml("NATO", "TOP SECRET", CAT("Additional Sensitivity", "RESTRICTIVE", V("ATOMAL")));
	assert_int_equal(full_label(x, nato, &l, &err), SLUICE_OK);
	char *m = spif_label_marking(&l, NULL, SPIF_LOC_PAGE_BOTTOM);
	assert_string_equal(m, "COSMIC TOP SECRET ATOMAL");
	free(m);
	m = spif_label_marking(&l, "fr", SPIF_LOC_PAGE_BOTTOM);
	assert_string_equal(m, "NATO TRES SECRET ATOMAL");
	free(m);
	spif_label_free(&l);
	free(x);
}

/* ---- access ------------------------------------------------------------------------------ */

static void load_clearance(const char *xml, const struct spif *spif, struct spif_clearance *c)
{
	struct sluice_error err;
	xmlDocPtr doc = parse_xml(xml);
	enum sluice_rc rc = clearance_parse(xmlDocGetRootElement(doc), spif, c, &err);
	if (rc != SLUICE_OK)
		fprintf(stderr, "clearance: %s [%s]\n", err.message, err.rule);
	assert_int_equal(rc, SLUICE_OK);
	xmlFreeDoc(doc);
}

#define SPIFFY "xmlns=\"http://surevine.com/xmlns/spiffy\""

static const char clearance_alpha[] =
	"<clearance " SPIFFY "><policy id=\"2.25.71001.1\"/>"
	"<classification lacv=\"1\"/><classification lacv=\"2\"/><classification lacv=\"3\"/>"
	"<tag type=\"enumeratedPermissive\" id=\"2.25.71001.2.1\" lacv=\"10\"/>"
	"<tag type=\"restrictive\" id=\"2.25.71001.2.2\" lacv=\"1\"/>"
	"<tag type=\"restrictive\" id=\"2.25.71001.2.2\" lacv=\"01\"/></clearance>";

static enum sluice_rc access_for(const char *cls, const char *cats, struct sluice_error *err)
{
	struct spif_label l;
	struct spif_clearance c;
	char *x = label_xml("EXAMPLE", cls, cats);
	assert_int_equal(full_label(x, example, &l, err), SLUICE_OK);
	load_clearance(clearance_alpha, example, &c);
	enum sluice_rc rc = spif_access_check(&l, &c, err);
	spif_label_free(&l);
	spif_clearance_free(&c);
	free(x);
	return rc;
}

static void clearance_may_see(void **state)
{
	(void)state;
	struct sluice_error err;
	assert_int_equal(access_for("PUBLIC", "", &err), SLUICE_OK);
	assert_int_equal(access_for("CONFIDENTIAL",
	                            CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("BRAVO"))
	                            CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE"))
	                            CAT("Administrative", "INFORMATIVE", V("STAFF"))
	                            CAT("Context", "PERMISSIVE", V("JOINT")) ,
	                            &err),
	                 SLUICE_ERR_REFUSED); /* Context JOINT is not held */
	assert_string_equal(err.rule, "stanag4774.access-permissive");
	assert_int_equal(access_for("CONFIDENTIAL",
	                            CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("BRAVO"))
	                            CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE"))
	                            CAT("Administrative", "INFORMATIVE", V("STAFF")),
	                            &err),
	                 SLUICE_OK);
}

static void clearance_may_not_see(void **state)
{
	(void)state;
	struct sluice_error err;
	assert_int_equal(access_for("SECRET", CAT("Releasable To", "PERMISSIVE", V("ALPHA")), &err),
	                 SLUICE_ERR_REFUSED);
	assert_string_equal(err.rule, "stanag4774.access-classification");
	assert_non_null(strstr(err.message, "{PUBLIC|INTERNAL|CONFIDENTIAL}"));
	assert_non_null(strstr(err.message, "SECRET"));
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_REFUSED), 1);
	assert_int_equal(access_for("INTERNAL",
	                            CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE") V("LOCKBOX")),
	                            &err),
	                 SLUICE_ERR_REFUSED);
	assert_string_equal(err.rule, "stanag4774.access-restrictive");
	assert_non_null(strstr(err.message, "'LOCKBOX'"));
	assert_int_equal(access_for("INTERNAL", CAT("Releasable To", "PERMISSIVE", V("BRAVO") V("CHARLIE")),
	                            &err),
	                 SLUICE_ERR_REFUSED);
	assert_string_equal(err.rule, "stanag4774.access-permissive");
	assert_non_null(strstr(err.message, "Releasable To: BRAVO, CHARLIE"));
}

static void clearance_marking(void **state)
{
	(void)state;
	struct spif_clearance c;
	load_clearance(clearance_alpha, example, &c);
	assert_int_equal(c.ncats, 2); /* KEYSTONE given twice, held once */
	char *m = spif_clearance_marking(&c, NULL);
	assert_string_equal(m, "{PUBLIC|INTERNAL|CONFIDENTIAL} REL TO Alphaland //KEYSTONE");
	free(m);
	spif_clearance_free(&c);
	spif_clearance_free(NULL);
}

static void expect_bad_clearance(const char *xml, const char *rule)
{
	struct spif_clearance c;
	struct sluice_error err;
	xmlDocPtr doc = parse_xml(xml);
	enum sluice_rc rc = clearance_parse(xmlDocGetRootElement(doc), example, &c, &err);
	if (rc == SLUICE_OK || strcmp(err.rule, rule) != 0)
		fprintf(stderr, "want %s, got %s: %s\n", rule, rc ? err.rule : "ok", rc ? err.message : "");
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, rule);
	assert_null(c.levels);
	assert_null(c.cats);
	xmlFreeDoc(doc);
}

static void refuses_bad_clearances(void **state)
{
	(void)state;
	expect_bad_clearance("<clearance/>", "clearance.not-a-clearance");
	expect_bad_clearance("<clearance " SPIFFY "><policy id=\"1.3.26.1.3.1\"/>"
	                     "<classification lacv=\"1\"/></clearance>",
	                     "clearance.unknown-policy");
	expect_bad_clearance("<clearance " SPIFFY "><classification lacv=\"1\"/></clearance>",
	                     "clearance.missing-policy");
	expect_bad_clearance("<clearance " SPIFFY "><policy id=\"2.25.71001.1\"/></clearance>",
	                     "clearance.missing-classification");
	expect_bad_clearance("<clearance " SPIFFY "><policy id=\"2.25.71001.1\"/>"
	                     "<classification lacv=\"7\"/></clearance>",
	                     "clearance.unknown-classification");
	expect_bad_clearance("<clearance " SPIFFY "><policy id=\"2.25.71001.1\"/><policy id=\"2.25.71001.1\"/>"
	                     "<classification lacv=\"1\"/></clearance>",
	                     "clearance.duplicate-element");
	expect_bad_clearance("<clearance " SPIFFY "><policy/><classification lacv=\"1\"/></clearance>",
	                     "clearance.missing-attribute");
	const char *head = "<clearance " SPIFFY "><policy id=\"2.25.71001.1\"/><classification lacv=\"1\"/>";
	char x[1024];
	snprintf(x, sizeof(x), "%s<tag type=\"sticky\" id=\"2.25.71001.2.1\" lacv=\"10\"/></clearance>", head);
	expect_bad_clearance(x, "clearance.type");
	snprintf(x, sizeof(x), "%s<tag type=\"permissive\" id=\"2.25.71001.2.9\" lacv=\"10\"/></clearance>", head);
	expect_bad_clearance(x, "clearance.unknown-tag");
	snprintf(x, sizeof(x), "%s<tag type=\"permissive\" id=\"2.25.71001.2.1\" lacv=\"10\"/></clearance>", head);
	expect_bad_clearance(x, "clearance.unknown-value"); /* ALPHA is enumeratedPermissive */
	snprintf(x, sizeof(x), "%s<role/></clearance>", head);
	expect_bad_clearance(x, "clearance.unknown-element");
}

static void reads_labels_in_the_clearance_format(void **state)
{
	(void)state;
	struct spif_label l;
	struct sluice_error err;
	xmlDocPtr doc = parse_xml("<label " SPIFFY "><policy id=\"2.25.71001.1\"/><classification lacv=\"3\"/>"
	                          "<tag type=\"enumeratedPermissive\" id=\"2.25.71001.2.1\" lacv=\"20\"/>"
	                          "<tag type=\"enumeratedPermissive\" id=\"2.25.71001.2.1\" lacv=\"10\"/>"
	                          "</label>");
	assert_true(spiffy_label_is_element(xmlDocGetRootElement(doc)));
	assert_int_equal(spiffy_label_parse(xmlDocGetRootElement(doc), example, &l, &err), SLUICE_OK);
	char *m = spif_label_marking(&l, "", SPIF_LOC_PAGE_BOTTOM);
	assert_string_equal(m, "EXAMPLE CONFIDENTIAL REL TO Alphaland, Bravoland");
	free(m);
	spif_label_free(&l);
	xmlFreeDoc(doc);
	doc = parse_xml("<label " SPIFFY "><policy id=\"2.25.71001.1\"/><classification lacv=\"3\"/>"
	                "<classification lacv=\"2\"/></label>");
	assert_int_equal(spiffy_label_parse(xmlDocGetRootElement(doc), example, &l, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.duplicate-element");
	xmlFreeDoc(doc);
	doc = parse_xml("<label " SPIFFY "><policy id=\"1.1\"/><classification lacv=\"3\"/></label>");
	assert_int_equal(spiffy_label_parse(xmlDocGetRootElement(doc), example, &l, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.unknown-policy");
	xmlFreeDoc(doc);
	doc = parse_xml("<clearance " SPIFFY "/>");
	assert_int_equal(spiffy_label_parse(xmlDocGetRootElement(doc), example, &l, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.no-label");
	xmlFreeDoc(doc);
}

/* ---- the label model and equivalent policies --------------------------------------------- */

static void maps_onto_the_label_model(void **state)
{
	(void)state;
	struct spif_label l;
	struct sluice_error err;
	struct label model;
	char why[256];
	char *x = label_xml("EXAMPLE", "CONFIDENTIAL",
	                    CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("BRAVO"))
	                    CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE"))
	                    CAT("Administrative", "INFORMATIVE", V("STAFF")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	spif_label_to_label(&l, &model);
	assert_string_equal(model.policy_id, "EXAMPLE");
	assert_int_equal(model.level, classification_level(&example->scheme, "CONFIDENTIAL"));
	assert_int_equal(model.level, 3);
	const struct label_category *rel = label_category_find(&model, "Releasable To", CATEGORY_PERMISSIVE);
	assert_non_null(rel);
	assert_int_equal(rel->values.n, 2);
	assert_true(strset_contains(&rel->values, "ALPHA"));
	assert_non_null(label_category_find(&model, "Special Handling", CATEGORY_RESTRICTIVE));
	assert_non_null(label_category_find(&model, "Administrative", CATEGORY_INFORMATIVE));
	/* The release pipeline's access check works on it. */
	struct strset holds = STRSET_INIT;
	strset_add(&holds, "KEYSTONE");
	strset_add(&holds, "BRAVO");
	assert_true(label_access_check(&model, &example->scheme, 3, &holds, why, sizeof(why)));
	assert_false(label_access_check(&model, &example->scheme, 2, &holds, why, sizeof(why)));
	assert_string_equal(why, "classification CONFIDENTIAL above clearance INTERNAL");
	strset_free(&holds);
	label_free(&model);
	spif_label_free(&l);
	free(x);
}

static void translates_to_an_equivalent_policy(void **state)
{
	(void)state;
	struct spif_label l, t;
	struct sluice_error err;
	char *x = label_xml("EXAMPLE", "INTERNAL",
	                    CAT("Releasable To", "PERMISSIVE", V("ALPHA") V("BRAVO"))
	                    CAT("Special Handling", "RESTRICTIVE", V("KEYSTONE")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	assert_int_equal(spif_label_translate(&l, other, &t, &err), SLUICE_OK);
	assert_ptr_equal(t.spif, other);
	assert_string_equal(t.cls->name, "CLOSED");
	assert_int_equal(spif_label_check(&t, &err), SLUICE_OK);
	char *m = spif_label_marking(&t, "", SPIF_LOC_PAGE_BOTTOM);
	/* equivalentClassification adds FROM EXAMPLE, equivalentPolicy adds TRANSLATED */
	assert_string_equal(m, "<OTHER CLOSED FOR A+B K FROM EXAMPLE/[translated]>");
	free(m);
	spif_label_free(&t);
	spif_label_free(&l);
	free(x);
	/* LOCAL ONLY is dropped (action="discard"). */
	x = label_xml("EXAMPLE", "PUBLIC", CAT("Administrative", "INFORMATIVE", V("LOCAL ONLY")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	assert_int_equal(spif_label_translate(&l, other, &t, &err), SLUICE_OK);
	assert_string_equal(t.cls->name, "OPEN");
	assert_int_equal(t.ncats, 1); /* TRANSLATED only */
	spif_label_free(&t);
	spif_label_free(&l);
	free(x);
}

static void refuses_translations_without_equivalent(void **state)
{
	(void)state;
	struct spif_label l, t;
	struct sluice_error err;
	char *x = label_xml("EXAMPLE", "CONFIDENTIAL", "");
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	assert_int_equal(spif_label_translate(&l, other, &t, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "stanag4774.no-equivalent");
	assert_non_null(strstr(err.message, "CONFIDENTIAL"));
	assert_int_equal(spif_label_translate(&l, nato, &t, &err), SLUICE_ERR_INVALID_REPORT);
	assert_non_null(strstr(err.message, "no equivalent policy NATO"));
	spif_label_free(&l);
	free(x);
	x = label_xml("EXAMPLE", "INTERNAL", CAT("Releasable To", "PERMISSIVE", V("CHARLIE")));
	assert_int_equal(full_label(x, example, &l, &err), SLUICE_OK);
	assert_int_equal(spif_label_translate(&l, other, &t, &err), SLUICE_ERR_INVALID_REPORT);
	assert_non_null(strstr(err.message, "'CHARLIE' has no equivalent in policy OTHER"));
	assert_null(t.cats);
	spif_label_free(&l);
	free(x);
}

/* ---- the entry points of `sluice label` -------------------------------------------------- */

static char tmpdir[64];
static char written[16][256]; /* the files write_tmp made, removed at the end */
static size_t nwritten;

static char *write_tmp(const char *name, const char *text)
{
	char *p = malloc(256);
	snprintf(p, 256, "%s/%s", tmpdir, name);
	assert_true(nwritten < sizeof(written) / sizeof(written[0]));
	snprintf(written[nwritten++], sizeof(written[0]), "%s", p);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static char *show(const char *spif, const char *label, int *code, struct sluice_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	*code = label_spif_show(spif, label, out, err);
	fclose(out);
	return buf;
}

static void label_show_exit_codes(void **state)
{
	(void)state;
	struct sluice_error err;
	int code;
	char *spif = fixture("example-spif.xml"), *label = fixture("label-example.xml");
	char *out = show(spif, label, &code, &err);
	assert_int_equal(code, 0);
	assert_string_equal(out, "EXAMPLE CONFIDENTIAL REL TO Alphaland, Bravoland //KEYSTONE - STAFF\n");
	free(out);
	/* 65: a label the SPIF does not allow */
	char *bad = label_xml("EXAMPLE", "SECRET", "");
	char *badp = write_tmp("bad-label.xml", bad);
	out = show(spif, badp, &code, &err);
	assert_int_equal(code, 65);
	assert_string_equal(out, "");
	assert_string_equal(err.rule, "stanag4774.required-category");
	assert_string_equal(err.file, badp);
	free(out);
	/* 65: not XML */
	char *junk = write_tmp("junk.xml", "<label");
	out = show(spif, junk, &code, &err);
	assert_int_equal(code, 65);
	assert_string_equal(err.file, junk);
	free(out);
	/* 78: a broken SPIF */
	char *badspif = write_tmp("bad-spif.xml", "<SPIF xmlns=\"http://www.xmlspif.org/spif\"/>");
	out = show(badspif, label, &code, &err);
	assert_int_equal(code, 78);
	assert_string_equal(err.rule, "spif.missing-attribute");
	free(out);
	/* 74: files that cannot be read */
	char *missing = fixture("no-such-file.xml");
	out = show(missing, label, &code, &err);
	assert_int_equal(code, 74);
	free(out);
	out = show(spif, missing, &code, &err);
	assert_int_equal(code, 74);
	assert_string_equal(err.file, missing);
	free(out);
	/* The NATO Table 17 label 1, as written in the wild. */
	char *nspif = fixture("spiffing/nato-4774-policy.xml");
	char *nlabel = fixture("spiffing/nato-4774-17-1.nato");
	out = show(nspif, nlabel, &code, &err);
	assert_int_equal(code, 0);
	assert_string_equal(out, "NATO UNCLASSIFIED Releasable to ISAF, KFOR, RESOLUTE SUPPORT\n");
	free(out);
	free(nspif);
	free(nlabel);
	free(missing);
	free(badspif);
	free(junk);
	free(badp);
	free(bad);
	free(spif);
	free(label);
}

static void label_check_exit_codes(void **state)
{
	(void)state;
	struct sluice_error err;
	char *spif = fixture("example-spif.xml"), *label = fixture("label-example.xml");
	char *clr = fixture("clearance-example.xml");
	assert_int_equal(label_spif_check(spif, clr, label, &err), 0);
	/* 1: may not see (BRAVO only; the clearance is releasable ALPHA) */
	char *x = label_xml("EXAMPLE", "INTERNAL", CAT("Releasable To", "PERMISSIVE", V("BRAVO")));
	char *bravo = write_tmp("bravo.xml", x);
	assert_int_equal(label_spif_check(spif, clr, bravo, &err), 1);
	assert_string_equal(err.rule, "stanag4774.access-permissive");
	assert_string_equal(err.file, bravo);
	/* 65: invalid label */
	char *y = label_xml("EXAMPLE", "INTERNAL", CAT("Releasable To", "PERMISSIVE", V("ZULU")));
	char *zulu = write_tmp("zulu.xml", y);
	assert_int_equal(label_spif_check(spif, clr, zulu, &err), 65);
	assert_string_equal(err.rule, "stanag4774.unknown-value");
	/* 78: a clearance for another policy, or not a clearance */
	char *nclr = write_tmp("nato-clearance.xml",
	                       "<clearance " SPIFFY "><policy id=\"1.3.26.1.3.1\"/>"
	                       "<classification lacv=\"1\"/></clearance>");
	assert_int_equal(label_spif_check(spif, nclr, label, &err), 78);
	assert_string_equal(err.rule, "clearance.unknown-policy");
	assert_string_equal(err.file, nclr);
	char *dclr = write_tmp("doctype-clearance.xml", "<!DOCTYPE c [<!ENTITY x \"y\">]><c/>");
	assert_int_equal(label_spif_check(spif, dclr, label, &err), 78);
	assert_string_equal(err.rule, "clearance.doctype");
	/* 74: no clearance file (the clearance is a path, not a classification name) */
	assert_int_equal(label_spif_check(spif, "CONFIDENTIAL", label, &err), 74);
	assert_int_equal(label_spif_check(spif, clr, "/nonexistent/label.xml", &err), 74);
	/* 78 before anything else when the SPIF is bad */
	assert_int_equal(label_spif_check(label, clr, label, &err), 78);
	assert_string_equal(err.rule, "spif.root");
	free(dclr);
	free(nclr);
	free(zulu);
	free(y);
	free(bravo);
	free(x);
	free(clr);
	free(spif);
	free(label);
}

int main(void)
{
	if (fixtures_init("test_stanag4774") != 0)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_stanag4774.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	xml_intake_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_conformant_label),
		cmocka_unit_test(accepts_real_world_deviations),
		cmocka_unit_test(strict_mode_refuses_deviations),
		cmocka_unit_test(reads_all_three_label_kinds),
		cmocka_unit_test(finds_the_label_in_a_binding),
		cmocka_unit_test(refuses_documents_without_one_label),
		cmocka_unit_test(refuses_malformed_categories),
		cmocka_unit_test(refuses_too_many_categories_and_values),
		cmocka_unit_test(refuses_malformed_information),
		cmocka_unit_test(refuses_malformed_label_elements),
		cmocka_unit_test(resolves_a_valid_label),
		cmocka_unit_test(refuses_unknown_names),
		cmocka_unit_test(refuses_spif_rule_breaches),
		cmocka_unit_test(nato_table17_label_five_is_invalid),
		cmocka_unit_test(marks_as_the_spif_says),
		cmocka_unit_test(marks_in_other_languages),
		cmocka_unit_test(nato_markings),
		cmocka_unit_test(clearance_may_see),
		cmocka_unit_test(clearance_may_not_see),
		cmocka_unit_test(clearance_marking),
		cmocka_unit_test(refuses_bad_clearances),
		cmocka_unit_test(reads_labels_in_the_clearance_format),
		cmocka_unit_test(maps_onto_the_label_model),
		cmocka_unit_test(translates_to_an_equivalent_policy),
		cmocka_unit_test(refuses_translations_without_equivalent),
		cmocka_unit_test(label_show_exit_codes),
		cmocka_unit_test(label_check_exit_codes),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	for (size_t i = 0; i < nwritten; i++)
		unlink(written[i]);
	rmdir(tmpdir);
	return failed;
}
