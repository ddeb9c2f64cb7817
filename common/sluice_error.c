#include "sluice_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_str(char *dst, size_t dstlen, const char *src)
{
	if (src == NULL)
		src = "";
	snprintf(dst, dstlen, "%s", src);
}

void sluice_error_clear(struct sluice_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

static enum sluice_rc vfail(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                            const char *file, unsigned line, unsigned column,
                            const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static enum sluice_rc vfail(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                            const char *file, unsigned line, unsigned column,
                            const char *fmt, va_list ap)
{
	if (err == NULL)
		return rc;
	err->rc = rc;
	copy_str(err->rule, sizeof(err->rule), rule);
	copy_str(err->file, sizeof(err->file), file);
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return rc;
}

enum sluice_rc sluice_fail(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, rc, rule, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return rc;
}

enum sluice_rc sluice_fail_at(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                              const char *file, unsigned line, unsigned column,
                              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, rc, rule, file, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sluice_rc_str(enum sluice_rc rc)
{
	switch (rc) {
	case SLUICE_OK: return "ok";
	case SLUICE_ERR_REFUSED: return "refused by policy";
	case SLUICE_ERR_USAGE: return "usage error";
	case SLUICE_ERR_INVALID_REPORT: return "invalid report";
	case SLUICE_ERR_IO: return "I/O error";
	case SLUICE_ERR_POLICY: return "invalid policy or configuration";
	case SLUICE_ERR_INTERNAL: return "internal error";
	case SLUICE_ERR_VERIFY: return "verification failed";
	}
	return "unknown error";
}

int sluice_rc_exit_code(enum sluice_rc rc)
{
	switch (rc) {
	case SLUICE_OK: return 0;
	case SLUICE_ERR_REFUSED: return 1;
	case SLUICE_ERR_VERIFY: return 1;
	case SLUICE_ERR_USAGE: return 64;
	case SLUICE_ERR_INVALID_REPORT: return 65;
	case SLUICE_ERR_IO: return 74;
	case SLUICE_ERR_POLICY: return 78;
	case SLUICE_ERR_INTERNAL: return 70;
	}
	return 70;
}

void sluice_error_print(const char *prog, const struct sluice_error *err)
{
	char pos[320] = "";

	if (err->file[0] != '\0' && err->line != 0 && err->column != 0)
		snprintf(pos, sizeof(pos), "%s:%u:%u: ", err->file, err->line, err->column);
	else if (err->file[0] != '\0' && err->line != 0)
		snprintf(pos, sizeof(pos), "%s:%u: ", err->file, err->line);
	else if (err->file[0] != '\0')
		snprintf(pos, sizeof(pos), "%s: ", err->file);
	fprintf(stderr, "%s: %s%s: %s [%s]\n", prog, pos, sluice_rc_str(err->rc), err->message,
	        err->rule[0] ? err->rule : "-");
}

void sluice_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "sluice: internal error at %s:%d: %s\n", file, line, msg);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);
	if (p == NULL) {
		fputs("sluice: out of memory\n", stderr);
		exit(70);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	if (p == NULL) {
		fputs("sluice: out of memory\n", stderr);
		exit(70);
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);
	if (q == NULL) {
		fputs("sluice: out of memory\n", stderr);
		exit(70);
	}
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
