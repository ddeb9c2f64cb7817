#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "auditlog.h"
#include "commands.h"
#include "keys.h"
#include "merkle.h"

static const char usage[] =
	"usage: sluice audit verify --pub PUBKEY [--head STH]... LOG\n"
	"                          [[--pub PUBKEY] [--head STH]... LOG]...   (several nodes)\n"
	"       sluice audit head [--pub PUBKEY] LOG\n"
	"       sluice audit prove --receipt RECEIPT [--head STH] [-o PROOF] LOG\n"
	"       sluice audit check-proof --pub PUBKEY [--receipt RECEIPT] PROOF\n"
	"       sluice audit consistency --pub PUBKEY [-o PROOF] OLD_STH NEW_STH LOG\n"
	"                          (sluice audit prove --help)\n"
	"       sluice audit query LOG [--json] [--from D] [--to D] [--decision X] [--since T]\n"
	"                          [--until T] [--rule R] [--policy ID] [--policy-version N]\n"
	"                          [--transfer-id UUID]   (sluice audit query --help)\n"
	"       sluice audit stats LOG... [--json]\n"
	"       sluice audit report --html OUT [--pub PUBKEY] [--since T] [--until T] LOG\n"
	"       sluice audit export --syslog [--format rfc5424] [--facility F] [--hostname H] LOG\n"
	"       sluice audit index --pub PUBKEY [--rebuild] [--index FILE] LOG\n"
	"\n"
	"verify checks every line of the audit log: canonical JSON, consecutive sequence numbers,\n"
	"the SHA-256 chain, the signed checkpoints and the Merkle tree each one signs (its root),\n"
	"and that the log ends with a checkpoint. Each --head STH (a tree head kept by a witness,\n"
	"from sluice audit head; up to 16) must be the log's tree at its size: a larger head\n"
	"means the log was truncated, another root at the same size that it forked.\n"
	"Several LOGs (the nodes of a cluster, each with its own key and log): --pub applies to\n"
	"the LOGs after it until the next --pub, --head to the next LOG only; every log is\n"
	"verified, each named in its line, and the exit is 1 if any is not intact.\n"
	"Exit: 0 intact, 1 naming the first bad record or head, 64 usage, 65 a malformed head\n"
	"file, 74 I/O.\n";

#define AUDIT_VERIFY_MAX_HEADS 16

/* Verifies one LOG with `pub` and its witness heads; prints its line (prefixed with the log's
 * name when `named`). The exit code of that log alone. */
static int verify_one(const char *log, const char *pub, char **head_files, size_t nheads,
                      bool named)
{
	struct sluice_error err;
	struct auditlog_verify_result res;
	struct tree_head *heads = NULL;
	EVP_PKEY *key = NULL;
	int code;
	memset(&res, 0, sizeof(res));
	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = audit_load_witness_heads(head_files, nheads, &heads, &err);
	if (rc == SLUICE_OK) {
		struct auditlog_scan_options opt = { .pub = key, .witness = heads,
			                             .nwitness = nheads };
		rc = auditlog_scan(log, &opt, &res, NULL, &err);
	}
	if (named)
		printf("%s: ", log);
	if (rc == SLUICE_OK) {
		char root[2 * MERKLE_HASH_LEN + 1];
		merkle_hash_hex(res.root, root);
		printf("audit log intact: %zu lines, %zu transfer records, %zu signed checkpoints; "
		       "Merkle root %s",
		       res.lines, res.transfers, res.checkpoints, root);
		if (nheads > 0)
			printf("; it extends the %zu witness head%s given", nheads,
			       nheads == 1 ? "" : "s");
		printf("\n");
		code = 0;
	} else {
		if (named && !(rc == SLUICE_ERR_VERIFY && res.bad_line > 0))
			printf("not verified (see the error)\n");
		code = audit_scan_failure("sluice audit verify", log, rc, &res, &err, head_files,
		                          nheads);
	}
	audit_free_witness_heads(heads, nheads);
	EVP_PKEY_free(key);
	return code;
}

#define AUDIT_VERIFY_MAX_LOGS 64

static int audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct group {
		const char *log, *pub;
		char *heads[AUDIT_VERIFY_MAX_HEADS];
		size_t nheads;
	};
	static struct group groups[AUDIT_VERIFY_MAX_LOGS];
	size_t ngroups = 0, nheads = 0;
	const char *pub = NULL;
	int c;

	optind = 1;
	opterr = 0;
	memset(groups, 0, sizeof(groups));
	/* Options, then a LOG, as often as there are logs: each LOG takes the --pub before it and
	 * the --head options since the previous LOG. */
	while (optind < argc) {
		while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
			switch (c) {
			case 'p': pub = optarg; break;
			case 'H':
				if (nheads == AUDIT_VERIFY_MAX_HEADS)
					return usage_error(usage, "at most %d --head per LOG",
					                   AUDIT_VERIFY_MAX_HEADS);
				groups[ngroups].heads[nheads++] = optarg;
				break;
			case 'h': fputs(usage, stdout); return 0;
			default:
				return usage_error(usage, "unknown or incomplete option '%s'",
				                   argv[optind - 1]);
			}
		}
		if (optind >= argc)
			break;
		if (pub == NULL)
			return usage_error(usage, "--pub PUBKEY must come before LOG '%s'", argv[optind]);
		if (ngroups == AUDIT_VERIFY_MAX_LOGS)
			return usage_error(usage, "at most %d LOGs", AUDIT_VERIFY_MAX_LOGS);
		groups[ngroups].log = argv[optind++];
		groups[ngroups].pub = pub;
		groups[ngroups++].nheads = nheads;
		nheads = 0;
	}
	if (ngroups == 0 || nheads > 0)
		return usage_error(usage, ngroups == 0 ? "--pub PUBKEY and one LOG are required"
		                                       : "--head must come before its LOG");
	int worst = 0;
	size_t bad = 0;
	for (size_t i = 0; i < ngroups; i++) {
		int code = verify_one(groups[i].log, groups[i].pub, groups[i].heads, groups[i].nheads,
		                      ngroups > 1);
		if (code != 0) {
			bad++;
			/* a log that is not intact (1) outranks an I/O or usage problem elsewhere */
			if (worst != 1)
				worst = code;
		}
	}
	if (ngroups > 1)
		printf("%zu nodes: %zu intact, %zu not\n", ngroups, ngroups - bad, bad);
	return worst;
}

int cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "query") == 0 || strcmp(argv[1], "stats") == 0 ||
	                  strcmp(argv[1], "index") == 0))
		return cmd_audit_query(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_audit_report(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return cmd_audit_export(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "head") == 0 || strcmp(argv[1], "prove") == 0 ||
	                  strcmp(argv[1], "check-proof") == 0 ||
	                  strcmp(argv[1], "consistency") == 0))
		return cmd_audit_proof(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	return usage_error(usage, argc < 2 ? "no audit subcommand given"
	                                   : "unknown audit subcommand");
}
