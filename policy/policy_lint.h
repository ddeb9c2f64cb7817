/*
 * What `sluice policy check` reports beyond a policy that loads (issue 5; docs/POLICY.md):
 * things that are legal but almost certainly not what the administrator meant. policy_load
 * already refuses what cannot work (unknown keys, domains, caveats, classifications, unreadable
 * lists, regexes that do not compile): those are errors, exit 78. These are warnings, each with
 * the line it is about and a one-line fix; `policy check --strict` fails on them too.
 *
 * The checks read only the loaded policy: no report is involved, so nothing here can say
 * whether a caveat token will ever appear in a report.
 */
#ifndef SLUICE_POLICY_LINT_H
#define SLUICE_POLICY_LINT_H

#include <stddef.h>

#include "policy.h"

/* Limits above which a value is flagged as absurd (the daemon refuses reports over 64 MiB
 * before the policy sees them; XML deeper than a few hundred levels is an attack). */
#define LINT_MAX_BYTES_CEILING (64ull * 1024 * 1024)
#define LINT_MAX_BYTES_FLOOR 1024ull
#define LINT_MAX_DEPTH_CEILING 512u
#define LINT_MAX_NODES_CEILING 10000000ull

struct lint_finding {
	unsigned line;      /* in the policy file; 0 for the file as a whole */
	char rule[48];      /* stable id, e.g. "lint.shadowed-flow" */
	char message[400];  /* what is wrong */
	char fix[300];      /* one line: what to do */
};

/* Every finding for `p`, in line order. *out is a new array (free it), *n its length. */
void policy_lint(const struct policy *p, struct lint_finding **out, size_t *n);

/* Whether a PCRE2 pattern has a quantified group that itself contains a quantifier or an
 * alternation, such as (a+)+, (\w*)* or (a|aa)+: the shape that backtracks exponentially on a
 * near-miss. A heuristic: false positives are possible, and PCRE2's match limit still bounds
 * the damage at run time (filters/redact.c). */
int lint_regex_may_backtrack(const char *regex);

#endif
