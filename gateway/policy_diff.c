#include "policy_diff.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"

static char *vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vfmt(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		SLUICE_BUG("vsnprintf failed");
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = vfmt(f, ap);
	va_end(ap);
	return s;
}

/* Records one change; `text` is a printf format ("" for added and removed). */
static void add(struct policy_diff *d, enum policy_diff_group g, enum policy_change_kind k,
                const char *subject, unsigned old_line, unsigned new_line, const char *text, ...)
	__attribute__((format(printf, 7, 8)));
static void add(struct policy_diff *d, enum policy_diff_group g, enum policy_change_kind k,
                const char *subject, unsigned old_line, unsigned new_line, const char *text, ...)
{
	va_list ap;
	d->changes = xrealloc(d->changes, (d->nchanges + 1) * sizeof(*d->changes));
	struct policy_change *c = &d->changes[d->nchanges++];
	c->group = g;
	c->kind = k;
	c->subject = xstrdup(subject);
	va_start(ap, text);
	c->text = vfmt(text, ap);
	va_end(ap);
	c->old_line = old_line;
	c->new_line = new_line;
}

static const char *or_none(const char *s)
{
	return s != NULL ? s : "(none)";
}

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* "{a, b}" of a set, or "{}" (a new string). */
static char *set_text(const struct strset *s)
{
	char *j = strset_join(s, ", ");
	char *t = fmt("{%s}", j);
	free(j);
	return t;
}

/* Adds "WHAT: added X, Y; removed Z" when the sets differ. Values starting with `skip_prefix`
 * (may be NULL) are left out of the comparison. */
static void diff_sets(struct policy_diff *d, enum policy_diff_group g, const char *subject,
                      unsigned old_line, unsigned new_line, const char *what,
                      const struct strset *a, const struct strset *b, const char *skip_prefix)
{
	struct strset plus = STRSET_INIT, minus = STRSET_INIT;
	size_t skip = skip_prefix != NULL ? strlen(skip_prefix) : 0;
	for (size_t i = 0; i < a->n; i++)
		if ((skip == 0 || strncmp(a->v[i], skip_prefix, skip) != 0) &&
		    !strset_contains(b, a->v[i]))
			strset_add(&minus, a->v[i]);
	for (size_t i = 0; i < b->n; i++)
		if ((skip == 0 || strncmp(b->v[i], skip_prefix, skip) != 0) &&
		    !strset_contains(a, b->v[i]))
			strset_add(&plus, b->v[i]);
	if (plus.n > 0 || minus.n > 0) {
		char *p = strset_join(&plus, ", "), *m = strset_join(&minus, ", ");
		add(d, g, CHANGE_CHANGED, subject, old_line, new_line, "%s:%s%s%s%s%s", what,
		    plus.n > 0 ? " added " : "", p, plus.n > 0 && minus.n > 0 ? ";" : "",
		    minus.n > 0 ? " removed " : "", m);
		free(p);
		free(m);
	}
	strset_free(&plus);
	strset_free(&minus);
}

/* ---------------------------------------------------------------------------------------- */
/* Policy-wide settings                                                                     */

/* SPIFs decide what every label means: any change may change every decision. */
static void diff_schemes(struct policy_diff *d, const struct policy *a, const struct policy *b)
{
	for (size_t i = 0; i < a->nschemes; i++) {
		const struct policy_scheme *sa = &a->schemes[i];
		const struct policy_scheme *sb = policy_scheme_find(b, sa->name);
		const char *shown = sa->name[0] != '\0' ? sa->name : "(scheme)";
		if (sb == NULL)
			add(d, DIFF_POLICY, CHANGE_REMOVED, "scheme", sa->line, 0, "%s: %s", shown,
			    sa->written);
		else if (strcmp(sa->written, sb->written) != 0)
			add(d, DIFF_POLICY, CHANGE_CHANGED, "scheme", sa->line, sb->line,
			    "%s: %s -> %s", shown, sa->written, sb->written);
		else if (strcmp(sa->sha256_hex, sb->sha256_hex) != 0)
			add(d, DIFF_POLICY, CHANGE_CHANGED, "scheme", sa->line, sb->line,
			    "%s: SPIF %s contents changed (sha256 %.16s... -> %.16s...)", shown,
			    sa->written, sa->sha256_hex, sb->sha256_hex);
		else
			continue;
		d->everything = true;
	}
	for (size_t i = 0; i < b->nschemes; i++) {
		const struct policy_scheme *sb = &b->schemes[i];
		if (policy_scheme_find(a, sb->name) != NULL)
			continue;
		add(d, DIFF_POLICY, CHANGE_ADDED, "scheme", 0, sb->line, "%s: %s",
		    sb->name[0] != '\0' ? sb->name : "(scheme)", sb->written);
		d->everything = true;
	}
}

