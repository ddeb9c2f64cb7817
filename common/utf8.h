/* Strict UTF-8 validation, shared by everything that takes text from outside: reports, policy
 * word lists, redaction input. */
#ifndef SLUICE_UTF8_H
#define SLUICE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when `p` is valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
 * On false, *bad_offset (when not NULL) is the offset of the first bad byte. NUL is valid
 * UTF-8; callers that refuse it check for it themselves. */
bool utf8_valid(const uint8_t *p, size_t len, size_t *bad_offset);

/* The code point at p[0] (len >= 1 bytes available) in *cp, and its length in bytes; 0 when it
 * is not valid UTF-8 by the rules above. */
size_t utf8_decode(const uint8_t *p, size_t len, uint32_t *cp);

#endif
