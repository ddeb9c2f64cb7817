/*
 * Conformance: runs the golden table tests.xml of surevine/spiffing (the reference SPIF
 * implementation) against Sluice's SPIF loader and ADatP-4774 label code.
 *
 *     stanag4774_conformance DIR
 *
 * DIR holds tests.xml and the files it names: ../shared/corpus/stanag4774/spiffing beside a
 * checkout, or tests/fixtures/stanag4774/spiffing (the copy kept in the project, MIT licence).
 * When DIR/tests.xml is absent it prints why and exits 77 (ctest SKIP_RETURN_CODE).
 *
 * Each <test> is one case; it passes when every check it asks for passes: valid, label-marking
 * (for its xml:lang), encrypt + encrypt-marking (equivalent policies), clearance-marking and
 * acdf-result (access decision), or an expected failure (exception). Cases whose input Sluice
 * does not read (BER labels) or whose SPIF Sluice refuses as malformed are counted as not run.
 * The NATO sequence (the SPIF with policy id 1.3.26.1.3.1: ADatP-4774 Table 17) decides the exit
 * code: 0 when all its cases pass, 1 otherwise. The others are reported.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "clearance.h"
#include "fileio.h"
#include "spif.h"
#include "spif_files.h"
#include "stanag4774.h"
#include "xml_intake.h"

#define NATO_POLICY_ID "1.3.26.1.3.1"
#define MAX_SPIFS 8

struct tally {
	unsigned pass, total, not_run, nato_files_pass, nato_files_total;
};

static const char *dir;

static char *path_in(const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static char *attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? xstrdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

static char *lang_of(xmlNodePtr n)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"lang", XML_XML_NAMESPACE);
	char *s = xstrdup(v ? (const char *)v : "");
	xmlFree(v);
	return s;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The SPIF (among those of the sequence) a label file belongs to: by the spiffy policy id or by
 * the ADatP-4774 PolicyIdentifier name. */
static const struct spif *spif_for_label(const char *path, struct spif *const *spifs, size_t n)
{
	static const struct xml_limits lim = { 1 << 20, 64, 100000 };
	uint8_t *data = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;
	struct sluice_error err;
	const struct spif *found = NULL;

	if (file_read_bounded(path, 1 << 20, SLUICE_ERR_INVALID_REPORT, &data, &len, &err) !=
	    SLUICE_OK)
		return NULL;
	if (xml_intake_parse(data, len, &lim, &doc, &err) == SLUICE_OK) {
		xmlNodePtr root = xmlDocGetRootElement(doc), node = NULL;
		struct s4774_label l;
		for (xmlNodePtr c = root->children; spiffy_label_is_element(root) && c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "policy") == 0) {
				char *id = attr(c, "id");
				for (size_t i = 0; id != NULL && i < n; i++)
					if (strcmp(spifs[i]->policy_id, id) == 0)
						found = spifs[i];
				free(id);
			}
		if (!spiffy_label_is_element(root) && s4774_find_label(doc, &node, &err) == SLUICE_OK &&
		    s4774_label_parse(node, 0, &l, &err) == SLUICE_OK) {
			for (size_t i = 0; i < n; i++)
				if (strcasecmp(spifs[i]->policy_name, l.policy) == 0)
					found = spifs[i];
			s4774_label_free(&l);
		}
		xmlFreeDoc(doc);
	}
	free(data);
	return found;
}

static const struct spif *spif_by_id(const char *id, struct spif *const *spifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(spifs[i]->policy_id, id) == 0)
			return spifs[i];
	return NULL;
}

static bool check_string(const char *what, const char *want, const char *got, char *why,
                         size_t whylen)
{
	if (strcmp(want, got) == 0)
		return true;
	snprintf(why, whylen, "%s: want \"%s\", got \"%s\"", what, want, got);
	return false;
}

