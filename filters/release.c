#include "release.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include "ism_marking.h"
#include "ism_profile.h"
#include "s4774_profile.h"
#include "s4778_binding.h"
#include "spif.h"
#include "tlp_profile.h"
#include "xml_intake.h"

void release_result_init(struct release_result *r)
{
	memset(r, 0, sizeof(*r));
	/* Fail closed: only the end of a successful filter run says "released". */
	r->decision = RELEASE_ERROR;
	sluice_fail(&r->error, SLUICE_ERR_INTERNAL, "internal.incomplete",
	            "the filter did not complete");
}

void release_result_free(struct release_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nremovals; i++) {
		free(r->removals[i].location);
		free(r->removals[i].rule);
	}
	free(r->removals);
	for (size_t i = 0; i < r->nredactions; i++) {
		free(r->redactions[i].location);
		free(r->redactions[i].rule);
	}
	free(r->redactions);
	for (size_t i = 0; i < r->nportions; i++) {
		free(r->portions[i].location);
		free(r->portions[i].label);
	}
	free(r->portions);
	free(r->banner_before);
	free(r->source_banner);
	free(r->signed_info);
	free(r->output);
	free(r->banner);
	memset(r, 0, sizeof(*r));
}

void release_result_add_portion(struct release_result *r, const char *location, unsigned line,
                                const char *label, bool withheld)
{
	r->portions = xrealloc(r->portions, (r->nportions + 1) * sizeof(*r->portions));
	struct release_portion *e = &r->portions[r->nportions++];
	e->location = xstrdup(location);
	e->line = line;
	e->label = xstrdup(label);
	e->withheld = withheld;
}

void release_result_add_removal(struct release_result *r, const char *location, unsigned line,
                                const char *rule)
{
	r->removals = xrealloc(r->removals, (r->nremovals + 1) * sizeof(*r->removals));
	struct release_removal *e = &r->removals[r->nremovals++];
	e->location = xstrdup(location);
	e->line = line;
	e->rule = xstrdup(rule);
}

void release_result_add_redaction(struct release_result *r, const char *location,
                                  const char *rule, unsigned count)
{
	r->redactions = xrealloc(r->redactions, (r->nredactions + 1) * sizeof(*r->redactions));
	struct release_redaction *e = &r->redactions[r->nredactions++];
	e->location = xstrdup(location);
	e->rule = xstrdup(rule);
	e->count = count;
}

enum sluice_rc release_decision_rc(enum release_decision d)
{
	switch (d) {
	case RELEASE_RELEASED: return SLUICE_OK;
	case RELEASE_REFUSED: return SLUICE_ERR_REFUSED;
	case RELEASE_INVALID: return SLUICE_ERR_INVALID_REPORT;
	case RELEASE_ERROR: return SLUICE_ERR_INTERNAL;
	}
	return SLUICE_ERR_INTERNAL;
}

const char *release_decision_name(enum release_decision d)
{
	switch (d) {
	case RELEASE_RELEASED: return "released";
	case RELEASE_REFUSED: return "refused";
	case RELEASE_INVALID: return "invalid";
	case RELEASE_ERROR: return "error";
	}
	return "error";
}

/* ---- schema ---- */

static char *schema_dir;

static xmlParserInputPtr schema_entity_loader(const char *url, const char *id,
                                              xmlParserCtxtPtr ctxt)
{
	/* Only files in the schema's own folder (or below) while a schema is compiled. */
	if (url == NULL || schema_dir == NULL)
		return NULL;
	const char *path = url;
	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	if (strstr(path, "://") != NULL || strstr(path, "..") != NULL)
		return NULL;
	size_t n = strlen(schema_dir);
	if (path[0] == '/' && (strncmp(path, schema_dir, n) != 0 || path[n] != '/'))
		return NULL;
	return xmlNoNetExternalEntityLoader(path, id, ctxt);
}

enum sluice_rc release_schema_load(const char *path, void **schema, struct sluice_error *err)
{
	xmlExternalEntityLoader previous = xmlGetExternalEntityLoader();
	char resolved[4096];
	enum sluice_rc rc = SLUICE_OK;

