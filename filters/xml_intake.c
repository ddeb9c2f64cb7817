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
	/* namespace declarations count as nodes, as in the scan: thousands of them on many
	 * elements cost libxml2 work too */
	st->nodes += 1 + (uint64_t)nb_attributes + (uint64_t)nb_namespaces;
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

void xml_error_message(const xmlError *e, char *out, size_t outlen)
{
	const char *words[3] = { e->str1, e->str2, e->str3 };
	const char *src = e->message != NULL ? e->message : "parse error";
	size_t o = 0;
	while (*src != '\0' && o + 1 < outlen) {
		size_t hit = 0;
		for (size_t w = 0; w < 3 && hit == 0; w++) {
			size_t n = words[w] != NULL ? strlen(words[w]) : 0;
			if (n > 0 && strncmp(src, words[w], n) == 0)
				hit = n;
		}
		if (hit > 0) {
			out[o++] = '?';
			src += hit;
		} else {
			out[o++] = *src++;
		}
	}
	out[o] = '\0';
	while (o > 0 && (out[o - 1] == '\n' || out[o - 1] == ' '))
		out[--o] = '\0';
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
	xml_error_message(e, msg, sizeof(msg));
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

/* ---- Markup scan ------------------------------------------------------------------------------
 *
 * Why: libxml2 2.9.14 compares every attribute of a start tag with every earlier one (duplicate
 * check) and every namespace declaration with every earlier one, before our start-element
 * callback can count them: 340,000 attributes in 4 MiB cost 10 s of CPU. Worse, after its
 * first fatal error it reads on to the end with the callbacks switched off, so neither the
 * depth nor the node limit is checked there (and it looks prefixes up in a table of all the
 * declarations in scope, once per element and prefixed attribute). So the limits must hold
 * before libxml2 starts: this scan refuses, in one pass over the bytes, a start tag with more
 * than XML_MAX_ATTRIBUTES_PER_ELEMENT attributes or XML_MAX_NAMESPACES_PER_ELEMENT namespace
 * declarations, more than XML_MAX_NAMESPACES_IN_SCOPE declarations in scope, and a document
 * deeper than max-depth or with more elements, attributes and declarations than max-nodes.
 *
 * How: the scan must never see less markup than libxml2 will parse, also in a document that
 * is not well-formed, or a hostile tag could hide from it. It therefore skips only what
 * libxml2 2.9.14 skips, with the same ends, and refuses what would make the two disagree:
 *   - a comment ends at the first "-->"; "--" anywhere else in it is refused (not well-formed;
 *     libxml2 reports it and then ends the comment elsewhere);
 *   - a CDATA section ends at the first "]]>"; a PI whose target starts with an ASCII name
 *     character ends at the first "?>" (without a target libxml2 reads on after "<?", and so
 *     does the scan);
 *   - the XML declaration ends at its first '>' (libxml2 jumps there after an error in it);
 *   - a DOCTYPE before the root element is refused (its internal subset has a grammar of its
 *     own; Sluice refuses every DOCTYPE anyway); after the root's start, libxml2 takes
 *     "<!DOCTYPE" for a broken start tag and so does the scan;
 *   - in any other tag, a quoted value ends at its quote, and the tag at '>' outside quotes or
 *     at any '<' (libxml2 ends an attribute value, and the tag, at '<' and reads on from it);
 *   - a character XML forbids, or a comment, PI, CDATA section or attribute value longer than
 *     libxml2's XML_MAX_TEXT_LENGTH, is refused (libxml2 would end the construct there and
 *     read the rest as content).
 * Anything else the scan counts as markup, which errs on the side of counting too much in a
 * document libxml2 refuses anyway; for a well-formed document its counts are exact. Whether a
 * document is well-formed is left to libxml2. */

/* Constructs libxml2 gives up on when longer than this read on as content (see above). */
#define SCAN_MAX_CONSTRUCT_BYTES ((size_t)XML_MAX_TEXT_LENGTH - 1024)
/* A PI target longer than this is not taken for a target (libxml2 refuses names over
 * XML_MAX_NAME_LENGTH and then reads on after "<?"). */
#define SCAN_MAX_PI_TARGET_BYTES 1024u

struct markup_scan {
	const uint8_t *p;
	size_t len;
	unsigned line;
	const struct xml_limits *lim;
	struct sluice_error *err;
	bool root_started;          /* a tag other than a comment, PI or CDATA has been seen */
	uint32_t depth;
	uint64_t nodes;             /* elements, attributes and namespace declarations */
	unsigned namespaces_in_scope;
	unsigned declaring_levels;  /* entries of `declared` in use */
	struct {
		uint32_t depth;
		unsigned count;
	} declared[XML_MAX_NAMESPACES_IN_SCOPE]; /* open elements that declare namespaces */
};

static bool scan_at(const struct markup_scan *s, size_t i, const char *literal)
{
	size_t n = strlen(literal);
	return i <= s->len && s->len - i >= n && memcmp(s->p + i, literal, n) == 0;
}

static bool is_xml_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A refusal by the scan: the report is invalid, at `line`. */
#define scan_fail(s, rule, line, ...)                                                          \
	sluice_fail_at((s)->err, SLUICE_ERR_INVALID_REPORT, (rule), NULL, (line), 0, __VA_ARGS__)

/* Offset of the first character XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE,
 * U+FFFF), or len. The input is valid UTF-8 (checked before). */
static size_t find_non_xml_char(const uint8_t *p, size_t len, uint32_t *cp)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
			*cp = p[i];
			return i;
		}
		if (p[i] == 0xEF && len - i >= 3 && p[i + 1] == 0xBF &&
		    (p[i + 2] == 0xBE || p[i + 2] == 0xBF)) {
			*cp = p[i + 2] == 0xBE ? 0xFFFE : 0xFFFF;
			return i;
		}
	}
	return len;
}

