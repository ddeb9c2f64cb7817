/*
 * IC-ISM marking strings (DES version 10, formats.md section 2): the banner line and the
 * portion mark of one element's ism attributes, the per-element rules of the ISM V10
 * Schematron that a marking must satisfy before it is rendered, and the roll-up rules between
 * a banner and its portions.
 *
 *   TS, USA, SCIcontrols="SI TK", disseminationControls="NF"
 *     banner  TOP SECRET//SI/TK//NOFORN            portion (TS//SI/TK//NF)
 *   TS, ownerProducer="NATO", nonUSControls="ATOMAL"
 *     banner  //COSMIC TOP SECRET//ATOMAL          portion (//CTS//ATOMAL)
 *
 * Pure functions over an element's attributes: no policy, no I/O. Declassification lines are
 * not part of a banner. Values are checked against the V10 controlled vocabularies (CVE
 * files) and their order; an invalid marking is refused with a stable rule and a message
 * naming the element, the attribute, the value and the ISM rule number (ISM-ID-NNNNN).
 */
#ifndef SLUICE_ISM_MARKING_H
#define SLUICE_ISM_MARKING_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "sluice_error.h"

#define ISM_NS "urn:us:gov:ic:ism"

/* The marking attributes of an element, in the order their parts appear in a marking. */
enum ism_field {
	ISM_CLASSIFICATION,   /* classification: U R C S TS */
	ISM_OWNER_PRODUCER,   /* ownerProducer: countries, organisations, FGI */
	ISM_NON_US_CONTROLS,  /* nonUSControls: ATOMAL BOHEMIA BALK (NATO only) */
	ISM_SCI_CONTROLS,     /* SCIcontrols */
	ISM_SAR_IDENTIFIER,   /* SARIdentifier */
	ISM_ATOMIC_ENERGY,    /* atomicEnergyMarkings */
	ISM_FGI_OPEN,         /* FGIsourceOpen */
	ISM_FGI_PROTECTED,    /* FGIsourceProtected */
	ISM_DISSEMINATION,    /* disseminationControls */
	ISM_RELEASABLE_TO,    /* releasableTo */
	ISM_DISPLAY_ONLY_TO,  /* displayOnlyTo */
	ISM_NON_IC,           /* nonICmarkings */
	ISM_FIELD_COUNT
};

/* The ism attribute name of a field, e.g. "SCIcontrols". */
const char *ism_field_attribute(enum ism_field f);

/* An NMTOKENS value split on XML whitespace, in attribute order. */
struct ism_tokens {
	char **v;
	size_t n;
};

/* Appends the tokens of `value` to `out`; returns how many were added. */
size_t ism_tokens_split(const char *value, struct ism_tokens *out);
void ism_tokens_free(struct ism_tokens *t);
/* Whether a token matches `pattern`: exact, or a prefix when the pattern ends in '*'. */
bool ism_tokens_match(const struct ism_tokens *t, const char *pattern);
/* Sorts `v` into the order of the field's controlled vocabulary (CVE file order; values the
 * vocabulary does not know go last). Stable: equal ranks keep their order. */
void ism_tokens_sort(enum ism_field f, const char **v, size_t n);

/* One element's marking. */
struct ism_attrs {
	const char *element;                 /* local name (points into the tree) */
	unsigned line;
	bool present[ISM_FIELD_COUNT];       /* the attribute was given (maybe empty) */
	struct ism_tokens f[ISM_FIELD_COUNT];
	bool has_authority;                  /* classifiedBy, derivedFrom, declass... (00016) */
	char *unknown_attribute;             /* the first ism attribute V10 does not define */
};

/* Reads the ism attributes of `n`. Never fails: ism_attrs_check judges what was read. */
void ism_attrs_read(xmlNodePtr n, struct ism_attrs *out);
void ism_attrs_free(struct ism_attrs *a);

/* Checks `a` against the V10 per-element rules (SLUICE_ERR_INVALID_REPORT, rule "ism.*",
 * err->line the element's line). `as_banner`: `a` is the resource element (rules about
 * portions only are skipped). `capco`: the resource element's ownerProducer holds USA
 * (ISM_CAPCO_RESOURCE), which brings the CAPCO rules: CVE order, US classifications, REL TO
 * starting with USA, exclusive and required controls, minimum classifications. */
enum sluice_rc ism_attrs_check(const struct ism_attrs *a, bool as_banner, bool capco,
                               struct sluice_error *err) SLUICE_MUST_CHECK;

enum ism_mark_style {
	ISM_MARK_BANNER,  /* "SECRET//NOFORN" */
	ISM_MARK_PORTION, /* "(S//NF)" */
	ISM_MARK_SHORT,   /* "S//NF": the portion mark without parentheses (receipt summaries) */
};

/* The marking string of `a`, as a new string. Never fails: values that were not checked are
 * written as they are, so check first when the marking comes from a report. */
char *ism_marking_string(const struct ism_attrs *a, enum ism_mark_style style);

/* Roll-up rules between the banner and one portion that contributes to it (formats.md 2.3):
 * classification at least the portion's; the portion's SCI controls, ORCON, IMCON, NOFORN,
 * PROPIN, RSEN, DSEN, FISA, RD, FRD, SIGMA, CNWDI, TFNI, LIMDIS, NODIS, EXDIS and FGI carried
 * by the banner; a banner REL TO only when the classified portion is REL TO at least those.
 * Both markings checked first (ism_attrs_check). Rule "ism.banner-not-dominating", err->line
 * the portion's line. */
enum sluice_rc ism_rollup_check(const struct ism_attrs *banner, const struct ism_attrs *portion,
                                bool capco, struct sluice_error *err) SLUICE_MUST_CHECK;

/* The marked elements of a document (SPEC section 3): the resource element and the portions
 * (every other element with an ism attribute), in document order. */
struct ism_elements {
	xmlNodePtr banner;     /* the element with ism:resourceElement="true" */
	xmlNodePtr *portions;
	int *parent;           /* per portion: index of the nearest enclosing portion, or -1 */
	size_t nportions;
};

/* Refuses (65) a document without a resource element, a malformed ism:resourceElement, a
 * second resource element and one inside a portion. */
enum sluice_rc ism_elements_find(xmlDocPtr doc, struct ism_elements *out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;
void ism_elements_free(struct ism_elements *e);

/* Every marking of an IC-ISM document, checked (each element, then the roll-up of the
 * contributing portions into the banner): the banner line, then one portion mark per line in
 * document order. New string, each line ending in '\n'. */
enum sluice_rc ism_document_markings(xmlDocPtr doc, char **text, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Small helpers shared with the ism profile. */
bool ism_attr_in_ns(xmlAttrPtr a);
bool ism_element_is_marked(xmlNodePtr n);                 /* carries any ism attribute */
char *ism_attr_get(xmlNodePtr n, const char *name);       /* new string, or NULL */
bool ism_attribute_known(const char *name);               /* defined by V10 (or carried) */
/* Whether `name` (no prefix) is an ism attribute holding a marking (not e.g. createDate or
 * classifiedBy), so that redaction leaves it alone. */
bool ism_attribute_is_marking(const xmlChar *name);
bool ism_country_code_known(const char *code);            /* CVEnumISMRelTo */

#endif
