/*
 * Text redaction of one flow (SPEC section 4, `redact:`); the detectors are described precisely
 * in filters/REDACTION.md.
 *
 * SECURITY
 *   Hostile data: `text` handed to redactor_apply comes from a report and may be crafted to
 *   make a regular expression run away, to split a match, or to slip a word past a boundary.
 *   Every match runs with PCRE2 match, depth and heap limits; reaching one fails closed
 *   (SLUICE_ERR_INVALID_REPORT, rule "redact.match-limit"). The built-in patterns use
 *   possessive and bounded repetitions so that the cost per starting position stays small.
 *   Policy data: word lists and custom regexes come from the administrator's policy. Words are
 *   escaped character by character, so a list can never inject regex syntax.
 *   Privilege: none. redactor_new runs before the sandbox starts and compiles everything;
 *   redactor_apply only matches and allocates (no I/O, no PCRE2 JIT: it needs executable
 *   memory, which the sandbox refuses).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "redact.h"
#include "utf8.h"
#include "wordmatch.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

/* Options every custom detector is compiled with: UTF-8 text, Unicode classes, and no
 * empty-match loops in callers because matches must be non-empty (checked at match time). */
#define CUSTOM_REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP)
/* Built-in detectors: case matters (an IBAN or an MRZ is upper case) unless the pattern says
 * otherwise with (?i:...). */
#define BUILTIN_REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP)

/* Limits of one pcre2_match call. The match limit counts backtracking steps from one
 * starting position (PCRE2 resets it at each one); the depth limit bounds nested
 * backtracking points; the heap limit (KiB) bounds the memory of the backtracking frames. */
#define REDACT_MATCH_LIMIT 1000000u
#define REDACT_DEPTH_LIMIT 10000u
#define REDACT_HEAP_LIMIT_KIB (64u * 1024u)

/* A match of no letter, mark, digit or underscore on this side. */
#define NOT_WORD_BEFORE "(?<![\\p{L}\\p{M}\\p{N}_])"
#define NOT_WORD_AFTER "(?![\\p{L}\\p{M}\\p{N}_])"

/*
 * email: local@domain.tld. The match may only start where a run of local-part characters
 * starts (so a long run is scanned once, not once per character); the local part is that
 * whole run (letters, marks, digits, . _ % + -); the domain is 1 to 126 labels of letters,
 * digits and hyphens, each followed by a dot, then a top-level domain of 2 to 63 letters.
 */
static const char email_regex[] =
	"(?<![\\p{L}\\p{M}\\p{N}._%+-])"
	"[\\p{L}\\p{M}\\p{N}._%+-]++"
	"@"
	"(?:[\\p{L}\\p{M}\\p{N}-]{1,63}+\\.){1,126}"
	"[\\p{L}\\p{M}]{2,63}";

/*
 * phone: four shapes, each starting outside any word or number and ending before any letter,
 * digit, or separator followed by a digit. C then requires 9 to 15 digits (a "(0)" trunk
 * marker not counted) and drops candidates that overlap an IBAN-shaped token.
 *   international   +CC then groups: "+33 1 42 68 53 00", "+1 (202) 555-0143",
 *                   "+44 (0)20 7946 0958", "+442079460958"
 *   area code       "(555) 123-4567", "(020) 7946 0958"
 *   North American  "555-123-4567", "1 555 123 4567" (one separator throughout)
 *   trunk 0 / 00    "020 7946 0958", "01 42 68 53 00", "0049 30 12345678" (one separator)
 */
static const char phone_regex[] =
	"(?<![\\p{L}\\p{M}\\p{N}_+])(?<![0-9][-./])"
	"(?:"
	"\\+[0-9]{1,15}+(?:[ .-]?\\([0-9]{1,4}+\\)[ .-]?[0-9]{1,15}+|[ .-][0-9]{1,15}+){0,14}+"
	"|"
	"\\([0-9]{2,5}+\\)[ .-]?[0-9]{2,8}+(?:[ .-][0-9]{2,8}+){0,4}+"
	"|"
	"(?:1[ .-])?[0-9]{3}+([ .-])[0-9]{3}+\\g{-1}[0-9]{4}+"
	"|"
	"0[0-9]{1,4}+([ .-])[0-9]{1,8}+(?:\\g{-1}[0-9]{1,8}+){0,6}+"
	")"
	"(?![\\p{L}\\p{M}\\p{N}_])(?![-./][0-9])";

