#include "label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_error.h"

static const char *const ism_levels[] = { "U", "R", "C", "S", "TS" };
static const char *const tlp_levels[] = { "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED" };

static const struct classification_scheme schemes[] = {
	{ "ism", ism_levels, sizeof(ism_levels) / sizeof(ism_levels[0]) },
	{ "tlp", tlp_levels, sizeof(tlp_levels) / sizeof(tlp_levels[0]) },
};

const struct classification_scheme *classification_scheme_find(const char *profile)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcmp(schemes[i].profile, profile) == 0)
			return &schemes[i];
	return NULL;
}

int classification_level(const struct classification_scheme *scheme, const char *name)
{
	for (size_t i = 0; i < scheme->count; i++)
		if (strcmp(scheme->names[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *level_name(const struct classification_scheme *scheme, int level)
{
	if (scheme == NULL || level < 0 || (size_t)level >= scheme->count)
		return "?";
	return scheme->names[level];
}

static const char *type_name(enum category_type t)
{
	switch (t) {
	case CATEGORY_RESTRICTIVE: return "RESTRICTIVE";
	case CATEGORY_PERMISSIVE: return "PERMISSIVE";
	case CATEGORY_INFORMATIVE: return "INFORMATIVE";
	}
	return "?";
}

void label_init(struct label *l, const char *policy_id, int level)
{
	memset(l, 0, sizeof(*l));
	l->policy_id = xstrdup(policy_id ? policy_id : "");
	l->level = level;
}

void label_free(struct label *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->ncategories; i++) {
		free(l->categories[i].tag);
		strset_free(&l->categories[i].values);
	}
	free(l->categories);
	free(l->policy_id);
	memset(l, 0, sizeof(*l));
}

static struct label_category *category_get(struct label *l, const char *tag,
                                           enum category_type type, int create)
{
	for (size_t i = 0; i < l->ncategories; i++)
		if (l->categories[i].type == type && strcmp(l->categories[i].tag, tag) == 0)
			return &l->categories[i];
	if (!create)
		return NULL;
	l->categories = xrealloc(l->categories, (l->ncategories + 1) * sizeof(*l->categories));
	struct label_category *c = &l->categories[l->ncategories++];
	memset(c, 0, sizeof(*c));
	c->tag = xstrdup(tag);
	c->type = type;
	return c;
}

const struct label_category *label_category_find(const struct label *l, const char *tag,
                                                 enum category_type type)
{
	return category_get((struct label *)l, tag, type, 0);
}

void label_add_value(struct label *l, const char *tag, enum category_type type,
                     const char *value)
{
	struct label_category *c = category_get(l, tag, type, 1);
	(void)strset_add(&c->values, value);
}

void label_copy(struct label *dst, const struct label *src)
{
	label_init(dst, src->policy_id, src->level);
	for (size_t i = 0; i < src->ncategories; i++) {
		const struct label_category *c = &src->categories[i];
		struct label_category *d = category_get(dst, c->tag, c->type, 1);
		strset_union(&d->values, &c->values);
	}
}

bool label_access_check(const struct label *l, const struct classification_scheme *scheme,
                        int clearance, const struct strset *holds, char *why, size_t whylen)
{
	if (l->level > clearance) {
		snprintf(why, whylen, "classification %s above clearance %s",
		         level_name(scheme, l->level), level_name(scheme, clearance));
		return false;
	}
	for (size_t i = 0; i < l->ncategories; i++) {
		const struct label_category *c = &l->categories[i];
		if (c->type == CATEGORY_RESTRICTIVE) {
			for (size_t k = 0; k < c->values.n; k++) {
				if (!strset_contains(holds, c->values.v[k])) {
					snprintf(why, whylen, "%s requires %s, not held", c->tag,
					         c->values.v[k]);
					return false;
				}
			}
		} else if (c->type == CATEGORY_PERMISSIVE) {
			if (!strset_intersects(&c->values, holds)) {
				char *vals = strset_join(&c->values, " ");
				snprintf(why, whylen, "%s %s: none held", c->tag,
				         vals[0] ? vals : "(nobody)");
				free(vals);
				return false;
			}
		}
	}
	return true;
}

void label_rollup(struct label *out, const char *policy_id, const struct label *const *in,
                  size_t n)
{
	label_init(out, policy_id, 0);
	for (size_t i = 0; i < n; i++) {
		const struct label *l = in[i];
		if (l->level > out->level)
			out->level = l->level;
		for (size_t k = 0; k < l->ncategories; k++) {
			const struct label_category *c = &l->categories[k];
			struct label_category *d = category_get(out, c->tag, c->type, 0);
			if (c->type == CATEGORY_PERMISSIVE) {
				/* intersection over the labels that carry the tag */
				if (d == NULL) {
					d = category_get(out, c->tag, c->type, 1);
					strset_union(&d->values, &c->values);
				} else {
					strset_intersect(&d->values, &c->values);
				}
			} else {
				if (d == NULL)
					d = category_get(out, c->tag, c->type, 1);
				strset_union(&d->values, &c->values);
			}
		}
	}
}

bool label_dominates(const struct label *a, const struct label *b,
                     const struct classification_scheme *scheme, char *why, size_t whylen)
{
	if (a->level < b->level) {
		snprintf(why, whylen, "classification %s is below %s", level_name(scheme, a->level),
		         level_name(scheme, b->level));
		return false;
	}
	for (size_t i = 0; i < b->ncategories; i++) {
		const struct label_category *cb = &b->categories[i];
		const struct label_category *ca = label_category_find(a, cb->tag, cb->type);
		if (cb->type == CATEGORY_RESTRICTIVE) {
			for (size_t k = 0; k < cb->values.n; k++) {
				if (ca == NULL || !strset_contains(&ca->values, cb->values.v[k])) {
					snprintf(why, whylen, "%s %s %s is missing", type_name(cb->type),
					         cb->tag, cb->values.v[k]);
					return false;
				}
			}
		} else if (cb->type == CATEGORY_PERMISSIVE) {
			if (ca == NULL) {
				snprintf(why, whylen, "PERMISSIVE %s is missing (a portion restricts it)",
				         cb->tag);
				return false;
			}
			for (size_t k = 0; k < ca->values.n; k++) {
				if (!strset_contains(&cb->values, ca->values.v[k])) {
					snprintf(why, whylen, "PERMISSIVE %s %s is wider than a portion allows",
					         cb->tag, ca->values.v[k]);
					return false;
				}
			}
		}
	}
	return true;
}
