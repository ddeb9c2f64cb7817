/*
 * ADatP-4774 labels: reading the element, resolving and checking it against a SPIF, display
 * markings, access decisions, the label model, equivalent policies.
 *
 * The display marking follows the SPIF's marking data the way the reference implementation
 * (surevine/spiffing, whose tests.xml is our conformance table) reads it: policy phrase (or the
 * phrase of a classification or category that replaces it), classification phrase, then the
 * categories in SPIF order, grouped by tag with the tag's prefix, separator and suffix, the
 * whole wrapped in the SPIF-level prefix and suffix. docs/LABELS.md gives the rules.
 */
#include "stanag4774.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xml_fields.h"

/* ---- a growing string -------------------------------------------------------------------- */

struct text {
	char *p;
	size_t len;
	size_t cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		while (cap < t->len + n + 1)
			cap *= 2;
		t->p = xrealloc(t->p, cap);
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static char *text_take(struct text *t)
{
	if (t->p == NULL)
		return xstrdup("");
	return t->p;
}

/* ---- reading the label element ----------------------------------------------------------- */

static bool in_4774_ns(xmlNodePtr n)
{
	return xml_in_namespace(n, S4774_NAMESPACE);
}

static bool is_4774(xmlNodePtr n, const char *name)
{
	return xml_is_element(n, S4774_NAMESPACE, name);
}

static int label_kind(xmlNodePtr n, enum s4774_kind *kind)
{
	if (is_4774(n, "originatorConfidentialityLabel"))
		*kind = S4774_ORIGINATOR;
	else if (is_4774(n, "alternativeConfidentialityLabel"))
		*kind = S4774_ALTERNATIVE;
	else if (is_4774(n, "ConfidentialityLabel"))
		*kind = S4774_LEGACY;
	else
		return -1;
	return 0;
}

bool s4774_is_label_element(xmlNodePtr node)
{
	enum s4774_kind k;
	return node != NULL && label_kind(node, &k) == 0;
}

static unsigned line_of(xmlNodePtr n)
{
	return n != NULL ? (unsigned)xmlGetLineNo(n) : 0;
}

static enum sluice_rc bad(xmlNodePtr n, struct sluice_error *err, const char *rule,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum sluice_rc bad(xmlNodePtr n, struct sluice_error *err, const char *rule,
                          const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, rule, NULL, line_of(n), 0, "%s", msg);
}

static void find_labels(xmlNodePtr n, xmlNodePtr *found, size_t *count, int want)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		enum s4774_kind k;
		if (label_kind(n, &k) == 0 && (int)k == want) {
			if (*count == 0)
				*found = n;
			(*count)++;
			continue; /* a label's successor label is part of it */
		}
		find_labels(n->children, found, count, want);
	}
}

enum sluice_rc s4774_find_label(xmlDocPtr doc, xmlNodePtr *out, struct sluice_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	static const int order[] = { S4774_ORIGINATOR, S4774_LEGACY, S4774_ALTERNATIVE };

	*out = NULL;
	if (root == NULL)
		return bad(NULL, err, "stanag4774.no-label", "the document has no root element");
	if (s4774_is_label_element(root)) {
		*out = root;
		return SLUICE_OK;
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		xmlNodePtr found = NULL;
		size_t count = 0;
		find_labels(root, &found, &count, order[i]);
		if (count > 1)
			return bad(found, err, "stanag4774.several-labels",
			           "the document holds %zu labels of the same kind; give one label", count);
		if (count == 1) {
			*out = found;
			return SLUICE_OK;
		}
	}
	if (strcmp((const char *)root->name, "originatorConfidentialityLabel") == 0 ||
	    strcmp((const char *)root->name, "ConfidentialityLabel") == 0 ||
	    strcmp((const char *)root->name, "alternativeConfidentialityLabel") == 0)
		return bad(root, err, "stanag4774.namespace",
		           "<%s> is not in the namespace " S4774_NAMESPACE,
		           (const char *)root->name);
	return bad(root, err, "stanag4774.no-label",
	           "no ADatP-4774 label (originatorConfidentialityLabel in the namespace "
	           S4774_NAMESPACE ") in the document");
}


/* The element's text, trimmed; with `collapse`, inner runs of blanks become one space
 * (xs:token). */


static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* xs:dateTime: YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm] */
static bool date_time_syntax(const char *s)
{
	size_t n = strlen(s);
	if (n < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return false;
	int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
	int hour = (s[11] - '0') * 10 + (s[12] - '0'), min = (s[14] - '0') * 10 + (s[15] - '0');
	int sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60)
		return false;
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s == '+' || *s == '-')
		return strlen(s) == 6 && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2);
	return *s == '\0';
}

/* Element children of `n`: elements of other namespaces are skipped (##other, lax); text other
 * than blanks, and elements in no namespace, are errors. */
static enum sluice_rc next_child(xmlNodePtr *cursor, xmlNodePtr parent, xmlNodePtr *out,
                                 struct sluice_error *err)
{
	for (xmlNodePtr n = *cursor; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (!xml_text_is_blank(n->content))
				return bad(n, err, "stanag4774.unexpected-text",
				           "text is not allowed inside <%s>", (const char *)parent->name);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == NULL)
			return bad(n, err, "stanag4774.namespace",
			           "<%s> inside <%s> is in no namespace (ADatP-4774 elements are in "
			           S4774_NAMESPACE ")",
			           (const char *)n->name, (const char *)parent->name);
		if (!in_4774_ns(n))
			continue;
		*cursor = n->next;
		*out = n;
		return SLUICE_OK;
	}
	*cursor = NULL;
	*out = NULL;
	return SLUICE_OK;
}

