/*
 * The canonical JSON serialisation that Sluice signs and hashes: jansson's compact form with
 * keys sorted and every non-ASCII character escaped (JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII), no trailing newline. Two equal records always serialise to the same
 * bytes, so a verifier can re-serialise what it parsed and compare.
 */
#ifndef SLUICE_CANONICAL_JSON_H
#define SLUICE_CANONICAL_JSON_H

#include <stdbool.h>

#include <jansson.h>

/* New heap string, or NULL when `v` cannot be serialised. */
char *json_canonical(const json_t *v);

/* True when every member of `obj` is named in `allowed` (NULL-terminated); otherwise false
 * with *stranger set to the first unknown member's name. Strict readers of signed JSON refuse
 * members they do not understand. */
bool json_only_members(const json_t *obj, const char *const *allowed, const char **stranger);

#endif
