#include "s4774_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s4778_binding.h"
#include "spif.h"

/* The next element after `n` in document order, within `top`; with `descend` false, after
 * `n`'s subtree. */
static xmlNodePtr next_element(xmlNodePtr n, xmlNodePtr top, bool descend)
{
	for (xmlNodePtr c = descend ? n->children : NULL; c != NULL; c = c->next)
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

static bool is_4778(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, (const xmlChar *)S4778_NAMESPACE) &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

static bool is_binding(xmlNodePtr n)
{
	return is_4778(n, "BindingInformation");
}

bool s4774_is_marking_element(xmlNodePtr node)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	       (s4774_is_label_element(node) || is_binding(node));
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

/* A label an ADatP-4778 binding gives an element. */
struct bound_label {
	xmlNodePtr target;
	xmlNodePtr label;
};

struct reader {
	const struct spif *spif;
	struct ism_document *doc;
	struct s4774_labels *labels;
	size_t cap;
	struct sluice_error *err;
	struct bound_label *bound;
	size_t nbound;
};

/* ---- labels bound by ADatP-4778 BindingInformation --------------------------------------- */

static enum sluice_rc unsupported(struct reader *r, xmlNodePtr n, const char *what)
{
	return sluice_fail_at(r->err, SLUICE_ERR_INVALID_REPORT, "stanag4774.binding-unsupported",
	                      NULL, (unsigned)xmlGetLineNo(n), 0,
	                      "the ADatP-4778 binding uses %s, which Sluice does not read: embed "
	                      "the labels, or bind them to elements of this document "
	                      "(DataReference URI=\"\" or \"#id\")", what);
}

static bool has_id(xmlNodePtr n, const char *id)
{
	static const char *const names[] = { "Id", "id", "ID" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)names[i]);
		bool match = v != NULL && strcmp((const char *)v, id) == 0;
		xmlFree(v);
		if (match)
			return true;
	}
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"id", XML_XML_NAMESPACE);
	bool match = v != NULL && strcmp((const char *)v, id) == 0;
	xmlFree(v);
	return match;
}

/* The element a same-document reference names: the root for "", the only element outside
 * every binding with that Id, id, ID or xml:id for "#x". */
