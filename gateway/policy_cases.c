/*
 * The strict loader of a policy's test cases (policy_cases.h, docs/POLICY.md).
 *
 * Like gateway/config.c, it walks the checked tree of policy/yaml_strict.h with one table of
 * {key, required, handler} per mapping, in table order, so the first error is the same
 * whatever order the keys are written in.
 */
#include "policy_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "yaml_strict.h"

#define NRULES(rules) (sizeof(rules) / sizeof((rules)[0]))
#define COUNT_MAX 4294967295LL

struct cases_loader {
	struct yaml_doc doc;  /* the file's name, rule prefix "cases", the error */
	const char *base_dir; /* report paths resolve against it */
	struct policy_cases *c;
};

/* A value of the right type that is not allowed, at its node. */
#define fail_value(L, node, ...) yaml_fail_node(&(L)->doc, (node), "cases.value", __VA_ARGS__)

int policy_case_decision_exit(enum release_decision d)
{
	return sluice_rc_exit_code(release_decision_rc(d));
}

static bool has_control_chars(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* ---------------------------------------------------------------------------------------- */
/* expect                                                                                   */

static enum sluice_rc expect_decision(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	static const enum release_decision decisions[] = { RELEASE_RELEASED, RELEASE_REFUSED,
		                                           RELEASE_INVALID };
	struct cases_loader *L = loader;
	struct policy_case_expect *e = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'decision'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	for (size_t i = 0; i < NRULES(decisions); i++) {
		if (strcmp(v, release_decision_name(decisions[i])) == 0) {
			e->has_decision = true;
			e->decision = decisions[i];
			return SLUICE_OK;
		}
	}
	return fail_value(L, value, "'decision' must be released, refused or invalid, found '%s'",
	                  yaml_show(v).s);
}

static enum sluice_rc expect_exit(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case_expect *e = ctx;
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'exit'", 0, 255, &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	e->has_exit = true;
	e->exit = (int)v;
	return SLUICE_OK;
}

static enum sluice_rc expect_withheld(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case_expect *e = ctx;
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'withheld'", 0, COUNT_MAX, &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	e->has_withheld = true;
	e->withheld = (unsigned long)v;
	return SLUICE_OK;
}

/* redactions: {RULE: COUNT, ...}; {} says that nothing is redacted. */
static enum sluice_rc expect_redactions(void *loader, const struct ynode *key,
                                        const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case_expect *e = ctx;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'redactions'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	e->has_redactions = true;
	e->redactions = xcalloc(value->n / 2 + 1, sizeof(*e->redactions));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const char *rule;
		long long count = 0;
		char what[128];

		rc = ynode_nonempty_string(&L->doc, value->items[i], "a rule of 'redactions'", &rule);
		if (rc != SLUICE_OK)
			return rc;
		if (has_control_chars(rule))
			return fail_value(L, value->items[i],
			                  "a rule of 'redactions' has no control characters");
		snprintf(what, sizeof(what), "the count of '%s'", yaml_show(rule).s);
		rc = ynode_integer(&L->doc, value->items[i + 1], what, 0, COUNT_MAX, &count);
		if (rc != SLUICE_OK)
			return rc;
		struct policy_case_count *pc = &e->redactions[e->nredactions++];
		pc->rule = xstrdup(rule);
		pc->count = (unsigned long)count;
	}
	return SLUICE_OK;
}

