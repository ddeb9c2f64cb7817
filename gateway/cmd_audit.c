#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "auditlog.h"
#include "commands.h"
#include "keys.h"
#include "merkle.h"

static const char usage[] =
	"usage: sluice audit verify --pub PUBKEY [--head STH]... LOG\n"
	"       sluice audit head [--pub PUBKEY] LOG\n"
	"       sluice audit prove --receipt RECEIPT [--head STH] [-o PROOF] LOG\n"
	"       sluice audit check-proof --pub PUBKEY [--receipt RECEIPT] PROOF\n"
	"       sluice audit consistency --pub PUBKEY [-o PROOF] OLD_STH NEW_STH LOG\n"
	"                          (sluice audit prove --help)\n"
	"       sluice audit query LOG [--json] [--from D] [--to D] [--decision X] [--since T]\n"
	"                          [--until T] [--rule R] [--policy ID] [--policy-version N]\n"
	"                          [--transfer-id UUID]   (sluice audit query --help)\n"
	"       sluice audit stats LOG [--json]\n"
	"       sluice audit report --html OUT [--pub PUBKEY] [--since T] [--until T] LOG\n"
	"       sluice audit export --syslog [--format rfc5424] [--facility F] [--hostname H] LOG\n"
	"       sluice audit index --pub PUBKEY [--rebuild] [--index FILE] LOG\n"
	"\n"
	"verify checks every line of the audit log: canonical JSON, consecutive sequence numbers,\n"
	"the SHA-256 chain, the signed checkpoints and the Merkle tree each one signs (its root),\n"
	"and that the log ends with a checkpoint. Each --head STH (a tree head kept by a witness,\n"
	"from sluice audit head; up to 16) must be the log's tree at its size: a larger head\n"
	"means the log was truncated, another root at the same size that it forked.\n"
	"Exit: 0 intact, 1 naming the first bad record or head, 64 usage, 65 a malformed head\n"
	"file, 74 I/O.\n";

#define AUDIT_VERIFY_MAX_HEADS 16

static int audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL;
	char *head_files[AUDIT_VERIFY_MAX_HEADS];
	size_t nheads = 0;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'H':
			if (nheads == AUDIT_VERIFY_MAX_HEADS)
				return usage_error(usage, "at most %d --head", AUDIT_VERIFY_MAX_HEADS);
			head_files[nheads++] = optarg;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (pub == NULL || optind != argc - 1)
		return usage_error(usage, "--pub PUBKEY and one LOG are required");

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
		rc = auditlog_scan(argv[optind], &opt, &res, NULL, &err);
	}
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
		code = audit_scan_failure("sluice audit verify", argv[optind], rc, &res, &err,
		                          head_files, nheads);
	}
	audit_free_witness_heads(heads, nheads);
	EVP_PKEY_free(key);
	return code;
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