/* Moves *i past the first `terminator` at or after *i, counting lines; to the end of the input
 * when there is none (libxml2 then refuses the document and parses nothing after it). */
static enum sluice_rc scan_skip_to(struct markup_scan *s, size_t *i, const char *terminator,
                                   const char *what)
{
	size_t start = *i, n = strlen(terminator);
	unsigned line = s->line;
	size_t j = start;
	while (j < s->len && !scan_at(s, j, terminator)) {
		if (s->p[j] == '\n')
			s->line++;
		j++;
	}
	if (j - start > SCAN_MAX_CONSTRUCT_BYTES)
		return scan_fail(s, "xml.not-well-formed", line,
		                 "%s longer than libxml2's limit of %d bytes", what,
		                 XML_MAX_TEXT_LENGTH);
	*i = j < s->len ? j + n : s->len;
	return SLUICE_OK;
}

/* A comment from just after "<!--": ends at the first "-->"; any other "--" is refused. */
static enum sluice_rc scan_comment(struct markup_scan *s, size_t *i)
{
	size_t start = *i, j = start;
	unsigned line = s->line;
	while (j < s->len) {
		if (s->p[j] == '\n')
			s->line++;
		if (s->p[j] == '-' && j + 1 < s->len && s->p[j + 1] == '-') {
			if (j + 2 < s->len && s->p[j + 2] == '>')
				break;
			return scan_fail(s, "xml.not-well-formed", s->line,
			                 "'--' inside a comment (the comment starts on line %u)", line);
		}
		j++;
	}
	if (j - start > SCAN_MAX_CONSTRUCT_BYTES)
		return scan_fail(s, "xml.not-well-formed", line,
		                 "comment longer than libxml2's limit of %d bytes",
		                 XML_MAX_TEXT_LENGTH);
	*i = j < s->len ? j + 3 : s->len;
	return SLUICE_OK;
}

/* "<?" followed by a target libxml2 will certainly read as a name. */
static bool scan_pi_has_target(const struct markup_scan *s, size_t i)
{
	size_t j = i + 2;
	if (j >= s->len)
		return false;
	uint8_t c = s->p[j];
	if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':'))
		return false;
	size_t n = 0;
	while (j < s->len && !is_xml_blank(s->p[j]) && s->p[j] != '?' && s->p[j] != '<' &&
	       n <= SCAN_MAX_PI_TARGET_BYTES) {
		j++;
		n++;
	}
	return n <= SCAN_MAX_PI_TARGET_BYTES;
}