	*schema = NULL;
	if (realpath(path, resolved) == NULL)
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.schema", path, 0, 0,
		                      "cannot resolve the schema path");
	char *slash = strrchr(resolved, '/');
	schema_dir = xstrndup(resolved, slash ? (size_t)(slash - resolved) : 0);
	xmlSetExternalEntityLoader(schema_entity_loader);
	xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewParserCtxt(resolved);
	xmlSchemaPtr s = pctxt ? xmlSchemaParse(pctxt) : NULL;
	if (pctxt)
		xmlSchemaFreeParserCtxt(pctxt);
	xmlSetExternalEntityLoader(previous);
	free(schema_dir);
	schema_dir = NULL;
	if (s == NULL)
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.schema", path, 0, 0,
		                    "the XSD does not compile (local files only, no network)");
	*schema = s;
	return rc;
}

void release_schema_free(void *schema)
{
	if (schema != NULL)
		xmlSchemaFree(schema);
}

struct schema_errors {
	struct sluice_error *err;
	bool have;
};

static void on_schema_error(void *ctx, xmlErrorPtr e)
{
	struct schema_errors *se = ctx;
	if (se->have || e == NULL || e->level == XML_ERR_WARNING)
		return;
	char msg[512];
	xml_error_message(e, msg, sizeof(msg)); /* names and values of the report become "?" */
	sluice_fail_at(se->err, SLUICE_ERR_INVALID_REPORT, "xml.schema", NULL, (unsigned)e->line, 0,
	               "fails the policy's XSD: %s", msg);
	se->have = true;
}

static enum sluice_rc schema_validate(void *schema, xmlDocPtr doc, struct sluice_error *err)
{
	struct schema_errors se = { err, false };
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
	if (v == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.schema",
		                   "cannot create a schema validation context");
	xmlSchemaSetValidStructuredErrors(v, on_schema_error, &se);
	int r = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (r == 0)
		return SLUICE_OK;
	if (!se.have)
		sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.schema", "fails the policy's XSD");
	return SLUICE_ERR_INVALID_REPORT;
}

/* ---- the filter ---- */

enum filter_profile { FILTER_ISM, FILTER_TLP, FILTER_S4774 };

struct filter {
	const struct release_request *req;
	const struct classification_scheme *scheme;
	enum filter_profile profile; /* the source domain's */
	bool tlp;                /* profile tlp */
	struct s4774_labels s4774;   /* profile stanag4774: the SPIF labels beside `doc` */
	/* stanag4774 into another SPIF: each portion's label in the destination's policy, once
	 * translated (translated_ok), in the same order as doc.portions */
	struct spif_label *translated;
	bool *translated_ok;
	const struct policy_domain *source;
	struct release_result *out;
	struct ism_document doc;
	bool *removed;           /* per portion */
	char *redact_location;   /* location being redacted, for the hit callback */
};

