/*
 * Unit tests of the dirty-word automaton (filters/wordmatch.c). Besides the cases by hand, the
 * automaton is compared with an oracle built from PCRE2 itself (each word as the caseless,
 * whole-word regex the redactor used to compile, tried at every start; the longest match at
 * the leftmost start wins) on generated words and texts full of case, space and boundary
 * traps, and the character tables are checked against PCRE2 for every code point.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordmatch.h"
#include "wordmatch_oracle.h"

static void collect(void *arg, size_t start, size_t end)
{
	struct spanlist *l = arg;
	assert_true(l->n < ORACLE_MAX_SPANS);
	l->s[l->n] = start;
	l->e[l->n] = end;
	l->n++;
}

static struct wordmatch *build(const char *const *words, size_t n)
{
	struct wordmatch *wm = NULL;
	struct sluice_error err;
	assert_int_equal(wordmatch_new(words, n, "test", &wm, &err), SLUICE_OK);
	return wm;
}

/* The matches of `words` in `text` as "[start,end)" pieces of text joined by '|'. */
static char *matches(const char *const *words, size_t n, const char *text)
{
	struct wordmatch *wm = build(words, n);
	struct spanlist l = { .n = 0 };
	static char buf[4096];
	size_t k = 0;
	(void)wordmatch_scan(wm, text, strlen(text), collect, &l);
	buf[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%.*s", i ? "|" : "",
		                      (int)(l.e[i] - l.s[i]), text + l.s[i]);
	wordmatch_free(wm);
	return buf;
}