static enum sluice_rc unknown_child(xmlNodePtr n, xmlNodePtr parent, struct sluice_error *err)
{
	return bad(n, err, "stanag4774.unknown-element", "<%s> is not allowed inside <%s>",
	           (const char *)n->name, (const char *)parent->name);
}

static enum sluice_rc once(xmlNodePtr n, bool seen, struct sluice_error *err)
{
	if (seen)
		return bad(n, err, "stanag4774.duplicate-element", "<%s> appears twice",
		           (const char *)n->name);
	return SLUICE_OK;
}

static enum sluice_rc parse_category(xmlNodePtr n, struct s4774_category *cat,
                                     size_t *nvalues, struct sluice_error *err)
{
	char *type = xml_attr_dup(n, "Type");
	char buf[96];
	enum sluice_rc rc = SLUICE_OK;
	xmlNodePtr cursor = n->children, c = NULL;

	cat->line = line_of(n);
	cat->uri = xml_attr_dup(n, "URI");
	if (type == NULL)
		return bad(n, err, "stanag4774.missing-attribute", "<Category> needs the attribute Type");
	if (strcmp(type, "RESTRICTIVE") == 0)
		cat->type = CATEGORY_RESTRICTIVE;
	else if (strcmp(type, "PERMISSIVE") == 0)
		cat->type = CATEGORY_PERMISSIVE;
	else if (strcmp(type, "INFORMATIVE") == 0)
		cat->type = CATEGORY_INFORMATIVE;
	else
		rc = bad(n, err, "stanag4774.type",
		         "<Category Type=\"%s\"> is not RESTRICTIVE, PERMISSIVE or INFORMATIVE (upper "
		         "case)",
		         xml_quote(type, buf, sizeof(buf)));
	free(type);
	if (rc != SLUICE_OK)
		return rc;
	cat->tag_name = xml_attr_dup(n, "TagName");
	if (cat->tag_name == NULL)
		return bad(n, err, "stanag4774.missing-attribute",
		           "<Category> needs the attribute TagName");
	while ((rc = next_child(&cursor, n, &c, err)) == SLUICE_OK && c != NULL) {
		if (is_4774(c, "IntegerValue") || is_4774(c, "BitStringValue"))
			return bad(c, err, "stanag4774.value-kind",
			           "<%s> SHALL NOT be used (ADatP-4774): use <GenericValue>",
			           (const char *)c->name);
		if (!is_4774(c, "GenericValue"))
			return unknown_child(c, n, err);
		if (++*nvalues > S4774_MAX_VALUES)
			return bad(c, err, "stanag4774.too-many",
			           "the label has more than %d values", S4774_MAX_VALUES);
		cat->values = xrealloc(cat->values, (cat->nvalues + 1) * sizeof(*cat->values));
		cat->values[cat->nvalues++] = xml_text_dup(c, false);
		if (cat->values[cat->nvalues - 1][0] == '\0')
			return bad(c, err, "stanag4774.empty-value", "an empty <GenericValue> in tag '%s'",
			           xml_quote(cat->tag_name, buf, sizeof(buf)));
	}
	if (rc != SLUICE_OK)
		return rc;
	if (cat->nvalues == 0)
		return bad(n, err, "stanag4774.empty-category", "the category '%s' has no value",
		           xml_quote(cat->tag_name, buf, sizeof(buf)));
	return SLUICE_OK;
}

static enum sluice_rc parse_information(xmlNodePtr n, struct s4774_label *l, unsigned flags,
                                        struct sluice_error *err)
{
	xmlNodePtr cursor = n->children, c = NULL;
	enum sluice_rc rc;
	bool seen_mark = false;
	size_t nvalues = 0;

	while ((rc = next_child(&cursor, n, &c, err)) == SLUICE_OK && c != NULL) {
		if (is_4774(c, "PolicyIdentifier")) {
			if ((rc = once(c, l->policy != NULL, err)) != SLUICE_OK)
				return rc;
			l->policy = xml_text_dup(c, true);
			l->policy_uri = xml_attr_dup(c, "URI");
			if (l->policy_uri == NULL && (l->policy_uri = xml_attr_dup(c, "URL")) != NULL) {
				l->deviations |= S4774_DEV_URL_ATTRIBUTE;
				if (flags & S4774_STRICT)
					return bad(c, err, "stanag4774.deviation",
					           "<PolicyIdentifier URL=...>: the attribute is URI");
			}
		} else if (is_4774(c, "Classification")) {
			if ((rc = once(c, l->classification != NULL, err)) != SLUICE_OK)
				return rc;
			l->classification = xml_text_dup(c, true);
			xmlChar *uri = xmlGetNoNsProp(c, (const xmlChar *)"URI");
			if (uri != NULL) {
				xmlFree(uri);
				return bad(c, err, "stanag4774.classification-uri",
				           "<Classification URI=...> SHALL NOT be used (ADatP-4774)");
			}
		} else if (is_4774(c, "PrivacyMark")) {
			if ((rc = once(c, seen_mark, err)) != SLUICE_OK)
				return rc;
			seen_mark = true;
			l->privacy_mark = xml_text_dup(c, false);
		} else if (is_4774(c, "Category")) {
			if (l->ncats == S4774_MAX_CATEGORIES)
				return bad(c, err, "stanag4774.too-many",
				           "the label has more than %d categories", S4774_MAX_CATEGORIES);
			l->cats = xrealloc(l->cats, (l->ncats + 1) * sizeof(*l->cats));
			memset(&l->cats[l->ncats], 0, sizeof(*l->cats));
			l->ncats++;
			if ((rc = parse_category(c, &l->cats[l->ncats - 1], &nvalues, err)) != SLUICE_OK)
				return rc;
		} else {
			return unknown_child(c, n, err);
		}
	}
	if (rc != SLUICE_OK)
		return rc;
	if (l->policy == NULL || l->policy[0] == '\0')
		return bad(n, err, "stanag4774.missing-policy",
		           "<ConfidentialityInformation> has no (or an empty) <PolicyIdentifier>");
	if (l->classification == NULL || l->classification[0] == '\0')
		return bad(n, err, "stanag4774.missing-classification",
		           "<ConfidentialityInformation> has no (or an empty) <Classification>");
	return SLUICE_OK;
}

