/*
 * ADatP-4774 confidentiality labels (namespace urn:nato:stanag:4774:confidentialitymetadatalabel:
 * 1:0): parsing a label element, resolving it against a SPIF (spif.h), checking it against the
 * SPIF's rules, its display marking, the access check against a clearance, and the mapping onto
 * the label model of SPEC section 2 (label.h). docs/LABELS.md is the user's view.
 *
 * Labels come from reports: every failure here is SLUICE_ERR_INVALID_REPORT (exit 65) with a
 * stanag4774.* rule and a message naming the offending value; a refused access is
 * SLUICE_ERR_REFUSED (exit 1). Nothing here opens files.
 */
#ifndef SLUICE_STANAG4774_H
#define SLUICE_STANAG4774_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "label.h"
#include "sluice_error.h"
#include "spif.h"

#define S4774_NAMESPACE "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"

enum s4774_kind {
	S4774_ORIGINATOR,  /* originatorConfidentialityLabel */
	S4774_ALTERNATIVE, /* alternativeConfidentialityLabel: the label in an equivalent policy */
	S4774_LEGACY,      /* ConfidentialityLabel, "for backwards compatibility only" */
};

/* Deviations from ADatP-4774 seen in real labels, accepted unless S4774_STRICT is given. */
enum {
	S4774_DEV_URL_ATTRIBUTE = 1u << 0,  /* PolicyIdentifier URL= (a misspelt URI=) */
	S4774_DEV_NO_CREATION_TIME = 1u << 1, /* no CreationDateTime (the XSD requires it) */
	S4774_DEV_NO_REVIEW_TIME = 1u << 2, /* neither ReviewDateTime nor SuccessionHandling */
};

/* At most this many Category elements and values in one label (stanag4774.too-many): a label
 * lists a few tags, and at most every country of a releasability tag. */
#define S4774_MAX_CATEGORIES 256
#define S4774_MAX_VALUES 4096

/* Parse flags. */
enum { S4774_STRICT = 1u << 0 };

struct s4774_category {
	char *tag_name;
	enum category_type type;
	char *uri;     /* URI attribute or NULL */
	char **values; /* GenericValue texts, in document order */
	size_t nvalues;
	unsigned line;
};

/* A label as written, before it is checked against a SPIF. */
struct s4774_label {
	enum s4774_kind kind;
	char *policy;         /* PolicyIdentifier text */
	char *policy_uri;     /* its URI (or URL) attribute, or NULL */
	char *classification;
	char *privacy_mark;   /* or NULL */
	struct s4774_category *cats;
	size_t ncats;
	char *creation_time;  /* or NULL */
	char *review_time;    /* or NULL */
	unsigned deviations;  /* S4774_DEV_* */
	unsigned line;
};

/* True when `node` is a label element (any of the three kinds) in the ADatP-4774 namespace. */
bool s4774_is_label_element(xmlNodePtr node);

/* The label of a document: its root when that is a label element, else the only
 * originatorConfidentialityLabel (or ConfidentialityLabel, or alternativeConfidentialityLabel)
 * inside it, e.g. in an ADatP-4778 binding. stanag4774.no-label / stanag4774.several-labels. */
enum sluice_rc s4774_find_label(xmlDocPtr doc, xmlNodePtr *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Reads the label element `node`. On failure nothing is left to free. */
enum sluice_rc s4774_label_parse(xmlNodePtr node, unsigned flags, struct s4774_label *out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;
void s4774_label_free(struct s4774_label *label);

/* A label resolved against its SPIF: the policy is the SPIF's, the classification and every
 * category are the SPIF's own (categories in SPIF order, each once). Shared by ADatP-4774
 * labels and the clearance-format labels of clearance.h. Owns only `cats`. */
struct spif_label {
	const struct spif *spif;
	const struct spif_classification *cls;
	const struct spif_category **cats;
	size_t ncats;
	unsigned line; /* of the label element, for messages (0 when unknown) */
};

/* A clearance: the classifications it may see (by level) and the categories it holds. */
struct spif_clearance {
	const struct spif *spif;
	bool *levels; /* spif->nclasses entries */
	const struct spif_category **cats;
	size_t ncats;
};

/* Unknown policy, classification, tag or value (stanag4774.unknown-*), a URI that contradicts
 * the SPIF, a category written twice. */
enum sluice_rc s4774_label_resolve(const struct s4774_label *in, const struct spif *spif,
                                   struct spif_label *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Adds `cat` (kept in SPIF order, once). */
void spif_label_add(struct spif_label *l, const struct spif_category *cat);
void spif_label_free(struct spif_label *l);
void spif_clearance_free(struct spif_clearance *c);

/* The SPIF's rules: obsolete values, excludedClass, requiredClass, excludedCategory,
 * requiredCategory (classification's and categories'), single/min/max selection. */
enum sluice_rc spif_label_check(const struct spif_label *l, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* The display marking as the SPIF's markingData and markingQualifier say, for language `lang`
 * (xml:lang, "" for the default; "fr-CA" falls back to "fr", then to the default) at location
 * `loc` (SPIF_LOC_*, SPIF_LOC_PAGE_BOTTOM for a banner line). New string. */
char *spif_label_marking(const struct spif_label *l, const char *lang, unsigned loc);

/* The clearance as text: "{CLASS|CLASS} categories...". New string. */
char *spif_clearance_marking(const struct spif_clearance *c, const char *lang);

/* The access decision: SLUICE_OK when the clearance may see the label, SLUICE_ERR_REFUSED with
 * stanag4774.access-classification, -restrictive or -permissive naming what is missing. */
enum sluice_rc spif_access_check(const struct spif_label *l, const struct spif_clearance *c,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* The label in the model of SPEC section 2: policy = the SPIF's policy name, level = the
 * classification's rank in spif->scheme, categories = tag set name, label type, value names.
 * `out` is initialised here. */
void spif_label_to_label(const struct spif_label *l, struct label *out);

/* Maps `in` onto the equivalent policy of SPIF `target` through the equivalences `in`'s SPIF
 * declares (equivalentClassification, equivalentSecCategoryTag, the required categories of
 * equivalentPolicy and equivalentClassification), "encrypt" direction. stanag4774.no-equivalent
 * when the target is not an equivalent policy or a value has no equivalent. */
enum sluice_rc spif_label_translate(const struct spif_label *in, const struct spif *target,
                                    struct spif_label *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
