/*
 * The oversight report of `sluice audit report --html` (issue 6, item 5): one self-contained
 * HTML page a committee can open offline, with the transfers per flow and day, the refusals by
 * reason, the redactions and withheld portions by rule, the policy versions over time, and how
 * far the log verifies.
 *
 * Figures are gathered first (audit_report_add_line, one call per line of the log, from
 * audit_reader.h) and rendered after (audit_report_write_html), so that tests can check the
 * figures without parsing HTML.
 *
 * SECURITY: every string of the log is hostile. It is written only through html_escape_put
 * (markup characters as entities, control and bidirectional-override characters replaced,
 * long strings cut), always inside double-quoted attributes or text. The page loads nothing:
 * its Content-Security-Policy is default-src 'none' with the one stylesheet allowed by its
 * SHA-256, and it has no script at all; the charts are inline SVG drawn here.
 */
#ifndef SLUICE_AUDIT_REPORT_H
#define SLUICE_AUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "audit_reader.h"
#include "auditlog.h"

enum report_decision {
	REPORT_RELEASED,
	REPORT_REFUSED,
	REPORT_INVALID,
	REPORT_ERROR,
	REPORT_OTHER, /* a decision the gateway never writes: only a forged log has one */
	REPORT_NDECISIONS,
};

/* A growing list of rows of one kind, found by an unambiguous key (the compact JSON of the
 * key's parts, so that no separator character can make two keys collide). */
struct report_rows {
	void **row;
	size_t n, cap;
	json_t *index; /* key -> position in row[] */
};

/* Transfers of one (day, from, to), per decision. */
struct report_flow_day {
	char *day; /* "YYYY-MM-DD", or "(no valid time)" */
	char *from, *to;
	size_t n[REPORT_NDECISIONS];
};

/* One rule: of refusals (reason.rule, per decision), of redactions (`items` replacements) or of
 * withheld portions (`items` portions); `transfers` counts the records it appears in. */
struct report_rule {
	char *rule;
	size_t n[REPORT_NDECISIONS];
	size_t transfers, items;
	size_t last_record; /* ordinal of the last record counted, for `transfers` */
};

/* One policy version as records name it, and when it was in use. */
struct report_policy {
	char *id;
	long long version;
	char *sha256, *bundle_sha256; /* "" when absent */
	size_t signers;               /* two-person rule: administrators who signed; 0 none */
	char first[AUDIT_TIME_LEN], last[AUDIT_TIME_LEN];
	size_t transfers;
};

/* A checkpoint line as written (not its signature: auditlog_verify checks that). */
struct report_checkpoint {
	size_t line, seq, records;
	char time[AUDIT_TIME_LEN];
	char key_id[65];
	/* Signed tree heads (issue 6, transparency log): shown when the checkpoint has them. */
	bool has_tree_head;
	long long tree_size;
	char root[129];
};

enum report_verification {
	REPORT_NOT_VERIFIED, /* no public key given */
	REPORT_VERIFIED,     /* auditlog_verify: intact */
	REPORT_VERIFY_FAILED /* auditlog_verify: a bad line */
};

struct audit_report {
	/* Set before adding lines. */
	char since[AUDIT_TIME_LEN], until[AUDIT_TIME_LEN]; /* "" when not limited */
	enum report_verification verification;
	struct auditlog_verify_result verify; /* when verified or failed */
	char key_id[65];                      /* of the public key, when one was given */

	/* The log as read. */
	size_t lines, checkpoints, transfer_lines;
	size_t bad_lines, first_bad_line;
	const char *first_bad_why;
	struct report_checkpoint last_good; /* last checkpoint before the first bad line */
	bool has_last_good;

	/* The figures: transfer records within since..until. */
	size_t records;
	size_t covered_records; /* of them, before the last verified checkpoint */
	size_t n[REPORT_NDECISIONS];
	char first[AUDIT_TIME_LEN], last[AUDIT_TIME_LEN];
	struct report_rows flow_days; /* struct report_flow_day */
	struct report_rows refusals;  /* struct report_rule, by reason.rule */
	struct report_rows redactions;/* struct report_rule, by redactions[].rule */
	struct report_rows withheld;  /* struct report_rule, by removals[].rule */
	struct report_rows policies;  /* struct report_policy */
};

void audit_report_init(struct audit_report *r);
void audit_report_free(struct audit_report *r);

/* Counts one line of the log (set `verification`, `verify` and the period first). */
void audit_report_add_line(struct audit_report *r, const struct audit_entry *line);

/* Writes the page. `log_name` is the log's path as given (shown, escaped). */
void audit_report_write_html(FILE *out, const struct audit_report *r, const char *log_name,
                             const char *generated_at);

/* The decision's index; REPORT_OTHER for anything but the four the gateway writes. */
enum report_decision report_decision_of(const char *decision);

/* Writes `s` as HTML text or attribute content: & < > " ' as entities; C0 and C1 controls,
 * DEL, bidirectional controls and bytes that are not UTF-8 as U+FFFD; after `max_chars`
 * characters the rest as "…". */
void html_escape_put(FILE *out, const char *s, size_t max_chars);

#endif
