/*
 * One Aho-Corasick automaton per dirty-word list (see wordmatch.h for the semantics).
 *
 * SECURITY
 *   Hostile data: the text handed to wordmatch_scan (from a report). The scan reads each byte
 *   once, follows failure links (amortised O(1) a character) and, where a word ends, checks
 *   the two boundaries; no backtracking, no recursion, no allocation that depends on the text
 *   beyond one PCRE2 match data (for boundaries next to non-ASCII characters).
 *   Policy data: the words. Each word is read as characters, never as syntax. The automaton
 *   holds at most one state per character of the list (the list's size is bounded by the
 *   policy loader), and its dense rows at most max(WORDMATCH_DENSE_CELLS, alphabet) cells.
 *   Privilege: none. wordmatch_new runs before the sandbox (it compiles small PCRE2 patterns to
 *   learn caseless equivalents); wordmatch_scan only reads and calls back.
 *
 * How it works. Every character of the text becomes a symbol: the class of characters that
 * PCRE2 considers caseless-equal to it when one of the words uses such a character, SPACE for
 * PCRE2's \s (a run of them is one symbol, as "\s++" matches a run), and OTHER for anything
 * else (OTHER is on no edge). Words become symbol strings the same way. The automaton finds
 * every (start, end) where a word occurs with a non-word character (or the text's edge) on
 * both sides; for each start only the longest is kept, and a start is settled as soon as no
 * match in progress can begin at or before it (the current state's depth says so). Settled
 * starts are taken left to right, skipping those inside the last match taken: the
 * leftmost-longest non-overlapping matches, as PCRE2 finds them with a longest-first
 * alternation and the whole-word look-arounds.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "wordmatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "sbuf.h"
#include "utf8.h"

#define SYM_OTHER 0u
#define SYM_SPACE 1u
#define SYM_FIRST_CLASS 2u
#define NO_CLASS UINT32_MAX

/* Characters caseless-equal to one outside this range do not exist (Unicode 15: the cased
 * scripts end in plane 1; tests/unit/test_wordmatch.c checks it against PCRE2). */
#define CASE_RANGE_END 0x1FFFFu

struct wordmatch {
	/* alphabet */
	uint32_t ascii_sym[128];
	uint32_t *cp;          /* sorted non-ASCII characters with a class */
	uint32_t *cp_sym;
	size_t ncp;
	uint32_t nsyms;        /* SYM_OTHER, SYM_SPACE and the classes */
	/* automaton, states numbered breadth first (0: the root) */
	uint32_t nstates;
	uint32_t *fail;
	uint32_t *out;         /* the nearest state on the failure chain (itself included) where a
	                          word ends; 0 when none */
	uint32_t *wlen;        /* symbols of the word ending here, 0 when none */
	uint32_t *depth;
	uint32_t *edge_lo;     /* edges of state s: edge_lo[s] .. edge_lo[s + 1] - 1, by symbol */
	uint32_t *esym;
	uint32_t *etarget;
	uint32_t ndense;       /* states below this have a full row in `dense` */
	uint32_t *dense;       /* dense[s * nsyms + sym] = next state, failures included */
	uint32_t max_wlen;     /* longest word, in symbols */
	pcre2_code *wordchar;  /* [\p{L}\p{M}\p{N}_] */
};

/* ---------------------------------------------------------------------------------------- */
/* Characters */

/* PCRE2's \s with PCRE2_UCP (10.42): checked character by character against PCRE2 by
 * tests/unit/test_wordmatch.c. */