static void diff_top(struct policy_diff *d, const struct policy *a, const struct policy *b)
{
	if (!str_eq(a->id, b->id))
		add(d, DIFF_POLICY, CHANGE_CHANGED, "id", 0, 0, "%s -> %s", or_none(a->id),
		    or_none(b->id));
	if (a->version != b->version)
		add(d, DIFF_POLICY, CHANGE_CHANGED, "version", 0, 0, "%ld -> %ld", a->version,
		    b->version);
	if (!str_eq(a->profile, b->profile)) {
		add(d, DIFF_POLICY, CHANGE_CHANGED, "profile", 0, 0, "%s -> %s", or_none(a->profile),
		    or_none(b->profile));
		d->everything = true;
	}
	const struct policy_limits *la = &a->limits, *lb = &b->limits;
	if (la->max_bytes != lb->max_bytes)
		add(d, DIFF_POLICY, CHANGE_CHANGED, "limits", a->limits_line, b->limits_line,
		    "max-bytes %" PRIu64 " -> %" PRIu64, la->max_bytes, lb->max_bytes);
	if (la->max_depth != lb->max_depth)
		add(d, DIFF_POLICY, CHANGE_CHANGED, "limits", a->limits_line, b->limits_line,
		    "max-depth %" PRIu32 " -> %" PRIu32, la->max_depth, lb->max_depth);
	if (la->max_nodes != lb->max_nodes)
		add(d, DIFF_POLICY, CHANGE_CHANGED, "limits", a->limits_line, b->limits_line,
		    "max-nodes %" PRIu64 " -> %" PRIu64, la->max_nodes, lb->max_nodes);
	if (memcmp(la, lb, sizeof(*la)) != 0)
		d->everything = true;
	bool had = a->schema_written != NULL, has = b->schema_written != NULL;
	if (had != has || (had && strcmp(a->schema_written, b->schema_written) != 0)) {
		add(d, DIFF_POLICY, CHANGE_CHANGED, "schema", 0, 0, "%s -> %s",
		    or_none(a->schema_written), or_none(b->schema_written));
		d->everything = true;
	} else if (had && strcmp(a->schema_sha256_hex, b->schema_sha256_hex) != 0) {
		add(d, DIFF_POLICY, CHANGE_CHANGED, "schema", 0, 0,
		    "%s: contents changed (sha256 %.16s... -> %.16s...)", a->schema_written,
		    a->schema_sha256_hex, b->schema_sha256_hex);
		d->everything = true;
	}
	diff_schemes(d, a, b);
}

/* ---------------------------------------------------------------------------------------- */
/* Caveats                                                                                  */

static const char *caveat_action_text(const struct policy_caveat *c, char **owned)
{
	*owned = NULL;
	switch (c->action) {
	case CAVEAT_INFORMATIVE: return "{} (informative)";
	case CAVEAT_REFUSE: return "action refuse";
	case CAVEAT_WITHHOLD: return "action withhold";
	case CAVEAT_REQUIRES: {
		char *s = set_text(&c->requires);
		*owned = fmt("requires %s", s);
		free(s);
		return *owned;
	}
	}
	return "?";
}

