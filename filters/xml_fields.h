/*
 * Reading values out of a tree that the hardened XML intake (xml_intake.h) made: attributes,
 * element text, xml:lang, and quoting a value safely in a message. Shared by the readers of
 * SPIFs, ADatP-4774 labels and clearances. Pure functions on the tree; no I/O.
 */
#ifndef SLUICE_XML_FIELDS_H
#define SLUICE_XML_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

/* XML white space: space, tab, carriage return, line feed. */
bool xml_is_blank_char(int c);
/* True when `s` is NULL or holds only XML white space. */
bool xml_text_is_blank(const xmlChar *s);

/* Is `n` in the namespace `ns`? Is it the element `name` of that namespace? */
bool xml_in_namespace(xmlNodePtr n, const char *ns);
bool xml_is_element(xmlNodePtr n, const char *ns, const char *name);

/* A copy of the unqualified attribute `name`, or NULL when absent. */
char *xml_attr_dup(xmlNodePtr n, const char *name);
/* A copy of xml:lang, or "" when absent. */
char *xml_lang_dup(xmlNodePtr n);
/* The element's text without leading and trailing white space; with `collapse`, inner runs of
 * white space become one space (xs:token). A new string, never NULL. */
char *xml_text_dup(xmlNodePtr n, bool collapse);

/* `s` made safe to quote in a message: cut to 80 bytes, control characters replaced by '?'
 * (a value must not send escape sequences to an operator's terminal). Returns `buf`. */
const char *xml_quote(const char *s, char *buf, size_t buflen);

#endif