/* Runs one <test>; returns 1 pass, 0 fail, -1 not run. */
static int run_case(xmlNodePtr t, struct spif *const *spifs, size_t nspifs, char *why,
                    size_t whylen)
{
	char *label = attr(t, "label"), *lang = lang_of(t);
	char *valid = attr(t, "valid"), *marking = attr(t, "label-marking");
	char *exception = attr(t, "exception"), *encrypt = attr(t, "encrypt");
	char *encrypt_marking = attr(t, "encrypt-marking"), *clearance = attr(t, "clearance");
	char *clearance_marking = attr(t, "clearance-marking"), *acdf = attr(t, "acdf-result");
	char *path = path_in(label != NULL ? label : "");
	struct spif_label l, enc;
	struct spif_clearance clr;
	struct sluice_error err;
	int result = 1;

	memset(&l, 0, sizeof(l));
	memset(&enc, 0, sizeof(enc));
	memset(&clr, 0, sizeof(clr));
	if (label == NULL || ends_with(label, ".ber")) {
		snprintf(why, whylen, "BER labels are not read by Sluice (XML only)");
		result = -1;
		goto out;
	}
	const struct spif *spif = access(path, R_OK) == 0 ? spif_for_label(path, spifs, nspifs) : NULL;
	if (spif == NULL) {
		if (exception != NULL) {
			snprintf(why, whylen, "refused as expected (%s)", exception);
			goto out;
		}
		snprintf(why, whylen, "no SPIF of the sequence for %s", label);
		result = 0;
		goto out;
	}
	enum sluice_rc rc = spif_label_load_file(spif, path, &l, &err);
	if (exception != NULL) {
		if (rc == SLUICE_OK) {
			snprintf(why, whylen, "accepted; the table expects \"%s\"", exception);
			result = 0;
		}
		goto out;
	}
	if (valid != NULL && (strcmp(valid, "true") == 0) != (rc == SLUICE_OK)) {
		snprintf(why, whylen, "valid=%s, Sluice says %s%.300s", valid,
		         rc == SLUICE_OK ? "valid" : "invalid: ", rc == SLUICE_OK ? "" : err.message);
		result = 0;
		goto out;
	}
	if (rc != SLUICE_OK) {
		if (marking != NULL || encrypt != NULL || clearance != NULL) {
			snprintf(why, whylen, "label refused: %.300s [%s]", err.message, err.rule);
			result = 0;
		}
		goto out;
	}
	if (marking != NULL) {
		char *got = spif_label_marking(&l, lang, SPIF_LOC_PAGE_BOTTOM);
		bool ok = check_string("label-marking", marking, got, why, whylen);
		free(got);
		if (!ok) {
			result = 0;
			goto out;
		}
	}
	const struct spif_label *seen = &l;
	if (encrypt != NULL) {
		const struct spif *target = spif_by_id(encrypt, spifs, nspifs);
		if (target == NULL || spif_label_translate(&l, target, &enc, &err) != SLUICE_OK) {
			snprintf(why, whylen, "encrypt to %.100s: %.300s", encrypt,
			         target == NULL ? "policy not loaded" : err.message);
			result = 0;
			goto out;
		}
		seen = &enc;
		if (encrypt_marking != NULL) {
			char *got = spif_label_marking(&enc, lang, SPIF_LOC_PAGE_BOTTOM);
			bool ok = check_string("encrypt-marking", encrypt_marking, got, why, whylen);
			free(got);
			if (!ok) {
				result = 0;
				goto out;
			}
		}
	}
	if (clearance != NULL) {
		char *cpath = path_in(clearance);
		rc = spif_clearance_load_file(seen->spif, cpath, &clr, &err);
		free(cpath);
		if (rc != SLUICE_OK) {
			snprintf(why, whylen, "clearance refused: %.300s [%s]", err.message, err.rule);
			result = 0;
			goto out;
		}
		if (clearance_marking != NULL) {
			char *got = spif_clearance_marking(&clr, "");
			bool ok = check_string("clearance-marking", clearance_marking, got, why, whylen);
			free(got);
			if (!ok) {
				result = 0;
				goto out;
			}
		}
		if (acdf != NULL) {
			bool may = spif_access_check(seen, &clr, &err) == SLUICE_OK;
			if (may != (strcmp(acdf, "1") == 0)) {
				snprintf(why, whylen, "acdf-result %.8s, Sluice says %s%.300s", acdf,
				         may ? "may see" : "may not see: ", may ? "" : err.message);
				result = 0;
				goto out;
			}
		}
	}
out:
	spif_label_free(&l);
	spif_label_free(&enc);
	spif_clearance_free(&clr);
	free(label);
	free(lang);
	free(valid);
	free(marking);
	free(exception);
	free(encrypt);
	free(encrypt_marking);
	free(clearance);
	free(clearance_marking);
	free(acdf);
	free(path);
	return result;
}