static enum sluice_rc parse_date(xmlNodePtr n, const char *what, const char *value,
                                 struct sluice_error *err)
{
	char buf[96];
	if (!date_time_syntax(value))
		return bad(n, err, "stanag4774.date-time", "%s \"%s\" is not an xs:dateTime", what,
		           xml_quote(value, buf, sizeof(buf)));
	return SLUICE_OK;
}

enum sluice_rc s4774_label_parse(xmlNodePtr node, unsigned flags, struct s4774_label *out,
                                 struct sluice_error *err)
{
	xmlNodePtr cursor, c = NULL;
	enum sluice_rc rc;
	bool seen_info = false, seen_origin = false, seen_succession = false;

	memset(out, 0, sizeof(*out));
	if (label_kind(node, &out->kind) != 0) {
		rc = bad(node, err, "stanag4774.no-label", "<%s> is not an ADatP-4774 label element",
		         (const char *)node->name);
		goto out;
	}
	out->line = line_of(node);
	out->review_time = xml_attr_dup(node, "ReviewDateTime");
	if (out->review_time != NULL &&
	    (rc = parse_date(node, "ReviewDateTime", out->review_time, err)) != SLUICE_OK)
		goto out;
	cursor = node->children;
	while ((rc = next_child(&cursor, node, &c, err)) == SLUICE_OK && c != NULL) {
		if (is_4774(c, "ConfidentialityInformation")) {
			if ((rc = once(c, seen_info, err)) != SLUICE_OK ||
			    (rc = parse_information(c, out, flags, err)) != SLUICE_OK)
				goto out;
			seen_info = true;
		} else if (is_4774(c, "OriginatorID")) {
			if ((rc = once(c, seen_origin, err)) != SLUICE_OK)
				goto out;
			seen_origin = true;
			char *idtype = xml_attr_dup(c, "IDType");
			static const char *const idtypes[] = {
				"rfc822Name", "dNSName", "directoryName", "uniformResourceIdentifier",
				"iPAddress", "x400Address", "userPrincipalName", "jID",
			};
			bool ok = false;
			for (size_t i = 0; idtype != NULL && i < sizeof(idtypes) / sizeof(idtypes[0]); i++)
				ok = ok || strcmp(idtype, idtypes[i]) == 0;
			free(idtype);
			if (!ok) {
				rc = bad(c, err, "stanag4774.originator-id",
				         "<OriginatorID> needs IDType rfc822Name, dNSName, directoryName, "
				         "uniformResourceIdentifier, iPAddress, x400Address, "
				         "userPrincipalName or jID");
				goto out;
			}
		} else if (is_4774(c, "CreationDateTime")) {
			if ((rc = once(c, out->creation_time != NULL, err)) != SLUICE_OK)
				goto out;
			out->creation_time = xml_text_dup(c, true);
			if ((rc = parse_date(c, "CreationDateTime", out->creation_time, err)) != SLUICE_OK)
				goto out;
		} else if (is_4774(c, "SuccessionHandling")) {
			if ((rc = once(c, seen_succession, err)) != SLUICE_OK)
				goto out;
			seen_succession = true;
		} else {
			rc = unknown_child(c, node, err);
			goto out;
		}
	}
	if (rc != SLUICE_OK)
		goto out;
	if (!seen_info) {
		rc = bad(node, err, "stanag4774.missing-information",
		         "<%s> has no <ConfidentialityInformation>", (const char *)node->name);
		goto out;
	}
	if (out->creation_time == NULL)
		out->deviations |= S4774_DEV_NO_CREATION_TIME;
	if (out->review_time == NULL && !seen_succession)
		out->deviations |= S4774_DEV_NO_REVIEW_TIME;
	if ((flags & S4774_STRICT) && (out->deviations & S4774_DEV_NO_CREATION_TIME)) {
		rc = bad(node, err, "stanag4774.deviation", "the label has no <CreationDateTime>");
		goto out;
	}
	if ((flags & S4774_STRICT) && (out->deviations & S4774_DEV_NO_REVIEW_TIME)) {
		rc = bad(node, err, "stanag4774.deviation",
		         "the label has neither ReviewDateTime nor <SuccessionHandling>");
		goto out;
	}
	rc = SLUICE_OK;
out:
	if (rc != SLUICE_OK)
		s4774_label_free(out);
	return rc;
}

