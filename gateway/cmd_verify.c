#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "fileio.h"
#include "keys.h"
#include "receipt.h"

#define RECEIPT_MAX_BYTES (16u * 1024 * 1024)
#define REPORT_MAX_BYTES (1024ull * 1024 * 1024)

static const char usage[] =
	"usage: sluice verify --pub PUBKEY --receipt R [REPORT]\n"
	"\n"
	"Checks the receipt's Ed25519 signature against PUBKEY and, when REPORT is given, that\n"
	"its bytes are the ones the receipt names (the released report for a release, the\n"
	"submitted report for a refusal). Exit: 0 verified, 1 not verified, 64 usage, 74 I/O.\n";

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' }, { "receipt", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },      { NULL, 0, NULL, 0 },
	};
	const char *pub = NULL, *receipt_path = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'r': receipt_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (pub == NULL || receipt_path == NULL)
		return usage_error(usage, "--pub and --receipt are required");
	if (argc - optind > 1)
		return usage_error(usage, "at most one REPORT");

	struct sluice_error err;
	EVP_PKEY *key = NULL;
	uint8_t *receipt = NULL, *report = NULL;
	size_t receiptlen = 0, reportlen = 0;
	json_t *record = NULL;
	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = file_read_bounded(receipt_path, RECEIPT_MAX_BYTES, SLUICE_ERR_VERIFY, &receipt,
		                       &receiptlen, &err);
	if (rc == SLUICE_OK && optind < argc)
		rc = file_read_bounded(argv[optind], REPORT_MAX_BYTES, SLUICE_ERR_IO, &report,
		                       &reportlen, &err);
	if (rc == SLUICE_OK)
		rc = receipt_verify(receipt, receiptlen, key, report, reportlen, &record, &err);
	if (rc == SLUICE_OK) {
		json_t *d = json_object_get(record, "decision");
		json_t *id = json_object_get(record, "transfer_id");
		printf("receipt verified: transfer %s, decision %s%s\n",
		       json_is_string(id) ? json_string_value(id) : "?",
		       json_is_string(d) ? json_string_value(d) : "?",
		       report != NULL ? ", report bytes match" : "");
	} else {
		sluice_error_print("sluice verify", &err);
	}
	json_decref(record);
	free(receipt);
	free(report);
	EVP_PKEY_free(key);
	return sluice_rc_exit_code(rc);
}
