/*
 * The strict policy loader (SPEC section 4, STYLE.md 12).
 *
 * SECURITY: a policy is written by administrators, but it is parsed here as untrusted text (it
 * is fuzzed through policy_load_buffer). The loader runs on the trusted side, before any
 * sandbox: it opens the policy file, the word lists it names and its XSD (only to check that
 * it is a readable regular file). It never runs inside the filter.
 *
 * Two passes:
 *  1. yaml_doc_parse (yaml_strict.h) turns the text into a small tree of mappings, lists and
 *     scalars, with the position of every node. It refuses what libyaml 0.2.5 accepts
 *     silently: aliases and anchors, explicit tags, duplicate keys, keys that are not scalars,
 *     nesting deeper than POLICY_MAX_NESTING, a second document, NUL characters in scalars.
 *  2. This file walks the tree with one table of typed handlers per kind of mapping
 *     (ymap_walk): an unknown key, a missing key and a wrong type are caught in one place.
 *     Plain scalars are never typed implicitly ("NO" is Norway, not false); an integer must be
 *     a plain decimal, so a quoted "1" is a type error.
 * Every error is SLUICE_ERR_POLICY with file:line:column (1-based) of the node it is about,
 * and a rule "policy.*" (policy/README.md lists them).
 */
#include "policy.h"
#include "utf8.h"
#include "yaml_strict.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fileio.h"
#include "label.h"
#include "redact.h"
#include "spif.h"
#include "stanag4774.h"

_Static_assert(POLICY_MAX_NESTING == YAML_STRICT_MAX_NESTING,
               "policy.h documents the nesting limit of yaml_strict.h");

#define DEFAULT_MAX_BYTES (4ull * 1024 * 1024)
#define LIMIT_MAX_BYTES (1024ull * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 64u
#define LIMIT_MAX_DEPTH 1000
#define DEFAULT_MAX_NODES 200000u
#define LIMIT_MAX_NODES 100000000ll
#define DEFAULT_REPLACE_WITH "[REDACTED]"

/* ---------------------------------------------------------------------------------------- */
/* The loader's state                                                                       */

struct flow_pair {
	const char *from, *to;     /* owned by the policy */
	const struct ynode *at;    /* the `to` entry */
	size_t order;              /* document order */
};

struct loader {
	struct yaml_doc doc;  /* the policy's name, rule prefix "policy", the error */
	const char *base_dir; /* word lists and the schema resolve against it */
	struct policy *p;
	const struct ynode *root;      /* the whole document, for handlers that look ahead */
	struct flow_pair *pairs;
	size_t npairs, cappairs;
	const struct policy_domain **domain_index; /* sorted by name, for flows */
};

/* A failure of the policy's content at a node (yaml_strict.h), with its whole rule. */
#define fail_node(L, node, rule, ...) yaml_fail_node(&(L)->doc, (node), (rule), __VA_ARGS__)

/* ---------------------------------------------------------------------------------------- */
/* Files the policy names                                                                   */

static enum sluice_rc read_regular(const char *path, size_t max, uint8_t **out, size_t *outlen,
                                   struct sluice_error *err)
{
	struct stat st;
	int fd;
	enum sluice_rc rc = open_regular_file(path, &fd, &st, err);

	*out = NULL;
	*outlen = 0;
	if (rc != SLUICE_OK)
		return rc;
	/* A word list changes what a policy does: it must be as protected as the policy. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.permissions", path, 0, 0,
		                      "writable by group or others (mode %04o); run chmod go-w",
		                      (unsigned)(st.st_mode & 07777));
	}
	rc = fd_read_bounded(fd, path, max, SLUICE_ERR_IO, out, outlen, err);
	close(fd);
	return rc;
}

/* Offset of the first byte that is not valid UTF-8 or is NUL, or `len` when there is none. */
static size_t utf8_invalid_offset(const uint8_t *p, size_t len)
{
	size_t bad = len;
	const uint8_t *nul = memchr(p, '\0', len);
	if (!utf8_valid(p, len, &bad) || nul != NULL) {
		size_t at_nul = nul ? (size_t)(nul - p) : len;
		return at_nul < bad ? at_nul : bad;
	}
	return len;
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits a word list into trimmed lines, skipping blanks and '#' comments. */
static void wordlist_split(struct policy_wordlist *wl, const uint8_t *buf, size_t len)
{
	size_t cap = 0, start = 0;

	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		start = 3; /* a byte order mark */
	while (start < len) {
		const uint8_t *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		size_t a = start, z = end;

		while (a < z && is_blank(buf[a]))
			a++;
		while (z > a && is_blank(buf[z - 1]))
			z--;
		if (z > a && buf[a] != '#') {
			if (wl->nwords == cap) {
				cap = cap ? cap * 2 : 16;
				wl->words = xrealloc(wl->words, cap * sizeof(*wl->words));
			}
			wl->words[wl->nwords++] = xstrndup((const char *)buf + a, z - a);
		}
		start = end + 1;
	}
}

static enum sluice_rc wordlist_load(struct loader *L, const struct ynode *at,
                                    struct policy_wordlist *wl)
{
	struct sluice_error inner;
	char *resolved = path_join(L->base_dir, wl->path);
	uint8_t *buf = NULL;
	size_t len = 0, bad;
	enum sluice_rc rc;

	sluice_error_clear(&inner);
	rc = read_regular(resolved, POLICY_WORDLIST_MAX_BYTES, &buf, &len, &inner);
	if (rc != SLUICE_OK) {
		rc = fail_node(L, at, "policy.list-file", "cannot read word list '%s': %s",
		               yaml_show(wl->path).s, inner.message);
		goto out;
	}
	bad = utf8_invalid_offset(buf, len);
	if (bad < len) {
		unsigned line, column;
		yaml_text_position(buf, len, bad, &line, &column);
		rc = fail_node(L, at, "policy.list-file",
		               "word list '%s' is not valid UTF-8 text (its line %u, column %u)",
		               yaml_show(wl->path).s, line, column);
		goto out;
	}
	{
		uint8_t md[32];
		unsigned int mdlen = 0;
		if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
			rc = sluice_fail(L->doc.err, SLUICE_ERR_INTERNAL, "internal.crypto",
			                 "SHA-256 failed");
			goto out;
		}
		hex_encode(md, sizeof(md), wl->sha256_hex);
	}
	wordlist_split(wl, buf, len);
out:
	free(buf);
	free(resolved);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Mappings with a fixed set of keys: one table each (ymap_walk)                            */

/* ---- limits ---- */

static enum sluice_rc limits_max_bytes(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_limits *limits = ctx;
	unsigned long long v = 0;
	(void)key;
	enum sluice_rc rc = ynode_size(&L->doc, value, "'max-bytes'", 1, LIMIT_MAX_BYTES, &v);
	if (rc == SLUICE_OK)
		limits->max_bytes = v;
	return rc;
}

static enum sluice_rc limits_max_depth(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_limits *limits = ctx;
	long long v = 0;
	(void)key;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'max-depth'", 1, LIMIT_MAX_DEPTH, &v);
	if (rc == SLUICE_OK)
		limits->max_depth = (uint32_t)v;
	return rc;
}

static enum sluice_rc limits_max_nodes(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_limits *limits = ctx;
	long long v = 0;
	(void)key;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'max-nodes'", 1, LIMIT_MAX_NODES, &v);
	if (rc == SLUICE_OK)
		limits->max_nodes = (uint64_t)v;
	return rc;
}

static const struct ymap_rule limits_rules[] = {
	{ "max-bytes", false, limits_max_bytes },
	{ "max-depth", false, limits_max_depth },
	{ "max-nodes", false, limits_max_nodes },
};

/* ---- caveats ---- */

struct caveat_ctx {
	struct policy_caveat *caveat;
	bool has_requires;
};

static enum sluice_rc caveat_requires(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct caveat_ctx *c = ctx;
	const char **values = NULL;
	size_t n = 0;
	enum sluice_rc rc = ynode_string_list(&L->doc, value, "'requires'", "a value of 'requires'",
	                                      ynode_token, &values, &n);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (n == 0)
		return fail_node(L, value, "policy.value",
		                 "'requires' must name at least one value (use {} for a caveat without "
		                 "access effect)");
	for (size_t i = 0; i < n; i++)
		(void)strset_add(&c->caveat->requires, values[i]);
	free(values);
	c->caveat->action = CAVEAT_REQUIRES;
	c->has_requires = true;
	return SLUICE_OK;
}

static enum sluice_rc caveat_action(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct caveat_ctx *c = ctx;
	const char *v;
	enum sluice_rc rc;

	if (c->has_requires)
		return fail_node(L, key, "policy.value",
		                 "a caveat takes either 'requires' or 'action', not both");
	rc = ynode_string(&L->doc, value, "'action'", &v);
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "refuse") == 0)
		c->caveat->action = CAVEAT_REFUSE;
	else if (strcmp(v, "withhold") == 0)
		c->caveat->action = CAVEAT_WITHHOLD;
	else
		return fail_node(L, value, "policy.value",
		                 "unknown caveat action '%s' (allowed: refuse, withhold)",
		                 yaml_show(v).s);
	return SLUICE_OK;
}

