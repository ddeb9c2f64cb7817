#include "ism_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ism_country_codes[] = {
#include "ism_country_codes.inc"
};

static const char *const token_attr_names[ISM_TOKEN_ATTR_COUNT] = {
	"SCIcontrols", "SARIdentifier", "atomicEnergyMarkings", "disseminationControls",
	"nonICmarkings", "nonUSControls", "FGIsourceOpen", "FGIsourceProtected", "displayOnlyTo",
};

/* Attributes whose tokens must each be declared in the policy's caveats. */
static bool token_attr_is_caveat(enum ism_token_attr a)
{
	return a <= ISM_ATTR_NONUS;
}

/* Free-text ism attributes: not markings, so redaction applies to them. */
static const char *const ism_text_attrs[] = {
	"classifiedBy", "derivativelyClassifiedBy", "classificationReason", "derivedFrom",
	"compilationReason", "declassEvent", "noticeReason", "unregisteredNoticeType",
};

/* Other ism attributes that are known and carried along unchanged. */
static const char *const ism_other_attrs[] = {
	"classification", "ownerProducer", "releasableTo", "resourceElement", "excludeFromRollup",
	"createDate", "compliesWith", "DESVersion", "ISMCATCESVersion", "declassDate",
	"declassException", "noticeType", "noticeDate", "externalNotice", "pocType",
	"hasApproximateMarkings", "joint",
};

/* IC-ISM CVE order of dissemination controls; others follow alphabetically. */
static const char *const dissem_order[] = {
	"RS", "FOUO", "OC", "OC-USGOV", "IMC", "NF", "PR", "REL", "RELIDO", "EYES", "DSEN",
	"FISA", "DISPLAYONLY",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}
#define IN_LIST(list, s) in_list((list), sizeof(list) / sizeof((list)[0]), (s))

static bool is_country_code(const char *s)
{
	return IN_LIST(ism_country_codes, s);
}

bool ism_attribute_is_marking(const xmlChar *name)
{
	return !IN_LIST(ism_text_attrs, (const char *)name);
}

static bool known_attribute(const char *name)
{
	if (IN_LIST(ism_text_attrs, name) || IN_LIST(ism_other_attrs, name))
		return true;
	for (int i = 0; i < ISM_TOKEN_ATTR_COUNT; i++)
		if (strcmp(token_attr_names[i], name) == 0)
			return true;
	return false;
}

static bool is_ism_attr(xmlAttrPtr a)
{
	return a->ns != NULL && a->ns->href != NULL &&
	       strcmp((const char *)a->ns->href, ISM_NS) == 0;
}

static bool has_ism_attr(xmlNodePtr n, const char *name)
{
	return xmlHasNsProp(n, (const xmlChar *)name, (const xmlChar *)ISM_NS) != NULL;
}

/* Splits an NMTOKENS value on XML whitespace into `out`. Returns the number of tokens. */
static size_t split_tokens(const char *value, struct strset *out)
{
	size_t n = 0;
	const char *p = value;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (p > s) {
			char *tok = xstrndup(s, (size_t)(p - s));
			(void)strset_add(out, tok);
			free(tok);
			n++;
		}
	}
	return n;
}

static char *get_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ISM_NS);
	if (v == NULL)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static void marking_free(struct ism_marking *m)
{
	strset_free(&m->owner_producer);
	strset_free(&m->releasable_to);
	for (int i = 0; i < ISM_TOKEN_ATTR_COUNT; i++)
		strset_free(&m->tokens[i]);
	label_free(&m->label);
}

void ism_document_free(struct ism_document *d)
{
	if (d == NULL)
		return;
	marking_free(&d->banner);
	for (size_t i = 0; i < d->nportions; i++)
		marking_free(&d->portions[i]);
	free(d->portions);
	memset(d, 0, sizeof(*d));
}

static enum sluice_rc bad_value(struct sluice_error *err, const char *rule, xmlNodePtr n,
                                const char *attr, const char *value, const char *what)
{
	return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, rule, NULL,
	                      (unsigned)xmlGetLineNo(n), 0,
	                      "element <%s>: ism:%s value '%s' %s", (const char *)n->name, attr,
	                      value, what);
}

