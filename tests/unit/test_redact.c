/*
 * Unit tests of the text redaction engine (filters/redact.c). Flows are built by hand; every
 * detector has positive and (more) negative cases, the latter being the false positives a
 * guard must not produce (dates, times, IBANs read as phone numbers, ...).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define R "[REDACTED]"

/* ---------------------------------------------------------------------------------------- */
/* Fixtures */

struct hits {
	char rule[16][128];
	unsigned count[16];
	size_t n;
};

static void record_hit(void *arg, const char *rule, unsigned count)
{
	struct hits *h = arg;

	assert_true(h->n < 16);
	snprintf(h->rule[h->n], sizeof(h->rule[h->n]), "%s", rule);
	h->count[h->n] = count;
	h->n++;
}

static struct policy_pattern builtin(enum pattern_kind kind)
{
	static char *const names[] = { "email", "phone", "passport", "iban" };
	struct policy_pattern p = { kind, names[kind], NULL };
	return p;
}

static struct policy_pattern custom(const char *name, const char *regex)
{
	struct policy_pattern p = { PATTERN_CUSTOM, (char *)name, (char *)regex };
	return p;
}

static struct policy_wordlist wordlist(const char *path, char **words, size_t n)
{
	struct policy_wordlist wl = { .path = (char *)path, .words = words, .nwords = n };
	return wl;
}

static struct policy_flow flow_of(struct policy_wordlist *wl, size_t nwl, struct policy_pattern *p,
                                  size_t np, const char *replace_with)
{
	struct policy_flow f;

	memset(&f, 0, sizeof(f));
	f.wordlists = wl;
	f.nwordlists = nwl;
	f.patterns = p;
	f.npatterns = np;
	f.replace_with = (char *)(replace_with ? replace_with : R);
	return f;
}

static struct redactor *new_ok(const struct policy_flow *f)
{
	struct redactor *r = NULL;
	struct sluice_error err;

	sluice_error_clear(&err);
	enum sluice_rc rc = redactor_new(f, &r, &err);
	if (rc != SLUICE_OK)
		fail_msg("redactor_new: %s [%s]", err.message, err.rule);
	assert_non_null(r);
	return r;
}

static struct redactor *new_pattern(enum pattern_kind kind)
{
	struct policy_pattern p = builtin(kind);
	struct policy_flow f = flow_of(NULL, 0, &p, 1, NULL);
	return new_ok(&f);
}

/* Redacts `in`; returns the output (NULL when nothing matched) and fills `h`. */
static char *apply_ok(const struct redactor *r, const char *in, struct hits *h)
{
	char *out = (char *)1;
	size_t outlen = 12345;
	struct sluice_error err;

	sluice_error_clear(&err);
	memset(h, 0, sizeof(*h));
	enum sluice_rc rc = redactor_apply(r, in, strlen(in), &out, &outlen, record_hit, h, &err);
	if (rc != SLUICE_OK)
		fail_msg("redactor_apply(\"%s\"): %s [%s]", in, err.message, err.rule);
	if (out == NULL) {
		assert_int_equal(h->n, 0);
		return NULL;
	}
	assert_int_equal(outlen, strlen(out));
	assert_true(h->n > 0);
	return out;
}

static void expect_redacted(const struct redactor *r, const char *in, const char *want)
{
	struct hits h;
	char *out = apply_ok(r, in, &h);

	if (out == NULL)
		fail_msg("\"%s\": nothing redacted, wanted \"%s\"", in, want);
	if (strcmp(out, want) != 0) {
		print_error("input: \"%s\"\n  got: \"%s\"\n want: \"%s\"\n", in, out, want);
		free(out);
		fail();
	}
	free(out);
}

static void expect_clean(const struct redactor *r, const char *in)
{
	struct hits h;
	char *out = apply_ok(r, in, &h);

	if (out != NULL) {
		print_error("input: \"%s\" was redacted to \"%s\"\n", in, out);
		free(out);
		fail();
	}
}

/* ---------------------------------------------------------------------------------------- */
/* email */

static void test_email_matches(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_EMAIL);

	expect_redacted(r, "bob@example.com", R);
	expect_redacted(r, "write to bob.smith+tag@mail.example.org.", "write to " R ".");
	expect_redacted(r, "first_last%x@sub.domain.co.uk, then", R ", then");
	expect_redacted(r, "<alice-b@example.io>", "<" R ">");
	expect_redacted(r, "mailto:ops@cell.example.net?x", "mailto:" R "?x");
	expect_redacted(r, "Grüße an jürgen.müller@firma.de!", "Grüße an " R "!");
	expect_redacted(r, "a@b.cc and c@d.ee", R " and " R);
	redactor_free(r);
}

static void test_email_rejects(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_EMAIL);

	expect_clean(r, "user@localhost");
	expect_clean(r, "follow @handle on the forum");
	expect_clean(r, "a@b.c");
	expect_clean(r, "bob at example dot com");
	expect_clean(r, "root@10.0.0.1");
	expect_clean(r, "email@");
	expect_clean(r, "@example.com");
	expect_clean(r, "a@@example");
	expect_clean(r, "meeting on 2026-11-25 at 10:30");
	expect_clean(r, "price: 5 @ 3.50 each");
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* phone */