void s4774_label_free(struct s4774_label *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->ncats; i++) {
		for (size_t k = 0; k < l->cats[i].nvalues; k++)
			free(l->cats[i].values[k]);
		free(l->cats[i].values);
		free(l->cats[i].tag_name);
		free(l->cats[i].uri);
	}
	free(l->cats);
	free(l->policy);
	free(l->policy_uri);
	free(l->classification);
	free(l->privacy_mark);
	free(l->creation_time);
	free(l->review_time);
	memset(l, 0, sizeof(*l));
}

/* ---- resolving against the SPIF ---------------------------------------------------------- */

void spif_label_add(struct spif_label *l, const struct spif_category *cat)
{
	size_t i = 0;
	while (i < l->ncats && l->cats[i]->ordinal < cat->ordinal)
		i++;
	if (i < l->ncats && l->cats[i] == cat)
		return;
	l->cats = xrealloc(l->cats, (l->ncats + 1) * sizeof(*l->cats));
	memmove(&l->cats[i + 1], &l->cats[i], (l->ncats - i) * sizeof(*l->cats));
	l->cats[i] = cat;
	l->ncats++;
}

void spif_label_free(struct spif_label *l)
{
	if (l == NULL)
		return;
	free(l->cats);
	memset(l, 0, sizeof(*l));
}

void spif_clearance_free(struct spif_clearance *c)
{
	if (c == NULL)
		return;
	free(c->levels);
	free(c->cats);
	memset(c, 0, sizeof(*c));
}

/* "urn:oid:<oid>" (case-insensitive scheme and NID). */
static bool urn_oid_is(const char *uri, const char *oid)
{
	return strncasecmp(uri, "urn:oid:", 8) == 0 && strcmp(uri + 8, oid) == 0;
}

enum sluice_rc s4774_label_resolve(const struct s4774_label *in, const struct spif *spif,
                                   struct spif_label *out, struct sluice_error *err)
{
	char b1[96], b2[96];
	enum sluice_rc rc = SLUICE_OK;

	memset(out, 0, sizeof(*out));
	out->spif = spif;
	out->line = in->line;
	if (strcasecmp(in->policy, spif->policy_name) != 0)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.unknown-policy", NULL,
		                      in->line, 0,
		                      "the label's policy '%s' is not the SPIF's policy '%s' (%s)",
		                      xml_quote(in->policy, b1, sizeof(b1)), spif->policy_name,
		                      spif->policy_id);
	if (in->policy_uri != NULL && !urn_oid_is(in->policy_uri, spif->policy_id))
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.policy-uri", NULL,
		                      in->line, 0,
		                      "the label's policy URI '%s' is not urn:oid:%s, the SPIF's "
		                      "policy '%s'",
		                      xml_quote(in->policy_uri, b1, sizeof(b1)), spif->policy_id,
		                      spif->policy_name);
	out->cls = spif_class_by_name(spif, in->classification);
	if (out->cls == NULL)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT,
		                      "stanag4774.unknown-classification", NULL, in->line, 0,
		                      "'%s' is not a classification of policy %s",
		                      xml_quote(in->classification, b1, sizeof(b1)), spif->policy_name);
	for (size_t i = 0; i < in->ncats && rc == SLUICE_OK; i++) {
		const struct s4774_category *c = &in->cats[i];
		const char *type = spif_label_type_name(c->type);
		const struct spif_tag_set *set = spif_tag_set_by_name(spif, c->tag_name);
		for (size_t k = 0; k < i; k++)
			if (in->cats[k].type == c->type && strcasecmp(in->cats[k].tag_name, c->tag_name) == 0)
				rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT,
				                    "stanag4774.duplicate-category", NULL, c->line, 0,
				                    "the %s category '%s' is given twice (line %u)", type,
				                    xml_quote(c->tag_name, b1, sizeof(b1)), in->cats[k].line);
		if (rc != SLUICE_OK)
			break;
		if (set == NULL)
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.unknown-tag", NULL,
			                    c->line, 0, "'%s' is not a tag set of policy %s",
			                    xml_quote(c->tag_name, b1, sizeof(b1)), spif->policy_name);
		else if (!spif_tag_set_has_type(set, c->type))
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.unknown-tag", NULL,
			                    c->line, 0, "tag set '%s' of policy %s has no %s tag",
			                    set->name, spif->policy_name, type);
		else if (c->uri != NULL && !urn_oid_is(c->uri, set->id))
			rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.tag-uri", NULL,
			                    c->line, 0, "the URI '%s' of tag '%s' is not urn:oid:%s",
			                    xml_quote(c->uri, b1, sizeof(b1)), set->name, set->id);
		for (size_t v = 0; v < c->nvalues && rc == SLUICE_OK; v++) {
			const struct spif_category *cat =
				spif_category_by_name(set, c->type, c->values[v]);
			if (cat == NULL)
				rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT,
				                    "stanag4774.unknown-value", NULL, c->line, 0,
				                    "'%s' is not a value of the %s tag '%s' of policy %s",
				                    xml_quote(c->values[v], b2, sizeof(b2)), type, set->name,
				                    spif->policy_name);
			else
				spif_label_add(out, cat);
		}
	}
	if (rc != SLUICE_OK)
		spif_label_free(out);
	return rc;
}