static const struct ymap_rule caveat_rules[] = {
	{ "requires", false, caveat_requires },
	{ "action", false, caveat_action },
};

/* ---- domains ---- */

/* The profiles a policy or a domain may name. */
#define PROFILE_STANAG4774 "stanag4774"
static const char *const known_profiles[] = { "ism", "tlp", PROFILE_STANAG4774 };

static const char *profile_known(const char *v)
{
	for (size_t i = 0; i < sizeof(known_profiles) / sizeof(known_profiles[0]); i++)
		if (strcmp(known_profiles[i], v) == 0)
			return known_profiles[i];
	return NULL;
}

static enum sluice_rc domain_profile(void *loader, const struct ynode *key,
                                     const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_domain *d = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'profile'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	d->profile = profile_known(v);
	if (d->profile == NULL)
		return fail_node(L, value, "policy.value",
		                 "profile '%s' is not supported (supported: ism, tlp, stanag4774)",
		                 yaml_show(v).s);
	d->scheme = classification_scheme_find(d->profile); /* NULL for stanag4774: its SPIF's */
	return SLUICE_OK;
}

static enum sluice_rc domain_scheme(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_domain *d = ctx;
	const char *v;
	enum sluice_rc rc = ynode_name(&L->doc, value, "'scheme'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(d->profile, PROFILE_STANAG4774) != 0)
		return fail_node(L, value, "policy.value",
		                 "'scheme' names the SPIF of a stanag4774 domain, and domain '%s' has "
		                 "profile %s", yaml_show(d->name).s, d->profile);
	d->spif_scheme = policy_scheme_find(L->p, v);
	if (d->spif_scheme == NULL)
		return fail_node(L, value, "policy.unknown-scheme",
		                 "unknown scheme '%s': declare it under 'schemes' with its SPIF",
		                 yaml_show(v).s);
	return SLUICE_OK;
}

/* A stanag4774 domain's clearance: a classification of its SPIF, which covers every
 * classification up to it (by the SPIF's hierarchy). */
static enum sluice_rc domain_spif_clearance(struct loader *L, const struct ynode *value,
                                            struct policy_domain *d, const char *v)
{
	if (d->spif_scheme == NULL)
		return fail_node(L, value, "policy.no-scheme",
		                 "domain '%s' labels with stanag4774 but names no SPIF: give the "
		                 "policy 'scheme: {spif: FILE}' or the domain 'scheme: NAME'",
		                 yaml_show(d->name).s);
	const struct spif *spif = d->spif_scheme->spif;
	const struct spif_classification *cls = spif_class_by_name(spif, v);
	if (cls == NULL) {
		char levels[256] = "";
		size_t used = 0;
		for (size_t i = 0; i < spif->nclasses && used < sizeof(levels); i++) {
			int w = snprintf(levels + used, sizeof(levels) - used, "%s%s", i ? ", " : "",
			                 spif->by_level[i]->name);
			used += w > 0 ? (size_t)w : 0;
		}
		return fail_node(L, value, "policy.value",
		                 "unknown classification '%s' for policy %s of SPIF %s (one of: %s)",
		                 yaml_show(v).s, spif->policy_name, d->spif_scheme->written, levels);
	}
	d->scheme = &spif->scheme;
	d->clearance = (int)cls->level;
	d->spif_clearance = xcalloc(1, sizeof(*d->spif_clearance));
	d->spif_clearance->spif = spif;
	d->spif_clearance->levels = xcalloc(spif->nclasses, sizeof(bool));
	for (size_t i = 0; i <= cls->level && i < spif->nclasses; i++)
		d->spif_clearance->levels[i] = true;
	return SLUICE_OK;
}

/* A value a stanag4774 domain holds: "TAG SET: CATEGORY", both names as the SPIF gives them
 * (compared without regard to case). It holds that category in every tag of the set that has
 * one of the name. */
static enum sluice_rc domain_spif_hold(struct loader *L, const struct ynode *at,
                                       struct policy_domain *d, const char *v)
{
	const struct spif *spif = d->spif_scheme->spif;
	const char *colon = strchr(v, ':');
	if (colon == NULL)
		return fail_node(L, at, "policy.value",
		                 "'%s': a stanag4774 domain holds categories as 'TAG SET: CATEGORY' "
		                 "(e.g. 'Releasable To: NATO')", yaml_show(v).s);
	char *set_name = xstrndup(v, (size_t)(colon - v));
	const char *cat_name = colon + 1;
	while (*cat_name == ' ')
		cat_name++;
	size_t n = strlen(set_name);
	while (n > 0 && set_name[n - 1] == ' ')
		set_name[--n] = '\0';
	const struct spif_tag_set *set = spif_tag_set_by_name(spif, set_name);
	enum sluice_rc rc = SLUICE_OK;
	bool found = false;
	if (set == NULL) {
		rc = fail_node(L, at, "policy.value", "'%s': policy %s has no tag set '%s'",
		               yaml_show(v).s, spif->policy_name, yaml_show(set_name).s);
		goto out;
	}
	static const enum category_type types[] = { CATEGORY_RESTRICTIVE, CATEGORY_PERMISSIVE,
		                                    CATEGORY_INFORMATIVE };
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		const struct spif_category *cat = spif_category_by_name(set, types[t], cat_name);
		if (cat == NULL)
			continue;
		found = true;
		struct spif_clearance *c = d->spif_clearance;
		c->cats = xrealloc(c->cats, (c->ncats + 1) * sizeof(*c->cats));
		c->cats[c->ncats++] = cat;
	}
	if (!found)
		rc = fail_node(L, at, "policy.value", "'%s': tag set '%s' of policy %s has no "
		               "category '%s'", yaml_show(v).s, set->name, spif->policy_name,
		               yaml_show(cat_name).s);
out:
	free(set_name);
	return rc;
}

