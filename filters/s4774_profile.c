#include "s4774_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s4778_binding.h"
#include "spif.h"

/* The next element after `n` in document order, within `top`. */
static xmlNodePtr xml_next_element(xmlNodePtr n, xmlNodePtr top)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	for (; n != NULL && n != top; n = n->parent)
		for (xmlNodePtr s = n->next; s != NULL; s = s->next)
			if (s->type == XML_ELEMENT_NODE)
				return s;
	return NULL;
}

static bool is_label_kind(xmlNodePtr n, enum s4774_kind kind)
{
	if (!s4774_is_label_element(n))
		return false;
	switch (kind) {
	case S4774_ORIGINATOR:
		return strcmp((const char *)n->name, "originatorConfidentialityLabel") == 0;
	case S4774_ALTERNATIVE:
		return strcmp((const char *)n->name, "alternativeConfidentialityLabel") == 0;
	case S4774_LEGACY:
		return strcmp((const char *)n->name, "ConfidentialityLabel") == 0;
	}
	return false;
}

bool s4774_is_marking_element(xmlNodePtr node)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && s4774_is_label_element(node);
}

void s4774_labels_free(struct s4774_labels *labels)
{
	if (labels == NULL)
		return;
	spif_label_free(&labels->banner);
	for (size_t i = 0; i < labels->n; i++)
		spif_label_free(&labels->portions[i]);
	free(labels->portions);
	free(labels->portion_elements);
	memset(labels, 0, sizeof(*labels));
}

/* The originator label directly inside `n`, or NULL; two are an error. */
static enum sluice_rc own_label(xmlNodePtr n, xmlNodePtr *out, struct sluice_error *err)
{
	*out = NULL;
	for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_label_kind(c, S4774_ORIGINATOR) && !is_label_kind(c, S4774_LEGACY))
			continue;
		if (*out != NULL)
			return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT,
			                      "stanag4774.several-labels", NULL,
			                      (unsigned)xmlGetLineNo(c), 0,
			                      "<%s> carries a second originator label (the first is at "
			                      "line %ld): one label per element",
			                      (const char *)n->name, xmlGetLineNo(*out));
		*out = c;
	}
	return SLUICE_OK;
}

/* Reads, resolves and checks one label element against the SPIF. */
static enum sluice_rc read_label(xmlNodePtr element, const struct spif *spif,
                                 struct spif_label *out, struct sluice_error *err)
{
	struct s4774_label raw;
	enum sluice_rc rc = s4774_label_parse(element, 0, &raw, err);
	if (rc != SLUICE_OK)
		return rc;
	rc = s4774_label_resolve(&raw, spif, out, err);
	s4774_label_free(&raw);
	if (rc != SLUICE_OK)
		return rc;
	rc = spif_label_check(out, err);
	if (rc != SLUICE_OK) {
		/* The SPIF's rules name the label's line where they can; the report is invalid. */
		err->rc = SLUICE_ERR_INVALID_REPORT;
		if (err->line == 0)
			err->line = (unsigned)xmlGetLineNo(element);
		spif_label_free(out);
	}
	return rc;
}

struct reader {
	const struct spif *spif;
	struct ism_document *doc;
	struct s4774_labels *labels;
	size_t cap;
	struct sluice_error *err;
};

static enum sluice_rc add_portion(struct reader *r, xmlNodePtr n, xmlNodePtr label_el,
                                  int parent)
{
	struct ism_document *d = r->doc;
	if (d->nportions == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		d->portions = xrealloc(d->portions, r->cap * sizeof(*d->portions));
		r->labels->portions = xrealloc(r->labels->portions, r->cap * sizeof(struct spif_label));
		r->labels->portion_elements =
			xrealloc(r->labels->portion_elements, r->cap * sizeof(xmlNodePtr));
	}
	struct spif_label *sl = &r->labels->portions[d->nportions];
	enum sluice_rc rc = read_label(label_el, r->spif, sl, r->err);
	if (rc != SLUICE_OK)
		return rc;
	struct ism_marking *m = &d->portions[d->nportions];
	memset(m, 0, sizeof(*m));
	m->node = n;
	m->line = (unsigned)xmlGetLineNo(label_el);
	m->level = (int)sl->cls->level;
	m->parent = parent;
	spif_label_to_label(sl, &m->label);
	r->labels->portion_elements[d->nportions] = label_el;
	d->nportions++;
	r->labels->n = d->nportions;
	return SLUICE_OK;
}

static enum sluice_rc walk(struct reader *r, xmlNodePtr n, int parent)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || s4774_is_label_element(n))
			continue;
		xmlNodePtr label_el = NULL;
		enum sluice_rc rc = own_label(n, &label_el, r->err);
		if (rc != SLUICE_OK)
			return rc;
		int here = parent;
		if (label_el != NULL) {
			rc = add_portion(r, n, label_el, parent);
			if (rc != SLUICE_OK)
				return rc;
			here = (int)r->doc->nportions - 1;
		}
		rc = walk(r, n->children, here);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

