/*
 * The strict policy loader (SPEC section 4, STYLE.md 12).
 *
 * SECURITY: a policy is written by administrators, but it is parsed here as untrusted text (it
 * is fuzzed through policy_load_buffer). The loader runs on the trusted side, before any
 * sandbox: it opens the policy file, the word lists it names and its XSD (only to check that
 * it is a readable regular file). It never runs inside the filter.
 *
 * Two passes:
 *  1. libyaml events (yaml_parser_parse) become a small tree of mappings, lists and scalars,
 *     with the position of every node. This pass refuses what libyaml 0.2.5 accepts silently:
 *     aliases and anchors, explicit tags, duplicate keys, keys that are not scalars, nesting
 *     deeper than POLICY_MAX_NESTING, a second document, NUL characters in scalars.
 *  2. The tree is walked with one table of typed handlers per kind of mapping (walk_mapping):
 *     an unknown key, a missing key and a wrong type are caught in one place. Plain scalars are
 *     never typed implicitly ("NO" is Norway, not false); an integer must be a plain decimal,
 *     so a quoted "1" is a type error.
 * Every error is SLUICE_ERR_POLICY with file:line:column (1-based) of the node it is about.
 */
#include "policy.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "fileio.h"
#include "label.h"
#include "redact.h"

#define DEFAULT_MAX_BYTES (4ull * 1024 * 1024)
#define LIMIT_MAX_BYTES (1024ull * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 64u
#define LIMIT_MAX_DEPTH 1000
#define DEFAULT_MAX_NODES 200000u
#define LIMIT_MAX_NODES 100000000ll
#define DEFAULT_REPLACE_WITH "[REDACTED]"

/* ---------------------------------------------------------------------------------------- */
/* The node tree of pass 1                                                                  */

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode {
	enum ynode_kind kind;
	unsigned line, column; /* 1-based */
	char *value;           /* scalar: its text (a NUL inside is refused) */
	bool plain;            /* scalar written without quotes or block indicator */
	struct ynode **items;  /* sequence: the items; mapping: key, value, key, value, ... */
	size_t n, cap;
};

