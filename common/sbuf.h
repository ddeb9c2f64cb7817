/*
 * A bounded byte buffer: the one way untrusted bytes are assembled and taken apart
 * (STYLE.md 7, after OpenSSH sshbuf and s2n stuffer).
 *
 * A buffer has a hard maximum set at creation; a put that would pass it fails and leaves the
 * buffer unchanged. Getters read from a cursor and fail, without moving it, when fewer bytes
 * remain than asked for. Integers are big-endian on the wire.
 */
#ifndef SLUICE_SBUF_H
#define SLUICE_SBUF_H

#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

struct sbuf {
	uint8_t *data;
	size_t len;   /* bytes written */
	size_t off;   /* read cursor */
	size_t cap;   /* bytes allocated */
	size_t max;   /* hard maximum of len */
};

void sbuf_init(struct sbuf *b, size_t max);
/* Wipes the contents before freeing: buffers may hold report bytes or secrets. */
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
size_t sbuf_remaining(const struct sbuf *b);

int sbuf_put(struct sbuf *b, const void *p, size_t n) SLUICE_MUST_CHECK;
int sbuf_put_u32(struct sbuf *b, uint32_t v) SLUICE_MUST_CHECK;
int sbuf_put_u64(struct sbuf *b, uint64_t v) SLUICE_MUST_CHECK;
/* A u32 length followed by the bytes. */
int sbuf_put_string(struct sbuf *b, const void *p, size_t n) SLUICE_MUST_CHECK;
int sbuf_put_cstring(struct sbuf *b, const char *s) SLUICE_MUST_CHECK;

int sbuf_get_u32(struct sbuf *b, uint32_t *v) SLUICE_MUST_CHECK;
int sbuf_get_u64(struct sbuf *b, uint64_t *v) SLUICE_MUST_CHECK;
/* Points into the buffer; no copy. Fails when the length passes `maxlen` or the end. */
int sbuf_get_string_ptr(struct sbuf *b, const uint8_t **p, size_t *n, size_t maxlen)
	SLUICE_MUST_CHECK;
/* A NUL-terminated copy; fails on an embedded NUL, on length > maxlen or on truncation. */
int sbuf_get_cstring(struct sbuf *b, char **out, size_t maxlen) SLUICE_MUST_CHECK;

#endif
