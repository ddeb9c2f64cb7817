/*
 * The Open XML SPIF 2.1 model (namespace http://www.xmlspif.org/spif): the Security Policy
 * Information File that makes STANAG 4774 labels checkable and displayable. See
 * docs/LABELS.md for what is read, what is refused and why.
 *
 * A SPIF is administrator input: it goes through the hardened XML intake (no DTD, no entities,
 * no network, size/depth/node limits) and every breach of the SPIF rules is SLUICE_ERR_POLICY
 * (exit 78) with file:line and a `spif.*` rule. Once loaded, the model does not change; every
 * pointer in it points into the same `struct spif` and lives as long as it.
 *
 * Names (policy, classifications, tag sets, categories) are compared ASCII-case-insensitively,
 * as ADatP-4774 requires for the NATO policy; a SPIF whose names collide that way is refused.
 */
#ifndef SLUICE_SPIF_H
#define SLUICE_SPIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "label.h"
#include "sluice_error.h"

#define SPIF_NAMESPACE "http://www.xmlspif.org/spif"

/* The kinds of securityCategoryTag. The label Type of ADatP-4774.1 Table 10 is
 * spif_tag_label_type(): restrictive and enumerated restrictive are RESTRICTIVE, permissive and
 * enumerated permissive PERMISSIVE, tagType7 INFORMATIVE. */
enum spif_tag_type {
	SPIF_TAG_RESTRICTIVE,
	SPIF_TAG_PERMISSIVE,
	SPIF_TAG_ENUM_RESTRICTIVE,
	SPIF_TAG_ENUM_PERMISSIVE,
	SPIF_TAG_INFORMATIVE,
};

/* markingData codes: where a phrase is displayed (locations) and how. A markingData without a
 * location code applies at the bottom of the page, as in the reference implementation. */
enum spif_code {
	SPIF_LOC_PAGE_TOP = 1u << 0,
	SPIF_LOC_PAGE_BOTTOM = 1u << 1,
	SPIF_LOC_DOCUMENT_START = 1u << 2,
	SPIF_LOC_DOCUMENT_END = 1u << 3,
	SPIF_LOC_FIRST_LINE = 1u << 4,
	SPIF_LOC_LAST_LINE = 1u << 5,
	SPIF_LOC_SUBJECT = 1u << 6,
	SPIF_LOC_X_HEADER = 1u << 7,
	SPIF_LOC_PORTION = 1u << 8,
	SPIF_LOC_INPUT_TITLE = 1u << 9,
	SPIF_LOC_WATERMARK = 1u << 10,
	SPIF_CODE_NO_NAME_DISPLAY = 1u << 16,
	SPIF_CODE_NO_MARKING_DISPLAY = 1u << 17,
	SPIF_CODE_SUPPRESS_CLASS_NAME = 1u << 18,
	SPIF_CODE_REPLACE_POLICY = 1u << 19,
};
#define SPIF_LOC_ALL 0x7ffu

struct spif_marking_data {
	char *lang;   /* xml:lang, "" when none */
	char *phrase; /* NULL when the phrase attribute is absent (the name is displayed) */
	unsigned codes;
};

enum spif_qualifier_code { SPIF_QUAL_PREFIX, SPIF_QUAL_SUFFIX, SPIF_QUAL_SEPARATOR };

struct spif_qualifier {
	char *lang; /* "" when none */
	enum spif_qualifier_code code;
	char *text;
};

/* The markingData and markingQualifier elements of one holder, in document order. */
struct spif_markings {
	struct spif_marking_data *data;
	size_t ndata;
	struct spif_qualifier *quals;
	size_t nquals;
};

enum spif_operation { SPIF_OP_ONLY_ONE, SPIF_OP_ONE_OR_MORE, SPIF_OP_ALL };

/* categoryGroup / excludedCategory (optionalCategoryData): categories of a tag set, of one tag
 * type, one lacv or all of them. Inside this policy's rules `set` is resolved at load time;
 * inside equivalence rules the tag set belongs to the other policy and `set` is NULL. */
struct spif_category_ref {
	char *tag_set; /* tagSetRef: the tag set's name */
	enum spif_tag_type type;
	char *lacv;    /* NULL: any category of that tag set and type */
	const struct spif_tag_set *set;
	unsigned line;
};

