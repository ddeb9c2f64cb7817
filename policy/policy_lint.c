#include "policy_lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_error.h"

struct findings {
	struct lint_finding *v;
	size_t n, cap;
};

static void add(struct findings *f, unsigned line, const char *rule, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct findings *f, unsigned line, const char *rule, const char *fix,
                const char *fmt, ...)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	struct lint_finding *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->line = line;
	snprintf(x->rule, sizeof(x->rule), "%s", rule);
	snprintf(x->fix, sizeof(x->fix), "%s", fix);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
}

static int flow_names(const struct policy_flow *fl, const char *domain)
{
	if (strcmp(fl->from, domain) == 0)
		return 1;
	for (size_t k = 0; k < fl->nto; k++)
		if (strcmp(fl->to[k], domain) == 0)
			return 1;
	return 0;
}

static void check_domains(const struct policy *p, struct findings *f)
{
	for (size_t i = 0; i < p->ndomains; i++) {
		const struct policy_domain *d = &p->domains[i];
		int named = 0;
		for (size_t j = 0; j < p->nflows && !named; j++)
			named = flow_names(&p->flows[j], d->name);
		if (!named)
			add(f, d->line, "lint.unreached-domain",
			    "add a flow from or to it, or remove the domain",
			    "domain '%s' is in no flow: nothing can reach it or leave it", d->name);
	}
}

static void check_flows(const struct policy *p, struct findings *f)
{
	if (p->nflows == 0)
		add(f, 0, "lint.no-flows", "add flows for the transfers the gateway must allow",
		    "the policy has no flows: every transfer is refused (default deny)");
	for (size_t j = 0; j < p->nflows; j++) {
		const struct policy_flow *fl = &p->flows[j];
		for (size_t q = 0; q < fl->npatterns; q++)
			if (fl->patterns[q].kind == PATTERN_CUSTOM &&
			    lint_regex_may_backtrack(fl->patterns[q].regex))
				add(f, fl->line, "lint.regex-backtracking",
				    "remove the nested repetition, e.g. (a+)+ -> a+, or use a possessive "
				    "quantifier or atomic group (?>...)",
				    "pattern '%s' has a repeated group that itself repeats or alternates "
				    "('%.120s'): it can backtrack catastrophically on a near miss",
				    fl->patterns[q].name, fl->patterns[q].regex);
	}
}

static void check_caveats(const struct policy *p, struct findings *f)
{
	for (size_t c = 0; c < p->ncaveats; c++) {
		const struct policy_caveat *cv = &p->caveats[c];
		if (cv->action != CAVEAT_REQUIRES)
			continue;
		int someone = 0;
		for (size_t i = 0; i < p->ndomains && !someone; i++)
			someone = strset_subset(&cv->requires, &p->domains[i].holds);
		if (!someone)
			add(f, cv->line, "lint.caveat-unsatisfiable",
			    "add the required values to the 'holds' of the domains that may see it, or "
			    "make the caveat 'action: withhold' to say so",
			    "no domain holds everything caveat '%s' requires: content carrying it can "
			    "go nowhere", cv->token);
	}
}

static void check_limits(const struct policy *p, struct findings *f)
{
	const struct policy_limits *l = &p->limits;
	unsigned line = p->limits_line;
	if (line == 0) {
		add(f, 0, "lint.limits-absent",
		    "write limits: {max-bytes: ..., max-depth: ..., max-nodes: ...} for your reports",
		    "the policy sets no limits: the defaults apply (4 MiB, depth 64, 200000 nodes)");
		return;
	}
	if (l->max_bytes > LINT_MAX_BYTES_CEILING)
		add(f, line, "lint.limits-absurd",
		    "lower max-bytes to what your reports need (64 MiB at most)",
		    "max-bytes %llu is above 64 MiB: the daemon refuses larger reports before the "
		    "policy sees them, and parsing them costs memory", (unsigned long long)l->max_bytes);
	if (l->max_bytes < LINT_MAX_BYTES_FLOOR)
		add(f, line, "lint.limits-absurd", "raise max-bytes to what your reports need",
		    "max-bytes %llu is below 1 KiB: almost every report will be refused",
		    (unsigned long long)l->max_bytes);
	if (l->max_depth > LINT_MAX_DEPTH_CEILING)
		add(f, line, "lint.limits-absurd", "lower max-depth (64 is plenty for reports)",
		    "max-depth %u is above %u: deep nesting is a denial-of-service shape, not a "
		    "report", (unsigned)l->max_depth, LINT_MAX_DEPTH_CEILING);
	if (l->max_nodes > LINT_MAX_NODES_CEILING)
		add(f, line, "lint.limits-absurd", "lower max-nodes to what your reports need",
		    "max-nodes %llu is above %llu", (unsigned long long)l->max_nodes,
		    LINT_MAX_NODES_CEILING);
}

static int by_line(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line ? 1 : strcmp(x->rule, y->rule);
}

void policy_lint(const struct policy *p, struct lint_finding **out, size_t *n)
{
	struct findings f = { NULL, 0, 0 };
	check_limits(p, &f);
	check_caveats(p, &f);
	check_domains(p, &f);
	check_flows(p, &f);
	if (f.n > 1)
		qsort(f.v, f.n, sizeof(*f.v), by_line);
	*out = f.v;
	*n = f.n;
}

/* Whether the '{' at `p` opens an unbounded count such as {2,} or {1,5}: a ',' before the
 * closing '}' (a '{' never closed is a literal). */
static int open_count(const char *p)
{
	for (p++; *p != '\0' && *p != '}'; p++)
		if (*p == ',')
			return 1;
	return 0;
}

int lint_regex_may_backtrack(const char *re)
{
	/* For each group, whether its body has a quantifier or an alternation at its own level
	 * or below; a group so marked and then quantified by *, + or {n,} is the bad shape. */
	enum { DEPTH = 32 };
	int inner[DEPTH] = { 0 };
	int depth = 0, in_class = 0;
	for (size_t i = 0; re[i] != '\0'; i++) {
		char c = re[i];
		if (c == '\\') {
			if (re[i + 1] != '\0')
				i++;
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = 0;
			continue;
		}
		if (c == '[') {
			in_class = 1;
			if (re[i + 1] == ']')
				i++; /* "[]...]": a literal ']' first */
			continue;
		}
		if (c == '(') {
			if (depth + 1 < DEPTH)
				inner[++depth] = 0;
			/* (?>...) atomic and (*...) verbs do not backtrack into themselves */
			if (re[i + 1] == '?' && re[i + 2] == '>')
				inner[depth] = -1000;
			continue;
		}
		if (c == ')' && depth > 0) {
			int risky = inner[depth] > 0;
			depth--;
			char q = re[i + 1];
			int quantified = q == '*' || q == '+' || (q == '{' && open_count(re + i + 1));
			int possessive = quantified && q != '{' && re[i + 2] == '+';
			if (risky && quantified && !possessive)
				return 1;
			if (risky || quantified)
				inner[depth] += 1; /* the enclosing group now holds repetition */
			continue;
		}
		if (c == '*' || c == '+' || c == '|' || (c == '{' && open_count(re + i)))
			inner[depth] += 1;
	}
	return 0;
}
