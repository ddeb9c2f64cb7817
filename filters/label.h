/*
 * The label model of SPEC section 2 (the STANAG 4774 model): a policy identifier, one
 * classification from an ordered list, and categories, each a tag, a type and a set of values.
 * Pure functions on memory: no I/O, no XML. Every marking profile maps its syntax onto this.
 */
#ifndef SLUICE_LABEL_H
#define SLUICE_LABEL_H

#include <stdbool.h>
#include <stddef.h>

#include "strset.h"

enum category_type {
	CATEGORY_RESTRICTIVE, /* the recipient must hold every value */
	CATEGORY_PERMISSIVE,  /* the recipient must hold at least one value */
	CATEGORY_INFORMATIVE, /* no access effect */
};

/* The ordered classification list of a marking profile, lowest first. */
struct classification_scheme {
	const char *profile;
	const char *const *names;
	size_t count;
};

struct label_category {
	char *tag;
	enum category_type type;
	struct strset values;
};

struct label {
	char *policy_id;
	int level; /* index into the scheme's names */
	struct label_category *categories;
	size_t ncategories;
};

/* The scheme of a profile ("ism"), or NULL when the profile is unknown. */
const struct classification_scheme *classification_scheme_find(const char *profile);
/* Index of `name` in the scheme, or -1 when it is not one of its classifications. */
int classification_level(const struct classification_scheme *scheme, const char *name);

void label_init(struct label *l, const char *policy_id, int level);
void label_free(struct label *l);
void label_copy(struct label *dst, const struct label *src);
const struct label_category *label_category_find(const struct label *l, const char *tag,
                                                 enum category_type type);
/* Adds `value` to the category (created on first use). */
void label_add_value(struct label *l, const char *tag, enum category_type type,
                     const char *value);

/* SPEC section 2 access check: level <= clearance, every RESTRICTIVE value held, at least one
 * value of each PERMISSIVE category held. On refusal, `why` names the first failing rule
 * (classification names come from `scheme`). */
bool label_access_check(const struct label *l, const struct classification_scheme *scheme,
                        int clearance, const struct strset *holds, char *why, size_t whylen);

/* Roll-up of SPEC section 2: classification = highest; RESTRICTIVE = union; PERMISSIVE =
 * intersection per tag over the labels that carry the tag; INFORMATIVE = union. `out` is
 * initialised here. With n == 0 the result is the lowest level and no categories. */
void label_rollup(struct label *out, const char *policy_id, const struct label *const *in,
                  size_t n);

/* True when `a` is at least as restrictive as `b`: level(a) >= level(b), RESTRICTIVE(a) holds
 * every RESTRICTIVE value of b, and for every PERMISSIVE tag of b, a carries that tag with a
 * subset of b's values. On false, `why` names the first difference. */
bool label_dominates(const struct label *a, const struct label *b,
                     const struct classification_scheme *scheme, char *why, size_t whylen);

#endif
