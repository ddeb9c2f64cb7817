#include "xml_fields.h"

#include <string.h>

#include "sluice_error.h"

bool xml_is_blank_char(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool xml_text_is_blank(const xmlChar *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!xml_is_blank_char(*s))
			return false;
	return true;
}

bool xml_in_namespace(xmlNodePtr n, const char *ns)
{
	return n != NULL && n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

bool xml_is_element(xmlNodePtr n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && xml_in_namespace(n, ns) &&
	       strcmp((const char *)n->name, name) == 0;
}

char *xml_attr_dup(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *xml_lang_dup(xmlNodePtr n)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"lang", XML_XML_NAMESPACE);
	char *s = xstrdup(v != NULL ? (const char *)v : "");
	xmlFree(v);
	return s;
}

char *xml_text_dup(xmlNodePtr n, bool collapse)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v != NULL ? (const char *)v : "";
	size_t len = strlen(s), o = 0;
	char *r = xmalloc(len + 1);
	bool pending = false;

	for (size_t i = 0; i < len; i++) {
		if (xml_is_blank_char((unsigned char)s[i])) {
			pending = o > 0;
			if (!collapse && o > 0)
				r[o++] = s[i];
			continue;
		}
		if (collapse && pending)
			r[o++] = ' ';
		pending = false;
		r[o++] = s[i];
	}
	while (o > 0 && xml_is_blank_char((unsigned char)r[o - 1]))
		o--;
	r[o] = '\0';
	xmlFree(v);
	return r;
}

const char *xml_quote(const char *s, char *buf, size_t buflen)
{
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < buflen && i < 80; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}
