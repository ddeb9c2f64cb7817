/*
 * JSON from a string literal, for unit tests that build records and audit lines by hand.
 * Header-only, so that every test binary keeps to its one source file.
 */
#ifndef SLUICE_TESTS_JSON_TEXT_H
#define SLUICE_TESTS_JSON_TEXT_H

#include <jansson.h>

/* Parses `text` (duplicate keys refused), failing the running cmocka test when it is not JSON. */
static inline json_t *json_from_text(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

#endif