/* ---- the SPIF's rules -------------------------------------------------------------------- */

static const char *op_name(enum spif_operation op)
{
	switch (op) {
	case SPIF_OP_ONLY_ONE: return "exactly one";
	case SPIF_OP_ONE_OR_MORE: return "one or more";
	case SPIF_OP_ALL: return "all";
	}
	return "?";
}

static enum sluice_rc invalid(const struct spif_label *l, struct sluice_error *err,
                              const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A label that breaks a rule of its SPIF: 65, at the label's line. */
static enum sluice_rc invalid(const struct spif_label *l, struct sluice_error *err,
                              const char *rule, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, rule, NULL, l->line, 0, "%s", msg);
}

static bool label_has_match(const struct spif_label *l, const struct spif_category_ref *ref,
                            const struct spif_category *except)
{
	for (size_t i = 0; i < l->ncats; i++)
		if (l->cats[i] != except && spif_category_ref_matches(ref, l->cats[i]))
			return true;
	return false;
}

static bool group_satisfied(const struct spif_label *l, const struct spif_category_group *g)
{
	size_t matched = 0;
	for (size_t i = 0; i < g->nrefs; i++)
		if (label_has_match(l, &g->refs[i], NULL))
			matched++;
	switch (g->op) {
	case SPIF_OP_ONLY_ONE: return matched == 1;
	case SPIF_OP_ONE_OR_MORE: return matched >= 1;
	case SPIF_OP_ALL: return matched == g->nrefs;
	}
	return false;
}

/* "Releasable To (enumeratedPermissive) lacv 100" or "... any" for messages. */
static void describe_ref(const struct spif_category_ref *r, const struct spif *spif, char *buf,
                         size_t len)
{
	const struct spif_category *c =
		r->set != NULL && r->lacv != NULL ? spif_category_by_lacv(r->set, r->type, r->lacv)
		                                  : NULL;
	(void)spif;
	if (c != NULL)
		snprintf(buf, len, "%s '%s'", r->tag_set, c->name);
	else if (r->lacv != NULL)
		snprintf(buf, len, "%s %s lacv %s", r->tag_set, spif_tag_type_name(r->type), r->lacv);
	else
		snprintf(buf, len, "any %s value of %s", spif_tag_type_name(r->type), r->tag_set);
}

static enum sluice_rc required_failure(const struct spif_label *l,
                                       const struct spif_category_group *g, const char *who,
                                       struct sluice_error *err)
{
	char list[512] = "";
	for (size_t i = 0; i < g->nrefs; i++) {
		char one[192];
		describe_ref(&g->refs[i], l->spif, one, sizeof(one));
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", one);
	}
	return invalid(l, err, "stanag4774.required-category",
	                   "%s requires %s of: %s", who, op_name(g->op), list);
}

static enum sluice_rc check_selection(const struct spif_label *l, struct sluice_error *err)
{
	for (size_t i = 0; i < l->ncats; i++) {
		const struct spif_tag *tag = l->cats[i]->tag;
		if (i > 0 && l->cats[i - 1]->tag == tag)
			continue; /* counted with the first of its tag (SPIF order groups tags) */
		size_t n = 0;
		for (size_t k = i; k < l->ncats && l->cats[k]->tag == tag; k++)
			n++;
		const char *name = tag->name[0] ? tag->name : tag->set->name;
		if (tag->single_selection && n > 1)
			return invalid(l, err, "stanag4774.selection",
			                   "tag '%s' allows a single value, the label has %zu", name, n);
		if (tag->max_selection >= 0 && n > (size_t)tag->max_selection)
			return invalid(l, err, "stanag4774.selection",
			                   "tag '%s' allows at most %ld values, the label has %zu", name,
			                   tag->max_selection, n);
		if (tag->min_selection >= 0 && n < (size_t)tag->min_selection)
			return invalid(l, err, "stanag4774.selection",
			                   "tag '%s' needs at least %ld values, the label has %zu", name,
			                   tag->min_selection, n);
	}
	return SLUICE_OK;
}

enum sluice_rc spif_label_check(const struct spif_label *l, struct sluice_error *err)
{
	const struct spif_classification *cls = l->cls;
	char who[256];

	if (cls->obsolete)
		return invalid(l, err, "stanag4774.obsolete",
		                   "the classification %s is obsolete in policy %s", cls->name,
		                   l->spif->policy_name);
	for (size_t g = 0; g < cls->nrequired; g++)
		if (!group_satisfied(l, &cls->required[g])) {
			snprintf(who, sizeof(who), "the classification %s", cls->name);
			return required_failure(l, &cls->required[g], who, err);
		}
	for (size_t i = 0; i < l->ncats; i++) {
		const struct spif_category *c = l->cats[i];
		const char *set = c->tag->set->name;
		snprintf(who, sizeof(who), "%s '%s'", set, c->name);
		if (c->obsolete)
			return invalid(l, err, "stanag4774.obsolete",
			                   "%s is obsolete in policy %s", who, l->spif->policy_name);
		for (size_t k = 0; k < c->nexcluded_classes; k++)
			if (c->excluded_classes[k] == cls)
				return invalid(l, err, "stanag4774.excluded-class",
				                   "%s is not allowed with the classification %s", who,
				                   cls->name);
		if (c->required_class != NULL && c->required_class != cls)
			return invalid(l, err, "stanag4774.required-class",
			                   "%s requires the classification %s, not %s", who,
			                   c->required_class->name, cls->name);
		for (size_t k = 0; k < c->nexcluded; k++)
			for (size_t j = 0; j < l->ncats; j++)
				if (l->cats[j] != c && spif_category_ref_matches(&c->excluded[k], l->cats[j]))
					return sluice_fail(err, SLUICE_ERR_INVALID_REPORT,
					                   "stanag4774.excluded-category",
					                   "%s may not be combined with %s '%s'", who,
					                   l->cats[j]->tag->set->name, l->cats[j]->name);
		for (size_t g = 0; g < c->nrequired; g++)
			if (!group_satisfied(l, &c->required[g]))
				return required_failure(l, &c->required[g], who, err);
	}
	return check_selection(l, err);
}