/*
 * passport: a number given in context, or a machine-readable zone.
 *   context  "passport" (also passeport, pasaporte, reisepass[nummer]; any case), optionally
 *            followed by number/numero/num/nr/no/n°/№, separated by spaces and : # . , (
 *            then a token of 6 to 9 ASCII letters and digits with at least one digit. Only
 *            the token is redacted (\K).
 *   MRZ      two lines of 44 characters of [A-Z0-9<], the first starting with P.
 */
static const char passport_regex[] =
	"(?:"
	NOT_WORD_BEFORE "(?i:passports?|passeports?|pasaportes?|reisepass(?:nummer)?)"
	NOT_WORD_AFTER
	"(?:[\\s:#.,(]*+(?i:number|numero|num|nr|no|n\\x{B0}|\\x{2116}))??"
	"[\\s:#.,(]*+"
	"\\K(?=[A-Za-z0-9]{0,8}[0-9])[A-Za-z0-9]{6,9}+" NOT_WORD_AFTER
	"|"
	"(?<![A-Z0-9<])P[A-Z<][A-Z<]{3}[A-Z0-9<]{39}\\r?\\n[A-Z0-9<]{44}(?![A-Z0-9<])"
	")";

/*
 * iban: two capital letters, two check digits, then 11 to 30 capitals and digits, either
 * written in one piece or in groups of four separated by single spaces (the last group may
 * be shorter). C then requires the ISO 13616 mod-97 check to hold. The same pattern, without
 * the check, is the "IBAN-shaped token" that phone candidates may not overlap.
 */
static const char iban_regex[] =
	NOT_WORD_BEFORE "[A-Z]{2}[0-9]{2}"
	"(?:[A-Z0-9]{11,30}+|(?:\\x20[A-Z0-9]{4}){2,7}(?:\\x20[A-Z0-9]{1,3})?)"
	NOT_WORD_AFTER;

enum rule_kind { RULE_WORDS, RULE_EMAIL, RULE_PHONE, RULE_PASSPORT, RULE_IBAN, RULE_CUSTOM };

struct rule {
	char *name;          /* "words:<path>" or "pattern:<name>" */
	enum rule_kind kind;
	pcre2_code **codes;  /* patterns: one */
	size_t ncodes;
	struct wordmatch *words; /* word lists */
};

struct redactor {
	struct rule *rules;  /* word lists in policy order, then patterns in policy order */
	size_t nrules;
	pcre2_code *iban_shape; /* when a phone rule exists: tokens phone matches may not touch */
	pcre2_match_context *mctx;
	pcre2_match_data *md; /* for redactor_apply: one thread uses a redactor at a time */
	bool no_prefilter; /* redactor_disable_prefilter: tests and benchmarks only */
	char *replace_with;
	size_t replace_len;
};

static bool is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* ---------------------------------------------------------------------------------------- */
/* Word lists: one Aho-Corasick automaton each (filters/wordmatch.c). */

static void rule_add_code(struct rule *rule, pcre2_code *code)
{
	rule->codes = xrealloc(rule->codes, (rule->ncodes + 1) * sizeof(*rule->codes));
	rule->codes[rule->ncodes++] = code;
}

static enum sluice_rc compile_error(struct sluice_error *err, enum sluice_rc rc,
                                    const char *rule, const char *what, int errcode,
                                    size_t erroffset)
{
	PCRE2_UCHAR msg[256];

	if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
	return sluice_fail(err, rc, rule, "%s: %s at offset %zu", what, (const char *)msg,
	                   erroffset);
}

