/*
 * Strict YAML (yaml_strict.h): libyaml events to a checked tree, typed accessors, table-driven
 * mappings, and failures with file:line:column. Shared by the policy loader and the daemon's
 * configuration loader, so both refuse the same things in the same words.
 *
 * SECURITY: parses untrusted text on the trusted side (the policy and configuration loaders
 * run before any sandbox, and are fuzzed). Only libyaml's event API is used: it builds no
 * document of its own, so nothing is expanded before this code has seen it.
 */
#include "yaml_strict.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "fileio.h"

/* ---------------------------------------------------------------------------------------- */
/* Failures                                                                                 */

static enum sluice_rc yaml_vfail(const struct yaml_doc *doc, unsigned line, unsigned column,
                                 const char *rule, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static enum sluice_rc yaml_vfail(const struct yaml_doc *doc, unsigned line, unsigned column,
                                 const char *rule, const char *fmt, va_list ap)
{
	char msg[sizeof(doc->err->message)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule, doc->name, line, column, "%s", msg);
}

enum sluice_rc yaml_fail_at(const struct yaml_doc *doc, unsigned line, unsigned column,
                            const char *rule, const char *fmt, ...)
{
	va_list ap;
	enum sluice_rc rc;

	va_start(ap, fmt);
	rc = yaml_vfail(doc, line, column, rule, fmt, ap);
	va_end(ap);
	return rc;
}

enum sluice_rc yaml_fail_node(const struct yaml_doc *doc, const struct ynode *node,
                              const char *rule, const char *fmt, ...)
{
	va_list ap;
	enum sluice_rc rc;

	va_start(ap, fmt);
	rc = yaml_vfail(doc, node->line, node->column, rule, fmt, ap);
	va_end(ap);
	return rc;
}

/* A rule of this layer: "<prefix>.<class>". */
struct rule_name {
	char s[64];
};

static struct rule_name rule_of(const struct yaml_doc *doc, const char *rule_class)
{
	struct rule_name r;
	snprintf(r.s, sizeof(r.s), "%s.%s", doc->rule_prefix, rule_class);
	return r;
}

/* Failures of this layer, at a position or a node, in the rule class `rule_class`. */
static enum sluice_rc fail_class_at(const struct yaml_doc *doc, unsigned line, unsigned column,
                                    const char *rule_class, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum sluice_rc fail_class_at(const struct yaml_doc *doc, unsigned line, unsigned column,
                                    const char *rule_class, const char *fmt, ...)
{
	va_list ap;
	enum sluice_rc rc;

	va_start(ap, fmt);
	rc = yaml_vfail(doc, line, column, rule_of(doc, rule_class).s, fmt, ap);
	va_end(ap);
	return rc;
}

#define fail_class(doc, node, rule_class, ...) \
	fail_class_at((doc), (node)->line, (node)->column, (rule_class), __VA_ARGS__)

struct yaml_shown yaml_show(const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	struct yaml_shown out;
	size_t i = 0, o = 0;

	while (v[i] != '\0' && o < sizeof(out.s) - 4) {
		if (v[i] < 0x20 || v[i] == 0x7f) {
			out.s[o++] = '?';
			i++;
		} else if (v[i] == 0xc2 && v[i + 1] >= 0x80 && v[i + 1] <= 0x9f) {
			out.s[o++] = '?'; /* a C1 control such as CSI */
			i += 2;
		} else {
			out.s[o++] = (char)v[i++];
		}
	}
	if (v[i] != '\0') {
		/* Do not cut a UTF-8 sequence in half: its bytes were copied one to one. */
		while (o > 0 && (v[i] & 0xc0) == 0x80) {
			o--;
			i--;
		}
		memcpy(out.s + o, "...", 3);
		o += 3;
	}
	out.s[o] = '\0';
	return out;
}

void yaml_text_position(const uint8_t *data, size_t len, size_t offset, unsigned *line,
                        unsigned *column)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			l++;
			c = 1;
		} else if ((data[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*column = c;
}

static unsigned mark_line(yaml_mark_t m)
{
	return m.line >= UINT_MAX ? UINT_MAX : (unsigned)m.line + 1;
}

static unsigned mark_column(yaml_mark_t m)
{
	return m.column >= UINT_MAX ? UINT_MAX : (unsigned)m.column + 1;
}

static enum sluice_rc syntax_error(const struct yaml_doc *doc, const yaml_parser_t *parser,
                                   const uint8_t *data, size_t len)
{
	const char *problem = parser->problem != NULL ? parser->problem : "unknown error";
	unsigned line, column;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return sluice_fail_at(doc->err, SLUICE_ERR_INTERNAL, "internal.memory", doc->name, 0,
		                      0, "out of memory while parsing the %s", doc->noun);
	case YAML_READER_ERROR:
		/* libyaml's reader errors give only a byte offset. */
		yaml_text_position(data, len, parser->problem_offset, &line, &column);
		return fail_class_at(doc, line, column, "syntax", "invalid text: %s", problem);
	default:
		break;
	}
	line = mark_line(parser->problem_mark);
	column = mark_column(parser->problem_mark);
	if (parser->context != NULL)
		return fail_class_at(doc, line, column, "syntax",
		                     "YAML syntax error: %s %s (from line %u)", problem, parser->context,
		                     mark_line(parser->context_mark));
	return fail_class_at(doc, line, column, "syntax", "YAML syntax error: %s", problem);
}

/* ---------------------------------------------------------------------------------------- */
/* Events to tree                                                                           */

void ynode_free(struct ynode *node)
{
	if (node == NULL)
		return;
	/* Recursion is bounded by YAML_STRICT_MAX_NESTING. */
	for (size_t i = 0; i < node->n; i++)
		ynode_free(node->items[i]);
	free(node->items);
	free(node->value);
	free(node);
}

static void ynode_append(struct ynode *parent, struct ynode *child)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->items = xrealloc(parent->items, parent->cap * sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
}

static int ynode_ref_cmp(const void *a, const void *b)
{
	const struct ynode_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

bool ynode_refs_first_duplicate(struct ynode_ref *refs, size_t n, const struct ynode_ref **first,
                                const struct ynode_ref **again)
{
	*first = *again = NULL;
	if (n < 2)
		return false;
	qsort(refs, n, sizeof(*refs), ynode_ref_cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		/* Only the first two of each group of equal names. */
		if (strcmp(refs[i].name, refs[i + 1].name) != 0)
			continue;
		if (i > 0 && strcmp(refs[i - 1].name, refs[i].name) == 0)
			continue;
		if (*again == NULL || refs[i + 1].order < (*again)->order) {
			*first = &refs[i];
			*again = &refs[i + 1];
		}
	}
	return *again != NULL;
}

/* Refuses a mapping with a key written twice (libyaml keeps both). */
static enum sluice_rc mapping_check_duplicates(const struct yaml_doc *doc,
                                               const struct ynode *map)
{
	size_t nkeys = map->n / 2;
	const struct ynode_ref *first, *again;
	struct ynode_ref *refs;
	enum sluice_rc rc = SLUICE_OK;

	if (nkeys < 2)
		return SLUICE_OK;
	refs = xmalloc(nkeys * sizeof(*refs));
	for (size_t i = 0; i < nkeys; i++) {
		refs[i].name = map->items[2 * i]->value;
		refs[i].at = map->items[2 * i];
		refs[i].order = i;
	}
	if (ynode_refs_first_duplicate(refs, nkeys, &first, &again))
		rc = fail_class(doc, again->at, "duplicate-key",
		                "duplicate key '%s' (first at line %u, again at line %u)",
		                yaml_show(again->name).s, first->at->line, again->at->line);
	free(refs);
	return rc;
}

static const char *kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YNODE_MAPPING: return "a mapping";
	case YNODE_SEQUENCE: return "a list";
	case YNODE_SCALAR: return "a scalar";
	}
	return "?";
}

struct tree_builder {
	const struct yaml_doc *doc;
	struct ynode *root;
	struct ynode *stack[YAML_STRICT_MAX_NESTING]; /* the open collections */
	size_t depth;
	unsigned documents;
};

/* Checks and attaches the node a SCALAR, SEQUENCE_START or MAPPING_START event opens. */
static enum sluice_rc tree_add_node(struct tree_builder *b, const yaml_event_t *ev)
{
	const struct yaml_doc *doc = b->doc;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	enum ynode_kind kind;
	struct ynode *parent = b->depth > 0 ? b->stack[b->depth - 1] : NULL;
	struct ynode *node;
	unsigned line = mark_line(ev->start_mark), column = mark_column(ev->start_mark);

	if (ev->type == YAML_SCALAR_EVENT) {
		kind = YNODE_SCALAR;
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		kind = YNODE_SEQUENCE;
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		kind = YNODE_MAPPING;
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (anchor != NULL)
		return fail_class_at(doc, line, column, "alias",
		                     "YAML anchors are not allowed (&%s): write the value out",
		                     yaml_show((const char *)anchor).s);
	if (tag != NULL)
		return fail_class_at(doc, line, column, "tag", "YAML tags are not allowed (%s)",
		                     yaml_show((const char *)tag).s);
	if (parent != NULL && parent->kind == YNODE_MAPPING && parent->n % 2 == 0 &&
	    kind != YNODE_SCALAR)
		return fail_class_at(doc, line, column, "type",
		                     "a mapping key must be a name, found %s", kind_name(kind));
	if (kind == YNODE_SCALAR &&
	    memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL)
		return fail_class_at(doc, line, column, "value", "a value contains a NUL character");
	if (kind != YNODE_SCALAR && b->depth == YAML_STRICT_MAX_NESTING)
		return fail_class_at(doc, line, column, "depth", "nesting deeper than %d levels",
		                     YAML_STRICT_MAX_NESTING);
	if (parent == NULL && b->root != NULL)
		SLUICE_BUG("a second root node in one YAML document");

	node = xcalloc(1, sizeof(*node));
	node->kind = kind;
	node->line = line;
	node->column = column;
	if (kind == YNODE_SCALAR) {
		node->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	}
	if (parent != NULL)
		ynode_append(parent, node);
	else
		b->root = node;
	if (kind != YNODE_SCALAR)
		b->stack[b->depth++] = node;
	return SLUICE_OK;
}

/* One event. Sets *done at the end of the stream. */
static enum sluice_rc tree_event(struct tree_builder *b, const yaml_event_t *ev, bool *done)
{
	const struct yaml_doc *doc = b->doc;

	switch (ev->type) {
	case YAML_NO_EVENT:
		/* Only after the end of the stream, where the loop has stopped already. */
		return sluice_fail_at(doc->err, SLUICE_ERR_INTERNAL, "internal.yaml", doc->name, 0, 0,
		                      "the YAML parser stopped before the end of the stream");
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return SLUICE_OK;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return SLUICE_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents > 0)
			return fail_class_at(doc, mark_line(ev->start_mark), mark_column(ev->start_mark),
			                     "syntax", "a %s is one YAML document, found a second one",
			                     doc->noun);
		if (ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return fail_class_at(doc, mark_line(ev->start_mark), mark_column(ev->start_mark),
			                     "tag", "%%TAG directives are not allowed");
		b->documents++;
		return SLUICE_OK;
	case YAML_ALIAS_EVENT:
		return fail_class_at(doc, mark_line(ev->start_mark), mark_column(ev->start_mark),
		                     "alias", "YAML aliases are not allowed (*%s): write the value out",
		                     yaml_show((const char *)ev->data.alias.anchor).s);
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return tree_add_node(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			SLUICE_BUG("libyaml closed a collection that was not open");
		b->depth--;
		if (ev->type == YAML_MAPPING_END_EVENT)
			return mapping_check_duplicates(doc, b->stack[b->depth]);
		return SLUICE_OK;
	}
	return SLUICE_OK;
}

enum sluice_rc yaml_doc_parse(const struct yaml_doc *doc, const uint8_t *data, size_t len,
                              struct ynode **root)
{
	static const unsigned char empty[1] = { 0 };
	yaml_parser_t parser;
	yaml_event_t ev;
	struct tree_builder b;
	enum sluice_rc rc = SLUICE_OK;
	bool done = false;

	*root = NULL;
	if (len > doc->max_bytes)
		return sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule_of(doc, "too-large").s,
		                      doc->name, 0, 0, "the %s is larger than %zu bytes", doc->noun,
		                      doc->max_bytes);
	memset(&b, 0, sizeof(b));
	b.doc = doc;
	if (!yaml_parser_initialize(&parser))
		return sluice_fail_at(doc->err, SLUICE_ERR_INTERNAL, "internal.memory", doc->name, 0,
		                      0, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, data != NULL ? data : empty, len);
	/* UTF-8 only: no guessing of UTF-16 from a byte order mark. */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(doc, &parser, data, len);
			goto out;
		}
		rc = tree_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (rc != SLUICE_OK)
			goto out;
	}
	*root = b.root;
	b.root = NULL;
out:
	yaml_parser_delete(&parser);
	ynode_free(b.root);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Files                                                                                    */

enum sluice_rc open_regular_file(const char *path, int *fd_out, struct stat *st,
                                 struct sluice_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*fd_out = -1;
	if (fd < 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0, "%s", strerror(errno));
	if (fstat(fd, st) != 0) {
		int e = errno;
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0, "%s", strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                      "not a regular file");
	}
	*fd_out = fd;
	return SLUICE_OK;
}