static bool is_blank(const xmlChar *s)
{
	for (; s != NULL && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

static bool attr_is_ism(xmlAttrPtr a)
{
	return a->ns != NULL && xmlStrEqual(a->ns->href, (const xmlChar *)ISM_NS);
}

/* A marking attribute of either profile: a label, not content. */
static bool attr_is_marking(xmlAttrPtr a)
{
	return attr_is_ism(a) || tlp_attribute_is_marking(a);
}

/* Portions are found from their element in O(1): every element's _private points at its
 * struct xml_position (xml_index_positions), where release_filter notes the portion index. */
static int portion_index(const struct filter *f, xmlNodePtr n)
{
	const struct xml_position *p = n->_private;
	if (p == NULL || p->portion < 0 || (size_t)p->portion >= f->doc.nportions ||
	    f->doc.portions[p->portion].node != n)
		return -1;
	return p->portion;
}

static void set_outcome(struct filter *f, enum release_decision d, const struct sluice_error *e)
{
	f->out->decision = d;
	if (e != NULL)
		f->out->error = *e;
}

static bool refuse(struct filter *f, const char *rule, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool refuse(struct filter *f, const char *rule, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->out->decision = RELEASE_REFUSED;
	sluice_fail_at(&f->out->error, SLUICE_ERR_REFUSED, rule, NULL, line, 0, "%s", msg);
	return false;
}

/* The SPIF label of marking `m` (the banner or a portion) of a stanag4774 document. */
static const struct spif_label *s4774_label_of(const struct filter *f, const struct ism_marking *m)
{
	if (m == &f->doc.banner)
		return &f->s4774.banner;
	return &f->s4774.portions[m - f->doc.portions];
}

/* Whether a label of the source's SPIF may go to the destination: translated into the
 * destination's policy first when that is another one (the translation is kept in `out`, which
 * the caller frees; NULL: not wanted). On false, `why` says why. */
static bool s4774_admits(const struct filter *f, const struct spif_label *l,
                         struct spif_label *out, char *why, size_t whylen)
{
	const struct policy_domain *dst = f->req->destination;
	struct sluice_error e;
	struct spif_label translated;
	const struct spif_label *checked = l;
	bool ok;
	memset(&translated, 0, sizeof(translated));
	if (dst->spif_scheme->spif != l->spif) {
		if (spif_label_translate(l, dst->spif_scheme->spif, &translated, &e) != SLUICE_OK) {
			snprintf(why, whylen, "%.500s", e.message);
			return false;
		}
		checked = &translated;
	}
	ok = spif_access_check(checked, dst->spif_clearance, &e) == SLUICE_OK;
	if (!ok)
		snprintf(why, whylen, "%.500s", e.message);
	if (ok && out != NULL && checked == &translated)
		*out = translated;
	else
		spif_label_free(&translated);
	return ok;
}

/* A marking as people write it: "S//NF" (IC-ISM, DES v10) or "TLP:AMBER". New string. */
static char *marking_label(const struct filter *f, const struct ism_marking *m)
{
	if (f->profile == FILTER_S4774)
		return spif_label_marking(s4774_label_of(f, m), "", SPIF_LOC_PAGE_BOTTOM);
	if (f->tlp) {
		const char *name = m->level >= 0 && (size_t)m->level < f->scheme->count
		                           ? f->scheme->names[m->level]
		                           : "?";
		size_t n = strlen(name) + 5;
		char *s = xmalloc(n);
		snprintf(s, n, "TLP:%s", name);
		return s;
	}
	struct ism_attrs a;
	ism_attrs_read(m->node, &a);
	char *s = ism_marking_string(&a, ISM_MARK_SHORT);
	ism_attrs_free(&a);
	return s;
}

/* `action: refuse` caveats anywhere refuse the whole report. */
static bool check_refuse_caveats(struct filter *f)
{
	const char *token = NULL;
	/* TLP:RED is "for the eyes and ears of individual recipients only": a RED document never
	 * crosses, not even as a shell with its RED parts withheld. */
	if (f->tlp && f->doc.banner.level == classification_level(f->scheme, "RED"))
		return refuse(f, "tlp.red", f->doc.banner.line,
		              "the report is TLP:RED (individual recipients only, no further "
		              "disclosure): it never crosses the gateway");
	if (ism_marking_has_action(&f->doc.banner, f->req->policy, CAVEAT_REFUSE, &token))
		return refuse(f, "caveat.refuse", f->doc.banner.line,
		              "the banner carries %s, whose caveat rule is action: refuse", token);
	for (size_t i = 0; i < f->doc.nportions; i++) {
		const struct ism_marking *m = &f->doc.portions[i];
		if (ism_marking_has_action(m, f->req->policy, CAVEAT_REFUSE, &token))
			return refuse(f, "caveat.refuse", m->line,
			              "portion <%s> carries %s, whose caveat rule is action: refuse",
			              (const char *)m->node->name, token);
	}
	return true;
}

/* Whether content marked `m` may go to the destination: the label's access check, and no
 * token whose caveat says `action: withhold`. On false, `why` names the rule. */
static bool marking_admits(const struct filter *f, const struct ism_marking *m, char *why,
                           size_t whylen)
{
	const struct policy_domain *dst = f->req->destination;
	const char *token = NULL;
	if (f->profile == FILTER_S4774) {
		if (m == &f->doc.banner)
			return s4774_admits(f, &f->s4774.banner, NULL, why, whylen);
		size_t i = (size_t)(m - f->doc.portions);
		f->translated_ok[i] = s4774_admits(f, &f->s4774.portions[i], &f->translated[i], why,
		                                   whylen);
		return f->translated_ok[i];
	}
	if (!label_access_check(&m->label, f->scheme, dst->clearance, &dst->holds, why, whylen))
		return false;
	if (ism_marking_has_action(m, f->req->policy, CAVEAT_WITHHOLD, &token)) {
		snprintf(why, whylen, "caveat %s: action withhold", token);
		return false;
	}
	return true;
}

/* Decides every portion; withholds (records) or refuses. */
static bool decide_portions(struct filter *f)
{
	const struct policy_domain *dst = f->req->destination;
	char why[512];

	for (size_t i = 0; i < f->doc.nportions; i++) {
		const struct ism_marking *m = &f->doc.portions[i];
		if (m->parent >= 0 && f->removed[m->parent]) {
			f->removed[i] = true; /* goes with its enclosing portion */
			continue;
		}
		if (marking_admits(f, m, why, sizeof(why)))
			continue;
		if (f->req->flow->portions == PORTIONS_REFUSE)
			return refuse(f, "portion.refuse", m->line,
			              "portion <%s> may not go to %s (%s) and the flow %s -> %s has "
			              "portions: refuse", (const char *)m->node->name, dst->name, why,
			              f->req->flow->from, dst->name);
		char *loc = xml_node_location(m->node);
		char rule[600];
		snprintf(rule, sizeof(rule), "%s", why);
		release_result_add_removal(f->out, loc, m->line, rule);
		free(loc);
		f->removed[i] = true;
	}
	return true;
}

/* Content outside every portion carries the banner's label (SPEC 3). Returns false on refusal;
 * sets *kept when such content remains in the output. */
static bool decide_outside(struct filter *f, xmlNodePtr n, bool *kept, int *decided_ok)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (portion_index(f, n) >= 0)
			continue; /* a portion: its content is its own */
		if (s4774_is_marking_element(n))
			continue; /* a label, not content */
		bool has_content = false;
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			    !is_blank(c->content))
				has_content = true;
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
			if (!attr_is_marking(a))
				has_content = true;
		if (has_content) {
			if (*decided_ok < 0) {
				char why[400];
				const struct policy_domain *dst = f->req->destination;
				*decided_ok = marking_admits(f, &f->doc.banner, why, sizeof(why)) ? 1 : 0;
				if (!*decided_ok && f->req->flow->portions == PORTIONS_REFUSE)
					return refuse(f, "outside.refuse", (unsigned)xmlGetLineNo(n),
					              "content outside portions in <%s> carries the banner's "
					              "label, which may not go to %s (%s), and the flow has "
					              "portions: refuse", (const char *)n->name, dst->name, why);
				if (!*decided_ok) {
					snprintf(f->redact_location, 512, "outside portions, banner label: %s",
					         why);
				}
			}
			if (*decided_ok) {
				*kept = true;
			} else {
				/* remove the text and the non-marking attributes */
				xmlNodePtr c = n->children;
				while (c != NULL) {
					xmlNodePtr next = c->next;
					if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
					    !is_blank(c->content)) {
						xmlUnlinkNode(c);
						xmlFreeNode(c);
					}
					c = next;
				}
				xmlAttrPtr a = n->properties;
				while (a != NULL) {
					xmlAttrPtr next = a->next;
					if (!attr_is_marking(a))
						xmlRemoveProp(a);
					a = next;
				}
				char *loc = xml_node_location(n);
				release_result_add_removal(f->out, loc, (unsigned)xmlGetLineNo(n),
				                           f->redact_location);
				free(loc);
			}
		}
		if (!decide_outside(f, n->children, kept, decided_ok))
			return false;
	}
	return true;
}

