/*
 * The canonical JSON serialisation that Sluice signs and hashes: jansson's compact form with
 * keys sorted and every non-ASCII character escaped (JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII), no trailing newline. Two equal records always serialise to the same
 * bytes, so a verifier can re-serialise what it parsed and compare.
 */
#ifndef SLUICE_CANONICAL_JSON_H
#define SLUICE_CANONICAL_JSON_H

#include <jansson.h>

/* New heap string, or NULL when `v` cannot be serialised. */
char *json_canonical(const json_t *v);

#endif