/* ---- display markings -------------------------------------------------------------------- */

/* Do any of the holder's markings carry language `lang` (case-insensitive)? */
static bool has_lang(const struct spif_markings *m, const char *lang, size_t len)
{
	for (size_t i = 0; i < m->ndata; i++)
		if (strlen(m->data[i].lang) == len && strncasecmp(m->data[i].lang, lang, len) == 0)
			return true;
	for (size_t i = 0; i < m->nquals; i++)
		if (strlen(m->quals[i].lang) == len && strncasecmp(m->quals[i].lang, lang, len) == 0)
			return true;
	return false;
}

/* The language of `m` that serves `want`: itself, its primary subtag ("fr" for "fr-CA"), or
 * the default (""). A view with lang NULL means the holder has nothing for `want`. */
struct view {
	const struct spif_markings *m;
	const char *lang;
	size_t len;
};

static struct view view_of(const struct spif_markings *m, const char *want)
{
	struct view v = { m, NULL, 0 };
	size_t n = strlen(want);
	size_t primary = strcspn(want, "-_");
	if (m == NULL)
		return v;
	if (n > 0 && has_lang(m, want, n)) {
		v.lang = want;
		v.len = n;
	} else if (primary > 0 && primary < n && has_lang(m, want, primary)) {
		v.lang = want;
		v.len = primary;
	} else if (has_lang(m, "", 0)) {
		v.lang = "";
	}
	return v;
}

static bool lang_is(const char *lang, const struct view *v)
{
	return strlen(lang) == v->len && strncasecmp(lang, v->lang, v->len) == 0;
}

/* The first markingData of the view's language that applies at `loc`. */
static const struct spif_marking_data *applicable(const struct view *v, unsigned loc)
{
	if (v->lang == NULL)
		return NULL;
	for (size_t i = 0; i < v->m->ndata; i++)
		if (lang_is(v->m->data[i].lang, v) && (v->m->data[i].codes & loc))
			return &v->m->data[i];
	return NULL;
}

/* What stands for `name`: nothing (noNameDisplay, noMarkingDisplay), the name (no phrase, or a
 * phrase that replaces the policy), or the phrase. */
static const char *phrase(const struct view *v, unsigned loc, const char *name)
{
	const struct spif_marking_data *d = applicable(v, loc);
	if (d == NULL)
		return name;
	if (d->codes & (SPIF_CODE_NO_NAME_DISPLAY | SPIF_CODE_NO_MARKING_DISPLAY))
		return "";
	if ((d->codes & SPIF_CODE_REPLACE_POLICY) || d->phrase == NULL)
		return name;
	return d->phrase;
}

/* The phrase that replaces the policy name, or NULL. */
static const char *policy_phrase(const struct view *v, unsigned loc, const char *name)
{
	const struct spif_marking_data *d = applicable(v, loc);
	if (d == NULL || !(d->codes & SPIF_CODE_REPLACE_POLICY))
		return NULL;
	return d->phrase != NULL ? d->phrase : name;
}

static bool suppresses_class(const struct view *v, unsigned loc)
{
	const struct spif_marking_data *d = applicable(v, loc);
	return d != NULL && (d->codes & SPIF_CODE_SUPPRESS_CLASS_NAME);
}

/* A qualifier of the view's language, else of the default language; "" when none. */
static const char *qualifier(const struct view *v, enum spif_qualifier_code code)
{
	if (v->lang == NULL)
		return "";
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < v->m->nquals; i++) {
			const struct spif_qualifier *q = &v->m->quals[i];
			if (q->code == code && (pass == 0 ? lang_is(q->lang, v) : q->lang[0] == '\0'))
				return q->text;
		}
	return "";
}

/* The categories, grouped by tag: " PREFIX v1 SEP v2 SUFFIX" for each tag that shows anything. */
static void categories_marking(struct text *t, const struct spif_category *const *cats,
                               size_t ncats, const char *lang, unsigned loc, const char *sep)
{
	const struct spif_tag *current = NULL;
	const char *tag_sep = "/", *tag_suffix = "";
	for (size_t i = 0; i < ncats; i++) {
		const struct spif_category *c = cats[i];
		struct view v = view_of(&c->markings, lang);
		if (v.lang == NULL)
			v = view_of(&c->tag->markings, lang);
		const char *p = phrase(&v, loc, c->name);
		if (p[0] == '\0')
			continue;
		if (c->tag != current) {
			struct view tv = view_of(&c->tag->markings, lang);
			current = c->tag;
			text_add(t, tag_suffix);
			if (t->len > 0)
				text_add(t, sep);
			tag_suffix = qualifier(&tv, SPIF_QUAL_SUFFIX);
			tag_sep = qualifier(&tv, SPIF_QUAL_SEPARATOR);
			if (tag_sep[0] == '\0')
				tag_sep = "/";
			text_add(t, qualifier(&tv, SPIF_QUAL_PREFIX));
		} else {
			text_add(t, tag_sep);
		}
		text_add(t, p);
	}
	text_add(t, tag_suffix);
}

