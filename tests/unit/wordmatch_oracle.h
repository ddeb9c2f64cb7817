/*
 * The dirty-word oracle shared by tests/unit/test_wordmatch.c and fuzz/fuzz_wordmatch.c: each
 * word as its own caseless whole-word PCRE2 regex (what the redactor compiled before the
 * automaton), tried at every character; the longest match at the leftmost start, then on after
 * it. Slow and obviously right; never used outside tests.
 */
#ifndef SLUICE_WORDMATCH_ORACLE_H
#define SLUICE_WORDMATCH_ORACLE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "wordmatch.h"

#define ORACLE_MAX_SPANS 512

struct spanlist {
	size_t s[ORACLE_MAX_SPANS], e[ORACLE_MAX_SPANS];
	size_t n;
};

static pcre2_code *re(const char *p, uint32_t opt)
{
	int e;
	PCRE2_SIZE eo;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED,
	                              PCRE2_UTF | PCRE2_UCP | opt, &e, &eo, NULL);
	if (c == NULL)
		abort();
	return c;
}

/* The oracle: each word as its own caseless whole-word regex, tried at every character; the
 * longest match at the leftmost start, then on after it. */
static void oracle(const char *const *words, size_t nw, const char *text, struct spanlist *out)
{
	pcre2_code *codes[16];

	if (nw > 16)
		abort();
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	size_t len = strlen(text), next = 0, nc = 0;

	for (size_t w = 0; w < nw; w++) {
		char pat[8192];
		size_t k = (size_t)snprintf(pat, sizeof(pat), "(?<![\\p{L}\\p{M}\\p{N}_])");
		const unsigned char *u = (const unsigned char *)words[w];
		bool any = false, space = false;
		for (size_t i = 0; u[i];) {
			uint32_t cp = u[i];
			size_t l = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
			if (l == 2)
				cp = ((cp & 0x1F) << 6) | (u[i + 1] & 0x3F);
			else if (l == 3)
				cp = ((cp & 0x0F) << 12) | ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3F);
			else if (l == 4)
				cp = ((cp & 0x07) << 18) | ((u[i + 1] & 0x3Fu) << 12) |
				     ((u[i + 2] & 0x3Fu) << 6) | (u[i + 3] & 0x3F);
			i += l;
			if (wordmatch_is_space(cp)) {
				space = any;
				continue;
			}
			if (space)
				k += (size_t)snprintf(pat + k, sizeof(pat) - k, "\\s++");
			space = false;
			any = true;
			k += (size_t)snprintf(pat + k, sizeof(pat) - k, "\\x{%x}", (unsigned)cp);
		}
		if (!any)
			continue;
		snprintf(pat + k, sizeof(pat) - k, "(?![\\p{L}\\p{M}\\p{N}_])");
		codes[nc++] = re(pat, PCRE2_CASELESS);
	}
	out->n = 0;
	for (size_t p = 0; p < len; p++) {
		if (((unsigned char)text[p] & 0xC0) == 0x80 || p < next)
			continue;
		size_t best = p;
		for (size_t c = 0; c < nc; c++)
			if (pcre2_match(codes[c], (PCRE2_SPTR)text, len, p, PCRE2_ANCHORED, md, NULL) >=
			    0) {
				size_t e = pcre2_get_ovector_pointer(md)[1];
				if (e > best)
					best = e;
			}
		if (best > p) {
			if (out->n == ORACLE_MAX_SPANS)
				break;
			out->s[out->n] = p;
			out->e[out->n++] = best;
			next = best;
		}
	}
	for (size_t c = 0; c < nc; c++)
		pcre2_code_free(codes[c]);
	pcre2_match_data_free(md);
}

#endif