#define W(...) ((const char *const[]){ __VA_ARGS__ }), \
	(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void test_whole_words(void **state)
{
	(void)state;
	assert_string_equal(matches(W("Nightjar"), "Nightjar's (Nightjar). «Nightjar» Nightjar-led"),
	                    "Nightjar|Nightjar|Nightjar|Nightjar");
	assert_string_equal(matches(W("Nightjar"),
	                            "Nightjars xNightjar Nightjar_1 Nightjar2 \xc3\xa9Nightjar "
	                            "Nightjar\xcc\x81"),
	                    "");
	assert_string_equal(matches(W("jar"), "nightjar jar jars"), "jar");
}

static void test_case_and_unicode(void **state)
{
	(void)state;
	assert_string_equal(matches(W("nightjar"), "NIGHTJAR NightJar"), "NIGHTJAR|NightJar");
	assert_string_equal(matches(W("\xd0\xbd\xd0\xbe\xd1\x87\xd1\x8c"), /* ночь */
	                            "\xd0\x9d\xd0\x9e\xd0\xa7\xd0\xac"),        /* НОЧЬ */
	                    "\xd0\x9d\xd0\x9e\xd0\xa7\xd0\xac");
	/* k = K = KELVIN SIGN, s = S = LONG S, σ = Σ = ς, ß = ẞ */
	assert_string_equal(matches(W("ks"), "\xe2\x84\xaa\xc5\xbf"), "\xe2\x84\xaa\xc5\xbf");
	assert_string_equal(matches(W("\xcf\x83"), "\xce\xa3 \xcf\x82"), "\xce\xa3|\xcf\x82");
	assert_string_equal(matches(W("stra\xc3\x9f" "e"), "STRA\xe1\xba\x9e" "E STRASSE"),
	                    "STRA\xe1\xba\x9e" "E");
	/* A combining mark after a word makes another word. */
	assert_string_equal(matches(W("cafe"), "cafe\xcc\x81 cafe"), "cafe");
}

static void test_phrases_and_spaces(void **state)
{
	(void)state;
	assert_string_equal(matches(W("Operation Nightjar"),
	                            "operation\n   NIGHTJAR|Operation\xc2\xa0Nightjar|"
	                            "OperationNightjar|Operation-Nightjar"),
	                    "operation\n   NIGHTJAR|Operation\xc2\xa0Nightjar");
	/* Blanks around and inside a word are one space. */
	assert_string_equal(matches(W("  grey \t heron  "), "a grey heron."), "grey heron");
	assert_string_equal(matches(W("   ", ""), "   "), "");
}

static void test_longest_and_overlaps(void **state)
{
	(void)state;
	assert_string_equal(matches(W("Nightjar", "Operation Nightjar"), "Operation Nightjar"),
	                    "Operation Nightjar");
	assert_string_equal(matches(W("Nightjar", "Nightjar Team"), "Nightjar Teamwork"),
	                    "Nightjar");
	/* Overlapping words: the leftmost wins, then the next after it. */
	assert_string_equal(matches(W("a b", "b c"), "a b c"), "a b");
	assert_string_equal(matches(W("a b", "b c", "c"), "a b c"), "a b|c");
	/* Prefixes: the longest at the same start, falling back when the longer one is not a
	 * whole word. */
	assert_string_equal(matches(W("ab", "abc", "abcd"), "abcd abc abce ab"), "abcd|abc|ab");
	assert_string_equal(matches(W("x", "x y z"), "x y w x y z"), "x|x y z");
	/* Duplicates are one word. */
	assert_string_equal(matches(W("dup", "DUP", "dup"), "dup"), "dup");
}

static void test_literal(void **state)
{
	(void)state;
	assert_string_equal(matches(W("a.b*c", "$HOME", "^top|", "{2}", "f\\Eo\\Q"),
	                            "axbbc a.b*c $HOME ^top| {2} f\\Eo\\Q"),
	                    "a.b*c|$HOME|^top||{2}|f\\Eo\\Q");
}

static void test_empty_list(void **state)
{
	(void)state;
	struct wordmatch *wm = build(NULL, 0);
	struct spanlist l = { .n = 0 };
	assert_int_equal(wordmatch_scan(wm, "anything at all", 15, collect, &l), 0);
	wordmatch_free(wm);
	wordmatch_free(NULL);
}

static void test_bad_words(void **state)
{
	(void)state;
	struct wordmatch *wm = NULL;
	struct sluice_error err;
	char *longw = malloc(WORDMATCH_WORD_MAX_BYTES + 2);
	memset(longw, 'a', WORDMATCH_WORD_MAX_BYTES + 1);
	longw[WORDMATCH_WORD_MAX_BYTES + 1] = '\0';
	const char *bad1[] = { "ok", longw };
	assert_int_equal(wordmatch_new(bad1, 2, "l.txt", &wm, &err), SLUICE_ERR_POLICY);
	assert_null(wm);
	assert_string_equal(err.rule, "redact.wordlist");
	assert_non_null(strstr(err.message, "entry 2"));
	const char *bad2[] = { "\xc3(" };
	assert_int_equal(wordmatch_new(bad2, 1, "l.txt", &wm, &err), SLUICE_ERR_POLICY);
	assert_non_null(strstr(err.message, "not valid UTF-8"));
	/* The longest allowed word works. */
	longw[WORDMATCH_WORD_MAX_BYTES] = '\0';
	const char *good[] = { longw };
	wm = build(good, 1);
	struct spanlist l = { .n = 0 };
	assert_int_equal(wordmatch_scan(wm, longw, WORDMATCH_WORD_MAX_BYTES, collect, &l), 1);
	wordmatch_free(wm);
	free(longw);
}

static void count_match(void *arg, size_t start, size_t end)
{
	assert_true(start < end && end <= *(size_t *)arg);
}

/* 10,000 words: every one is found, memory stays bounded by the list. */
static void test_ten_thousand_words(void **state)
{
	(void)state;
	enum { N = 10000 };
	char **words = calloc(N, sizeof(*words));
	size_t total = 0;
	for (size_t i = 0; i < N; i++) {
		words[i] = malloc(32);
		snprintf(words[i], 32, "code%zuname%s", i * 7919 % 100003, i % 3 ? "" : " x");
		total += strlen(words[i]);
	}
	struct wordmatch *wm = build((const char *const *)words, N);
	assert_true(wordmatch_memory(wm) < 40 * (total + 1) + 4u * WORDMATCH_DENSE_CELLS);
	char *text = malloc(N * 40);
	size_t k = 0;
	for (size_t i = 0; i < N; i++)
		k += (size_t)sprintf(text + k, "%s, ", words[(i * 31) % N]);
	size_t count = wordmatch_scan(wm, text, k, count_match, &k);
	assert_int_equal(count, N);
	wordmatch_free(wm);
	for (size_t i = 0; i < N; i++)
		free(words[i]);
	free(words);
	free(text);
}

/* ---------------------------------------------------------------------------------------- */
/* Against PCRE2 */

static size_t enc(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static void test_space_table_is_pcre2(void **state)
{
	(void)state;
	pcre2_code *s = re("\\s", 0);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		char b[4];
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		size_t n = enc(cp, b);
		int m = pcre2_match(s, (PCRE2_SPTR)b, n, 0, PCRE2_ANCHORED, md, NULL);
		if ((m >= 0) != (wordmatch_is_space(cp) != 0))
			fail_msg("U+%04X: PCRE2 \\s says %d", cp, m >= 0);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(s);
}

/* The automaton looks for caseless equivalents only up to U+1FFFF: nothing above has any. */
static void test_no_case_above_plane_1(void **state)
{
	(void)state;
	size_t cap = 5 * 1024 * 1024, n = 0;
	char *above = malloc(cap);
	for (uint32_t cp = 0x20000; cp <= 0x10FFFF; cp++)
		n += enc(cp, above + n);
	pcre2_code *cross = re("[\\x{0}-\\x{1FFFF}]", PCRE2_CASELESS);
	pcre2_code *cased = re("[\\p{Lu}\\p{Ll}\\p{Lt}]", 0);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	assert_int_equal(pcre2_match(cross, (PCRE2_SPTR)above, n, 0, 0, md, NULL),
	                 PCRE2_ERROR_NOMATCH);
	assert_int_equal(pcre2_match(cased, (PCRE2_SPTR)above, n, 0, 0, md, NULL),
	                 PCRE2_ERROR_NOMATCH);
	pcre2_match_data_free(md);
	pcre2_code_free(cross);
	pcre2_code_free(cased);
	free(above);
}

static const char *const traps[] = {
	"a", "b", "A", "B", "k", "K", "\xe2\x84\xaa", "s", "S", "\xc5\xbf", "\xcf\x83", "\xce\xa3",
	"\xcf\x82", "\xc3\xa9", "\xc3\x89", "\xc3\x9f", "\xe1\xba\x9e", "\xc4\xb1", " ", "\xc2\xa0",
	"\n", "\xe1\xa0\x8e", "_", "-", "1", "\xcc\x81", ".", "x", "\xd0\x96", "\xd0\xb6", "\xf0\x90\x90\x80",
	"\xf0\x90\x90\xa8", "\xe4\xb8\xad",
};

static void random_string(char *out, size_t max_atoms, unsigned *seed, size_t pool)
{
	size_t n = (size_t)(rand_r(seed) % (int)max_atoms), k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = traps[rand_r(seed) % (int)pool];
		k += (size_t)sprintf(out + k, "%s", t);
	}
	out[k] = '\0';
}

static void test_against_pcre2(void **state)
{
	(void)state;
	unsigned seed = 20240611;
	size_t ntraps = sizeof(traps) / sizeof(*traps);
	for (int iter = 0; iter < 1500; iter++) {
		char wbuf[8][128], text[1024];
		const char *words[8];
		size_t nw = 1 + (size_t)(rand_r(&seed) % 7);
		/* Words from a small pool of characters, so that texts contain them. */
		size_t pool = 8 + (size_t)(rand_r(&seed) % (int)(ntraps - 8));
		for (size_t w = 0; w < nw; w++) {
			random_string(wbuf[w], 5, &seed, pool);
			words[w] = wbuf[w];
		}
		random_string(text, 60, &seed, pool);
		if (iter % 3 == 0) /* plant a word, in another case when it has one */
			snprintf(text + strlen(text), sizeof(text) - strlen(text), " %s.", words[0]);
		struct spanlist want, got = { .n = 0 };
		oracle(words, nw, text, &want);
		struct wordmatch *wm = build(words, nw);
		(void)wordmatch_scan(wm, text, strlen(text), collect, &got);
		wordmatch_free(wm);
		bool same = want.n == got.n;
		for (size_t i = 0; same && i < want.n; i++)
			same = want.s[i] == got.s[i] && want.e[i] == got.e[i];
		if (!same) {
			fprintf(stderr, "iteration %d, text \"%s\", words:", iter, text);
			for (size_t w = 0; w < nw; w++)
				fprintf(stderr, " \"%s\"", words[w]);
			fprintf(stderr, "\n");
			for (size_t i = 0; i < want.n; i++)
				fprintf(stderr, " want [%zu,%zu)", want.s[i], want.e[i]);
			fprintf(stderr, "\n");
			for (size_t i = 0; i < got.n; i++)
				fprintf(stderr, " got [%zu,%zu)", got.s[i], got.e[i]);
			fprintf(stderr, "\n");
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_words),
		cmocka_unit_test(test_case_and_unicode),
		cmocka_unit_test(test_phrases_and_spaces),
		cmocka_unit_test(test_longest_and_overlaps),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_ten_thousand_words),
		cmocka_unit_test(test_space_table_is_pcre2),
		cmocka_unit_test(test_no_case_above_plane_1),
		cmocka_unit_test(test_against_pcre2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
