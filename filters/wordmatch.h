/*
 * Dirty-word matching with one automaton (Aho-Corasick) per word list, whatever its size.
 * Semantics (filters/REDACTION.md, "Dirty words"): PCRE2's Unicode simple caseless matching,
 * whole words and phrases only (no letter, mark, digit or '_' on either side), a run of Unicode
 * whitespace inside a phrase matches any run of Unicode whitespace, every other character is
 * literal, and the matches are the leftmost-longest non-overlapping ones, left to right.
 *
 * The automaton is built once per policy load (wordmatch_new, before the sandbox: it uses PCRE2
 * to learn which characters are caseless-equal to the words' characters) and only read by
 * wordmatch_scan, whose cost is linear in the text and does not grow with the list's size.
 * Memory is bounded by the list: at most one state per character of the list (a list is at
 * most POLICY_WORDLIST_MAX_BYTES), about 24 bytes a state, plus at most WORDMATCH_DENSE_CELLS
 * cells of 4 bytes for the dense transition rows of the shallowest states.
 */
#ifndef SLUICE_WORDMATCH_H
#define SLUICE_WORDMATCH_H

#include <stddef.h>

#include "sluice_error.h"

/* A word or phrase longer than this is refused (SLUICE_ERR_POLICY, rule "redact.wordlist"). */
#define WORDMATCH_WORD_MAX_BYTES 1024
/* Dense transition cells (4 bytes each) a list may use for its shallowest states. */
#define WORDMATCH_DENSE_CELLS (1u << 20)

struct wordmatch;

/* Compiles `nwords` words (NULL and blank entries are skipped; an empty list matches nothing).
 * SLUICE_ERR_POLICY (rule "redact.wordlist", message naming `list_name` and the entry) when a
 * word is over WORDMATCH_WORD_MAX_BYTES or not valid UTF-8. */
enum sluice_rc wordmatch_new(const char *const *words, size_t nwords, const char *list_name,
                             struct wordmatch **out, struct sluice_error *err) SLUICE_MUST_CHECK;
void wordmatch_free(struct wordmatch *wm);

/* Called for each match [start, end) (byte offsets), left to right, never overlapping. */
typedef void (*wordmatch_fn)(void *arg, size_t start, size_t end);

/* Finds the matches in `text` (`len` bytes of valid UTF-8: the caller checks). Returns the
 * number of matches (calls of `found`). */
size_t wordmatch_scan(const struct wordmatch *wm, const char *text, size_t len,
                      wordmatch_fn found, void *arg);

/* Bytes the compiled automaton holds (for the limits above, and the tests). */
size_t wordmatch_memory(const struct wordmatch *wm);

/* Whether `cp` is whitespace as PCRE2's \s with PCRE2_UCP (which phrases match). */
int wordmatch_is_space(unsigned cp);

#endif