/* Maps the marking's tokens onto the label model. */
static void marking_to_label(struct ism_marking *m, const struct policy *pol)
{
	label_init(&m->label, ISM_NS, m->level);
	if (m->has_releasable_to) {
		for (size_t i = 0; i < m->releasable_to.n; i++)
			label_add_value(&m->label, "releasableTo", CATEGORY_PERMISSIVE,
			                m->releasable_to.v[i]);
	} else if (m->level > 0) {
		/* SPEC 3: a classified portion without releasableTo is releasable only to its
		 * ownerProducer. */
		for (size_t i = 0; i < m->owner_producer.n; i++)
			label_add_value(&m->label, "releasableTo", CATEGORY_PERMISSIVE,
			                m->owner_producer.v[i]);
	}
	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++) {
		for (size_t i = 0; i < m->tokens[a].n; i++) {
			const char *tok = m->tokens[a].v[i];
			const struct policy_caveat *c =
				token_attr_is_caveat((enum ism_token_attr)a) ? policy_caveat_find(pol, tok)
				                                             : NULL;
			if (c != NULL && c->action == CAVEAT_REQUIRES) {
				for (size_t k = 0; k < c->requires.n; k++)
					label_add_value(&m->label, tok, CATEGORY_RESTRICTIVE,
					                c->requires.v[k]);
			} else {
				label_add_value(&m->label, token_attr_names[a], CATEGORY_INFORMATIVE, tok);
			}
		}
	}
}

/* Reads one element's ism attributes into `m`. */
static enum sluice_rc marking_read(xmlNodePtr n, const struct policy *pol,
                                   const struct classification_scheme *scheme,
                                   struct ism_marking *m, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	char *v = NULL;

	memset(m, 0, sizeof(*m));
	m->node = n;
	m->line = (unsigned)xmlGetLineNo(n);
	m->parent = -1;

	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		if (is_ism_attr(a) && !known_attribute((const char *)a->name)) {
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.unknown-attribute", NULL,
			                    m->line, 0, "element <%s>: unknown attribute ism:%s",
			                    (const char *)n->name, (const char *)a->name);
			goto out;
		}
	}

	v = get_attr(n, "classification");
	if (v == NULL) {
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.missing-classification", NULL,
		                    m->line, 0, "element <%s> has ism markings but no ism:classification",
		                    (const char *)n->name);
		goto out;
	}
	struct strset cls = STRSET_INIT;
	size_t ncls = split_tokens(v, &cls);
	m->level = ncls == 1 ? classification_level(scheme, cls.v[0]) : -1;
	strset_free(&cls);
	if (m->level < 0) {
		rc = bad_value(err, "ism.unknown-classification", n, "classification", v,
		               "is not a classification of the ism profile (U, R, C, S, TS)");
		goto out;
	}
	free(v);

	v = get_attr(n, "ownerProducer");
	if (v == NULL || split_tokens(v, &m->owner_producer) == 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.missing-owner-producer", NULL,
		                    m->line, 0, "element <%s> has no ism:ownerProducer",
		                    (const char *)n->name);
		goto out;
	}
	for (size_t i = 0; i < m->owner_producer.n; i++) {
		if (!is_country_code(m->owner_producer.v[i])) {
			rc = bad_value(err, "ism.unknown-country", n, "ownerProducer",
			               m->owner_producer.v[i], "is not an IC-ISM country or organisation code");
			goto out;
		}
	}
	free(v);

	v = get_attr(n, "releasableTo");
	if (v != NULL) {
		m->has_releasable_to = true;
		if (split_tokens(v, &m->releasable_to) == 0) {
			rc = bad_value(err, "ism.malformed", n, "releasableTo", v, "is empty");
			goto out;
		}
		for (size_t i = 0; i < m->releasable_to.n; i++) {
			if (!is_country_code(m->releasable_to.v[i])) {
				rc = bad_value(err, "ism.unknown-country", n, "releasableTo",
				               m->releasable_to.v[i],
				               "is not an IC-ISM country or organisation code");
				goto out;
			}
		}
		free(v);
	}
	v = NULL;

	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++) {
		v = get_attr(n, token_attr_names[a]);
		if (v == NULL)
			continue;
		split_tokens(v, &m->tokens[a]);
		for (size_t i = 0; i < m->tokens[a].n; i++) {
			const char *tok = m->tokens[a].v[i];
			if (token_attr_is_caveat((enum ism_token_attr)a)) {
				if (policy_caveat_find(pol, tok) == NULL) {
					rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.unknown-caveat",
					                    NULL, m->line, 0,
					                    "element <%s>: ism:%s token '%s' is not declared in "
					                    "the policy's caveats", (const char *)n->name,
					                    token_attr_names[a], tok);
					goto out;
				}
			} else if (!is_country_code(tok) &&
			           !(a == ISM_ATTR_FGI_PROTECTED && strcmp(tok, "FGI") == 0)) {
				rc = bad_value(err, "ism.unknown-country", n, token_attr_names[a], tok,
				               "is not an IC-ISM country or organisation code");
				goto out;
			}
		}
		free(v);
		v = NULL;
	}
	if (strset_contains(&m->tokens[ISM_ATTR_DISSEM], "REL") && !m->has_releasable_to) {
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.malformed", NULL, m->line, 0,
		                    "element <%s>: REL without ism:releasableTo",
		                    (const char *)n->name);
		goto out;
	}
	v = get_attr(n, "excludeFromRollup");
	if (v != NULL) {
		if (strcmp(v, "true") == 0) {
			m->excluded = true;
		} else if (strcmp(v, "false") != 0) {
			rc = bad_value(err, "ism.malformed", n, "excludeFromRollup", v,
			               "is not true or false");
			goto out;
		}
	}
	marking_to_label(m, pol);