/* Whether the attribute name p[0..n) declares a namespace: "xmlns" or "xmlns:...". */
static bool is_namespace_declaration(const uint8_t *p, size_t n)
{
	return (n == 5 && memcmp(p, "xmlns", 5) == 0) || (n > 5 && memcmp(p, "xmlns:", 6) == 0);
}

/* One tag from its '<': counts the attributes ('=' outside quoted values) and the namespace
 * declarations among them, then applies the caps and the depth and node limits. */
static enum sluice_rc scan_tag(struct markup_scan *s, size_t *i)
{
	const uint8_t *p = s->p;
	bool end_tag = *i + 1 < s->len && p[*i + 1] == '/';
	unsigned line = s->line;
	unsigned attributes = 0, namespaces = 0;
	size_t name_start = 0, name_len = 0, value_start = 0;
	bool in_name = false, have_name = false, closed = false, empty = false;
	uint8_t quote = 0;
	size_t j = *i + 1;

	s->root_started = true;
	while (j < s->len) {
		uint8_t c = p[j];
		if (c == '<')
			break; /* in a value or not, libxml2 ends the tag here and reads on from '<' */
		if (c == '\n')
			s->line++;
		if (quote != 0) {
			if (c == quote) {
				quote = 0;
				if (j - value_start > SCAN_MAX_CONSTRUCT_BYTES)
					return scan_fail(s, "xml.not-well-formed", line,
					                 "attribute value longer than libxml2's limit of %d "
					                 "bytes", XML_MAX_TEXT_LENGTH);
			}
			j++;
			continue;
		}
		if (c == '>') {
			closed = true;
			empty = p[j - 1] == '/';
			j++;
			break;
		}
		if (c == '"' || c == '\'') {
			quote = c;
			value_start = j + 1;
			in_name = have_name = false;
		} else if (c == '=') {
			attributes++;
			if (have_name && is_namespace_declaration(p + name_start, name_len))
				namespaces++;
			in_name = have_name = false;
			if (attributes > XML_MAX_ATTRIBUTES_PER_ELEMENT)
				return scan_fail(s, "limits.max-attributes", line,
				                 "more than %u attributes on one element",
				                 XML_MAX_ATTRIBUTES_PER_ELEMENT);
			if (namespaces > XML_MAX_NAMESPACES_PER_ELEMENT)
				return scan_fail(s, "limits.max-namespaces", line,
				                 "more than %u namespace declarations on one element",
				                 XML_MAX_NAMESPACES_PER_ELEMENT);
		} else if (is_xml_blank(c) || c == '/') {
			in_name = false;
		} else {
			if (!in_name) {
				name_start = j;
				name_len = 0;
				in_name = have_name = true;
			}
			name_len++;
		}
		j++;
	}
	if (quote != 0 && j - value_start > SCAN_MAX_CONSTRUCT_BYTES)
		return scan_fail(s, "xml.not-well-formed", line,
		                 "attribute value longer than libxml2's limit of %d bytes",
		                 XML_MAX_TEXT_LENGTH);
	*i = j;