static enum sluice_rc domain_clearance(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_domain *d = ctx;
	const char *v;
	char levels[128] = "";
	size_t used = 0;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'clearance'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(d->profile, PROFILE_STANAG4774) == 0)
		return domain_spif_clearance(L, value, d, v);
	d->clearance = classification_level(d->scheme, v);
	if (d->clearance >= 0)
		return SLUICE_OK;
	for (size_t i = 0; i < d->scheme->count && used < sizeof(levels); i++) {
		int w = snprintf(levels + used, sizeof(levels) - used, "%s%s", i ? ", " : "",
		                 d->scheme->names[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	return fail_node(L, value, "policy.value",
	                 "unknown classification '%s' for profile %s (one of: %s)", yaml_show(v).s,
	                 d->scheme->profile, levels);
}

static enum sluice_rc domain_holds(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_domain *d = ctx;
	const char **values = NULL;
	size_t n = 0;
	/* SPIF category names have spaces ("Releasable To: NATO"); other values are tokens. */
	bool spif = strcmp(d->profile, PROFILE_STANAG4774) == 0;
	enum sluice_rc rc = ynode_string_list(&L->doc, value, "'holds'", "a value of 'holds'",
	                                      spif ? ynode_nonempty_string : ynode_token, &values,
	                                      &n);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (spif) {
		for (size_t i = 0; rc == SLUICE_OK && i < n; i++) {
			rc = domain_spif_hold(L, value->kind == YNODE_SEQUENCE ? value->items[i] : value,
			                      d, values[i]);
			if (rc == SLUICE_OK)
				(void)strset_add(&d->holds, values[i]);
		}
		free(values);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(values[i], "tlp-", 4) == 0) {
			free(values);
			return fail_node(L, value, "policy.value",
			                 "values starting with 'tlp-' are TLP membership: declare it with "
			                 "'organisation', 'communities' and 'clients-of'");
		}
		(void)strset_add(&d->holds, values[i]);
	}
	free(values);
	return SLUICE_OK;
}

/* TLP membership (docs/LABELS.md): the organisation a domain belongs to, the communities it
 * shares with and the organisations it is a client of. Each is also held as a prefixed value,
 * so that the TLP labels' categories (filters/tlp_profile.c) use the ordinary access check. */
static void hold_prefixed(struct policy_domain *d, const char *prefix, const char *name)
{
	size_t n = strlen(prefix) + strlen(name) + 1;
	char *v = xmalloc(n);
	snprintf(v, n, "%s%s", prefix, name);
	(void)strset_add(&d->holds, v);
	free(v);
}

static enum sluice_rc domain_organisation(void *loader, const struct ynode *key,
                                          const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_domain *d = ctx;
	const char *v;
	enum sluice_rc rc = ynode_name(&L->doc, value, "'organisation'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	d->organisation = xstrdup(v);
	hold_prefixed(d, "tlp-org:", v);
	return SLUICE_OK;
}

static enum sluice_rc domain_name_list(struct loader *L, const struct ynode *value,
                                       const char *what, struct strset *set,
                                       struct policy_domain *d, const char *prefix)
{
	const char **values = NULL;
	size_t n = 0;
	enum sluice_rc rc = ynode_string_list(&L->doc, value, what, "a name", ynode_name, &values,
	                                      &n);
	if (rc != SLUICE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		(void)strset_add(set, values[i]);
		hold_prefixed(d, prefix, values[i]);
	}
	free(values);
	return SLUICE_OK;
}

static enum sluice_rc domain_communities(void *loader, const struct ynode *key,
                                         const struct ynode *value, void *ctx)
{
	struct policy_domain *d = ctx;
	(void)key;
	return domain_name_list(loader, value, "'communities'", &d->communities, d,
	                        "tlp-community:");
}

static enum sluice_rc domain_clients_of(void *loader, const struct ynode *key,
                                        const struct ynode *value, void *ctx)
{
	struct policy_domain *d = ctx;
	(void)key;
	return domain_name_list(loader, value, "'clients-of'", &d->clients_of, d,
	                        "tlp-client-of:");
}

static const struct ymap_rule domain_rules[] = {
	{ "profile", false, domain_profile },
	{ "scheme", false, domain_scheme },
	{ "clearance", true, domain_clearance },
	{ "holds", false, domain_holds },
	{ "organisation", false, domain_organisation },
	{ "communities", false, domain_communities },
	{ "clients-of", false, domain_clients_of },
};

/* ---- flows ---- */

static int domain_key_cmp(const void *key, const void *elem)
{
	const struct policy_domain *const *d = elem;
	return strcmp(key, (*d)->name);
}

static int domain_cmp(const void *a, const void *b)
{
	const struct policy_domain *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static enum sluice_rc need_domain(struct loader *L, const struct ynode *n, const char *what,
                                  const char **out)
{
	char names[384] = "";
	size_t used = 0;
	enum sluice_rc rc = ynode_string(&L->doc, n, what, out);

	if (rc != SLUICE_OK)
		return rc;
	if (bsearch(*out, L->domain_index, L->p->ndomains, sizeof(*L->domain_index),
	            domain_key_cmp) != NULL)
		return SLUICE_OK;
	for (size_t i = 0; i < L->p->ndomains && used < sizeof(names); i++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		                 L->p->domains[i].name);
		used += w > 0 ? (size_t)w : 0;
	}
	return fail_node(L, n, "policy.unknown-domain", "unknown domain '%s' (domains: %s)",
	                 yaml_show(*out).s, names);
}

static enum sluice_rc flow_from(void *loader, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = need_domain(L, value, "'from'", &v);

	(void)key;
	if (rc == SLUICE_OK)
		f->from = xstrdup(v);
	return rc;
}

static enum sluice_rc flow_add_to(struct loader *L, struct policy_flow *f,
                                  const struct ynode *n)
{
	const char *v;
	enum sluice_rc rc = need_domain(L, n, "'to'", &v);

	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, f->from) == 0)
		return fail_node(L, n, "policy.value", "a flow from '%s' to itself",
		                 yaml_show(v).s);
	f->to[f->nto++] = xstrdup(v);
	if (L->npairs == L->cappairs) {
		L->cappairs = L->cappairs ? L->cappairs * 2 : 16;
		L->pairs = xrealloc(L->pairs, L->cappairs * sizeof(*L->pairs));
	}
	L->pairs[L->npairs].from = f->from;
	L->pairs[L->npairs].to = f->to[f->nto - 1];
	L->pairs[L->npairs].at = n;
	L->pairs[L->npairs].order = L->npairs;
	L->npairs++;
	return SLUICE_OK;
}

