#include "xml_intake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#define XINCLUDE_NS_2001 "http://www.w3.org/2001/XInclude"
#define XINCLUDE_NS_2003 "http://www.w3.org/2003/XInclude"

/* Parser state kept in ctxt->_private while one document is read. */
struct intake_state {
	const struct xml_limits *lim;
	uint32_t depth;
	uint64_t nodes;
	bool stopped;            /* we stopped the parser on purpose */
	struct sluice_error *err;
	startElementNsSAX2Func start_element;
	endElementNsSAX2Func end_element;
	bool have_error;         /* a libxml2 error was recorded in err */
};

static xmlParserInputPtr refuse_entity_loader(const char *url, const char *id,
                                              xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void silent_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void xml_intake_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(refuse_entity_loader);
	xmlSetGenericErrorFunc(NULL, silent_generic_error);
	xmlSetStructuredErrorFunc(NULL, NULL);
	/* Load the built-in UTF-8 handler now, before any sandbox forbids file access. */
	(void)xmlFindCharEncodingHandler("UTF-8");
}

static void stop_with(xmlParserCtxtPtr ctxt, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first reason to refuse and stops the parser where it stands. */
static void stop_with(xmlParserCtxtPtr ctxt, const char *rule, const char *fmt, ...)
{
	struct intake_state *st = ctxt->_private;
	if (!st->stopped) {
		unsigned line = (unsigned)xmlSAX2GetLineNumber(ctxt);
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		sluice_fail_at(st->err, SLUICE_ERR_INVALID_REPORT, rule, NULL, line, 0, "%s", msg);
		st->stopped = true;
	}
	xmlStopParser(ctxt);
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	stop_with(ctx, "xml.doctype", "a DOCTYPE is not allowed in a report");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)public_id;
	(void)system_id;
	(void)content;
	stop_with(ctx, "xml.entity", "entity declarations are not allowed");
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
	/* Predefined entities (&lt; ...) never reach this callback's result; any other entity
	 * reference is hostile without a DTD. */
	xmlEntityPtr predefined = xmlGetPredefinedEntity(name);
	if (predefined != NULL)
		return predefined;
	stop_with(ctx, "xml.entity", "entity references are not allowed (&%s;)",
	          (const char *)name);
	return NULL;
}

static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                             const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct intake_state *st = ctxt->_private;

	if (st->stopped)
		return;
	st->depth++;
	st->nodes += 1 + (uint64_t)nb_attributes;
	if (st->depth > st->lim->max_depth) {
		stop_with(ctxt, "limits.max-depth", "element nesting deeper than max-depth %u",
		          st->lim->max_depth);
		return;
	}
	if (st->nodes > st->lim->max_nodes) {
		stop_with(ctxt, "limits.max-nodes", "more nodes than max-nodes %llu",
		          (unsigned long long)st->lim->max_nodes);
		return;
	}
	if (uri != NULL && (strcmp((const char *)uri, XINCLUDE_NS_2001) == 0 ||
	                    strcmp((const char *)uri, XINCLUDE_NS_2003) == 0)) {
		stop_with(ctxt, "xml.xinclude", "XInclude elements are not allowed (%s)",
		          (const char *)localname);
		return;
	}
	if (nb_defaulted != 0) {
		stop_with(ctxt, "xml.doctype", "defaulted attributes need a DTD");
		return;
	}
	st->start_element(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
	                  nb_defaulted, attributes);
}

static void on_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                           const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct intake_state *st = ctxt->_private;
	if (st->depth > 0)
		st->depth--;
	st->end_element(ctx, localname, prefix, uri);
}

static void on_structured_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct intake_state *st;

	if (ctxt == NULL || e == NULL || e->level == XML_ERR_WARNING)
		return;
	st = ctxt->_private;
	if (st == NULL || st->stopped || st->have_error)
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "parse error");
	size_t l = strlen(msg);
	while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = '\0';
	const char *rule = e->domain == XML_FROM_NAMESPACE ? "xml.namespace" : "xml.not-well-formed";
	sluice_fail_at(st->err, SLUICE_ERR_INVALID_REPORT, rule, NULL, (unsigned)e->line,
	               (unsigned)e->int2, "%s", msg);
	st->have_error = true;
}

static unsigned line_of_offset(const uint8_t *p, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off; i++)
		if (p[i] == '\n')
			line++;
	return line;
}

/* The encoding named by the XML declaration, if any, so that nothing but UTF-8 is ever
 * decoded (another name would make libxml2 reach for iconv and its module files). Returns
 * 0 when acceptable, -1 with a message otherwise. */