static enum sluice_rc compile_wordlist(struct rule *rule, const struct policy_wordlist *wl,
                                       struct sluice_error *err)
{
	return wordmatch_new((const char *const *)wl->words, wl->nwords,
	                     wl->path ? wl->path : "", &rule->words, err);
}

/* ---------------------------------------------------------------------------------------- */
/* Checks in C that a regex cannot express. */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ISO 13616: the IBAN's letters and digits in text[s, e) (spaces skipped), with the first
 * four moved to the end and letters read as 10..35, are 1 modulo 97. */
static bool iban_mod97_ok(const char *text, size_t s, size_t e)
{
	char c[34];
	size_t n = 0;
	unsigned r = 0;

	for (size_t i = s; i < e; i++) {
		if (text[i] == ' ')
			continue;
		if (n == sizeof(c))
			return false;
		c[n++] = text[i];
	}
	if (n < 15)
		return false;
	for (size_t k = 0; k < n; k++) {
		char ch = c[(k + 4) % n];
		if (is_digit(ch))
			r = (r * 10 + (unsigned)(ch - '0')) % 97;
		else if (ch >= 'A' && ch <= 'Z')
			r = (r * 100 + (unsigned)(ch - 'A' + 10)) % 97;
		else
			return false;
	}
	return r == 1;
}

/* The longest prefix of the IBAN-shaped match text[s, e), ending at the match end or before
 * a space, that passes the check; text written after an IBAN in capitals ("... 7034 EURO")
 * may have been taken in as a group. */
static bool iban_accept(const char *text, size_t s, size_t e, size_t *end)
{
	if (iban_mod97_ok(text, s, e)) {
		*end = e;
		return true;
	}
	for (size_t i = e; i > s + 4; i--) {
		if (text[i - 1] == ' ' && iban_mod97_ok(text, s, i - 1)) {
			*end = i - 1;
			return true;
		}
	}
	return false;
}

static unsigned phone_digits(const char *text, size_t s, size_t e)
{
	unsigned n = 0;
	bool trunk_zero = false;

	for (size_t i = s; i < e; i++) {
		if (is_digit(text[i]))
			n++;
		if (i + 2 < e && text[i] == '(' && text[i + 1] == '0' && text[i + 2] == ')')
			trunk_zero = true;
	}
	return trunk_zero ? n - 1 : n;
}

/* A phone number has 9 to 15 digits. When the match took in a following number
 * ("+1 555 123 4567 2026-11-25"), the longest prefix ending before a space that has 9 to 15
 * digits is the number. */
static bool phone_accept(const char *text, size_t s, size_t e, size_t *end)
{
	unsigned d = phone_digits(text, s, e);

	if (d >= 9 && d <= 15) {
		*end = e;
		return true;
	}
	if (d < 9)
		return false;
	for (size_t i = e - 1; i > s; i--) {
		if (text[i] == ' ' && is_digit(text[i - 1])) {
			d = phone_digits(text, s, i);
			if (d >= 9 && d <= 15) {
				*end = i;
				return true;
			}
			if (d < 9)
				return false;
		}
	}
	return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Construction */

static enum sluice_rc compile_builtin(struct rule *rule, const char *regex, pcre2_code **out,
                                      struct sluice_error *err)
{
	int errcode = 0;
	PCRE2_SIZE erroffset = 0;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	                                 BUILTIN_REGEX_OPTIONS, &errcode, &erroffset, NULL);

	if (code == NULL)
		return compile_error(err, SLUICE_ERR_INTERNAL, "redact.builtin", rule->name,
		                     errcode, (size_t)erroffset);
	*out = code;
	return SLUICE_OK;
}

static char *rule_name(const char *prefix, const char *name)
{
	size_t a = strlen(prefix), b = strlen(name ? name : "");
	char *s = xmalloc(a + b + 1);

	memcpy(s, prefix, a);
	memcpy(s + a, name ? name : "", b + 1);
	return s;
}

