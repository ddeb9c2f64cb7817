/*
 * Runs a table of IC-ISM marking cases against the renderer (filters/ism_marking.h):
 *
 *   ism_marking_cases [--optional] FILE [EXPECTED_CASES]
 *
 * FILE has the layout of ODNI's ISM V10 Test/testConfig.xml: under the root, each <test> has a
 * <name>, a <sampleAttributes> element carrying the ism attributes, and optionally <banner>
 * and <portion>, each either the expected string (surrounding whitespace ignored) or
 * expectFail="true", optionally with rule="ism.*" (the project's own tables name the rule the
 * element must be refused with). A banner is checked as the resource element, a portion as a
 * portion; the CAPCO rules apply when the file's root ownerProducer holds USA. <authority>
 * (declassification lines) is not part of a banner and is ignored.
 *
 * Prints one line per failing case and "N cases: M passed"; exits 0 when every case passed
 * (and there are EXPECTED_CASES of them), 1 otherwise, 77 (ctest SKIP_RETURN_CODE) when
 * --optional is given and FILE does not exist, e.g. the public corpus ../shared is absent.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "ism_marking.h"
#include "xml_intake.h"

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The element's text without surrounding whitespace (new string). */
static char *trimmed_text(xmlNodePtr n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t != NULL ? (const char *)t : "";
	size_t len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", *s) != NULL)
		s++, len--;
	char *out = xstrndup(s, len);
	xmlFree(t);
	return out;
}

static bool attr_is(xmlNodePtr n, const char *name, const char *value)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	bool is = v != NULL && strcmp((const char *)v, value) == 0;
	xmlFree(v);
	return is;
}

/* One expectation (<banner> or <portion>): true when met; prints why not. */
static bool expectation_met(const char *name, xmlNodePtr expect, xmlNodePtr sample, bool banner,
                            bool capco)
{
	struct ism_attrs a;
	struct sluice_error err;
	const char *what = banner ? "banner" : "portion";
	bool met;

	memset(&err, 0, sizeof(err));
	ism_attrs_read(sample, &a);
	enum sluice_rc rc = ism_attrs_check(&a, banner, capco, &err);
	if (attr_is(expect, "expectFail", "true")) {
		xmlChar *rule = xmlGetProp(expect, (const xmlChar *)"rule");
		met = rc == SLUICE_ERR_INVALID_REPORT &&
		      (rule == NULL || strcmp((const char *)rule, err.rule) == 0);
		if (!met && rc == SLUICE_OK)
			printf("FAIL %s: %s expected to be refused%s%s, accepted\n", name, what,
			       rule ? " with " : "", rule ? (const char *)rule : "");
		else if (!met)
			printf("FAIL %s: %s refused with %s, expected %s: %s\n", name, what, err.rule,
			       rule ? (const char *)rule : "a refusal", err.message);
		xmlFree(rule);
	} else if (rc != SLUICE_OK) {
		printf("FAIL %s: %s refused: %s [%s]\n", name, what, err.message, err.rule);
		met = false;
	} else {
		char *want = trimmed_text(expect);
		char *got = ism_marking_string(&a, banner ? ISM_MARK_BANNER : ISM_MARK_PORTION);
		met = strcmp(want, got) == 0;
		if (!met)
			printf("FAIL %s: %s '%s', expected '%s'\n", name, what, got, want);
		free(got);
		free(want);
	}
	ism_attrs_free(&a);
	return met;
}

int main(int argc, char **argv)
{
	static const struct xml_limits lim = { 16u << 20, 64, 1000000 };
	bool optional = argc > 1 && strcmp(argv[1], "--optional") == 0;
	int arg = optional ? 2 : 1;
	struct sluice_error err;
	uint8_t *data = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;

	if (argc - arg < 1 || argc - arg > 2) {
		fprintf(stderr, "usage: ism_marking_cases [--optional] FILE [EXPECTED_CASES]\n");
		return 64;
	}
	const char *file = argv[arg];
	long expected = argc - arg == 2 ? strtol(argv[arg + 1], NULL, 10) : -1;
	if (optional && access(file, F_OK) != 0) {
		printf("SKIP: %s is not there (the public corpus ../shared sits beside the checkout "
		       "when it is)\n", file);
		return 77;
	}
	xml_intake_init();
	if (file_read_bounded(file, lim.max_bytes, SLUICE_ERR_INVALID_REPORT, &data, &len, &err) !=
	        SLUICE_OK ||
	    xml_intake_parse(data, len, &lim, &doc, &err) != SLUICE_OK) {
		printf("FAIL: %s: %s [%s]\n", file, err.message, err.rule);
		free(data);
		return 1;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct ism_attrs resource;
	ism_attrs_read(root, &resource);
	bool capco = ism_tokens_match(&resource.f[ISM_OWNER_PRODUCER], "USA");
	ism_attrs_free(&resource);

	long cases = 0, passed = 0, refusals = 0;
	for (xmlNodePtr t = root->children; t != NULL; t = t->next) {
		if (t->type != XML_ELEMENT_NODE || strcmp((const char *)t->name, "test") != 0)
			continue;
		cases++;
		xmlNodePtr name_el = child(t, "name"), sample = child(t, "sampleAttributes");
		xmlNodePtr banner = child(t, "banner"), portion = child(t, "portion");
		char *name = name_el != NULL ? trimmed_text(name_el) : xstrdup("(unnamed)");
		bool ok = sample != NULL && (banner != NULL || portion != NULL);
		if (!ok)
			printf("FAIL %s: no sampleAttributes, or neither banner nor portion\n", name);
		if (ok && banner != NULL)
			ok = expectation_met(name, banner, sample, true, capco);
		if (ok && portion != NULL)
			ok = expectation_met(name, portion, sample, false, capco);
		if ((banner != NULL && attr_is(banner, "expectFail", "true")) ||
		    (portion != NULL && attr_is(portion, "expectFail", "true")))
			refusals++;
		passed += ok;
		free(name);
	}
	printf("%ld cases: %ld passed (%ld with a marking expected to be refused) in %s\n", cases,
	       passed, refusals, file);
	bool all = passed == cases && cases > 0 && (expected < 0 || cases == expected);
	if (expected >= 0 && cases != expected)
		printf("FAIL: expected %ld cases in the file, found %ld\n", expected, cases);
	xmlFreeDoc(doc);
	free(data);
	return all ? 0 : 1;
}