enum sluice_rc yaml_doc_read_file(const struct yaml_doc *doc, uint8_t **out, size_t *len)
{
	struct sluice_error inner;
	struct stat st;
	int fd = -1;
	enum sluice_rc rc;

	*out = NULL;
	*len = 0;
	sluice_error_clear(&inner);
	if (open_regular_file(doc->name, &fd, &st, &inner) != SLUICE_OK)
		return sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule_of(doc, "read").s, doc->name,
		                      0, 0, "cannot read the %s: %s", doc->noun, inner.message);
	/* The same descriptor is checked and read: no window between the check and the read. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		rc = sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule_of(doc, "permissions").s,
		                    doc->name, 0, 0,
		                    "the %s file is writable by %s (mode %04o): run chmod go-w on it",
		                    doc->noun, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group",
		                    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	rc = fd_read_bounded(fd, doc->name, doc->max_bytes, SLUICE_ERR_POLICY, out, len, &inner);
	if (rc == SLUICE_ERR_POLICY) {
		rc = sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule_of(doc, "too-large").s,
		                    doc->name, 0, 0, "the %s is larger than %zu bytes", doc->noun,
		                    doc->max_bytes);
		goto out;
	}
	if (rc != SLUICE_OK)
		rc = sluice_fail_at(doc->err, SLUICE_ERR_POLICY, rule_of(doc, "read").s, doc->name, 0,
		                    0, "cannot read the %s: %s", doc->noun, inner.message);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Mappings                                                                                 */