static void ynode_free(struct ynode *node)
{
	if (node == NULL)
		return;
	/* Recursion is bounded by POLICY_MAX_NESTING. */
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

/* The value of `key` in a mapping (keys are unique after pass 1), or NULL. */
static const struct ynode *mapping_get(const struct ynode *map, const char *key,
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

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                   */

struct flow_pair {
	const char *from, *to;     /* owned by the policy */
	const struct ynode *at;    /* the `to` entry */
	size_t order;              /* document order */
};

struct loader {
	const char *name;     /* for messages */
	const char *base_dir; /* word lists and the schema resolve against it */
	struct sluice_error *err;
	struct policy *p;
	const struct classification_scheme *scheme;
	struct flow_pair *pairs;
	size_t npairs, cappairs;
	const struct policy_domain **domain_index; /* sorted by name, for flows */
};

/* A printable, bounded copy of a policy value for messages: control characters become '?'
 * (an operator's terminal must not receive escape sequences), long values are cut. */
struct shown {
	char s[80];
};

static struct shown show(const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	struct shown out;
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

static enum sluice_rc fail_at(struct loader *L, unsigned line, unsigned column, const char *rule,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum sluice_rc fail_at(struct loader *L, unsigned line, unsigned column, const char *rule,
                              const char *fmt, ...)
{
	char msg[sizeof(L->err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sluice_fail_at(L->err, SLUICE_ERR_POLICY, rule, L->name, line, column, "%s", msg);
}

#define fail_node(L, node, rule, ...) \
	fail_at((L), (node)->line, (node)->column, (rule), __VA_ARGS__)

static unsigned mark_line(yaml_mark_t m)
{
	return m.line >= UINT_MAX ? UINT_MAX : (unsigned)m.line + 1;
}

static unsigned mark_column(yaml_mark_t m)
{
	return m.column >= UINT_MAX ? UINT_MAX : (unsigned)m.column + 1;
}

/* Line and column (1-based, in characters) of byte `offset`: libyaml's reader errors give
 * only an offset. */
static void offset_position(const uint8_t *data, size_t len, size_t offset, unsigned *line,
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

static enum sluice_rc syntax_error(struct loader *L, const yaml_parser_t *parser,
                                   const uint8_t *data, size_t len)
{
	const char *problem = parser->problem != NULL ? parser->problem : "unknown error";
	unsigned line, column;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return sluice_fail_at(L->err, SLUICE_ERR_INTERNAL, "internal.memory", L->name, 0, 0,
		                      "out of memory while parsing the policy");
	case YAML_READER_ERROR:
		offset_position(data, len, parser->problem_offset, &line, &column);
		return fail_at(L, line, column, "policy.syntax", "invalid text: %s", problem);
	default:
		break;
	}
	line = mark_line(parser->problem_mark);
	column = mark_column(parser->problem_mark);
	if (parser->context != NULL)
		return fail_at(L, line, column, "policy.syntax", "YAML syntax error: %s %s (from line %u)",
		               problem, parser->context, mark_line(parser->context_mark));
	return fail_at(L, line, column, "policy.syntax", "YAML syntax error: %s", problem);
}

/* ---------------------------------------------------------------------------------------- */
/* Pass 1: events to tree                                                                   */

/* A name and where it was written, to find duplicates by sorting: O(n log n) however many
 * names a hostile policy lists. */
struct nameref {
	const char *name;
	const struct ynode *at;
	size_t order; /* document order */
};

static int nameref_cmp(const void *a, const void *b)
{
	const struct nameref *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts `refs`. When a name occurs twice, *again is the second occurrence that comes first in
 * document order and *first the occurrence before it; false when all names differ. */
static bool first_duplicate(struct nameref *refs, size_t n, const struct nameref **first,
                            const struct nameref **again)
{
	*first = *again = NULL;
	if (n < 2)
		return false;
	qsort(refs, n, sizeof(*refs), nameref_cmp);
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
static enum sluice_rc mapping_check_duplicates(struct loader *L, const struct ynode *map)
{
	size_t nkeys = map->n / 2;
	const struct nameref *first, *again;
	struct nameref *refs;
	enum sluice_rc rc = SLUICE_OK;

	if (nkeys < 2)
		return SLUICE_OK;
	refs = xmalloc(nkeys * sizeof(*refs));
	for (size_t i = 0; i < nkeys; i++) {
		refs[i].name = map->items[2 * i]->value;
		refs[i].at = map->items[2 * i];
		refs[i].order = i;
	}
	if (first_duplicate(refs, nkeys, &first, &again))
		rc = fail_node(L, again->at, "policy.duplicate-key",
		               "duplicate key '%s' (first at line %u, again at line %u)",
		               show(again->name).s, first->at->line, again->at->line);
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
	struct ynode *root;
	struct ynode *stack[POLICY_MAX_NESTING];
	size_t depth;
	unsigned documents;
};

/* Checks and attaches the node a SCALAR, SEQUENCE_START or MAPPING_START event opens. */
static enum sluice_rc tree_add_node(struct loader *L, struct tree_builder *b,
                                    const yaml_event_t *ev)
{
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
		return fail_at(L, line, column, "policy.alias",
		               "YAML anchors are not allowed (&%s): write the value out",
		               show((const char *)anchor).s);
	if (tag != NULL)
		return fail_at(L, line, column, "policy.tag", "YAML tags are not allowed (%s)",
		               show((const char *)tag).s);
	if (parent != NULL && parent->kind == YNODE_MAPPING && parent->n % 2 == 0 &&
	    kind != YNODE_SCALAR)
		return fail_at(L, line, column, "policy.type", "a mapping key must be a name, found %s",
		               kind_name(kind));
	if (kind == YNODE_SCALAR &&
	    memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL)
		return fail_at(L, line, column, "policy.value", "a value contains a NUL character");
	if (kind != YNODE_SCALAR && b->depth == POLICY_MAX_NESTING)
		return fail_at(L, line, column, "policy.depth", "nesting deeper than %d levels",
		               POLICY_MAX_NESTING);
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

/* One event of pass 1. Sets *done at the end of the stream. */
static enum sluice_rc tree_event(struct loader *L, struct tree_builder *b,
                                 const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_NO_EVENT:
		/* Only after the end of the stream, where the loop has stopped already. */
		return sluice_fail_at(L->err, SLUICE_ERR_INTERNAL, "internal.yaml", L->name, 0, 0,
		                      "the YAML parser stopped before the end of the stream");
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return SLUICE_OK;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return SLUICE_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents > 0)
			return fail_at(L, mark_line(ev->start_mark), mark_column(ev->start_mark),
			               "policy.syntax", "a policy is one YAML document, found a second one");
		if (ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return fail_at(L, mark_line(ev->start_mark), mark_column(ev->start_mark),
			               "policy.tag", "%%TAG directives are not allowed");
		b->documents++;
		return SLUICE_OK;
	case YAML_ALIAS_EVENT:
		return fail_at(L, mark_line(ev->start_mark), mark_column(ev->start_mark), "policy.alias",
		               "YAML aliases are not allowed (*%s): write the value out",
		               show((const char *)ev->data.alias.anchor).s);
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return tree_add_node(L, b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			SLUICE_BUG("libyaml closed a collection that was not open");
		b->depth--;
		if (ev->type == YAML_MAPPING_END_EVENT)
			return mapping_check_duplicates(L, b->stack[b->depth]);
		return SLUICE_OK;
	}
	return SLUICE_OK;
}

static enum sluice_rc tree_build(struct loader *L, const uint8_t *data, size_t len,
                                 struct ynode **root_out)
{
	static const unsigned char empty[1] = { 0 };
	yaml_parser_t parser;
	yaml_event_t ev;
	struct tree_builder b;
	enum sluice_rc rc = SLUICE_OK;
	bool done = false;

	*root_out = NULL;
	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&parser))
		return sluice_fail_at(L->err, SLUICE_ERR_INTERNAL, "internal.memory", L->name, 0, 0,
		                      "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, data != NULL ? data : empty, len);
	/* UTF-8 only: no guessing of UTF-16 from a byte order mark. */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(L, &parser, data, len);
			goto out;
		}
		rc = tree_event(L, &b, &ev, &done);
		yaml_event_delete(&ev);
		if (rc != SLUICE_OK)
			goto out;
	}
	*root_out = b.root;
	b.root = NULL;
out:
	yaml_parser_delete(&parser);
	ynode_free(b.root);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Pass 2: typed values                                                                     */

/* An empty plain value, "~" or "null": YAML's null. Never a string here. */
static bool scalar_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	        strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0);
}

static const char *node_desc(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR)
		return kind_name(n->kind);
	if (scalar_is_null(n))
		return "an empty value";
	return n->plain ? "a plain value" : "a quoted string";
}

static enum sluice_rc need_mapping(struct loader *L, const struct ynode *n, const char *what)
{
	if (n->kind == YNODE_MAPPING)
		return SLUICE_OK;
	return fail_node(L, n, "policy.type", "%s must be a mapping, found %s", what, node_desc(n));
}

static enum sluice_rc need_sequence(struct loader *L, const struct ynode *n, const char *what)
{
	if (n->kind == YNODE_SEQUENCE)
		return SLUICE_OK;
	return fail_node(L, n, "policy.type", "%s must be a list, found %s", what, node_desc(n));
}

static enum sluice_rc get_string(struct loader *L, const struct ynode *n, const char *what,
                                 const char **out)
{
	if (n->kind != YNODE_SCALAR || scalar_is_null(n))
		return fail_node(L, n, "policy.type", "%s must be a string, found %s", what,
		                 node_desc(n));
	*out = n->value;
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

/* A string of [A-Za-z0-9._-]+ (policy id, domain and detector names). */
static enum sluice_rc get_name(struct loader *L, const struct ynode *n, const char *what,
                               const char **out)
{
	enum sluice_rc rc = get_string(L, n, what, out);
	if (rc != SLUICE_OK)
		return rc;
	if (!is_name(*out))
		return fail_node(L, n, "policy.value",
		                 "%s must be a name of letters, digits, '.', '_' and '-', found '%s'",
		                 what, show(*out).s);
	return SLUICE_OK;
}

/* A non-empty word without spaces or control characters (caveat tokens, held values). */
static enum sluice_rc get_token(struct loader *L, const struct ynode *n, const char *what,
                                const char **out)
{
	enum sluice_rc rc = get_string(L, n, what, out);
	if (rc != SLUICE_OK)
		return rc;
	if (**out == '\0')
		return fail_node(L, n, "policy.value", "%s must not be empty", what);
	for (const char *s = *out; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f)
			return fail_node(L, n, "policy.value",
			                 "%s must be one word without spaces or control characters, "
			                 "found '%s'", what, show(*out).s);
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

static enum sluice_rc get_integer(struct loader *L, const struct ynode *n, const char *what,
                                  long long min, long long max, long long *out)
{
	bool overflow;
	long long v = 0;

	if (n->kind != YNODE_SCALAR || !n->plain || scalar_is_null(n))
		return fail_node(L, n, "policy.type", "%s must be an integer, found %s", what,
		                 node_desc(n));
	if (!parse_decimal(n->value, &overflow, &v))
		return fail_node(L, n, "policy.type", "%s must be a decimal integer, found '%s'", what,
		                 show(n->value).s);
	if (overflow || v < min || v > max)
		return fail_node(L, n, "policy.value", "%s must be between %lld and %lld, found %s",
		                 what, min, max, show(n->value).s);
	*out = v;
	return SLUICE_OK;
}

/* "4194304", "4MiB", "512 KiB", "1GiB", "100B". */
static enum sluice_rc get_size(struct loader *L, const struct ynode *n, const char *what,
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

	if (n->kind != YNODE_SCALAR || !n->plain || scalar_is_null(n) || n->value[0] < '0' ||
	    n->value[0] > '9')
		return fail_node(L, n, "policy.type",
		                 "%s must be a size such as 4194304 or 4MiB, found %s", what,
		                 node_desc(n));
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
			return fail_node(L, n, "policy.value",
			                 "%s must be between %llu and %llu bytes, found %s", what, min, max,
			                 show(n->value).s);
		*out = v * units[i].factor;
		return SLUICE_OK;
	}
	return fail_node(L, n, "policy.value",
	                 "%s '%s' is not a size (a number of bytes, optionally with B, KiB, MiB or GiB)",
	                 what, show(n->value).s);
}

/* ---------------------------------------------------------------------------------------- */
/* Files the policy names                                                                   */

/* Opens `path` for reading as a regular file. O_NONBLOCK so that a FIFO cannot hang the
 * loader before fstat refuses it. IO errors in `err`. */
static enum sluice_rc open_regular(const char *path, int *fd_out, struct stat *st,
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

static enum sluice_rc read_regular(const char *path, size_t max, uint8_t **out, size_t *outlen,
                                   struct sluice_error *err)
{
	struct stat st;
	int fd;
	enum sluice_rc rc = open_regular(path, &fd, &st, err);

	*out = NULL;
	*outlen = 0;
	if (rc != SLUICE_OK)
		return rc;
	/* A word list changes what a policy does: it must be as protected as the policy. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.permissions", path, 0, 0,
		                      "writable by group or others (mode %04o); run chmod go-w",
		                      (unsigned)(st.st_mode & 07777));
	}
	rc = fd_read_bounded(fd, path, max, SLUICE_ERR_IO, out, outlen, err);
	close(fd);
	return rc;
}

/* Offset of the first byte that is not valid UTF-8 or is NUL, or `len` when there is none. */
static size_t utf8_invalid_offset(const uint8_t *p, size_t len)
{
	size_t bad = len;
	const uint8_t *nul = memchr(p, '\0', len);
	if (!utf8_valid(p, len, &bad) || nul != NULL) {
		size_t at_nul = nul ? (size_t)(nul - p) : len;
		return at_nul < bad ? at_nul : bad;
	}
	return len;
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits a word list into trimmed lines, skipping blanks and '#' comments. */
static void wordlist_split(struct policy_wordlist *wl, const uint8_t *buf, size_t len)
{
	size_t cap = 0, start = 0;

	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		start = 3; /* a byte order mark */
	while (start < len) {
		const uint8_t *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		size_t a = start, z = end;

		while (a < z && is_blank(buf[a]))
			a++;
		while (z > a && is_blank(buf[z - 1]))
			z--;
		if (z > a && buf[a] != '#') {
			if (wl->nwords == cap) {
				cap = cap ? cap * 2 : 16;
				wl->words = xrealloc(wl->words, cap * sizeof(*wl->words));
			}
			wl->words[wl->nwords++] = xstrndup((const char *)buf + a, z - a);
		}
		start = end + 1;
	}
}

static enum sluice_rc wordlist_load(struct loader *L, const struct ynode *at,
                                    struct policy_wordlist *wl)
{
	struct sluice_error inner;
	char *resolved = path_join(L->base_dir, wl->path);
	uint8_t *buf = NULL;
	size_t len = 0, bad;
	enum sluice_rc rc;

	sluice_error_clear(&inner);
	rc = read_regular(resolved, POLICY_WORDLIST_MAX_BYTES, &buf, &len, &inner);
	if (rc != SLUICE_OK) {
		rc = fail_node(L, at, "policy.list-file", "cannot read word list '%s': %s",
		               show(wl->path).s, inner.message);
		goto out;
	}
	bad = utf8_invalid_offset(buf, len);
	if (bad < len) {
		unsigned line, column;
		offset_position(buf, len, bad, &line, &column);
		rc = fail_node(L, at, "policy.list-file",
		               "word list '%s' is not valid UTF-8 text (its line %u, column %u)",
		               show(wl->path).s, line, column);
		goto out;
	}
	{
		uint8_t md[32];
		unsigned int mdlen = 0;
		if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
			rc = sluice_fail(L->err, SLUICE_ERR_INTERNAL, "internal.crypto",
			                 "SHA-256 failed");
			goto out;
		}
		hex_encode(md, sizeof(md), wl->sha256_hex);
	}
	wordlist_split(wl, buf, len);
out:
	free(buf);
	free(resolved);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Mappings with a fixed set of keys: one table each                                        */

typedef enum sluice_rc (*key_handler)(struct loader *L, const struct ynode *key,
                                      const struct ynode *value, void *ctx);

struct key_rule {
	const char *key;
	bool required;
	key_handler handle;
};

/* Checks that every key of `map` is in `rules`, then goes through the table in its order:
 * a required key that is missing is an error, a key that is there goes to its handler. Table
 * order lets a later key rely on an earlier one (`domains` on `profile`), and makes the first
 * error reported the same whatever order the keys are written in. `what` names the mapping
 * in messages. */
static enum sluice_rc walk_mapping(struct loader *L, const struct ynode *map, const char *what,
                                   const struct key_rule *rules, size_t nrules, void *ctx)
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
		return fail_node(L, key, "policy.unknown-key", "unknown key '%s' in %s (allowed: %s)",
		                 show(key->value).s, what, allowed);
	}
	for (size_t r = 0; r < nrules; r++) {
		const struct ynode *key = NULL;
		const struct ynode *value = mapping_get(map, rules[r].key, &key);
		if (value == NULL && rules[r].required)
			return fail_node(L, map, "policy.missing-key", "missing required key '%s' in %s",
			                 rules[r].key, what);
		if (value == NULL)
			continue;
		enum sluice_rc rc = rules[r].handle(L, key, value, ctx);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

/* ---- limits ---- */

static enum sluice_rc limits_max_bytes(struct loader *L, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct policy_limits *limits = ctx;
	unsigned long long v = 0;
	(void)key;
	enum sluice_rc rc = get_size(L, value, "'max-bytes'", 1, LIMIT_MAX_BYTES, &v);
	if (rc == SLUICE_OK)
		limits->max_bytes = v;
	return rc;
}

static enum sluice_rc limits_max_depth(struct loader *L, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct policy_limits *limits = ctx;
	long long v = 0;
	(void)key;
	enum sluice_rc rc = get_integer(L, value, "'max-depth'", 1, LIMIT_MAX_DEPTH, &v);
	if (rc == SLUICE_OK)
		limits->max_depth = (uint32_t)v;
	return rc;
}

static enum sluice_rc limits_max_nodes(struct loader *L, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct policy_limits *limits = ctx;
	long long v = 0;
	(void)key;
	enum sluice_rc rc = get_integer(L, value, "'max-nodes'", 1, LIMIT_MAX_NODES, &v);
	if (rc == SLUICE_OK)
		limits->max_nodes = (uint64_t)v;
	return rc;
}

static const struct key_rule limits_rules[] = {
	{ "max-bytes", false, limits_max_bytes },
	{ "max-depth", false, limits_max_depth },
	{ "max-nodes", false, limits_max_nodes },
};

/* ---- caveats ---- */

struct caveat_ctx {
	struct policy_caveat *caveat;
	bool has_requires;
};

static enum sluice_rc caveat_requires(struct loader *L, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct caveat_ctx *c = ctx;
	enum sluice_rc rc = need_sequence(L, value, "'requires'");
	if (rc != SLUICE_OK)
		return rc;
	if (value->n == 0)
		return fail_node(L, value, "policy.value",
		                 "'requires' must name at least one value (use {} for a caveat without "
		                 "access effect)");
	for (size_t i = 0; i < value->n; i++) {
		const char *v;
		rc = get_token(L, value->items[i], "a value of 'requires'", &v);
		if (rc != SLUICE_OK)
			return rc;
		(void)strset_add(&c->caveat->requires, v);
	}
	(void)key;
	c->caveat->action = CAVEAT_REQUIRES;
	c->has_requires = true;
	return SLUICE_OK;
}

static enum sluice_rc caveat_action(struct loader *L, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct caveat_ctx *c = ctx;
	const char *v;
	enum sluice_rc rc;

	if (c->has_requires)
		return fail_node(L, key, "policy.value",
		                 "a caveat takes either 'requires' or 'action', not both");
	rc = get_string(L, value, "'action'", &v);
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "refuse") == 0)
		c->caveat->action = CAVEAT_REFUSE;
	else if (strcmp(v, "withhold") == 0)
		c->caveat->action = CAVEAT_WITHHOLD;
	else
		return fail_node(L, value, "policy.value",
		                 "unknown caveat action '%s' (allowed: refuse, withhold)", show(v).s);
	return SLUICE_OK;
}

static const struct key_rule caveat_rules[] = {
	{ "requires", false, caveat_requires },
	{ "action", false, caveat_action },
};

/* ---- domains ---- */

static enum sluice_rc domain_clearance(struct loader *L, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct policy_domain *d = ctx;
	const char *v;
	char levels[128] = "";
	size_t used = 0;
	enum sluice_rc rc = get_string(L, value, "'clearance'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	d->clearance = classification_level(L->scheme, v);
	if (d->clearance >= 0)
		return SLUICE_OK;
	for (size_t i = 0; i < L->scheme->count && used < sizeof(levels); i++) {
		int w = snprintf(levels + used, sizeof(levels) - used, "%s%s", i ? ", " : "",
		                 L->scheme->names[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	return fail_node(L, value, "policy.value",
	                 "unknown classification '%s' for profile %s (one of: %s)", show(v).s,
	                 L->scheme->profile, levels);
}

static enum sluice_rc domain_holds(struct loader *L, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct policy_domain *d = ctx;
	enum sluice_rc rc = need_sequence(L, value, "'holds'");

	(void)key;
	for (size_t i = 0; rc == SLUICE_OK && i < value->n; i++) {
		const char *v;
		rc = get_token(L, value->items[i], "a value of 'holds'", &v);
		if (rc == SLUICE_OK)
			(void)strset_add(&d->holds, v);
	}
	return rc;
}

static const struct key_rule domain_rules[] = {
	{ "clearance", true, domain_clearance },
	{ "holds", false, domain_holds },
};

/* ---- flows ---- */

static int domain_key_cmp(const void *key, const void *elem)
{
	const struct policy_domain *const *d = elem;
	return strcmp(key, (*d)->name);
}

static int domain_cmp(const void *a, const void *b)
{
	const struct policy_domain *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static enum sluice_rc need_domain(struct loader *L, const struct ynode *n, const char *what,
                                  const char **out)
{
	char names[384] = "";
	size_t used = 0;
	enum sluice_rc rc = get_string(L, n, what, out);

	if (rc != SLUICE_OK)
		return rc;
	if (bsearch(*out, L->domain_index, L->p->ndomains, sizeof(*L->domain_index),
	            domain_key_cmp) != NULL)
		return SLUICE_OK;
	for (size_t i = 0; i < L->p->ndomains && used < sizeof(names); i++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		                 L->p->domains[i].name);
		used += w > 0 ? (size_t)w : 0;
	}
	return fail_node(L, n, "policy.unknown-domain", "unknown domain '%s' (domains: %s)",
	                 show(*out).s, names);
}

static enum sluice_rc flow_from(struct loader *L, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = need_domain(L, value, "'from'", &v);

	(void)key;
	if (rc == SLUICE_OK)
		f->from = xstrdup(v);
	return rc;
}

static enum sluice_rc flow_add_to(struct loader *L, struct policy_flow *f,
                                  const struct ynode *n)
{
	const char *v;
	enum sluice_rc rc = need_domain(L, n, "'to'", &v);

	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, f->from) == 0)
		return fail_node(L, n, "policy.value", "a flow from '%s' to itself", show(v).s);
	f->to[f->nto++] = xstrdup(v);
	if (L->npairs == L->cappairs) {
		L->cappairs = L->cappairs ? L->cappairs * 2 : 16;
		L->pairs = xrealloc(L->pairs, L->cappairs * sizeof(*L->pairs));
	}
	L->pairs[L->npairs].from = f->from;
	L->pairs[L->npairs].to = f->to[f->nto - 1];
	L->pairs[L->npairs].at = n;
	L->pairs[L->npairs].order = L->npairs;
	L->npairs++;
	return SLUICE_OK;
}

static enum sluice_rc flow_to(struct loader *L, const struct ynode *key,
                              const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	enum sluice_rc rc = SLUICE_OK;

	(void)key;
	if (value->kind == YNODE_SCALAR) {
		f->to = xcalloc(1, sizeof(*f->to));
		return flow_add_to(L, f, value);
	}
	if (value->kind != YNODE_SEQUENCE)
		return fail_node(L, value, "policy.type",
		                 "'to' must be a domain or a list of domains, found %s",
		                 node_desc(value));
	if (value->n == 0)
		return fail_node(L, value, "policy.value", "'to' must name at least one domain");
	f->to = xcalloc(value->n, sizeof(*f->to));
	for (size_t i = 0; rc == SLUICE_OK && i < value->n; i++)
		rc = flow_add_to(L, f, value->items[i]);
	return rc;
}

static enum sluice_rc flow_portions(struct loader *L, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = get_string(L, value, "'portions'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "redact") == 0)
		f->portions = PORTIONS_REDACT;
	else if (strcmp(v, "refuse") == 0)
		f->portions = PORTIONS_REFUSE;
	else
		return fail_node(L, value, "policy.value",
		                 "'portions' must be redact or refuse, found '%s'", show(v).s);
	return SLUICE_OK;
}

static enum sluice_rc flow_marker(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = get_string(L, value, "'marker'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strcmp(v, "withheld") == 0)
		f->marker = MARKER_WITHHELD;
	else if (strcmp(v, "none") == 0)
		f->marker = MARKER_NONE;
	else
		return fail_node(L, value, "policy.value",
		                 "'marker' must be withheld or none, found '%s'", show(v).s);
	return SLUICE_OK;
}

static enum sluice_rc redact_words(struct loader *L, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const struct nameref *first, *again;
	struct nameref *refs = NULL;
	enum sluice_rc rc = need_sequence(L, value, "'words'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	/* Every path is checked, and none listed twice, before any file is read. */
	refs = xcalloc(value->n, sizeof(*refs));
	for (size_t i = 0; i < value->n; i++) {
		rc = get_string(L, value->items[i], "a word list path", &refs[i].name);
		if (rc != SLUICE_OK)
			goto out;
		if (refs[i].name[0] == '\0') {
			rc = fail_node(L, value->items[i], "policy.value",
			               "a word list path must not be empty");
			goto out;
		}
		refs[i].at = value->items[i];
		refs[i].order = i;
	}
	if (first_duplicate(refs, value->n, &first, &again)) {
		rc = fail_node(L, again->at, "policy.value",
		               "word list '%s' is listed twice in this flow (first at line %u)",
		               show(again->name).s, first->at->line);
		goto out;
	}
	f->wordlists = xcalloc(value->n, sizeof(*f->wordlists));
	for (size_t i = 0; i < value->n; i++) {
		struct policy_wordlist *wl = &f->wordlists[f->nwordlists++];
		wl->path = xstrdup(value->items[i]->value);
		rc = wordlist_load(L, value->items[i], wl);
		if (rc != SLUICE_OK)
			goto out;
	}
out:
	free(refs);
	return rc;
}

static enum sluice_rc pattern_regex(struct loader *L, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct policy_pattern *pt = ctx;
	const char *v;
	char why[256] = "";
	enum sluice_rc rc = get_string(L, value, "'regex'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (v[0] == '\0')
		return fail_node(L, value, "policy.value", "'regex' must not be empty");
	if (redact_regex_check(v, why, sizeof(why)) != 0)
		return fail_node(L, value, "policy.value", "bad regex: %s", why);
	pt->regex = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc pattern_name(struct loader *L, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct policy_pattern *pt = ctx;
	const char *v;
	enum sluice_rc rc = get_name(L, value, "pattern 'name'", &v);

	(void)key;
	if (rc == SLUICE_OK)
		pt->name = xstrdup(v);
	return rc;
}

static const struct key_rule pattern_rules[] = {
	{ "regex", true, pattern_regex },
	{ "name", true, pattern_name },
};

static const struct {
	const char *name;
	enum pattern_kind kind;
} builtin_patterns[] = {
	{ "email", PATTERN_EMAIL },
	{ "phone", PATTERN_PHONE },
	{ "passport", PATTERN_PASSPORT },
	{ "iban", PATTERN_IBAN },
};

static enum sluice_rc pattern_item(struct loader *L, const struct ynode *item,
                                   struct policy_pattern *pt)
{
	if (item->kind == YNODE_MAPPING) {
		pt->kind = PATTERN_CUSTOM;
		return walk_mapping(L, item, "a custom pattern", pattern_rules,
		                    sizeof(pattern_rules) / sizeof(pattern_rules[0]), pt);
	}
	if (item->kind != YNODE_SCALAR || scalar_is_null(item))
		return fail_node(L, item, "policy.type",
		                 "a pattern must be a built-in detector name or {regex: ..., name: ...}, "
		                 "found %s", node_desc(item));
	for (size_t i = 0; i < sizeof(builtin_patterns) / sizeof(builtin_patterns[0]); i++) {
		if (strcmp(item->value, builtin_patterns[i].name) == 0) {
			pt->kind = builtin_patterns[i].kind;
			pt->name = xstrdup(builtin_patterns[i].name);
			return SLUICE_OK;
		}
	}
	return fail_node(L, item, "policy.value",
	                 "unknown pattern '%s' (built-in: email, phone, passport, iban; or "
	                 "{regex: ..., name: ...})", show(item->value).s);
}

static enum sluice_rc redact_patterns(struct loader *L, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const struct nameref *first, *again;
	struct nameref *refs;
	enum sluice_rc rc = need_sequence(L, value, "'patterns'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	f->patterns = xcalloc(value->n, sizeof(*f->patterns));
	for (size_t i = 0; i < value->n; i++) {
		rc = pattern_item(L, value->items[i], &f->patterns[f->npatterns++]);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* Receipts name the detector that removed text: names must be unambiguous. */
	refs = xcalloc(value->n, sizeof(*refs));
	for (size_t i = 0; i < value->n; i++) {
		refs[i].name = f->patterns[i].name;
		refs[i].at = value->items[i];
		refs[i].order = i;
	}
	if (first_duplicate(refs, value->n, &first, &again))
		rc = fail_node(L, again->at, "policy.value",
		               "pattern '%s' is listed twice in this flow (first at line %u)",
		               show(again->name).s, first->at->line);
	free(refs);
	return rc;
}

static enum sluice_rc redact_replace_with(struct loader *L, const struct ynode *key,
                                          const struct ynode *value, void *ctx)
{
	struct policy_flow *f = ctx;
	const char *v;
	enum sluice_rc rc = get_string(L, value, "'replace-with'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	for (const char *s = v; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return fail_node(L, value, "policy.value",
			                 "'replace-with' must not contain control characters");
	}
	free(f->replace_with);
	f->replace_with = xstrdup(v);
	return SLUICE_OK;
}

static const struct key_rule redact_rules[] = {
	{ "words", false, redact_words },
	{ "patterns", false, redact_patterns },
	{ "replace-with", false, redact_replace_with },
};

static enum sluice_rc flow_redact(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	enum sluice_rc rc = need_mapping(L, value, "'redact'");

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	return walk_mapping(L, value, "'redact'", redact_rules,
	                    sizeof(redact_rules) / sizeof(redact_rules[0]), ctx);
}

static const struct key_rule flow_rules[] = {
	{ "from", true, flow_from },
	{ "to", true, flow_to },
	{ "portions", false, flow_portions },
	{ "marker", false, flow_marker },
	{ "redact", false, flow_redact },
};

static int flow_pair_cmp(const void *a, const void *b)
{
	const struct flow_pair *x = a, *y = b;
	int c = strcmp(x->from, y->from);
	if (c == 0)
		c = strcmp(x->to, y->to);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool flow_pair_same(const struct flow_pair *a, const struct flow_pair *b)
{
	return strcmp(a->from, b->from) == 0 && strcmp(a->to, b->to) == 0;
}

/* Two flows for one from->to pair would make the decision depend on their order: refused.
 * Sorted, so a policy with many flows stays O(n log n). */
static enum sluice_rc flows_check_pairs(struct loader *L)
{
	const struct flow_pair *first = NULL, *again = NULL;

	if (L->npairs < 2)
		return SLUICE_OK;
	qsort(L->pairs, L->npairs, sizeof(*L->pairs), flow_pair_cmp);
	for (size_t i = 0; i + 1 < L->npairs; i++) {
		/* The first two of each group of equal pairs, sorted by document order. */
		if (!flow_pair_same(&L->pairs[i], &L->pairs[i + 1]))
			continue;
		if (i > 0 && flow_pair_same(&L->pairs[i - 1], &L->pairs[i]))
			continue;
		if (again == NULL || L->pairs[i + 1].order < again->order) {
			first = &L->pairs[i];
			again = &L->pairs[i + 1];
		}
	}
	if (again == NULL)
		return SLUICE_OK;
	return fail_node(L, again->at, "policy.duplicate-flow",
	                 "a second flow from '%s' to '%s' (first at line %u)", show(again->from).s,
	                 show(again->to).s, first->at->line);
}

/* ---- the top level ---- */

static enum sluice_rc top_format(struct loader *L, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	long long v = 0;
	enum sluice_rc rc = get_integer(L, value, "'sluice-policy'", LLONG_MIN, LLONG_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v != 1)
		return fail_node(L, value, "policy.value",
		                 "unsupported policy format %lld (this version of Sluice reads format 1)",
		                 v);
	return SLUICE_OK;
}

static enum sluice_rc top_id(struct loader *L, const struct ynode *key,
                             const struct ynode *value, void *ctx)
{
	const char *v;
	enum sluice_rc rc = get_name(L, value, "'id'", &v);

	(void)key;
	(void)ctx;
	if (rc == SLUICE_OK)
		L->p->id = xstrdup(v);
	return rc;
}

static enum sluice_rc top_version(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	long long v = 0;
	enum sluice_rc rc = get_integer(L, value, "'version'", 0, LONG_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc == SLUICE_OK)
		L->p->version = (long)v;
	return rc;
}

static enum sluice_rc top_profile(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	const char *v;
	enum sluice_rc rc = get_string(L, value, "'profile'", &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	/* The label model knows more schemes than the loader supports yet. */
	L->scheme = strcmp(v, "ism") == 0 ? classification_scheme_find(v) : NULL;
	if (L->scheme == NULL)
		return fail_node(L, value, "policy.value", "profile '%s' is not supported (supported: ism)",
		                 show(v).s);
	L->p->profile = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc top_schema(struct loader *L, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct sluice_error inner;
	struct stat st;
	const char *v;
	int fd;
	enum sluice_rc rc = get_string(L, value, "'schema'", &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v[0] == '\0')
		return fail_node(L, value, "policy.value", "'schema' must not be empty");
	L->p->schema_path = path_join(L->base_dir, v);
	L->p->schema_written = xstrdup(v);
	sluice_error_clear(&inner);
	if (open_regular(L->p->schema_path, &fd, &st, &inner) != SLUICE_OK)
		return fail_node(L, value, "policy.schema-file", "cannot read schema '%s': %s",
		                 show(v).s, inner.message);
	close(fd);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return fail_node(L, value, "policy.permissions",
		                 "schema '%s' is writable by group or others (mode %04o); run chmod go-w",
		                 show(v).s, (unsigned)(st.st_mode & 07777));
	/* Its digest joins the policy's bundle digest (the schema decides what is valid). */
	uint8_t *bytes = NULL, md[32];
	size_t n = 0;
	unsigned int mdlen = 0;
	if (read_regular(L->p->schema_path, POLICY_SCHEMA_MAX_BYTES, &bytes, &n, &inner) !=
	    SLUICE_OK)
		return fail_node(L, value, "policy.schema-file", "cannot read schema '%s': %s",
		                 show(v).s, inner.message);
	int ok = EVP_Digest(bytes, n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	free(bytes);
	if (!ok)
		return sluice_fail(L->err, SLUICE_ERR_INTERNAL, "internal.crypto", "SHA-256 failed");
	hex_encode(md, sizeof(md), L->p->schema_sha256_hex);
	return SLUICE_OK;
}

static enum sluice_rc top_limits(struct loader *L, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	enum sluice_rc rc = need_mapping(L, value, "'limits'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	return walk_mapping(L, value, "'limits'", limits_rules,
	                    sizeof(limits_rules) / sizeof(limits_rules[0]), &L->p->limits);
}

static enum sluice_rc top_caveats(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct policy *p = L->p;
	enum sluice_rc rc = need_mapping(L, value, "'caveats'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	p->caveats = xcalloc(value->n / 2, sizeof(*p->caveats));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *tk = value->items[i], *body = value->items[i + 1];
		struct caveat_ctx c = { &p->caveats[p->ncaveats++], false };
		const char *token;
		char what[128];

		rc = get_token(L, tk, "a caveat token", &token);
		if (rc != SLUICE_OK)
			return rc;
		c.caveat->token = xstrdup(token);
		c.caveat->action = CAVEAT_INFORMATIVE;
		c.caveat->line = tk->line;
		snprintf(what, sizeof(what), "caveat '%s'", show(token).s);
		rc = need_mapping(L, body, what);
		if (rc == SLUICE_OK)
			rc = walk_mapping(L, body, what, caveat_rules,
			                  sizeof(caveat_rules) / sizeof(caveat_rules[0]), &c);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

static enum sluice_rc top_domains(struct loader *L, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct policy *p = L->p;
	enum sluice_rc rc = need_mapping(L, value, "'domains'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (value->n == 0)
		return fail_node(L, value, "policy.value", "'domains' must define at least one domain");
	p->domains = xcalloc(value->n / 2, sizeof(*p->domains));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *nk = value->items[i], *body = value->items[i + 1];
		struct policy_domain *d = &p->domains[p->ndomains++];
		const char *name;
		char what[128];

		rc = get_name(L, nk, "domain name", &name);
		if (rc != SLUICE_OK)
			return rc;
		d->name = xstrdup(name);
		d->line = nk->line;
		d->clearance = -1;
		snprintf(what, sizeof(what), "domain '%s'", name);
		rc = need_mapping(L, body, what);
		if (rc == SLUICE_OK)
			rc = walk_mapping(L, body, what, domain_rules,
			                  sizeof(domain_rules) / sizeof(domain_rules[0]), d);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* Flows look domains up by name: sorted once, so a long policy stays O(n log n). */
	L->domain_index = xcalloc(p->ndomains, sizeof(*L->domain_index));
	for (size_t i = 0; i < p->ndomains; i++)
		L->domain_index[i] = &p->domains[i];
	qsort(L->domain_index, p->ndomains, sizeof(*L->domain_index), domain_cmp);
	return SLUICE_OK;
}

static enum sluice_rc top_flows(struct loader *L, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct policy *p = L->p;
	enum sluice_rc rc = need_sequence(L, value, "'flows'");

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	p->flows = xcalloc(value->n, sizeof(*p->flows));
	for (size_t i = 0; i < value->n; i++) {
		const struct ynode *item = value->items[i];
		struct policy_flow *f = &p->flows[p->nflows++];

		f->portions = PORTIONS_REFUSE; /* fail closed */
		f->marker = MARKER_WITHHELD;
		f->replace_with = xstrdup(DEFAULT_REPLACE_WITH);
		f->line = item->line;
		rc = need_mapping(L, item, "a flow");
		if (rc == SLUICE_OK)
			rc = walk_mapping(L, item, "a flow", flow_rules,
			                  sizeof(flow_rules) / sizeof(flow_rules[0]), f);
		if (rc != SLUICE_OK)
			return rc;
	}
	return flows_check_pairs(L);
}

/* In this order: later handlers rely on earlier ones (domains on profile, flows on domains). */
static const struct key_rule top_rules[] = {
	{ "sluice-policy", true, top_format },
	{ "id", true, top_id },
	{ "version", true, top_version },
	{ "profile", true, top_profile },
	{ "schema", false, top_schema },
	{ "limits", false, top_limits },
	{ "caveats", false, top_caveats },
	{ "domains", true, top_domains },
	{ "flows", false, top_flows },
};

static enum sluice_rc policy_from_tree(struct loader *L, const struct ynode *root)
{
	if (root == NULL || scalar_is_null(root))
		return fail_at(L, root != NULL ? root->line : 1, root != NULL ? root->column : 1,
		               "policy.missing-key",
		               "the policy is empty: 'sluice-policy', 'id', 'version', 'profile' and "
		               "'domains' are required");
	if (root->kind != YNODE_MAPPING)
		return fail_node(L, root, "policy.type", "a policy must be a mapping of keys, found %s",
		                 node_desc(root));
	return walk_mapping(L, root, "the policy", top_rules,
	                    sizeof(top_rules) / sizeof(top_rules[0]), NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Public entry points                                                                      */

/* The bundle digest: SHA-256 over a text that names every input of the policy with its own
 * digest, one per line, in the order the policy lists them:
 *   sluice-policy-bundle 1\n
 *   policy <sha256 of the policy file>\n
 *   schema <path as written> <sha256>\n          (when there is a schema)
 *   words <flow index> <path as written> <sha256>\n   (each word list of each flow)
 * so anyone holding the files can recompute it (docs/OVERSIGHT.md). */
static enum sluice_rc policy_bundle_digest(struct policy *p, struct sluice_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	unsigned int mdlen = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	char line[1200];

#define BUNDLE_LINE(...)                                                                      \
	do {                                                                                  \
		int n_ = snprintf(line, sizeof(line), __VA_ARGS__);                           \
		ok = ok && n_ > 0 && (size_t)n_ < sizeof(line) &&                             \
		     EVP_DigestUpdate(md, line, (size_t)n_) == 1;                             \
	} while (0)
	BUNDLE_LINE("sluice-policy-bundle 1\n");
	BUNDLE_LINE("policy %s\n", p->sha256_hex);
	if (p->schema_path != NULL)
		BUNDLE_LINE("schema %s %s\n", p->schema_written, p->schema_sha256_hex);
	for (size_t f = 0; f < p->nflows; f++)
		for (size_t w = 0; w < p->flows[f].nwordlists; w++)
			BUNDLE_LINE("words %zu %s %s\n", f, p->flows[f].wordlists[w].path,
			            p->flows[f].wordlists[w].sha256_hex);
#undef BUNDLE_LINE
	ok = ok && EVP_DigestFinal_ex(md, digest, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.crypto",
		                   "SHA-256 of the policy bundle failed");
	hex_encode(digest, sizeof(digest), p->bundle_sha256_hex);
	return SLUICE_OK;
}

enum sluice_rc policy_load_buffer(const char *name, const uint8_t *data, size_t len,
                                  const char *base_dir, struct policy **out,
                                  struct sluice_error *err)
{
	struct loader L;
	struct ynode *root = NULL;
	struct policy *p = NULL;
	unsigned int mdlen = 0;
	enum sluice_rc rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.name = name != NULL ? name : "<policy>";
	L.base_dir = base_dir;
	L.err = err;
	if (len > POLICY_FILE_MAX_BYTES)
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.too-large", L.name, 0, 0,
		                      "the policy is larger than %u bytes", POLICY_FILE_MAX_BYTES);

	p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(L.name);
	p->limits.max_bytes = DEFAULT_MAX_BYTES;
	p->limits.max_depth = DEFAULT_MAX_DEPTH;
	p->limits.max_nodes = DEFAULT_MAX_NODES;
	if (EVP_Digest(data != NULL ? data : (const uint8_t *)"", len, p->sha256, &mdlen,
	               EVP_sha256(), NULL) != 1 || mdlen != sizeof(p->sha256)) {
		rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "internal.crypto", L.name, 0, 0,
		                    "cannot compute the SHA-256 of the policy");
		goto out;
	}
	hex_encode(p->sha256, sizeof(p->sha256), p->sha256_hex);
	L.p = p;

	rc = tree_build(&L, data, len, &root);
	if (rc != SLUICE_OK)
		goto out;
	rc = policy_from_tree(&L, root);
	if (rc != SLUICE_OK)
		goto out;
	rc = policy_bundle_digest(p, err);
	if (rc != SLUICE_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	free(L.domain_index);
	free(L.pairs);
	ynode_free(root);
	policy_free(p);
	return rc;
}

enum sluice_rc policy_load(const char *path, struct policy **out, struct sluice_error *err)
{
	struct sluice_error inner;
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *dir = NULL;
	int fd = -1;
	enum sluice_rc rc;

	*out = NULL;
	sluice_error_clear(&inner);
	if (open_regular(path, &fd, &st, &inner) != SLUICE_OK)
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.read", path, 0, 0,
		                      "cannot read the policy: %s", inner.message);
	/* The same descriptor is checked and read: no window between the check and the read. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.permissions", path, 0, 0,
		                    "the policy file is writable by %s (mode %04o): "
		                    "run chmod go-w on it",
		                    (st.st_mode & S_IWOTH) != 0 ? "others" : "its group",
		                    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	rc = fd_read_bounded(fd, path, POLICY_FILE_MAX_BYTES, SLUICE_ERR_POLICY, &buf, &len, &inner);
	if (rc == SLUICE_ERR_POLICY) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.too-large", path, 0, 0,
		                    "the policy is larger than %u bytes", POLICY_FILE_MAX_BYTES);
		goto out;
	}
	if (rc != SLUICE_OK) {
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "policy.read", path, 0, 0,
		                    "cannot read the policy: %s", inner.message);
		goto out;
	}
	dir = path_dirname(path);
	rc = policy_load_buffer(path, buf, len, dir, out, err);
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(buf);
	return rc;
}

static void wordlist_free(struct policy_wordlist *wl)
{
	for (size_t i = 0; i < wl->nwords; i++)
		free(wl->words[i]);
	free(wl->words);
	free(wl->path);
}

static void flow_free(struct policy_flow *f)
{
	free(f->from);
	for (size_t i = 0; i < f->nto; i++)
		free(f->to[i]);
	free(f->to);
	for (size_t i = 0; i < f->nwordlists; i++)
		wordlist_free(&f->wordlists[i]);
	free(f->wordlists);
	for (size_t i = 0; i < f->npatterns; i++) {
		free(f->patterns[i].name);
		free(f->patterns[i].regex);
	}
	free(f->patterns);
	free(f->replace_with);
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->id);
	free(p->profile);
	free(p->schema_path);
	free(p->schema_written);
	for (size_t i = 0; i < p->ncaveats; i++) {
		free(p->caveats[i].token);
		strset_free(&p->caveats[i].requires);
	}
	free(p->caveats);
	for (size_t i = 0; i < p->ndomains; i++) {
		free(p->domains[i].name);
		strset_free(&p->domains[i].holds);
	}
	free(p->domains);
	for (size_t i = 0; i < p->nflows; i++)
		flow_free(&p->flows[i]);
	free(p->flows);
	free(p);
}

const struct policy_domain *policy_domain_find(const struct policy *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->ndomains; i++)
		if (p->domains[i].name != NULL && strcmp(p->domains[i].name, name) == 0)
			return &p->domains[i];
	return NULL;
}

const struct policy_caveat *policy_caveat_find(const struct policy *p, const char *token)
{
	if (p == NULL || token == NULL)
		return NULL;
	for (size_t i = 0; i < p->ncaveats; i++)
		if (p->caveats[i].token != NULL && strcmp(p->caveats[i].token, token) == 0)
			return &p->caveats[i];
	return NULL;
}

const struct policy_flow *policy_flow_find(const struct policy *p, const char *from,
                                           const char *to)
{
	if (p == NULL || from == NULL || to == NULL)
		return NULL;
	for (size_t i = 0; i < p->nflows; i++) {
		const struct policy_flow *f = &p->flows[i];
		if (f->from == NULL || strcmp(f->from, from) != 0)
			continue;
		for (size_t k = 0; k < f->nto; k++)
			if (strcmp(f->to[k], to) == 0)
				return f;
	}
	return NULL;
}
