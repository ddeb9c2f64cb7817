#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "fileio.h"
#include "release_run.h"

static const char usage[] =
	"usage: sluice release --policy P --from SRC --to DST --key SIGNKEY --audit LOG\n"
	"                      [-o OUT] [--receipt FILE] REPORT\n"
	"       sluice release --policy P --from SRC --to DST --key SIGNKEY --audit LOG\n"
	"                      --batch INDIR --out OUTDIR\n"
	"\n"
	"Decides, redacts, re-marks, signs and logs. The released report goes to OUT (default\n"
	"stdout) and the signed receipt to OUT.receipt (or --receipt FILE; none without -o or\n"
	"--receipt). A refusal writes no report but still writes its receipt.\n"
	"With --batch, every regular file of INDIR is released to OUTDIR/NAME with\n"
	"OUTDIR/NAME.receipt, one audit record each, and a summary line per report on stdout;\n"
	"the exit code is then 0 when every report was handled, whatever each decision.\n"
	"With --admins DIR --required N, --policy names a signed policy bundle (sluice policy\n"
	"bundle) that N distinct administrators whose keys (*.pub) are in DIR must have signed;\n"
	"otherwise nothing is released, and the refusal is audited and receipted.\n"
	"With --binding-key KEY --binding-cert CERT (an EC P-256/P-384 or RSA key and its X.509\n"
	"certificate), flows with `binding: signed-4778` release the report with a signed\n"
	"ADatP-4778 binding of its new label (such a flow refuses to run without them).\n"
	"Exit: 0 released, 1 refused (or a bundle without enough signatures), 64 usage,\n"
	"65 invalid report, 70 internal, 74 I/O, 78 invalid policy.\n";

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_summary_line(const char *name, const struct release_summary *s)
{
	printf("%s\t%s\twithheld=%zu\tredacted=%zu\t%s\t%s\n", name, s->decision, s->withheld,
	       s->redacted, s->transfer_id, s->rule[0] ? s->rule : "-");
}

static int run_batch(struct release_context *ctx, const char *from, const char *to,
                     const char *indir, const char *outdir)
{
	DIR *d = opendir(indir);
	int exit_code = 0;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		fprintf(stderr, "sluice: %s: cannot open folder: %s\n", indir, strerror(errno));
		return 74;
	}
	struct stat st;
	if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		closedir(d);
		fprintf(stderr, "sluice: %s: not a folder\n", outdir);
		return 74;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		char *path = path_join(indir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
		free(path);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	/* One sandboxed filter child for the batch (docs/DECISIONS.md, "Filter reuse"): every
	 * report comes from the one source domain --from names. */
	ctx->filter = filter_worker_new();
	/* Group commit (release_group): the reports of a group are decided and logged, the log
	 * fsynced once, their files written, and only then their summary lines printed. */
	struct release_item *items = xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		char *out = path_join(outdir, names[i]);
		char *receipt = xmalloc(strlen(out) + 9);
		sprintf(receipt, "%s.receipt", out);
		items[i].in_path = path_join(indir, names[i]);
		items[i].out_path = out;
		items[i].receipt_path = receipt;
	}
	for (size_t done = 0; done < n;) {
		size_t taken = release_group(ctx, from, to, items + done, n - done);
		for (size_t i = done; i < done + taken; i++) {
			enum sluice_rc rc = items[i].rc;
			print_summary_line(names[i], &items[i].summary);
			if (rc == SLUICE_ERR_IO || rc == SLUICE_ERR_INTERNAL) {
				sluice_error_print("sluice", &items[i].err);
				exit_code = sluice_rc_exit_code(rc);
			} else if (rc != SLUICE_OK) {
				sluice_error_print("sluice", &items[i].err);
			}
		}
		fflush(stdout);
		done += taken;
	}
	for (size_t i = 0; i < n; i++) {
		free(items[i].in_path);
		free(items[i].out_path);
		free(items[i].receipt_path);
		free(names[i]);
	}
	free(items);
	free(names);
	return exit_code;
}