static enum sluice_rc reference_target(struct reader *r, xmlNodePtr root, xmlNodePtr ref,
                                       xmlNodePtr *out)
{
	xmlChar *uri = xmlGetNoNsProp(ref, (const xmlChar *)"URI");
	enum sluice_rc rc = SLUICE_OK;
	*out = NULL;
	for (xmlNodePtr c = ref->children; c != NULL && rc == SLUICE_OK; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = unsupported(r, c, "transforms on a DataReference");
	if (rc != SLUICE_OK || uri == NULL) {
		if (rc == SLUICE_OK)
			rc = unsupported(r, ref, "a DataReference without URI");
		xmlFree(uri);
		return rc;
	}
	if (uri[0] == '\0') {
		*out = root;
	} else if (uri[0] == '#' && uri[1] != '\0') {
		size_t found = 0;
		/* Outside every binding: an Id inside one names part of the binding itself. */
		for (xmlNodePtr n = root; n != NULL; n = next_element(n, root, !is_binding(n))) {
			if (!is_binding(n) && has_id(n, (const char *)uri + 1)) {
				*out = n;
				found++;
			}
		}
		if (found != 1)
			rc = sluice_fail_at(r->err, SLUICE_ERR_INVALID_REPORT,
			                    "stanag4774.binding-reference", NULL,
			                    (unsigned)xmlGetLineNo(ref), 0,
			                    "DataReference URI=\"%.100s\" names %s element of the report",
			                    (const char *)uri, found == 0 ? "no" : "more than one");
	} else {
		rc = unsupported(r, ref, "a reference to data outside the report");
	}
	xmlFree(uri);
	return rc;
}

static void bind_label(struct reader *r, xmlNodePtr target, xmlNodePtr label)
{
	r->bound = xrealloc(r->bound, (r->nbound + 1) * sizeof(*r->bound));
	r->bound[r->nbound].target = target;
	r->bound[r->nbound].label = label;
	r->nbound++;
}

/* Every originator label each MetadataBinding binds to each element it names. Other metadata
 * (not ADatP-4774 confidentiality labels) and the sender's signature play no part. */
static enum sluice_rc metadata_binding(struct reader *r, xmlNodePtr root, xmlNodePtr mb)
{
	xmlNodePtr labels[64], targets[64];
	size_t nl = 0, nt = 0;
	enum sluice_rc rc = SLUICE_OK;
	for (xmlNodePtr c = mb->children; c != NULL && rc == SLUICE_OK; c = c->next) {
		if (is_4778(c, "Metadata")) {
			for (xmlNodePtr l = c->children; l != NULL; l = l->next)
				if (l->type == XML_ELEMENT_NODE && (is_label_kind(l, S4774_ORIGINATOR) ||
				                                    is_label_kind(l, S4774_LEGACY))) {
					if (nl == sizeof(labels) / sizeof(labels[0]))
						return unsupported(r, c, "more than 64 labels in one binding");
					labels[nl++] = l;
				}
		} else if (is_4778(c, "DataReference")) {
			if (nt == sizeof(targets) / sizeof(targets[0]))
				return unsupported(r, c, "more than 64 data references in one binding");
			rc = reference_target(r, root, c, &targets[nt]);
			if (rc == SLUICE_OK)
				nt++;
		} else if (is_4778(c, "MetadataReference")) {
			rc = unsupported(r, c, "a MetadataReference (a label kept elsewhere)");
		} else if (is_4778(c, "Data")) {
			rc = unsupported(r, c, "encapsulated Data");
		}
	}
	for (size_t i = 0; rc == SLUICE_OK && i < nl; i++)
		for (size_t k = 0; k < nt; k++)
			bind_label(r, targets[k], labels[i]);
	return rc;
}

static enum sluice_rc collect_bindings(struct reader *r, xmlNodePtr root)
{
	enum sluice_rc rc = SLUICE_OK;
	for (xmlNodePtr n = root; n != NULL && rc == SLUICE_OK; n = next_element(n, root, true)) {
		if (!is_binding(n))
			continue;
		for (xmlNodePtr c = n->children; c != NULL && rc == SLUICE_OK; c = c->next) {
			if (!is_4778(c, "MetadataBindingContainer"))
				continue; /* ds:Signature and ##other */
			for (xmlNodePtr b = c->children; b != NULL && rc == SLUICE_OK; b = b->next)
				if (is_4778(b, "MetadataBinding"))
					rc = metadata_binding(r, root, b);
		}
	}
	return rc;
}

static bool has_cat(const struct spif_label *l, const struct spif_category *c)
{
	for (size_t i = 0; i < l->ncats; i++)
		if (l->cats[i] == c)
			return true;
	return false;
}

static bool same_label(const struct spif_label *a, const struct spif_label *b)
{
	if (a->cls != b->cls || a->ncats != b->ncats)
		return false;
	for (size_t i = 0; i < a->ncats; i++)
		if (!has_cat(b, a->cats[i]))
			return false;
	return true;
}

static enum sluice_rc read_label(xmlNodePtr element, const struct spif *spif,
                                 struct spif_label *out, struct sluice_error *err);

/* The label of element `n`: embedded, or bound by a binding; when it has several, they must
 * say the same (a binding that repeats the embedded label is fine, one that disagrees is
 * not). */
static enum sluice_rc labels_of(struct reader *r, xmlNodePtr n, xmlNodePtr *out)
{
	enum sluice_rc rc = own_label(n, out, r->err);
	for (size_t i = 0; rc == SLUICE_OK && i < r->nbound; i++) {
		if (r->bound[i].target != n)
			continue;
		if (*out == NULL) {
			*out = r->bound[i].label;
			continue;
		}
		struct spif_label a, b;
		rc = read_label(*out, r->spif, &a, r->err);
		if (rc != SLUICE_OK)
			break;
		rc = read_label(r->bound[i].label, r->spif, &b, r->err);
		if (rc == SLUICE_OK) {
			if (!same_label(&a, &b))
				rc = sluice_fail_at(r->err, SLUICE_ERR_INVALID_REPORT,
				                    "stanag4774.several-labels", NULL,
				                    (unsigned)xmlGetLineNo(r->bound[i].label), 0,
				                    "<%s> has two different labels (lines %ld and %ld): its "
				                    "own and an ADatP-4778 binding's disagree",
				                    (const char *)n->name, xmlGetLineNo(*out),
				                    xmlGetLineNo(r->bound[i].label));
			spif_label_free(&b);
		}
		spif_label_free(&a);
	}
	return rc;
}

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
		if (n->type != XML_ELEMENT_NODE || s4774_is_marking_element(n))
			continue;
		xmlNodePtr label_el = NULL;
		enum sluice_rc rc = labels_of(r, n, &label_el);
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
	struct reader r = { NULL, out, labels, 0, err, NULL, 0 };
	enum sluice_rc rc;
	char why[512];

	memset(out, 0, sizeof(*out));
	memset(labels, 0, sizeof(*labels));
	if (source->spif_scheme == NULL)
		return sluice_fail(err, SLUICE_ERR_POLICY, "policy.profile",
		                   "domain %s has no SPIF to read STANAG 4774 labels with",
		                   source->name);
	r.spif = source->spif_scheme->spif;
	if (root == NULL || s4774_is_marking_element(root))
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-banner", NULL,
		                      root ? (unsigned)xmlGetLineNo(root) : 0, 0,
		                      "the report is a bare label or binding: a stanag4774 report is a "
		                      "document whose root element carries its label");
	rc = collect_bindings(&r, root);
	if (rc == SLUICE_OK)
		rc = labels_of(&r, root, &labels->banner_element);
	if (rc != SLUICE_OK)
		goto out;
	if (labels->banner_element == NULL) {
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-banner", NULL,
		                    (unsigned)xmlGetLineNo(root), 0,
		                    "the root element <%s> carries no originatorConfidentialityLabel "
		                    "(in the namespace " S4774_NAMESPACE ", embedded or bound): the "
		                    "report has no banner",
		                    (const char *)root->name);
		goto out;
	}
	rc = read_label(labels->banner_element, r.spif, &labels->banner, err);
	if (rc != SLUICE_OK)
		goto out;
	out->banner.node = root;
	out->banner.line = (unsigned)xmlGetLineNo(labels->banner_element);
	out->banner.level = (int)labels->banner.cls->level;
	out->banner.parent = -1;
	spif_label_to_label(&labels->banner, &out->banner.label);
	rc = walk(&r, root->children, -1);
	for (size_t i = 0; rc == SLUICE_OK && i < out->nportions; i++)
		if (!label_dominates(&out->banner.label, &out->portions[i].label, &r.spif->scheme, why,
		                     sizeof(why)))
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "label.banner-dominance", NULL,
			                    out->portions[i].line, 0,
			                    "the banner does not dominate portion <%s>: %s",
			                    (const char *)out->portions[i].node->name, why);