enum sluice_rc s4774_document_read(xmlDocPtr doc, const struct policy_domain *source,
                                   struct ism_document *out, struct s4774_labels *labels,
                                   struct sluice_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct reader r = { NULL, out, labels, 0, err };
	enum sluice_rc rc;
	char why[512];

	memset(out, 0, sizeof(*out));
	memset(labels, 0, sizeof(*labels));
	if (source->spif_scheme == NULL)
		return sluice_fail(err, SLUICE_ERR_POLICY, "policy.profile",
		                   "domain %s has no SPIF to read STANAG 4774 labels with",
		                   source->name);
	r.spif = source->spif_scheme->spif;
	if (root == NULL || s4774_is_label_element(root))
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-banner", NULL,
		                      root ? (unsigned)xmlGetLineNo(root) : 0, 0,
		                      "the report is a bare label: a stanag4774 report is a document "
		                      "whose root element carries its label");
	for (xmlNodePtr n = root; n != NULL; n = xml_next_element(n, root))
		if (s4778_is_binding_element(n))
			return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.binding-input",
			                      NULL, (unsigned)xmlGetLineNo(n), 0,
			                      "the report holds an ADatP-4778 BindingInformation, which "
			                      "Sluice does not read yet: send the report with its labels "
			                      "embedded (the gateway binds the released report itself)");
	rc = own_label(root, &labels->banner_element, err);
	if (rc != SLUICE_OK)
		return rc;
	if (labels->banner_element == NULL)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-banner", NULL,
		                      (unsigned)xmlGetLineNo(root), 0,
		                      "the root element <%s> carries no originatorConfidentialityLabel "
		                      "(in the namespace " S4774_NAMESPACE "): the report has no banner",
		                      (const char *)root->name);
	rc = read_label(labels->banner_element, r.spif, &labels->banner, err);
	if (rc != SLUICE_OK)
		return rc;
	out->banner.node = root;
	out->banner.line = (unsigned)xmlGetLineNo(labels->banner_element);
	out->banner.level = (int)labels->banner.cls->level;
	out->banner.parent = -1;
	spif_label_to_label(&labels->banner, &out->banner.label);
	rc = walk(&r, root->children, -1);
	if (rc != SLUICE_OK)
		return rc;
	for (size_t i = 0; i < out->nportions; i++)
		if (!label_dominates(&out->banner.label, &out->portions[i].label, &r.spif->scheme, why,
		                     sizeof(why)))
			return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "label.banner-dominance",
			                      NULL, out->portions[i].line, 0,
			                      "the banner does not dominate portion <%s>: %s",
			                      (const char *)out->portions[i].node->name, why);
	return SLUICE_OK;
}

/* ---- roll-up --------------------------------------------------------------------------- */

static bool has_cat(const struct spif_label *l, const struct spif_category *c)
{
	for (size_t i = 0; i < l->ncats; i++)
		if (l->cats[i] == c)
			return true;
	return false;
}

static bool carries_permissive_set(const struct spif_label *l, const struct spif_tag_set *set)
{
	for (size_t i = 0; i < l->ncats; i++)
		if (l->cats[i]->tag->set == set &&
		    spif_tag_label_type(l->cats[i]->tag->type) == CATEGORY_PERMISSIVE)
			return true;
	return false;
}