static enum sluice_rc compile_pattern(struct redactor *r, struct rule *rule,
                                      const struct policy_pattern *pat,
                                      struct sluice_error *err)
{
	const char *regex = NULL;
	pcre2_code *code = NULL;
	enum sluice_rc rc;

	switch (pat->kind) {
	case PATTERN_EMAIL:
		rule->kind = RULE_EMAIL;
		regex = email_regex;
		break;
	case PATTERN_PHONE:
		rule->kind = RULE_PHONE;
		regex = phone_regex;
		break;
	case PATTERN_PASSPORT:
		rule->kind = RULE_PASSPORT;
		regex = passport_regex;
		break;
	case PATTERN_IBAN:
		rule->kind = RULE_IBAN;
		regex = iban_regex;
		break;
	case PATTERN_CUSTOM: {
		int errcode = 0;
		PCRE2_SIZE erroffset = 0;
		rule->kind = RULE_CUSTOM;
		if (pat->regex == NULL)
			return sluice_fail(err, SLUICE_ERR_POLICY, "redact.regex",
			                   "custom detector %s has no regex", rule->name);
		code = pcre2_compile((PCRE2_SPTR)pat->regex, PCRE2_ZERO_TERMINATED,
		                     CUSTOM_REGEX_OPTIONS, &errcode, &erroffset, NULL);
		if (code == NULL) {
			char what[512];
			snprintf(what, sizeof(what), "custom detector %s", rule->name);
			return compile_error(err, SLUICE_ERR_POLICY, "redact.regex", what, errcode,
			                     (size_t)erroffset);
		}
		rule_add_code(rule, code);
		return SLUICE_OK;
	}
	default:
		return sluice_fail(err, SLUICE_ERR_POLICY, "redact.pattern",
		                   "unknown detector kind %d", (int)pat->kind);
	}
	rc = compile_builtin(rule, regex, &code, err);
	if (rc != SLUICE_OK)
		return rc;
	rule_add_code(rule, code);
	if (rule->kind == RULE_PHONE && r->iban_shape == NULL)
		return compile_builtin(rule, iban_regex, &r->iban_shape, err);
	return SLUICE_OK;
}

enum sluice_rc redactor_new(const struct policy_flow *flow, struct redactor **out,
                            struct sluice_error *err)
{
	struct redactor *r = NULL;
	enum sluice_rc rc = SLUICE_OK;
	const char *rep;

	if (flow == NULL || out == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "redact.args", "redactor_new: no flow");
	*out = NULL;
	r = xcalloc(1, sizeof(*r));
	rep = flow->replace_with ? flow->replace_with : "[REDACTED]";
	r->replace_with = xstrdup(rep);
	r->replace_len = strlen(rep);

	r->mctx = pcre2_match_context_create(NULL);
	if (r->mctx == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "redact.nomem",
		                 "cannot allocate a PCRE2 match context");
		goto out;
	}
	r->md = pcre2_match_data_create(1, NULL);
	if (r->md == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "redact.nomem",
		                 "cannot allocate PCRE2 match data");
		goto out;
	}
	pcre2_set_match_limit(r->mctx, REDACT_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, REDACT_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, REDACT_HEAP_LIMIT_KIB);

	r->rules = xcalloc(flow->nwordlists + flow->npatterns + 1, sizeof(*r->rules));
	for (size_t i = 0; i < flow->nwordlists; i++) {
		struct rule *rule = &r->rules[r->nrules++];
		rule->kind = RULE_WORDS;
		rule->name = rule_name("words:", flow->wordlists[i].path);
		rc = compile_wordlist(rule, &flow->wordlists[i], err);
		if (rc != SLUICE_OK)
			goto out;
	}
	for (size_t i = 0; i < flow->npatterns; i++) {
		struct rule *rule = &r->rules[r->nrules++];
		rule->name = rule_name("pattern:", flow->patterns[i].name);
		rc = compile_pattern(r, rule, &flow->patterns[i], err);
		if (rc != SLUICE_OK)
			goto out;
	}
	*out = r;
	r = NULL;
