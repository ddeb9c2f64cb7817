/*
 * Reading an audit log (audit/README.md) as hostile input, for the oversight commands that
 * summarise or export it (`sluice audit report`, `sluice audit export`, the syslog copy): line
 * by line, each line bounded (AUDIT_READER_LINE_MAX, the verifier's limit; a longer line is
 * skipped to its end, never held whole), strict JSON (duplicate keys refused). It does not
 * verify the chain: auditlog_verify does, and the callers say so.
 *
 * A line that is not a transfer or checkpoint line of the documented shape is reported as
 * AUDIT_ENTRY_BAD with its number and why, and reading goes on: each caller decides whether a
 * bad line stops it (export) or is shown (report).
 */
#ifndef SLUICE_AUDIT_READER_H
#define SLUICE_AUDIT_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sluice_error.h"

#define AUDIT_READER_LINE_MAX (16u * 1024u * 1024u)
/* "2026-11-30T10:00:00Z" and its NUL. */
#include "audit_time.h"

#define AUDIT_TIME_LEN 21

enum audit_entry_kind {
	AUDIT_ENTRY_TRANSFER,   /* a transfer line whose record has a string time and decision */
	AUDIT_ENTRY_CHECKPOINT, /* a checkpoint line (its members are not checked here) */
	AUDIT_ENTRY_BAD,        /* anything else: `why` says what */
};

struct audit_entry {
	size_t number;             /* 1-based line number */
	enum audit_entry_kind kind;
	json_t *json;              /* the parsed line; NULL for a bad line; the reader owns it */
	json_t *record;            /* transfer lines: the "record" object inside `json` */
	const char *why;           /* bad lines: a static description */
};

struct audit_reader;

/* Opens the log for reading: SLUICE_ERR_IO ("io.open") when it cannot be. */
enum sluice_rc audit_reader_open(const char *path, struct audit_reader **out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* The next line in *line, valid until the next call or close: 1 a line, 0 the end of the log,
 * -1 a read error (SLUICE_ERR_IO in `err`). */
int audit_reader_next(struct audit_reader *r, struct audit_entry *line, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* NULL is fine. */
void audit_reader_close(struct audit_reader *r);

/* audit_time_valid and audit_time_bound (--since/--until) are audit/auditrecord.h's. */

#endif