/* requiredCategory: `op` over the refs (onlyOne, oneOrMore, all). */
struct spif_category_group {
	enum spif_operation op;
	struct spif_category_ref *refs;
	size_t nrefs;
	unsigned line;
};

enum { SPIF_APPLIED_ENCRYPT = 1, SPIF_APPLIED_DECRYPT = 2 };

/* equivalentPolicy: another policy this SPIF maps labels to; `required` are categories (of that
 * policy) every label mapped to it gains. */
struct spif_equiv_policy {
	char *name;
	char *id;
	struct spif_category_group *required;
	size_t nrequired;
	unsigned line;
};

/* equivalentClassification: this classification is `lacv` in `policy`. */
struct spif_equiv_class {
	const struct spif_equiv_policy *policy;
	char *lacv;
	unsigned applied; /* SPIF_APPLIED_* bits */
	struct spif_category_group *required; /* categories of `policy` the mapped label gains */
	size_t nrequired;
	unsigned line;
};

/* equivalentSecCategoryTag: this category is (tag_set_id, type, lacv) in `policy`, or is
 * dropped there (action="discard"). */
struct spif_equiv_category {
	const struct spif_equiv_policy *policy;
	char *tag_set_id;
	enum spif_tag_type type;
	char *lacv;
	unsigned applied;
	bool discard;
	unsigned line;
};

/* equivalentSecurityCategoryTagSet (SPIF 2.0): a tag set of `policy` this one corresponds to. */
struct spif_equiv_tag_set {
	const struct spif_equiv_policy *policy;
	char *name; /* may be NULL */
	char *id;   /* may be NULL */
	struct spif_category_group *required;
	size_t nrequired;
	unsigned line;
};

struct spif_classification {
	char *name;
	char *lacv;             /* an integer (lacvInt) */
	unsigned long hierarchy;
	size_t level;           /* rank by hierarchy, 0 = lowest: the label model's level */
	bool obsolete;
	char *color;            /* may be NULL */
	struct spif_markings markings;
	struct spif_category_group *required; /* requiredCategory */
	size_t nrequired;
	struct spif_equiv_class *equivs;
	size_t nequivs;
	unsigned line;
};

struct spif_tag;
struct spif_tag_set;

struct spif_category {
	char *name;             /* the ADatP-4774 GenericValue */
	char *lacv;
	bool obsolete;
	size_t ordinal;         /* document order over the whole SPIF: display order */
	const struct spif_tag *tag;
	struct spif_markings markings;
	const struct spif_classification **excluded_classes; /* excludedClass */
	size_t nexcluded_classes;
	const struct spif_classification *required_class;    /* requiredClass attribute, or NULL */
	struct spif_category_ref *excluded;                  /* excludedCategory */
	size_t nexcluded;
	struct spif_category_group *required;                /* requiredCategory */
	size_t nrequired;
	struct spif_equiv_category *equivs;
	size_t nequivs;
	unsigned line;
};

struct spif_tag {
	char *name;             /* may be "" (the attribute is optional) */
	enum spif_tag_type type;
	bool single_selection;
	long min_selection;     /* -1: unbounded */
	long max_selection;     /* -1: unbounded */
	const struct spif_tag_set *set;
	struct spif_category *cats;
	size_t ncats;
	struct spif_markings markings; /* markingQualifier only */
	unsigned line;
};

struct spif_tag_set {
	char *name;             /* the ADatP-4774 TagName */
	char *id;               /* an OID; the label's Category URI is urn:oid:<id> */
	struct spif_tag *tags;
	size_t ntags;
	struct spif_equiv_tag_set *equivs;
	size_t nequivs;
	unsigned line;
};

