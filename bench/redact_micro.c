/*
 * bench_redact: what each redaction rule of a flow costs on the text of given reports, with
 * nothing else around it (no sandbox, no fork: so that callgrind and perf can see inside).
 *
 *   bench_redact POLICY FROM TO ITERATIONS REPORT...
 *
 * Collects every text node and attribute value of the reports (libxml2, as the filter reads
 * them), then times redactor_apply over all of them ITERATIONS times: first with the flow's
 * rules one at a time (each word list, each detector), then with all of them together (what
 * the filter does). Prints one line per rule: microseconds per report (minimum and median over
 * the iterations) and the number of hits.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "policy.h"
#include "redact.h"
#include "sluice_error.h"

struct texts {
	char **v;
	size_t *len;
	size_t n, cap;
};

static void texts_add(struct texts *t, const xmlChar *s)
{
	if (s == NULL || *s == '\0')
		return;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		t->len = realloc(t->len, t->cap * sizeof(*t->len));
		if (t->v == NULL || t->len == NULL)
			abort();
	}
	t->v[t->n] = strdup((const char *)s);
	t->len[t->n] = strlen((const char *)s);
	t->n++;
}

static void collect(xmlNodePtr n, struct texts *t)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			texts_add(t, n->content);
		if (n->type == XML_ELEMENT_NODE) {
			for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
				if (a->children != NULL)
					texts_add(t, a->children->content);
			collect(n->children, t);
		}
	}
}

static void on_hit(void *arg, const char *rule, unsigned count)
{
	(void)rule;
	*(unsigned long *)arg += count;
}

/* Times `flow` (as redactor_new compiles it) over the texts; prints one line. */
static int measure(const char *label, const struct policy_flow *flow, const struct texts *t,
                   size_t reports, int iterations)
{
	struct sluice_error err;
	struct redactor *r = NULL;
	if (redactor_new(flow, &r, &err) != SLUICE_OK) {
		fprintf(stderr, "bench_redact: %s: %s\n", label, err.message);
		return 1;
	}
	double *per = calloc((size_t)iterations, sizeof(*per));
	unsigned long hits = 0, ignored = 0; /* hits are counted in the first iteration */
	for (int it = 0; it < iterations; it++) {
		double t0 = now_us();
		for (size_t i = 0; i < t->n; i++) {
			char *out = NULL;
			size_t outlen = 0;
			if (redactor_apply(r, t->v[i], t->len[i], &out, &outlen, on_hit,
			                   it == 0 ? &hits : &ignored, &err) != SLUICE_OK) {
				fprintf(stderr, "bench_redact: %s: %s\n", label, err.message);
				free(per);
				redactor_free(r);
				return 1;
			}
			free(out);
		}
		per[it] = (now_us() - t0) / (double)reports;
	}
	qsort(per, (size_t)iterations, sizeof(*per), cmp_double);
	printf("%-28s %9.1f %9.1f %8lu\n", label, per[0], per[iterations / 2],
	       hits / reports);
	free(per);
	redactor_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: bench_redact POLICY FROM TO ITERATIONS REPORT...\n");
		return 64;
	}
	struct sluice_error err;
	struct policy *pol = NULL;
	if (policy_load(argv[1], &pol, &err) != SLUICE_OK) {
		fprintf(stderr, "bench_redact: %s\n", err.message);
		return 1;
	}
	const struct policy_flow *flow = policy_flow_find(pol, argv[2], argv[3]);
	int iterations = atoi(argv[4]);
	if (flow == NULL || iterations < 1) {
		fprintf(stderr, "bench_redact: no flow %s -> %s, or no iterations\n", argv[2], argv[3]);
		return 64;
	}
	struct texts t = { 0 };
	size_t bytes = 0, reports = (size_t)(argc - 5);
	for (int i = 5; i < argc; i++) {
		xmlDocPtr doc = xmlReadFile(argv[i], NULL, XML_PARSE_NONET);
		if (doc == NULL) {
			fprintf(stderr, "bench_redact: cannot parse %s\n", argv[i]);
			return 1;
		}
		collect(xmlDocGetRootElement(doc), &t);
		xmlFreeDoc(doc);
	}
	for (size_t i = 0; i < t.n; i++)
		bytes += t.len[i];
	printf("%zu reports, %zu texts, %zu bytes of text a report; %d iterations\n", reports, t.n,
	       bytes / reports, iterations);
	printf("%-28s %9s %9s %8s\n", "rule", "min us", "median us", "hits");

	int rc = 0;
	struct policy_flow one = *flow;
	for (size_t w = 0; w < flow->nwordlists && rc == 0; w++) {
		char label[64];
		one.nwordlists = 1;
		one.wordlists = &flow->wordlists[w];
		one.npatterns = 0;
		snprintf(label, sizeof(label), "words (%zu)", flow->wordlists[w].nwords);
		rc = measure(label, &one, &t, reports, iterations);
	}
	for (size_t p = 0; p < flow->npatterns && rc == 0; p++) {
		char label[64];
		one.nwordlists = 0;
		one.npatterns = 1;
		one.patterns = &flow->patterns[p];
		snprintf(label, sizeof(label), "pattern:%s", flow->patterns[p].name);
		rc = measure(label, &one, &t, reports, iterations);
	}
	if (rc == 0)
		rc = measure("all rules", flow, &t, reports, iterations);
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i]);
	free(t.v);
	free(t.len);
	policy_free(pol);
	return rc;
}