static const char *policy_separator(const struct view *root)
{
	const char *sep = qualifier(root, SPIF_QUAL_SEPARATOR);
	return sep[0] != '\0' ? sep : " ";
}

char *spif_label_marking(const struct spif_label *l, const char *lang, unsigned loc)
{
	const struct spif *spif = l->spif;
	struct text t = { NULL, 0, 0 };
	if (lang == NULL)
		lang = "";
	struct view root = view_of(&spif->markings, lang);
	struct view cls = view_of(&l->cls->markings, lang);
	const char *sep = policy_separator(&root);
	const char *pol;
	bool suppress = false;

	if (cls.lang == NULL)
		cls = view_of(&spif->class_markings, lang);
	for (size_t i = 0; i < l->ncats && !suppress; i++) {
		struct view v = view_of(&l->cats[i]->markings, lang);
		suppress = suppresses_class(&v, loc);
	}
	pol = policy_phrase(&root, loc, spif->policy_name);
	if (pol == NULL)
		pol = policy_phrase(&cls, loc, l->cls->name);
	for (size_t i = 0; i < l->ncats && pol == NULL; i++) {
		struct view v = view_of(&l->cats[i]->markings, lang);
		pol = policy_phrase(&v, loc, l->cats[i]->name);
	}
	text_add(&t, pol != NULL ? pol : spif->policy_name);
	if (!suppress) {
		if (t.len > 0)
			text_add(&t, sep);
		text_add(&t, phrase(cls.lang != NULL ? &cls : &root, loc, l->cls->name));
	}
	categories_marking(&t, l->cats, l->ncats, lang, loc, sep);

	struct text all = { NULL, 0, 0 };
	text_add(&all, qualifier(&root, SPIF_QUAL_PREFIX));
	text_add(&all, t.p != NULL ? t.p : "");
	text_add(&all, qualifier(&root, SPIF_QUAL_SUFFIX));
	free(t.p);
	return text_take(&all);
}

char *spif_clearance_marking(const struct spif_clearance *c, const char *lang)
{
	const struct spif *spif = c->spif;
	struct view root = view_of(&spif->markings, lang != NULL ? lang : "");
	struct text t = { NULL, 0, 0 };
	bool any = false;

	text_add(&t, qualifier(&root, SPIF_QUAL_PREFIX));
	text_add(&t, "{");
	for (size_t i = 0; i < spif->nclasses; i++) {
		if (!c->levels[i])
			continue;
		if (any)
			text_add(&t, "|");
		text_add(&t, spif->by_level[i]->name);
		any = true;
	}
	text_add(&t, "}");
	categories_marking(&t, c->cats, c->ncats, lang != NULL ? lang : "", SPIF_LOC_PAGE_BOTTOM,
	                   policy_separator(&root));
	text_add(&t, qualifier(&root, SPIF_QUAL_SUFFIX));
	return text_take(&t);
}

/* ---- access ------------------------------------------------------------------------------ */

static bool clearance_holds(const struct spif_clearance *c, const struct spif_category *cat)
{
	for (size_t i = 0; i < c->ncats; i++)
		if (c->cats[i] == cat)
			return true;
	return false;
}

enum sluice_rc spif_access_check(const struct spif_label *l, const struct spif_clearance *c,
                                 struct sluice_error *err)
{
	if (c->spif != l->spif)
		SLUICE_BUG("label and clearance of different SPIFs");
	if (!c->levels[l->cls->level]) {
		char *shown_clearance = spif_clearance_marking(c, "");
		sluice_fail(err, SLUICE_ERR_REFUSED, "stanag4774.access-classification",
		            "the clearance %s does not cover the classification %s", shown_clearance,
		            l->cls->name);
		free(shown_clearance);
		return SLUICE_ERR_REFUSED;
	}
	for (size_t i = 0; i < l->ncats; i++) {
		const struct spif_category *cat = l->cats[i];
		if (spif_tag_label_type(cat->tag->type) == CATEGORY_RESTRICTIVE &&
		    !clearance_holds(c, cat))
			return sluice_fail(err, SLUICE_ERR_REFUSED, "stanag4774.access-restrictive",
			                   "the clearance does not hold %s '%s' (RESTRICTIVE: every "
			                   "value is needed)",
			                   cat->tag->set->name, cat->name);
	}
	/* PERMISSIVE: per tag set, at least one value held. */
	for (size_t i = 0; i < l->ncats; i++) {
		const struct spif_tag_set *set = l->cats[i]->tag->set;
		if (spif_tag_label_type(l->cats[i]->tag->type) != CATEGORY_PERMISSIVE)
			continue;
		bool first = true, held = false;
		for (size_t k = 0; k < l->ncats; k++) {
			const struct spif_category *o = l->cats[k];
			if (o->tag->set != set || spif_tag_label_type(o->tag->type) != CATEGORY_PERMISSIVE)
				continue;
			if (k < i)
				first = false;
			held = held || clearance_holds(c, o);
		}
		if (!first || held)
			continue;
		struct text values = { NULL, 0, 0 };
		for (size_t k = 0; k < l->ncats; k++) {
			const struct spif_category *o = l->cats[k];
			if (o->tag->set != set || spif_tag_label_type(o->tag->type) != CATEGORY_PERMISSIVE)
				continue;
			if (values.len > 0)
				text_add(&values, ", ");
			text_add(&values, o->name);
		}
		sluice_fail(err, SLUICE_ERR_REFUSED, "stanag4774.access-permissive",
		            "the clearance holds none of %s: %s (PERMISSIVE: one value is needed)",
		            set->name, values.p);
		free(values.p);
		return SLUICE_ERR_REFUSED;
	}
	return SLUICE_OK;
}