static void apply_removals(struct filter *f)
{
	for (size_t i = 0; i < f->doc.nportions; i++) {
		const struct ism_marking *m = &f->doc.portions[i];
		if (!f->removed[i] || (m->parent >= 0 && f->removed[m->parent]))
			continue;
		xmlNodePtr node = m->node;
		if (f->req->flow->marker == MARKER_WITHHELD) {
			xmlNodePtr marker = xmlNewDocNode(node->doc, NULL, (const xmlChar *)"withheld",
			                                  NULL);
			xmlNsPtr ns = xmlNewNs(marker, (const xmlChar *)SLUICE_WITHHELD_NS,
			                       (const xmlChar *)"sluice");
			xmlSetNs(marker, ns);
			xmlReplaceNode(node, marker);
		} else {
			xmlUnlinkNode(node);
		}
		xmlFreeNode(node);
	}
}

/* ---- namespace declarations outside portions ----
 * A namespace declaration (prefix and URI) on an element outside every portion is content
 * carrying the banner's label, like that element's text and attributes; libxml2 keeps it apart
 * from the attributes (nsDef). When that content is withheld, every declaration no remaining
 * element or attribute uses goes too; the ones still in use (ism:, a kept portion's prefix)
 * stay, or the tree would not serialise. One pass collects the namespaces in use. */
