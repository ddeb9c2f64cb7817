/*
 * `sluice policy bundle | sign | verify` (issue 5): packing a policy with every file it uses,
 * adding administrators' signatures, and checking the two-person rule (gateway/policy_bundle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fileio.h"
#include "keys.h"
#include "policy_bundle.h"

static const char usage[] =
	"usage: sluice policy bundle POLICY -o BUNDLE\n"
	"       sluice policy sign --key ADMIN_KEY BUNDLE\n"
	"       sluice policy verify --admins DIR --required N BUNDLE\n"
	"\n"
	"bundle packs POLICY and every file it references (word lists, the XSD) into one JSON\n"
	"file with their SHA-256 digests; it never overwrites BUNDLE.\n"
	"sign adds the signature of an administrator's Ed25519 key (sluice keygen) to BUNDLE,\n"
	"replacing it atomically; a key signs a bundle once.\n"
	"verify checks that at least N distinct administrators whose public keys (*.pub) are in\n"
	"DIR signed exactly these bytes, and that every file matches its digest.\n"
	"Exit: 0 done or verified; 1 not enough valid signatures (naming what is missing) or a\n"
	"key that already signed; 64 usage; 74 I/O; 78 an invalid policy or malformed bundle.\n";

static int fail_with(const char *what, struct sluice_error *err)
{
	sluice_error_print(what, err);
	return sluice_rc_exit_code(err->rc);
}

static int read_bundle(const char *path, struct policy_bundle *b, struct sluice_error *err)
{
	uint8_t *data;
	size_t len;
	enum sluice_rc rc = file_read_bounded(path, POLICY_BUNDLE_MAX_BYTES, SLUICE_ERR_POLICY, &data,
	                                      &len, err);
	if (rc == SLUICE_OK) {
		rc = policy_bundle_parse(data, len, b, err);
		free(data);
	}
	return rc;
}

static int do_bundle(int argc, char **argv)
{
	const char *out = NULL, *policy = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] != '-' && policy == NULL)
			policy = argv[i];
		else
			return usage_error(usage, "policy bundle takes POLICY and -o BUNDLE");
	}
	if (out == NULL || policy == NULL)
		return usage_error(usage, "policy bundle takes POLICY and -o BUNDLE");
	struct sluice_error err;
	struct policy_bundle b;
	if (policy_bundle_make(policy, &b, &err) != SLUICE_OK)
		return fail_with("sluice policy bundle", &err);
	char *json = policy_bundle_json(&b);
	enum sluice_rc rc = certs_write_new_file(out, json, strlen(json), 0644, &err);
	free(json);
	if (rc == SLUICE_OK)
		printf("%s: policy %s version %ld, %zu file%s, unsigned (bundle_sha256 %s)\n", out,
		       b.policy_id, b.policy_version, b.nfiles, b.nfiles == 1 ? "" : "s",
		       b.bundle_sha256);
	policy_bundle_free(&b);
	return rc == SLUICE_OK ? 0 : fail_with("sluice policy bundle", &err);
}

static int do_sign(int argc, char **argv)
{
	const char *key = NULL, *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return usage_error(usage, "policy sign takes --key ADMIN_KEY and BUNDLE");
	}
	if (key == NULL || path == NULL)
		return usage_error(usage, "policy sign takes --key ADMIN_KEY and BUNDLE");
	struct sluice_error err;
	struct policy_bundle b;
	char key_id[65];
	if (read_bundle(path, &b, &err) != SLUICE_OK)
		return fail_with("sluice policy sign", &err);
	enum sluice_rc rc = policy_bundle_sign(&b, key, key_id, &err);
	if (rc == SLUICE_OK) {
		char *json = policy_bundle_json(&b);
		rc = file_write_atomic(path, json, strlen(json), 0644, &err);
		free(json);
	}
	if (rc == SLUICE_OK)
		printf("%s: signed by key %.16s (%zu signature%s)\n", path, key_id, b.nsigs,
		       b.nsigs == 1 ? "" : "s");
	policy_bundle_free(&b);
	return rc == SLUICE_OK ? 0 : fail_with("sluice policy sign", &err);
}

static int do_verify(int argc, char **argv)
{
	const char *admins = NULL, *path = NULL;
	long required = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--admins") == 0 && i + 1 < argc) {
			admins = argv[++i];
		} else if (strcmp(argv[i], "--required") == 0 && i + 1 < argc) {
			char *end;
			required = strtol(argv[++i], &end, 10);
			if (*end != '\0' || required < 1 || required > 32)
				return usage_error(usage, "--required takes a number from 1 to 32");
		} else if (argv[i][0] != '-' && path == NULL) {
			path = argv[i];
		} else {
			return usage_error(usage, "policy verify takes --admins DIR --required N BUNDLE");
		}
	}
	if (admins == NULL || required < 1 || path == NULL)
		return usage_error(usage, "policy verify takes --admins DIR --required N BUNDLE");
	struct sluice_error err;
	struct policy_bundle b;
	char report[4096];
	if (read_bundle(path, &b, &err) != SLUICE_OK)
		return fail_with("sluice policy verify", &err);
	enum sluice_rc rc = policy_bundle_verify(&b, admins, (unsigned)required, report,
	                                         sizeof(report), &err);
	if (rc == SLUICE_OK)
		printf("%s: policy %s version %ld verified: %ld or more trusted administrators "
		       "signed it; every file matches its digest\n%s", path, b.policy_id,
		       b.policy_version, required, report);
	else
		fputs(report, stderr);
	policy_bundle_free(&b);
	return rc == SLUICE_OK ? 0 : fail_with("sluice policy verify", &err);
}

int cmd_policy_bundle(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[0], "bundle") == 0)
		return do_bundle(argc, argv);
	if (strcmp(argv[0], "sign") == 0)
		return do_sign(argc, argv);
	return do_verify(argc, argv);
}
