/*
 * Open XML SPIF 2.1 loader. The bytes go through xml_intake_parse (the hardened intake); this
 * file walks the tree element by element, refuses what the SPIF 2.1 schema does not allow
 * (unknown elements in the SPIF namespace or in none, missing attributes, bad values), the
 * duplicates and dangling references the schema's keys forbid, and what would make labels
 * ambiguous (two classifications of the same hierarchy, names differing only by case).
 * Element order inside a holder is not checked: it carries no meaning.
 */
#include "spif.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "fileio.h"
#include "xml_fields.h"
#include "xml_intake.h"

static const struct xml_limits spif_limits = { SPIF_MAX_BYTES, 64, 2000000 };

struct loader {
	const char *file;
	struct sluice_error *err;
	struct spif *spif;
	size_t ordinal;
};

static int fail(struct loader *L, xmlNodePtr n, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a SPIF error at the line of `n` (0 when NULL) and returns -1. */
static int fail(struct loader *L, xmlNodePtr n, const char *rule, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sluice_fail_at(L->err, SLUICE_ERR_POLICY, rule, L->file,
	               n != NULL ? (unsigned)xmlGetLineNo(n) : 0, 0, "%s", msg);
	return -1;
}

/* ---- small helpers on the tree ---------------------------------------------------------- */

static bool in_spif_ns(xmlNodePtr n)
{
	return xml_in_namespace(n, SPIF_NAMESPACE);
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return xml_is_element(n, SPIF_NAMESPACE, name);
}

/* The next element child from `n` on (n itself included), or NULL. Non-blank text where only
 * elements may stand is an error (returned through *bad). */
static xmlNodePtr element_from(xmlNodePtr n, xmlNodePtr *bad)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			return n;
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
		    !xml_text_is_blank(n->content) && *bad == NULL)
			*bad = n;
	}
	return NULL;
}

#define FOR_EACH_CHILD(child, parent, bad)                                                   \
	for (xmlNodePtr child = element_from((parent)->children, &(bad)); child != NULL;        \
	     child = element_from(child->next, &(bad)))

static int check_text(struct loader *L, xmlNodePtr parent, xmlNodePtr bad)
{
	if (bad != NULL)
		return fail(L, bad, "spif.unexpected-text", "text is not allowed inside <%s>",
		            (const char *)parent->name);
	return 0;
}

static int unknown_element(struct loader *L, xmlNodePtr parent, xmlNodePtr n)
{
	if (!in_spif_ns(n))
		return fail(L, n, "spif.unknown-element",
		            "<%s> in %s%s is not allowed inside <%s> (SPIF elements are in the "
		            "namespace " SPIF_NAMESPACE ")",
		            (const char *)n->name,
		            n->ns != NULL && n->ns->href != NULL ? "the namespace " : "no namespace",
		            n->ns != NULL && n->ns->href != NULL ? (const char *)n->ns->href : "",
		            (const char *)parent->name);
	return fail(L, n, "spif.unknown-element", "<%s> is not allowed inside <%s>",
	            (const char *)n->name, (const char *)parent->name);
}

/* Refuses more than `max` <name> children of `n`. */
static int at_most(struct loader *L, xmlNodePtr n, const char *name, size_t count, size_t max)
{
	if (count > max)
		return fail(L, n, "spif.too-many", "<%s> has %zu <%s> elements; at most %zu are accepted",
		            (const char *)n->name, count, name, max);
	return 0;
}

/* An element that may hold no child element and no text. */
static int no_children(struct loader *L, xmlNodePtr n)
{
	xmlNodePtr bad = NULL;
	FOR_EACH_CHILD(c, n, bad)
		return unknown_element(L, n, c);
	return check_text(L, n, bad);
}

static size_t count_children(xmlNodePtr parent, const char *name)
{
	size_t n = 0;
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (is_elem(c, name))
			n++;
	return n;
}


static int attr_required(struct loader *L, xmlNodePtr n, const char *name, char **out)
{
	*out = xml_attr_dup(n, name);
	if (*out == NULL)
		return fail(L, n, "spif.missing-attribute", "<%s> needs the attribute %s",
		            (const char *)n->name, name);
	return 0;
}

static int attr_nonempty(struct loader *L, xmlNodePtr n, const char *name, char **out)
{
	if (attr_required(L, n, name, out) != 0)
		return -1;
	if (xml_text_is_blank((const xmlChar *)*out))
		return fail(L, n, "spif.value", "<%s %s> is empty", (const char *)n->name, name);
	return 0;
}




