#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void sbuf_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void sbuf_free(struct sbuf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->off = b->cap = 0;
}

void sbuf_reset(struct sbuf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->len);
	b->len = b->off = 0;
}

size_t sbuf_remaining(const struct sbuf *b)
{
	return b->len - b->off;
}

int sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		uint8_t *nd = malloc(ncap);
		if (nd == NULL)
			return -1;
		if (b->data != NULL) {
			memcpy(nd, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int sbuf_put_u32(struct sbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return sbuf_put(b, x, sizeof(x));
}

int sbuf_put_u64(struct sbuf *b, uint64_t v)
{
	if (sbuf_put_u32(b, (uint32_t)(v >> 32)) != 0)
		return -1;
	return sbuf_put_u32(b, (uint32_t)v);
}

int sbuf_put_string(struct sbuf *b, const void *p, size_t n)
{
	size_t before = b->len;
	if (n > UINT32_MAX)
		return -1;
	if (sbuf_put_u32(b, (uint32_t)n) != 0)
		return -1;
	if (sbuf_put(b, p, n) != 0) {
		b->len = before;
		return -1;
	}
	return 0;
}

int sbuf_put_cstring(struct sbuf *b, const char *s)
{
	return sbuf_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

int sbuf_get_u32(struct sbuf *b, uint32_t *v)
{
	if (sbuf_remaining(b) < 4)
		return -1;
	const uint8_t *p = b->data + b->off;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	b->off += 4;
	return 0;
}

int sbuf_get_u64(struct sbuf *b, uint64_t *v)
{
	uint32_t hi, lo;
	if (sbuf_remaining(b) < 8)
		return -1;
	if (sbuf_get_u32(b, &hi) != 0 || sbuf_get_u32(b, &lo) != 0)
		return -1;
	*v = ((uint64_t)hi << 32) | lo;
	return 0;
}

int sbuf_get_string_ptr(struct sbuf *b, const uint8_t **p, size_t *n, size_t maxlen)
{
	uint32_t len;
	size_t save = b->off;
	if (sbuf_get_u32(b, &len) != 0)
		return -1;
	if (len > maxlen || len > sbuf_remaining(b)) {
		b->off = save;
		return -1;
	}
	*p = b->data + b->off;
	*n = len;
	b->off += len;
	return 0;
}

int sbuf_get_cstring(struct sbuf *b, char **out, size_t maxlen)
{
	const uint8_t *p;
	size_t n;
	size_t save = b->off;
	if (sbuf_get_string_ptr(b, &p, &n, maxlen) != 0)
		return -1;
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		b->off = save;
		return -1;
	}
	char *s = malloc(n + 1);
	if (s == NULL) {
		b->off = save;
		return -1;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return 0;
}