static int check_declared_encoding(const uint8_t *p, size_t len, struct sluice_error *err)
{
	size_t i = 0;
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	if (len - i < 5 || memcmp(p + i, "<?xml", 5) != 0)
		return 0;
	size_t end = i + 5;
	while (end + 1 < len && !(p[end] == '?' && p[end + 1] == '>') && end < i + 1024)
		end++;
	/* Search "encoding" inside the declaration, then = and a quoted value. */
	for (size_t k = i + 5; k + 8 <= end; k++) {
		if (memcmp(p + k, "encoding", 8) != 0)
			continue;
		size_t v = k + 8;
		while (v < end && (p[v] == ' ' || p[v] == '\t' || p[v] == '\r' || p[v] == '\n'))
			v++;
		if (v >= end || p[v] != '=')
			break;
		v++;
		while (v < end && (p[v] == ' ' || p[v] == '\t' || p[v] == '\r' || p[v] == '\n'))
			v++;
		if (v >= end || (p[v] != '"' && p[v] != '\''))
			break;
		uint8_t q = p[v++];
		size_t s = v;
		while (v < end && p[v] != q)
			v++;
		size_t n = v - s;
		if ((n == 5 && strncasecmp((const char *)p + s, "UTF-8", 5) == 0) ||
		    (n == 4 && strncasecmp((const char *)p + s, "UTF8", 4) == 0))
			return 0;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(n < 40 ? n : 40), (const char *)p + s);
		sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "xml.encoding", NULL, 1, 0,
		               "declared encoding '%s' is not UTF-8", name);
		return -1;
	}
	return 0;
}

static uint64_t count_nodes(xmlNodePtr n)
{
	uint64_t total = 0;
	for (; n != NULL; n = n->next) {
		total++;
		if (n->type == XML_ELEMENT_NODE) {
			for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
				total++;
			total += count_nodes(n->children);
		}
	}
	return total;
}

/* Anything in the tree that only a DTD could have produced. */
static int check_tree(xmlNodePtr n, struct sluice_error *err)
{
	for (; n != NULL; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (check_tree(n->children, err) != 0)
				return -1;
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "xml.node-type", NULL,
			                      (unsigned)xmlGetLineNo(n), 0,
			                      "node type %d is not allowed in a report", (int)n->type),
			       -1;
		}
	}
	return 0;
}

enum sluice_rc xml_intake_parse(const uint8_t *data, size_t len, const struct xml_limits *lim,
                                xmlDocPtr *out, struct sluice_error *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	enum sluice_rc rc = SLUICE_OK;
	struct intake_state st;
	size_t bad;

	*out = NULL;
	if (len > lim->max_bytes)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "limits.max-bytes",
		                   "report of %zu bytes is over max-bytes %llu", len,
		                   (unsigned long long)lim->max_bytes);
	if (len == 0)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.empty", "the report is empty");
	if (len > INT32_MAX)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "limits.max-bytes",
		                   "report too large for the parser");
	if (!utf8_valid(data, len, &bad))
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "xml.utf8", NULL,
		                      line_of_offset(data, bad), 0,
		                      "invalid UTF-8 at byte offset %zu", bad);
	/* NUL is never a legal XML character; libxml2 would take a trailing one for the end of
	 * input and accept whatever follows the root. */
	const uint8_t *nul = memchr(data, '\0', len);
	if (nul != NULL)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "xml.nul", NULL,
		                      line_of_offset(data, (size_t)(nul - data)), 0,
		                      "NUL byte at offset %zu", (size_t)(nul - data));
	if (check_declared_encoding(data, len, err) != 0)
		return SLUICE_ERR_INVALID_REPORT;

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.nomem",
		                   "cannot create an XML parser");
	memset(&st, 0, sizeof(st));
	st.lim = lim;
	st.err = err;
	st.start_element = ctxt->sax->startElementNs;
	st.end_element = ctxt->sax->endElementNs;
	ctxt->_private = &st;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->externalSubset = on_internal_subset;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->getEntity = on_get_entity;
	ctxt->sax->getParameterEntity = on_get_entity;
	ctxt->sax->startElementNs = on_start_element;
	ctxt->sax->endElementNs = on_end_element;
	ctxt->sax->serror = on_structured_error;
	ctxt->sax->warning = NULL;
	ctxt->sax->error = NULL;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;

	doc = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, "report.xml", "UTF-8",
	                        XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES |
	                        XML_PARSE_NOWARNING);
	if (st.stopped || st.have_error) {
		rc = err ? err->rc : SLUICE_ERR_INVALID_REPORT;
		goto out;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.not-well-formed",
		                 "the report is not well-formed XML");
		goto out;
	}
	if (!ctxt->nsWellFormed) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.namespace",
		                 "the report has namespace errors");
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.doctype",
		                 "a DOCTYPE is not allowed in a report");
		goto out;
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "xml.not-well-formed",
		                 "the report has no root element");
		goto out;
	}
	if (check_tree(doc->children, err) != 0) {
		rc = SLUICE_ERR_INVALID_REPORT;
		goto out;
	}
	if (count_nodes(doc->children) > lim->max_nodes) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "limits.max-nodes",
		                 "more nodes than max-nodes %llu",
		                 (unsigned long long)lim->max_nodes);
		goto out;
	}
	*out = doc;
	doc = NULL;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL) {
		ctxt->_private = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	return rc;
}