static void test_phone_matches(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PHONE);

	expect_redacted(r, "call +33 1 42 68 53 00 now", "call " R " now");
	expect_redacted(r, "+1 (202) 555-0143", R);
	expect_redacted(r, "office (555) 123-4567.", "office " R ".");
	expect_redacted(r, "cell: 555-123-4567", "cell: " R);
	expect_redacted(r, "London 020 7946 0958", "London " R);
	expect_redacted(r, "+44 20 7946 0958", R);
	expect_redacted(r, "+44 (0)20 7946 0958", R);
	expect_redacted(r, "Paris 01 42 68 53 00", "Paris " R);
	expect_redacted(r, "1-555-123-4567", R);
	expect_redacted(r, "0049 30 12345678", R);
	expect_redacted(r, "(+442079460958)", "(" R ")");
	/* A following date is not taken in. */
	expect_redacted(r, "+1 555 123 4567 2026-11-25", R " 2026-11-25");
	redactor_free(r);
}

static void test_phone_rejects_dates_times_and_short_numbers(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PHONE);

	expect_clean(r, "due 2026-11-25");
	expect_clean(r, "2026-11-25T10:30:00+01:00");
	expect_clean(r, "at 10:30:15 and 23:59");
	expect_clean(r, "in 2026 and 1999");
	expect_clean(r, "Room 101");
	expect_clean(r, "case 2024-117");
	expect_clean(r, "call 555-1234");
	expect_clean(r, "+33 1 42");
	expect_clean(r, "on 01.12.2026 15 people");
	expect_clean(r, "25/11/2026 12:00");
	redactor_free(r);
}

static void test_phone_rejects_other_numbers(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PHONE);

	expect_clean(r, "host 192.168.100.200");
	expect_clean(r, "card 4111 1111 1111 1111");
	expect_clean(r, "ISBN 978-3-16-148410-0");
	expect_clean(r, "pi is 3.14159265358979");
	expect_clean(r, "1,234,567,890 units");
	expect_clean(r, "+1234567890123456789");
	expect_clean(r, "version 10.0.19041.1234");
	expect_clean(r, "ref A5551234567");
	expect_clean(r, "555-123-45678");
	redactor_free(r);
}

static void test_phone_rejects_ibans(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PHONE);

	expect_clean(r, "GB82 WEST 1234 5698 7654 32");
	expect_clean(r, "DE89370400440532013000");
	expect_clean(r, "DE89 3704 0044 0532 0130 00");
	expect_clean(r, "GB33 BUKB 0202 0150 5555 55");
	expect_clean(r, "FR14 2004 1010 0505 0001 3M02 606");
	/* An IBAN next to a real phone number: only the number goes. */
	expect_redacted(r, "GB82 WEST 1234 5698 7654 32 or 020 7946 0958",
	                "GB82 WEST 1234 5698 7654 32 or " R);
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* passport */

#define MRZ1 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
#define MRZ2 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

static void test_passport_matches(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PASSPORT);

	assert_int_equal(strlen(MRZ1), 44);
	assert_int_equal(strlen(MRZ2), 44);
	expect_redacted(r, "Passport No.: X1234567 issued", "Passport No.: " R " issued");
	expect_redacted(r, "his passport number 123456789.", "his passport number " R ".");
	expect_redacted(r, "PASSPORT # AB1234567", "PASSPORT # " R);
	expect_redacted(r, "passport: 503123456", "passport: " R);
	expect_redacted(r, "passport nr. C01X00T47", "passport nr. " R);
	expect_redacted(r, "Passeport n° 12AB34567", "Passeport n° " R);
	expect_redacted(r, "passport NR123456", "passport " R);
	expect_redacted(r, "passport no\n123456789", "passport no\n" R);
	expect_redacted(r, "MRZ:\n" MRZ1 "\n" MRZ2 "\nend", "MRZ:\n" R "\nend");
	redactor_free(r);
}

static void test_passport_rejects(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_PASSPORT);

	expect_clean(r, "the passport office opens at 9");
	expect_clean(r, "passport 12345");
	expect_clean(r, "passport number ABCDEFGH");
	expect_clean(r, "X1234567 without any context");
	expect_clean(r, "passport no. 1234567890");
	expect_clean(r, "passports are required for 123456 people");
	expect_clean(r, "passporting 1234567");
	expect_clean(r, "passport no. X1234567Z99");
	/* MRZ-like but lower case, or a line short by one. */
	expect_clean(r, "p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<\n"
	                "l898902c36uto7408122f1204159ze184226b<<<<<10");
	expect_clean(r, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<\n" MRZ2);
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* iban */

static void test_iban_matches(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_IBAN);

	expect_redacted(r, "GB82 WEST 1234 5698 7654 32", R);
	expect_redacted(r, "pay DE89370400440532013000 today", "pay " R " today");
	expect_redacted(r, "DE89 3704 0044 0532 0130 00", R);
	expect_redacted(r, "FR14 2004 1010 0505 0001 3M02 606.", R ".");
	expect_redacted(r, "IBAN: NL91ABNA0417164300", "IBAN: " R);
	expect_redacted(r, "CH93 0076 2011 6238 5295 7", R);
	/* A capitalised word after an IBAN ending on a full group is not part of it. */
	expect_redacted(r, "BE68 5390 0754 7034 EURO", R " EURO");
	redactor_free(r);
}

