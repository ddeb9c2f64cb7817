/*
 * The clearance (and label) format of the reference implementation; see clearance.h. One
 * reader serves both: a clearance lists classifications, a label has exactly one.
 */
#include "clearance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml_fields.h"

static bool is_spiffy(xmlNodePtr n, const char *name)
{
	return xml_is_element(n, SPIFFY_NAMESPACE, name);
}

bool clearance_is_element(xmlNodePtr node)
{
	return is_spiffy(node, "clearance");
}

bool spiffy_label_is_element(xmlNodePtr node)
{
	return is_spiffy(node, "label");
}

/* Reading state: the errors of a clearance are policy errors, those of a label are report
 * errors, with their own rule prefixes. */
struct reader {
	const struct spif *spif;
	struct sluice_error *err;
	enum sluice_rc rc;
	const char *prefix; /* "clearance" or "stanag4774" */
	bool is_label;
};

static enum sluice_rc fail(struct reader *R, xmlNodePtr n, const char *rule, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

static enum sluice_rc fail(struct reader *R, xmlNodePtr n, const char *rule, const char *fmt,
                           ...)
{
	char msg[768], full[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s.%s", R->prefix, rule);
	return sluice_fail_at(R->err, R->rc, full, NULL, n ? (unsigned)xmlGetLineNo(n) : 0, 0, "%s",
	                      msg);
}

static char *need_attr(struct reader *R, xmlNodePtr n, const char *name)
{
	char *v = xml_attr_dup(n, name);
	if (v == NULL || v[0] == '\0') {
		free(v);
		fail(R, n, "missing-attribute", "<%s> needs the attribute %s", (const char *)n->name,
		     name);
		return NULL;
	}
	return v;
}

static int tag_type(const char *s, enum spif_tag_type *out)
{
	static const enum spif_tag_type all[] = {
		SPIF_TAG_RESTRICTIVE, SPIF_TAG_PERMISSIVE, SPIF_TAG_ENUM_RESTRICTIVE,
		SPIF_TAG_ENUM_PERMISSIVE, SPIF_TAG_INFORMATIVE,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, spif_tag_type_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

static enum sluice_rc read_policy(struct reader *R, xmlNodePtr n, bool *seen)
{
	char buf[96];
	if (*seen)
		return fail(R, n, "duplicate-element", "<policy> appears twice");
	*seen = true;
	char *id = need_attr(R, n, "id");
	if (id == NULL)
		return R->rc;
	enum sluice_rc rc = SLUICE_OK;
	if (strcmp(id, R->spif->policy_id) != 0)
		rc = fail(R, n, "unknown-policy", "the %s is for policy %s, the SPIF is policy %s (%s)",
		          R->is_label ? "label" : "clearance", xml_quote(id, buf, sizeof(buf)),
		          R->spif->policy_name, R->spif->policy_id);
	free(id);
	return rc;
}

static enum sluice_rc read_classification(struct reader *R, xmlNodePtr n,
                                          const struct spif_classification **out)
{
	char buf[96];
	char *lacv = need_attr(R, n, "lacv");
	if (lacv == NULL)
		return R->rc;
	*out = spif_class_by_lacv(R->spif, lacv);
	enum sluice_rc rc = SLUICE_OK;
	if (*out == NULL)
		rc = fail(R, n, "unknown-classification", "policy %s has no classification with lacv %s",
		          R->spif->policy_name, xml_quote(lacv, buf, sizeof(buf)));
	free(lacv);
	return rc;
}

static enum sluice_rc read_tag(struct reader *R, xmlNodePtr n, const struct spif_category **out)
{
	char buf[96], buf2[96];
	enum spif_tag_type type;
	enum sluice_rc rc = SLUICE_OK;
	char *t = need_attr(R, n, "type");
	char *id = t != NULL ? need_attr(R, n, "id") : NULL;
	char *lacv = id != NULL ? need_attr(R, n, "lacv") : NULL;
	const struct spif_tag_set *set = NULL;

	if (lacv == NULL)
		rc = R->rc;
	else if (tag_type(t, &type) != 0)
		rc = fail(R, n, "type",
		          "<tag type=\"%s\"> is not restrictive, permissive, enumeratedRestrictive, "
		          "enumeratedPermissive or informative",
		          xml_quote(t, buf, sizeof(buf)));
	else if ((set = spif_tag_set_by_id(R->spif, id)) == NULL)
		rc = fail(R, n, "unknown-tag", "policy %s has no tag set %s", R->spif->policy_name,
		          xml_quote(id, buf, sizeof(buf)));
	else if ((*out = spif_category_by_lacv(set, type, lacv)) == NULL)
		rc = fail(R, n, "unknown-value", "tag set '%s' has no %s category with lacv %s",
		          set->name, spif_tag_type_name(type), xml_quote(lacv, buf2, sizeof(buf2)));
	free(t);
	free(id);
	free(lacv);
	return rc;
}

/* Walks the children; `levels` (clearance) or `cls` (label) receives the classifications. */
static enum sluice_rc read_children(struct reader *R, xmlNodePtr root, bool *levels,
                                    const struct spif_classification **cls,
                                    const struct spif_category ***cats, size_t *ncats)
{
	bool seen_policy = false;
	size_t nclasses = 0;
	enum sluice_rc rc = SLUICE_OK;

	for (xmlNodePtr n = root->children; n != NULL && rc == SLUICE_OK; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_spiffy(n, "policy")) {
			rc = read_policy(R, n, &seen_policy);
		} else if (is_spiffy(n, "classification")) {
			const struct spif_classification *c = NULL;
			rc = read_classification(R, n, &c);
			if (rc == SLUICE_OK && R->is_label && nclasses > 0)
				rc = fail(R, n, "duplicate-element", "a label has one <classification>");
			if (rc == SLUICE_OK) {
				nclasses++;
				if (levels != NULL)
					levels[c->level] = true;
				else
					*cls = c;
			}
		} else if (is_spiffy(n, "tag")) {
			const struct spif_category *cat = NULL;
			if (*ncats == S4774_MAX_VALUES) {
				rc = fail(R, n, "too-many", "more than %d <tag> elements", S4774_MAX_VALUES);
				break;
			}
			rc = read_tag(R, n, &cat);
			if (rc == SLUICE_OK) {
				*cats = xrealloc(*cats, (*ncats + 1) * sizeof(**cats));
				(*cats)[(*ncats)++] = cat;
			}
		} else {
			rc = fail(R, n, "unknown-element", "<%s> is not allowed inside <%s>",
			          (const char *)n->name, (const char *)root->name);
		}
	}
	if (rc == SLUICE_OK && !seen_policy)
		rc = fail(R, root, "missing-policy", "<%s> has no <policy id=...>",
		          (const char *)root->name);
	if (rc == SLUICE_OK && nclasses == 0)
		rc = fail(R, root, "missing-classification", "<%s> has no <classification lacv=...>",
		          (const char *)root->name);
	return rc;
}

enum sluice_rc clearance_parse(xmlNodePtr node, const struct spif *spif,
                               struct spif_clearance *out, struct sluice_error *err)
{
	struct reader R = { spif, err, SLUICE_ERR_POLICY, "clearance", false };
	struct spif_label sorted;
	enum sluice_rc rc;

	memset(out, 0, sizeof(*out));
	if (!clearance_is_element(node))
		return fail(&R, node, "not-a-clearance",
		            "<%s> is not a <clearance> in the namespace " SPIFFY_NAMESPACE,
		            (const char *)node->name);
	out->spif = spif;
	out->levels = xcalloc(spif->nclasses + 1, sizeof(*out->levels));
	rc = read_children(&R, node, out->levels, NULL, &out->cats, &out->ncats);
	if (rc != SLUICE_OK) {
		spif_clearance_free(out);
		return rc;
	}
	/* SPIF order, each category once, as in labels. */
	memset(&sorted, 0, sizeof(sorted));
	for (size_t i = 0; i < out->ncats; i++)
		spif_label_add(&sorted, out->cats[i]);
	free(out->cats);
	out->cats = sorted.cats;
	out->ncats = sorted.ncats;
	return SLUICE_OK;
}

enum sluice_rc spiffy_label_parse(xmlNodePtr node, const struct spif *spif,
                                  struct spif_label *out, struct sluice_error *err)
{
	struct reader R = { spif, err, SLUICE_ERR_INVALID_REPORT, "stanag4774", true };
	const struct spif_category **cats = NULL;
	size_t ncats = 0;
	enum sluice_rc rc;

	memset(out, 0, sizeof(*out));
	out->spif = spif;
	out->line = (unsigned)xmlGetLineNo(node);
	if (!spiffy_label_is_element(node))
		return fail(&R, node, "no-label", "<%s> is not a <label> in the namespace " SPIFFY_NAMESPACE,
		            (const char *)node->name);
	rc = read_children(&R, node, NULL, &out->cls, &cats, &ncats);
	for (size_t i = 0; rc == SLUICE_OK && i < ncats; i++)
		spif_label_add(out, cats[i]);
	free(cats);
	if (rc != SLUICE_OK)
		spif_label_free(out);
	return rc;
}
