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

static enum sluice_rc parse_limited(const char *xml, const struct xml_limits *lim,
                                    struct sluice_error *err)
{
	xmlDocPtr doc = NULL;
	memset(err, 0, sizeof(*err));
	enum sluice_rc rc = xml_intake_parse((const uint8_t *)xml, strlen(xml), lim, &doc, err);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}

static enum sluice_rc parse(const char *xml, struct sluice_error *err)
{
	return parse_limited(xml, &limits, err);
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

/* ---- The pre-parse markup scan (findings 1 of docs/SECURITY.md) -------------------------- */

/* A growing string for the generated inputs below. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* " a1=\"1\" a2=\"1\" ..." : n attributes, and " xmlns:p1=\"urn:p1\" ..." : n declarations. */
static void add_attributes(struct text *t, unsigned n)
{
	for (unsigned i = 1; i <= n; i++)
		text_add(t, " a%u=\"1\"", i);
}

static void add_namespaces(struct text *t, unsigned n)
{
	for (unsigned i = 1; i <= n; i++)
		text_add(t, " xmlns:p%u=\"urn:p%u\"", i, i);
}

/* Refused with `rule` at `line`. */
static void expect_refused_at(const char *xml, const struct xml_limits *lim, const char *rule,
                              unsigned line)
{
	struct sluice_error err;
	enum sluice_rc rc = parse_limited(xml, lim, &err);
	if (rc != SLUICE_ERR_INVALID_REPORT || strcmp(err.rule, rule) != 0 ||
	    (line != 0 && err.line != line))
		fail_msg("expected %s at line %u, got rc %d rule '%s' line %u (%s) for: %.100s", rule,
		         line, rc, err.rule, err.line, err.message, xml);
}

static void expect_accepted(const char *xml, const struct xml_limits *lim)
{
	struct sluice_error err;
	enum sluice_rc rc = parse_limited(xml, lim, &err);
	if (rc != SLUICE_OK)
		fail_msg("expected acceptance, got rc %d rule '%s' line %u (%s) for: %.100s", rc,
		         err.rule, err.line, err.message, xml);
}

/* `before`, then `write` with `cap` items, then `after` is accepted; with cap + 1 items it is
 * refused with `rule` on `line`. */
static void expect_cap(const char *before, void (*write)(struct text *, unsigned), unsigned cap,
                       const char *after, const char *rule, unsigned line)
{
	for (unsigned n = cap; n <= cap + 1; n++) {
		struct text t = { 0 };
		text_add(&t, "%s", before);
		write(&t, n);
		text_add(&t, "%s", after);
		if (n == cap)
			expect_accepted(t.s, &limits);
		else
			expect_refused_at(t.s, &limits, rule, line);
		free(t.s);
	}
}

/* The default namespace declaration counts like a prefixed one. */
static void add_default_and_namespaces(struct text *t, unsigned n)
{
	text_add(t, " xmlns=\"urn:default\"");
	add_namespaces(t, n - 1);
}

static void caps_attributes_per_element(void **state)
{
	(void)state;
	expect_cap("<?xml version=\"1.0\"?>\n<r>\n  <e", add_attributes,
	           XML_MAX_ATTRIBUTES_PER_ELEMENT, ">x</e>\n</r>\n", "limits.max-attributes", 3);
	/* namespace declarations are attributes of the tag too: 200 + 57 = 257 */
	struct text t = { 0 };
	text_add(&t, "<r\n");
	add_attributes(&t, 200);
	add_namespaces(&t, 57);
	text_add(&t, "/>");
	expect_refused_at(t.s, &limits, "limits.max-attributes", 1);
	free(t.s);
}

static void caps_namespaces_per_element(void **state)
{
	(void)state;
	expect_cap("<r>\n<e", add_default_and_namespaces, XML_MAX_NAMESPACES_PER_ELEMENT,
	           "/>\n</r>", "limits.max-namespaces", 2);
	/* spaces around '=' do not hide a declaration */
	struct text t = { 0 };
	text_add(&t, "<r");
	for (unsigned i = 1; i <= XML_MAX_NAMESPACES_PER_ELEMENT + 1; i++)
		text_add(&t, "\n xmlns:q%u =\t'urn:q'", i);
	text_add(&t, "/>");
	expect_refused_at(t.s, &limits, "limits.max-namespaces", 1);
	free(t.s);
}

static void caps_namespaces_in_scope(void **state)
{
	(void)state;
	unsigned levels_at_cap = XML_MAX_NAMESPACES_IN_SCOPE / XML_MAX_NAMESPACES_PER_ELEMENT;
	for (unsigned levels = levels_at_cap; levels <= levels_at_cap + 1; levels++) {
		struct text t = { 0 };
		for (unsigned l = 0; l < levels; l++) {
			text_add(&t, "<d%u", l);
			add_namespaces(&t, XML_MAX_NAMESPACES_PER_ELEMENT);
			text_add(&t, ">\n");
		}
		for (unsigned l = levels; l-- > 0;)
			text_add(&t, "</d%u>", l);
		if (levels == levels_at_cap)
			expect_accepted(t.s, &limits);
		else
			expect_refused_at(t.s, &limits, "limits.max-namespaces", levels);
		free(t.s);
	}
	/* siblings: declarations go out of scope with their element */
	struct text t = { 0 };
	text_add(&t, "<r>");
	for (unsigned s = 0; s < 20; s++) {
		text_add(&t, "<s");
		add_namespaces(&t, XML_MAX_NAMESPACES_PER_ELEMENT);
		text_add(&t, s % 2 ? "/>" : "></s>");
	}
	text_add(&t, "</r>");
	expect_accepted(t.s, &limits);
	free(t.s);
}

static void namespace_declarations_are_nodes(void **state)
{
	(void)state;
	/* 1 element + 9 declarations = 10 nodes: at the limit; one more is over */
	struct xml_limits ten = { 1024 * 1024, 64, 10 };
	expect_accepted("<r xmlns:a='urn:a' xmlns:b='urn:b' xmlns:c='urn:c' xmlns:d='urn:d' "
	                "xmlns:e='urn:e' xmlns:f='urn:f' xmlns:g='urn:g' xmlns:h='urn:h' "
	                "xmlns:i='urn:i'/>", &ten);
	expect_refused_at("<r xmlns:a='urn:a' xmlns:b='urn:b' xmlns:c='urn:c' xmlns:d='urn:d' "
	                  "xmlns:e='urn:e' xmlns:f='urn:f' xmlns:g='urn:g' xmlns:h='urn:h' "
	                  "xmlns:i='urn:i' xmlns:j='urn:j'/>", &ten, "limits.max-nodes", 1);
}

static void quoted_values_are_not_counted(void **state)
{
	(void)state;
	/* '=', '>', the other quote and fake declarations inside values are value bytes */
	struct text t = { 0 };
	text_add(&t, "<r a=\"");
	for (unsigned i = 0; i < 300; i++)
		text_add(&t, " xmlns:f%u='x'=&gt;= >", i);
	text_add(&t, "\" b='");
	for (unsigned i = 0; i < 300; i++)
		text_add(&t, "\"b%u\"=\"1\"/>", i);
	text_add(&t, "'>text > = \" ' </r>");
	expect_accepted(t.s, &limits);
	free(t.s);
	/* '<' in a value is not well-formed ... */
	expect_refused("<r a=\"1 < 2\"/>", "xml.not-well-formed");
	/* ... and libxml2 ends the value and the tag there and reads on as content, so the scan
	 * does too: the tag hidden in this value would reach libxml2's quadratic check. */
	t = (struct text){ 0 };
	text_add(&t, "<r>\n<s a=\"\n<b");
	add_attributes(&t, XML_MAX_ATTRIBUTES_PER_ELEMENT + 1);
	text_add(&t, "/>\"/></r>");
	expect_refused_at(t.s, &limits, "limits.max-attributes", 3);
	free(t.s);
}

/* A tag of 300 attributes and 100 declarations, as text. */
static char *fake_tag(void)
{
	struct text t = { 0 };
	text_add(&t, "<b");
	add_attributes(&t, 300);
	add_namespaces(&t, 100);
	text_add(&t, ">");
	return t.s;
}

static void comments_cdata_and_pis_are_skipped(void **state)
{
	(void)state;
	char *fake = fake_tag();
	struct text t = { 0 };
	text_add(&t, "<?xml version=\"1.0\"?><!-- %s --><?pi %s?>\n<r><!--%s--><![CDATA[%s]]>"
	         "<?target %s ?><?xml-stylesheet %s?><!----><![CDATA[]]>]]&gt;</r><!-- %s -->",
	         fake, fake, fake, fake, fake, fake, fake);
	expect_accepted(t.s, &limits);
	free(t.s);

	/* Where libxml2 does not see a comment, a PI or a CDATA section, neither does the scan. */
	/* a PI without a target: libxml2 reads on just after "<?" */
	t = (struct text){ 0 };
	text_add(&t, "<r><s><? %s?></s></r>", fake);
	expect_refused_at(t.s, &limits, "limits.max-attributes", 1);
	free(t.s);
	/* an XML declaration in error ends at its first '>' (MOVETO_ENDTAG), not at a comment */
	t = (struct text){ 0 };
	text_add(&t, "<?xml version=\"1.0\" junk <!-- >\n%s-->", fake);
	expect_refused_at(t.s, &limits, "limits.max-attributes", 2);
	free(t.s);
	/* "--" inside a comment: not well-formed, and libxml2 2.9.14 then ends the comment at a
	 * different "-->" than a plain search would */
	t = (struct text){ 0 };
	text_add(&t, "<r><!-- ---><!-->%s--></r>", fake);
	expect_refused_at(t.s, &limits, "xml.not-well-formed", 1);
	free(t.s);
	expect_refused("<r><!-- a -- b --></r>", "xml.not-well-formed");
	/* a control character inside a comment: libxml2 would end the comment there */
	t = (struct text){ 0 };
	text_add(&t, "<r><s><!-- \x01 %s --></s></r>", fake);
	expect_refused_at(t.s, &limits, "xml.not-well-formed", 1);
	free(t.s);
	expect_refused("<r>\xef\xbf\xbe</r>", "xml.not-well-formed"); /* U+FFFE */
	/* a DOCTYPE before the root is refused by the scan, whatever its subset hides */
	t = (struct text){ 0 };
	text_add(&t, "<!DOCTYPE \"x\" [<!ENTITY e \"<!--\">]>\n<r>%s</r>-->", fake);
	expect_refused_at(t.s, &limits, "xml.doctype", 1);
	free(t.s);
	free(fake);
}

static void scan_enforces_limits_libxml2_would_stop_reporting(void **state)
{
	(void)state;
	/* After a fatal error (here a duplicate attribute) libxml2 2.9.14 reads on without calling
	 * Sluice back, so only the scan sees the depth. */
	struct text t = { 0 };
	text_add(&t, "<r><a x=\"1\" x=\"1\"/>\n");
	for (unsigned l = 0; l < 100; l++)
		text_add(&t, "<d>");
	expect_refused_at(t.s, &limits, "limits.max-depth", 2);
	free(t.s);
}

/* Errors reach receipts and the audit log: the report's own names and values must not. */
static void error_messages_carry_no_report_words(void **state)
{
	(void)state;
	static const char doc[] = "<?xml version=\"1.0\"?>\n<a><CANARYTAG>x</CANARYOTHER></a>\n";
	struct xml_limits lim = { 1 << 20, 64, 1000 };
	xmlDocPtr d = NULL;
	struct sluice_error err;
	assert_int_equal(xml_intake_parse((const uint8_t *)doc, sizeof(doc) - 1, &lim, &d, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "xml.not-well-formed");
	assert_non_null(strstr(err.message, "tag mismatch"));
	assert_null(strstr(err.message, "CANARY"));
	assert_int_equal(err.line, 2);
}

static void truncated_input_stays_in_bounds(void **state)
{
	(void)state;
	/* Every prefix of a report that uses every construct the scan knows, in a buffer of exactly
	 * that size (no terminating NUL: under ASan, a read past the end fails the test). */
	const char *full = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                   "<!-- c --><?pi d?><r xmlns:p=\"urn:p\" a='1>' b = \"x\">t<!---->"
	                   "<![CDATA[<x>]]><?t ?><p:e p:k=\"v\"/></r>\n";
	size_t n = strlen(full);
	for (size_t cut = 0; cut <= n; cut++) {
		uint8_t *buf = malloc(cut ? cut : 1);
		memcpy(buf, full, cut);
		struct sluice_error err;
		xmlDocPtr doc = NULL;
		enum sluice_rc rc = xml_intake_parse(buf, cut, &limits, &doc, &err);
		if (cut == n)
			assert_int_equal(rc, SLUICE_OK);
		else if (rc != SLUICE_ERR_INVALID_REPORT && !(rc == SLUICE_OK && cut == n - 1))
			fail_msg("prefix of %zu bytes: rc %d", cut, rc);
		if (doc != NULL)
			xmlFreeDoc(doc);
		free(buf);
	}
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
		cmocka_unit_test(caps_attributes_per_element),
		cmocka_unit_test(caps_namespaces_per_element),
		cmocka_unit_test(caps_namespaces_in_scope),
		cmocka_unit_test(namespace_declarations_are_nodes),
		cmocka_unit_test(quoted_values_are_not_counted),
		cmocka_unit_test(comments_cdata_and_pis_are_skipped),
		cmocka_unit_test(scan_enforces_limits_libxml2_would_stop_reporting),
		cmocka_unit_test(truncated_input_stays_in_bounds),
		cmocka_unit_test(error_messages_carry_no_report_words),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