static void test_iban_rejects_bad_checksums(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_IBAN);

	expect_clean(r, "GB82 WEST 1234 5698 7654 33");
	expect_clean(r, "GB82 WEST 1234 5698 7655 32");
	expect_clean(r, "DE89370400440532013001");
	expect_clean(r, "DE88 3704 0044 0532 0130 00");
	expect_clean(r, "FR14 2004 1010 0505 0001 3M02 607");
	expect_clean(r, "NL91ABNA0417164301");
	expect_clean(r, "CH93 0076 2011 6238 5295 8");
	redactor_free(r);
}

static void test_iban_rejects_other_shapes(void **state)
{
	(void)state;
	struct redactor *r = new_pattern(PATTERN_IBAN);

	expect_clean(r, "GB82 WEST 1234");
	expect_clean(r, "XGB82WEST12345698765432");
	expect_clean(r, "GB82WEST12345698765432X");
	expect_clean(r, "gb82 west 1234 5698 7654 32");
	expect_clean(r, "AB12 CDEF GHIJ KLMN OP");
	expect_clean(r, "ISO 13616 and ISO 8601");
	expect_clean(r, "GB82-WEST-1234-5698-7654-32");
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* dirty words */

static char *nightjar_words[] = { "Nightjar", "Operation Nightjar", "Ночь", "Écu" };

static struct redactor *new_nightjar(void)
{
	struct policy_wordlist wl = wordlist("lists/sources-and-methods.txt", nightjar_words, 4);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, NULL);
	return new_ok(&f);
}

static void test_words_case_insensitive(void **state)
{
	(void)state;
	struct redactor *r = new_nightjar();

	expect_redacted(r, "NIGHTJAR", R);
	expect_redacted(r, "nightjar", R);
	expect_redacted(r, "the NiGhTjAr plan", "the " R " plan");
	expect_redacted(r, "ночь и НОЧЬ", R " и " R);
	expect_redacted(r, "écu, ÉCU", R ", " R);
	redactor_free(r);
}

static void test_words_whole_words(void **state)
{
	(void)state;
	struct redactor *r = new_nightjar();

	expect_redacted(r, "Nightjar's nest", R "'s nest");
	expect_redacted(r, "(Nightjar).", "(" R ").");
	expect_redacted(r, "«Nightjar»", "«" R "»");
	redactor_free(r);
}

static void test_words_reject_partial_words(void **state)
{
	(void)state;
	struct redactor *r = new_nightjar();

	expect_clean(r, "Nightjars");
	expect_clean(r, "xNightjar");
	expect_clean(r, "Nightjar_1");
	expect_clean(r, "Nightjar2");
	expect_clean(r, "éNightjar");
	expect_clean(r, "Nightjaré");
	expect_clean(r, "Nightjar\xcc\x81"); /* followed by a combining accent */
	expect_clean(r, "Ночью");
	expect_clean(r, "Night jar");
	redactor_free(r);
}

static void test_words_phrases_across_whitespace(void **state)
{
	(void)state;
	char *words[] = { "Operation   Nightjar Team" };
	struct policy_wordlist wl = wordlist("l.txt", words, 1);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, NULL);
	struct redactor *r = new_ok(&f);

	expect_redacted(r, "the operation\n  NIGHTJAR\tteam met", "the " R " met");
	expect_redacted(r, "Operation Nightjar Team", R);
	expect_redacted(r, "Operation\xc2\xa0Nightjar Team", R); /* no-break space */
	expect_clean(r, "OperationNightjar Team");
	expect_clean(r, "Operation-Nightjar Team");
	expect_clean(r, "Operation Nightjar");
	expect_clean(r, "Operation Nightjar Teams");
	redactor_free(r);
}

static void test_words_metacharacters_are_literal(void **state)
{
	(void)state;
	char *words[] = { "a.b*c", "(x)", "[y]", "f\\Eo\\Q", "1+1", "$HOME", "^top|", "q?",
		          "#tag", "{2}" };
	struct policy_wordlist wl = wordlist("meta.txt", words, 10);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, NULL);
	struct redactor *r = new_ok(&f);

	expect_redacted(r, "see a.b*c now", "see " R " now");
	expect_redacted(r, "f\\Eo\\Q", R);
	expect_redacted(r, "1+1 is", R " is");
	expect_redacted(r, "echo $HOME", "echo " R);
	expect_clean(r, "aXbbc abbbc");
	expect_clean(r, "x y");
	expect_clean(r, "11 111");
	expect_clean(r, "top anything");
	expect_clean(r, "q");
	expect_clean(r, "tag");
	expect_clean(r, "22");
	redactor_free(r);
}

static void test_words_longest_first(void **state)
{
	(void)state;
	char *words[] = { "Nightjar", "Operation Nightjar", "Nightjar Team" };
	struct policy_wordlist wl = wordlist("l.txt", words, 3);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, "#");
	struct redactor *r = new_ok(&f);
	struct hits h;
	char *out;

	out = apply_ok(r, "Operation Nightjar, Nightjar Team, Nightjar Teamwork", &h);
	assert_non_null(out);
	assert_string_equal(out, "#, #, # Teamwork");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.rule[0], "words:l.txt");
	assert_int_equal(h.count[0], 3);
	free(out);
	redactor_free(r);
}