out:
	free(v);
	if (rc != SLUICE_OK)
		marking_free(m);
	return rc;
}

static bool element_has_any_ism_attr(xmlNodePtr n)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (is_ism_attr(a))
			return true;
	return false;
}

struct walk {
	const struct policy *pol;
	const struct classification_scheme *scheme;
	struct ism_document *doc;
	bool have_banner;
	size_t cap;
};

static enum sluice_rc walk_elements(xmlNodePtr n, int parent, struct walk *w,
                                    struct sluice_error *err)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int here = parent;
		char *res = get_attr(n, "resourceElement");
		bool is_banner = false;
		if (res != NULL) {
			if (strcmp(res, "true") == 0) {
				is_banner = true;
			} else if (strcmp(res, "false") != 0) {
				enum sluice_rc rc = bad_value(err, "ism.malformed", n, "resourceElement", res,
				                              "is not true or false");
				free(res);
				return rc;
			}
			free(res);
		}
		if (is_banner) {
			if (w->have_banner)
				return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-repeated",
				                      NULL, (unsigned)xmlGetLineNo(n), 0,
				                      "element <%s> is a second ism:resourceElement "
				                      "(the banner is at line %u)",
				                      (const char *)n->name, w->doc->banner.line);
			if (parent >= 0)
				return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-in-portion",
				                      NULL, (unsigned)xmlGetLineNo(n), 0,
				                      "the banner element <%s> is inside a portion",
				                      (const char *)n->name);
			enum sluice_rc rc = marking_read(n, w->pol, w->scheme, &w->doc->banner, err);
			if (rc != SLUICE_OK)
				return rc;
			w->have_banner = true;
		} else if (has_ism_attr(n, "classification") || element_has_any_ism_attr(n)) {
			if (w->doc->nportions == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 16;
				w->doc->portions = xrealloc(w->doc->portions,
				                            w->cap * sizeof(*w->doc->portions));
			}
			struct ism_marking *m = &w->doc->portions[w->doc->nportions];
			enum sluice_rc rc = marking_read(n, w->pol, w->scheme, m, err);
			if (rc != SLUICE_OK)
				return rc;
			m->parent = parent;
			here = (int)w->doc->nportions++;
		}
		enum sluice_rc rc = walk_elements(n->children, here, w, err);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

enum sluice_rc ism_document_read(xmlDocPtr doc, const struct policy *pol,
                                 struct ism_document *out, struct sluice_error *err)
{
	struct walk w;
	enum sluice_rc rc;
	char why[512];

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.pol = pol;
	w.scheme = classification_scheme_find("ism");
	w.doc = out;
	if (w.scheme == NULL)
		SLUICE_BUG("ism classification scheme missing");
	rc = walk_elements(doc->children, -1, &w, err);
	if (rc != SLUICE_OK)
		goto fail;
	if (!w.have_banner) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "ism.no-banner",
		                 "no element carries ism:resourceElement=\"true\" (the banner)");
		goto fail;
	}
	for (size_t i = 0; i < out->nportions; i++) {
		const struct ism_marking *p = &out->portions[i];
		if (p->excluded)
			continue;
		if (!label_dominates(&out->banner.label, &p->label, w.scheme, why, sizeof(why))) {
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-not-dominating",
			                    NULL, p->line, 0,
			                    "the banner (line %u) does not dominate the portion <%s>: %s",
			                    out->banner.line, (const char *)p->node->name, why);
			goto fail;
		}
	}
	return SLUICE_OK;
fail:
	ism_document_free(out);
	return rc;
}

