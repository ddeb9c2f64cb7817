/*
 * Text redaction of one flow: dirty-word lists (case-insensitive, whole words and phrases) and
 * detectors (built-in email, phone, passport, iban; custom PCRE2 regexes), each match replaced
 * by the flow's `replace-with`. Runs inside the sandboxed filter on text it is handed; it
 * allocates but performs no I/O. Every regex runs with PCRE2 match and depth limits, so a
 * hostile text cannot make a pattern run away: hitting a limit fails closed.
 */
#ifndef SLUICE_REDACT_H
#define SLUICE_REDACT_H

#include <stddef.h>

#include "policy.h"
#include "sluice_error.h"

struct redactor;

/* Called once per rule that matched in one text, with the number of matches. `rule` is
 * "words:<list path as written in the policy>" or "pattern:<detector name>"; it stays valid
 * for the redactor's lifetime. */
typedef void (*redact_hit_fn)(void *arg, const char *rule, unsigned count);

/* Compiles the flow's word lists and detectors. SLUICE_ERR_POLICY on a bad custom regex. */
enum sluice_rc redactor_new(const struct policy_flow *flow, struct redactor **out,
                            struct sluice_error *err) SLUICE_MUST_CHECK;
void redactor_free(struct redactor *r);
/* Makes the built-in detectors search with PCRE2 alone, from every offset, instead of
 * anchoring it at the candidate starts of their prefilters: for the tests that prove the
 * prefilters change no result, and for benchmarks. Never used by the gateway. */
void redactor_disable_prefilter(struct redactor *r);

/* Redacts `text` (`len` bytes of valid UTF-8). When something matched, *out is a new
 * NUL-terminated string (length *outlen) and `on_hit` was called per matching rule; when
 * nothing matched, *out is NULL. Matches of different rules that overlap are merged into one
 * replaced span. SLUICE_ERR_INVALID_REPORT (rule "redact.match-limit") when a regex hits its
 * match limit: the text cannot be proven clean, so the caller must refuse. */
enum sluice_rc redactor_apply(const struct redactor *r, const char *text, size_t len,
                              char **out, size_t *outlen, redact_hit_fn on_hit, void *arg,
                              struct sluice_error *err) SLUICE_MUST_CHECK;

/* Checks that `regex` compiles as a custom detector. 0 when it does; otherwise -1 with the
 * PCRE2 message and the offset in `why`. Used by the policy loader. */
int redact_regex_check(const char *regex, char *why, size_t whylen);

#endif