static void test_words_empty_list_and_blank_words(void **state)
{
	(void)state;
	char *words[] = { "", "   " };
	struct policy_wordlist wl[2] = { wordlist("empty.txt", NULL, 0),
		                         wordlist("blank.txt", words, 2) };
	struct policy_flow f = flow_of(wl, 2, NULL, 0, NULL);
	struct redactor *r = new_ok(&f);

	expect_clean(r, "anything at all");
	expect_clean(r, "   ");
	redactor_free(r);
}

/* A list too large for one PCRE2 pattern is split; every word still matches. */
static void test_words_large_list(void **state)
{
	(void)state;
	enum { N = 8000 };
	char **words = calloc(N, sizeof(*words));
	uint32_t x = 12345;
	struct hits h;

	assert_non_null(words);
	for (size_t i = 0; i < N; i++) {
		char w[16];
		for (size_t k = 0; k < 12; k++) {
			x = x * 1103515245u + 12345u;
			w[k] = (char)('a' + (x >> 16) % 26);
		}
		w[12] = '\0';
		words[i] = strdup(w);
		assert_non_null(words[i]);
	}
	struct policy_wordlist wl = wordlist("big.txt", words, N);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, "*");
	struct redactor *r = new_ok(&f);
	char text[128];

	snprintf(text, sizeof(text), "%s, %s and %s.", words[0], words[N / 2], words[N - 1]);
	char *out = apply_ok(r, text, &h);
	assert_non_null(out);
	assert_string_equal(out, "*, * and *.");
	assert_int_equal(h.count[0], 3);
	free(out);
	expect_clean(r, "none of these words");
	redactor_free(r);
	for (size_t i = 0; i < N; i++)
		free(words[i]);
	free(words);
}

/* ---------------------------------------------------------------------------------------- */
/* Several rules together */

static void test_overlapping_rules_merge(void **state)
{
	(void)state;
	char *words[] = { "bob", "Nightjar" };
	struct policy_wordlist wl = wordlist("names.txt", words, 2);
	struct policy_pattern p[2] = { builtin(PATTERN_EMAIL), builtin(PATTERN_PHONE) };
	struct policy_flow f = flow_of(&wl, 1, p, 2, NULL);
	struct redactor *r = new_ok(&f);
	struct hits h;
	char *out;

	/* "bob" (word) lies inside "bob@example.com" (email): one span, both counted. */
	out = apply_ok(r, "mail bob@example.com or call 555-123-4567", &h);
	assert_non_null(out);
	assert_string_equal(out, "mail " R " or call " R);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.rule[0], "words:names.txt");
	assert_int_equal(h.count[0], 1);
	assert_string_equal(h.rule[1], "pattern:email");
	assert_int_equal(h.count[1], 1);
	assert_string_equal(h.rule[2], "pattern:phone");
	assert_int_equal(h.count[2], 1);
	free(out);

	/* Partly overlapping spans of two rules become one. */
	char *w2[] = { "Nightjar Team" };
	struct policy_wordlist wl2 = wordlist("a.txt", w2, 1);
	struct policy_pattern c = custom("tail", "Team lead");
	struct policy_flow f2 = flow_of(&wl2, 1, &c, 1, NULL);
	struct redactor *r2 = new_ok(&f2);
	expect_redacted(r2, "the Nightjar Team lead said", "the " R " said");
	redactor_free(r2);
	redactor_free(r);
}

static void test_counts_and_order(void **state)
{
	(void)state;
	char *w1[] = { "alpha" };
	char *w2[] = { "beta" };
	struct policy_wordlist wl[2] = { wordlist("one.txt", w1, 1), wordlist("two.txt", w2, 1) };
	struct policy_pattern p[2] = { builtin(PATTERN_IBAN), builtin(PATTERN_EMAIL) };
	struct policy_flow f = flow_of(wl, 2, p, 2, "X");
	struct redactor *r = new_ok(&f);
	struct hits h;
	char *out;

	out = apply_ok(r, "a@b.cc beta alpha, ALPHA DE89370400440532013000 alpha c@d.ee", &h);
	assert_non_null(out);
	assert_string_equal(out, "X X X, X X X X");
	assert_int_equal(h.n, 4);
	assert_string_equal(h.rule[0], "words:one.txt");
	assert_int_equal(h.count[0], 3);
	assert_string_equal(h.rule[1], "words:two.txt");
	assert_int_equal(h.count[1], 1);
	assert_string_equal(h.rule[2], "pattern:iban");
	assert_int_equal(h.count[2], 1);
	assert_string_equal(h.rule[3], "pattern:email");
	assert_int_equal(h.count[3], 2);
	free(out);

	/* A rule with no match is not reported. */
	out = apply_ok(r, "only beta here", &h);
	assert_non_null(out);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.rule[0], "words:two.txt");
	assert_int_equal(h.count[0], 1);
	free(out);
	redactor_free(r);
}

