/*
 * Reading audit log lines for oversight (`sluice audit query`, `stats`, `index`): a bounded line
 * reader, the fields of a transfer line, the query filter and its match. The log format is in
 * auditlog.h and audit/README.md; this code reads it, it never writes it.
 *
 * Trust: every byte given here is hostile (a log or an index anyone may have edited). Lines are
 * bounded, parsed with jansson (duplicate keys refused) and only the members named below are
 * read; checkpoint lines may carry members this code does not know (such as a Merkle tree head),
 * which are left alone: `sluice audit verify` checks their form. Nothing here checks signatures.
 */
#ifndef SLUICE_AUDITRECORD_H
#define SLUICE_AUDITRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- lines -------------------------------------------------------------------------------- */

struct audit_line_reader;

/* Reads `fd` (not owned, read from its current position, taken to be byte `start` of the file)
 * in chunks; no line may be longer than `max_line` bytes. */
struct audit_line_reader *audit_line_reader_new(int fd, uint64_t start, size_t max_line);
void audit_line_reader_free(struct audit_line_reader *r);

enum audit_line_next {
	AUDIT_LINE_END = 0,      /* no more bytes */
	AUDIT_LINE_OK = 1,       /* a line; *newline says whether it ended with one */
	AUDIT_LINE_IO = -1,      /* read error (errno) */
	AUDIT_LINE_TOO_LONG = -2 /* longer than max_line */
};

/* The next line, without its newline and NUL-terminated (valid until the next call), the byte
 * offset where it starts and whether a newline ended it (false only for a last, torn line). */
enum audit_line_next audit_line_next(struct audit_line_reader *r, const char **line,
                                     size_t *len, uint64_t *offset, bool *newline);

/* After AUDIT_LINE_TOO_LONG: consumes the rest of that line, newline included, without holding
 * it, so that reading can go on with the next one. AUDIT_LINE_OK, AUDIT_LINE_END when the file
 * ended first, or AUDIT_LINE_IO. */
enum audit_line_next audit_line_skip(struct audit_line_reader *r);

enum audit_line_type { AUDIT_LINE_TRANSFER, AUDIT_LINE_CHECKPOINT };

struct audit_line {
	json_t *obj;                 /* owned: the whole line */
	enum audit_line_type type;
	uint64_t seq;
	const char *prev;            /* into obj: 64 lowercase hex characters */
	json_t *record;              /* into obj: transfer lines */
	uint64_t records;            /* checkpoints: transfer lines up to here */
};

/* Parses one line (without its newline) as far as the chain and the indexes need: JSON with no
 * duplicate key, "type" transfer or checkpoint, "seq" a positive integer, "prev" a hex SHA-256,
 * and a "record" object (transfers) or a "records" count (checkpoints). It does not check that
 * the line is canonical nor that it holds nothing else: auditlog_verify does. False with `why`
 * otherwise; audit_line_free is safe either way. */
bool audit_line_parse(const char *line, size_t len, struct audit_line *out, char *why,
                      size_t whylen);
void audit_line_free(struct audit_line *l);

/* ---- transfer records --------------------------------------------------------------------- */

/* What oversight filters and counts, borrowed from a record (valid while it lives). A member
 * that is missing or not a string reads as "" (from, to, transfer_id) or NULL (rule, policy). */
struct audit_record_view {
	const char *time, *decision;   /* always strings: a record without them is not well-formed */
	const char *from, *to, *transfer_id;
	const char *reason_rule;       /* reason.rule: why it was refused, invalid or an error */
	const char *policy_id;
	bool has_policy_version;
	long long policy_version;
	bool redacted;                 /* released with at least one removal or redaction */
};

/* False when `record` is not an object with string "time" and "decision". */
bool audit_record_view(json_t *record, struct audit_record_view *v);

enum audit_rule_kind {
	AUDIT_RULE_REASON = 0,     /* reason.rule */
	AUDIT_RULE_REMOVAL = 1,    /* removals[].rule: a withheld portion */
	AUDIT_RULE_REDACTION = 2,  /* redactions[].rule: words:<list> or pattern:<name> */
};

/* Calls `each` once per distinct (kind, rule) of the record. */
void audit_record_each_rule(json_t *record,
                            void (*each)(void *arg, enum audit_rule_kind kind, const char *rule),
                            void *arg);

/* ---- the query filter --------------------------------------------------------------------- */

/* Every member set must match; NULL / false / "" means "any". Times compare as strings, which
 * orders RFC 3339 UTC times ("2026-11-30T10:00:00Z") correctly; both bounds are included. */
struct audit_filter {
	const char *from, *to, *decision, *policy_id, *transfer_id;
	const char *rule;              /* the reason rule, or the rule of any removal or redaction */
	bool has_policy_version;
	long long policy_version;
	char since[32], until[32];
};

#include "audit_time.h"

bool audit_filter_match(const struct audit_filter *f, json_t *record,
                        const struct audit_record_view *v);

#endif
