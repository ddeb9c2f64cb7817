/*
 * A small set of strings kept sorted and unique (labels' category values, a domain's holds,
 * caveat requirements). Sets are tiny (a few dozen values), so a sorted array is enough.
 */
#ifndef SLUICE_STRSET_H
#define SLUICE_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **v;
	size_t n;
	size_t cap;
};

#define STRSET_INIT { NULL, 0, 0 }

void strset_free(struct strset *s);
/* Adds a copy; returns true when it was not there yet. */
bool strset_add(struct strset *s, const char *value);
bool strset_contains(const struct strset *s, const char *value);
void strset_copy(struct strset *dst, const struct strset *src);
void strset_union(struct strset *dst, const struct strset *src);
/* dst := dst ∩ src */
void strset_intersect(struct strset *dst, const struct strset *src);
/* true when every value of `sub` is in `super` */
bool strset_subset(const struct strset *sub, const struct strset *super);
bool strset_intersects(const struct strset *a, const struct strset *b);
bool strset_equal(const struct strset *a, const struct strset *b);
/* Joins with `sep` into a new string ("" for an empty set). */
char *strset_join(const struct strset *s, const char *sep);

#endif
