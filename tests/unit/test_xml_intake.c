/* Unit tests of the hardened XML intake (filters/xml_intake.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "xml_intake.h"

static const struct xml_limits limits = { 1024 * 1024, 64, 50000 };

static enum sluice_rc parse(const char *xml, struct sluice_error *err)
{
	xmlDocPtr doc = NULL;
	enum sluice_rc rc = xml_intake_parse((const uint8_t *)xml, strlen(xml), &limits, &doc, err);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}

static void expect_refused(const char *xml, const char *rule)
{
	struct sluice_error err;
	memset(&err, 0, sizeof(err));
	enum sluice_rc rc = parse(xml, &err);
	if (rc != SLUICE_ERR_INVALID_REPORT || strcmp(err.rule, rule) != 0)
		fail_msg("expected %s, got rc %d rule '%s' (%s) for: %.80s", rule, rc, err.rule,
		         err.message, xml);
}

static void accepts_plain_report(void **state)
{
	(void)state;
	struct sluice_error err;
	assert_int_equal(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                       "<r xmlns:ism=\"urn:us:gov:ic:ism\" ism:classification=\"U\">"
	                       "caf\xc3\xa9 &amp; &#x41;</r>", &err), SLUICE_OK);
	assert_int_equal(parse("<r/>", &err), SLUICE_OK);
	assert_int_equal(parse("\xef\xbb\xbf<r/>", &err), SLUICE_OK);
	assert_int_equal(parse("<?xml version='1.0' encoding='utf-8'?><r/>", &err), SLUICE_OK);
}

static void refuses_doctype_and_entities(void **state)
{
	(void)state;
	expect_refused("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>", "xml.doctype");
	expect_refused("<!DOCTYPE r SYSTEM \"http://127.0.0.1:5000/x.dtd\"><r/>", "xml.doctype");
	expect_refused("<!DOCTYPE r><r/>", "xml.doctype");
	expect_refused("<!-- c --><!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\">%p;]><r/>",
	               "xml.doctype");
	expect_refused("<r>&undeclared;</r>", "xml.entity");
	expect_refused("<r a=\"&x;\"/>", "xml.entity");
}

static void refuses_xinclude(void **state)
{
	(void)state;
	expect_refused("<r xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	               "<xi:include href=\"file:///etc/passwd\" parse=\"text\"/></r>",
	               "xml.xinclude");
	expect_refused("<r><include xmlns=\"http://www.w3.org/2003/XInclude\" href=\"x\"/></r>",
	               "xml.xinclude");
}

static void refuses_bad_utf8(void **state)
{
	(void)state;
	expect_refused("<r>\xc0\xaf</r>", "xml.utf8");         /* overlong */
	expect_refused("<r>\xed\xa0\x80</r>", "xml.utf8");     /* surrogate */
	expect_refused("<r>\xe2\x82</r>", "xml.utf8");         /* truncated sequence */
	expect_refused("<r>\xff</r>", "xml.utf8");             /* invalid byte */
	expect_refused("<r>caf\xe9</r>", "xml.utf8");          /* Latin-1 */
	expect_refused("<r>\xf4\x90\x80\x80</r>", "xml.utf8"); /* above U+10FFFF */
	expect_refused("\xff\xfe<\0r\0/\0>\0", "xml.utf8");    /* UTF-16 BOM */
	size_t bad = 0;
	assert_false(utf8_valid((const uint8_t *)"ab\x80", 3, &bad));
	assert_int_equal(bad, 2);
	assert_true(utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4, NULL));
}

static void refuses_other_encodings(void **state)
{
	(void)state;
	expect_refused("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>", "xml.encoding");
	expect_refused("<?xml version=\"1.0\" encoding = 'UTF-16'?><r/>", "xml.encoding");
	expect_refused("<?xml version=\"1.0\" encoding=\"SHIFT_JIS\"?><r/>", "xml.encoding");
}

static void refuses_namespace_errors(void **state)
{
	(void)state;
	expect_refused("<p:r/>", "xml.namespace");
	expect_refused("<r p:a=\"1\"/>", "xml.namespace");
	expect_refused("<r xmlns:a=\"urn:x\" xmlns:b=\"urn:x\" a:k=\"1\" b:k=\"2\"/>",
	               "xml.namespace");
}