struct spif {
	char *source;           /* the file name errors use */
	char *schema_version;   /* 1.0, 2.0 or 2.1 */
	char *version;          /* the SPIF's own version attribute, or NULL */
	char *policy_name;      /* securityPolicyId@name: the label's PolicyIdentifier */
	char *policy_id;        /* securityPolicyId@id: an OID (urn:oid:<id>) */
	char *default_policy_name; /* defaultSecurityPolicyId, or NULL */
	char *default_policy_id;
	struct spif_markings markings;       /* SPIF and securityPolicyId level */
	struct spif_markings class_markings; /* securityClassifications level */
	struct spif_classification *classes; /* document order */
	size_t nclasses;
	const struct spif_classification **by_level; /* lowest first */
	struct spif_tag_set *tag_sets;
	size_t ntag_sets;
	const struct spif_category **by_ordinal;
	size_t ncategories;
	struct spif_equiv_policy *equiv_policies;
	size_t nequiv_policies;
	/* The classification list as the label model (filters/label.h) sees it. */
	struct classification_scheme scheme;
	const char **level_names;
};

/* Reads and loads a SPIF file. SLUICE_ERR_IO (spif.read) when it cannot be read,
 * SLUICE_ERR_POLICY with file:line and a spif.* rule for everything else. */
enum sluice_rc spif_load_file(const char *path, struct spif **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* The same on bytes in memory; `name` is used in errors. (The fuzz target's entry.) */
enum sluice_rc spif_load_buffer(const uint8_t *data, size_t len, const char *name,
                                struct spif **out, struct sluice_error *err) SLUICE_MUST_CHECK;

void spif_free(struct spif *spif);

/* The hardened XML intake for administrator files that come with a SPIF (the SPIF itself,
 * clearances): its failures become `bad_rc` with the rule `prefix`.<the intake's rule without
 * its own prefix> (spif.doctype, clearance.not-well-formed, ...) and `name` as the file. */
enum sluice_rc spif_xml_parse(const uint8_t *data, size_t len, const char *name,
                              const char *prefix, enum sluice_rc bad_rc, xmlDocPtr *doc,
                              struct sluice_error *err) SLUICE_MUST_CHECK;

/* The largest SPIF accepted (the NATO SPIF is 87 KB: 5 classifications, 5 tag sets, 205
 * categories), and how many of each part: far above real policies, low enough that checking
 * names for duplicates stays cheap (spif.too-many). */
#define SPIF_MAX_BYTES (16u << 20)
#define SPIF_MAX_CLASSES 256
#define SPIF_MAX_TAG_SETS 1024
#define SPIF_MAX_CATEGORIES 10000
#define SPIF_MAX_EQUIV_POLICIES 256
#define SPIF_MAX_PER_HOLDER 256 /* markingData, qualifiers, requiredCategory of one element */

enum category_type spif_tag_label_type(enum spif_tag_type type);
/* "restrictive", "permissive", "enumeratedRestrictive", "enumeratedPermissive", "informative"
 * (the spellings of the clearance format). */
const char *spif_tag_type_name(enum spif_tag_type type);
/* "RESTRICTIVE", "PERMISSIVE", "INFORMATIVE". */
const char *spif_label_type_name(enum category_type type);

/* lacv equality: numerically when both are decimal ("004" is 4), else byte for byte. */
bool spif_lacv_equal(const char *a, const char *b);

/* Lookups; NULL when there is none. Names are compared case-insensitively. */
const struct spif_classification *spif_class_by_name(const struct spif *spif, const char *name);
const struct spif_classification *spif_class_by_lacv(const struct spif *spif, const char *lacv);
const struct spif_tag_set *spif_tag_set_by_name(const struct spif *spif, const char *name);
const struct spif_tag_set *spif_tag_set_by_id(const struct spif *spif, const char *id);
/* The category named `value` among the tags of `set` whose label type is `type`. */
const struct spif_category *spif_category_by_name(const struct spif_tag_set *set,
                                                  enum category_type type, const char *value);
/* The category with `lacv` among the tags of `set` of SPIF tag type `type`. */
const struct spif_category *spif_category_by_lacv(const struct spif_tag_set *set,
                                                  enum spif_tag_type type, const char *lacv);
/* Does the tag set have a tag of label type `type`? */
bool spif_tag_set_has_type(const struct spif_tag_set *set, enum category_type type);
/* The equivalent policy named or identified by `name_or_id`, or NULL. */
const struct spif_equiv_policy *spif_equiv_policy_find(const struct spif *spif,
                                                       const char *name_or_id);

/* Does `category` match `ref` (tag set, tag type, lacv or any)? */
bool spif_category_ref_matches(const struct spif_category_ref *ref,
                               const struct spif_category *category);

#endif