out:
	redactor_free(r);
	return rc;
}

void redactor_disable_prefilter(struct redactor *r)
{
	r->no_prefilter = true;
}

void redactor_free(struct redactor *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrules; i++) {
		for (size_t k = 0; k < r->rules[i].ncodes; k++)
			pcre2_code_free(r->rules[i].codes[k]);
		free(r->rules[i].codes);
		wordmatch_free(r->rules[i].words);
		free(r->rules[i].name);
	}
	free(r->rules);
	pcre2_code_free(r->iban_shape);
	pcre2_match_context_free(r->mctx);
	pcre2_match_data_free(r->md);
	free(r->replace_with);
	free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* Matching */

struct span {
	size_t start;
	size_t end;
	size_t rule;
};

struct spans {
	struct span *v;
	size_t n;
	size_t cap;
};

static void spans_push(struct spans *sp, size_t start, size_t end, size_t rule)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 32;
		sp->v = xrealloc(sp->v, sp->cap * sizeof(*sp->v));
	}
	sp->v[sp->n].start = start;
	sp->v[sp->n].end = end;
	sp->v[sp->n].rule = rule;
	sp->n++;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* longer first */
	return (x->rule > y->rule) - (x->rule < y->rule);
}

/* Whether [s, e) overlaps one of the sorted, non-overlapping spans `ex` (cursor *k only moves
 * forward: candidates arrive in increasing order). */
static bool overlaps(const struct spans *ex, size_t *k, size_t s, size_t e)
{
	while (*k < ex->n && ex->v[*k].end <= s)
		(*k)++;
	return *k < ex->n && ex->v[*k].start < e;
}

static const char *limit_name(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT: return "match";
	case PCRE2_ERROR_DEPTHLIMIT: return "depth";
	case PCRE2_ERROR_HEAPLIMIT: return "heap";
	}
	return "?";
}

struct scan {
	const struct redactor *r;
	const char *text;
	size_t len;
	pcre2_match_data *md;
	struct sluice_error *err;
};

/*
 * Where the next match of a built-in detector can start, at `off` or later. scan_code runs
 * PCRE2 anchored at each such candidate in turn, instead of letting it try every offset: this
 * changes no result as long as no match can start anywhere else (tests/unit/test_redact.c
 * compares every built-in detector with and without this on generated texts):
 *   email     a match starts where the run of local-part characters before its '@' starts, so
 *             not before the first '@' at `off` or later, less the ASCII local-part
 *             characters (and any non-ASCII bytes, conservatively) just before it; every
 *             position from there to the '@' is a candidate;
 *   phone     a match starts with '+', '(' or a digit that does not follow an ASCII letter,
 *             digit, '_' or '+' (the pattern's look-behind; after a non-ASCII byte it may),
 *             and a digit only as the trunk 0 or the North American shape (phone_digit_start);
 *   passport  a keyword starts with "pas" or "reis" in any case (nothing else is caseless-equal
 *             to p, a, r, e or i; 's' also to U+017F, the long s: checked too) and does not
 *             follow an ASCII letter, digit or '_'; the MRZ with 'P' and [A-Z<];
 *   iban      two capitals and two digits.
 * Word lists do not come here; custom patterns start everywhere (unanchored). NO_START: no
 * match is left.
 */
#define NO_START SIZE_MAX

static bool is_local_part_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c >= 0x80;
}

static bool is_ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* s, S, or U+017F (the long s, UTF-8 C5 BF), which PCRE2 matches caselessly with them. */
static bool is_s_caseless(const unsigned char *t, size_t left)
{
	return (t[0] | 0x20) == 's' || (left >= 2 && t[0] == 0xC5 && t[1] == 0xBF);
}

/* A phone number that starts with a digit other than 0 (the trunk shape starts with 0) is of
 * the North American shape: "1" and a separator, or exactly three digits and a separator
 * (the pattern's [0-9]{3}+ is possessive: a longer run cannot match). Dates, years and counts
 * are not candidates. */
