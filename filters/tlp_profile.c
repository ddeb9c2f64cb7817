#include "tlp_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_error.h"

static const char tlp_prefix[] = "TLP:";

static bool in_tlp_ns(xmlAttrPtr a)
{
	return a->ns != NULL && xmlStrEqual(a->ns->href, (const xmlChar *)TLP_NS);
}

bool tlp_attribute_is_marking(xmlAttrPtr a)
{
	return in_tlp_ns(a) && xmlStrEqual(a->name, (const xmlChar *)"label");
}

/* "tlp-org:" + name, or "tlp-org:?" (held by nobody) when the source declared none. */
static void add_member_value(struct label *l, const char *tag, enum category_type type,
                             const char *prefix, const char *name)
{
	char v[200];
	snprintf(v, sizeof(v), "%s%s", prefix, name != NULL ? name : "?");
	label_add_value(l, tag, type, v);
}

void tlp_label(struct label *out, const char *policy_id, int level,
               const struct policy_domain *source)
{
	const struct classification_scheme *s = classification_scheme_find("tlp");
	const char *name = level >= 0 && (size_t)level < s->count ? s->names[level] : "RED";
	label_init(out, policy_id, level);
	/* The audiences nest: AMBER+STRICT's (the organisation) is inside AMBER's (and its
	 * clients), which is inside GREEN's (and the communities). */
	bool green = strcmp(name, "GREEN") == 0, amber = strcmp(name, "AMBER") == 0;
	if (green || amber || strcmp(name, "AMBER+STRICT") == 0) {
		add_member_value(out, "tlp-audience", CATEGORY_PERMISSIVE, "tlp-org:",
		                 source->organisation);
		if ((green || amber) && source->organisation != NULL)
			add_member_value(out, "tlp-audience", CATEGORY_PERMISSIVE, "tlp-client-of:",
			                 source->organisation);
		for (size_t i = 0; green && i < source->communities.n; i++)
			add_member_value(out, "tlp-audience", CATEGORY_PERMISSIVE, "tlp-community:",
			                 source->communities.v[i]);
	} else if (strcmp(name, "RED") == 0) {
		label_add_value(out, "tlp-red", CATEGORY_RESTRICTIVE,
		                "tlp-red:individual-recipients-only");
	}
}

/* The level of a tlp:label value, or -1 with `err` set. */
static int parse_value(const xmlChar *value, unsigned line, const char *element,
                       struct sluice_error *err)
{
	const struct classification_scheme *s = classification_scheme_find("tlp");
	const char *v = (const char *)value;
	if (strncmp(v, tlp_prefix, sizeof(tlp_prefix) - 1) == 0) {
		int level = classification_level(s, v + sizeof(tlp_prefix) - 1);
		if (level >= 0)
			return level;
	}
	sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "tlp.value", NULL, line, 0,
	               "<%.100s> tlp:label '%.60s' is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, "
	               "TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)%s",
	               element, v,
	               strcmp(v, "TLP:WHITE") == 0 ? "; TLP 1.0's TLP:WHITE is TLP:CLEAR in 2.0" : "");
	return -1;
}

/* The element's TLP level, -2 when it has no tlp:label, -1 on an error. */
static int element_level(xmlNodePtr n, struct sluice_error *err)
{
	int level = -2;
	unsigned line = (unsigned)xmlGetLineNo(n);
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		if (!in_tlp_ns(a))
			continue;
		if (!tlp_attribute_is_marking(a)) {
			sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "tlp.unknown-attribute", NULL,
			               line, 0, "<%.100s> carries tlp:%.60s; the tlp profile knows only "
			               "tlp:label", (const char *)n->name, (const char *)a->name);
			return -1;
		}
		xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
		level = parse_value(v != NULL ? v : (const xmlChar *)"", line, (const char *)n->name,
		                    err);
		xmlFree(v);
		if (level < 0)
			return -1;
	}
	return level;
}

struct reader {
	const struct policy *pol;
	const struct policy_domain *source;
	struct ism_document *d;
	size_t cap;
	struct sluice_error *err;
};

static void init_marking(struct reader *r, struct ism_marking *m, xmlNodePtr n, int level,
                         int parent)
{
	memset(m, 0, sizeof(*m));
	m->node = n;
	m->line = (unsigned)xmlGetLineNo(n);
	m->level = level;
	m->parent = parent;
	tlp_label(&m->label, r->pol->id, level, r->source);
}

static enum sluice_rc walk(struct reader *r, xmlNodePtr n, int parent)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int level = element_level(n, r->err);
		if (level == -1)
			return SLUICE_ERR_INVALID_REPORT;
		int here = parent;
		if (level >= 0) {
			if (r->d->nportions == r->cap) {
				r->cap = r->cap ? r->cap * 2 : 16;
				r->d->portions = xrealloc(r->d->portions, r->cap * sizeof(*r->d->portions));
			}
			here = (int)r->d->nportions;
			init_marking(r, &r->d->portions[r->d->nportions++], n, level, parent);
		}
		if (walk(r, n->children, here) != SLUICE_OK)
			return SLUICE_ERR_INVALID_REPORT;
	}
	return SLUICE_OK;
}

enum sluice_rc tlp_document_read(xmlDocPtr doc, const struct policy *pol,
                                 const struct policy_domain *source, struct ism_document *out,
                                 struct sluice_error *err)
{
	memset(out, 0, sizeof(*out));
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int level = root != NULL ? element_level(root, err) : -2;
	if (level == -1)
		return SLUICE_ERR_INVALID_REPORT;
	if (level == -2)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "tlp.missing-banner", NULL,
		                      root ? (unsigned)xmlGetLineNo(root) : 0, 0,
		                      "the root element <%.100s> carries no tlp:label (namespace %s): "
		                      "a report under the tlp profile must say its TLP label",
		                      root ? (const char *)root->name : "", TLP_NS);
	struct reader r = { pol, source, out, 0, err };
	init_marking(&r, &out->banner, root, level, -1);
	if (walk(&r, root->children, -1) != SLUICE_OK) {
		ism_document_free(out);
		return SLUICE_ERR_INVALID_REPORT;
	}
	const struct classification_scheme *s = classification_scheme_find("tlp");
	for (size_t i = 0; i < out->nportions; i++)
		if (out->portions[i].level > level) {
			const struct ism_marking *m = &out->portions[i];
			sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "tlp.banner-not-dominating", NULL,
			               m->line, 0, "portion <%.100s> is TLP:%s, above the document's "
			               "TLP:%s", (const char *)m->node->name, s->names[m->level],
			               s->names[level]);
			ism_document_free(out);
			return SLUICE_ERR_INVALID_REPORT;
		}
	return SLUICE_OK;
}

void tlp_remark(struct ism_document *d, const struct ism_marking *const *kept, size_t nkept,
                const struct policy *pol, const struct policy_domain *source,
                struct label *banner_out, char **summary)
{
	const struct classification_scheme *s = classification_scheme_find("tlp");
	int level = 0;
	for (size_t i = 0; i < nkept; i++)
		if (kept[i]->level > level)
			level = kept[i]->level;
	tlp_label(banner_out, pol->id, level, source);
	size_t n = sizeof(tlp_prefix) + strlen(s->names[level]);
	*summary = xmalloc(n);
	snprintf(*summary, n, "%s%s", tlp_prefix, s->names[level]);
	xmlNodePtr root = d->banner.node;
	for (xmlAttrPtr a = root->properties; a != NULL; a = a->next)
		if (tlp_attribute_is_marking(a)) {
			xmlSetNsProp(root, a->ns, a->name, (const xmlChar *)*summary);
			break;
		}
}