const struct ynode *ymap_get(const struct ynode *map, const char *key,
                             const struct ynode **key_node)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		if (strcmp(map->items[i]->value, key) == 0) {
			if (key_node != NULL)
				*key_node = map->items[i];
			return map->items[i + 1];
		}
	}
	return NULL;
}

enum sluice_rc ymap_walk(const struct yaml_doc *doc, const struct ynode *map, const char *what,
                         const struct ymap_rule *rules, size_t nrules, void *loader, void *ctx)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->items[i];
		bool known = false;
		char allowed[256] = "";
		size_t used = 0;

		for (size_t r = 0; r < nrules && !known; r++)
			known = strcmp(rules[r].key, key->value) == 0;
		if (known)
			continue;
		for (size_t r = 0; r < nrules && used < sizeof(allowed); r++) {
			int w = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", r ? ", " : "",
			                 rules[r].key);
			used += w > 0 ? (size_t)w : 0;
		}
		return fail_class(doc, key, "unknown-key", "unknown key '%s' in %s (allowed: %s)",
		                  yaml_show(key->value).s, what, allowed);
	}
	for (size_t r = 0; r < nrules; r++) {
		const struct ynode *key = NULL;
		const struct ynode *value = ymap_get(map, rules[r].key, &key);
		if (value == NULL && rules[r].required)
			return fail_class(doc, map, "missing-key", "missing required key '%s' in %s",
			                  rules[r].key, what);
		if (value == NULL)
			continue;
		enum sluice_rc rc = rules[r].handle(loader, key, value, ctx);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

enum sluice_rc ymap_walk_root(const struct yaml_doc *doc, const struct ynode *root,
                              const struct ymap_rule *rules, size_t nrules, void *loader,
                              void *ctx)
{
	char what[64];

	if (root == NULL || ynode_is_null(root)) {
		/* "'a', 'b' and 'c' are required", from the table. */
		char required[256] = "";
		size_t used = 0, nrequired = 0, listed = 0;

		for (size_t r = 0; r < nrules; r++)
			nrequired += rules[r].required;
		for (size_t r = 0; r < nrules && used < sizeof(required); r++) {
			if (!rules[r].required)
				continue;
			listed++;
			int w = snprintf(required + used, sizeof(required) - used, "%s'%s'",
			                 listed == 1 ? "" : listed == nrequired ? " and " : ", ",
			                 rules[r].key);
			used += w > 0 ? (size_t)w : 0;
		}
		if (nrequired == 0)
			return fail_class_at(doc, root != NULL ? root->line : 1,
			                     root != NULL ? root->column : 1, "missing-key",
			                     "the %s is empty", doc->noun);
		return fail_class_at(doc, root != NULL ? root->line : 1, root != NULL ? root->column : 1,
		                     "missing-key", "the %s is empty: %s %s required", doc->noun,
		                     required, nrequired == 1 ? "is" : "are");
	}
	if (root->kind != YNODE_MAPPING)
		return fail_class(doc, root, "type", "a %s must be a mapping of keys, found %s",
		                  doc->noun, ynode_describe(root));
	snprintf(what, sizeof(what), "the %s", doc->noun);
	return ymap_walk(doc, root, what, rules, nrules, loader, ctx);
}

/* ---------------------------------------------------------------------------------------- */
/* Typed values                                                                             */

bool ynode_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	        strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0);
}

