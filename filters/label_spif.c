/*
 * The file side of STANAG 4774 labels: reads a SPIF, a clearance and a label file and answers
 * `sluice label show --spif` and `sluice label check --spif --clearance`. Runs on the trusted
 * side (administration commands); every file goes through the hardened XML intake.
 */
#include "spif_files.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "clearance.h"
#include "fileio.h"
#include "xml_intake.h"

static const struct xml_limits label_limits = { SPIF_LABEL_MAX_BYTES, 64, 200000 };

/* Names `path` as the file of an error that names none. */
static enum sluice_rc in_file(enum sluice_rc rc, const char *path, struct sluice_error *err)
{
	if (rc != SLUICE_OK && err != NULL && err->file[0] == '\0')
		snprintf(err->file, sizeof(err->file), "%s", path);
	return rc;
}

static enum sluice_rc label_from_doc(const struct spif *spif, xmlDocPtr doc,
                                     struct spif_label *out, struct sluice_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), node = NULL;
	struct s4774_label parsed;
	enum sluice_rc rc;

	if (spiffy_label_is_element(root)) {
		rc = spiffy_label_parse(root, spif, out, err);
	} else {
		rc = s4774_find_label(doc, &node, err);
		if (rc != SLUICE_OK)
			return rc;
		rc = s4774_label_parse(node, 0, &parsed, err);
		if (rc != SLUICE_OK)
			return rc;
		rc = s4774_label_resolve(&parsed, spif, out, err);
		s4774_label_free(&parsed);
	}
	if (rc != SLUICE_OK)
		return rc;
	rc = spif_label_check(out, err);
	if (rc != SLUICE_OK)
		spif_label_free(out);
	return rc;
}

/* Reads `path` (at most `max` bytes) into a tree: a label with the rules of reports (65), a
 * clearance (`prefix` "clearance") with the intake's failures as policy errors (78). */
static enum sluice_rc read_tree(const char *path, size_t max, const char *prefix,
                                xmlDocPtr *doc, struct sluice_error *err)
{
	enum sluice_rc bad_rc = prefix != NULL ? SLUICE_ERR_POLICY : SLUICE_ERR_INVALID_REPORT;
	uint8_t *data = NULL;
	size_t len = 0;
	enum sluice_rc rc = file_read_bounded(path, max, bad_rc, &data, &len, err);
	if (rc == SLUICE_OK)
		rc = prefix != NULL ? spif_xml_parse(data, len, path, prefix, bad_rc, doc, err)
		                    : xml_intake_parse(data, len, &label_limits, doc, err);
	free(data);
	return rc;
}

enum sluice_rc spif_label_load_file(const struct spif *spif, const char *path,
                                    struct spif_label *out, struct sluice_error *err)
{
	xmlDocPtr doc = NULL;
	enum sluice_rc rc;

	memset(out, 0, sizeof(*out));
	rc = read_tree(path, SPIF_LABEL_MAX_BYTES, NULL, &doc, err);
	if (rc == SLUICE_OK)
		rc = label_from_doc(spif, doc, out, err);
	xmlFreeDoc(doc);
	return in_file(rc, path, err);
}

enum sluice_rc spif_clearance_load_file(const struct spif *spif, const char *path,
                                        struct spif_clearance *out, struct sluice_error *err)
{
	xmlDocPtr doc = NULL;
	enum sluice_rc rc;

	memset(out, 0, sizeof(*out));
	rc = read_tree(path, SPIF_CLEARANCE_MAX_BYTES, "clearance", &doc, err);
	if (rc == SLUICE_OK)
		rc = clearance_parse(xmlDocGetRootElement(doc), spif, out, err);
	xmlFreeDoc(doc);
	return in_file(rc, path, err);
}

int label_spif_show(const char *spif_path, const char *label_file, FILE *out,
                    struct sluice_error *err)
{
	struct spif *spif = NULL;
	struct spif_label label;
	enum sluice_rc rc;

	memset(&label, 0, sizeof(label));
	xml_intake_init();
	rc = spif_load_file(spif_path, &spif, err);
	if (rc == SLUICE_OK)
		rc = spif_label_load_file(spif, label_file, &label, err);
	if (rc == SLUICE_OK) {
		char *marking = spif_label_marking(&label, "", SPIF_LOC_PAGE_BOTTOM);
		if (fprintf(out, "%s\n", marking) < 0 || fflush(out) != 0)
			rc = sluice_fail(err, SLUICE_ERR_IO, "io.write", "cannot write the marking");
		free(marking);
	}
	spif_label_free(&label);
	spif_free(spif);
	return sluice_rc_exit_code(rc);
}

int label_spif_check(const char *spif_path, const char *clearance, const char *label_file,
                     struct sluice_error *err)
{
	struct spif *spif = NULL;
	struct spif_clearance clr;
	struct spif_label label;
	enum sluice_rc rc;

	memset(&clr, 0, sizeof(clr));
	memset(&label, 0, sizeof(label));
	xml_intake_init();
	rc = spif_load_file(spif_path, &spif, err);
	if (rc == SLUICE_OK)
		rc = spif_clearance_load_file(spif, clearance, &clr, err);
	if (rc == SLUICE_OK)
		rc = spif_label_load_file(spif, label_file, &label, err);
	if (rc == SLUICE_OK)
		rc = in_file(spif_access_check(&label, &clr, err), label_file, err);
	spif_label_free(&label);
	spif_clearance_free(&clr);
	spif_free(spif);
	return sluice_rc_exit_code(rc);
}
