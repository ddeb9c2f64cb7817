/*
 * libFuzzer target for the text redaction engine (filters/redact.c).
 *
 * A fixed flow (a word list and the four built-in detectors) is applied to every input that is
 * valid UTF-8, as the filter does. Beyond the sanitizers, it checks that:
 *   - the built-in patterns never reach a PCRE2 limit (they are written to run in bounded time
 *     per starting position), so redactor_apply succeeds on every valid text;
 *   - a redacted output is NUL-terminated at *outlen and is valid UTF-8;
 *   - hits are reported exactly when something was redacted.
 * Build (the lead wires it in fuzz/CMakeLists.txt):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ifilters -Ipolicy -Icommon \
 *         fuzz/fuzz_redact.c filters/redact.c common/sluice_error.c -lpcre2-8
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_words[] = {
	"Nightjar", "Operation Nightjar", "source KESTREL", "a.b*c", "(x)", "Ночь", "東京",
	"écu", "C++", "$HOME",
};

static struct policy_wordlist fuzz_wordlist = {
	.path = "lists/fuzz.txt",
	.words = fuzz_words,
	.nwords = sizeof(fuzz_words) / sizeof(fuzz_words[0]),
};

static struct policy_pattern fuzz_patterns[] = {
	{ PATTERN_EMAIL, "email", NULL },
	{ PATTERN_PHONE, "phone", NULL },
	{ PATTERN_PASSPORT, "passport", NULL },
	{ PATTERN_IBAN, "iban", NULL },
};

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF), independent of redact.c's
 * own check so the two cross-check each other. */
static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t len;
		uint32_t min, cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			min = 0x80;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			min = 0x800;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

static void count_hit(void *arg, const char *rule, unsigned count)
{
	unsigned *hits = arg;

	if (rule == NULL || rule[0] == '\0' || count == 0)
		abort();
	(*hits)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct redactor *r;
	struct sluice_error err;
	char *out = NULL;
	size_t outlen = 0;
	unsigned hits = 0;

	if (r == NULL) {
		struct policy_flow flow;
		memset(&flow, 0, sizeof(flow));
		flow.wordlists = &fuzz_wordlist;
		flow.nwordlists = 1;
		flow.patterns = fuzz_patterns;
		flow.npatterns = sizeof(fuzz_patterns) / sizeof(fuzz_patterns[0]);
		flow.replace_with = "[REDACTED]";
		if (redactor_new(&flow, &r, &err) != SLUICE_OK)
			abort();
	}
	if (!utf8_valid(data, size))
		return 0;

	if (redactor_apply(r, (const char *)data, size, &out, &outlen, count_hit, &hits, &err) !=
	    SLUICE_OK)
		abort(); /* a built-in pattern reached a limit, or the UTF-8 checks disagree */
	if (out == NULL) {
		if (hits != 0 || outlen != 0)
			abort();
		return 0;
	}
	if (hits == 0 || out[outlen] != '\0' || !utf8_valid((const uint8_t *)out, outlen))
		abort();
	free(out);
	return 0;
}