struct ns_set {
	const void **v;
	size_t n, cap;
};

static void ns_set_add(struct ns_set *s, const void *p)
{
	if (p == NULL)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = p;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
	return x < y ? -1 : x > y;
}

static void ns_collect_used(xmlNodePtr n, struct ns_set *s)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		ns_set_add(s, n->ns);
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
			ns_set_add(s, a->ns);
		ns_collect_used(n->children, s);
	}
}

/* Drops unused declarations from the elements outside portions (not below any portion). */
static void drop_outside_ns(const struct filter *f, xmlNodePtr n, const struct ns_set *used)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || portion_index(f, n) >= 0 ||
		    s4774_is_marking_element(n))
			continue;
		xmlNsPtr *link = &n->nsDef;
		while (*link != NULL) {
			xmlNsPtr ns = *link;
			const void *key = ns;
			if (bsearch(&key, used->v, used->n, sizeof(*used->v), ptr_cmp) == NULL) {
				*link = ns->next;
				ns->next = NULL;
				xmlFreeNs(ns);
			} else {
				link = &ns->next;
			}
		}
		drop_outside_ns(f, n->children, used);
	}
}

static void withhold_outside_ns(const struct filter *f, xmlDocPtr doc)
{
	struct ns_set used = { NULL, 0, 0 };
	xmlNodePtr root = xmlDocGetRootElement(doc);
	ns_collect_used(root, &used);
	if (used.n > 0)
		qsort(used.v, used.n, sizeof(*used.v), ptr_cmp);
	drop_outside_ns(f, root, &used);
	free(used.v);
}

static void on_redact_hit(void *arg, const char *rule, unsigned count)
{
	struct filter *f = arg;
	release_result_add_redaction(f->out, f->redact_location, rule, count);
}

static bool redact_tree(struct filter *f, xmlNodePtr n)
{
	struct sluice_error err;
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int pi = portion_index(f, n);
		if (pi >= 0 && f->removed[pi])
			continue; /* withheld: never redacted, never released */
		if (s4774_is_marking_element(n))
			continue; /* labels are re-marked, never redacted */
		char *loc = NULL;
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
			if ((attr_is_ism(a) && ism_attribute_is_marking(a->name)) ||
			    tlp_attribute_is_marking(a))
				continue;
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
			if (v == NULL)
				continue;
			if (loc == NULL)
				loc = xml_node_location(n);
			snprintf(f->redact_location, 512, "%s/@%s", loc, (const char *)a->name);
			char *out = NULL;
			size_t outlen = 0;
			enum sluice_rc rc = redactor_apply(f->req->redactor, (const char *)v,
			                                   strlen((const char *)v), &out, &outlen,
			                                   on_redact_hit, f, &err);
			xmlFree(v);
			if (rc != SLUICE_OK) {
				free(loc);
				set_outcome(f, rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID
				                                               : RELEASE_ERROR, &err);
				return false;
			}
			if (out != NULL) {
				xmlSetNsProp(n, a->ns, a->name, (const xmlChar *)out);
				free(out);
			}
		}
		for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
			if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
				continue;
			if (c->content == NULL || is_blank(c->content))
				continue;
			if (loc == NULL)
				loc = xml_node_location(n);
			snprintf(f->redact_location, 512, "%s/text()", loc);
			char *out = NULL;
			size_t outlen = 0;
			enum sluice_rc rc = redactor_apply(f->req->redactor, (const char *)c->content,
			                                   strlen((const char *)c->content), &out,
			                                   &outlen, on_redact_hit, f, &err);
			if (rc != SLUICE_OK) {
				free(loc);
				set_outcome(f, rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID
				                                               : RELEASE_ERROR, &err);
				return false;
			}
			if (out != NULL) {
				xmlNodeSetContent(c, (const xmlChar *)out);
				free(out);
			}
		}
		free(loc);
		if (!redact_tree(f, n->children))
			return false;
	}
	return true;
}