const char *ynode_describe(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR)
		return kind_name(n->kind);
	if (ynode_is_null(n))
		return "an empty value";
	return n->plain ? "a plain value" : "a quoted string";
}

enum sluice_rc ynode_need_mapping(const struct yaml_doc *doc, const struct ynode *n,
                                  const char *what)
{
	if (n->kind == YNODE_MAPPING)
		return SLUICE_OK;
	return fail_class(doc, n, "type", "%s must be a mapping, found %s", what,
	                  ynode_describe(n));
}

enum sluice_rc ynode_need_list(const struct yaml_doc *doc, const struct ynode *n,
                               const char *what)
{
	if (n->kind == YNODE_SEQUENCE)
		return SLUICE_OK;
	return fail_class(doc, n, "type", "%s must be a list, found %s", what, ynode_describe(n));
}

enum sluice_rc ynode_string(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                            const char **out)
{
	if (n->kind != YNODE_SCALAR || ynode_is_null(n))
		return fail_class(doc, n, "type", "%s must be a string, found %s", what,
		                  ynode_describe(n));
	*out = n->value;
	return SLUICE_OK;
}

enum sluice_rc ynode_nonempty_string(const struct yaml_doc *doc, const struct ynode *n,
                                     const char *what, const char **out)
{
	enum sluice_rc rc = ynode_string(doc, n, what, out);
	if (rc != SLUICE_OK)
		return rc;
	if (**out == '\0')
		return fail_class(doc, n, "value", "%s must not be empty", what);
	return SLUICE_OK;
}