int wordmatch_is_space(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
	       cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Decodes one strictly valid UTF-8 character at s[*i] and advances *i; -1 when the bytes
 * there are not one (then *i moves one byte on). */
static int decode(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	size_t n = utf8_decode(s + *i, len - *i, cp);
	*i += n != 0 ? n : 1;
	return n != 0 ? 0 : -1;
}

static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---------------------------------------------------------------------------------------- */
/* Growable arrays and strings (policy data only) */

struct u32vec {
	uint32_t *v;
	size_t n, cap;
};

static void u32_push(struct u32vec *a, uint32_t x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = x;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void u32_sort_unique(struct u32vec *a)
{
	size_t k = 0;
	if (a->n == 0)
		return;
	qsort(a->v, a->n, sizeof(*a->v), u32_cmp);
	for (size_t i = 1; i < a->n; i++)
		if (a->v[i] != a->v[k])
			a->v[++k] = a->v[i];
	a->n = k + 1;
}

/* Patterns and subjects built here are policy data, bounded by the list's size. */
#define BUILD_TEXT_MAX (64u * 1024u * 1024u)

static void text_put(struct sbuf *t, const char *s, size_t n)
{
	if (sbuf_put(t, s, n) != 0)
		SLUICE_BUG("word list pattern over its bound");
}

static void text_put_cp(struct sbuf *t, uint32_t cp)
{
	char b[4];
	text_put(t, b, encode(cp, b));
}

static void text_put_escaped(struct sbuf *t, uint32_t cp)
{
	char b[16];
	int n = snprintf(b, sizeof(b), "\\x{%x}", (unsigned)cp);
	text_put(t, b, (size_t)n);
}

/* ---------------------------------------------------------------------------------------- */
/* Caseless classes, from PCRE2 itself */

static pcre2_code *compile(const char *pattern, size_t len, uint32_t options)
{
	int errcode;
	PCRE2_SIZE erroffset;
	return pcre2_compile((PCRE2_SPTR)pattern, len, options | PCRE2_UTF | PCRE2_UCP, &errcode,
	                     &erroffset, NULL);
}

/* Every character of `subject` that `code` matches, pushed to `out`. */
static void matching_chars(const pcre2_code *code, const struct sbuf *subject,
                           pcre2_match_data *md, struct u32vec *out)
{
	size_t off = 0;
	while (off < subject->len &&
	       pcre2_match(code, (PCRE2_SPTR)subject->data, subject->len, off, PCRE2_NO_UTF_CHECK, md,
	                   NULL) >= 0) {
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t i = ov[0];
		uint32_t cp;
		if (ov[1] <= ov[0] ||
		    decode(subject->data, subject->len, &i, &cp) != 0)
			SLUICE_BUG("caseless scan matched no character");
		u32_push(out, cp);
		off = i;
	}
}

/* Sets up the alphabet for the words' characters `chars` (sorted, unique, no whitespace):
 * every character PCRE2 finds caseless-equal to one of them gets that one's class. */
static void build_alphabet(struct wordmatch *wm, const struct u32vec *chars)
{
	struct sbuf subject, pattern, all;
	struct u32vec equal = { 0 }, found = { 0 };
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	uint32_t *cls = NULL;
	pcre2_code *code;

	if (md == NULL)
		SLUICE_BUG("out of memory for PCRE2 match data");
	sbuf_init(&subject, BUILD_TEXT_MAX);
	sbuf_init(&pattern, BUILD_TEXT_MAX);
	sbuf_init(&all, BUILD_TEXT_MAX);
	for (size_t i = 0; i < 128; i++)
		wm->ascii_sym[i] = wordmatch_is_space((unsigned)i) ? SYM_SPACE : SYM_OTHER;
	wm->nsyms = SYM_FIRST_CLASS;
	if (chars->n == 0)
		goto out;
	/* 1. Everything caseless-equal to some word character: one class, one scan. */
	for (uint32_t cp = 0; cp <= CASE_RANGE_END; cp++)
		if (cp < 0xD800 || cp > 0xDFFF)
			text_put_cp(&all, cp);
	text_put(&pattern, "[", 1);
	for (size_t i = 0; i < chars->n; i++)
		text_put_escaped(&pattern, chars->v[i]);
	text_put(&pattern, "]", 1);
	code = compile((const char *)pattern.data, pattern.len, PCRE2_CASELESS);
	if (code == NULL)
		SLUICE_BUG("cannot compile the words' caseless class");
	matching_chars(code, &all, md, &equal);
	pcre2_code_free(code);
	for (size_t i = 0; i < chars->n; i++)
		u32_push(&equal, chars->v[i]);
	u32_sort_unique(&equal);
	/* 2. Partitioned into caseless classes: each unassigned character with everything it
	 * matches among them. */
	for (size_t i = 0; i < equal.n; i++)
		text_put_cp(&subject, equal.v[i]);
	cls = xcalloc(equal.n, sizeof(*cls));
	for (size_t i = 0; i < equal.n; i++)
		cls[i] = NO_CLASS;
	for (size_t i = 0; i < equal.n; i++) {
		if (cls[i] != NO_CLASS)
			continue;
		uint32_t id = wm->nsyms++;
		cls[i] = id;
		sbuf_reset(&pattern);
		text_put_escaped(&pattern, equal.v[i]);
		code = compile((const char *)pattern.data, pattern.len, PCRE2_CASELESS);
		if (code == NULL)
			SLUICE_BUG("cannot compile a caseless character");
		found.n = 0;
		matching_chars(code, &subject, md, &found);
		pcre2_code_free(code);
		for (size_t k = 0; k < found.n; k++) {
			uint32_t *at = bsearch(&found.v[k], equal.v, equal.n, sizeof(*equal.v), u32_cmp);
			if (at != NULL && cls[at - equal.v] == NO_CLASS)
				cls[at - equal.v] = id;
		}
	}
	/* 3. The lookup tables: ASCII direct, the rest by binary search. */
	wm->cp = xcalloc(equal.n + 1, sizeof(*wm->cp));
	wm->cp_sym = xcalloc(equal.n + 1, sizeof(*wm->cp_sym));
	for (size_t i = 0; i < equal.n; i++) {
		if (equal.v[i] < 128) {
			wm->ascii_sym[equal.v[i]] = cls[i];
		} else {
			wm->cp[wm->ncp] = equal.v[i];
			wm->cp_sym[wm->ncp++] = cls[i];
		}
	}
out:
	free(cls);
	sbuf_free(&subject);
	sbuf_free(&pattern);
	sbuf_free(&all);
	free(equal.v);
	free(found.v);
	pcre2_match_data_free(md);
}

static inline uint32_t symbol_of(const struct wordmatch *wm, uint32_t cp)
{
	if (cp < 128)
		return wm->ascii_sym[cp];
	if (wordmatch_is_space(cp))
		return SYM_SPACE;
	size_t lo = 0, hi = wm->ncp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (wm->cp[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < wm->ncp && wm->cp[lo] == cp ? wm->cp_sym[lo] : SYM_OTHER;
}

/* ---------------------------------------------------------------------------------------- */
/* Construction */

/* A word as characters: whitespace runs become one 0 (a placeholder for SYM_SPACE), leading
 * and trailing whitespace goes. -1 when not valid UTF-8. */
static int word_chars(const char *s, struct u32vec *w)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	uint32_t cp;

	w->n = 0;
	while (i < len) {
		if (decode(u, len, &i, &cp) != 0)
			return -1;
		if (wordmatch_is_space(cp)) {
			if (w->n > 0 && w->v[w->n - 1] != 0)
				u32_push(w, 0);
			continue;
		}
		u32_push(w, cp);
	}
	if (w->n > 0 && w->v[w->n - 1] == 0)
		w->n--;
	return 0;
}

struct trie_node {
	uint32_t sym;
	uint32_t child;    /* first child, 0 when none */
	uint32_t sibling;  /* next sibling, 0 when none */
	uint32_t wlen;
};

struct trie {
	struct trie_node *v;
	size_t n, cap;
};

static uint32_t trie_child(const struct trie *t, uint32_t node, uint32_t sym)
{
	uint32_t c = t->v[node].child;
	while (c != 0 && t->v[c].sym != sym)
		c = t->v[c].sibling;
	return c;
}

static void trie_insert(struct trie *t, const uint32_t *syms, size_t n)
{
	uint32_t cur = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = trie_child(t, cur, syms[i]);
		if (c == 0) {
			if (t->n == t->cap) {
				t->cap *= 2;
				t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
			}
			c = (uint32_t)t->n++;
			t->v[c] = (struct trie_node){ syms[i], 0, t->v[cur].child, 0 };
			t->v[cur].child = c;
		}
		cur = c;
	}
	t->v[cur].wlen = (uint32_t)n;
}

/* The automaton's goto on symbol `a` from `s` (failures included). */
static inline uint32_t step(const struct wordmatch *wm, uint32_t s, uint32_t a)
{
	for (;;) {
		if (s < wm->ndense)
			return wm->dense[(size_t)s * wm->nsyms + a];
		uint32_t lo = wm->edge_lo[s], hi = wm->edge_lo[s + 1];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (wm->esym[mid] < a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < wm->edge_lo[s + 1] && wm->esym[lo] == a)
			return wm->etarget[lo];
		if (s == 0)
			return 0;
		s = wm->fail[s];
	}
}

static int edge_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b; /* {sym, target} */
	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* From the trie to the breadth-first automaton. */
static void build_automaton(struct wordmatch *wm, const struct trie *t)
{
	uint32_t n = (uint32_t)t->n;
	uint32_t *order = xcalloc(n, sizeof(*order)); /* BFS position -> trie node */
	uint32_t *rank = xcalloc(n, sizeof(*rank));   /* trie node -> BFS position */
	uint32_t head = 0, tail = 0;

	order[tail++] = 0;
	while (head < tail) {
		uint32_t u = order[head++];
		for (uint32_t c = t->v[u].child; c != 0; c = t->v[c].sibling)
			order[tail++] = c;
	}
	for (uint32_t i = 0; i < n; i++)
		rank[order[i]] = i;

	wm->nstates = n;
	wm->fail = xcalloc(n, sizeof(*wm->fail));
	wm->out = xcalloc(n, sizeof(*wm->out));
	wm->wlen = xcalloc(n, sizeof(*wm->wlen));
	wm->depth = xcalloc(n, sizeof(*wm->depth));
	wm->edge_lo = xcalloc((size_t)n + 1, sizeof(*wm->edge_lo));
	wm->esym = xcalloc(n, sizeof(*wm->esym));
	wm->etarget = xcalloc(n, sizeof(*wm->etarget));
	/* Edges, sorted by symbol, in BFS numbering. */
	uint32_t ne = 0;
	for (uint32_t s = 0; s < n; s++) {
		const struct trie_node *node = &t->v[order[s]];
		uint32_t first = ne;
		wm->edge_lo[s] = ne;
		wm->wlen[s] = node->wlen;
		for (uint32_t c = node->child; c != 0; c = t->v[c].sibling) {
			wm->esym[ne] = t->v[c].sym;
			wm->etarget[ne] = rank[c];
			wm->depth[rank[c]] = wm->depth[s] + 1;
			ne++;
		}
		uint32_t (*pairs)[2] = xcalloc(ne - first + 1, sizeof(*pairs));
		for (uint32_t k = first; k < ne; k++) {
			pairs[k - first][0] = wm->esym[k];
			pairs[k - first][1] = wm->etarget[k];
		}
		qsort(pairs, ne - first, sizeof(*pairs), edge_cmp);
		for (uint32_t k = first; k < ne; k++) {
			wm->esym[k] = pairs[k - first][0];
			wm->etarget[k] = pairs[k - first][1];
		}
		free(pairs);
	}
	wm->edge_lo[n] = ne;
	/* Failure and output links, breadth first (a failure is always shallower). Dense rows
	 * are not there yet: ndense is 0 while they are computed. */
	wm->ndense = 0;
	for (uint32_t s = 0; s < n; s++) {
		for (uint32_t k = wm->edge_lo[s]; k < wm->edge_lo[s + 1]; k++) {
			uint32_t v = wm->etarget[k], f = 0;
			if (s != 0)
				f = step(wm, wm->fail[s], wm->esym[k]);
			wm->fail[v] = f;
		}
		wm->out[s] = wm->wlen[s] != 0 ? s : (s == 0 ? 0 : wm->out[wm->fail[s]]);
	}
	/* Dense rows for the shallowest states (the root always has one). */
	size_t rows = WORDMATCH_DENSE_CELLS / wm->nsyms;
	if (rows < 1)
		rows = 1;
	if (rows > n)
		rows = n;
	wm->dense = xcalloc(rows * wm->nsyms, sizeof(*wm->dense));
	for (uint32_t s = 0; s < rows; s++) {
		uint32_t *row = &wm->dense[(size_t)s * wm->nsyms];
		if (s != 0)
			memcpy(row, &wm->dense[(size_t)wm->fail[s] * wm->nsyms],
			       wm->nsyms * sizeof(*row));
		for (uint32_t k = wm->edge_lo[s]; k < wm->edge_lo[s + 1]; k++)
			row[wm->esym[k]] = wm->etarget[k];
	}
	wm->ndense = (uint32_t)rows;
	free(order);
	free(rank);
}

enum sluice_rc wordmatch_new(const char *const *words, size_t nwords, const char *list_name,
                             struct wordmatch **out, struct sluice_error *err)
{
	struct wordmatch *wm = xcalloc(1, sizeof(*wm));
	struct u32vec *chars = xcalloc(nwords + 1, sizeof(*chars));
	struct u32vec all = { 0 }, syms = { 0 };
	struct trie t = { 0 };
	enum sluice_rc rc = SLUICE_OK;
	const char *name = list_name ? list_name : "";

	*out = NULL;
	for (size_t i = 0; i < nwords; i++) {
		if (words[i] == NULL)
			continue;
		if (strlen(words[i]) > WORDMATCH_WORD_MAX_BYTES) {
			rc = sluice_fail(err, SLUICE_ERR_POLICY, "redact.wordlist",
			                 "word list %s: entry %zu is longer than %d bytes", name, i + 1,
			                 WORDMATCH_WORD_MAX_BYTES);
			goto out;
		}
		if (word_chars(words[i], &chars[i]) != 0) {
			rc = sluice_fail(err, SLUICE_ERR_POLICY, "redact.wordlist",
			                 "word list %s: entry %zu is not valid UTF-8", name, i + 1);
			goto out;
		}
		for (size_t k = 0; k < chars[i].n; k++)
			if (chars[i].v[k] != 0)
				u32_push(&all, chars[i].v[k]);
	}
	u32_sort_unique(&all);
	build_alphabet(wm, &all);

	t.cap = 64;
	t.v = xcalloc(t.cap, sizeof(*t.v));
	t.n = 1;
	for (size_t i = 0; i < nwords; i++) {
		if (chars[i].n == 0)
			continue;
		syms.n = 0;
		for (size_t k = 0; k < chars[i].n; k++)
			u32_push(&syms, chars[i].v[k] == 0 ? SYM_SPACE : symbol_of(wm, chars[i].v[k]));
		trie_insert(&t, syms.v, syms.n);
		if (syms.n > wm->max_wlen)
			wm->max_wlen = (uint32_t)syms.n;
	}
	build_automaton(wm, &t);
	wm->wordchar = compile("[\\p{L}\\p{M}\\p{N}_]", PCRE2_ZERO_TERMINATED, 0);
	if (wm->wordchar == NULL)
		SLUICE_BUG("cannot compile the word-character class");
	*out = wm;
	wm = NULL;
out:
	for (size_t i = 0; i < nwords; i++)
		free(chars[i].v);
	free(chars);
	free(all.v);
	free(syms.v);
	free(t.v);
	wordmatch_free(wm);
	return rc;
}

void wordmatch_free(struct wordmatch *wm)
{
	if (wm == NULL)
		return;
	free(wm->cp);
	free(wm->cp_sym);
	free(wm->fail);
	free(wm->out);
	free(wm->wlen);
	free(wm->depth);
	free(wm->edge_lo);
	free(wm->esym);
	free(wm->etarget);
	free(wm->dense);
	pcre2_code_free(wm->wordchar);
	free(wm);
}

size_t wordmatch_memory(const struct wordmatch *wm)
{
	return sizeof(*wm) + wm->ncp * 2 * sizeof(uint32_t) +
	       (size_t)wm->nstates * 7 * sizeof(uint32_t) +
	       (size_t)wm->ndense * wm->nsyms * sizeof(uint32_t);
}

/* ---------------------------------------------------------------------------------------- */
/* Scanning */

struct scan {
	const struct wordmatch *wm;
	const unsigned char *text;
	size_t len;
	pcre2_match_data *md;  /* created at the first non-ASCII boundary */
	/* ring of the last symbols: start byte of each, and the longest match starting there */
	size_t mask;
	size_t *start;
	size_t *best_end;      /* byte */
	size_t *best_last;     /* symbol index of the match's last symbol */
	size_t *stamp;         /* symbol index + 1 of the start the slot's match belongs to */
	size_t next_start;     /* matches may start at this symbol or later (after the last one) */
	size_t settled;        /* starts below this are settled */
	size_t pending;        /* starts at or above `settled` with a match */
	wordmatch_fn found;
	void *arg;
	size_t count;
};

static bool is_word_char(struct scan *sc, size_t at)
{
	unsigned char c = sc->text[at];
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '_';
	if (sc->md == NULL) {
		sc->md = pcre2_match_data_create(1, NULL);
		if (sc->md == NULL)
			SLUICE_BUG("out of memory for PCRE2 match data");
	}
	return pcre2_match(sc->wm->wordchar, sc->text, sc->len, at,
	                   PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, sc->md, NULL) >= 0;
}

static bool boundary_before(struct scan *sc, size_t at)
{
	if (at == 0)
		return true;
	size_t p = at - 1;
	while (p > 0 && (sc->text[p] & 0xC0) == 0x80 && at - p < 4)
		p--;
	return !is_word_char(sc, p);
}

static bool boundary_after(struct scan *sc, size_t at)
{
	return at >= sc->len || !is_word_char(sc, at);
}

/* Takes the settled starts below `upto`, left to right. */
static void settle(struct scan *sc, size_t upto)
{
	for (size_t j = sc->settled; j < upto && sc->pending > 0; j++) {
		size_t slot = j & sc->mask;
		if (sc->stamp[slot] != j + 1)
			continue;
		sc->pending--;
		if (j < sc->next_start)
			continue;
		sc->found(sc->arg, sc->start[slot], sc->best_end[slot]);
		sc->count++;
		sc->next_start = sc->best_last[slot] + 1;
	}
	if (upto > sc->settled)
		sc->settled = upto;
}

size_t wordmatch_scan(const struct wordmatch *wm, const char *text, size_t len,
                      wordmatch_fn found, void *arg)
{
	struct scan sc;
	size_t ring = 1, pos = 0, i = 0; /* i: symbols fed so far */
	uint32_t state = 0;
	bool prev_space = false;

	if (wm == NULL || wm->nstates <= 1 || text == NULL || len == 0)
		return 0;
	while (ring < (size_t)wm->max_wlen + 2)
		ring *= 2;
	memset(&sc, 0, sizeof(sc));
	sc.wm = wm;
	sc.text = (const unsigned char *)text;
	sc.len = len;
	sc.mask = ring - 1;
	sc.start = xcalloc(ring, sizeof(*sc.start));
	sc.best_end = xcalloc(ring, sizeof(*sc.best_end));
	sc.best_last = xcalloc(ring, sizeof(*sc.best_last));
	sc.stamp = xcalloc(ring, sizeof(*sc.stamp));
	sc.found = found;
	sc.arg = arg;

	while (pos < len) {
		size_t at = pos;
		unsigned char c = sc.text[pos];
		uint32_t sym, cp;
		if (c < 0x80) {
			sym = wm->ascii_sym[c];
			pos++;
		} else {
			sym = decode(sc.text, len, &pos, &cp) == 0 ? symbol_of(wm, cp) : SYM_OTHER;
		}
		if (sym == SYM_SPACE) {
			if (prev_space)
				continue;
			prev_space = true;
		} else {
			prev_space = false;
		}
		sc.start[i & sc.mask] = at;
		state = step(wm, state, sym);
		for (uint32_t t = wm->out[state]; t != 0; t = wm->out[wm->fail[t]]) {
			size_t first = i + 1 - wm->wlen[t];
			if (first < sc.next_start)
				continue;
			size_t slot = first & sc.mask, sb = sc.start[slot];
			if (!boundary_after(&sc, pos))
				break; /* the same end for every word on the chain */
			if (!boundary_before(&sc, sb))
				continue;
			/* Later ends are longer: the last one seen for a start is its longest. */
			if (sc.stamp[slot] != first + 1)
				sc.pending++;
			sc.stamp[slot] = first + 1;
			sc.best_end[slot] = pos;
			sc.best_last[slot] = i;
		}
		i++;
		/* No match in progress starts before i - depth: those starts are settled. */
		if (sc.pending > 0)
			settle(&sc, i - wm->depth[state]);
		else
			sc.settled = i - wm->depth[state];
	}
	settle(&sc, i);
	pcre2_match_data_free(sc.md);
	free(sc.start);
	free(sc.best_end);
	free(sc.best_last);
	free(sc.stamp);
	return sc.count;
}