static void test_replace_with(void **state)
{
	(void)state;
	char *words[] = { "secret" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, "<withheld>");
	struct redactor *r = new_ok(&f);

	expect_redacted(r, "a secret, another SECRET.", "a <withheld>, another <withheld>.");
	redactor_free(r);

	f = flow_of(&wl, 1, NULL, 0, "");
	r = new_ok(&f);
	expect_redacted(r, "a secret, another SECRET.", "a , another .");
	expect_redacted(r, "secret", "");
	redactor_free(r);

	/* Unset replace-with: the default. */
	f = flow_of(&wl, 1, NULL, 0, NULL);
	f.replace_with = NULL;
	r = new_ok(&f);
	expect_redacted(r, "secret", "[REDACTED]");
	redactor_free(r);
}

static void test_non_ascii_text_kept(void **state)
{
	(void)state;
	char *words[] = { "Nightjar" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_pattern p[2] = { builtin(PATTERN_EMAIL), builtin(PATTERN_PHONE) };
	struct policy_flow f = flow_of(&wl, 1, p, 2, "█");
	struct redactor *r = new_ok(&f);

	expect_redacted(r, "Zürich: Nightjar — 東京 Nightjar。ß Привет",
	                "Zürich: █ — 東京 █。ß Привет");
	expect_redacted(r, "écrire à ivan@пример.рф ou 020 7946 0958 — 谢谢",
	                "écrire à █ ou █ — 谢谢");
	expect_redacted(r, "😀Nightjar😀", "😀█😀");
	expect_clean(r, "Straße, café, 東京, Привет, 😀");
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* Custom detectors and limits */

static void test_custom_regex(void **state)
{
	(void)state;
	struct policy_pattern p = custom("project-code", "\\bPRJ-[0-9]{4}\\b");
	struct policy_flow f = flow_of(NULL, 0, &p, 1, NULL);
	struct redactor *r = new_ok(&f);
	struct hits h;
	char *out;

	out = apply_ok(r, "see PRJ-1234 and PRJ-9999.", &h);
	assert_non_null(out);
	assert_string_equal(out, "see " R " and " R ".");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.rule[0], "pattern:project-code");
	assert_int_equal(h.count[0], 2);
	free(out);
	expect_clean(r, "PRJ-12345 prj-1234 XPRJ-1234");
	redactor_free(r);
}

static void test_custom_regex_empty_matches_skipped(void **state)
{
	(void)state;
	struct policy_pattern p[2] = { custom("stars", "x*"), custom("as", "a*") };
	struct policy_flow f = flow_of(NULL, 0, p, 2, "_");
	struct redactor *r = new_ok(&f);
	struct hits h;
	char *out;

	expect_clean(r, "bcd é 東");
	out = apply_ok(r, "baaab é", &h);
	assert_non_null(out);
	assert_string_equal(out, "b_b é");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.rule[0], "pattern:as");
	free(out);
	redactor_free(r);
}

/* \C matches one byte even inside a character; the span is widened to whole characters so
 * the output stays valid UTF-8. */
static void test_custom_regex_byte_match_widened(void **state)
{
	(void)state;
	struct policy_pattern p = custom("byte", "a\\C");
	struct policy_flow f = flow_of(NULL, 0, &p, 1, "_");
	struct redactor *r = new_ok(&f);

	expect_redacted(r, "aéb", "_b");
	expect_redacted(r, "x a東 y", "x _ y");
	redactor_free(r);
}