bool ism_marking_has_action(const struct ism_marking *m, const struct policy *pol,
                            enum caveat_action action, const char **token)
{
	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++) {
		if (!token_attr_is_caveat((enum ism_token_attr)a))
			continue;
		for (size_t i = 0; i < m->tokens[a].n; i++) {
			const struct policy_caveat *c = policy_caveat_find(pol, m->tokens[a].v[i]);
			if (c != NULL && c->action == action) {
				if (token != NULL)
					*token = c->token;
				return true;
			}
		}
	}
	return false;
}

/* ---- re-marking ---- */

static int dissem_rank(const char *t)
{
	for (size_t i = 0; i < sizeof(dissem_order) / sizeof(dissem_order[0]); i++)
		if (strcmp(dissem_order[i], t) == 0)
			return (int)i;
	return 1000;
}

static int cmp_dissem(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = dissem_rank(x), ry = dissem_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

/* IC-ISM order: USA first, then trigraphs, then tetragraphs, each alphabetical. */
static int cmp_country(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int ux = strcmp(x, "USA") == 0, uy = strcmp(y, "USA") == 0;
	if (ux != uy)
		return uy - ux;
	size_t lx = strlen(x), ly = strlen(y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x, y);
}

/* Joins a set's values in the given order. New string. */
static char *join_sorted(const struct strset *s, int (*cmp)(const void *, const void *),
                         const char *sep)
{
	const char **v = xcalloc(s->n ? s->n : 1, sizeof(*v));
	size_t len = 1;
	for (size_t i = 0; i < s->n; i++) {
		v[i] = s->v[i];
		len += strlen(s->v[i]) + strlen(sep);
	}
	if (cmp != NULL && s->n > 1)
		qsort(v, s->n, sizeof(*v), cmp);
	char *out = xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0)
			strcat(out, sep);
		strcat(out, v[i]);
	}
	free(v);
	return out;
}

static void set_or_unset(xmlNodePtr n, xmlNsPtr ns, const char *name, const char *value)
{
	if (value != NULL && value[0] != '\0')
		xmlSetNsProp(n, ns, (const xmlChar *)name, (const xmlChar *)value);
	else
		xmlUnsetNsProp(n, ns, (const xmlChar *)name);
}

static void append(char **s, const char *sep, const char *part)
{
	if (part == NULL || part[0] == '\0')
		return;
	size_t a = strlen(*s), b = strlen(sep), c = strlen(part);
	*s = xrealloc(*s, a + b + c + 1);
	if (a > 0)
		memcpy(*s + a, sep, b + 1);
	else
		b = 0, (*s)[a] = '\0';
	memcpy(*s + a + b, part, c + 1);
}

