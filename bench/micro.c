/*
 * Micro-benchmarks of the machine's own limits (bench/README.md): what the libraries the
 * pipeline is made of cost, per report, with nothing of Sluice around them. For each report
 * file given it times, over ITERATIONS rounds each:
 *
 *   parse      libxml2 xmlCtxtReadMemory with the gateway's options (NONET, NOCDATA, BIG_LINES)
 *   validate   XSD validation of the parsed tree (xmlSchemaValidateDoc), schema compiled once
 *   walk       a DOM walk visiting every node, reading every text and attribute value
 *   serialise  xmlDocDumpMemoryEnc to UTF-8
 *   sign       an Ed25519 signature of a 1 KB transfer record
 *   sha256     SHA-256 of the report's bytes
 *
 * and prints, per report size, each stage's minimum and median in microseconds; the sum of the
 * minima is "the limit": no pipeline built on these libraries that does these steps once per
 * report on one core can be faster. The last line is `limit US us/report, RPS reports/s` for
 * the last file given.
 *
 *   micro SCHEMA.xsd ITERATIONS REPORT...
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

enum { STAGE_PARSE, STAGE_VALIDATE, STAGE_WALK, STAGE_SERIALISE, STAGE_SIGN, STAGE_SHA256, NSTAGES };
static const char *const stage_names[NSTAGES] = { "parse", "validate", "walk", "serialise",
	                                          "sign", "sha256" };

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* Reads every text and attribute value, as redaction does; the sum keeps it from being
 * optimised away. */
static size_t walk(xmlNodePtr n)
{
	size_t sum = 0;
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE && n->content != NULL)
			sum += strlen((const char *)n->content);
		if (n->type == XML_ELEMENT_NODE) {
			for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
				if (a->children != NULL && a->children->content != NULL)
					sum += strlen((const char *)a->children->content);
			sum += walk(n->children);
		}
	}
	return sum;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static xmlDocPtr parse(const char *data, size_t len)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return NULL;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, "report.xml", "UTF-8",
	                                  XML_PARSE_NONET | XML_PARSE_NOCDATA |
	                                          XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING);
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* Times each stage `iterations` times on one report; fills min and median (us). */
static int measure(const char *path, xmlSchemaPtr schema, EVP_PKEY *key, int iterations,
                   double min[NSTAGES], double median[NSTAGES], size_t *bytes)
{
	size_t len;
	char *data = read_file(path, &len);
	if (data == NULL) {
		fprintf(stderr, "micro: %s: cannot read\n", path);
		return -1;
	}
	*bytes = len;
	double *t = calloc((size_t)iterations * NSTAGES, sizeof(double));
	unsigned char record[1024], sig[64], md[SHA256_DIGEST_LENGTH];
	memset(record, 'r', sizeof(record));
	volatile size_t sink = 0;
	int rc = 0;
	for (int i = 0; i < iterations && rc == 0; i++) {
		double *ti = t + (size_t)i * NSTAGES;
		double t0 = now_us();
		xmlDocPtr doc = parse(data, len);
		double t1 = now_us();
		if (doc == NULL) {
			fprintf(stderr, "micro: %s: not well-formed\n", path);
			rc = -1;
			break;
		}
		xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
		xmlSchemaSetValidStructuredErrors(v, quiet_structured, NULL);
		int valid = xmlSchemaValidateDoc(v, doc);
		xmlSchemaFreeValidCtxt(v);
		double t2 = now_us();
		sink += walk(doc->children);
		double t3 = now_us();
		xmlChar *mem = NULL;
		int size = 0;
		xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
		double t4 = now_us();
		xmlFree(mem);
		xmlFreeDoc(doc);
		record[i % sizeof(record)] ^= 1; /* a different record each time */
		double t5 = now_us();
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		size_t siglen = sizeof(sig);
		if (mctx == NULL || EVP_DigestSignInit(mctx, NULL, NULL, NULL, key) != 1 ||
		    EVP_DigestSign(mctx, sig, &siglen, record, sizeof(record)) != 1)
			rc = -1;
		EVP_MD_CTX_free(mctx);
		double t6 = now_us();
		SHA256((const unsigned char *)data, len, md);
		double t7 = now_us();
		sink += md[0] + sig[0] + (size_t)size;
		if (valid != 0) {
			fprintf(stderr, "micro: %s: not valid against the schema\n", path);
			rc = -1;
		}
		ti[STAGE_PARSE] = t1 - t0;
		ti[STAGE_VALIDATE] = t2 - t1;
		ti[STAGE_WALK] = t3 - t2;
		ti[STAGE_SERIALISE] = t4 - t3;
		ti[STAGE_SIGN] = t6 - t5;
		ti[STAGE_SHA256] = t7 - t6;
	}
	double *col = malloc((size_t)iterations * sizeof(double));
	for (int s = 0; s < NSTAGES && rc == 0; s++) {
		for (int i = 0; i < iterations; i++)
			col[i] = t[(size_t)i * NSTAGES + (size_t)s];
		qsort(col, (size_t)iterations, sizeof(double), cmp_double);
		min[s] = col[0];
		median[s] = col[iterations / 2];
	}
	free(col);
	free(t);
	free(data);
	(void)sink;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: micro SCHEMA.xsd ITERATIONS REPORT...\n");
		return 64;
	}
	int iterations = atoi(argv[2]);
	if (iterations < 1 || iterations > 1000000) {
		fprintf(stderr, "micro: ITERATIONS must be 1 to 1000000\n");
		return 64;
	}
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewParserCtxt(argv[1]);
	xmlSchemaPtr schema = pctxt ? xmlSchemaParse(pctxt) : NULL;
	xmlSchemaFreeParserCtxt(pctxt);
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &key) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(kctx);
	if (schema == NULL || key == NULL) {
		fprintf(stderr, "micro: %s\n", schema ? "cannot make an Ed25519 key"
		                                      : "cannot compile the schema");
		return 70;
	}
	printf("%-36s", "stage (us: min / median)");
	for (int s = 0; s < NSTAGES; s++)
		printf(" %17s", stage_names[s]);
	printf(" %17s\n", "limit (sum of min)");
	double limit = 0;
	int rc = 0;
	for (int f = 3; f < argc && rc == 0; f++) {
		double min[NSTAGES], median[NSTAGES];
		size_t report_bytes = 0;
		if (measure(argv[f], schema, key, iterations, min, median, &report_bytes) != 0) {
			rc = 1;
			break;
		}
		/* the last two parts of the path (the size folder and the name), and the bytes */
		const char *base = argv[f] + strlen(argv[f]);
		for (int slashes = 0; base > argv[f] && slashes < 2; base--)
			if (base[-1] == '/' && ++slashes == 2)
				break;
		char label[64];
		snprintf(label, sizeof(label), "%.40s (%zu B)", base, report_bytes);
		printf("%-36.36s", label);
		limit = 0;
		for (int s = 0; s < NSTAGES; s++) {
			printf(" %8.1f / %6.1f", min[s], median[s]);
			limit += min[s];
		}
		printf(" %8.1f = %6.0f/s\n", limit, 1e6 / limit);
	}
	if (rc == 0)
		printf("limit %.1f us/report, %.0f reports/s\n", limit, 1e6 / limit);
	EVP_PKEY_free(key);
	xmlSchemaFree(schema);
	xmlCleanupParser();
	return rc;
}