static void diff_caveats(struct policy_diff *d, const struct policy *a, const struct policy *b)
{
	size_t before = d->nchanges;
	for (size_t i = 0; i < a->ncaveats; i++) {
		const struct policy_caveat *ca = &a->caveats[i];
		const struct policy_caveat *cb = policy_caveat_find(b, ca->token);
		char *subject = fmt("caveat %s", ca->token);
		if (cb == NULL) {
			add(d, DIFF_CAVEATS, CHANGE_REMOVED, subject, ca->line, 0, "%s", "");
		} else if (ca->action != cb->action ||
		           (ca->action == CAVEAT_REQUIRES && !strset_equal(&ca->requires, &cb->requires))) {
			char *oa, *ob;
			const char *ta = caveat_action_text(ca, &oa), *tb = caveat_action_text(cb, &ob);
			add(d, DIFF_CAVEATS, CHANGE_CHANGED, subject, ca->line, cb->line, "%s -> %s", ta,
			    tb);
			free(oa);
			free(ob);
		}
		free(subject);
	}
	for (size_t i = 0; i < b->ncaveats; i++) {
		const struct policy_caveat *cb = &b->caveats[i];
		if (policy_caveat_find(a, cb->token) != NULL)
			continue;
		char *subject = fmt("caveat %s", cb->token);
		char *ob;
		add(d, DIFF_CAVEATS, CHANGE_ADDED, subject, 0, cb->line, "%s",
		    caveat_action_text(cb, &ob));
		free(ob);
		free(subject);
	}
	if (d->nchanges > before)
		d->everything = true;
}

/* ---------------------------------------------------------------------------------------- */
/* Domains                                                                                  */

/* A clearance in its domain's own scheme (domains of one policy may label differently). */
static const char *clearance_name(const struct policy_domain *dom)
{
	const struct classification_scheme *s = dom->scheme;
	if (s == NULL || dom->clearance < 0 || (size_t)dom->clearance >= s->count)
		return "?";
	return s->names[dom->clearance];
}

static const char *scheme_name(const struct policy_domain *dom)
{
	if (dom->spif_scheme == NULL)
		return "-";
	return dom->spif_scheme->name[0] != '\0' ? dom->spif_scheme->name : "(scheme)";
}

static void diff_domain(struct policy_diff *d, const struct policy *a, const struct policy *b,
                        const struct policy_domain *da, const struct policy_domain *db)
{
	char *subject = fmt("domain %s", da->name);
	size_t before = d->nchanges;
	(void)a;
	(void)b;
	if (!str_eq(da->profile, db->profile))
		add(d, DIFF_DOMAINS, CHANGE_CHANGED, subject, da->line, db->line, "profile %s -> %s",
		    or_none(da->profile), or_none(db->profile));
	if (strcmp(scheme_name(da), scheme_name(db)) != 0)
		add(d, DIFF_DOMAINS, CHANGE_CHANGED, subject, da->line, db->line, "scheme %s -> %s",
		    scheme_name(da), scheme_name(db));
	const char *cla = clearance_name(da), *clb = clearance_name(db);
	if (strcmp(cla, clb) != 0 || da->clearance != db->clearance)
		add(d, DIFF_DOMAINS, CHANGE_CHANGED, subject, da->line, db->line,
		    "clearance %s -> %s", cla, clb);
	diff_sets(d, DIFF_DOMAINS, subject, da->line, db->line, "holds", &da->holds, &db->holds,
	          "tlp-");
	if (!str_eq(da->organisation, db->organisation))
		add(d, DIFF_DOMAINS, CHANGE_CHANGED, subject, da->line, db->line,
		    "organisation %s -> %s", or_none(da->organisation), or_none(db->organisation));
	diff_sets(d, DIFF_DOMAINS, subject, da->line, db->line, "communities", &da->communities,
	          &db->communities, NULL);
	diff_sets(d, DIFF_DOMAINS, subject, da->line, db->line, "clients-of", &da->clients_of,
	          &db->clients_of, NULL);
	if (d->nchanges > before)
		strset_add(&d->domains, da->name);
	free(subject);
}