static bool phone_digit_start(const unsigned char *t, size_t len, size_t i)
{
	if (t[i] == '1' && i + 1 < len && (t[i + 1] == ' ' || t[i + 1] == '.' || t[i + 1] == '-'))
		return true;
	return i + 3 < len && is_digit((char)t[i + 1]) && is_digit((char)t[i + 2]) &&
	       (t[i + 3] == ' ' || t[i + 3] == '.' || t[i + 3] == '-');
}

static bool has_prefilter(enum rule_kind kind)
{
	return kind == RULE_EMAIL || kind == RULE_PHONE || kind == RULE_PASSPORT || kind == RULE_IBAN;
}

static size_t first_possible_start(enum rule_kind kind, const char *text, size_t len, size_t off)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i;

	switch (kind) {
	case RULE_EMAIL: {
		const unsigned char *at = off < len ? memchr(t + off, '@', len - off) : NULL;
		if (at == NULL)
			return NO_START;
		i = (size_t)(at - t);
		while (i > off && is_local_part_ascii(t[i - 1]))
			i--;
		return i;
	}
	case RULE_PHONE:
		for (i = off; i < len; i++) {
			if (t[i] != '+' && t[i] != '(' && !is_digit((char)t[i]))
				continue;
			if (i > 0 && (is_ascii_word(t[i - 1]) || t[i - 1] == '+'))
				continue;
			if (t[i] == '+' || t[i] == '(' || t[i] == '0' || phone_digit_start(t, len, i))
				return i;
		}
		return NO_START;
	case RULE_PASSPORT:
		for (i = off; i < len; i++) {
			unsigned char c = t[i] | 0x20;
			if (c != 'p' && c != 'r')
				continue;
			if (t[i] == 'P' && i + 1 < len && ((t[i + 1] >= 'A' && t[i + 1] <= 'Z') || t[i + 1] == '<'))
				return i; /* an MRZ, perhaps */
			if (i > 0 && is_ascii_word(t[i - 1]))
				continue;
			if (c == 'p' && i + 2 < len && (t[i + 1] | 0x20) == 'a' && is_s_caseless(t + i + 2, len - i - 2))
				return i;
			if (c == 'r' && i + 3 < len && (t[i + 1] | 0x20) == 'e' && (t[i + 2] | 0x20) == 'i' &&
			    is_s_caseless(t + i + 3, len - i - 3))
				return i;
		}
		return NO_START;
	case RULE_IBAN:
		for (i = off; i + 4 <= len; i++)
			if (t[i] >= 'A' && t[i] <= 'Z' && t[i + 1] >= 'A' && t[i + 1] <= 'Z' &&
			    is_digit((char)t[i + 2]) && is_digit((char)t[i + 3]))
				return i;
		return NO_START;
	default:
		return off;
	}
}

/* Every non-empty match of `code` in the text, left to right; `kind` says which check in C
 * a candidate must pass. Accepted matches are pushed to `out` with rule index `ri`. */