static void refuses_malformed(void **state)
{
	(void)state;
	expect_refused("<r><a></r>", "xml.not-well-formed");
	expect_refused("<r a=\"1", "xml.not-well-formed");
	expect_refused("<r>", "xml.not-well-formed");
	expect_refused("<r/><s/>", "xml.not-well-formed");
	expect_refused("text<r/>", "xml.not-well-formed");
	expect_refused("", "xml.empty");
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	const char nul[] = "<r>a\0b</r>";
	assert_int_equal(xml_intake_parse((const uint8_t *)nul, sizeof(nul) - 1, &limits, &doc,
	                                  &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "xml.nul");
	assert_null(doc);
	/* a NUL after the root must not end the input early and pass */
	const char trailing[] = "<r>a</r>\n\0";
	assert_int_equal(xml_intake_parse((const uint8_t *)trailing, sizeof(trailing) - 1, &limits,
	                                  &doc, &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "xml.nul");
	assert_null(doc);
}

static void enforces_limits(void **state)
{
	(void)state;
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	/* depth */
	size_t depth = 200;
	char *deep = malloc(depth * 7 + 1);
	char *w = deep;
	for (size_t i = 0; i < depth; i++)
		w += sprintf(w, "<a>");
	for (size_t i = 0; i < depth; i++)
		w += sprintf(w, "</a>");
	assert_int_equal(xml_intake_parse((uint8_t *)deep, strlen(deep), &limits, &doc, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "limits.max-depth");
	/* at the limit is fine */
	struct xml_limits roomy = { 1024 * 1024, 200, 50000 };
	assert_int_equal(xml_intake_parse((uint8_t *)deep, strlen(deep), &roomy, &doc, &err),
	                 SLUICE_OK);
	xmlFreeDoc(doc);
	free(deep);
	/* nodes */
	struct xml_limits few = { 1024 * 1024, 64, 10 };
	const char *many = "<r><a/><a/><a/><a/><a/><a/><a/><a/><a/><a/><a/></r>";
	assert_int_equal(xml_intake_parse((const uint8_t *)many, strlen(many), &few, &doc, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "limits.max-nodes");
	/* bytes */
	struct xml_limits small = { 8, 64, 100 };
	assert_int_equal(xml_intake_parse((const uint8_t *)"<r>123456789</r>", 16, &small, &doc,
	                                  &err), SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "limits.max-bytes");
}

static void strips_comments_and_pis(void **state)
{
	(void)state;
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	const char *xml = "<?xml version=\"1.0\"?><?xml-stylesheet href=\"x.xsl\"?><!-- top -->"
	                  "<r><!-- secret --><?pi data?><a>keep</a></r>";
	assert_int_equal(xml_intake_parse((const uint8_t *)xml, strlen(xml), &limits, &doc, &err),
	                 SLUICE_OK);
	assert_int_equal(xml_strip_comments_and_pis(doc), 4);
	uint8_t *out = NULL;
	size_t n = 0;
	assert_int_equal(xml_serialize(doc, &out, &n, &err), SLUICE_OK);
	assert_null(strstr((char *)out, "secret"));
	assert_null(strstr((char *)out, "<?pi"));
	assert_null(strstr((char *)out, "stylesheet"));
	assert_non_null(strstr((char *)out, "<a>keep</a>"));
	free(out);
	xmlFreeDoc(doc);
}

static void locations_name_siblings(void **state)
{
	(void)state;
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	const char *xml = "<r xmlns:n=\"urn:n\"><a/><b/><a><n:c/></a></r>";
	assert_int_equal(xml_intake_parse((const uint8_t *)xml, strlen(xml), &limits, &doc, &err),
	                 SLUICE_OK);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr second_a = root->children->next->next;
	char *loc = xml_node_location(second_a);
	assert_string_equal(loc, "/r/a[2]");
	free(loc);
	loc = xml_node_location(second_a->children);
	assert_string_equal(loc, "/r/a[2]/n:c");
	free(loc);
	/* the indexed form gives the same answers */
	size_t n = 0;
	struct xml_position *pos = xml_index_positions(doc, &n);
	assert_int_equal(n, 5);
	loc = xml_node_location(second_a);
	assert_string_equal(loc, "/r/a[2]");
	free(loc);
	loc = xml_node_location(root->children->next);
	assert_string_equal(loc, "/r/b");
	free(loc);
	assert_int_equal(((struct xml_position *)second_a->_private)->total, 2);
	free(pos);
	xmlFreeDoc(doc);
}

static int setup(void **state)
{
	(void)state;
	xml_intake_init();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_plain_report),
		cmocka_unit_test(refuses_doctype_and_entities),
		cmocka_unit_test(refuses_xinclude),
		cmocka_unit_test(refuses_bad_utf8),
		cmocka_unit_test(refuses_other_encodings),
		cmocka_unit_test(refuses_namespace_errors),
		cmocka_unit_test(refuses_malformed),
		cmocka_unit_test(enforces_limits),
		cmocka_unit_test(strips_comments_and_pis),
		cmocka_unit_test(locations_name_siblings),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