static void diff_domains(struct policy_diff *d, const struct policy *a, const struct policy *b)
{
	for (size_t i = 0; i < a->ndomains; i++) {
		const struct policy_domain *da = &a->domains[i];
		const struct policy_domain *db = policy_domain_find(b, da->name);
		if (db != NULL) {
			diff_domain(d, a, b, da, db);
			continue;
		}
		char *subject = fmt("domain %s", da->name);
		add(d, DIFF_DOMAINS, CHANGE_REMOVED, subject, da->line, 0, "%s", "");
		strset_add(&d->domains, da->name);
		free(subject);
	}
	for (size_t i = 0; i < b->ndomains; i++) {
		const struct policy_domain *db = &b->domains[i];
		if (policy_domain_find(a, db->name) != NULL)
			continue;
		char *subject = fmt("domain %s", db->name);
		add(d, DIFF_DOMAINS, CHANGE_ADDED, subject, 0, db->line, "clearance %s",
		    clearance_name(db));
		strset_add(&d->domains, db->name);
		free(subject);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Flows, expanded to the pairs they decide                                                 */

struct decided_pair {
	const char *from, *to;
	const struct policy_flow *flow;
};

static int by_pair(const void *x, const void *y)
{
	const struct decided_pair *a = x, *b = y;
	int c = strcmp(a->from, b->from);
	return c != 0 ? c : strcmp(a->to, b->to);
}

/* Every pair a flow of `p` decides, with the flow that decides it (the first), sorted. */
static struct decided_pair *decided_pairs(const struct policy *p, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < p->nflows; i++)
		total += p->flows[i].nto;
	struct decided_pair *v = xcalloc(total > 0 ? total : 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < p->nflows; i++)
		for (size_t j = 0; j < p->flows[i].nto; j++) {
			const char *from = p->flows[i].from, *to = p->flows[i].to[j];
			if (policy_flow_find(p, from, to) == &p->flows[i])
				v[(*n)++] = (struct decided_pair){ from, to, &p->flows[i] };
		}
	qsort(v, *n, sizeof(*v), by_pair);
	return v;
}

static const struct policy_wordlist *wordlist_find(const struct policy_flow *f, const char *path)
{
	for (size_t i = 0; i < f->nwordlists; i++)
		if (strcmp(f->wordlists[i].path, path) == 0)
			return &f->wordlists[i];
	return NULL;
}

static const struct policy_pattern *pattern_find(const struct policy_flow *f, const char *name)
{
	for (size_t i = 0; i < f->npatterns; i++)
		if (strcmp(f->patterns[i].name, name) == 0)
			return &f->patterns[i];
	return NULL;
}

/* Word lists and patterns of `x` that `y` lacks, as "a, b" (a new string; "" for none). */
static char *missing_text(const struct policy_flow *x, const struct policy_flow *y, bool lists)
{
	struct strset s = STRSET_INIT;
	if (lists) {
		for (size_t i = 0; i < x->nwordlists; i++)
			if (wordlist_find(y, x->wordlists[i].path) == NULL)
				strset_add(&s, x->wordlists[i].path);
	} else {
		for (size_t i = 0; i < x->npatterns; i++)
			if (pattern_find(y, x->patterns[i].name) == NULL)
				strset_add(&s, x->patterns[i].name);
	}
	char *t = strset_join(&s, ", ");
	strset_free(&s);
	return t;
}

static void diff_added_removed(struct policy_diff *d, const char *subject,
                               const struct policy_flow *fa, const struct policy_flow *fb,
                               bool lists)
{
	char *plus = missing_text(fb, fa, lists), *minus = missing_text(fa, fb, lists);
	const char *what = lists ? "word lists" : "patterns";
	if (plus[0] != '\0')
		add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line, "%s: added %s", what,
		    plus);
	if (minus[0] != '\0')
		add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line, "%s: removed %s",
		    what, minus);
	free(plus);
	free(minus);
}