out:
	free(r.bound);
	return rc;
}

void s4774_embed_bound_labels(struct ism_document *d, struct s4774_labels *l,
                              const bool *removed)
{
	xmlNodePtr *at[2] = { &l->banner_element, NULL };
	for (size_t i = 0; i <= d->nportions; i++) {
		xmlNodePtr node = i == 0 ? d->banner.node : d->portions[i - 1].node;
		xmlNodePtr *label = i == 0 ? at[0] : &l->portion_elements[i - 1];
		if ((i > 0 && removed[i - 1]) || node == NULL || *label == NULL ||
		    (*label)->parent == node)
			continue;
		xmlNodePtr copy = xmlDocCopyNode(*label, node->doc, 1);
		if (node->children != NULL)
			xmlAddPrevSibling(node->children, copy);
		else
			xmlAddChild(node, copy);
		xmlReconciliateNs(node->doc, copy);
		*label = copy;
	}
}

void s4774_drop_bindings(xmlNodePtr root)
{
	xmlNodePtr e = root;
	while (e != NULL) {
		/* The walk moves on past a binding's subtree (a nested one goes with it) before the
		 * binding is freed. */
		bool drop = e != root && is_binding(e);
		xmlNodePtr next = next_element(e, root, !drop);
		if (drop) {
			xmlUnlinkNode(e);
			xmlFreeNode(e);
		}
		e = next;
	}
}

/* ---- roll-up --------------------------------------------------------------------------- */

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