static size_t strip(xmlNodePtr n)
{
	size_t removed = 0;
	while (n != NULL) {
		xmlNodePtr next = n->next;
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			removed++;
		} else if (n->type == XML_ELEMENT_NODE) {
			removed += strip(n->children);
		}
		n = next;
	}
	return removed;
}

size_t xml_strip_comments_and_pis(xmlDocPtr doc)
{
	return strip(doc->children);
}

enum sluice_rc xml_serialize(xmlDocPtr doc, uint8_t **out, size_t *outlen,
                             struct sluice_error *err)
{
	xmlChar *mem = NULL;
	int size = 0;
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size < 0)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.serialize",
		                   "cannot serialise the released report");
	*out = xmalloc((size_t)size + 1);
	memcpy(*out, mem, (size_t)size);
	(*out)[size] = '\0';
	*outlen = (size_t)size;
	xmlFree(mem);
	return SLUICE_OK;
}

static size_t count_elements(xmlNodePtr n)
{
	size_t total = 0;
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			total += 1 + count_elements(n->children);
	return total;
}

struct name_slot {
	const xmlChar *name;
	xmlNsPtr ns;
	unsigned total;
	unsigned next;
};

static size_t slot_hash(const xmlChar *name, xmlNsPtr ns, size_t mask)
{
	/* Names come from the parser's dictionary, so equal names are equal pointers; hash the
	 * pointers. xmlStrEqual below keeps it right even if they were not. */
	uintptr_t h = (uintptr_t)name * 31u + (uintptr_t)ns;
	h ^= h >> 17;
	h *= 0xed5ad4bbu;
	h ^= h >> 11;
	return (size_t)h & mask;
}

static struct name_slot *slot_find(struct name_slot *t, size_t mask, xmlNodePtr n)
{
	size_t i = slot_hash(n->name, n->ns, mask);
	while (t[i].name != NULL && !(t[i].ns == n->ns && xmlStrEqual(t[i].name, n->name)))
		i = (i + 1) & mask;
	return &t[i];
}

static void index_children(xmlNodePtr parent, struct xml_position *pos, size_t *used)
{
	size_t k = 0, size = 8;
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			k++;
	if (k == 0)
		return;
	while (size < 2 * k)
		size *= 2;
	struct name_slot *t = xcalloc(size, sizeof(*t));
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		struct name_slot *s = slot_find(t, size - 1, c);
		s->name = c->name;
		s->ns = c->ns;
		s->total++;
	}
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		struct name_slot *s = slot_find(t, size - 1, c);
		struct xml_position *p = &pos[(*used)++];
		p->index = ++s->next;
		p->total = s->total;
		p->portion = -1;
		c->_private = p;
	}
	free(t);
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			index_children(c, pos, used);
}

struct xml_position *xml_index_positions(xmlDocPtr doc, size_t *count)
{
	size_t n = count_elements(doc->children), used = 0;
	struct xml_position *pos = xcalloc(n ? n : 1, sizeof(*pos));
	index_children((xmlNodePtr)doc, pos, &used);
	if (used != n)
		SLUICE_BUG("element count changed while indexing");
	*count = n;
	return pos;
}

static void node_step(xmlNodePtr node, char *buf, size_t buflen)
{
	const char *prefix = (node->ns && node->ns->prefix) ? (const char *)node->ns->prefix : NULL;
	unsigned index = 1, total = 0;
	if (node->_private != NULL) {
		const struct xml_position *p = node->_private;
		index = p->index;
		total = p->total;
	} else {
		for (xmlNodePtr s = node->parent ? node->parent->children : node; s != NULL;
		     s = s->next) {
			if (s->type != XML_ELEMENT_NODE || !xmlStrEqual(s->name, node->name) ||
			    s->ns != node->ns)
				continue;
			total++;
			if (s == node)
				index = total;
		}
	}
	if (total > 1)
		snprintf(buf, buflen, "/%s%s%s[%u]", prefix ? prefix : "", prefix ? ":" : "",
		         (const char *)node->name, index);
	else
		snprintf(buf, buflen, "/%s%s%s", prefix ? prefix : "", prefix ? ":" : "",
		         (const char *)node->name);
}

char *xml_node_location(xmlNodePtr node)
{
	char *path = xstrdup("");
	for (xmlNodePtr n = node; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		char step[300];
		node_step(n, step, sizeof(step));
		size_t a = strlen(step), b = strlen(path);
		char *np = xmalloc(a + b + 1);
		memcpy(np, step, a);
		memcpy(np + a, path, b + 1);
		free(path);
		path = np;
	}
	return path;
}
