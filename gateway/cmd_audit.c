#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "auditlog.h"
#include "commands.h"
#include "keys.h"

static const char usage[] =
	"usage: sluice audit verify --pub PUBKEY LOG\n"
	"       sluice audit query LOG [--json] [--from D] [--to D] [--decision X] [--since T]\n"
	"                          [--until T] [--rule R] [--policy ID] [--policy-version N]\n"
	"                          [--transfer-id UUID]   (sluice audit query --help)\n"
	"       sluice audit stats LOG [--json]\n"
	"       sluice audit index --pub PUBKEY [--rebuild] [--index FILE] LOG\n"
	"\n"
	"Checks every line of the audit log: canonical JSON, consecutive sequence numbers, the\n"
	"SHA-256 chain, the signed checkpoints, and that the log ends with a checkpoint.\n"
	"Exit: 0 intact, 1 naming the first bad record, 64 usage, 74 I/O.\n";

static int audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (pub == NULL || optind != argc - 1)
		return usage_error(usage, "--pub PUBKEY and one LOG are required");

	struct sluice_error err;
	struct auditlog_verify_result res;
	EVP_PKEY *key = NULL;
	memset(&res, 0, sizeof(res));
	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = auditlog_verify(argv[optind], key, &res, &err);
	EVP_PKEY_free(key);
	if (rc == SLUICE_OK) {
		printf("audit log intact: %zu lines, %zu transfer records, %zu signed checkpoints\n",
		       res.lines, res.transfers, res.checkpoints);
		return 0;
	}
	if (rc == SLUICE_ERR_VERIFY && res.bad_line > 0) {
		printf("audit log NOT intact: first bad record at line %zu: %s\n", res.bad_line,
		       res.why);
		fprintf(stderr, "sluice audit verify: %s: line %zu: %s\n", argv[optind], res.bad_line,
		        res.why);
		return 1;
	}
	sluice_error_print("sluice audit verify", &err);
	return sluice_rc_exit_code(rc);
}

int cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "query") == 0 || strcmp(argv[1], "stats") == 0 ||
	                  strcmp(argv[1], "index") == 0))
		return cmd_audit_query(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	return usage_error(usage, argc < 2 ? "no audit subcommand given"
	                                   : "unknown audit subcommand");
}