/* Inserts `label` as an alternativeConfidentialityLabel right after `after`. */
static void add_alternative(xmlDocPtr doc, xmlNodePtr after, const struct spif_label *label)
{
	xmlNodePtr alt = s4774_label_element(doc, after->ns, S4774_ALTERNATIVE, label);
	xmlAddNextSibling(after, alt);
}

/* The stanag4774 re-marking: the banner becomes the roll-up of what remains, in the source's
 * policy; when the destination works under an equivalent policy, every remaining portion and
 * the banner also carry their label in it. The recomputed banner must pass the destination's
 * clearance. */
static bool s4774_remark(struct filter *f, xmlDocPtr doc, const struct ism_marking *const *kept,
                         size_t nkept)
{
	const struct policy_domain *dst = f->req->destination;
	const struct spif *src_spif = f->source->spif_scheme->spif;
	const struct spif *dst_spif = dst->spif_scheme->spif;
	const struct spif_label **labels = xcalloc(nkept + 1, sizeof(*labels));
	struct spif_label banner, banner_dst;
	struct sluice_error e;
	bool ok = false;

	memset(&banner_dst, 0, sizeof(banner_dst));
	for (size_t i = 0; i < nkept; i++)
		labels[i] = s4774_label_of(f, kept[i]);
	if (spif_label_rollup(src_spif, labels, nkept, &banner, &e) != SLUICE_OK) {
		free(labels);
		return refuse(f, e.rule, f->doc.banner.line, "%s", e.message);
	}
	if (spif_label_check(&banner, &e) != SLUICE_OK) {
		(void)refuse(f, "banner.invalid", f->doc.banner.line,
		             "the recomputed banner is not a valid label of policy %s: %s",
		             src_spif->policy_name, e.message);
		goto out;
	}
	const struct spif_label *for_dst = &banner;
	if (dst_spif != src_spif) {
		if (spif_label_translate(&banner, dst_spif, &banner_dst, &e) != SLUICE_OK) {
			(void)refuse(f, "banner.no-equivalent", f->doc.banner.line,
			             "the recomputed banner has no equivalent in policy %s: %s",
			             dst_spif->policy_name, e.message);
			goto out;
		}
		for_dst = &banner_dst;
	}
	char *shown = spif_label_marking(for_dst, "", SPIF_LOC_PAGE_BOTTOM);
	if (spif_access_check(for_dst, dst->spif_clearance, &e) != SLUICE_OK) {
		(void)refuse(f, "banner.denied", f->doc.banner.line,
		             "the recomputed banner %s may not go to %s (%s)", shown, dst->name,
		             e.message);
		free(shown);
		goto out;
	}
	f->out->banner = shown;
	if (dst_spif != src_spif)
		f->out->source_banner = spif_label_marking(&banner, "", SPIF_LOC_PAGE_BOTTOM);

	/* The tree: the sender's alternative labels go; the new banner replaces the old; the
	 * destination's labels join the remaining portions. */
	xmlNodePtr root = xmlDocGetRootElement(doc);
	s4774_embed_bound_labels(&f->doc, &f->s4774, f->removed);
	s4774_drop_bindings(root);
	s4774_drop_alternatives(root);
	xmlNodePtr old = f->s4774.banner_element;
	enum s4774_kind kind =
		strcmp((const char *)old->name, "ConfidentialityLabel") == 0 ? S4774_LEGACY
		                                                             : S4774_ORIGINATOR;
	xmlNodePtr fresh = s4774_label_element(doc, old->ns, kind, &banner);
	xmlReplaceNode(old, fresh);
	xmlFreeNode(old);
	f->s4774.banner_element = fresh;
	if (dst_spif != src_spif) {
		add_alternative(doc, fresh, &banner_dst);
		for (size_t i = 0; i < f->doc.nportions; i++)
			if (!f->removed[i] && f->translated_ok[i])
				add_alternative(doc, f->s4774.portion_elements[i], &f->translated[i]);
	}
	ok = true;
out:
	spif_label_free(&banner);
	spif_label_free(&banner_dst);
	free(labels);
	return ok;
}