static enum sluice_rc flow_to(void *loader, const struct ynode *key,
                              const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	enum sluice_rc rc = SLUICE_OK;

	(void)key;
	if (value->kind == YNODE_SCALAR) {
		f->to = xcalloc(1, sizeof(*f->to));
		return flow_add_to(L, f, value);
	}
	if (value->kind != YNODE_SEQUENCE)
		return fail_node(L, value, "policy.type",
		                 "'to' must be a domain or a list of domains, found %s",
		                 ynode_describe(value));
	if (value->n == 0)
		return fail_node(L, value, "policy.value", "'to' must name at least one domain");
	f->to = xcalloc(value->n, sizeof(*f->to));
	for (size_t i = 0; rc == SLUICE_OK && i < value->n; i++)
		rc = flow_add_to(L, f, value->items[i]);
	return rc;
}

static enum sluice_rc flow_portions(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'portions'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "redact") == 0)
		f->portions = PORTIONS_REDACT;
	else if (strcmp(v, "refuse") == 0)
		f->portions = PORTIONS_REFUSE;
	else
		return fail_node(L, value, "policy.value",
		                 "'portions' must be redact or refuse, found '%s'", yaml_show(v).s);
	return SLUICE_OK;
}

static enum sluice_rc flow_marker(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'marker'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "withheld") == 0)
		f->marker = MARKER_WITHHELD;
	else if (strcmp(v, "none") == 0)
		f->marker = MARKER_NONE;
	else
		return fail_node(L, value, "policy.value",
		                 "'marker' must be withheld or none, found '%s'", yaml_show(v).s);
	return SLUICE_OK;
}

