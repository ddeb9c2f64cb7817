#include "strset.h"

#include <stdlib.h>
#include <string.h>

#include "sluice_error.h"

void strset_free(struct strset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Index of `value`, or of where it would be inserted, with *found set. */
static size_t find(const struct strset *s, const char *value, bool *found)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid], value);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool strset_add(struct strset *s, const char *value)
{
	bool found;
	size_t at = find(s, value, &found);
	if (found)
		return false;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
	s->v[at] = xstrdup(value);
	s->n++;
	return true;
}

bool strset_contains(const struct strset *s, const char *value)
{
	bool found;
	(void)find(s, value, &found);
	return found;
}

void strset_copy(struct strset *dst, const struct strset *src)
{
	strset_free(dst);
	strset_union(dst, src);
}

void strset_union(struct strset *dst, const struct strset *src)
{
	for (size_t i = 0; i < src->n; i++)
		(void)strset_add(dst, src->v[i]);
}

void strset_intersect(struct strset *dst, const struct strset *src)
{
	size_t w = 0;
	for (size_t i = 0; i < dst->n; i++) {
		if (strset_contains(src, dst->v[i]))
			dst->v[w++] = dst->v[i];
		else
			free(dst->v[i]);
	}
	dst->n = w;
}

bool strset_subset(const struct strset *sub, const struct strset *super)
{
	for (size_t i = 0; i < sub->n; i++)
		if (!strset_contains(super, sub->v[i]))
			return false;
	return true;
}

bool strset_intersects(const struct strset *a, const struct strset *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (strset_contains(b, a->v[i]))
			return true;
	return false;
}

bool strset_equal(const struct strset *a, const struct strset *b)
{
	return a->n == b->n && strset_subset(a, b);
}

char *strset_join(const struct strset *s, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + seplen;
	char *out = xmalloc(len), *w = out;
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0) {
			memcpy(w, sep, seplen);
			w += seplen;
		}
		size_t l = strlen(s->v[i]);
		memcpy(w, s->v[i], l);
		w += l;
	}
	*w = '\0';
	return out;
}