static void test_catastrophic_regex_fails_closed(void **state)
{
	(void)state;
	struct policy_pattern p = custom("evil", "(a+)+$");
	struct policy_flow f = flow_of(NULL, 0, &p, 1, NULL);
	struct redactor *r = new_ok(&f);
	const char *text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
	char *out = NULL;
	size_t outlen = 0;
	struct hits h;
	struct sluice_error err;

	memset(&h, 0, sizeof(h));
	sluice_error_clear(&err);
	assert_int_equal(redactor_apply(r, text, strlen(text), &out, &outlen, record_hit, &h, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "redact.match-limit");
	assert_non_null(strstr(err.message, "pattern:evil"));
	assert_null(out);
	assert_int_equal(h.n, 0);
	redactor_free(r);
}

/* A word list's earlier match does not leak out when a later rule fails. */
static void test_limit_reports_no_hits(void **state)
{
	(void)state;
	char *words[] = { "alpha" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_pattern p = custom("evil", "(x+x+)+$");
	struct policy_flow f = flow_of(&wl, 1, &p, 1, NULL);
	struct redactor *r = new_ok(&f);
	const char *text = "alpha xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!";
	char *out = NULL;
	size_t outlen = 0;
	struct hits h;
	struct sluice_error err;

	memset(&h, 0, sizeof(h));
	assert_int_equal(redactor_apply(r, text, strlen(text), &out, &outlen, record_hit, &h, &err),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(err.rule, "redact.match-limit");
	assert_null(out);
	assert_int_equal(h.n, 0);
	redactor_free(r);
}

static void test_bad_custom_regex_refused(void **state)
{
	(void)state;
	const char *bad[] = { "(unclosed", "[z-a]", "a{2,1}", "\\", "(?<n>a)(?<n>b)" };
	struct redactor *r = (struct redactor *)1;
	struct sluice_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *words[] = { "fine" };
		struct policy_wordlist wl = wordlist("w.txt", words, 1);
		struct policy_pattern p[2] = { builtin(PATTERN_EMAIL), custom("broken", bad[i]) };
		struct policy_flow f = flow_of(&wl, 1, p, 2, NULL);
		sluice_error_clear(&err);
		r = (struct redactor *)1;
		assert_int_equal(redactor_new(&f, &r, &err), SLUICE_ERR_POLICY);
		assert_null(r);
		assert_string_equal(err.rule, "redact.regex");
		assert_non_null(strstr(err.message, "pattern:broken"));
	}
}

static void test_bad_word_list_refused(void **state)
{
	(void)state;
	char *bad_utf8[] = { "ok", "caf\xc3" };
	struct policy_wordlist wl = wordlist("bad.txt", bad_utf8, 2);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, NULL);
	struct redactor *r = (struct redactor *)1;
	struct sluice_error err;

	assert_int_equal(redactor_new(&f, &r, &err), SLUICE_ERR_POLICY);
	assert_null(r);
	assert_string_equal(err.rule, "redact.wordlist");
	assert_non_null(strstr(err.message, "bad.txt"));

	char *huge = malloc(2000);
	assert_non_null(huge);
	memset(huge, 'w', 1999);
	huge[1999] = '\0';
	char *long_word[] = { huge };
	wl = wordlist("long.txt", long_word, 1);
	f = flow_of(&wl, 1, NULL, 0, NULL);
	assert_int_equal(redactor_new(&f, &r, &err), SLUICE_ERR_POLICY);
	assert_null(r);
	free(huge);
}

static void test_regex_check(void **state)
{
	(void)state;
	char why[256];

	assert_int_equal(redact_regex_check("PRJ-[0-9]{4}", why, sizeof(why)), 0);
	assert_int_equal(redact_regex_check("(unclosed", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "offset"));
}

static void test_no_match_returns_null(void **state)
{
	(void)state;
	char *words[] = { "Nightjar" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_pattern p[4] = { builtin(PATTERN_EMAIL), builtin(PATTERN_PHONE),
		                       builtin(PATTERN_PASSPORT), builtin(PATTERN_IBAN) };
	struct policy_flow f = flow_of(&wl, 1, p, 4, NULL);
	struct redactor *r = new_ok(&f);
	char *out = (char *)1;
	size_t outlen = 7;
	struct sluice_error err;

	expect_clean(r, "The quick brown fox jumps over the lazy dog on 2026-11-25.");
	assert_int_equal(redactor_apply(r, "", 0, &out, &outlen, record_hit, NULL, &err),
	                 SLUICE_OK);
	assert_null(out);
	assert_int_equal(outlen, 0);
	redactor_free(r);
}

static void test_invalid_utf8_refused(void **state)
{
	(void)state;
	char *words[] = { "Nightjar" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, NULL);
	struct redactor *r = new_ok(&f);
	const char *bad[] = { "Nightjar \xff", "\xc3", "\xe0\x80\x80", "\xed\xa0\x80",
		              "\xf4\x90\x80\x80", "\xc0\xaf" };
	struct sluice_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		size_t outlen = 0;
		assert_int_equal(redactor_apply(r, bad[i], strlen(bad[i]), &out, &outlen, NULL, NULL,
		                                &err), SLUICE_ERR_INVALID_REPORT);
		assert_string_equal(err.rule, "redact.utf8");
		assert_null(out);
	}
	redactor_free(r);
}

/* Texts with embedded NUL bytes are handled by length, not by C string. */
static void test_embedded_nul(void **state)
{
	(void)state;
	char *words[] = { "Nightjar" };
	struct policy_wordlist wl = wordlist("w.txt", words, 1);
	struct policy_flow f = flow_of(&wl, 1, NULL, 0, "#");
	struct redactor *r = new_ok(&f);
	const char text[] = "a\0Nightjar\0b";
	char *out = NULL;
	size_t outlen = 0;
	struct sluice_error err;

	assert_int_equal(redactor_apply(r, text, sizeof(text) - 1, &out, &outlen, NULL, NULL, &err),
	                 SLUICE_OK);
	assert_non_null(out);
	assert_int_equal(outlen, 5);
	assert_memory_equal(out, "a\0#\0b", 6);
	free(out);
	redactor_free(r);
}

/* A large clean text with all detectors: no limit is reached by the built-in patterns. */
static void test_large_text_within_limits(void **state)
{
	(void)state;
	char *words[] = { "Nightjar", "Operation Nightjar" };
	struct policy_wordlist wl = wordlist("w.txt", words, 2);
	struct policy_pattern p[4] = { builtin(PATTERN_EMAIL), builtin(PATTERN_PHONE),
		                       builtin(PATTERN_PASSPORT), builtin(PATTERN_IBAN) };
	struct policy_flow f = flow_of(&wl, 1, p, 4, NULL);
	struct redactor *r = new_ok(&f);
	const char *units[] = { "a", "a.", "a@", "a@b.", "1 ", "+1 ", "Operation ", "P<", "AB12 ",
		                "passport ", " \n" };
	size_t n = 256 * 1024;
	char *text = malloc(n + 1);

	assert_non_null(text);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]);
		for (size_t i = 0; i < n; i++)
			text[i] = units[u][i % ul];
		text[n] = '\0';
		char *out = NULL;
		size_t outlen = 0;
		struct sluice_error err;
		sluice_error_clear(&err);
		enum sluice_rc rc = redactor_apply(r, text, n, &out, &outlen, NULL, NULL, &err);
		if (rc != SLUICE_OK)
			fail_msg("unit \"%s\": %s [%s]", units[u], err.message, err.rule);
		free(out);
	}
	free(text);
	redactor_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* The built-in detectors start PCRE2 only where a match can start (redact.c,
 * first_possible_start). The same regexes as custom detectors start everywhere: on generated
 * texts both must redact the same (email and passport have no check in C besides the regex). */