	if (end_tag) {
		/* libxml2 closes the innermost element at every end tag inside the root, whatever it
		 * is named; the scan's open elements are a superset of libxml2's, so closing the
		 * scan's innermost keeps it one. */
		if (s->depth == 0)
			return SLUICE_OK;
		if (s->declaring_levels > 0 &&
		    s->declared[s->declaring_levels - 1].depth == s->depth) {
			s->declaring_levels--;
			s->namespaces_in_scope -= s->declared[s->declaring_levels].count;
		}
		s->depth--;
		return SLUICE_OK;
	}
	s->nodes += 1 + (uint64_t)attributes;
	if (s->nodes > s->lim->max_nodes)
		return scan_fail(s, "limits.max-nodes", line, "more nodes than max-nodes %llu",
		                 (unsigned long long)s->lim->max_nodes);
	if (s->namespaces_in_scope + namespaces > XML_MAX_NAMESPACES_IN_SCOPE)
		return scan_fail(s, "limits.max-namespaces", line,
		                 "more than %u namespace declarations in scope",
		                 XML_MAX_NAMESPACES_IN_SCOPE);
	if (!closed || empty)
		return SLUICE_OK; /* libxml2 opens no element for these */
	s->depth++;
	if (s->depth > s->lim->max_depth)
		return scan_fail(s, "limits.max-depth", line,
		                 "element nesting deeper than max-depth %u", s->lim->max_depth);
	if (namespaces > 0) {
		s->declared[s->declaring_levels].depth = s->depth;
		s->declared[s->declaring_levels].count = namespaces;
		s->declaring_levels++;
		s->namespaces_in_scope += namespaces;
	}
	return SLUICE_OK;
}

/* The scan described above, over the whole input. */
static enum sluice_rc scan_markup(const uint8_t *p, size_t len, const struct xml_limits *lim,
                                  struct sluice_error *err)
{
	struct markup_scan s;
	enum sluice_rc rc = SLUICE_OK;
	size_t i = 0;
	uint32_t cp = 0;

	size_t bad = find_non_xml_char(p, len, &cp);
	if (bad < len)
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "xml.not-well-formed", NULL,
		                      line_of_offset(p, bad), 0,
		                      "character U+%04X is not allowed in XML (offset %zu)",
		                      (unsigned)cp, bad);
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.len = len;
	s.line = 1;
	s.lim = lim;
	s.err = err;
	if (scan_at(&s, 0, "\xEF\xBB\xBF"))
		i = 3;
	if (scan_at(&s, i, "<?xml") && i + 5 < len && is_xml_blank(p[i + 5])) {
		i += 5;
		rc = scan_skip_to(&s, &i, ">", "XML declaration");
	}
	while (rc == SLUICE_OK && i < len) {
		if (p[i] != '<') {
			if (p[i] == '\n')
				s.line++;
			i++;
		} else if (scan_at(&s, i, "<!--")) {
			i += 4;
			rc = scan_comment(&s, &i);
		} else if (scan_at(&s, i, "<![CDATA[")) {
			i += 9;
			rc = scan_skip_to(&s, &i, "]]>", "CDATA section");
		} else if (!s.root_started && scan_at(&s, i, "<!DOCTYPE")) {
			rc = scan_fail(&s, "xml.doctype", s.line, "a DOCTYPE is not allowed in a report");
		} else if (scan_at(&s, i, "<?") && scan_pi_has_target(&s, i)) {
			i += 2;
			rc = scan_skip_to(&s, &i, "?>", "processing instruction");
		} else {
			rc = scan_tag(&s, &i);
		}
	}
	return rc;
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
			for (xmlNsPtr ns = n->nsDef; ns != NULL; ns = ns->next)
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
	rc = scan_markup(data, len, lim, err);
	if (rc != SLUICE_OK)
		return rc;

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

static bool is_fetch_hint(xmlAttrPtr a)
{
	if (a->ns == NULL || a->ns->href == NULL)
		return false;
	if (xmlStrEqual(a->ns->href, XML_XML_NAMESPACE))
		return xmlStrEqual(a->name, BAD_CAST "base");
	return xmlStrEqual(a->ns->href, BAD_CAST "http://www.w3.org/2001/XMLSchema-instance") &&
	       (xmlStrEqual(a->name, BAD_CAST "schemaLocation") ||
	        xmlStrEqual(a->name, BAD_CAST "noNamespaceSchemaLocation"));
}

static size_t strip_hints(xmlNodePtr n)
{
	size_t removed = 0;
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlAttrPtr a = n->properties;
		while (a != NULL) {
			xmlAttrPtr next = a->next;
			if (is_fetch_hint(a)) {
				(void)xmlRemoveProp(a);
				removed++;
			}
			a = next;
		}
		removed += strip_hints(n->children);
	}
	return removed;
}

size_t xml_strip_fetch_hints(xmlDocPtr doc)
{
	return strip_hints(doc->children);
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
