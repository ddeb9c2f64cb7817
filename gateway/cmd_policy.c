#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "policy.h"
#include "policy_dryrun.h"
#include "policy_lint.h"
#include "redact.h"
#include "release.h"

static const char usage[] =
	"usage: sluice policy check [--strict] POLICY\n"
	"       sluice policy test POLICY CASES  (sluice policy test --help)\n"
	"       sluice policy explain --policy P --from SRC --to DST [--json] REPORT\n"
	"       sluice policy diff OLD NEW [--corpus DIR]  (sluice policy diff --help)\n"
	"       sluice policy bundle | sign | verify ...  (sluice policy bundle --help)\n"
	"\n"
	"Lints a sharing policy. Errors (the policy cannot be used): strict YAML (no unknown or\n"
	"duplicate keys, aliases or tags), known domains, caveats and classifications, readable\n"
	"word lists, compilable patterns and schema. Warnings (legal, but probably not meant):\n"
	"domains no flow reaches, caveats no domain can satisfy, regexes that can\n"
	"backtrack catastrophically, absent or absurd limits; each with its line and a fix.\n"
	"Exit: 0 valid (warnings allowed unless --strict), 78 invalid (with file:line:column),\n"
	"64 usage.\n";

static int policy_check(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	int strict = argc == 3 && strcmp(argv[1], "--strict") == 0;
	if (strict) {
		argc--;
		argv++;
	}
	if (argc != 2 || argv[1][0] == '-')
		return usage_error(usage, "policy check takes [--strict] and exactly one POLICY");

	struct sluice_error err;
	struct policy *p = NULL;
	enum sluice_rc rc = policy_load(argv[1], &p, &err);
	for (size_t i = 0; rc == SLUICE_OK && i < p->nflows; i++) {
		struct redactor *r = NULL;
		rc = redactor_new(&p->flows[i], &r, &err);
		redactor_free(r);
	}
	if (rc == SLUICE_OK && p->schema_path != NULL) {
		void *schema = NULL;
		rc = release_schema_load(p->schema_path, &schema, &err);
		release_schema_free(schema);
	}
	struct lint_finding *findings = NULL;
	size_t nfindings = 0;
	if (rc == SLUICE_OK) {
		policy_lint(p, &findings, &nfindings);
		for (size_t i = 0; i < nfindings; i++) {
			char at[32] = "";
			if (findings[i].line > 0)
				snprintf(at, sizeof(at), ":%u", findings[i].line);
			fprintf(stderr, "%s%s: %s: %s [%s]\n    fix: %s\n", argv[1], at,
			        strict ? "error" : "warning", findings[i].message, findings[i].rule,
			        findings[i].fix);
		}
		free(findings);
	}
	if (rc == SLUICE_OK && strict && nfindings > 0) {
		fprintf(stderr, "sluice policy check: %zu warning%s, refused by --strict\n", nfindings,
		        nfindings == 1 ? "" : "s");
		policy_free(p);
		return 78;
	}
	if (rc == SLUICE_OK) {
		printf("%s: policy %s version %ld is valid (%zu warning%s): %zu domains, %zu flows, "
		       "%zu caveats\n"
		       "  sha256 %s (the policy file)\n"
		       "  bundle_sha256 %s (the policy, its word lists, SPIFs and schema)\n",
		       argv[1], p->id, p->version, nfindings, nfindings == 1 ? "" : "s", p->ndomains,
		       p->nflows, p->ncaveats,
		       p->sha256_hex, p->bundle_sha256_hex);
	} else {
		if (err.file[0] == '\0')
			snprintf(err.file, sizeof(err.file), "%s", argv[1]);
		sluice_error_print("sluice policy check", &err);
	}
	policy_free(p);
	return rc == SLUICE_OK ? 0 : sluice_rc_exit_code(rc == SLUICE_ERR_IO ? SLUICE_ERR_POLICY : rc);
}

int cmd_policy(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return policy_check(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "bundle") == 0 || strcmp(argv[1], "sign") == 0 ||
	                  strcmp(argv[1], "verify") == 0))
		return cmd_policy_bundle(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return cmd_policy_test(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return cmd_policy_explain(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return cmd_policy_diff(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	return usage_error(usage, argc < 2 ? "no policy subcommand given"
	                                   : "unknown policy subcommand");
}