static const char email_regex_copy[] =
	"(?<![\\p{L}\\p{M}\\p{N}._%+-])[\\p{L}\\p{M}\\p{N}._%+-]++@"
	"(?:[\\p{L}\\p{M}\\p{N}-]{1,63}+\\.){1,126}[\\p{L}\\p{M}]{2,63}";
static const char passport_regex_copy[] =
	"(?:(?<![\\p{L}\\p{M}\\p{N}_])(?i:passports?|passeports?|pasaportes?|reisepass(?:nummer)?)"
	"(?![\\p{L}\\p{M}\\p{N}_])"
	"(?:[\\s:#.,(]*+(?i:number|numero|num|nr|no|n\\x{B0}|\\x{2116}))??[\\s:#.,(]*+"
	"\\K(?=[A-Za-z0-9]{0,8}[0-9])[A-Za-z0-9]{6,9}+(?![\\p{L}\\p{M}\\p{N}_])"
	"|(?<![A-Z0-9<])P[A-Z<][A-Z<]{3}[A-Z0-9<]{39}\\r?\\n[A-Z0-9<]{44}(?![A-Z0-9<]))";

static const char *const prefilter_pieces[] = {
	"a", "b.c", "@", "@", "x@y.org", "bob", "-", "+", "%", "_", "\xc3\xa9", "\xd0\xb6",
	"\xcc\x81", " ", "\n", ".", "org", "example", "passport", "PASSPORT", "Reisepass",
	"pasaporte", "no", "No.:", "N\xc2\xb0", "\xe2\x84\x96", "#", "(", ": ", "X1234567", "12AB34567",
	"ABCDEFGH", "123456789", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
	"L898902C36UTO7408122F1204159ZE184226B<<<<<10", "r", "p", "1", "7", "\xc5\xbf",
};

static void test_prefilter_changes_nothing(void **state)
{
	(void)state;
	struct policy_pattern email = builtin(PATTERN_EMAIL), passport = builtin(PATTERN_PASSPORT);
	struct policy_pattern email_c = custom("email", email_regex_copy);
	struct policy_pattern passport_c = custom("passport", passport_regex_copy);
	struct policy_flow fe = flow_of(NULL, 0, &email, 1, NULL);
	struct policy_flow fec = flow_of(NULL, 0, &email_c, 1, NULL);
	struct policy_flow fp = flow_of(NULL, 0, &passport, 1, NULL);
	struct policy_flow fpc = flow_of(NULL, 0, &passport_c, 1, NULL);
	struct redactor *re = new_ok(&fe), *rec = new_ok(&fec), *rp = new_ok(&fp),
	                *rpc = new_ok(&fpc);
	unsigned seed = 7;
	size_t npieces = sizeof(prefilter_pieces) / sizeof(*prefilter_pieces);
	for (int iter = 0; iter < 3000; iter++) {
		char text[2048];
		size_t k = 0, n = 1 + (size_t)(rand_r(&seed) % 24);
		for (size_t i = 0; i < n; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%s",
			                      prefilter_pieces[rand_r(&seed) % (int)npieces]);
		struct hits h1, h2;
		char *a = apply_ok(re, text, &h1), *b = apply_ok(rec, text, &h2);
		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			fail_msg("email differs on \"%s\": \"%s\" / \"%s\"", text, a ? a : "-",
			         b ? b : "-");
		free(a);
		free(b);
		a = apply_ok(rp, text, &h1);
		b = apply_ok(rpc, text, &h2);
		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			fail_msg("passport differs on \"%s\": \"%s\" / \"%s\"", text, a ? a : "-",
			         b ? b : "-");
		free(a);
		free(b);
	}
	redactor_free(re);
	redactor_free(rec);
	redactor_free(rp);
	redactor_free(rpc);
}

/* Every built-in detector, anchored at its prefilter's candidates (the gateway) and searching
 * with PCRE2 alone from every offset (redactor_disable_prefilter): the same redactions and
 * counts on generated texts mixing the shapes each detector looks for and what is near them. */
static const char *const anchor_pieces[] = {
	"a", "Z", "_", "+", "(", ")", "-", ".", "/", " ", "\n", "0", "1", "7", "00", "020", "555",
	"123", "4567", "+33", "+1 (202) 555-0143", "(555) 123-4567", "0049 30 12345678",
	"1 555 123 4567", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89",
	"3704 0044 0532 0130 00", "FR76", "x@y.org", "@", "bob", "passport", "Passeport no. ",
	"PASAPORTE", "reisepassnummer", "pa\xc5\xbfsport", "rei\xc5\xbf" "epass", "X1234567",
	"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	"\xc3\xa9", "\xd9\xa3", "\xcc\x81", "p", "r", "P", "R", "pas", "reis", "PA", "12", "2025",
	"1.", "1-", "123 ", "123.", "123-", "1234 ", "12 ", "555.123.4567", "1-555-123-4567",
	"555 123 4567", "5551234567", "9", "99-", "(0)", "01 42 68 53 00",
};

