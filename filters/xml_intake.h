/*
 * Hardened XML intake: the only place report bytes become a libxml2 tree.
 *
 * The rules (STYLE.md, libxml2 2.9.14): valid UTF-8 checked before parsing, and an encoding
 * declaration other than UTF-8 refused; no DOCTYPE at all (stopped the moment the parser sees
 * one, before any declaration inside it is read); no entities; XML_PARSE_NONET and an
 * external entity loader that refuses everything; never NOENT, DTDLOAD, DTDATTR, DTDVALID,
 * XINCLUDE or HUGE; namespace errors fatal; XInclude elements refused; the size limit enforced
 * before parsing, the depth and node limits both before (by a byte scan) and while parsing.
 *
 * The byte scan (xml_intake.c, "Markup scan") runs before libxml2 sees the bytes, because
 * libxml2 2.9.14 checks the attributes and the namespace declarations of one start tag against
 * each other in quadratic time before any callback of ours can count them, and after its first
 * fatal error reads on without calling us at all. The scan sees the markup as libxml2 2.9.14
 * will, and refuses what would make libxml2 slow: see the caps below.
 */
#ifndef SLUICE_XML_INTAKE_H
#define SLUICE_XML_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "sluice_error.h"
#include "utf8.h"

struct xml_limits {
	uint64_t max_bytes;
	uint32_t max_depth;
	uint64_t max_nodes; /* elements, attributes, namespace declarations, text, comment, PI */
};

/* Fixed caps of the markup scan, far above any real report (docs/POLICY.md, "limits"). What
 * they bound is libxml2's work, not a property of a report an administrator would tune. */
#define XML_MAX_ATTRIBUTES_PER_ELEMENT 256u /* rule limits.max-attributes; xmlns ones included */
#define XML_MAX_NAMESPACES_PER_ELEMENT 64u  /* rule limits.max-namespaces */
#define XML_MAX_NAMESPACES_IN_SCOPE 256u    /* rule limits.max-namespaces, on open elements */

/* Once per process, before any sandbox is entered: initialises libxml2, installs the refusing
 * entity loader and silences libxml2's own printing to stderr. */
void xml_intake_init(void);

/* Parses `len` bytes into *out. SLUICE_ERR_INVALID_REPORT with a precise rule and line on any
 * violation; nothing is returned then. */
enum sluice_rc xml_intake_parse(const uint8_t *data, size_t len, const struct xml_limits *lim,
                                xmlDocPtr *out, struct sluice_error *err) SLUICE_MUST_CHECK;

/* Removes every comment and processing instruction from the tree (they never cross). Returns
 * how many were removed. */
size_t xml_strip_comments_and_pis(xmlDocPtr doc);

/* Removes the attributes that tell a reader's parser where to fetch something:
 * xsi:schemaLocation, xsi:noNamespaceSchemaLocation and xml:base. Sluice never follows them
 * (the policy's XSD alone validates), but carried across they would make the receiver's parser
 * a beacon for the sender (docs/SECURITY.md, Findings 2 and 4). Returns how many were removed. */
size_t xml_strip_fetch_hints(xmlDocPtr doc);

/* Serialises the tree as UTF-8 with an XML declaration. */
enum sluice_rc xml_serialize(xmlDocPtr doc, uint8_t **out, size_t *outlen,
                             struct sluice_error *err) SLUICE_MUST_CHECK;

/* Where an element stands among its siblings of the same name, and a slot for the caller. */
struct xml_position {
	unsigned index;  /* 1-based among siblings with the same name and namespace */
	unsigned total;  /* how many such siblings */
	int portion;     /* free for the caller (the release filter keeps a portion index here) */
};

/* Numbers every element of `doc` in one O(n) pass and points each element's _private at its
 * struct xml_position (an array the caller frees with free()). Without it, locations are
 * still right but cost a scan of the siblings each. */
struct xml_position *xml_index_positions(xmlDocPtr doc, size_t *count);

/* libxml2's message for error `e`, into `out`, without the report's own words: every string
 * libxml2 took from the input (e->str1..3: names, values) becomes "?", so that an error that
 * reaches a receipt or the audit log carries no report content (SPEC 7). */
void xml_error_message(const xmlError *e, char *out, size_t outlen);

/* An XPath-like location of `node` for receipts: /Root/Child[2] (the index appears when
 * siblings share the name). New string. */
char *xml_node_location(xmlNodePtr node);

#endif