static enum sluice_rc expect_string(struct cases_loader *L, const struct ynode *value,
                                    const char *what, char **out)
{
	const char *v;
	enum sluice_rc rc = ynode_nonempty_string(&L->doc, value, what, &v);
	if (rc != SLUICE_OK)
		return rc;
	if (has_control_chars(v))
		return fail_value(L, value, "%s has no control characters", what);
	*out = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc expect_banner(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct policy_case_expect *e = ctx;
	(void)key;
	return expect_string(loader, value, "'banner'", &e->banner);
}

static enum sluice_rc expect_rule(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct policy_case_expect *e = ctx;
	(void)key;
	return expect_string(loader, value, "'rule'", &e->rule);
}

static const struct ymap_rule expect_rules[] = {
	{ "decision", false, expect_decision },
	{ "exit", false, expect_exit },
	{ "withheld", false, expect_withheld },
	{ "redactions", false, expect_redactions },
	{ "banner", false, expect_banner },
	{ "rule", false, expect_rule },
};

/* ---------------------------------------------------------------------------------------- */
/* A case                                                                                   */

static enum sluice_rc case_name(void *loader, const struct ynode *key, const struct ynode *value,
                                void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case *pc = ctx;
	const char *v;
	enum sluice_rc rc = ynode_nonempty_string(&L->doc, value, "a case's 'name'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strlen(v) > POLICY_CASE_NAME_MAX || has_control_chars(v))
		return fail_value(L, value,
		                  "a case's 'name' has at most %d bytes and no control characters "
		                  "(it is printed on one line), found '%s'", POLICY_CASE_NAME_MAX,
		                  yaml_show(v).s);
	pc->name = xstrdup(v);
	return SLUICE_OK;
}

/* `from` and `to`: domain names. A name the policy does not know is a legitimate case (the
 * transfer is refused by default deny), so they are not checked against the policy. */
static enum sluice_rc case_domain(struct cases_loader *L, const struct ynode *value,
                                  const char *what, char **out)
{
	const char *v;
	enum sluice_rc rc = ynode_name(&L->doc, value, what, &v);
	if (rc == SLUICE_OK)
		*out = xstrdup(v);
	return rc;
}

static enum sluice_rc case_from(void *loader, const struct ynode *key, const struct ynode *value,
                                void *ctx)
{
	(void)key;
	return case_domain(loader, value, "'from'", &((struct policy_case *)ctx)->from);
}

static enum sluice_rc case_to(void *loader, const struct ynode *key, const struct ynode *value,
                              void *ctx)
{
	(void)key;
	return case_domain(loader, value, "'to'", &((struct policy_case *)ctx)->to);
}

/* The report file must be there when the cases are loaded (a misspelt path is a broken cases
 * file, not a failing case); it is opened to check that, and read only when its case runs. */
static enum sluice_rc case_report(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case *pc = ctx;
	struct sluice_error oerr;
	struct stat st;
	const char *v;
	int fd = -1;
	enum sluice_rc rc = ynode_nonempty_string(&L->doc, value, "'report'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	pc->report_path = L->base_dir != NULL ? path_join(L->base_dir, v) : xstrdup(v);
	if (open_regular_file(pc->report_path, &fd, &st, &oerr) != SLUICE_OK)
		return yaml_fail_node(&L->doc, value, "cases.report-file",
		                      "report '%s' (%s) cannot be read: %s", yaml_show(v).s,
		                      yaml_show(pc->report_path).s, oerr.message);
	close(fd);
	return SLUICE_OK;
}

static enum sluice_rc case_report_inline(void *loader, const struct ynode *key,
                                         const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case *pc = ctx;
	const char *v;
	enum sluice_rc rc;

	if (pc->report_path != NULL)
		return fail_value(L, key, "a case takes 'report' (a file) or 'report-inline' (the "
		                          "report's text), not both");
	rc = ynode_nonempty_string(&L->doc, value, "'report-inline'", &v);
	if (rc != SLUICE_OK)
		return rc;
	pc->report_len = strlen(v);
	pc->report = (uint8_t *)xstrndup(v, pc->report_len);
	return SLUICE_OK;
}

static enum sluice_rc case_expect(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_case *pc = ctx;
	struct policy_case_expect *e = &pc->expect;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'expect'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (value->n == 0)
		return yaml_fail_node(&L->doc, value, "cases.missing-key",
		                      "'expect' lists nothing: give at least one of decision, exit, "
		                      "withheld, redactions, banner, rule");
	rc = ymap_walk(&L->doc, value, "'expect'", expect_rules, NRULES(expect_rules), L, e);
	if (rc != SLUICE_OK)
		return rc;
	if (e->has_decision && e->has_exit && policy_case_decision_exit(e->decision) != e->exit)
		return fail_value(L, ymap_get(value, "exit", NULL),
		                  "'exit: %d' contradicts 'decision: %s', whose exit code is %d",
		                  e->exit, release_decision_name(e->decision),
		                  policy_case_decision_exit(e->decision));
	return SLUICE_OK;
}

static const struct ymap_rule case_rules[] = {
	{ "name", true, case_name },
	{ "from", true, case_from },
	{ "to", true, case_to },
	{ "report", false, case_report },
	{ "report-inline", false, case_report_inline },
	{ "expect", true, case_expect },
};

/* ---------------------------------------------------------------------------------------- */
/* The top level                                                                            */

static enum sluice_rc top_format(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'sluice-policy-tests'", 0, COUNT_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v != POLICY_CASES_FORMAT)
		return fail_value(L, value,
		                  "unsupported test file format %lld (this version of sluice reads "
		                  "format %d)", v, POLICY_CASES_FORMAT);
	return SLUICE_OK;
}

/* Two cases with one name would make "ok - NAME" ambiguous. */
static enum sluice_rc cases_check_names(struct cases_loader *L, const struct ynode *list)
{
	struct ynode_ref *refs = xcalloc(list->n, sizeof(*refs));
	const struct ynode_ref *first, *again;
	enum sluice_rc rc = SLUICE_OK;

	for (size_t i = 0; i < list->n; i++) {
		refs[i].name = L->c->cases[i].name;
		refs[i].at = ymap_get(list->items[i], "name", NULL);
		refs[i].order = i;
	}
	if (ynode_refs_first_duplicate(refs, list->n, &first, &again))
		rc = yaml_fail_node(&L->doc, again->at, "cases.duplicate-name",
		                    "two cases are named '%s' (the first at line %u)",
		                    yaml_show(again->name).s, first->at->line);
	free(refs);
	return rc;
}

static enum sluice_rc top_cases(void *loader, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct cases_loader *L = loader;
	struct policy_cases *c = L->c;
	enum sluice_rc rc = ynode_need_list(&L->doc, value, "'cases'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (value->n == 0)
		return fail_value(L, value, "'cases' lists no case: a test file tests something");
	c->cases = xcalloc(value->n, sizeof(*c->cases));
	for (size_t i = 0; i < value->n; i++) {
		const struct ynode *item = value->items[i];
		struct policy_case *pc = &c->cases[c->ncases++];

		pc->line = item->line;
		rc = ynode_need_mapping(&L->doc, item, "a case");
		if (rc == SLUICE_OK)
			rc = ymap_walk(&L->doc, item, "a case", case_rules, NRULES(case_rules), L, pc);
		if (rc != SLUICE_OK)
			return rc;
		if (pc->report_path == NULL && pc->report == NULL)
			return yaml_fail_node(&L->doc, item, "cases.missing-key",
			                      "case '%s' needs 'report' (a file) or 'report-inline' (the "
			                      "report's text)", yaml_show(pc->name).s);
	}
	return cases_check_names(L, value);
}

static const struct ymap_rule top_rules[] = {
	{ "sluice-policy-tests", true, top_format },
	{ "cases", true, top_cases },
};

/* ---------------------------------------------------------------------------------------- */
/* Entry points                                                                             */

static struct yaml_doc cases_doc(const char *name, struct sluice_error *err)
{
	struct yaml_doc doc = {
		.name = name,
		.rule_prefix = "cases",
		.noun = "test file",
		.max_bytes = POLICY_CASES_MAX_BYTES,
		.err = err,
	};
	return doc;
}

enum sluice_rc policy_cases_load_buffer(const char *name, const uint8_t *data, size_t len,
                                        const char *base_dir, struct policy_cases **out,
                                        struct sluice_error *err)
{
	struct cases_loader L;
	struct ynode *root = NULL;
	struct policy_cases *c = NULL;
	enum sluice_rc rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.doc = cases_doc(name != NULL ? name : "<cases>", err);
	L.base_dir = base_dir;
	rc = yaml_doc_parse(&L.doc, data, len, &root);
	if (rc != SLUICE_OK)
		return rc;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(L.doc.name);
	L.c = c;
	rc = ymap_walk_root(&L.doc, root, top_rules, NRULES(top_rules), &L, NULL);
	if (rc == SLUICE_OK) {
		*out = c;
		c = NULL;
	}
	ynode_free(root);
	policy_cases_free(c);
	return rc;
}

enum sluice_rc policy_cases_load(const char *path, struct policy_cases **out,
                                 struct sluice_error *err)
{
	struct yaml_doc doc = cases_doc(path, err);
	uint8_t *buf = NULL;
	size_t len = 0;

	*out = NULL;
	enum sluice_rc rc = yaml_doc_read_file(&doc, &buf, &len);
	if (rc != SLUICE_OK)
		return rc;
	char *dir = path_dirname(path);
	rc = policy_cases_load_buffer(path, buf, len, dir, out, err);
	free(dir);
	free(buf);
	return rc;
}

void policy_cases_free(struct policy_cases *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncases; i++) {
		struct policy_case *pc = &c->cases[i];
		free(pc->name);
		free(pc->report_path);
		free(pc->report);
		free(pc->from);
		free(pc->to);
		for (size_t j = 0; j < pc->expect.nredactions; j++)
			free(pc->expect.redactions[j].rule);
		free(pc->expect.redactions);
		free(pc->expect.banner);
		free(pc->expect.rule);
	}
	free(c->cases);
	free(c->path);
	free(c);
}