/* Returns true when the flows decide the pair differently (anything but their line moved). */
static bool diff_flow(struct policy_diff *d, const char *subject, const struct policy_flow *fa,
                      const struct policy_flow *fb)
{
	size_t before = d->nchanges;
	if (fa->portions != fb->portions)
		add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line, "portions %s -> %s",
		    fa->portions == PORTIONS_REDACT ? "redact" : "refuse",
		    fb->portions == PORTIONS_REDACT ? "redact" : "refuse");
	if (fa->marker != fb->marker)
		add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line, "marker %s -> %s",
		    fa->marker == MARKER_WITHHELD ? "withheld" : "none",
		    fb->marker == MARKER_WITHHELD ? "withheld" : "none");
	diff_added_removed(d, subject, fa, fb, true);
	for (size_t i = 0; i < fa->nwordlists; i++) {
		const struct policy_wordlist *wa = &fa->wordlists[i];
		const struct policy_wordlist *wb = wordlist_find(fb, wa->path);
		if (wb != NULL && strcmp(wa->sha256_hex, wb->sha256_hex) != 0)
			add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line,
			    "word list %s: contents changed (%zu -> %zu entries)", wa->path,
			    wa->nwords, wb->nwords);
	}
	diff_added_removed(d, subject, fa, fb, false);
	for (size_t i = 0; i < fa->npatterns; i++) {
		const struct policy_pattern *pa = &fa->patterns[i];
		const struct policy_pattern *pb = pattern_find(fb, pa->name);
		if (pb != NULL && !str_eq(pa->regex, pb->regex))
			add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line,
			    "pattern %s: regex changed", pa->name);
	}
	if (!str_eq(fa->replace_with, fb->replace_with))
		add(d, DIFF_FLOWS, CHANGE_CHANGED, subject, fa->line, fb->line,
		    "replace-with \"%s\" -> \"%s\"", or_none(fa->replace_with),
		    or_none(fb->replace_with));
	return d->nchanges > before;
}

static void add_flow_pair(struct policy_diff *d, const char *from, const char *to)
{
	d->flows = xrealloc(d->flows, (d->nflows + 1) * sizeof(*d->flows));
	d->flows[d->nflows++] = (struct policy_pair){ xstrdup(from), xstrdup(to) };
}

/* Calls `fn` for every pair a flow decides in `a` or in `b`, sorted, with the flow deciding it
 * in each (NULL in the policy where none does). */
static void each_pair(const struct policy *a, const struct policy *b,
                      void (*fn)(void *arg, const struct decided_pair *pa,
                                 const struct decided_pair *pb),
                      void *arg)
{
	size_t na, nb, i = 0, j = 0;
	struct decided_pair *pa = decided_pairs(a, &na), *pb = decided_pairs(b, &nb);
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : by_pair(&pa[i], &pb[j]);
		fn(arg, c <= 0 ? &pa[i] : NULL, c >= 0 ? &pb[j] : NULL);
		i += c <= 0;
		j += c >= 0;
	}
	free(pa);
	free(pb);
}

static void diff_pair(void *arg, const struct decided_pair *pa, const struct decided_pair *pb)
{
	struct policy_diff *d = arg;
	const struct decided_pair *p = pa != NULL ? pa : pb;
	char *subject = fmt("flow %s -> %s", p->from, p->to);
	bool changed = true;
	if (pb == NULL)
		add(d, DIFF_FLOWS, CHANGE_REMOVED, subject, pa->flow->line, 0, "%s", "");
	else if (pa == NULL)
		add(d, DIFF_FLOWS, CHANGE_ADDED, subject, 0, pb->flow->line, "%s", "");
	else
		changed = diff_flow(d, subject, pa->flow, pb->flow);
	if (changed)
		add_flow_pair(d, p->from, p->to);
	free(subject);
}