enum sluice_rc spif_label_rollup(const struct spif *spif, const struct spif_label *const *in,
                                 size_t n, struct spif_label *out, struct sluice_error *err)
{
	memset(out, 0, sizeof(*out));
	out->spif = spif;
	for (size_t i = 0; i < spif->nclasses && out->cls == NULL; i++)
		if (!spif->by_level[i]->obsolete)
			out->cls = spif->by_level[i];
	if (out->cls == NULL)
		out->cls = spif->by_level[0];
	for (size_t i = 0; i < n; i++)
		if (in[i]->cls->level > out->cls->level)
			out->cls = in[i]->cls;
	/* In SPIF order, so that the result reads as the SPIF writes labels. */
	for (size_t o = 0; o < spif->ncategories; o++) {
		const struct spif_category *c = spif->by_ordinal[o];
		enum category_type type = spif_tag_label_type(c->tag->type);
		bool any = false, every = true, carriers = false;
		for (size_t i = 0; i < n; i++) {
			bool has = has_cat(in[i], c);
			any = any || has;
			if (type == CATEGORY_PERMISSIVE && carries_permissive_set(in[i], c->tag->set)) {
				carriers = true;
				every = every && has;
			}
		}
		if (type == CATEGORY_PERMISSIVE ? (carriers && every) : any)
			spif_label_add(out, c);
	}
	/* A tag set whose intersection came out empty cannot be written as a label. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < in[i]->ncats; k++) {
			const struct spif_tag_set *set = in[i]->cats[k]->tag->set;
			if (spif_tag_label_type(in[i]->cats[k]->tag->type) != CATEGORY_PERMISSIVE ||
			    carries_permissive_set(out, set))
				continue;
			spif_label_free(out);
			return sluice_fail(err, SLUICE_ERR_REFUSED, "banner.no-releasability",
			                   "the portions that remain have no %s value in common, so "
			                   "together they are releasable to no one outside the originator",
			                   set->name);
		}
	return SLUICE_OK;
}

/* ---- writing labels -------------------------------------------------------------------- */

static const char *kind_element(enum s4774_kind kind)
{
	switch (kind) {
	case S4774_ORIGINATOR: return "originatorConfidentialityLabel";
	case S4774_ALTERNATIVE: return "alternativeConfidentialityLabel";
	case S4774_LEGACY: return "ConfidentialityLabel";
	}
	return "originatorConfidentialityLabel";
}

/* Now in UTC as RFC 3339, by arithmetic: gmtime_r and strftime call tzset, which opens
 * /etc/localtime, and the filter's sandbox (rightly) kills a process that opens anything. */
static void utc_now(char *buf, size_t len)
{
	long long t = (long long)time(NULL);
	long long days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil, inverted). */
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long day = doy - (153 * mp + 2) / 5 + 1;
	long long month = mp < 10 ? mp + 3 : mp - 9;
	long long year = yoe + era * 400 + (month <= 2);
	snprintf(buf, len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", year, month, day,
	         secs / 3600, secs / 60 % 60, secs % 60);
}

xmlNodePtr s4774_label_element(xmlDocPtr doc, xmlNsPtr ns, enum s4774_kind kind,
                               const struct spif_label *label)
{
	char buf[512];
	xmlNodePtr el = xmlNewDocNode(doc, NULL, (const xmlChar *)kind_element(kind), NULL);
	if (ns == NULL)
		ns = xmlNewNs(el, (const xmlChar *)S4774_NAMESPACE, (const xmlChar *)"slab");
	xmlSetNs(el, ns);
	xmlNodePtr info = xmlNewChild(el, ns, (const xmlChar *)"ConfidentialityInformation", NULL);
	xmlNodePtr pid = xmlNewTextChild(info, ns, (const xmlChar *)"PolicyIdentifier",
	                                 (const xmlChar *)label->spif->policy_name);
	snprintf(buf, sizeof(buf), "urn:oid:%s", label->spif->policy_id);
	xmlNewProp(pid, (const xmlChar *)"URI", (const xmlChar *)buf);
	xmlNewTextChild(info, ns, (const xmlChar *)"Classification",
	                (const xmlChar *)label->cls->name);
	/* One Category per tag set and Type, values in SPIF order (the label's order). */
	for (size_t i = 0; i < label->ncats; i++) {
		const struct spif_category *c = label->cats[i];
		enum category_type type = spif_tag_label_type(c->tag->type);
		bool first = true;
		for (size_t k = 0; k < i; k++)
			if (label->cats[k]->tag->set == c->tag->set &&
			    spif_tag_label_type(label->cats[k]->tag->type) == type)
				first = false;
		if (!first)
			continue;
		xmlNodePtr cat = xmlNewChild(info, ns, (const xmlChar *)"Category", NULL);
		xmlNewProp(cat, (const xmlChar *)"TagName", (const xmlChar *)c->tag->set->name);
		xmlNewProp(cat, (const xmlChar *)"Type",
		           (const xmlChar *)spif_label_type_name(type));
		snprintf(buf, sizeof(buf), "urn:oid:%s", c->tag->set->id);
		xmlNewProp(cat, (const xmlChar *)"URI", (const xmlChar *)buf);
		for (size_t k = i; k < label->ncats; k++)
			if (label->cats[k]->tag->set == c->tag->set &&
			    spif_tag_label_type(label->cats[k]->tag->type) == type)
				xmlNewTextChild(cat, ns, (const xmlChar *)"GenericValue",
				                (const xmlChar *)label->cats[k]->name);
	}
	utc_now(buf, sizeof(buf));
	xmlNewTextChild(el, ns, (const xmlChar *)"CreationDateTime", (const xmlChar *)buf);
	return el;
}

void s4774_drop_alternatives(xmlNodePtr node)
{
	xmlNodePtr c = node != NULL ? node->children : NULL;
	while (c != NULL) {
		xmlNodePtr next = c->next;
		if (c->type == XML_ELEMENT_NODE) {
			if (is_label_kind(c, S4774_ALTERNATIVE)) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			} else if (!s4774_is_label_element(c)) {
				s4774_drop_alternatives(c);
			}
		}
		c = next;
	}
}