static enum sluice_rc redact_words(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const struct ynode_ref *first, *again;
	struct ynode_ref *refs = NULL;
	enum sluice_rc rc = ynode_need_list(&L->doc, value, "'words'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	/* Every path is checked, and none listed twice, before any file is read. */
	refs = xcalloc(value->n, sizeof(*refs));
	for (size_t i = 0; i < value->n; i++) {
		rc = ynode_nonempty_string(&L->doc, value->items[i], "a word list path",
		                           &refs[i].name);
		if (rc != SLUICE_OK)
			goto out;
		refs[i].at = value->items[i];
		refs[i].order = i;
	}
	if (ynode_refs_first_duplicate(refs, value->n, &first, &again)) {
		rc = fail_node(L, again->at, "policy.value",
		               "word list '%s' is listed twice in this flow (first at line %u)",
		               yaml_show(again->name).s, first->at->line);
		goto out;
	}
	f->wordlists = xcalloc(value->n, sizeof(*f->wordlists));
	for (size_t i = 0; i < value->n; i++) {
		struct policy_wordlist *wl = &f->wordlists[f->nwordlists++];
		wl->path = xstrdup(value->items[i]->value);
		rc = wordlist_load(L, value->items[i], wl);
		if (rc != SLUICE_OK)
			goto out;
	}
out:
	free(refs);
	return rc;
}

static enum sluice_rc pattern_regex(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_pattern *pt = ctx;
	const char *v;
	char why[256] = "";
	enum sluice_rc rc = ynode_string(&L->doc, value, "'regex'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (v[0] == '\0')
		return fail_node(L, value, "policy.value", "'regex' must not be empty");
	if (redact_regex_check(v, why, sizeof(why)) != 0)
		return fail_node(L, value, "policy.value", "bad regex: %s", why);
	pt->regex = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc pattern_name(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_pattern *pt = ctx;
	const char *v;
	enum sluice_rc rc = ynode_name(&L->doc, value, "pattern 'name'", &v);

	(void)key;
	if (rc == SLUICE_OK)
		pt->name = xstrdup(v);
	return rc;
}

static const struct ymap_rule pattern_rules[] = {
	{ "regex", true, pattern_regex },
	{ "name", true, pattern_name },
};

static const struct {
	const char *name;
	enum pattern_kind kind;
} builtin_patterns[] = {
	{ "email", PATTERN_EMAIL },
	{ "phone", PATTERN_PHONE },
	{ "passport", PATTERN_PASSPORT },
	{ "iban", PATTERN_IBAN },
};

static enum sluice_rc pattern_item(struct loader *L, const struct ynode *item,
                                   struct policy_pattern *pt)
{
	if (item->kind == YNODE_MAPPING) {
		pt->kind = PATTERN_CUSTOM;
		return ymap_walk(&L->doc, item, "a custom pattern", pattern_rules,
		                 sizeof(pattern_rules) / sizeof(pattern_rules[0]), L, pt);
	}
	if (item->kind != YNODE_SCALAR || ynode_is_null(item))
		return fail_node(L, item, "policy.type",
		                 "a pattern must be a built-in detector name or {regex: ..., name: ...}, "
		                 "found %s", ynode_describe(item));
	for (size_t i = 0; i < sizeof(builtin_patterns) / sizeof(builtin_patterns[0]); i++) {
		if (strcmp(item->value, builtin_patterns[i].name) == 0) {
			pt->kind = builtin_patterns[i].kind;
			pt->name = xstrdup(builtin_patterns[i].name);
			return SLUICE_OK;
		}
	}
	return fail_node(L, item, "policy.value",
	                 "unknown pattern '%s' (built-in: email, phone, passport, iban; or "
	                 "{regex: ..., name: ...})", yaml_show(item->value).s);
}

static enum sluice_rc redact_patterns(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const struct ynode_ref *first, *again;
	struct ynode_ref *refs;
	enum sluice_rc rc = ynode_need_list(&L->doc, value, "'patterns'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	f->patterns = xcalloc(value->n, sizeof(*f->patterns));
	for (size_t i = 0; i < value->n; i++) {
		rc = pattern_item(L, value->items[i], &f->patterns[f->npatterns++]);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* Receipts name the detector that removed text: names must be unambiguous. */
	refs = xcalloc(value->n, sizeof(*refs));
	for (size_t i = 0; i < value->n; i++) {
		refs[i].name = f->patterns[i].name;
		refs[i].at = value->items[i];
		refs[i].order = i;
	}
	if (ynode_refs_first_duplicate(refs, value->n, &first, &again))
		rc = fail_node(L, again->at, "policy.value",
		               "pattern '%s' is listed twice in this flow (first at line %u)",
		               yaml_show(again->name).s, first->at->line);
	free(refs);
	return rc;
}

static enum sluice_rc redact_replace_with(void *loader, const struct ynode *key,
                                          const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'replace-with'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	for (const char *s = v; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return fail_node(L, value, "policy.value",
			                 "'replace-with' must not contain control characters");
	}
	free(f->replace_with);
	f->replace_with = xstrdup(v);
	return SLUICE_OK;
}

static const struct ymap_rule redact_rules[] = {
	{ "words", false, redact_words },
	{ "patterns", false, redact_patterns },
	{ "replace-with", false, redact_replace_with },
};

static enum sluice_rc flow_redact(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'redact'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	return ymap_walk(&L->doc, value, "'redact'", redact_rules,
	                 sizeof(redact_rules) / sizeof(redact_rules[0]), L, ctx);
}

static enum sluice_rc flow_binding(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'binding'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "signed-4778") == 0)
		f->signed_binding = true;
	else if (strcmp(v, "none") != 0)
		return fail_node(L, value, "policy.value",
		                 "'binding' must be signed-4778 or none, found '%s'", yaml_show(v).s);
	f->binding_line = value->line;
	return SLUICE_OK;
}

static const struct ymap_rule flow_rules[] = {
	{ "from", true, flow_from },
	{ "to", true, flow_to },
	{ "portions", false, flow_portions },
	{ "marker", false, flow_marker },
	{ "redact", false, flow_redact },
	{ "binding", false, flow_binding },
};

static int flow_pair_cmp(const void *a, const void *b)
{
	const struct flow_pair *x = a, *y = b;
	int c = strcmp(x->from, y->from);
	if (c == 0)
		c = strcmp(x->to, y->to);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool flow_pair_same(const struct flow_pair *a, const struct flow_pair *b)
{
	return strcmp(a->from, b->from) == 0 && strcmp(a->to, b->to) == 0;
}

/* Two flows for one from->to pair would make the decision depend on their order: refused.
 * Sorted, so a policy with many flows stays O(n log n). */
static enum sluice_rc flows_check_pairs(struct loader *L)
{
	const struct flow_pair *first = NULL, *again = NULL;

	if (L->npairs < 2)
		return SLUICE_OK;
	qsort(L->pairs, L->npairs, sizeof(*L->pairs), flow_pair_cmp);
	for (size_t i = 0; i + 1 < L->npairs; i++) {
		/* The first two of each group of equal pairs, sorted by document order. */
		if (!flow_pair_same(&L->pairs[i], &L->pairs[i + 1]))
			continue;
		if (i > 0 && flow_pair_same(&L->pairs[i - 1], &L->pairs[i]))
			continue;
		if (again == NULL || L->pairs[i + 1].order < again->order) {
			first = &L->pairs[i];
			again = &L->pairs[i + 1];
		}
	}
	if (again == NULL)
		return SLUICE_OK;
	return fail_node(L, again->at, "policy.duplicate-flow",
	                 "a second flow from '%s' to '%s' (first at line %u)",
	                 yaml_show(again->from).s, yaml_show(again->to).s, first->at->line);
}

/* A report is read under its source's profile and released under its destination's: the two
 * must be the same scheme, or two SPIFs of which the source's declares the destination's
 * policy an equivalent (the labels are then translated, filters/release.c). */
static enum sluice_rc flow_check_labels(struct loader *L, const struct flow_pair *fp)
{
	const struct policy_domain *a = policy_domain_find(L->p, fp->from);
	const struct policy_domain *b = policy_domain_find(L->p, fp->to);
	if (a == NULL || b == NULL)
		return SLUICE_OK;
	const struct policy_flow *flow = policy_flow_find(L->p, fp->from, fp->to);
	if (flow != NULL && flow->signed_binding && strcmp(a->profile, PROFILE_STANAG4774) != 0)
		return fail_node(L, fp->at, "policy.binding",
		                 "a flow from '%s' (profile %s) with binding: signed-4778: an ADatP-4778 "
		                 "binding carries STANAG 4774 labels, so both domains must be stanag4774",
		                 yaml_show(a->name).s, a->profile);
	if (strcmp(a->profile, b->profile) != 0)
		return fail_node(L, fp->at, "policy.profile-mismatch",
		                 "a flow from '%s' (profile %s) to '%s' (profile %s): labels cannot "
		                 "be carried from one profile to another",
		                 yaml_show(a->name).s, a->profile, yaml_show(b->name).s, b->profile);
	if (a->spif_scheme == NULL || b->spif_scheme == NULL || a->spif_scheme == b->spif_scheme)
		return SLUICE_OK;
	const struct spif *from = a->spif_scheme->spif, *to = b->spif_scheme->spif;
	for (size_t i = 0; i < from->nequiv_policies; i++)
		if (strcmp(from->equiv_policies[i].id, to->policy_id) == 0)
			return SLUICE_OK;
	return fail_node(L, fp->at, "policy.no-equivalence",
	                 "a flow from '%s' (policy %s) to '%s' (policy %s): the SPIF %s declares "
	                 "no equivalent policy %s (%s), so its labels cannot be carried across",
	                 yaml_show(a->name).s, from->policy_name, yaml_show(b->name).s,
	                 to->policy_name, a->spif_scheme->written, to->policy_name, to->policy_id);
}

/* ---- the top level ---- */

static enum sluice_rc top_format(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	long long v = 0;
	enum sluice_rc rc =
		ynode_integer(&L->doc, value, "'sluice-policy'", LLONG_MIN, LLONG_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v != 1)
		return fail_node(L, value, "policy.value",
		                 "unsupported policy format %lld (this version of Sluice reads format 1)",
		                 v);
	return SLUICE_OK;
}

static enum sluice_rc top_id(void *loader, const struct ynode *key,
                             const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	const char *v;
	enum sluice_rc rc = ynode_name(&L->doc, value, "'id'", &v);

	(void)key;
	(void)ctx;
	if (rc == SLUICE_OK)
		L->p->id = xstrdup(v);
	return rc;
}

static enum sluice_rc top_version(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&L->doc, value, "'version'", 0, LONG_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc == SLUICE_OK)
		L->p->version = (long)v;
	return rc;
}

static enum sluice_rc top_profile(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	const char *v;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'profile'", &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (profile_known(v) == NULL)
		return fail_node(L, value, "policy.value",
		                 "profile '%s' is not supported (supported: ism, tlp, stanag4774)",
		                 yaml_show(v).s);
	L->p->profile = xstrdup(v);
	return SLUICE_OK;
}

/* ---- SPIF schemes ---- */

struct scheme_ctx {
	struct policy_scheme *scheme;
};

static enum sluice_rc scheme_spif(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy_scheme *ps = ((struct scheme_ctx *)ctx)->scheme;
	struct sluice_error inner;
	struct stat st;
	const char *v;
	int fd;
	enum sluice_rc rc = ynode_nonempty_string(&L->doc, value, "'spif'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	ps->written = xstrdup(v);
	ps->path = path_join(L->base_dir, v);
	ps->line = value->line;
	sluice_error_clear(&inner);
	if (open_regular_file(ps->path, &fd, &st, &inner) != SLUICE_OK)
		return fail_node(L, value, "policy.spif-file", "cannot read SPIF '%s': %s",
		                 yaml_show(v).s, inner.message);
	close(fd);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return fail_node(L, value, "policy.permissions",
		                 "SPIF '%s' is writable by group or others (mode %04o); run chmod go-w",
		                 yaml_show(v).s, (unsigned)(st.st_mode & 07777));
	uint8_t *bytes = NULL, md[32];
	size_t n = 0;
	unsigned int mdlen = 0;
	if (read_regular(ps->path, SPIF_MAX_BYTES, &bytes, &n, &inner) != SLUICE_OK)
		return fail_node(L, value, "policy.spif-file", "cannot read SPIF '%s': %s",
		                 yaml_show(v).s, inner.message);
	int ok = EVP_Digest(bytes, n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	if (ok)
		hex_encode(md, sizeof(md), ps->sha256_hex);
	/* The SPIF's own errors name its file and line (spif.* rules, exit 78). */
	rc = ok ? spif_load_buffer(bytes, n, ps->path, &ps->spif, L->doc.err)
	        : sluice_fail(L->doc.err, SLUICE_ERR_INTERNAL, "internal.crypto", "SHA-256 failed");
	free(bytes);
	if (rc != SLUICE_OK)
		return rc;
	for (size_t i = 0; L->p->schemes + i < ps; i++)
		if (strcmp(L->p->schemes[i].spif->policy_id, ps->spif->policy_id) == 0)
			return fail_node(L, value, "policy.duplicate-scheme",
			                 "SPIF '%s' is policy %s (%s), as scheme '%s' already is",
			                 yaml_show(v).s, ps->spif->policy_name, ps->spif->policy_id,
			                 L->p->schemes[i].name);
	return SLUICE_OK;
}

static const struct ymap_rule scheme_rules[] = {
	{ "spif", true, scheme_spif },
};

static enum sluice_rc scheme_add(struct loader *L, const char *name, const struct ynode *body)
{
	struct policy_scheme *ps = &L->p->schemes[L->p->nschemes++];
	struct scheme_ctx c = { ps };
	char what[160];
	ps->name = xstrdup(name);
	snprintf(what, sizeof(what), name[0] ? "scheme '%s'" : "'scheme'", yaml_show(name).s);
	enum sluice_rc rc = ynode_need_mapping(&L->doc, body, what);
	if (rc == SLUICE_OK)
		rc = ymap_walk(&L->doc, body, what, scheme_rules,
		               sizeof(scheme_rules) / sizeof(scheme_rules[0]), L, &c);
	return rc;
}

/* `scheme:` and `schemes:` share one array, `scheme:` first; sized for both up front so that
 * domains can keep pointers into it. */
static void schemes_reserve(struct loader *L, const struct ynode *root)
{
	size_t n = 0;
	const struct ynode *k;
	if (L->p->schemes != NULL)
		return;
	if (ymap_get(root, "scheme", &k) != NULL)
		n++;
	const struct ynode *many = ymap_get(root, "schemes", &k);
	if (many != NULL && many->kind == YNODE_MAPPING)
		n += many->n / 2;
	L->p->schemes = xcalloc(n ? n : 1, sizeof(*L->p->schemes));
}

static enum sluice_rc top_scheme(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	(void)key;
	(void)ctx;
	schemes_reserve(L, L->root);
	return scheme_add(L, "", value);
}

static enum sluice_rc top_schemes(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'schemes'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	schemes_reserve(L, L->root);
	for (size_t i = 0; rc == SLUICE_OK && i + 1 < value->n; i += 2) {
		const char *name;
		rc = ynode_name(&L->doc, value->items[i], "scheme name", &name);
		if (rc == SLUICE_OK)
			rc = scheme_add(L, name, value->items[i + 1]);
	}
	return rc;
}

static enum sluice_rc top_schema(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct sluice_error inner;
	struct stat st;
	const char *v;
	int fd;
	enum sluice_rc rc = ynode_string(&L->doc, value, "'schema'", &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v[0] == '\0')
		return fail_node(L, value, "policy.value", "'schema' must not be empty");
	L->p->schema_path = path_join(L->base_dir, v);
	L->p->schema_written = xstrdup(v);
	sluice_error_clear(&inner);
	if (open_regular_file(L->p->schema_path, &fd, &st, &inner) != SLUICE_OK)
		return fail_node(L, value, "policy.schema-file", "cannot read schema '%s': %s",
		                 yaml_show(v).s, inner.message);
	close(fd);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return fail_node(L, value, "policy.permissions",
		                 "schema '%s' is writable by group or others (mode %04o); run chmod go-w",
		                 yaml_show(v).s, (unsigned)(st.st_mode & 07777));
	/* Its digest joins the policy's bundle digest (the schema decides what is valid). */
	uint8_t *bytes = NULL, md[32];
	size_t n = 0;
	unsigned int mdlen = 0;
	if (read_regular(L->p->schema_path, POLICY_SCHEMA_MAX_BYTES, &bytes, &n, &inner) !=
	    SLUICE_OK)
		return fail_node(L, value, "policy.schema-file", "cannot read schema '%s': %s",
		                 yaml_show(v).s, inner.message);
	int ok = EVP_Digest(bytes, n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	free(bytes);
	if (!ok)
		return sluice_fail(L->doc.err, SLUICE_ERR_INTERNAL, "internal.crypto", "SHA-256 failed");
	hex_encode(md, sizeof(md), L->p->schema_sha256_hex);
	return SLUICE_OK;
}

static enum sluice_rc top_limits(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'limits'");

	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	L->p->limits_line = key->line;
	return ymap_walk(&L->doc, value, "'limits'", limits_rules,
	                 sizeof(limits_rules) / sizeof(limits_rules[0]), L, &L->p->limits);
}

static enum sluice_rc top_caveats(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy *p = L->p;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'caveats'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	p->caveats = xcalloc(value->n / 2, sizeof(*p->caveats));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *tk = value->items[i], *body = value->items[i + 1];
		struct caveat_ctx c = { &p->caveats[p->ncaveats++], false };
		const char *token;
		char what[128];

		rc = ynode_token(&L->doc, tk, "a caveat token", &token);
		if (rc != SLUICE_OK)
			return rc;
		c.caveat->token = xstrdup(token);
		c.caveat->action = CAVEAT_INFORMATIVE;
		c.caveat->line = tk->line;
		snprintf(what, sizeof(what), "caveat '%s'", yaml_show(token).s);
		rc = ynode_need_mapping(&L->doc, body, what);
		if (rc == SLUICE_OK)
			rc = ymap_walk(&L->doc, body, what, caveat_rules,
			               sizeof(caveat_rules) / sizeof(caveat_rules[0]), L, &c);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

static enum sluice_rc top_domains(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy *p = L->p;
	enum sluice_rc rc = ynode_need_mapping(&L->doc, value, "'domains'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (value->n == 0)
		return fail_node(L, value, "policy.value", "'domains' must define at least one domain");
	p->domains = xcalloc(value->n / 2, sizeof(*p->domains));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *nk = value->items[i], *body = value->items[i + 1];
		struct policy_domain *d = &p->domains[p->ndomains++];
		const char *name;
		char what[128];

		rc = ynode_name(&L->doc, nk, "domain name", &name);
		if (rc != SLUICE_OK)
			return rc;
		d->name = xstrdup(name);
		d->line = nk->line;
		d->clearance = -1;
		d->profile = profile_known(p->profile);
		d->scheme = classification_scheme_find(d->profile);
		d->spif_scheme = policy_scheme_find(p, "");
		snprintf(what, sizeof(what), "domain '%s'", name);
		rc = ynode_need_mapping(&L->doc, body, what);
		if (rc == SLUICE_OK)
			rc = ymap_walk(&L->doc, body, what, domain_rules,
			               sizeof(domain_rules) / sizeof(domain_rules[0]), L, d);
		if (rc != SLUICE_OK)
			return rc;
		if (strcmp(d->profile, PROFILE_STANAG4774) != 0)
			d->spif_scheme = NULL;
	}
	/* Flows look domains up by name: sorted once, so a long policy stays O(n log n). */
	L->domain_index = xcalloc(p->ndomains, sizeof(*L->domain_index));
	for (size_t i = 0; i < p->ndomains; i++)
		L->domain_index[i] = &p->domains[i];
	qsort(L->domain_index, p->ndomains, sizeof(*L->domain_index), domain_cmp);
	return SLUICE_OK;
}

static enum sluice_rc top_flows(void *loader, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct loader *L = loader;
	struct policy *p = L->p;
	enum sluice_rc rc = ynode_need_list(&L->doc, value, "'flows'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	p->flows = xcalloc(value->n, sizeof(*p->flows));
	for (size_t i = 0; i < value->n; i++) {
		const struct ynode *item = value->items[i];
		struct policy_flow *f = &p->flows[p->nflows++];

		f->portions = PORTIONS_REFUSE; /* fail closed */
		f->marker = MARKER_WITHHELD;
		f->replace_with = xstrdup(DEFAULT_REPLACE_WITH);
		f->line = item->line;
		rc = ynode_need_mapping(&L->doc, item, "a flow");
		if (rc == SLUICE_OK)
			rc = ymap_walk(&L->doc, item, "a flow", flow_rules,
			               sizeof(flow_rules) / sizeof(flow_rules[0]), L, f);
		if (rc != SLUICE_OK)
			return rc;
	}
	rc = flows_check_pairs(L);
	for (size_t i = 0; rc == SLUICE_OK && i < L->npairs; i++)
		rc = flow_check_labels(L, &L->pairs[i]);
	return rc;
}

/* In this order: later handlers rely on earlier ones (domains on profile, flows on domains). */
static const struct ymap_rule top_rules[] = {
	{ "sluice-policy", true, top_format },
	{ "id", true, top_id },
	{ "version", true, top_version },
	{ "profile", true, top_profile },
	{ "scheme", false, top_scheme },
	{ "schemes", false, top_schemes },
	{ "schema", false, top_schema },
	{ "limits", false, top_limits },
	{ "caveats", false, top_caveats },
	{ "domains", true, top_domains },
	{ "flows", false, top_flows },
};

/* ---------------------------------------------------------------------------------------- */
/* Public entry points                                                                      */

/* The bundle digest: SHA-256 over a text that names every input of the policy with its own
 * digest, one per line, in the order the policy lists them:
 *   sluice-policy-bundle 1\n
 *   policy <sha256 of the policy file>\n
 *   schema <path as written> <sha256>\n          (when there is a schema)
 *   spif <scheme name, - for `scheme:`> <path as written> <sha256>\n   (each SPIF)
 *   words <flow index> <path as written> <sha256>\n   (each word list of each flow)
 * so anyone holding the files can recompute it (docs/OVERSIGHT.md). */
static enum sluice_rc policy_bundle_digest(struct policy *p, struct sluice_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	unsigned int mdlen = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	char line[1200];

#define BUNDLE_LINE(...)                                                                      \
	do {                                                                                  \
		int n_ = snprintf(line, sizeof(line), __VA_ARGS__);                           \
		ok = ok && n_ > 0 && (size_t)n_ < sizeof(line) &&                             \
		     EVP_DigestUpdate(md, line, (size_t)n_) == 1;                             \
	} while (0)
	BUNDLE_LINE("sluice-policy-bundle 1\n");
	BUNDLE_LINE("policy %s\n", p->sha256_hex);
	if (p->schema_path != NULL)
		BUNDLE_LINE("schema %s %s\n", p->schema_written, p->schema_sha256_hex);
	for (size_t i = 0; i < p->nschemes; i++)
		BUNDLE_LINE("spif %s %s %s\n", p->schemes[i].name[0] ? p->schemes[i].name : "-",
		            p->schemes[i].written, p->schemes[i].sha256_hex);
	for (size_t f = 0; f < p->nflows; f++)
		for (size_t w = 0; w < p->flows[f].nwordlists; w++)
			BUNDLE_LINE("words %zu %s %s\n", f, p->flows[f].wordlists[w].path,
			            p->flows[f].wordlists[w].sha256_hex);
#undef BUNDLE_LINE
	ok = ok && EVP_DigestFinal_ex(md, digest, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.crypto",
		                   "SHA-256 of the policy bundle failed");
	hex_encode(digest, sizeof(digest), p->bundle_sha256_hex);
	return SLUICE_OK;
}

/* The policy's document: its name in errors, rules "policy.*", its size limit. */
static struct yaml_doc policy_doc(const char *name, struct sluice_error *err)
{
	struct yaml_doc doc = {
		.name = name,
		.rule_prefix = "policy",
		.noun = "policy",
		.max_bytes = POLICY_FILE_MAX_BYTES,
		.err = err,
	};
	return doc;
}

enum sluice_rc policy_load_buffer(const char *name, const uint8_t *data, size_t len,
                                  const char *base_dir, struct policy **out,
                                  struct sluice_error *err)
{
	struct loader L;
	struct ynode *root = NULL;
	struct policy *p = NULL;
	unsigned int mdlen = 0;
	enum sluice_rc rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.doc = policy_doc(name != NULL ? name : "<policy>", err);
	L.base_dir = base_dir;
	rc = yaml_doc_parse(&L.doc, data, len, &root);
	if (rc != SLUICE_OK)
		return rc;

	p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(L.doc.name);
	p->limits.max_bytes = DEFAULT_MAX_BYTES;
	p->limits.max_depth = DEFAULT_MAX_DEPTH;
	p->limits.max_nodes = DEFAULT_MAX_NODES;
	if (EVP_Digest(data != NULL ? data : (const uint8_t *)"", len, p->sha256, &mdlen,
	               EVP_sha256(), NULL) != 1 || mdlen != sizeof(p->sha256)) {
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "internal.crypto", L.doc.name, 0, 0,
		                    "cannot compute the SHA-256 of the policy");
		goto out;
	}
	hex_encode(p->sha256, sizeof(p->sha256), p->sha256_hex);
	L.p = p;
	L.root = root;

	rc = ymap_walk_root(&L.doc, root, top_rules, sizeof(top_rules) / sizeof(top_rules[0]), &L,
	                    NULL);
	if (rc != SLUICE_OK)
		goto out;
	rc = policy_bundle_digest(p, err);
	if (rc != SLUICE_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	free(L.domain_index);
	free(L.pairs);
	ynode_free(root);
	policy_free(p);
	return rc;
}

enum sluice_rc policy_load(const char *path, struct policy **out, struct sluice_error *err)
{
	struct yaml_doc doc = policy_doc(path, err);
	uint8_t *buf = NULL;
	size_t len = 0;
	char *dir = NULL;
	enum sluice_rc rc;

	*out = NULL;
	/* A regular file, not writable by group or others, at most POLICY_FILE_MAX_BYTES. */
	rc = yaml_doc_read_file(&doc, &buf, &len);
	if (rc != SLUICE_OK)
		return rc;
	dir = path_dirname(path);
	rc = policy_load_buffer(path, buf, len, dir, out, err);
	free(dir);
	free(buf);
	return rc;
}

static void wordlist_free(struct policy_wordlist *wl)
{
	for (size_t i = 0; i < wl->nwords; i++)
		free(wl->words[i]);
	free(wl->words);
	free(wl->path);
}

static void flow_free(struct policy_flow *f)
{
	free(f->from);
	for (size_t i = 0; i < f->nto; i++)
		free(f->to[i]);
	free(f->to);
	for (size_t i = 0; i < f->nwordlists; i++)
		wordlist_free(&f->wordlists[i]);
	free(f->wordlists);
	for (size_t i = 0; i < f->npatterns; i++) {
		free(f->patterns[i].name);
		free(f->patterns[i].regex);
	}
	free(f->patterns);
	free(f->replace_with);
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsigners; i++)
		free(p->signers[i]);
	free(p->signers);
	free(p->path);
	free(p->id);
	free(p->profile);
	free(p->schema_path);
	free(p->schema_written);
	for (size_t i = 0; i < p->ncaveats; i++) {
		free(p->caveats[i].token);
		strset_free(&p->caveats[i].requires);
	}
	free(p->caveats);
	for (size_t i = 0; i < p->ndomains; i++) {
		free(p->domains[i].name);
		if (p->domains[i].spif_clearance != NULL) {
			spif_clearance_free(p->domains[i].spif_clearance);
			free(p->domains[i].spif_clearance);
		}
		strset_free(&p->domains[i].holds);
		free(p->domains[i].organisation);
		strset_free(&p->domains[i].communities);
		strset_free(&p->domains[i].clients_of);
	}
	free(p->domains);
	for (size_t i = 0; i < p->nflows; i++)
		flow_free(&p->flows[i]);
	free(p->flows);
	for (size_t i = 0; i < p->nschemes; i++) {
		free(p->schemes[i].name);
		free(p->schemes[i].written);
		free(p->schemes[i].path);
		spif_free(p->schemes[i].spif);
	}
	free(p->schemes);
	free(p);
}

const struct policy_scheme *policy_scheme_find(const struct policy *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->nschemes; i++)
		if (p->schemes[i].name != NULL && strcmp(p->schemes[i].name, name) == 0)
			return &p->schemes[i];
	return NULL;
}

const struct policy_domain *policy_domain_find(const struct policy *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->ndomains; i++)
		if (p->domains[i].name != NULL && strcmp(p->domains[i].name, name) == 0)
			return &p->domains[i];
	return NULL;
}

const struct policy_caveat *policy_caveat_find(const struct policy *p, const char *token)
{
	if (p == NULL || token == NULL)
		return NULL;
	for (size_t i = 0; i < p->ncaveats; i++)
		if (p->caveats[i].token != NULL && strcmp(p->caveats[i].token, token) == 0)
			return &p->caveats[i];
	return NULL;
}

const struct policy_flow *policy_flow_find(const struct policy *p, const char *from,
                                           const char *to)
{
	if (p == NULL || from == NULL || to == NULL)
		return NULL;
	for (size_t i = 0; i < p->nflows; i++) {
		const struct policy_flow *f = &p->flows[i];
		if (f->from == NULL || strcmp(f->from, from) != 0)
			continue;
		for (size_t k = 0; k < f->nto; k++)
			if (strcmp(f->to[k], to) == 0)
				return f;
	}
	return NULL;
}