static enum sluice_rc scan_code(const struct scan *sc, const pcre2_code *code,
                                const char *rule_name_str, enum rule_kind kind,
                                enum rule_kind prefilter, size_t ri,
                                const struct spans *exclude, struct spans *out)
{
	size_t off = 0, k = 0;

	/* With a prefilter, PCRE2 is anchored at each candidate start in turn (see
	 * first_possible_start); without, it searches on from `off` itself. */
	bool anchored = has_prefilter(prefilter) && !sc->r->no_prefilter;
	while (off <= sc->len) {
		size_t from = anchored ? first_possible_start(prefilter, sc->text, sc->len, off) : off;
		if (from == NO_START)
			break;
		int m = pcre2_match(code, (PCRE2_SPTR)sc->text, sc->len, from,
		                    PCRE2_NO_UTF_CHECK | (anchored ? PCRE2_ANCHORED : 0), sc->md,
		                    sc->r->mctx);
		if (m == PCRE2_ERROR_NOMATCH) {
			if (!anchored)
				break;
			/* No match starts here: the next candidate after this character. */
			off = from + 1;
			while (off < sc->len && is_continuation((unsigned char)sc->text[off]))
				off++;
			continue;
		}
		if (m == PCRE2_ERROR_MATCHLIMIT || m == PCRE2_ERROR_DEPTHLIMIT ||
		    m == PCRE2_ERROR_HEAPLIMIT)
			return sluice_fail(sc->err, SLUICE_ERR_INVALID_REPORT, "redact.match-limit",
			                   "redaction rule %s reached the PCRE2 %s limit at offset %zu:"
			                   " the text cannot be shown clean", rule_name_str,
			                   limit_name(m), off);
		if (m < 0) {
			PCRE2_UCHAR msg[256];
			if (pcre2_get_error_message(m, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", m);
			return sluice_fail(sc->err, m == PCRE2_ERROR_NOMEMORY ? SLUICE_ERR_INTERNAL :
			                   SLUICE_ERR_INVALID_REPORT, "redact.match",
			                   "redaction rule %s failed at offset %zu: %s", rule_name_str,
			                   off, (const char *)msg);
		}

		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
		size_t s = ov[0], e = ov[1], end = e;
		bool accept = true;

		if (e <= s || e > sc->len) {
			/* Empty (or \K past the end): not a redaction; move one character on. */
			size_t next = e > off && e <= sc->len ? e : off + 1;
			while (next < sc->len && is_continuation((unsigned char)sc->text[next]))
				next++;
			off = next;
			continue;
		}
		if (kind == RULE_PHONE)
			accept = phone_accept(sc->text, s, e, &end) &&
			         !(exclude != NULL && overlaps(exclude, &k, s, end));
		else if (kind == RULE_IBAN)
			accept = iban_accept(sc->text, s, e, &end);
		if (accept) {
			/* A custom pattern may split a character (\C): widen to whole characters. */
			while (s > 0 && is_continuation((unsigned char)sc->text[s]))
				s--;
			while (end < sc->len && is_continuation((unsigned char)sc->text[end]))
				end++;
			spans_push(out, s, end, ri);
			off = end;
		} else {
			off = e;
		}
	}
	return SLUICE_OK;
}

struct word_hits {
	struct spans *out;
	size_t rule;
};

static void on_word(void *arg, size_t start, size_t end)
{
	struct word_hits *wh = arg;
	spans_push(wh->out, start, end, wh->rule);
}

/* Matches of one rule counted as the leftmost-longest non-overlapping ones among out[from..]
 * (for one pattern or word list, simply their number). */
static unsigned count_rule(struct spans *sp, size_t from)
{
	size_t n = sp->n - from, last_end = 0;
	unsigned count = 0;

	qsort(sp->v + from, n, sizeof(*sp->v), span_cmp);
	for (size_t i = from; i < sp->n; i++) {
		if (count > 0 && sp->v[i].start < last_end)
			continue;
		last_end = sp->v[i].end;
		if (count < UINT_MAX)
			count++;
	}
	return count;
}

/* Merges overlapping and touching spans of sp (sorted) in place; returns how many remain and
 * sets *covered to the bytes they cover. */
static size_t merge_spans(struct spans *sp, size_t *covered)
{
	size_t nmerged = 0;

	*covered = 0;
	for (size_t i = 0; i < sp->n;) {
		size_t s = sp->v[i].start, e = sp->v[i].end;
		for (i++; i < sp->n && sp->v[i].start <= e; i++)
			if (sp->v[i].end > e)
				e = sp->v[i].end;
		sp->v[nmerged].start = s;
		sp->v[nmerged].end = e;
		nmerged++;
		*covered += e - s;
	}
	sp->n = nmerged;
	return nmerged;
}

enum sluice_rc redactor_apply(const struct redactor *r, const char *text, size_t len,
                              char **out, size_t *outlen, redact_hit_fn on_hit, void *arg,
                              struct sluice_error *err)
{
	struct spans found = { 0 }, ibans = { 0 };
	bool ibans_done = false;
	unsigned *counts = NULL;
	pcre2_match_data *md = NULL;
	enum sluice_rc rc = SLUICE_OK;
	char *buf = NULL;
	struct scan sc;
	size_t nmerged, covered, kept, total, pos = 0, prev = 0;

	if (out == NULL || outlen == NULL || r == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "redact.args",
		                   "redactor_apply: no redactor or no output");
	*out = NULL;
	*outlen = 0;
	if (len == 0)
		return SLUICE_OK;
	if (text == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "redact.args", "redactor_apply: no text");
	/* Checked once here, so that PCRE2 need not check the whole text at every match. */
	if (!utf8_valid((const uint8_t *)text, len, NULL))
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "redact.utf8",
		                   "text to redact is not valid UTF-8");

	/* One match data per redactor, made with it: a report has hundreds of texts, and the
	 * filter is one thread. */
	md = r->md;
	sc = (struct scan){ r, text, len, md, err };
	counts = xcalloc(r->nrules + 1, sizeof(*counts));

	/* Every rule on the original text, in rule order. */
	for (size_t ri = 0; ri < r->nrules; ri++) {
		const struct rule *rule = &r->rules[ri];
		size_t from = found.n;

		if (rule->kind == RULE_PHONE && r->iban_shape != NULL && !ibans_done) {
			rc = scan_code(&sc, r->iban_shape, rule->name, RULE_WORDS, RULE_IBAN, ri, NULL,
			               &ibans);
			if (rc != SLUICE_OK)
				goto out;
			ibans_done = true;
		}
		if (rule->words != NULL) {
			struct word_hits wh = { &found, ri };
			(void)wordmatch_scan(rule->words, text, len, on_word, &wh);
		}
		for (size_t c = 0; c < rule->ncodes; c++) {
			rc = scan_code(&sc, rule->codes[c], rule->name, rule->kind, rule->kind, ri,
			               rule->kind == RULE_PHONE ? &ibans : NULL, &found);
			if (rc != SLUICE_OK)
				goto out;
		}
		if (found.n > from)
			counts[ri] = count_rule(&found, from);
	}
	if (found.n == 0)
		goto out;

	qsort(found.v, found.n, sizeof(*found.v), span_cmp);
	nmerged = merge_spans(&found, &covered);
	kept = len - covered;
	if (r->replace_len != 0 && nmerged > (SIZE_MAX - kept - 1) / r->replace_len) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "redact.too-large",
		                 "redacted text would be too large");
		goto out;
	}
	total = kept + nmerged * r->replace_len;
	buf = xmalloc(total + 1);
	for (size_t i = 0; i < nmerged; i++) {
		memcpy(buf + pos, text + prev, found.v[i].start - prev);
		pos += found.v[i].start - prev;
		memcpy(buf + pos, r->replace_with, r->replace_len);
		pos += r->replace_len;
		prev = found.v[i].end;
	}
	memcpy(buf + pos, text + prev, len - prev);
	pos += len - prev;
	buf[pos] = '\0';
	if (pos != total)
		SLUICE_BUG("redaction output size mismatch");

	if (on_hit != NULL)
		for (size_t ri = 0; ri < r->nrules; ri++)
			if (counts[ri] > 0)
				on_hit(arg, r->rules[ri].name, counts[ri]);
	*out = buf;
	*outlen = total;
	buf = NULL;
out:
	free(buf);
	free(counts);
	free(found.v);
	free(ibans.v);
	return rc;
}

int redact_regex_check(const char *regex, char *why, size_t whylen)
{
	int errcode = 0;
	PCRE2_SIZE erroffset = 0;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	                                 CUSTOM_REGEX_OPTIONS, &errcode, &erroffset, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		snprintf(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)erroffset);
		return -1;
	}
	pcre2_code_free(code);
	return 0;
}
