/*
 * libFuzzer target for ADatP-4774 labels and clearances (filters/stanag4774.c, clearance.c):
 * the bytes are a document read by the hardened intake; its label (an ADatP-4774 element, one
 * inside a binding, or the clearance format's <label>) is parsed, resolved against a fixed SPIF,
 * checked, displayed, mapped to the label model, access-checked against a fixed clearance and
 * translated to an equivalent policy; a <clearance> root is read as a clearance. Every failure
 * must be a report error (65) with a stanag4774.* rule, or a clearance.* policy error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "clearance.h"
#include "label.h"
#include "spif.h"
#include "stanag4774.h"
#include "xml_intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char spif_text[] =
	"<SPIF xmlns='http://www.xmlspif.org/spif' schemaVersion='2.1'>"
	"<securityPolicyId name='EXAMPLE' id='2.25.71001.1'/>"
	"<equivalentPolicies><equivalentPolicy name='OTHER' id='2.25.71002.1'/></equivalentPolicies>"
	"<securityClassifications>"
	"<securityClassification name='PUBLIC' lacv='1' hierarchy='1'>"
	"<equivalentClassification policyRef='OTHER' lacv='100' applied='both'/>"
	"<markingData xml:lang='fr' phrase='PUBLIQUE'><code>pageTopBottom</code></markingData>"
	"</securityClassification>"
	"<securityClassification name='SECRET' lacv='4' hierarchy='4'>"
	"<equivalentClassification policyRef='OTHER' lacv='100' applied='encrypt'/>"
	"<requiredCategory operation='oneOrMore'>"
	"<categoryGroup tagSetRef='Releasable To' tagType='enumerated' enumType='permissive'/>"
	"</requiredCategory></securityClassification>"
	"<securityClassification name='OLD' lacv='9' hierarchy='0' obsolete='true'/>"
	"</securityClassifications><securityCategoryTagSets>"
	"<securityCategoryTagSet name='Releasable To' id='2.25.71001.2.1'>"
	"<securityCategoryTag name='Releasable To' tagType='enumerated' enumType='permissive'>"
	"<tagCategory name='ALPHA' lacv='10'>"
	"<equivalentSecCategoryTag policyRef='OTHER' tagSetId='2.25.71002.2.1' tagType='permissive'"
	" lacv='1' applied='encrypt'/>"
	"<markingData phrase='Alphaland'><code>pageTopBottom</code></markingData></tagCategory>"
	"<tagCategory name='BRAVO' lacv='20'><excludedClass>SECRET</excludedClass></tagCategory>"
	"<markingQualifier><qualifier markingQualifier='REL TO ' qualifierCode='prefix'/>"
	"<qualifier markingQualifier=', ' qualifierCode='separator'/></markingQualifier>"
	"</securityCategoryTag></securityCategoryTagSet>"
	"<securityCategoryTagSet name='Special Handling' id='2.25.71001.2.2'>"
	"<securityCategoryTag name='SH' tagType='restrictive' singleSelection='true'>"
	"<tagCategory name='KEYSTONE' lacv='1'>"
	"<equivalentSecCategoryTag policyRef='OTHER' tagSetId='2.25.71002.2.1' tagType='permissive'"
	" lacv='' applied='encrypt' action='discard'/></tagCategory>"
	"<tagCategory name='LOCKBOX' lacv='2'><requiredCategory operation='all'>"
	"<categoryGroup tagSetRef='Special Handling' tagType='restrictive' lacv='1'/>"
	"</requiredCategory></tagCategory></securityCategoryTag>"
	"<securityCategoryTag name='Info' tagType='tagType7'>"
	"<tagCategory name='STAFF' lacv='1'><markingData phrase='CONTEXT'>"
	"<code>replacePolicy</code><code>noNameDisplay</code></markingData>"
	"<excludedCategory tagSetRef='Releasable To' tagType='enumerated' enumType='permissive'"
	" lacv='20'/></tagCategory></securityCategoryTag>"
	"</securityCategoryTagSet></securityCategoryTagSets></SPIF>";

static const char other_text[] =
	"<SPIF xmlns='http://www.xmlspif.org/spif' schemaVersion='2.1'>"
	"<securityPolicyId name='OTHER' id='2.25.71002.1'/><securityClassifications>"
	"<securityClassification name='OPEN' lacv='100' hierarchy='1'/></securityClassifications>"
	"<securityCategoryTagSets><securityCategoryTagSet name='Audience' id='2.25.71002.2.1'>"
	"<securityCategoryTag tagType='permissive'><tagCategory name='A' lacv='1'/>"
	"</securityCategoryTag></securityCategoryTagSet></securityCategoryTagSets></SPIF>";

static const char clearance_text[] =
	"<clearance xmlns='http://surevine.com/xmlns/spiffy'><policy id='2.25.71001.1'/>"
	"<classification lacv='1'/><tag type='enumeratedPermissive' id='2.25.71001.2.1' lacv='10'/>"
	"<tag type='restrictive' id='2.25.71001.2.2' lacv='1'/></clearance>";

static const struct xml_limits limits = { 1 << 20, 64, 50000 };
static struct spif *spif, *other;
static struct spif_clearance clearance;

static xmlDocPtr parse(const void *p, size_t n)
{
	xmlDocPtr doc = NULL;
	struct sluice_error err;
	if (xml_intake_parse(p, n, &limits, &doc, &err) != SLUICE_OK)
		return NULL;
	return doc;
}

static void init(void)
{
	struct sluice_error err;
	xml_intake_init();
	if (spif_load_buffer((const uint8_t *)spif_text, strlen(spif_text), "example", &spif, &err) !=
	        SLUICE_OK ||
	    spif_load_buffer((const uint8_t *)other_text, strlen(other_text), "other", &other, &err) !=
	        SLUICE_OK)
		abort();
	xmlDocPtr doc = parse(clearance_text, strlen(clearance_text));
	if (doc == NULL || clearance_parse(xmlDocGetRootElement(doc), spif, &clearance, &err) != SLUICE_OK)
		abort();
	xmlFreeDoc(doc);
}

static void bad_label(enum sluice_rc rc, const struct sluice_error *err)
{
	if (rc != SLUICE_ERR_INVALID_REPORT || strncmp(err->rule, "stanag4774.", 11) != 0)
		abort();
}

static void use_label(struct spif_label *l)
{
	struct sluice_error err;
	struct spif_label t;
	struct label model;
	enum sluice_rc rc = spif_label_check(l, &err);
	if (rc != SLUICE_OK) {
		bad_label(rc, &err);
		return;
	}
	free(spif_label_marking(l, "", SPIF_LOC_PAGE_BOTTOM));
	free(spif_label_marking(l, "fr", SPIF_LOC_PAGE_BOTTOM));
	spif_label_to_label(l, &model);
	if (model.level != (int)l->cls->level)
		abort();
	label_free(&model);
	rc = spif_access_check(l, &clearance, &err);
	if (rc != SLUICE_OK && rc != SLUICE_ERR_REFUSED)
		abort();
	rc = spif_label_translate(l, other, &t, &err);
	if (rc == SLUICE_OK) {
		free(spif_label_marking(&t, "", SPIF_LOC_PAGE_BOTTOM));
		spif_label_free(&t);
	} else {
		bad_label(rc, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct sluice_error err;
	struct spif_label l;
	struct s4774_label parsed;
	xmlNodePtr node = NULL;
	enum sluice_rc rc;

	if (!initialised) {
		init();
		initialised = 1;
	}
	xmlDocPtr doc = parse(data, size);
	if (doc == NULL)
		return 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (clearance_is_element(root)) {
		struct spif_clearance c;
		rc = clearance_parse(root, spif, &c, &err);
		if (rc == SLUICE_OK) {
			free(spif_clearance_marking(&c, ""));
			spif_clearance_free(&c);
		} else if (rc != SLUICE_ERR_POLICY || strncmp(err.rule, "clearance.", 10) != 0) {
			abort();
		}
	} else if (spiffy_label_is_element(root)) {
		rc = spiffy_label_parse(root, spif, &l, &err);
		if (rc == SLUICE_OK) {
			use_label(&l);
			spif_label_free(&l);
		} else {
			bad_label(rc, &err);
		}
	} else if ((rc = s4774_find_label(doc, &node, &err)) != SLUICE_OK) {
		bad_label(rc, &err);
	} else if ((rc = s4774_label_parse(node, 0, &parsed, &err)) != SLUICE_OK) {
		bad_label(rc, &err);
	} else {
		rc = s4774_label_resolve(&parsed, spif, &l, &err);
		s4774_label_free(&parsed);
		if (rc == SLUICE_OK) {
			use_label(&l);
			spif_label_free(&l);
		} else {
			bad_label(rc, &err);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}