int cmd_release(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },     { "key", required_argument, NULL, 'k' },
		{ "audit", required_argument, NULL, 'a' },  { "output", required_argument, NULL, 'o' },
		{ "receipt", required_argument, NULL, 'r' }, { "batch", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'O' },    { "help", no_argument, NULL, 'h' },
		{ "admins", required_argument, NULL, 'A' }, { "required", required_argument, NULL, 'N' },
		{ "binding-key", required_argument, NULL, 'B' },
		{ "binding-cert", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *from = NULL, *to = NULL, *key = NULL, *audit = NULL;
	const char *out = NULL, *receipt = NULL, *batch = NULL, *outdir = NULL, *admins = NULL;
	const char *binding_key = NULL, *binding_cert = NULL;
	unsigned required = 0;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'k': key = optarg; break;
		case 'a': audit = optarg; break;
		case 'o': out = optarg; break;
		case 'r': receipt = optarg; break;
		case 'b': batch = optarg; break;
		case 'O': outdir = optarg; break;
		case 'A': admins = optarg; break;
		case 'B': binding_key = optarg; break;
		case 'C': binding_cert = optarg; break;
		case 'N': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 32)
				return usage_error(usage, "--required takes a number from 1 to 32");
			required = (unsigned)n;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (!policy || !from || !to || !key || !audit)
		return usage_error(usage, "--policy, --from, --to, --key and --audit are required");
	if ((admins == NULL) != (required == 0))
		return usage_error(usage, "--admins and --required go together");
	if ((binding_key == NULL) != (binding_cert == NULL))
		return usage_error(usage, "--binding-key and --binding-cert go together");
	if (batch != NULL) {
		if (outdir == NULL || optind != argc || out || receipt)
			return usage_error(usage, "--batch takes --out OUTDIR and no REPORT, -o or "
			                          "--receipt");
	} else {
		if (optind != argc - 1)
			return usage_error(usage, optind == argc ? "no REPORT given"
			                                         : "more than one REPORT given");
		if (outdir != NULL)
			return usage_error(usage, "--out goes with --batch (use -o for one report)");
	}

	char *receipt_path = NULL;
	if (receipt != NULL) {
		receipt_path = xstrdup(receipt);
	} else if (out != NULL) {
		receipt_path = xmalloc(strlen(out) + 9);
		sprintf(receipt_path, "%s.receipt", out);
	}
	struct release_context ctx;
	struct sluice_error err;
	sluice_error_clear(&err);
	memset(&ctx, 0, sizeof(ctx));
	if (admins != NULL) {
		snprintf(ctx.admins_dir, sizeof(ctx.admins_dir), "%s", admins);
		ctx.required_signatures = required;
	}
	if (binding_key != NULL) {
		enum sluice_rc brc = binding_signer_load(binding_key, binding_cert, &ctx.binding, &err);
		if (brc != SLUICE_OK) {
			sluice_error_print("sluice", &err);
			free(receipt_path);
			return sluice_rc_exit_code(brc);
		}
		ctx.have_binding = true;
	}
	enum sluice_rc rc = release_context_open(&ctx, policy, key, audit, from, to,
	                                         batch ? NULL : argv[optind], receipt_path, &err);
	if (rc != SLUICE_OK) {
		sluice_error_print("sluice", &err);
		struct sluice_error cerr;
		if (release_context_close(&ctx, &cerr) != SLUICE_OK)
			sluice_error_print("sluice", &cerr);
		free(receipt_path);
		return sluice_rc_exit_code(rc);
	}
	int exit_code;
	if (batch != NULL) {
		exit_code = run_batch(&ctx, from, to, batch, outdir);
	} else {
		struct release_summary s;
		rc = release_one(&ctx, from, to, argv[optind], out, receipt_path, &s, &err);
		if (rc != SLUICE_OK)
			sluice_error_print("sluice", &err);
		exit_code = sluice_rc_exit_code(rc);
	}
	free(receipt_path);
	struct sluice_error cerr;
	if (release_context_close(&ctx, &cerr) != SLUICE_OK) {
		sluice_error_print("sluice", &cerr);
		if (exit_code == 0)
			exit_code = sluice_rc_exit_code(cerr.rc);
	}
	return exit_code;
}
