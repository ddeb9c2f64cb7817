/*
 * `sluice audit export --syslog LOG` (issue 6, item 6): every transfer record of an audit log as
 * an RFC 5424 message (gateway/syslog_export.h), one per line on standard output, so that a
 * log can be fed (again) to a SIEM with standard tools (`logger --rfc5424`-style relays,
 * `nc -u`, a collector's file input). Like `audit query`, it does not verify the log, and a
 * line that is not an audit record stops it with its number rather than being skipped.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_reader.h"
#include "commands.h"
#include "syslog_export.h"

static const char export_usage[] =
	"usage: sluice audit export --syslog [--format rfc5424] [--facility F] [--hostname H] LOG\n"
	"\n"
	"Prints every transfer record of the audit log as an RFC 5424 syslog message, one per\n"
	"line: structured data [sluice@32473 transfer_id=... seq=... from=... to=... decision=...\n"
	"policy_id=... policy_version=... rule=... ...], severity from the decision (released info,\n"
	"refused notice, invalid warning, error err), facility F (default local0), HOSTNAME H\n"
	"(default this host's name). It does not verify the log: run `sluice audit verify` first;\n"
	"the signed log, not its syslog copy, is the evidence.\n"
	"Exit: 0, 1 a line that is not an audit record (named), 64 usage, 74 I/O.\n";

int cmd_audit_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syslog", no_argument, NULL, 's' },         { "format", required_argument, NULL, 'f' },
		{ "facility", required_argument, NULL, 'F' }, { "hostname", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	struct syslog_origin origin = { SYSLOG_FACILITY_DEFAULT, NULL, NULL };
	char host[256] = "";
	bool syslog_asked = false;
	int c, code;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': syslog_asked = true; break;
		case 'f':
			if (strcmp(optarg, "rfc5424") != 0)
				return usage_error(export_usage, "--format takes rfc5424");
			break;
		case 'F':
			if ((code = syslog_facility_code(optarg)) < 0)
				return usage_error(export_usage, "--facility takes a facility name such as "
				                                 "local0 or authpriv");
			origin.facility = (unsigned)code;
			break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'h': fputs(export_usage, stdout); return 0;
		default:
			return usage_error(export_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (!syslog_asked || optind != argc - 1)
		return usage_error(export_usage, "--syslog and one LOG are required");
	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	origin.hostname = host;

	struct sluice_error err;
	struct audit_reader *reader = NULL;
	struct audit_entry line;
	const char *log = argv[optind];
	int got, rc = 0;
	if (audit_reader_open(log, &reader, &err) != SLUICE_OK) {
		sluice_error_print("sluice audit export", &err);
		return 74;
	}
	while (rc == 0 && (got = audit_reader_next(reader, &line, &err)) != 0) {
		if (got < 0) {
			sluice_error_print("sluice audit export", &err);
			rc = 74;
		} else if (line.kind == AUDIT_ENTRY_BAD) {
			fprintf(stderr, "sluice audit export: %s: line %zu is not an audit record (%s)\n",
			        log, line.number, line.why);
			rc = 1;
		} else if (line.kind == AUDIT_ENTRY_TRANSFER) {
			char *msg = syslog_format_record(line.record, line.number, &origin);
			puts(msg);
			free(msg);
		}
	}
	audit_reader_close(reader);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sluice audit export: cannot write the messages\n");
		rc = 74;
	}
	return rc;
}
