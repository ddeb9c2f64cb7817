/*
 * One error convention for all of Sluice (STYLE.md 8, 9).
 *
 * Functions that can fail return `enum sluice_rc` (SLUICE_OK == 0) and fill a caller-owned
 * `struct sluice_error` with a precise, human message. The rc says which of the three kinds of
 * failure happened: bad input (the report, the policy, the command line), a broken environment
 * (I/O), or a broken invariant (internal). Callers must look at the result.
 *
 * `rule` is a short, stable identifier ("xml.doctype", "ism.unknown-classification") that is
 * safe to write to receipts and the audit log: it never contains report bytes. `message` may
 * quote values from the input and is for the operator's terminal only.
 */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include <stddef.h>

#define SLUICE_MUST_CHECK __attribute__((warn_unused_result))

enum sluice_rc {
	SLUICE_OK = 0,
	SLUICE_ERR_REFUSED,        /* the policy refuses the transfer (exit 1) */
	SLUICE_ERR_USAGE,          /* bad command line (exit 64) */
	SLUICE_ERR_INVALID_REPORT, /* invalid or hostile report (exit 65) */
	SLUICE_ERR_IO,             /* I/O error (exit 74) */
	SLUICE_ERR_POLICY,         /* invalid policy or configuration (exit 78) */
	SLUICE_ERR_INTERNAL,       /* broken invariant or resource exhaustion (exit 70) */
	SLUICE_ERR_VERIFY,         /* a signature, digest or chain did not verify (exit 1) */
};

struct sluice_error {
	enum sluice_rc rc;
	char rule[64];     /* stable identifier, no report content */
	char file[256];    /* file the error is about, or "" */
	unsigned line;     /* 1-based, 0 when unknown */
	unsigned column;   /* 1-based, 0 when unknown */
	char message[1024];
};

/* Sets every field of `err` (which may be NULL) and returns `rc`, so callers can write
 * `return sluice_fail(err, SLUICE_ERR_IO, "io.read", "cannot read %s: %s", p, strerror(e));` */
enum sluice_rc sluice_fail(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Like sluice_fail, with a position (file:line:column) for policy and report errors. */
enum sluice_rc sluice_fail_at(struct sluice_error *err, enum sluice_rc rc, const char *rule,
                              const char *file, unsigned line, unsigned column,
                              const char *fmt, ...) __attribute__((format(printf, 7, 8)));

void sluice_error_clear(struct sluice_error *err);

/* "refused", "invalid report", ... */
const char *sluice_rc_str(enum sluice_rc rc);

/* sysexits code of SPEC section 5 for `rc`. */
int sluice_rc_exit_code(enum sluice_rc rc);

/* Writes "sluice: FILE:LINE:COLUMN: MESSAGE [rule]" to stderr. */
void sluice_error_print(const char *prog, const struct sluice_error *err);

/* A broken invariant: print and abort. Never used for input checks. */
#define SLUICE_BUG(msg) sluice_bug(__FILE__, __LINE__, (msg))
void sluice_bug(const char *file, int line, const char *msg) __attribute__((noreturn));

/* Allocation that never returns NULL: an environment that cannot give a few bytes is broken. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