/* Each word list whose contents changed, once, whichever flows name it. */
static void diff_wordlists(struct policy_diff *d, const struct policy *a, const struct policy *b)
{
	struct strset seen = STRSET_INIT;
	for (size_t i = 0; i < a->nflows; i++)
		for (size_t k = 0; k < a->flows[i].nwordlists; k++) {
			const struct policy_wordlist *wa = &a->flows[i].wordlists[k];
			for (size_t m = 0; m < b->nflows; m++) {
				const struct policy_wordlist *wb = wordlist_find(&b->flows[m], wa->path);
				if (wb == NULL || strcmp(wa->sha256_hex, wb->sha256_hex) == 0 ||
				    !strset_add(&seen, wa->path))
					continue;
				char *subject = fmt("word list %s", wa->path);
				add(d, DIFF_WORDLISTS, CHANGE_CHANGED, subject, 0, 0,
				    "contents changed: %zu -> %zu entries (sha256 %.16s... -> %.16s...)",
				    wa->nwords, wb->nwords, wa->sha256_hex, wb->sha256_hex);
				free(subject);
			}
		}
	strset_free(&seen);
	d->content_only = strcmp(a->sha256_hex, b->sha256_hex) == 0 &&
	                  strcmp(a->bundle_sha256_hex, b->bundle_sha256_hex) != 0;
	if (d->content_only)
		add(d, DIFF_WORDLISTS, CHANGE_CHANGED, "bundle", 0, 0,
		    "the policy file is unchanged (sha256 %.16s...) but the word lists or schema it "
		    "names changed (bundle_sha256 %.16s... -> %.16s...)",
		    a->sha256_hex, a->bundle_sha256_hex, b->bundle_sha256_hex);
}

/* ---------------------------------------------------------------------------------------- */

void policy_diff_compute(const struct policy *old, const struct policy *new,
                         struct policy_diff *d)
{
	memset(d, 0, sizeof(*d));
	diff_top(d, old, new);
	diff_caveats(d, old, new);
	diff_domains(d, old, new);
	each_pair(old, new, diff_pair, d);
	diff_wordlists(d, old, new);
}

void policy_diff_free(struct policy_diff *d)
{
	for (size_t i = 0; i < d->nchanges; i++) {
		free(d->changes[i].subject);
		free(d->changes[i].text);
	}
	free(d->changes);
	strset_free(&d->domains);
	policy_pairs_free(d->flows, d->nflows);
	memset(d, 0, sizeof(*d));
}

bool policy_diff_affects(const struct policy_diff *d, const char *from, const char *to)
{
	if (d->everything || strset_contains(&d->domains, from) || strset_contains(&d->domains, to))
		return true;
	for (size_t i = 0; i < d->nflows; i++)
		if (strcmp(d->flows[i].from, from) == 0 && strcmp(d->flows[i].to, to) == 0)
			return true;
	return false;
}

struct affected {
	const struct policy_diff *d;
	struct policy_pair *pairs;
	size_t n;
};

static void add_if_affected(void *arg, const struct decided_pair *pa,
                            const struct decided_pair *pb)
{
	struct affected *a = arg;
	const struct decided_pair *p = pa != NULL ? pa : pb;
	if (!policy_diff_affects(a->d, p->from, p->to))
		return;
	a->pairs = xrealloc(a->pairs, (a->n + 1) * sizeof(*a->pairs));
	a->pairs[a->n++] = (struct policy_pair){ xstrdup(p->from), xstrdup(p->to) };
}

void policy_diff_affected_pairs(const struct policy *old, const struct policy *new,
                                const struct policy_diff *d, struct policy_pair **out,
                                size_t *n)
{
	struct affected a = { d, NULL, 0 };
	each_pair(old, new, add_if_affected, &a);
	*out = a.pairs;
	*n = a.n;
}

void policy_pairs_free(struct policy_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].from);
		free(pairs[i].to);
	}
	free(pairs);
}

const char *policy_diff_group_name(enum policy_diff_group g)
{
	static const char *const names[DIFF_NGROUPS] = { "policy", "caveats", "domains", "flows",
		                                         "word lists" };
	return g < DIFF_NGROUPS ? names[g] : "?";
}

const char *policy_change_kind_name(enum policy_change_kind k)
{
	return k == CHANGE_ADDED ? "added" : k == CHANGE_REMOVED ? "removed" : "changed";
}