static bool is_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

enum sluice_rc ynode_name(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                          const char **out)
{
	enum sluice_rc rc = ynode_string(doc, n, what, out);
	if (rc != SLUICE_OK)
		return rc;
	if (!is_name(*out))
		return fail_class(doc, n, "value",
		                  "%s must be a name of letters, digits, '.', '_' and '-', found '%s'",
		                  what, yaml_show(*out).s);
	return SLUICE_OK;
}

enum sluice_rc ynode_token(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                           const char **out)
{
	enum sluice_rc rc = ynode_nonempty_string(doc, n, what, out);
	if (rc != SLUICE_OK)
		return rc;
	for (const char *s = *out; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f)
			return fail_class(doc, n, "value",
			                  "%s must be one word without spaces or control characters, "
			                  "found '%s'", what, yaml_show(*out).s);
	}
	return SLUICE_OK;
}

/* Parses a plain decimal integer: optional sign, digits, no leading zero, nothing after. */
static bool parse_decimal(const char *s, bool *overflow, long long *out)
{
	bool negative = false;
	unsigned long long v = 0;

	*overflow = false;
	if (*s == '-' || *s == '+')
		negative = *s++ == '-';
	if (*s < '0' || *s > '9')
		return false;
	if (s[0] == '0' && s[1] != '\0')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
	}
	if (*s != '\0')
		return false;
	if (v > (unsigned long long)LLONG_MAX)
		*overflow = true;
	if (!*overflow)
		*out = negative ? -(long long)v : (long long)v;
	return true;
}

