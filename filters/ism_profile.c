#include "ism_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ism_marking field of each token attribute this profile interprets. */
static const enum ism_field token_attr_fields[ISM_TOKEN_ATTR_COUNT] = {
	ISM_SCI_CONTROLS, ISM_SAR_IDENTIFIER, ISM_ATOMIC_ENERGY, ISM_DISSEMINATION, ISM_NON_IC,
	ISM_NON_US_CONTROLS, ISM_FGI_OPEN, ISM_FGI_PROTECTED, ISM_DISPLAY_ONLY_TO,
};

static const char *token_attr_name(int a)
{
	return ism_field_attribute(token_attr_fields[a]);
}

/* Attributes whose tokens must each be declared in the policy's caveats. */
static bool token_attr_is_caveat(enum ism_token_attr a)
{
	return a <= ISM_ATTR_NONUS;
}

/* Splits an NMTOKENS value on XML whitespace into `out`. Returns the number of tokens. */
static size_t split_tokens(const char *value, struct strset *out)
{
	struct ism_tokens t = { NULL, 0 };
	size_t n = ism_tokens_split(value, &t);
	for (size_t i = 0; i < t.n; i++)
		(void)strset_add(out, t.v[i]);
	ism_tokens_free(&t);
	return n;
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
				label_add_value(&m->label, token_attr_name(a), CATEGORY_INFORMATIVE, tok);
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
		if (ism_attr_in_ns(a) && !ism_attribute_known((const char *)a->name)) {
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.unknown-attribute", NULL,
			                    m->line, 0, "element <%s>: unknown attribute ism:%s",
			                    (const char *)n->name, (const char *)a->name);
			goto out;
		}
	}

	v = ism_attr_get(n, "classification");
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

	v = ism_attr_get(n, "ownerProducer");
	if (v == NULL || split_tokens(v, &m->owner_producer) == 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.missing-owner-producer", NULL,
		                    m->line, 0, "element <%s> has no ism:ownerProducer",
		                    (const char *)n->name);
		goto out;
	}
	for (size_t i = 0; i < m->owner_producer.n; i++) {
		if (!ism_country_code_known(m->owner_producer.v[i])) {
			rc = bad_value(err, "ism.unknown-country", n, "ownerProducer",
			               m->owner_producer.v[i], "is not an IC-ISM country or organisation code");
			goto out;
		}
	}
	free(v);

	v = ism_attr_get(n, "releasableTo");
	if (v != NULL) {
		m->has_releasable_to = true;
		if (split_tokens(v, &m->releasable_to) == 0) {
			rc = bad_value(err, "ism.malformed", n, "releasableTo", v, "is empty");
			goto out;
		}
		for (size_t i = 0; i < m->releasable_to.n; i++) {
			if (!ism_country_code_known(m->releasable_to.v[i])) {
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
		v = ism_attr_get(n, token_attr_name(a));
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
					                    token_attr_name(a), tok);
					goto out;
				}
			} else if (!ism_country_code_known(tok) &&
			           !(a == ISM_ATTR_FGI_PROTECTED && strcmp(tok, "FGI") == 0)) {
				rc = bad_value(err, "ism.unknown-country", n, token_attr_name(a), tok,
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
	v = ism_attr_get(n, "excludeFromRollup");
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

enum sluice_rc ism_document_read(xmlDocPtr doc, const struct policy *pol,
                                 struct ism_document *out, struct sluice_error *err)
{
	const struct classification_scheme *scheme = classification_scheme_find("ism");
	struct ism_elements e;
	enum sluice_rc rc;
	char why[512];

	memset(out, 0, sizeof(*out));
	if (scheme == NULL)
		SLUICE_BUG("ism classification scheme missing");
	rc = ism_elements_find(doc, &e, err);
	if (rc != SLUICE_OK)
		return rc;
	rc = marking_read(e.banner, pol, scheme, &out->banner, err);
	if (rc != SLUICE_OK) {
		memset(&out->banner, 0, sizeof(out->banner));
		goto fail;
	}
	out->portions = xcalloc(e.nportions, sizeof(*out->portions));
	for (size_t i = 0; i < e.nportions; i++) {
		rc = marking_read(e.portions[i], pol, scheme, &out->portions[i], err);
		if (rc != SLUICE_OK)
			goto fail;
		out->portions[i].parent = e.parent[i];
		out->nportions++;
	}
	for (size_t i = 0; i < out->nportions; i++) {
		const struct ism_marking *p = &out->portions[i];
		if (p->excluded)
			continue;
		if (!label_dominates(&out->banner.label, &p->label, scheme, why, sizeof(why))) {
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-not-dominating",
			                    NULL, p->line, 0,
			                    "the banner (line %u) does not dominate the portion <%s>: %s",
			                    out->banner.line, (const char *)p->node->name, why);
			goto fail;
		}
	}
	ism_elements_free(&e);
	return SLUICE_OK;
fail:
	ism_elements_free(&e);
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

/* Joins a set's values in the CVE order of `field` (filters/ism_marking.h). New string. */
static char *join_sorted(const struct strset *s, enum ism_field field, const char *sep)
{
	const char **v = xcalloc(s->n ? s->n : 1, sizeof(*v));
	size_t len = 1;
	for (size_t i = 0; i < s->n; i++) {
		v[i] = s->v[i];
		len += strlen(s->v[i]) + strlen(sep);
	}
	ism_tokens_sort(field, v, s->n);
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
	char *rel_str = rel_ok ? join_sorted(&rel, ISM_RELEASABLE_TO, " ") : NULL;
	set_or_unset(bn, ns, "releasableTo", rel_str);
	char *disp_str = display_ok ? join_sorted(&display, ISM_DISPLAY_ONLY_TO, " ") : NULL;
	set_or_unset(bn, ns, "displayOnlyTo", disp_str);
	for (int a = 0; a < ISM_TOKEN_ATTR_COUNT; a++) {
		if (a == ISM_ATTR_DISPLAY_ONLY)
			continue;
		char *s = join_sorted(&tokens[a], token_attr_fields[a], " ");
		set_or_unset(bn, ns, token_attr_name(a), s);
		free(s);
	}

	/* The summary: the written banner's portion mark, without its parentheses. */
	struct ism_attrs written;
	ism_attrs_read(bn, &written);
	*summary = ism_marking_string(&written, ISM_MARK_SHORT);
	ism_attrs_free(&written);

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