void release_filter(const struct release_request *req, const uint8_t *report, size_t len,
                    struct release_result *out)
{
	struct filter f;
	struct sluice_error err;
	xmlDocPtr doc = NULL;
	const struct ism_marking **kept = NULL;
	char redact_location[512] = "";
	struct label new_banner;
	bool have_banner_label = false;
	struct xml_position *positions = NULL;

	release_result_init(out);
	memset(&f, 0, sizeof(f));
	f.req = req;
	f.out = out;
	f.redact_location = redact_location;
	memset(&new_banner, 0, sizeof(new_banner));
	f.source = policy_domain_find(req->policy, req->flow->from);
	const char *profile = f.source != NULL ? f.source->profile : req->policy->profile;
	f.scheme = f.source != NULL ? f.source->scheme : NULL;
	f.tlp = strcmp(profile, "tlp") == 0;
	f.profile = f.tlp ? FILTER_TLP : strcmp(profile, "stanag4774") == 0 ? FILTER_S4774
	                                                                      : FILTER_ISM;
	/* The policy loader refuses flows across profiles; fail closed all the same. */
	if (f.scheme == NULL || f.source == NULL ||
	    (f.profile == FILTER_ISM && strcmp(profile, "ism") != 0) ||
	    strcmp(profile, req->destination->profile) != 0 ||
	    (f.profile == FILTER_S4774 &&
	     (f.source->spif_scheme == NULL || req->destination->spif_scheme == NULL ||
	      req->destination->spif_clearance == NULL))) {
		sluice_fail(&err, SLUICE_ERR_POLICY, "policy.profile",
		            "profile %s is not supported from %s to %s", profile, req->flow->from,
		            req->destination->name);
		set_outcome(&f, RELEASE_ERROR, &err);
		return;
	}
	struct xml_limits lim = { req->policy->limits.max_bytes, req->policy->limits.max_depth,
	                          req->policy->limits.max_nodes };
	if (xml_intake_parse(report, len, &lim, &doc, &err) != SLUICE_OK) {
		set_outcome(&f, err.rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR,
		            &err);
		return;
	}
	if (req->schema != NULL && schema_validate(req->schema, doc, &err) != SLUICE_OK) {
		set_outcome(&f, err.rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR,
		            &err);
		goto out;
	}
	(void)xml_strip_comments_and_pis(doc);
	(void)xml_strip_fetch_hints(doc);
	enum sluice_rc read_rc =
		f.profile == FILTER_TLP ? tlp_document_read(doc, req->policy, f.source, &f.doc, &err)
		: f.profile == FILTER_S4774 ? s4774_document_read(doc, f.source, &f.doc, &f.s4774, &err)
		                            : ism_document_read(doc, req->policy, &f.doc, &err);
	if (read_rc != SLUICE_OK) {
		set_outcome(&f, err.rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR,
		            &err);
		goto out;
	}
	f.removed = xcalloc(f.doc.nportions ? f.doc.nportions : 1, sizeof(*f.removed));
	f.translated = xcalloc(f.doc.nportions ? f.doc.nportions : 1, sizeof(*f.translated));
	f.translated_ok = xcalloc(f.doc.nportions ? f.doc.nportions : 1, sizeof(*f.translated_ok));
	size_t nelements = 0;
	positions = xml_index_positions(doc, &nelements);
	for (size_t i = 0; i < f.doc.nportions; i++)
		((struct xml_position *)f.doc.portions[i].node->_private)->portion = (int)i;
	/* What `policy explain` shows: every marking as people write it, never content. Only on
	 * request: a release does not pay for strings nobody reads. */
	if (req->explain) {
		out->banner_before = marking_label(&f, &f.doc.banner);
		for (size_t i = 0; i < f.doc.nportions; i++) {
			char *loc = xml_node_location(f.doc.portions[i].node);
			char *label = marking_label(&f, &f.doc.portions[i]);
			release_result_add_portion(out, loc, f.doc.portions[i].line, label, false);
			free(loc);
			free(label);
		}
	}
	bool decided = check_refuse_caveats(&f) && decide_portions(&f);
	for (size_t i = 0; i < out->nportions; i++)
		out->portions[i].withheld = f.removed[i];
	if (!decided)
		goto out;
	bool outside_kept = false;
	int outside_ok = -1;
	if (!decide_outside(&f, xmlDocGetRootElement(doc), &outside_kept, &outside_ok))
		goto out;
	/* The markings that remain, taken before the tree changes. */
	kept = xcalloc(f.doc.nportions + 1, sizeof(*kept));
	size_t nkept = 0;
	for (size_t i = 0; i < f.doc.nportions; i++)
		if (!f.removed[i] && !f.doc.portions[i].excluded)
			kept[nkept++] = &f.doc.portions[i];
	if (outside_kept)
		kept[nkept++] = &f.doc.banner;
	/* Redact before removing, so that locations name elements as the sender's copy has them. */
	if (!redact_tree(&f, xmlDocGetRootElement(doc)))
		goto out;
	apply_removals(&f);
	for (size_t i = 0; i < f.doc.nportions; i++)
		if (f.removed[i])
			f.doc.portions[i].node = NULL;
	/* Namespace declarations outside portions carry the banner's label too, also where
	 * there is no text outside portions (outside_ok < 0: not decided yet). */
	if (outside_ok < 0) {
		char why_ns[400];
		outside_ok = marking_admits(&f, &f.doc.banner, why_ns, sizeof(why_ns)) ? 1 : 0;
	}
	if (outside_ok == 0)
		withhold_outside_ns(&f, doc);
	if (f.profile == FILTER_S4774) {
		if (!s4774_remark(&f, doc, kept, nkept))
			goto out;
		if (req->flow->signed_binding && req->binding_cert != NULL &&
		    s4778_bind(doc, f.s4774.banner_element, req->binding_cert, req->binding_cert_len,
		               (enum s4778_sig_alg)req->binding_alg, req->binding_placeholder,
		               &out->signed_info, &out->signed_info_len, &err) != SLUICE_OK) {
			set_outcome(&f, RELEASE_ERROR, &err);
			goto out;
		}
		goto serialise;
	}
	if (f.tlp)
		tlp_remark(&f.doc, kept, nkept, req->policy, f.source, &new_banner, &out->banner);
	else
		ism_remark(&f.doc, kept, nkept, req->policy, &new_banner, &out->banner);
	have_banner_label = true;
	char why[512];
	if (!label_access_check(&new_banner, f.scheme, req->destination->clearance,
	                        &req->destination->holds, why, sizeof(why))) {
		(void)refuse(&f, "banner.denied", f.doc.banner.line,
		             "the recomputed banner %s may not go to %s (%s)", out->banner,
		             req->destination->name, why);
		goto out;
	}
serialise:
	if (xml_serialize(doc, &out->output, &out->outlen, &err) != SLUICE_OK) {
		set_outcome(&f, RELEASE_ERROR, &err);
		goto out;
	}
	out->decision = RELEASE_RELEASED;
	sluice_error_clear(&out->error);
out:
	if (out->decision != RELEASE_RELEASED) {
		free(out->output);
		out->output = NULL;
		out->outlen = 0;
		free(out->banner);
		out->banner = NULL;
		free(out->source_banner);
		out->source_banner = NULL;
		free(out->signed_info);
		out->signed_info = NULL;
		out->signed_info_len = 0;
	}
	for (size_t i = 0; f.translated != NULL && i < f.doc.nportions; i++)
		spif_label_free(&f.translated[i]);
	free(f.translated);
	free(f.translated_ok);
	s4774_labels_free(&f.s4774);
	if (have_banner_label)
		label_free(&new_banner);
	free(kept);
	free(f.removed);
	free(positions);
	ism_document_free(&f.doc);
	if (doc != NULL)
		xmlFreeDoc(doc);
}