static void test_prefilter_anchoring_changes_nothing(void **state)
{
	(void)state;
	struct policy_pattern pats[4] = { builtin(PATTERN_EMAIL), builtin(PATTERN_PHONE),
	                                  builtin(PATTERN_PASSPORT), builtin(PATTERN_IBAN) };
	struct policy_flow f = flow_of(NULL, 0, pats, 4, NULL);
	struct redactor *fast = new_ok(&f), *slow = new_ok(&f);
	redactor_disable_prefilter(slow);
	unsigned seed = 11, redacted = 0;
	size_t npieces = sizeof(anchor_pieces) / sizeof(*anchor_pieces);
	for (int iter = 0; iter < 20000; iter++) {
		char text[4096];
		size_t k = 0, n = 1 + (size_t)(rand_r(&seed) % 30);
		for (size_t i = 0; i < n; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%s",
			                      anchor_pieces[rand_r(&seed) % (int)npieces]);
		struct hits h1, h2;
		char *a = apply_ok(fast, text, &h1), *b = apply_ok(slow, text, &h2);
		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			fail_msg("anchored and unanchored differ on \"%s\": \"%s\" / \"%s\"", text,
			         a ? a : "-", b ? b : "-");
		if (memcmp(&h1, &h2, sizeof(h1)) != 0)
			fail_msg("anchored and unanchored count differently on \"%s\"", text);
		redacted += a != NULL;
		free(a);
		free(b);
	}
	/* The texts are worth comparing: most have something redacted, some nothing. */
	print_message("%u of 20000 texts had something redacted\n", redacted);
	assert_true(redacted > 5000);
	assert_true(redacted < 19000);
	redactor_free(fast);
	redactor_free(slow);
}

/* The passport prefilter looks for "pas" and "reis" in ASCII, any case, and the long s: nothing
 * else is caseless-equal to p, a, r, e, i or s. */
static void test_passport_keyword_letters(void **state)
{
	(void)state;
	struct policy_pattern p = custom("pareis", "(?i)[pareis]");
	struct policy_flow f = flow_of(NULL, 0, &p, 1, "");
	struct redactor *r = new_ok(&f);
	char *text = malloc(5u * 0x110000u), *out = NULL;
	size_t k = 0, outlen = 0;
	struct sluice_error err;
	for (unsigned cp = 0x20; cp <= 0x10FFFF; cp++) {
		if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp < 0x80 && strchr("pPaArReEiIsS", (int)cp)) ||
		    cp == 0x17F)
			continue;
		if (cp < 0x80) {
			text[k++] = (char)cp;
		} else if (cp < 0x800) {
			text[k++] = (char)(0xC0 | (cp >> 6));
			text[k++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			text[k++] = (char)(0xE0 | (cp >> 12));
			text[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			text[k++] = (char)(0x80 | (cp & 0x3F));
		} else {
			text[k++] = (char)(0xF0 | (cp >> 18));
			text[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
			text[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			text[k++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	assert_int_equal(redactor_apply(r, text, k, &out, &outlen, NULL, NULL, &err), SLUICE_OK);
	assert_null(out);
	free(text);
	redactor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_matches),
		cmocka_unit_test(test_prefilter_anchoring_changes_nothing),
		cmocka_unit_test(test_email_rejects),
		cmocka_unit_test(test_phone_matches),
		cmocka_unit_test(test_phone_rejects_dates_times_and_short_numbers),
		cmocka_unit_test(test_phone_rejects_other_numbers),
		cmocka_unit_test(test_phone_rejects_ibans),
		cmocka_unit_test(test_passport_matches),
		cmocka_unit_test(test_passport_rejects),
		cmocka_unit_test(test_iban_matches),
		cmocka_unit_test(test_iban_rejects_bad_checksums),
		cmocka_unit_test(test_iban_rejects_other_shapes),
		cmocka_unit_test(test_words_case_insensitive),
		cmocka_unit_test(test_words_whole_words),
		cmocka_unit_test(test_words_reject_partial_words),
		cmocka_unit_test(test_words_phrases_across_whitespace),
		cmocka_unit_test(test_words_metacharacters_are_literal),
		cmocka_unit_test(test_words_longest_first),
		cmocka_unit_test(test_words_empty_list_and_blank_words),
		cmocka_unit_test(test_words_large_list),
		cmocka_unit_test(test_overlapping_rules_merge),
		cmocka_unit_test(test_counts_and_order),
		cmocka_unit_test(test_replace_with),
		cmocka_unit_test(test_non_ascii_text_kept),
		cmocka_unit_test(test_custom_regex),
		cmocka_unit_test(test_custom_regex_empty_matches_skipped),
		cmocka_unit_test(test_custom_regex_byte_match_widened),
		cmocka_unit_test(test_catastrophic_regex_fails_closed),
		cmocka_unit_test(test_limit_reports_no_hits),
		cmocka_unit_test(test_bad_custom_regex_refused),
		cmocka_unit_test(test_bad_word_list_refused),
		cmocka_unit_test(test_regex_check),
		cmocka_unit_test(test_no_match_returns_null),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_large_text_within_limits),
		cmocka_unit_test(test_prefilter_changes_nothing),
		cmocka_unit_test(test_passport_keyword_letters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
