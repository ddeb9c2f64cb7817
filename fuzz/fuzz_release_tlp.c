/* libFuzzer: the whole release filter under the tlp profile (intake, TLP markings read against
 * the source's membership, decisions, redaction, re-marking) on arbitrary bytes. The released
 * output must never carry a TLP:RED or TLP:AMBER+STRICT label to a client domain that may only
 * see TLP:AMBER. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "release.h"
#include "tlp_profile.h"
#include "xml_intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_yaml[] =
	"sluice-policy: 1\n"
	"id: fuzz-tlp\n"
	"version: 1\n"
	"profile: tlp\n"
	"limits: {max-bytes: 1MiB, max-depth: 32, max-nodes: 20000}\n"
	"caveats: {}\n"
	"domains:\n"
	"  a: {clearance: RED, organisation: oa, communities: [c1]}\n"
	"  b: {clearance: RED, organisation: ob, clients-of: [oa]}\n"
	"flows:\n"
	"  - from: a\n"
	"    to: b\n"
	"    portions: redact\n"
	"    redact:\n"
	"      patterns: [email]\n";

static int labels_at_most_amber(xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"label", (const xmlChar *)TLP_NS);
		int bad = v != NULL && (xmlStrEqual(v, (const xmlChar *)"TLP:RED") ||
		                        xmlStrEqual(v, (const xmlChar *)"TLP:AMBER+STRICT"));
		xmlFree(v);
		if (bad || !labels_at_most_amber(n->children))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *pol;
	static struct redactor *red;
	struct sluice_error err;
	if (pol == NULL) {
		xml_intake_init();
		if (policy_load_buffer("fuzz.yaml", (const uint8_t *)policy_yaml,
		                       sizeof(policy_yaml) - 1, "/nonexistent", &pol, &err) != SLUICE_OK ||
		    redactor_new(&pol->flows[0], &red, &err) != SLUICE_OK)
			abort();
	}
	struct release_request req = { .policy = pol, .flow = &pol->flows[0],
	                               .destination = policy_domain_find(pol, "b"), .redactor = red,
	                               .explain = true };
	struct release_result r;
	release_filter(&req, data, size, &r);
	if (r.decision == RELEASE_RELEASED) {
		if (r.output == NULL)
			abort(); /* a release always has output */
		/* b is a client of a's organisation: AMBER at most, on every label it receives */
		xmlDocPtr out = xmlReadMemory((const char *)r.output, (int)r.outlen, "out.xml", NULL,
		                              XML_PARSE_NONET);
		if (out == NULL || !labels_at_most_amber(xmlDocGetRootElement(out)))
			abort();
		xmlFreeDoc(out);
	}
	release_result_free(&r);
	return 0;
}