enum sluice_rc ynode_integer(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                             long long min, long long max, long long *out)
{
	bool overflow;
	long long v = 0;

	if (n->kind != YNODE_SCALAR || !n->plain || ynode_is_null(n))
		return fail_class(doc, n, "type", "%s must be an integer, found %s", what,
		                  ynode_describe(n));
	if (!parse_decimal(n->value, &overflow, &v))
		return fail_class(doc, n, "type", "%s must be a decimal integer, found '%s'", what,
		                  yaml_show(n->value).s);
	if (overflow || v < min || v > max)
		return fail_class(doc, n, "value", "%s must be between %lld and %lld, found %s", what,
		                  min, max, yaml_show(n->value).s);
	*out = v;
	return SLUICE_OK;
}

enum sluice_rc ynode_size(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                          unsigned long long min, unsigned long long max,
                          unsigned long long *out)
{
	static const struct {
		const char *suffix;
		unsigned long long factor;
	} units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
		{ "GiB", 1024 * 1024 * 1024 },
	};
	const char *s;
	unsigned long long v = 0;
	bool overflow = false;

	if (n->kind != YNODE_SCALAR || !n->plain || ynode_is_null(n) || n->value[0] < '0' ||
	    n->value[0] > '9')
		return fail_class(doc, n, "type", "%s must be a size such as 4194304 or 4MiB, found %s",
		                  what, ynode_describe(n));
	for (s = n->value; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	while (*s == ' ')
		s++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].suffix) != 0)
			continue;
		if (overflow || v > max / units[i].factor || v * units[i].factor < min)
			return fail_class(doc, n, "value",
			                  "%s must be between %llu and %llu bytes, found %s", what, min,
			                  max, yaml_show(n->value).s);
		*out = v * units[i].factor;
		return SLUICE_OK;
	}
	return fail_class(doc, n, "value",
	                  "%s '%s' is not a size (a number of bytes, optionally with B, KiB, MiB or "
	                  "GiB)", what, yaml_show(n->value).s);
}

enum sluice_rc ynode_string_list(const struct yaml_doc *doc, const struct ynode *n,
                                 const char *what, const char *item_what,
                                 ynode_string_getter get_item, const char ***items,
                                 size_t *count)
{
	const char **v = NULL;
	enum sluice_rc rc = ynode_need_list(doc, n, what);

	*items = NULL;
	*count = 0;
	if (rc != SLUICE_OK)
		return rc;
	if (n->n > 0)
		v = xcalloc(n->n, sizeof(*v));
	for (size_t i = 0; i < n->n; i++) {
		rc = get_item(doc, n->items[i], item_what, &v[i]);
		if (rc != SLUICE_OK) {
			free(v);
			return rc;
		}
	}
	*items = v;
	*count = n->n;
	return SLUICE_OK;
}
