/*
 * sluice: the command-line front end of the Sluice cross-domain guard.
 *
 * SECURITY: this process is the trusted side. It reads the policy, the signing key and the
 * audit log, and report bytes only to hash them; report bytes are parsed exclusively by the
 * sandboxed filter child (gateway/filter_child.c), forked per report. The exception is
 * `label show/check` (cmd_label.c), which hold no key, policy or log: they parse the one file
 * they are given here, through the hardened XML intake.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xml_intake.h"

#include <jansson.h>

static const char usage[] =
	"usage: sluice COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  release   decide, redact, re-mark, sign and log one report (or a --batch folder)\n"
	"  verify    check a receipt's signature and the report it names\n"
	"  audit     verify the audit log; tree heads and inclusion and consistency proofs\n"
	"            (audit verify, head, prove, check-proof, consistency, query, stats)\n"
	"  policy    check, test, explain, bundle, sign and verify sharing policies\n"
	"  keygen    make an Ed25519 signing key pair\n"
	"  certs     make a development PKI (certs init-dev)\n"
	"  label     show IC-ISM or STANAG 4774 markings, check a clearance (label show, check)\n"
	"\n"
	"Each command has --help. Exit codes: 0 released/ok, 1 refused or not verified, 64 usage,\n"
	"65 invalid report, 70 internal error, 74 I/O error, 78 invalid policy or configuration.\n";

int usage_error(const char *use, const char *fmt, ...)
{
	va_list ap;
	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(use, stderr);
	return 64;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} commands[] = {
		{ "release", cmd_release }, { "verify", cmd_verify }, { "audit", cmd_audit },
		{ "policy", cmd_policy },   { "keygen", cmd_keygen }, { "certs", cmd_certs },
		{ "label", cmd_label },
	};

	if (argc < 2)
		return usage_error(usage, "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	/* jansson seeds its hash tables from /dev/urandom on first use: do it now, before any
	 * sandbox forbids opening files. */
	json_object_seed(0);
	xml_intake_init();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage_error(usage, "unknown command '%s'", argv[1]);
}
