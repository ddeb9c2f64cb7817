/*
 * `sluice policy diff OLD NEW [--corpus DIR]` (issue 5, part 4; docs/POLICY.md, "Seeing what a
 * change changes"): what a change to a sharing policy changes.
 *
 * The structural diff (policy_diff_compute) compares two loaded policies section by section:
 * profile, id and version, limits, schema, caveats, domains, and the flows expanded to the
 * (from, to) pairs they decide (the first flow naming a pair decides it, as policy_flow_find
 * does), with word lists compared by path and by the digest of their contents. It decides
 * nothing and reads no report; it only says which pairs a change can affect, so that the
 * corpus replay (cmd_policy_diff.c) runs the dry-run machinery of policy_dryrun.h on those
 * pairs only.
 */
#ifndef SLUICE_POLICY_DIFF_H
#define SLUICE_POLICY_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "strset.h"

/* The groups the changes are printed in, in this order. */
enum policy_diff_group {
	DIFF_POLICY,    /* id, version, profile, limits, schema */
	DIFF_CAVEATS,
	DIFF_DOMAINS,
	DIFF_FLOWS,
	DIFF_WORDLISTS, /* contents changed, whichever flows name them */
	DIFF_NGROUPS,
};

enum policy_change_kind { CHANGE_ADDED, CHANGE_REMOVED, CHANGE_CHANGED };

struct policy_change {
	enum policy_diff_group group;
	enum policy_change_kind kind;
	char *subject;     /* "caveat OC", "domain customs", "flow intel -> police", "limits" */
	char *text;        /* what changed, e.g. "clearance C -> R"; "" for added/removed */
	unsigned old_line; /* in OLD, 0 when unknown or absent */
	unsigned new_line; /* in NEW, 0 when unknown or absent */
};

struct policy_pair {
	char *from;
	char *to;
};

struct policy_diff {
	struct policy_change *changes; /* grouped, in the order of enum policy_diff_group */
	size_t nchanges;
	/* Profile, limits, schema or a caveat changed: every pair may decide differently. */
	bool everything;
	struct strset domains;      /* domains added, removed or changed */
	struct policy_pair *flows;  /* pairs whose flow was added, removed or changed, sorted */
	size_t nflows;
	/* The policy files are byte for byte the same, but what they name (word lists, schema)
	 * is not: bundle_sha256 differs, sha256 does not. */
	bool content_only;
};

/* Compares `old` and `new`; `d` is overwritten (free with policy_diff_free). */
void policy_diff_compute(const struct policy *old, const struct policy *new,
                         struct policy_diff *d);
void policy_diff_free(struct policy_diff *d);

/* Can the change alter what the pair (from, to) decides? */
bool policy_diff_affects(const struct policy_diff *d, const char *from, const char *to);

/* The pairs a flow decides in `old` or in `new` (any other pair is refused by default deny
 * under both, whatever changed) that the change affects, sorted by from, then to. *out is a
 * new array of *n pairs (policy_pairs_free), NULL when there is none. */
void policy_diff_affected_pairs(const struct policy *old, const struct policy *new,
                                const struct policy_diff *d, struct policy_pair **out,
                                size_t *n);
void policy_pairs_free(struct policy_pair *pairs, size_t n);

/* "policy", "caveats", ... */
const char *policy_diff_group_name(enum policy_diff_group g);
/* "added", "removed", "changed" */
const char *policy_change_kind_name(enum policy_change_kind k);


#endif