void ism_remark(struct ism_document *d, const struct ism_marking *const *kept, size_t nkept,
                const struct policy *pol, struct label *banner_out, char **summary)
{
	const struct classification_scheme *scheme = classification_scheme_find("ism");
	struct strset tokens[ISM_TOKEN_ATTR_COUNT];
	struct strset rel = STRSET_INIT, display = STRSET_INIT;
	bool rel_all_explicit = true, any_rel_tag = false, first_rel = true, first_disp = true;
	int level = 0;

	memset(tokens, 0, sizeof(tokens));
	for (size_t i = 0; i < nkept; i++) {
		const struct ism_marking *m = kept[i];
		if (m->level > level)
			level = m->level;
		for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++)
			if (a != ISM_ATTR_DISPLAY_ONLY)
				strset_union(&tokens[a], &m->tokens[a]);
		const struct label_category *c =
			label_category_find(&m->label, "releasableTo", CATEGORY_PERMISSIVE);
		if (c != NULL) {
			any_rel_tag = true;
			if (!m->has_releasable_to)
				rel_all_explicit = false;
			if (first_rel)
				strset_copy(&rel, &c->values);
			else
				strset_intersect(&rel, &c->values);
			first_rel = false;
		}
		if (m->tokens[ISM_ATTR_DISPLAY_ONLY].n > 0) {
			if (first_disp)
				strset_copy(&display, &m->tokens[ISM_ATTR_DISPLAY_ONLY]);
			else
				strset_intersect(&display, &m->tokens[ISM_ATTR_DISPLAY_ONLY]);
			first_disp = false;
		}
	}
	struct strset *dissem = &tokens[ISM_ATTR_DISSEM];
	bool nf = strset_contains(dissem, "NF");
	bool rel_ok = !nf && any_rel_tag && rel_all_explicit && rel.n > 0;
	/* REL and EYES are recomputed from the intersection; DISPLAYONLY from its own. */
	struct strset recomputed = STRSET_INIT;
	for (size_t i = 0; i < dissem->n; i++)
		if (strcmp(dissem->v[i], "REL") != 0 && strcmp(dissem->v[i], "EYES") != 0 &&
		    strcmp(dissem->v[i], "DISPLAYONLY") != 0)
			(void)strset_add(&recomputed, dissem->v[i]);
	if (rel_ok)
		(void)strset_add(&recomputed, "REL");
	bool display_ok = !nf && strset_contains(dissem, "DISPLAYONLY") && display.n > 0;
	if (display_ok)
		(void)strset_add(&recomputed, "DISPLAYONLY");
	strset_copy(dissem, &recomputed);
	strset_free(&recomputed);

	xmlNodePtr bn = d->banner.node;
	xmlNsPtr ns = xmlSearchNsByHref(bn->doc, bn, (const xmlChar *)ISM_NS);
	if (ns == NULL)
		ns = xmlNewNs(bn, (const xmlChar *)ISM_NS, (const xmlChar *)"ism");
	set_or_unset(bn, ns, "classification", scheme->names[level]);
	char *rel_str = rel_ok ? join_sorted(&rel, cmp_country, " ") : NULL;
	set_or_unset(bn, ns, "releasableTo", rel_str);
	char *disp_str = display_ok ? join_sorted(&display, cmp_country, " ") : NULL;
	set_or_unset(bn, ns, "displayOnlyTo", disp_str);
	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++) {
		if (a == ISM_ATTR_DISPLAY_ONLY)
			continue;
		char *s = join_sorted(&tokens[a],
		                      a == ISM_ATTR_DISSEM ? cmp_dissem
		                      : (a == ISM_ATTR_FGI_OPEN || a == ISM_ATTR_FGI_PROTECTED)
		                              ? cmp_country : NULL,
		                      " ");
		set_or_unset(bn, ns, token_attr_names[a], s);
		free(s);
	}

	/* The summary, in the order of a portion mark: LEVEL//SCI//SAR//AEA//FGI//DISSEM//NONIC. */
	char *sum = xstrdup(scheme->names[level]);
	char *part = join_sorted(&tokens[ISM_ATTR_SCI], NULL, "/");
	append(&sum, "//", part);
	free(part);
	if (tokens[ISM_ATTR_SAR].n > 0) {
		char *sar = join_sorted(&tokens[ISM_ATTR_SAR], NULL, "/");
		char *t = xmalloc(strlen(sar) + 5);
		sprintf(t, "SAR-%s", sar);
		append(&sum, "//", t);
		free(t);
		free(sar);
	}
	part = join_sorted(&tokens[ISM_ATTR_AEA], NULL, "/");
	append(&sum, "//", part);
	free(part);
	char *dis = xstrdup("");
	const char **dv = xcalloc(dissem->n ? dissem->n : 1, sizeof(*dv));
	for (size_t i = 0; i < dissem->n; i++)
		dv[i] = dissem->v[i];
	qsort(dv, dissem->n, sizeof(*dv), cmp_dissem);
	for (size_t i = 0; i < dissem->n; i++) {
		if (strcmp(dv[i], "REL") == 0 && rel_str != NULL) {
			char *c = join_sorted(&rel, cmp_country, ", ");
			char *t = xmalloc(strlen(c) + 8);
			sprintf(t, "REL TO %s", c);
			append(&dis, "/", t);
			free(t);
			free(c);
		} else if (strcmp(dv[i], "DISPLAYONLY") == 0 && disp_str != NULL) {
			char *c = join_sorted(&display, cmp_country, ", ");
			char *t = xmalloc(strlen(c) + 14);
			sprintf(t, "DISPLAY ONLY %s", c);
			append(&dis, "/", t);
			free(t);
			free(c);
		} else {
			append(&dis, "/", dv[i]);
		}
	}
	free(dv);
	append(&sum, "//", dis);
	free(dis);
	part = join_sorted(&tokens[ISM_ATTR_NONIC], NULL, "/");
	append(&sum, "//", part);
	free(part);
	*summary = sum;

	/* The new banner's label is what a reader of the written attributes would get. */
	marking_free(&d->banner);
	struct sluice_error ignored;
	if (marking_read(bn, pol, scheme, &d->banner, &ignored) != SLUICE_OK)
		SLUICE_BUG("re-marked banner does not read back");
	label_copy(banner_out, &d->banner.label);

	free(rel_str);
	free(disp_str);
	strset_free(&rel);
	strset_free(&display);
	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++)
		strset_free(&tokens[a]);
}
