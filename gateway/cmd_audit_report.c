/*
 * `sluice audit report --html OUT LOG` (SPEC section 5, issue 6 item 5): the oversight page of
 * gateway/audit_report.h, written atomically. With --pub the log is verified first
 * (auditlog_verify) and the page says up to which signed checkpoint it holds; the figures are
 * then read in a second pass through the bounded reader of gateway/audit_reader.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_reader.h"
#include "audit_report.h"
#include "auditlog.h"
#include "commands.h"
#include "fileio.h"
#include "keys.h"

static const char report_usage[] =
	"usage: sluice audit report --html OUT [--pub PUBKEY] [--since T] [--until T] LOG\n"
	"\n"
	"Writes one self-contained HTML page (no scripts, fonts or network loads) for oversight:\n"
	"transfers per flow per day, refusals by reason, redactions and withheld portions by rule,\n"
	"policy versions over time, and the verification status. With --pub the log is verified\n"
	"first and the page names the last signed checkpoint that verifies, or the first bad line;\n"
	"without it the page says \"not verified\". --since and --until (RFC 3339 UTC such as\n"
	"2026-11-30T10:00:00Z, or a date; both included) limit the figures, not the verification.\n"
	"Exit: 0 written, 1 written but the log does not verify or has lines that are not audit\n"
	"records, 64 usage, 74 I/O.\n";

/* Verifies with the key at `pub` into the report's status; an exit code when it could not. */
static int verify_into(struct audit_report *r, const char *pub, const char *log)
{
	struct sluice_error err;
	EVP_PKEY *key = NULL;
	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = key_id_hex(key, r->key_id, &err);
	if (rc == SLUICE_OK)
		rc = auditlog_verify(log, key, &r->verify, &err);
	EVP_PKEY_free(key);
	if (rc == SLUICE_OK) {
		r->verification = REPORT_VERIFIED;
		return 0;
	}
	if (rc == SLUICE_ERR_VERIFY && r->verify.bad_line > 0) {
		r->verification = REPORT_VERIFY_FAILED;
		return 0;
	}
	sluice_error_print("sluice audit report", &err);
	return sluice_rc_exit_code(rc);
}

static int read_into(struct audit_report *r, const char *log)
{
	struct sluice_error err;
	struct audit_reader *reader = NULL;
	struct audit_entry line;
	int got = 0;
	if (audit_reader_open(log, &reader, &err) != SLUICE_OK) {
		sluice_error_print("sluice audit report", &err);
		return 74;
	}
	while ((got = audit_reader_next(reader, &line, &err)) == 1)
		audit_report_add_line(r, &line);
	audit_reader_close(reader);
	if (got < 0) {
		sluice_error_print("sluice audit report", &err);
		return 74;
	}
	return 0;
}

static int write_page(const struct audit_report *r, const char *out_path, const char *log)
{
	char *page = NULL, now[AUDIT_TIME_LEN];
	size_t len = 0;
	time_t t = time(NULL);
	struct tm tm;
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	FILE *mem = open_memstream(&page, &len);
	if (mem == NULL) {
		fprintf(stderr, "sluice audit report: out of memory\n");
		return 70;
	}
	audit_report_write_html(mem, r, log, now);
	if (fclose(mem) != 0) {
		free(page);
		fprintf(stderr, "sluice audit report: out of memory\n");
		return 70;
	}
	struct sluice_error err;
	enum sluice_rc rc = file_write_atomic(out_path, page, len, 0644, &err);
	free(page);
	if (rc != SLUICE_OK) {
		sluice_error_print("sluice audit report", &err);
		return sluice_rc_exit_code(rc);
	}
	return 0;
}

int cmd_audit_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'o' },  { "pub", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *pub = NULL;
	struct audit_report r;
	int c, rc;
	audit_report_init(&r);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': pub = optarg; break;
		case 's':
		case 'u':
			if (!audit_time_bound(optarg, c == 'u', c == 's' ? r.since : r.until)) {
				audit_report_free(&r);
				return usage_error(report_usage, "--%s takes a date (2026-11-30) or an RFC "
				                   "3339 UTC time (2026-11-30T10:00:00Z)",
				                   c == 's' ? "since" : "until");
			}
			break;
		case 'h':
			audit_report_free(&r);
			fputs(report_usage, stdout);
			return 0;
		default:
			audit_report_free(&r);
			return usage_error(report_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (out == NULL || optind != argc - 1) {
		audit_report_free(&r);
		return usage_error(report_usage, "--html OUT and one LOG are required");
	}
	const char *log = argv[optind];
	rc = pub != NULL ? verify_into(&r, pub, log) : 0;
	if (rc == 0)
		rc = read_into(&r, log);
	if (rc == 0)
		rc = write_page(&r, out, log);
	if (rc == 0 && (r.verification == REPORT_VERIFY_FAILED || r.bad_lines > 0)) {
		if (r.verification == REPORT_VERIFY_FAILED)
			fprintf(stderr, "sluice audit report: %s: the log does not verify: %s\n", log,
			        r.verify.why); /* `why` begins with "line N:" */
		if (r.bad_lines > 0)
			fprintf(stderr, "sluice audit report: %s: %zu lines are not audit records (first: "
			                "line %zu, %s)\n",
			        log, r.bad_lines, r.first_bad_line, r.first_bad_why);
		rc = 1;
	}
	if (rc == 0 || rc == 1)
		printf("%s: %zu transfer records, %s\n", out, r.records,
		       r.verification == REPORT_VERIFIED        ? "verified"
		       : r.verification == REPORT_VERIFY_FAILED ? "NOT verified (see the page)"
		                                                : "not verified (no --pub)");
	audit_report_free(&r);
	return rc;
}