/* ---- the label model --------------------------------------------------------------------- */

void spif_label_to_label(const struct spif_label *l, struct label *out)
{
	label_init(out, l->spif->policy_name, (int)l->cls->level);
	for (size_t i = 0; i < l->ncats; i++) {
		const struct spif_category *c = l->cats[i];
		label_add_value(out, c->tag->set->name, spif_tag_label_type(c->tag->type), c->name);
	}
}

/* ---- equivalent policies ----------------------------------------------------------------- */

/* Adds to `out` the target categories a required-category group names (refs with a lacv). */
static enum sluice_rc add_required(const struct spif_category_group *groups, size_t n,
                                   const struct spif *target, struct spif_label *out,
                                   struct sluice_error *err)
{
	for (size_t g = 0; g < n; g++)
		for (size_t r = 0; r < groups[g].nrefs; r++) {
			const struct spif_category_ref *ref = &groups[g].refs[r];
			const struct spif_tag_set *set = spif_tag_set_by_name(target, ref->tag_set);
			const struct spif_category *cat =
				set != NULL && ref->lacv != NULL
					? spif_category_by_lacv(set, ref->type, ref->lacv)
					: NULL;
			if (ref->lacv == NULL)
				continue;
			if (cat == NULL)
				return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-equivalent",
				                   "the equivalence names %s %s lacv %s, which policy %s "
				                   "does not define",
				                   ref->tag_set, spif_tag_type_name(ref->type), ref->lacv,
				                   target->policy_name);
			spif_label_add(out, cat);
		}
	return SLUICE_OK;
}

enum sluice_rc spif_label_translate(const struct spif_label *in, const struct spif *target,
                                    struct spif_label *out, struct sluice_error *err)
{
	const struct spif *src = in->spif;
	const struct spif_equiv_policy *pol = NULL;
	const struct spif_equiv_class *eq = NULL;
	enum sluice_rc rc = SLUICE_OK;

	memset(out, 0, sizeof(*out));
	out->spif = target;
	for (size_t i = 0; i < src->nequiv_policies; i++)
		if (strcmp(src->equiv_policies[i].id, target->policy_id) == 0)
			pol = &src->equiv_policies[i];
	if (pol == NULL)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-equivalent",
		                   "policy %s declares no equivalent policy %s (%s)", src->policy_name,
		                   target->policy_name, target->policy_id);
	for (size_t i = 0; i < in->cls->nequivs && eq == NULL; i++)
		if (in->cls->equivs[i].policy == pol &&
		    (in->cls->equivs[i].applied & SPIF_APPLIED_ENCRYPT))
			eq = &in->cls->equivs[i];
	if (eq == NULL || (out->cls = spif_class_by_lacv(target, eq->lacv)) == NULL)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-equivalent",
		                   "the classification %s has no equivalent in policy %s",
		                   in->cls->name, target->policy_name);
	rc = add_required(eq->required, eq->nrequired, target, out, err);
	for (size_t i = 0; i < in->ncats && rc == SLUICE_OK; i++) {
		const struct spif_category *c = in->cats[i];
		bool mapped = false;
		for (size_t k = 0; k < c->nequivs && rc == SLUICE_OK; k++) {
			const struct spif_equiv_category *e = &c->equivs[k];
			if (e->policy != pol || !(e->applied & SPIF_APPLIED_ENCRYPT))
				continue;
			mapped = true;
			if (e->discard)
				continue;
			const struct spif_tag_set *set = spif_tag_set_by_id(target, e->tag_set_id);
			const struct spif_category *tc =
				set != NULL ? spif_category_by_lacv(set, e->type, e->lacv) : NULL;
			if (tc == NULL)
				rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-equivalent",
				                 "%s '%s' maps to %s %s lacv %s, which policy %s does not "
				                 "define",
				                 c->tag->set->name, c->name, e->tag_set_id,
				                 spif_tag_type_name(e->type), e->lacv, target->policy_name);
			else
				spif_label_add(out, tc);
		}
		if (rc == SLUICE_OK && !mapped)
			rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "stanag4774.no-equivalent",
			                 "%s '%s' has no equivalent in policy %s", c->tag->set->name,
			                 c->name, target->policy_name);
	}
	if (rc == SLUICE_OK)
		rc = add_required(pol->required, pol->nrequired, target, out, err);
	if (rc != SLUICE_OK)
		spif_label_free(out);
	return rc;
}