static bool decimal(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool oid_syntax(const char *s)
{
	/* [0-2](\.[0-9]+)+ */
	if (s[0] < '0' || s[0] > '2' || s[1] != '.')
		return false;
	s++;
	while (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static int attr_oid(struct loader *L, xmlNodePtr n, const char *name, char **out)
{
	char buf[96];
	if (attr_nonempty(L, n, name, out) != 0)
		return -1;
	if (!oid_syntax(*out))
		return fail(L, n, "spif.value", "<%s %s=\"%s\"> is not an OID (like 1.3.26.1.3.1)",
		            (const char *)n->name, name, xml_quote(*out, buf, sizeof(buf)));
	return 0;
}

static int parse_bool(struct loader *L, xmlNodePtr n, const char *name, bool dflt, bool *out)
{
	char *v = xml_attr_dup(n, name);
	int rc = 0;
	*out = dflt;
	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		rc = fail(L, n, "spif.value", "<%s %s> must be true or false",
		          (const char *)n->name, name);
	free(v);
	return rc;
}

/* selection: a non-negative integer or "unbounded" (-1). */
static int parse_selection(struct loader *L, xmlNodePtr n, const char *name, long *out)
{
	char *v = xml_attr_dup(n, name);
	int rc = 0;
	*out = -1;
	if (v == NULL || strcmp(v, "unbounded") == 0) {
		free(v);
		return 0;
	}
	errno = 0;
	char *end = NULL;
	long x = decimal(v) ? strtol(v, &end, 10) : -1;
	if (x < 0 || errno != 0)
		rc = fail(L, n, "spif.value", "<%s %s> must be a number or unbounded",
		          (const char *)n->name, name);
	else
		*out = x;
	free(v);
	return rc;
}

static int parse_tag_type(struct loader *L, xmlNodePtr n, enum spif_tag_type *out)
{
	char *t = NULL, *e = NULL;
	int rc = 0;
	if (attr_required(L, n, "tagType", &t) != 0)
		return -1;
	e = xml_attr_dup(n, "enumType");
	if (strcmp(t, "restrictive") == 0) {
		*out = SPIF_TAG_RESTRICTIVE;
	} else if (strcmp(t, "permissive") == 0) {
		*out = SPIF_TAG_PERMISSIVE;
	} else if (strcmp(t, "tagType7") == 0) {
		*out = SPIF_TAG_INFORMATIVE;
	} else if (strcmp(t, "enumerated") == 0) {
		if (e != NULL && strcmp(e, "restrictive") == 0)
			*out = SPIF_TAG_ENUM_RESTRICTIVE;
		else if (e != NULL && strcmp(e, "permissive") == 0)
			*out = SPIF_TAG_ENUM_PERMISSIVE;
		else
			rc = fail(L, n, "spif.value",
			          "<%s tagType=\"enumerated\"> needs enumType restrictive or permissive",
			          (const char *)n->name);
	} else {
		char buf[96];
		rc = fail(L, n, "spif.value",
		          "<%s tagType=\"%s\"> is not restrictive, permissive, enumerated or tagType7",
		          (const char *)n->name, xml_quote(t, buf, sizeof(buf)));
	}
	free(t);
	free(e);
	return rc;
}

static int parse_applied(struct loader *L, xmlNodePtr n, unsigned *out)
{
	char *a = NULL;
	int rc = 0;
	if (attr_required(L, n, "applied", &a) != 0)
		return -1;
	if (strcmp(a, "encrypt") == 0)
		*out = SPIF_APPLIED_ENCRYPT;
	else if (strcmp(a, "decrypt") == 0)
		*out = SPIF_APPLIED_DECRYPT;
	else if (strcmp(a, "both") == 0)
		*out = SPIF_APPLIED_ENCRYPT | SPIF_APPLIED_DECRYPT;
	else
		rc = fail(L, n, "spif.value", "<%s applied> must be encrypt, decrypt or both",
		          (const char *)n->name);
	free(a);
	return rc;
}

/* ---- markings ------------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bits;
} marking_codes[] = {
	{ "pageTop", SPIF_LOC_PAGE_TOP },
	{ "pageBottom", SPIF_LOC_PAGE_BOTTOM },
	{ "pageTopBottom", SPIF_LOC_PAGE_TOP | SPIF_LOC_PAGE_BOTTOM },
	{ "documentStart", SPIF_LOC_DOCUMENT_START },
	{ "documentEnd", SPIF_LOC_DOCUMENT_END },
	{ "firstLineOfText", SPIF_LOC_FIRST_LINE },
	{ "lastLineOfText", SPIF_LOC_LAST_LINE },
	{ "subject", SPIF_LOC_SUBJECT },
	{ "xHeader", SPIF_LOC_X_HEADER },
	{ "portionMarking", SPIF_LOC_PORTION },
	{ "inputTitle", SPIF_LOC_INPUT_TITLE },
	{ "waterMark", SPIF_LOC_WATERMARK },
	{ "noNameDisplay", SPIF_CODE_NO_NAME_DISPLAY },
	{ "noMarkingDisplay", SPIF_CODE_NO_MARKING_DISPLAY },
	{ "suppressClassName", SPIF_CODE_SUPPRESS_CLASS_NAME },
	{ "replacePolicy", SPIF_CODE_REPLACE_POLICY },
};

static int parse_marking_data(struct loader *L, xmlNodePtr n, struct spif_marking_data *md)
{
	xmlNodePtr bad = NULL;
	md->lang = xml_lang_dup(n);
	md->phrase = xml_attr_dup(n, "phrase");
	md->codes = 0;
	size_t ncodes = 0;
	FOR_EACH_CHILD(c, n, bad) {
		if (!is_elem(c, "code"))
			return unknown_element(L, n, c);
		char *code = xml_text_dup(c, false);
		size_t k;
		for (k = 0; k < sizeof(marking_codes) / sizeof(marking_codes[0]); k++)
			if (strcmp(code, marking_codes[k].name) == 0)
				break;
		if (k == sizeof(marking_codes) / sizeof(marking_codes[0])) {
			char buf[96];
			fail(L, c, "spif.value", "unknown marking code '%s'",
			     xml_quote(code, buf, sizeof(buf)));
			free(code);
			return -1;
		}
		free(code);
		md->codes |= marking_codes[k].bits;
		ncodes++;
	}
	if (check_text(L, n, bad) != 0)
		return -1;
	if (ncodes == 0)
		return fail(L, n, "spif.missing-element", "<markingData> needs at least one <code>");
	if ((md->codes & SPIF_LOC_ALL) == 0)
		md->codes |= SPIF_LOC_PAGE_BOTTOM;
	return 0;
}

static int parse_marking_qualifier(struct loader *L, xmlNodePtr n, struct spif_markings *m)
{
	xmlNodePtr bad = NULL;
	size_t nq = 0;
	FOR_EACH_CHILD(c, n, bad) {
		if (!is_elem(c, "qualifier"))
			return unknown_element(L, n, c);
		nq++;
	}
	if (check_text(L, n, bad) != 0)
		return -1;
	if (nq == 0)
		return fail(L, n, "spif.missing-element",
		            "<markingQualifier> needs at least one <qualifier>");
	char *mc = xml_attr_dup(n, "markingCode");
	if (mc != NULL) {
		size_t k;
		for (k = 0; k < sizeof(marking_codes) / sizeof(marking_codes[0]); k++)
			if (strcmp(mc, marking_codes[k].name) == 0)
				break;
		free(mc);
		if (k == sizeof(marking_codes) / sizeof(marking_codes[0]))
			return fail(L, n, "spif.value", "unknown markingCode on <markingQualifier>");
	}
	if (at_most(L, n->parent, "qualifier", m->nquals + nq, SPIF_MAX_PER_HOLDER) != 0)
		return -1;
	m->quals = xrealloc(m->quals, (m->nquals + nq) * sizeof(*m->quals));
	FOR_EACH_CHILD(c, n, bad) {
		struct spif_qualifier *q = &m->quals[m->nquals];
		char *code = NULL;
		memset(q, 0, sizeof(*q));
		q->lang = xml_lang_dup(c);
		m->nquals++;
		if (attr_required(L, c, "markingQualifier", &q->text) != 0 ||
		    attr_required(L, c, "qualifierCode", &code) != 0) {
			free(code);
			return -1;
		}
		if (strcmp(code, "prefix") == 0)
			q->code = SPIF_QUAL_PREFIX;
		else if (strcmp(code, "suffix") == 0)
			q->code = SPIF_QUAL_SUFFIX;
		else if (strcmp(code, "separator") == 0)
			q->code = SPIF_QUAL_SEPARATOR;
		else {
			free(code);
			return fail(L, c, "spif.value",
			            "<qualifier qualifierCode> must be prefix, suffix or separator");
		}
		free(code);
	}
	return 0;
}

/* Handles <markingData> and <markingQualifier> children; 1 when `c` was one of them. */
static int marking_child(struct loader *L, xmlNodePtr c, struct spif_markings *m, bool data_ok)
{
	if (data_ok && is_elem(c, "markingData")) {
		if (at_most(L, c->parent, "markingData", m->ndata + 1, SPIF_MAX_PER_HOLDER) != 0)
			return -1;
		m->data = xrealloc(m->data, (m->ndata + 1) * sizeof(*m->data));
		struct spif_marking_data *md = &m->data[m->ndata++];
		memset(md, 0, sizeof(*md));
		return parse_marking_data(L, c, md) == 0 ? 1 : -1;
	}
	if (is_elem(c, "markingQualifier"))
		return parse_marking_qualifier(L, c, m) == 0 ? 1 : -1;
	return 0;
}

static void markings_free(struct spif_markings *m)
{
	for (size_t i = 0; i < m->ndata; i++) {
		free(m->data[i].lang);
		free(m->data[i].phrase);
	}
	for (size_t i = 0; i < m->nquals; i++) {
		free(m->quals[i].lang);
		free(m->quals[i].text);
	}
	free(m->data);
	free(m->quals);
}

/* ---- category rules (optionalCategoryData, optionalCategoryGroup) ------------------------ */

static int parse_category_ref(struct loader *L, xmlNodePtr n, struct spif_category_ref *r)
{
	bool all = false;
	r->line = (unsigned)xmlGetLineNo(n);
	if (attr_nonempty(L, n, "tagSetRef", &r->tag_set) != 0 || parse_tag_type(L, n, &r->type) != 0 ||
	    parse_bool(L, n, "all", false, &all) != 0)
		return -1;
	r->lacv = xml_attr_dup(n, "lacv");
	if (r->lacv != NULL && all)
		return fail(L, n, "spif.value", "<%s> has both lacv and all=\"true\"",
		            (const char *)n->name);
	if (r->lacv != NULL && r->lacv[0] == '\0')
		return fail(L, n, "spif.value", "<%s lacv> is empty", (const char *)n->name);
	return no_children(L, n);
}

static int parse_category_group(struct loader *L, xmlNodePtr n, struct spif_category_group *g)
{
	xmlNodePtr bad = NULL;
	char *op = NULL;
	g->line = (unsigned)xmlGetLineNo(n);
	g->op = SPIF_OP_ALL;
	op = xml_attr_dup(n, "operation");
	if (op != NULL) {
		if (strcmp(op, "onlyOne") == 0)
			g->op = SPIF_OP_ONLY_ONE;
		else if (strcmp(op, "oneOrMore") == 0)
			g->op = SPIF_OP_ONE_OR_MORE;
		else if (strcmp(op, "all") == 0)
			g->op = SPIF_OP_ALL;
		else {
			free(op);
			return fail(L, n, "spif.value",
			            "<requiredCategory operation> must be onlyOne, oneOrMore or all");
		}
		free(op);
	} else {
		return fail(L, n, "spif.missing-attribute",
		            "<requiredCategory> needs the attribute operation");
	}
	g->refs = xcalloc(count_children(n, "categoryGroup") + 1, sizeof(*g->refs));
	FOR_EACH_CHILD(c, n, bad) {
		if (!is_elem(c, "categoryGroup"))
			return unknown_element(L, n, c);
		if (parse_category_ref(L, c, &g->refs[g->nrefs++]) != 0)
			return -1;
	}
	if (check_text(L, n, bad) != 0)
		return -1;
	if (g->nrefs == 0)
		return fail(L, n, "spif.missing-element",
		            "<requiredCategory> needs at least one <categoryGroup>");
	return 0;
}

static void category_ref_free(struct spif_category_ref *r)
{
	free(r->tag_set);
	free(r->lacv);
}

static void category_groups_free(struct spif_category_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < g[i].nrefs; k++)
			category_ref_free(&g[i].refs[k]);
		free(g[i].refs);
	}
	free(g);
}

/* Parses a <requiredCategory> child into the growing array; 1 when `c` was one. */
static int required_child(struct loader *L, xmlNodePtr c, struct spif_category_group **groups,
                          size_t *n)
{
	if (!is_elem(c, "requiredCategory"))
		return 0;
	if (at_most(L, c->parent, "requiredCategory", *n + 1, SPIF_MAX_PER_HOLDER) != 0)
		return -1;
	*groups = xrealloc(*groups, (*n + 1) * sizeof(**groups));
	memset(&(*groups)[*n], 0, sizeof(**groups));
	(*n)++;
	return parse_category_group(L, c, &(*groups)[*n - 1]) == 0 ? 1 : -1;
}

/* An element that may only hold <requiredCategory> children (the equivalences). */
static int required_children_only(struct loader *L, xmlNodePtr n,
                                  struct spif_category_group **groups, size_t *ngroups)
{
	xmlNodePtr bad = NULL;
	FOR_EACH_CHILD(c, n, bad) {
		int k = required_child(L, c, groups, ngroups);
		if (k < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, n, c);
	}
	return check_text(L, n, bad);
}

/* ---- equivalent policies ----------------------------------------------------------------- */

static int parse_equiv_policy_ref(struct loader *L, xmlNodePtr n,
                                  const struct spif_equiv_policy **out)
{
	char *ref = NULL;
	char buf[96];
	if (attr_nonempty(L, n, "policyRef", &ref) != 0)
		return -1;
	*out = NULL;
	for (size_t i = 0; i < L->spif->nequiv_policies; i++)
		if (strcasecmp(L->spif->equiv_policies[i].name, ref) == 0)
			*out = &L->spif->equiv_policies[i];
	if (*out == NULL) {
		fail(L, n, "spif.unknown-policy",
		     "<%s policyRef=\"%s\"> names no <equivalentPolicy>", (const char *)n->name,
		     xml_quote(ref, buf, sizeof(buf)));
		free(ref);
		return -1;
	}
	free(ref);
	return 0;
}

static int parse_equivalent_policies(struct loader *L, xmlNodePtr n)
{
	struct spif *s = L->spif;
	xmlNodePtr bad = NULL;
	char buf[96];
	size_t total = count_children(n, "equivalentPolicy");
	if (at_most(L, n, "equivalentPolicy", total, SPIF_MAX_EQUIV_POLICIES) != 0)
		return -1;
	s->equiv_policies = xcalloc(total + 1, sizeof(*s->equiv_policies));
	FOR_EACH_CHILD(c, n, bad) {
		if (!is_elem(c, "equivalentPolicy"))
			return unknown_element(L, n, c);
		struct spif_equiv_policy *p = &s->equiv_policies[s->nequiv_policies++];
		p->line = (unsigned)xmlGetLineNo(c);
		if (attr_nonempty(L, c, "name", &p->name) != 0 || attr_oid(L, c, "id", &p->id) != 0)
			return -1;
		for (size_t i = 0; i + 1 < s->nequiv_policies; i++)
			if (strcasecmp(s->equiv_policies[i].name, p->name) == 0 ||
			    strcmp(s->equiv_policies[i].id, p->id) == 0)
				return fail(L, c, "spif.duplicate-policy",
				            "equivalent policy '%s' (%s) is listed twice (line %u)",
				            xml_quote(p->name, buf, sizeof(buf)), p->id,
				            s->equiv_policies[i].line);
		if (strcmp(p->id, s->policy_id) == 0)
			return fail(L, c, "spif.duplicate-policy",
			            "equivalent policy '%s' has the SPIF's own id %s",
			            xml_quote(p->name, buf, sizeof(buf)), p->id);
		if (required_children_only(L, c, &p->required, &p->nrequired) != 0)
			return -1;
	}
	return check_text(L, n, bad);
}

/* ---- classifications --------------------------------------------------------------------- */

static int parse_equiv_class(struct loader *L, xmlNodePtr n, struct spif_equiv_class *e)
{
	char buf[96];
	e->line = (unsigned)xmlGetLineNo(n);
	if (parse_equiv_policy_ref(L, n, &e->policy) != 0 ||
	    attr_nonempty(L, n, "lacv", &e->lacv) != 0 || parse_applied(L, n, &e->applied) != 0)
		return -1;
	if (!decimal(e->lacv))
		return fail(L, n, "spif.value", "<equivalentClassification lacv=\"%s\"> is not a number",
		            xml_quote(e->lacv, buf, sizeof(buf)));
	return required_children_only(L, n, &e->required, &e->nrequired);
}

static int parse_classification(struct loader *L, xmlNodePtr n, struct spif_classification *c)
{
	xmlNodePtr bad = NULL;
	char *hier = NULL;
	char buf[96];
	c->line = (unsigned)xmlGetLineNo(n);
	if (attr_nonempty(L, n, "name", &c->name) != 0 || attr_nonempty(L, n, "lacv", &c->lacv) != 0 ||
	    attr_required(L, n, "hierarchy", &hier) != 0 ||
	    parse_bool(L, n, "obsolete", false, &c->obsolete) != 0) {
		free(hier);
		return -1;
	}
	if (!decimal(c->lacv)) {
		free(hier);
		return fail(L, n, "spif.value", "classification '%s' has lacv \"%s\", not a number",
		            xml_quote(c->name, buf, sizeof(buf)), c->lacv);
	}
	errno = 0;
	unsigned long h = decimal(hier) ? strtoul(hier, NULL, 10) : 0;
	if (!decimal(hier) || errno != 0 || h > 1000000000ul) {
		fail(L, n, "spif.value", "classification '%s' has hierarchy \"%s\", not a number",
		     xml_quote(c->name, buf, sizeof(buf)), hier);
		free(hier);
		return -1;
	}
	free(hier);
	c->hierarchy = h;
	c->color = xml_attr_dup(n, "color");
	c->equivs = xcalloc(count_children(n, "equivalentClassification") + 1, sizeof(*c->equivs));
	FOR_EACH_CHILD(e, n, bad) {
		int k;
		if (is_elem(e, "equivalentClassification")) {
			if (parse_equiv_class(L, e, &c->equivs[c->nequivs++]) != 0)
				return -1;
			continue;
		}
		if ((k = marking_child(L, e, &c->markings, true)) < 0)
			return -1;
		if (k == 0 && (k = required_child(L, e, &c->required, &c->nrequired)) < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, n, e);
	}
	return check_text(L, n, bad);
}

static int compare_levels(const void *a, const void *b)
{
	const struct spif_classification *x = *(const struct spif_classification *const *)a;
	const struct spif_classification *y = *(const struct spif_classification *const *)b;
	return x->hierarchy < y->hierarchy ? -1 : x->hierarchy > y->hierarchy ? 1 : 0;
}

static int parse_classifications(struct loader *L, xmlNodePtr n)
{
	struct spif *s = L->spif;
	xmlNodePtr bad = NULL;
	char buf[96];
	size_t total = count_children(n, "securityClassification");
	if (at_most(L, n, "securityClassification", total, SPIF_MAX_CLASSES) != 0)
		return -1;
	s->classes = xcalloc(total + 1, sizeof(*s->classes));
	FOR_EACH_CHILD(c, n, bad) {
		if (is_elem(c, "securityClassification")) {
			struct spif_classification *k = &s->classes[s->nclasses++];
			if (parse_classification(L, c, k) != 0)
				return -1;
			for (size_t i = 0; i + 1 < s->nclasses; i++) {
				const struct spif_classification *o = &s->classes[i];
				if (strcasecmp(o->name, k->name) == 0)
					return fail(L, c, "spif.duplicate-classification",
					            "classification '%s' is defined twice (line %u)",
					            xml_quote(k->name, buf, sizeof(buf)), o->line);
				if (spif_lacv_equal(o->lacv, k->lacv))
					return fail(L, c, "spif.duplicate-classification",
					            "classifications '%s' and '%s' share lacv %s",
					            o->name, xml_quote(k->name, buf, sizeof(buf)), k->lacv);
				if (o->hierarchy == k->hierarchy)
					return fail(L, c, "spif.duplicate-hierarchy",
					            "classifications '%s' and '%s' share hierarchy %lu: the "
					            "order of classifications would be ambiguous",
					            o->name, xml_quote(k->name, buf, sizeof(buf)), k->hierarchy);
			}
			continue;
		}
		int k = marking_child(L, c, &s->class_markings, true);
		if (k < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, n, c);
	}
	if (check_text(L, n, bad) != 0)
		return -1;
	if (s->nclasses == 0)
		return fail(L, n, "spif.missing-element",
		            "<securityClassifications> needs at least one <securityClassification>");
	s->by_level = xcalloc(s->nclasses, sizeof(*s->by_level));
	s->level_names = xcalloc(s->nclasses, sizeof(*s->level_names));
	for (size_t i = 0; i < s->nclasses; i++)
		s->by_level[i] = &s->classes[i];
	qsort(s->by_level, s->nclasses, sizeof(*s->by_level), compare_levels);
	for (size_t i = 0; i < s->nclasses; i++) {
		((struct spif_classification *)s->by_level[i])->level = i;
		s->level_names[i] = s->by_level[i]->name;
	}
	return 0;
}

/* ---- tag sets ---------------------------------------------------------------------------- */

static int resolve_class(struct loader *L, xmlNodePtr n, const char *name,
                         const struct spif_classification **out)
{
	char buf[96];
	*out = spif_class_by_name(L->spif, name);
	if (*out == NULL)
		return fail(L, n, "spif.unknown-classification",
		            "<%s> names the classification '%s', which the SPIF does not define",
		            (const char *)n->name, xml_quote(name, buf, sizeof(buf)));
	return 0;
}

static int parse_equiv_category(struct loader *L, xmlNodePtr n, struct spif_equiv_category *e)
{
	char *action = NULL;
	e->line = (unsigned)xmlGetLineNo(n);
	if (parse_equiv_policy_ref(L, n, &e->policy) != 0 || attr_oid(L, n, "tagSetId", &e->tag_set_id) != 0 ||
	    parse_tag_type(L, n, &e->type) != 0 || attr_required(L, n, "lacv", &e->lacv) != 0 ||
	    parse_applied(L, n, &e->applied) != 0)
		return -1;
	action = xml_attr_dup(n, "action");
	if (action != NULL && strcmp(action, "discard") != 0) {
		free(action);
		return fail(L, n, "spif.value", "<equivalentSecCategoryTag action> must be discard");
	}
	e->discard = action != NULL;
	free(action);
	if (!e->discard && e->lacv[0] == '\0')
		return fail(L, n, "spif.value", "<equivalentSecCategoryTag lacv> is empty");
	return no_children(L, n);
}

static int parse_category(struct loader *L, xmlNodePtr n, struct spif_tag *tag,
                          struct spif_category *cat)
{
	xmlNodePtr bad = NULL;
	char *req_class = NULL;
	char buf[96];
	cat->line = (unsigned)xmlGetLineNo(n);
	cat->tag = tag;
	cat->ordinal = L->ordinal++;
	if (attr_nonempty(L, n, "name", &cat->name) != 0 || attr_nonempty(L, n, "lacv", &cat->lacv) != 0 ||
	    parse_bool(L, n, "obsolete", false, &cat->obsolete) != 0)
		return -1;
	req_class = xml_attr_dup(n, "requiredClass");
	if (req_class != NULL) {
		int rc = resolve_class(L, n, req_class, &cat->required_class);
		free(req_class);
		if (rc != 0)
			return -1;
	}
	cat->excluded_classes = xcalloc(count_children(n, "excludedClass") + 1,
	                                sizeof(*cat->excluded_classes));
	cat->excluded = xcalloc(count_children(n, "excludedCategory") + 1, sizeof(*cat->excluded));
	cat->equivs = xcalloc(count_children(n, "equivalentSecCategoryTag") + 1,
	                      sizeof(*cat->equivs));
	FOR_EACH_CHILD(c, n, bad) {
		int k;
		if (is_elem(c, "excludedClass")) {
			char *name = xml_text_dup(c, false);
			const struct spif_classification *cls = NULL;
			int rc = resolve_class(L, c, name, &cls);
			free(name);
			if (rc != 0)
				return -1;
			for (size_t i = 0; i < cat->nexcluded_classes; i++)
				if (cat->excluded_classes[i] == cls)
					return fail(L, c, "spif.duplicate-excluded-class",
					            "category '%s' excludes the classification '%s' twice",
					            xml_quote(cat->name, buf, sizeof(buf)), cls->name);
			cat->excluded_classes[cat->nexcluded_classes++] = cls;
		} else if (is_elem(c, "excludedCategory")) {
			if (parse_category_ref(L, c, &cat->excluded[cat->nexcluded++]) != 0)
				return -1;
		} else if (is_elem(c, "equivalentSecCategoryTag")) {
			if (parse_equiv_category(L, c, &cat->equivs[cat->nequivs++]) != 0)
				return -1;
		} else if ((k = marking_child(L, c, &cat->markings, true)) != 0) {
			if (k < 0)
				return -1;
		} else if ((k = required_child(L, c, &cat->required, &cat->nrequired)) != 0) {
			if (k < 0)
				return -1;
		} else {
			return unknown_element(L, n, c);
		}
	}
	return check_text(L, n, bad);
}

static int parse_tag(struct loader *L, xmlNodePtr n, struct spif_tag_set *set, struct spif_tag *tag)
{
	xmlNodePtr bad = NULL;
	char buf[96];
	tag->line = (unsigned)xmlGetLineNo(n);
	tag->set = set;
	tag->name = xml_attr_dup(n, "name");
	if (tag->name == NULL)
		tag->name = xstrdup("");
	if (parse_tag_type(L, n, &tag->type) != 0 ||
	    parse_bool(L, n, "singleSelection", false, &tag->single_selection) != 0 ||
	    parse_selection(L, n, "minSelection", &tag->min_selection) != 0 ||
	    parse_selection(L, n, "maxSelection", &tag->max_selection) != 0)
		return -1;
	size_t total = count_children(n, "tagCategory");
	if (at_most(L, n, "tagCategory", L->ordinal + total, SPIF_MAX_CATEGORIES) != 0)
		return -1;
	tag->cats = xcalloc(total + 1, sizeof(*tag->cats));
	FOR_EACH_CHILD(c, n, bad) {
		int k;
		if (is_elem(c, "tagCategory")) {
			struct spif_category *cat = &tag->cats[tag->ncats++];
			if (parse_category(L, c, tag, cat) != 0)
				return -1;
			/* Same lacv twice in a tag, or the same name twice among the tags of the set
			 * a label Type selects: a label value would be ambiguous. */
			for (size_t i = 0; i + 1 < tag->ncats; i++)
				if (spif_lacv_equal(tag->cats[i].lacv, cat->lacv))
					return fail(L, c, "spif.duplicate-category",
					            "categories '%s' and '%s' of tag set '%s' share lacv %s",
					            tag->cats[i].name, xml_quote(cat->name, buf, sizeof(buf)),
					            set->name, cat->lacv);
			const struct spif_category *same =
				spif_category_by_name(set, spif_tag_label_type(tag->type), cat->name);
			if (same != NULL && same != cat)
				return fail(L, c, "spif.duplicate-category",
				            "category '%s' is defined twice among the %s tags of tag set "
				            "'%s' (line %u)",
				            xml_quote(cat->name, buf, sizeof(buf)),
				            spif_label_type_name(spif_tag_label_type(tag->type)), set->name,
				            same->line);
			continue;
		}
		if ((k = marking_child(L, c, &tag->markings, false)) < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, n, c);
	}
	return check_text(L, n, bad);
}

static int parse_equiv_tag_set(struct loader *L, xmlNodePtr n, struct spif_equiv_tag_set *e)
{
	e->line = (unsigned)xmlGetLineNo(n);
	if (parse_equiv_policy_ref(L, n, &e->policy) != 0)
		return -1;
	e->name = xml_attr_dup(n, "name");
	e->id = xml_attr_dup(n, "id");
	if (e->id != NULL && !oid_syntax(e->id))
		return fail(L, n, "spif.value", "<equivalentSecurityCategoryTagSet id> is not an OID");
	return required_children_only(L, n, &e->required, &e->nrequired);
}

static int parse_tag_set(struct loader *L, xmlNodePtr n, struct spif_tag_set *set)
{
	xmlNodePtr bad = NULL;
	set->line = (unsigned)xmlGetLineNo(n);
	if (attr_nonempty(L, n, "name", &set->name) != 0 || attr_oid(L, n, "id", &set->id) != 0)
		return -1;
	set->tags = xcalloc(count_children(n, "securityCategoryTag") + 1, sizeof(*set->tags));
	set->equivs = xcalloc(count_children(n, "equivalentSecurityCategoryTagSet") + 1,
	                      sizeof(*set->equivs));
	FOR_EACH_CHILD(c, n, bad) {
		if (is_elem(c, "securityCategoryTag")) {
			if (parse_tag(L, c, set, &set->tags[set->ntags++]) != 0)
				return -1;
		} else if (is_elem(c, "equivalentSecurityCategoryTagSet")) {
			if (parse_equiv_tag_set(L, c, &set->equivs[set->nequivs++]) != 0)
				return -1;
		} else {
			return unknown_element(L, n, c);
		}
	}
	if (check_text(L, n, bad) != 0)
		return -1;
	if (set->ntags == 0)
		return fail(L, n, "spif.missing-element",
		            "<securityCategoryTagSet> needs at least one <securityCategoryTag>");
	return 0;
}

static int parse_tag_sets(struct loader *L, xmlNodePtr n)
{
	struct spif *s = L->spif;
	xmlNodePtr bad = NULL;
	char buf[96];
	size_t total = count_children(n, "securityCategoryTagSet");
	if (at_most(L, n, "securityCategoryTagSet", total, SPIF_MAX_TAG_SETS) != 0)
		return -1;
	s->tag_sets = xcalloc(total + 1, sizeof(*s->tag_sets));
	FOR_EACH_CHILD(c, n, bad) {
		if (!is_elem(c, "securityCategoryTagSet"))
			return unknown_element(L, n, c);
		struct spif_tag_set *set = &s->tag_sets[s->ntag_sets++];
		if (parse_tag_set(L, c, set) != 0)
			return -1;
		for (size_t i = 0; i + 1 < s->ntag_sets; i++)
			if (strcasecmp(s->tag_sets[i].name, set->name) == 0 ||
			    strcmp(s->tag_sets[i].id, set->id) == 0)
				return fail(L, c, "spif.duplicate-tag-set",
				            "tag set '%s' (%s) repeats the name or id of tag set '%s' "
				            "(line %u)",
				            xml_quote(set->name, buf, sizeof(buf)), set->id,
				            s->tag_sets[i].name, s->tag_sets[i].line);
	}
	return check_text(L, n, bad);
}

/* ---- cross references -------------------------------------------------------------------- */

static int resolve_ref(struct loader *L, struct spif_category_ref *r)
{
	char buf[96];
	r->set = spif_tag_set_by_name(L->spif, r->tag_set);
	if (r->set == NULL) {
		sluice_fail_at(L->err, SLUICE_ERR_POLICY, "spif.unknown-tag-set", L->file, r->line, 0,
		               "tagSetRef '%s' names no securityCategoryTagSet",
		               xml_quote(r->tag_set, buf, sizeof(buf)));
		return -1;
	}
	bool type_found = false;
	for (size_t t = 0; t < r->set->ntags; t++)
		if (r->set->tags[t].type == r->type)
			type_found = true;
	if (!type_found) {
		sluice_fail_at(L->err, SLUICE_ERR_POLICY, "spif.unknown-tag", L->file, r->line, 0,
		               "tag set '%s' has no %s tag", r->set->name, spif_tag_type_name(r->type));
		return -1;
	}
	if (r->lacv != NULL && spif_category_by_lacv(r->set, r->type, r->lacv) == NULL) {
		sluice_fail_at(L->err, SLUICE_ERR_POLICY, "spif.unknown-category", L->file, r->line, 0,
		               "tag set '%s' has no %s category with lacv %s", r->set->name,
		               spif_tag_type_name(r->type), xml_quote(r->lacv, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static int resolve_groups(struct loader *L, struct spif_category_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g[i].nrefs; k++)
			if (resolve_ref(L, &g[i].refs[k]) != 0)
				return -1;
	return 0;
}

static int resolve_references(struct loader *L)
{
	struct spif *s = L->spif;
	for (size_t i = 0; i < s->nclasses; i++)
		if (resolve_groups(L, s->classes[i].required, s->classes[i].nrequired) != 0)
			return -1;
	for (size_t i = 0; i < s->ntag_sets; i++)
		for (size_t t = 0; t < s->tag_sets[i].ntags; t++) {
			struct spif_tag *tag = &s->tag_sets[i].tags[t];
			for (size_t c = 0; c < tag->ncats; c++) {
				struct spif_category *cat = &tag->cats[c];
				if (resolve_groups(L, cat->required, cat->nrequired) != 0)
					return -1;
				for (size_t e = 0; e < cat->nexcluded; e++)
					if (resolve_ref(L, &cat->excluded[e]) != 0)
						return -1;
			}
		}
	s->by_ordinal = xcalloc(L->ordinal + 1, sizeof(*s->by_ordinal));
	s->ncategories = L->ordinal;
	for (size_t i = 0; i < s->ntag_sets; i++)
		for (size_t t = 0; t < s->tag_sets[i].ntags; t++)
			for (size_t c = 0; c < s->tag_sets[i].tags[t].ncats; c++) {
				const struct spif_category *cat = &s->tag_sets[i].tags[t].cats[c];
				s->by_ordinal[cat->ordinal] = cat;
			}
	return 0;
}

/* ---- the document ------------------------------------------------------------------------ */

static int parse_policy_id(struct loader *L, xmlNodePtr n, char **name, char **id,
                           struct spif_markings *m)
{
	xmlNodePtr bad = NULL;
	if (attr_nonempty(L, n, "name", name) != 0 || attr_oid(L, n, "id", id) != 0)
		return -1;
	FOR_EACH_CHILD(c, n, bad) {
		int k = marking_child(L, c, m, true);
		if (k < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, n, c);
	}
	return check_text(L, n, bad);
}

static xmlNodePtr single_child(struct loader *L, xmlNodePtr root, const char *name, int *rc)
{
	xmlNodePtr found = NULL;
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (!is_elem(c, name))
			continue;
		if (found != NULL) {
			*rc = fail(L, c, "spif.duplicate-element", "<%s> appears twice (line %ld)", name,
			           xmlGetLineNo(found));
			return NULL;
		}
		found = c;
	}
	return found;
}

static int parse_document(struct loader *L, xmlNodePtr root)
{
	struct spif *s = L->spif;
	xmlNodePtr bad = NULL;
	char buf[96];
	int rc = 0;

	if (!is_elem(root, "SPIF"))
		return fail(L, root, "spif.root",
		            "the root element is <%s>%s%s, not <SPIF> in the namespace " SPIF_NAMESPACE,
		            (const char *)root->name, root->ns && root->ns->href ? " in " : " in no namespace",
		            root->ns && root->ns->href ? (const char *)root->ns->href : "");
	if (attr_required(L, root, "schemaVersion", &s->schema_version) != 0)
		return -1;
	if (strcmp(s->schema_version, "2.1") != 0 && strcmp(s->schema_version, "2.0") != 0 &&
	    strcmp(s->schema_version, "1.0") != 0)
		return fail(L, root, "spif.schema-version",
		            "schemaVersion \"%s\" is not supported (1.0, 2.0 or 2.1; SPIF 3.0 is a "
		            "different format)",
		            xml_quote(s->schema_version, buf, sizeof(buf)));
	s->version = xml_attr_dup(root, "version");

	/* Identity first, then the equivalent policies other parts refer to, then the rest. */
	xmlNodePtr pid = single_child(L, root, "securityPolicyId", &rc);
	xmlNodePtr dpid = rc == 0 ? single_child(L, root, "defaultSecurityPolicyId", &rc) : NULL;
	xmlNodePtr eqp = rc == 0 ? single_child(L, root, "equivalentPolicies", &rc) : NULL;
	xmlNodePtr cls = rc == 0 ? single_child(L, root, "securityClassifications", &rc) : NULL;
	xmlNodePtr tss = rc == 0 ? single_child(L, root, "securityCategoryTagSets", &rc) : NULL;
	if (rc == 0)
		(void)single_child(L, root, "extensions", &rc);
	if (rc == 0)
		(void)single_child(L, root, "privacyMarks", &rc);
	if (rc == 0)
		(void)single_child(L, root, "updateInfo", &rc);
	if (rc != 0)
		return -1;
	if (pid == NULL)
		return fail(L, root, "spif.missing-element", "the SPIF has no <securityPolicyId>");
	if (parse_policy_id(L, pid, &s->policy_name, &s->policy_id, &s->markings) != 0)
		return -1;
	if (dpid != NULL) {
		/* The default policy's marking data says how unlabelled data is displayed, which
		 * Sluice never does (unlabelled data is refused): read and checked, then dropped. */
		struct spif_markings unused = { NULL, 0, NULL, 0 };
		rc = parse_policy_id(L, dpid, &s->default_policy_name, &s->default_policy_id, &unused);
		markings_free(&unused);
		if (rc != 0)
			return -1;
	}
	if (eqp != NULL && parse_equivalent_policies(L, eqp) != 0)
		return -1;
	if (s->equiv_policies == NULL)
		s->equiv_policies = xcalloc(1, sizeof(*s->equiv_policies));
	if (cls == NULL)
		return fail(L, root, "spif.missing-element",
		            "the SPIF has no <securityClassifications>");
	if (parse_classifications(L, cls) != 0)
		return -1;
	if (tss != NULL && parse_tag_sets(L, tss) != 0)
		return -1;
	if (s->tag_sets == NULL)
		s->tag_sets = xcalloc(1, sizeof(*s->tag_sets));

	FOR_EACH_CHILD(c, root, bad) {
		if (c == pid || c == dpid || c == eqp || c == cls || c == tss ||
		    is_elem(c, "extensions") || is_elem(c, "privacyMarks") || is_elem(c, "updateInfo"))
			continue;
		int k = marking_child(L, c, &s->markings, true);
		if (k < 0)
			return -1;
		if (k == 0)
			return unknown_element(L, root, c);
	}
	if (check_text(L, root, bad) != 0)
		return -1;
	if (resolve_references(L) != 0)
		return -1;
	s->scheme.profile = s->policy_name;
	s->scheme.names = s->level_names;
	s->scheme.count = s->nclasses;
	return 0;
}

enum sluice_rc spif_xml_parse(const uint8_t *data, size_t len, const char *name,
                              const char *prefix, enum sluice_rc bad_rc, xmlDocPtr *doc,
                              struct sluice_error *err)
{
	struct sluice_error xerr;
	enum sluice_rc rc;

	sluice_error_clear(&xerr);
	rc = xml_intake_parse(data, len, &spif_limits, doc, &xerr);
	if (rc == SLUICE_OK)
		return SLUICE_OK;
	/* The intake's rules are about reports (xml.doctype, limits.max-depth): the same check on
	 * a SPIF is spif.doctype, spif.max-depth, ... and a policy error. */
	const char *dot = strchr(xerr.rule, '.');
	char rule[sizeof(xerr.rule) + 32];
	snprintf(rule, sizeof(rule), "%.24s.%s", prefix, dot != NULL ? dot + 1 : xerr.rule);
	if (rc == SLUICE_ERR_INVALID_REPORT)
		rc = bad_rc;
	return sluice_fail_at(err, rc, rule, name, xerr.line, xerr.column, "%s", xerr.message);
}

enum sluice_rc spif_load_buffer(const uint8_t *data, size_t len, const char *name,
                                struct spif **out, struct sluice_error *err)
{
	xmlDocPtr doc = NULL;
	struct loader L;
	enum sluice_rc rc;

	*out = NULL;
	rc = spif_xml_parse(data, len, name, "spif", SLUICE_ERR_POLICY, &doc, err);
	if (rc != SLUICE_OK)
		return rc;
	memset(&L, 0, sizeof(L));
	L.file = name;
	L.err = err;
	L.spif = xcalloc(1, sizeof(*L.spif));
	L.spif->source = xstrdup(name != NULL ? name : "");
	if (parse_document(&L, xmlDocGetRootElement(doc)) != 0) {
		spif_free(L.spif);
		xmlFreeDoc(doc);
		return SLUICE_ERR_POLICY;
	}
	xmlFreeDoc(doc);
	*out = L.spif;
	return SLUICE_OK;
}

enum sluice_rc spif_load_file(const char *path, struct spif **out, struct sluice_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	enum sluice_rc rc;

	*out = NULL;
	rc = file_read_bounded(path, SPIF_MAX_BYTES, SLUICE_ERR_POLICY, &data, &len, err);
	if (rc != SLUICE_OK) {
		if (err != NULL) {
			snprintf(err->rule, sizeof(err->rule), "%s",
			         rc == SLUICE_ERR_IO ? "spif.read" : "spif.too-large");
			snprintf(err->file, sizeof(err->file), "%s", path);
		}
		return rc;
	}
	rc = spif_load_buffer(data, len, path, out, err);
	free(data);
	return rc;
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void category_free(struct spif_category *c)
{
	free(c->name);
	free(c->lacv);
	markings_free(&c->markings);
	free(c->excluded_classes);
	for (size_t i = 0; i < c->nexcluded; i++)
		category_ref_free(&c->excluded[i]);
	free(c->excluded);
	category_groups_free(c->required, c->nrequired);
	for (size_t i = 0; i < c->nequivs; i++) {
		free(c->equivs[i].tag_set_id);
		free(c->equivs[i].lacv);
	}
	free(c->equivs);
}

static void tag_set_free(struct spif_tag_set *set)
{
	for (size_t t = 0; t < set->ntags; t++) {
		struct spif_tag *tag = &set->tags[t];
		for (size_t c = 0; c < tag->ncats; c++)
			category_free(&tag->cats[c]);
		free(tag->cats);
		free(tag->name);
		markings_free(&tag->markings);
	}
	free(set->tags);
	for (size_t i = 0; i < set->nequivs; i++) {
		free(set->equivs[i].name);
		free(set->equivs[i].id);
		category_groups_free(set->equivs[i].required, set->equivs[i].nrequired);
	}
	free(set->equivs);
	free(set->name);
	free(set->id);
}

void spif_free(struct spif *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nclasses; i++) {
		struct spif_classification *c = &s->classes[i];
		free(c->name);
		free(c->lacv);
		free(c->color);
		markings_free(&c->markings);
		category_groups_free(c->required, c->nrequired);
		for (size_t e = 0; e < c->nequivs; e++) {
			free(c->equivs[e].lacv);
			category_groups_free(c->equivs[e].required, c->equivs[e].nrequired);
		}
		free(c->equivs);
	}
	free(s->classes);
	free(s->by_level);
	free(s->level_names);
	for (size_t i = 0; i < s->ntag_sets; i++)
		tag_set_free(&s->tag_sets[i]);
	free(s->tag_sets);
	free(s->by_ordinal);
	for (size_t i = 0; i < s->nequiv_policies; i++) {
		free(s->equiv_policies[i].name);
		free(s->equiv_policies[i].id);
		category_groups_free(s->equiv_policies[i].required, s->equiv_policies[i].nrequired);
	}
	free(s->equiv_policies);
	markings_free(&s->markings);
	markings_free(&s->class_markings);
	free(s->source);
	free(s->schema_version);
	free(s->version);
	free(s->policy_name);
	free(s->policy_id);
	free(s->default_policy_name);
	free(s->default_policy_id);
	free(s);
}

/* ---- queries ----------------------------------------------------------------------------- */

enum category_type spif_tag_label_type(enum spif_tag_type type)
{
	switch (type) {
	case SPIF_TAG_RESTRICTIVE:
	case SPIF_TAG_ENUM_RESTRICTIVE:
		return CATEGORY_RESTRICTIVE;
	case SPIF_TAG_PERMISSIVE:
	case SPIF_TAG_ENUM_PERMISSIVE:
		return CATEGORY_PERMISSIVE;
	case SPIF_TAG_INFORMATIVE:
		return CATEGORY_INFORMATIVE;
	}
	SLUICE_BUG("unknown tag type");
}

const char *spif_tag_type_name(enum spif_tag_type type)
{
	switch (type) {
	case SPIF_TAG_RESTRICTIVE: return "restrictive";
	case SPIF_TAG_PERMISSIVE: return "permissive";
	case SPIF_TAG_ENUM_RESTRICTIVE: return "enumeratedRestrictive";
	case SPIF_TAG_ENUM_PERMISSIVE: return "enumeratedPermissive";
	case SPIF_TAG_INFORMATIVE: return "informative";
	}
	return "?";
}

const char *spif_label_type_name(enum category_type type)
{
	switch (type) {
	case CATEGORY_RESTRICTIVE: return "RESTRICTIVE";
	case CATEGORY_PERMISSIVE: return "PERMISSIVE";
	case CATEGORY_INFORMATIVE: return "INFORMATIVE";
	}
	return "?";
}

bool spif_lacv_equal(const char *a, const char *b)
{
	if (decimal(a) && decimal(b)) {
		while (*a == '0' && a[1] != '\0')
			a++;
		while (*b == '0' && b[1] != '\0')
			b++;
	}
	return strcmp(a, b) == 0;
}

const struct spif_classification *spif_class_by_name(const struct spif *spif, const char *name)
{
	for (size_t i = 0; i < spif->nclasses; i++)
		if (strcasecmp(spif->classes[i].name, name) == 0)
			return &spif->classes[i];
	return NULL;
}

const struct spif_classification *spif_class_by_lacv(const struct spif *spif, const char *lacv)
{
	for (size_t i = 0; i < spif->nclasses; i++)
		if (spif_lacv_equal(spif->classes[i].lacv, lacv))
			return &spif->classes[i];
	return NULL;
}

const struct spif_tag_set *spif_tag_set_by_name(const struct spif *spif, const char *name)
{
	for (size_t i = 0; i < spif->ntag_sets; i++)
		if (strcasecmp(spif->tag_sets[i].name, name) == 0)
			return &spif->tag_sets[i];
	return NULL;
}

const struct spif_tag_set *spif_tag_set_by_id(const struct spif *spif, const char *id)
{
	for (size_t i = 0; i < spif->ntag_sets; i++)
		if (strcmp(spif->tag_sets[i].id, id) == 0)
			return &spif->tag_sets[i];
	return NULL;
}

const struct spif_category *spif_category_by_name(const struct spif_tag_set *set,
                                                  enum category_type type, const char *value)
{
	for (size_t t = 0; t < set->ntags; t++) {
		if (spif_tag_label_type(set->tags[t].type) != type)
			continue;
		for (size_t c = 0; c < set->tags[t].ncats; c++)
			if (set->tags[t].cats[c].name != NULL &&
			    strcasecmp(set->tags[t].cats[c].name, value) == 0)
				return &set->tags[t].cats[c];
	}
	return NULL;
}

const struct spif_category *spif_category_by_lacv(const struct spif_tag_set *set,
                                                  enum spif_tag_type type, const char *lacv)
{
	for (size_t t = 0; t < set->ntags; t++) {
		if (set->tags[t].type != type)
			continue;
		for (size_t c = 0; c < set->tags[t].ncats; c++)
			if (set->tags[t].cats[c].lacv != NULL &&
			    spif_lacv_equal(set->tags[t].cats[c].lacv, lacv))
				return &set->tags[t].cats[c];
	}
	return NULL;
}

bool spif_tag_set_has_type(const struct spif_tag_set *set, enum category_type type)
{
	for (size_t t = 0; t < set->ntags; t++)
		if (spif_tag_label_type(set->tags[t].type) == type)
			return true;
	return false;
}

const struct spif_equiv_policy *spif_equiv_policy_find(const struct spif *spif,
                                                       const char *name_or_id)
{
	for (size_t i = 0; i < spif->nequiv_policies; i++)
		if (strcasecmp(spif->equiv_policies[i].name, name_or_id) == 0 ||
		    strcmp(spif->equiv_policies[i].id, name_or_id) == 0)
			return &spif->equiv_policies[i];
	return NULL;
}

bool spif_category_ref_matches(const struct spif_category_ref *ref,
                               const struct spif_category *category)
{
	const struct spif_tag_set *set = category->tag->set;
	if (category->tag->type != ref->type)
		return false;
	if (ref->set != NULL ? ref->set != set : strcasecmp(ref->tag_set, set->name) != 0)
		return false;
	return ref->lacv == NULL || spif_lacv_equal(ref->lacv, category->lacv);
}
