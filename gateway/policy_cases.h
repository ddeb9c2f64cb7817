/*
 * The test cases of a sharing policy (`sluice policy test POLICY CASES`): a YAML file written
 * by administrators, read with the strict YAML layer (policy/yaml_strict.h) under the rule
 * prefix "cases". The format is in docs/POLICY.md:
 *
 *   sluice-policy-tests: 1
 *   cases:
 *     - name: ORCON refuses the whole report
 *       report: reports/08-intel-to-police-orcon.xml     # or report-inline: "<...>"
 *       from: intel
 *       to: police
 *       expect: {decision: refused, exit: 1, rule: caveat.refuse}
 *
 * Every error is SLUICE_ERR_POLICY (exit 78) with file:line:column: the layer's
 * "cases.syntax", ".alias", ".tag", ".duplicate-key", ".type", ".value", ".depth",
 * ".unknown-key", ".missing-key", ".read", ".permissions", ".too-large", and this loader's
 * "cases.duplicate-name" (two cases with one name) and "cases.report-file" (a `report` that is
 * not a readable regular file).
 *
 * SECURITY: trusted side. The file is parsed as untrusted text; it names report files, which
 * are only checked here (opened and closed), never read: the reports themselves are untrusted
 * and go to the sandboxed filter (policy_dryrun.h). An inline report is kept as opaque bytes.
 */
#ifndef SLUICE_POLICY_CASES_H
#define SLUICE_POLICY_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "release.h"
#include "sluice_error.h"

#define POLICY_CASES_FORMAT 1
#define POLICY_CASES_MAX_BYTES (16u * 1024u * 1024u)
#define POLICY_CASE_NAME_MAX 200

struct policy_case_count {
	char *rule;          /* "pattern:email", "words:lists/operations.txt", ... */
	unsigned long count; /* 0: the rule must not redact anything */
};

/* What a case expects; each part only when its has_ flag is set (at least one is). */
struct policy_case_expect {
	bool has_decision;
	enum release_decision decision; /* RELEASE_RELEASED, _REFUSED or _INVALID */
	bool has_exit;
	int exit;
	bool has_withheld;
	unsigned long withheld;
	bool has_redactions;           /* then exactly these rules redact, these many times */
	struct policy_case_count *redactions;
	size_t nredactions;
	char *banner;                  /* the banner after re-marking, or NULL */
	char *rule;                    /* the rule of a refusal or invalid report, or NULL */
};

struct policy_case {
	char *name;
	unsigned line;        /* where the case starts in the file */
	char *report_path;    /* `report`, resolved against the cases file's folder, or NULL */
	uint8_t *report;      /* `report-inline`: its bytes (report_path is then NULL) */
	size_t report_len;
	char *from, *to;
	struct policy_case_expect expect;
};

struct policy_cases {
	char *path;
	struct policy_case *cases;
	size_t ncases;
};

/* Loads and checks the cases file at `path` (a regular file, not writable by group or others,
 * at most POLICY_CASES_MAX_BYTES); report paths resolve against its folder. */
enum sluice_rc policy_cases_load(const char *path, struct policy_cases **out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;
/* The same from memory: `name` is the file named in errors, `base_dir` the folder report paths
 * resolve against. */
enum sluice_rc policy_cases_load_buffer(const char *name, const uint8_t *data, size_t len,
                                        const char *base_dir, struct policy_cases **out,
                                        struct sluice_error *err) SLUICE_MUST_CHECK;
/* NULL is fine. */
void policy_cases_free(struct policy_cases *c);

/* The exit code `sluice release` gives for a decision: 0, 1, 65 (70 for an error). */
int policy_case_decision_exit(enum release_decision d);

#endif
