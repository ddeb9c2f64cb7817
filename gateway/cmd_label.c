/*
 * `sluice label`: show the markings of a label or a marked document, and check a clearance
 * against a label (SPEC section 5).
 *
 *   show --profile ism FILE   IC-ISM banner line, then each portion mark (filters/ism_marking.h)
 *   show --spif SPIF FILE     a STANAG 4774 label's display marking (gateway/label_spif.h)
 *   check --spif SPIF --clearance CLEARANCE FILE
 *
 * SECURITY: an administration command on the trusted side, like `policy check`: FILE is
 * hostile and goes through the hardened XML intake (filters/xml_intake.h) with the limits of a
 * policy's defaults; nothing else is read, no key, policy or audit log is held.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fileio.h"
#include "ism_marking.h"
#include "label_spif.h"
#include "xml_intake.h"

/* The limits a policy has when it sets none (docs/POLICY.md). */
static const struct xml_limits label_file_limits = { 4ull * 1024 * 1024, 64, 200000 };

static const char usage[] =
	"usage: sluice label show [--spif SPIF | --profile ism] FILE\n"
	"       sluice label check --spif SPIF --clearance CLEARANCE FILE\n"
	"\n"
	"show    prints the markings of FILE. With --profile ism (the default when FILE's root\n"
	"        element carries ism: attributes), FILE is an IC-ISM document: the banner line of\n"
	"        its resource element, then the portion mark of each portion in document order.\n"
	"        With --spif, FILE is a STANAG 4774 label: its display marking on one line.\n"
	"check   whether the clearance in the file CLEARANCE may see the STANAG 4774 label FILE\n"
	"        under SPIF.\n"
	"\n"
	"Exit: 0 shown, or the clearance may see the label; 1 it may not; 64 usage; 65 invalid\n"
	"label or marking (the message names the element, its line and the value); 70 internal\n"
	"error; 74 I/O error; 78 invalid SPIF or clearance.\n";

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int fail(const char *prog, const char *file, struct sluice_error *err)
{
	if (err->file[0] == '\0' && file != NULL)
		snprintf(err->file, sizeof(err->file), "%s", file);
	sluice_error_print(prog, err);
	return sluice_rc_exit_code(err->rc);
}

/* Prints the IC-ISM markings of `file`. `explicit_profile`: --profile ism was given; without
 * it a file whose root element carries no ism attribute is a usage error. */
static int show_ism(const char *file, bool explicit_profile)
{
	static const char prog[] = "sluice label show";
	struct sluice_error err;
	uint8_t *data = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;
	char *text = NULL;
	int code = 0;

	memset(&err, 0, sizeof(err));
	enum sluice_rc rc = file_read_bounded(file, label_file_limits.max_bytes,
	                                      SLUICE_ERR_INVALID_REPORT, &data, &len, &err);
	if (rc == SLUICE_OK)
		rc = xml_intake_parse(data, len, &label_file_limits, &doc, &err);
	if (rc != SLUICE_OK) {
		code = fail(prog, file, &err);
		goto out;
	}
	if (!explicit_profile && !ism_element_is_marked(xmlDocGetRootElement(doc))) {
		code = usage_error(usage, "%s: the root element carries no ism: attribute; give "
		                   "--profile ism, or --spif SPIF for a STANAG 4774 label", file);
		goto out;
	}
	rc = ism_document_markings(doc, &text, &err);
	if (rc != SLUICE_OK) {
		code = fail(prog, file, &err);
		goto out;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		(void)sluice_fail(&err, SLUICE_ERR_IO, "io.write", "cannot write to standard output");
		code = fail(prog, NULL, &err);
	}
out:
	free(text);
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(data);
	return code;
}

/* Reads a subcommand's options: each of `opts` is --help ('h') or takes a value, stored in
 * values[opts[i].val]. Returns -1 to go on, else the exit code (0 after --help, 64). */
static int read_options(int argc, char **argv, const struct option *opts, const char **values)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == '?' || c == ':')
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		values[c] = optarg;
	}
	return -1;
}

/* After the STANAG 4774 side failed with exit `code`: says why on stderr. */
static int spif_failed(const char *prog, int code, struct sluice_error *err)
{
	if (err->message[0] == '\0')
		(void)sluice_fail(err, SLUICE_ERR_INTERNAL, "label.spif", "failed with exit code %d",
		                  code);
	sluice_error_print(prog, err);
	return code;
}

static int label_show(int argc, char **argv)
{
	enum { SPIF, PROFILE };
	static const struct option opts[] = {
		{ "spif", required_argument, NULL, SPIF }, { "profile", required_argument, NULL, PROFILE },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *v[2] = { NULL, NULL };
	int code = read_options(argc, argv, opts, v);
	if (code >= 0)
		return code;
	if (argc - optind != 1)
		return usage_error(usage, "label show takes exactly one FILE");
	if (v[SPIF] != NULL && v[PROFILE] != NULL)
		return usage_error(usage, "give either --spif or --profile, not both");
	if (v[PROFILE] != NULL && strcmp(v[PROFILE], "ism") != 0)
		return usage_error(usage, "unknown profile '%s' (label show knows ism; use --spif "
		                   "for STANAG 4774)", v[PROFILE]);
	if (v[SPIF] == NULL)
		return show_ism(argv[optind], v[PROFILE] != NULL);

	struct sluice_error err;
	memset(&err, 0, sizeof(err));
	code = label_spif_show(v[SPIF], argv[optind], stdout, &err);
	return code == 0 ? 0 : spif_failed("sluice label show", code, &err);
}

static int label_check(int argc, char **argv)
{
	enum { SPIF, CLEARANCE };
	static const struct option opts[] = {
		{ "spif", required_argument, NULL, SPIF },
		{ "clearance", required_argument, NULL, CLEARANCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *v[2] = { NULL, NULL };
	int code = read_options(argc, argv, opts, v);
	if (code >= 0)
		return code;
	if (v[SPIF] == NULL || v[CLEARANCE] == NULL)
		return usage_error(usage, "label check needs --spif and --clearance");
	if (argc - optind != 1)
		return usage_error(usage, "label check takes exactly one FILE");

	struct sluice_error err;
	memset(&err, 0, sizeof(err));
	code = label_spif_check(v[SPIF], v[CLEARANCE], argv[optind], &err);
	if (code == 0)
		printf("%s: the clearance %s may see the label\n", argv[optind], v[CLEARANCE]);
	else if (code == 1)
		printf("%s: the clearance %s may not see the label: %s [%s]\n", argv[optind],
		       v[CLEARANCE], err.message[0] ? err.message : "access denied",
		       err.rule[0] ? err.rule : "-");
	else
		(void)spif_failed("sluice label check", code, &err);
	return code;
}

int cmd_label(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return label_show(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return label_check(argc - 1, argv + 1);
	if (argc >= 2 && is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error(usage, "no label subcommand given");
	return usage_error(usage, "unknown label subcommand '%s'", argv[1]);
}