static bool is_named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void run_sequence(xmlNodePtr seq, unsigned number, struct tally *nato, struct tally *other)
{
	struct spif *spifs[MAX_SPIFS];
	size_t nspifs = 0;
	bool is_nato = false, refused = false;
	struct sluice_error err;
	struct tally *t;
	char why[1024];

	for (xmlNodePtr p = seq->children; p != NULL; p = p->next) {
		if (!is_named(p, "policy"))
			continue;
		char *file = attr(p, "spif"), *exception = attr(p, "exception");
		char *path = path_in(file != NULL ? file : "");
		struct spif *s = NULL;
		enum sluice_rc rc = spif_load_file(path, &s, &err);
		if (exception != NULL)
			printf("%s policy %s: refused as the table expects (\"%s\"); Sluice: %s [%s]\n",
			       rc != SLUICE_OK ? "ok" : "FAIL", file, exception,
			       rc != SLUICE_OK ? err.message : "accepted", rc != SLUICE_OK ? err.rule : "");
		else if (rc != SLUICE_OK) {
			printf("-- policy %s: refused by Sluice: %s:%u: %s [%s]\n", file, err.file,
			       err.line, err.message, err.rule);
			refused = true;
		}
		if (rc == SLUICE_OK && nspifs < MAX_SPIFS) {
			is_nato = is_nato || strcmp(s->policy_id, NATO_POLICY_ID) == 0;
			spifs[nspifs++] = s;
		} else {
			spif_free(s);
		}
		free(file);
		free(exception);
		free(path);
	}
	t = is_nato ? nato : other;
	for (xmlNodePtr c = seq->children; c != NULL; c = c->next) {
		if (!is_named(c, "test"))
			continue;
		char *label = attr(c, "label"), *lang = lang_of(c);
		why[0] = '\0';
		int r = refused ? -1 : run_case(c, spifs, nspifs, why, sizeof(why));
		if (refused)
			snprintf(why, sizeof(why), "a SPIF of the sequence was refused");
		printf("%s sequence %u %s%s%s%s%s\n", r > 0 ? "ok" : r == 0 ? "FAIL" : "-- not run:",
		       number, label ? label : "?", lang[0] ? " xml:lang=" : "", lang, why[0] ? ": " : "",
		       why);
		if (r < 0) {
			t->not_run++;
		} else {
			t->total++;
			t->pass += (unsigned)(r > 0);
			if (is_nato && label != NULL && ends_with(label, ".nato")) {
				t->nato_files_total++;
				t->nato_files_pass += (unsigned)(r > 0);
			}
		}
		free(label);
		free(lang);
	}
	for (size_t i = 0; i < nspifs; i++)
		spif_free(spifs[i]);
}

int main(int argc, char **argv)
{
	static const struct xml_limits lim = { 1 << 20, 32, 100000 };
	struct tally nato = { 0, 0, 0, 0, 0 }, other = { 0, 0, 0, 0, 0 };
	struct sluice_error err;
	uint8_t *data = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR (the folder of spiffing's tests.xml)\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	char *table = path_in("tests.xml");
	if (access(table, R_OK) != 0) {
		printf("SKIP: %s is absent (the shared corpus is not beside this checkout)\n", table);
		free(table);
		return 77;
	}
	xml_intake_init();
	if (file_read_bounded(table, 1 << 20, SLUICE_ERR_INVALID_REPORT, &data, &len, &err) !=
	        SLUICE_OK ||
	    xml_intake_parse(data, len, &lim, &doc, &err) != SLUICE_OK) {
		printf("FAIL: cannot read %s: %s\n", table, err.message);
		free(data);
		free(table);
		return 1;
	}
	unsigned number = 0;
	for (xmlNodePtr s = xmlDocGetRootElement(doc)->children; s != NULL; s = s->next)
		if (is_named(s, "sequence"))
			run_sequence(s, ++number, &nato, &other);
	printf("%u of %u NATO cases pass (%u of %u with .nato ADatP-4774 labels; %u not run)\n",
	       nato.pass, nato.total, nato.nato_files_pass, nato.nato_files_total, nato.not_run);
	printf("%u of %u other cases pass (food, TLP, UK demo; %u not run: BER labels or a SPIF "
	       "Sluice refuses as malformed)\n",
	       other.pass, other.total, other.not_run);
	xmlFreeDoc(doc);
	free(data);
	free(table);
	return nato.total > 0 && nato.pass == nato.total ? 0 : 1;
}
