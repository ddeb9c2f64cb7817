/*
 * libFuzzer target for the dirty-word automaton (filters/wordmatch.c).
 *
 * An input is up to 8 words, one a line, then a NUL byte, then the text; an input without a
 * NUL byte is a text for a fixed list of trap words (compiling a list costs a scan of the
 * caseless classes, so the last list compiled is kept while its words stay the same). The
 * text, when valid UTF-8, is scanned. Beyond the
 * sanitizers, it checks that the matches are the oracle's (tests/unit/wordmatch_oracle.h: each
 * word as its own caseless whole-word PCRE2 regex, leftmost-longest), left to right, never
 * overlapping, inside the text and on character boundaries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wordmatch_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *last_words;
static size_t last_len;
static struct wordmatch *wm;
static char *words[8];
static size_t nwords;

static void collect(void *arg, size_t start, size_t end)
{
	struct spanlist *l = arg;
	if (l->n == ORACLE_MAX_SPANS)
		abort();
	l->s[l->n] = start;
	l->e[l->n] = end;
	l->n++;
}

static int compile_words(const uint8_t *p, size_t len)
{
	struct sluice_error err;
	if (wm != NULL && last_words != NULL && len == last_len && memcmp(p, last_words, len) == 0)
		return 0;
	wordmatch_free(wm);
	wm = NULL;
	for (size_t i = 0; i < nwords; i++)
		free(words[i]);
	nwords = 0;
	free(last_words);
	last_words = malloc(len + 1);
	memcpy(last_words, p, len);
	last_words[len] = '\0';
	last_len = len;
	for (char *s = last_words, *nl; nwords < 8 && s <= last_words + len; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = last_words + len;
		words[nwords++] = strndup(s, (size_t)(nl - s));
	}
	return wordmatch_new((const char *const *)words, nwords, "fuzz", &wm, &err) == SLUICE_OK
	               ? 0
	               : -1;
}

static int scan_and_check(const uint8_t *text, size_t tlen);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0, size);
	if (sep == NULL || sep - data > 256)
		return 0;
	if (compile_words(data, (size_t)(sep - data)) != 0)
		return 0;
	return scan_and_check(sep + 1, size - (size_t)(sep - data) - 1);
}

static int scan_and_check(const uint8_t *text, size_t tlen)
{
	if (tlen > 2048 || memchr(text, 0, tlen) != NULL || !utf8_valid(text, tlen, NULL))
		return 0;
	char *t = strndup((const char *)text, tlen);
	struct spanlist got = { .n = 0 }, want;
	size_t n = wordmatch_scan(wm, t, tlen, collect, &got);
	if (n != got.n)
		abort();
	for (size_t i = 0; i < got.n; i++) {
		if (got.s[i] >= got.e[i] || got.e[i] > tlen || (i > 0 && got.s[i] < got.e[i - 1]) ||
		    (t[got.s[i]] & 0xC0) == 0x80 || (got.e[i] < tlen && (t[got.e[i]] & 0xC0) == 0x80))
			abort();
	}
	oracle((const char *const *)words, nwords, t, &want);
	if (want.n != got.n)
		abort();
	for (size_t i = 0; i < got.n; i++)
		if (want.s[i] != got.s[i] || want.e[i] != got.e[i])
			abort();
	free(t);
	return 0;
}
