/*
 * Strict YAML for the files administrators write (STYLE.md 12): the sharing policy
 * (policy/policy_load.c) and the gateway daemon's configuration (gateway/config.c).
 *
 * libyaml 0.2.5 accepts duplicate keys, aliases and tags silently, and YAML types plain scalars
 * implicitly ("NO" is false). This layer refuses all of that, in two steps:
 *
 *  1. yaml_doc_parse turns libyaml events into a small tree of `struct ynode` (mappings, lists
 *     and scalars), each with its 1-based line and column. It refuses anchors and aliases
 *     (`<<: *a` merges too), explicit tags and %TAG directives, a key written twice in one
 *     mapping, a key that is not a scalar, a NUL character in a scalar, collections nested
 *     deeper than YAML_STRICT_MAX_NESTING, and a second document. Text must be UTF-8.
 *  2. The caller walks the tree: ymap_walk goes through one table of {key, required, handler}
 *     per kind of mapping (an unknown key, a missing key and each key's type are checked in one
 *     place), and the typed accessors (ynode_string, ynode_integer, ynode_size, ...) read the
 *     values. Plain scalars are never typed implicitly, and an integer is a plain decimal.
 *
 * Every failure is SLUICE_ERR_POLICY (exit 78), recorded in the document's `struct sluice_error`
 * with file:line:column of the node it is about. This layer names its rules
 * "<rule_prefix>.<class>", the prefix being the caller's ("policy", "config"):
 *
 *   syntax        YAML syntax error, text that is not UTF-8, a second document
 *   alias         an anchor or an alias
 *   tag           an explicit tag or a %TAG directive
 *   duplicate-key a key written twice in one mapping (both lines named)
 *   type          a mapping, list or scalar where another is expected, an empty value, a quoted
 *                 or non-decimal integer, a key that is not a scalar
 *   value         a NUL in a scalar; a value of the right type outside its range or syntax
 *   depth         nesting deeper than YAML_STRICT_MAX_NESTING
 *   unknown-key   a key the table does not list (the message lists the allowed keys)
 *   missing-key   a required key is missing (at the mapping), an empty document
 *   read, permissions, too-large   yaml_doc_read_file: the file itself
 *
 * A caller raises its own rules (`policy.unknown-domain`, ...) with yaml_fail_node and
 * yaml_fail_at, giving the whole rule. Values quoted in messages go through yaml_show.
 *
 * SECURITY: the text is untrusted (both loaders are fuzzed). Work is bounded: the tree is as
 * large as the text, recursion is bounded by the nesting limit, duplicate checks sort.
 */
#ifndef SLUICE_YAML_STRICT_H
#define SLUICE_YAML_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

struct stat;

/* Collections nest at most this deep (a mapping in a list in a mapping is 3). */
#define YAML_STRICT_MAX_NESTING 16

/* ---------------------------------------------------------------------------------------- */
/* The document and its tree                                                                */

/* What is being read, for errors. Filled by the caller; nothing here is owned. */
struct yaml_doc {
	const char *name;         /* the file named in errors ("<name>:line:column") */
	const char *rule_prefix;  /* "policy", "config": this layer's rules are "<prefix>.<class>" */
	const char *noun;         /* what the document is, in messages: "policy", "configuration" */
	size_t max_bytes;         /* larger text is refused ("<prefix>.too-large") */
	struct sluice_error *err; /* where a failure is recorded */
};

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode {
	enum ynode_kind kind;
	unsigned line, column; /* 1-based, where the node starts */
	char *value;           /* scalar: its text, NUL-terminated (a NUL inside is refused) */
	bool plain;            /* scalar written without quotes or block indicator */
	struct ynode **items;  /* list: the items; mapping: key, value, key, value, ... (n = 2 x
	                        * the number of keys; every key is a scalar, and unique) */
	size_t n, cap;
};

/* Parses `len` bytes of YAML into a tree. On success *root is the root node, or NULL when the
 * text holds no document at all (empty, or comments only); free it with ynode_free. On failure
 * *root is NULL and doc->err says why. */
enum sluice_rc yaml_doc_parse(const struct yaml_doc *doc, const uint8_t *data, size_t len,
                              struct ynode **root) SLUICE_MUST_CHECK;

/* Reads the file doc->name (at most doc->max_bytes) for yaml_doc_parse. The file must be a
 * regular file not writable by group or others: it decides what the gateway does. Rules, all
 * at line 0: "<prefix>.read" (cannot open or read, not a regular file), "<prefix>.permissions",
 * "<prefix>.too-large". *out is NUL-terminated; free it. */
enum sluice_rc yaml_doc_read_file(const struct yaml_doc *doc, uint8_t **out, size_t *len)
	SLUICE_MUST_CHECK;

/* Frees a node and everything under it; NULL is fine. */
void ynode_free(struct ynode *node);

/* ---------------------------------------------------------------------------------------- */
/* Mappings with a fixed set of keys: one table each                                        */

/* Handles the value of one key. `loader` is the caller's state, `ctx` the object the mapping
 * fills, both as given to ymap_walk. */
typedef enum sluice_rc (*ymap_key_handler)(void *loader, const struct ynode *key,
                                           const struct ynode *value, void *ctx);

struct ymap_rule {
	const char *key;
	bool required;
	ymap_key_handler handle;
};

/* Checks that every key of `map` (a mapping) is in `rules` ("<prefix>.unknown-key"), then goes
 * through the table in its order: a required key that is missing is "<prefix>.missing-key" (at
 * the mapping), a key that is there goes to its handler. Table order lets a later key rely on
 * an earlier one, and makes the first error the same whatever order the keys are written in.
 * `what` names the mapping in messages ("domain 'a'", "'tls'"). */
enum sluice_rc ymap_walk(const struct yaml_doc *doc, const struct ynode *map, const char *what,
                         const struct ymap_rule *rules, size_t nrules, void *loader, void *ctx)
	SLUICE_MUST_CHECK;

/* ymap_walk for the root of a document (as yaml_doc_parse gave it, maybe NULL), named "the
 * <noun>" in messages. An empty document is "<prefix>.missing-key" naming the required keys;
 * a root that is not a mapping is "<prefix>.type". */
enum sluice_rc ymap_walk_root(const struct yaml_doc *doc, const struct ynode *root,
                              const struct ymap_rule *rules, size_t nrules, void *loader,
                              void *ctx) SLUICE_MUST_CHECK;

/* The value of `key` in a mapping, or NULL; *key_node (when not NULL) is the key's node. */
const struct ynode *ymap_get(const struct ynode *map, const char *key,
                             const struct ynode **key_node);

/* ---------------------------------------------------------------------------------------- */
/* Typed values                                                                             */
/* Each takes `what`, the value's name in messages ("'version'", "a value of 'holds'"), and
 * fails with "<prefix>.type" or "<prefix>.value" at the node. Strings point into the tree.   */

/* An empty plain value, "~" or "null" (Null, NULL): YAML's null, never a string here. */
bool ynode_is_null(const struct ynode *n);
/* "a mapping", "a list", "an empty value", "a plain value", "a quoted string". */
const char *ynode_describe(const struct ynode *n);

enum sluice_rc ynode_need_mapping(const struct yaml_doc *doc, const struct ynode *n,
                                  const char *what) SLUICE_MUST_CHECK;
enum sluice_rc ynode_need_list(const struct yaml_doc *doc, const struct ynode *n,
                               const char *what) SLUICE_MUST_CHECK;

/* Any scalar but null, quoted or not ("" when quoted empty). */
enum sluice_rc ynode_string(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                            const char **out) SLUICE_MUST_CHECK;
/* A string that is not "" ("<prefix>.value": "<what> must not be empty"). */
enum sluice_rc ynode_nonempty_string(const struct yaml_doc *doc, const struct ynode *n,
                                     const char *what, const char **out) SLUICE_MUST_CHECK;
/* A name: [A-Za-z0-9._-]+ (policy id, domain names, detector names). */
enum sluice_rc ynode_name(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                          const char **out) SLUICE_MUST_CHECK;
/* One word, not empty, without spaces or control characters (caveat tokens, held values). */
enum sluice_rc ynode_token(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                           const char **out) SLUICE_MUST_CHECK;
/* A plain (unquoted) decimal integer: optional sign, no leading zero, nothing else ("1.5",
 * "0x10", "010" and "\"1\"" are type errors), between min and max (else a value error). */
enum sluice_rc ynode_integer(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                             long long min, long long max, long long *out) SLUICE_MUST_CHECK;
/* A plain size in bytes: digits, optionally a space, optionally B, KiB, MiB or GiB ("4MiB",
 * "512 KiB", "4194304"), between min and max bytes. */
enum sluice_rc ynode_size(const struct yaml_doc *doc, const struct ynode *n, const char *what,
                          unsigned long long min, unsigned long long max,
                          unsigned long long *out) SLUICE_MUST_CHECK;

/* One of the string accessors above, to read the items of a list. */
typedef enum sluice_rc (*ynode_string_getter)(const struct yaml_doc *doc, const struct ynode *n,
                                              const char *what, const char **out);
/* A list whose every item `get_item` accepts (`item_what` names an item in messages). On
 * success *items is a new array of *count strings pointing into the tree (free the array
 * only; NULL for an empty list). */
enum sluice_rc ynode_string_list(const struct yaml_doc *doc, const struct ynode *n,
                                 const char *what, const char *item_what,
                                 ynode_string_getter get_item, const char ***items,
                                 size_t *count) SLUICE_MUST_CHECK;

/* A name and where it is written, to find a name given twice by sorting: O(n log n) however
 * many names a hostile file lists. */
struct ynode_ref {
	const char *name;
	const struct ynode *at;
	size_t order; /* document order */
};
/* Sorts `refs`. When a name occurs twice, *again is the second occurrence that comes first in
 * document order and *first the occurrence before it; false when all names differ. */
bool ynode_refs_first_duplicate(struct ynode_ref *refs, size_t n, const struct ynode_ref **first,
                                const struct ynode_ref **again);

/* ---------------------------------------------------------------------------------------- */
/* Failures                                                                                 */

/* Records SLUICE_ERR_POLICY with `rule` (the whole rule: "policy.unknown-domain") at
 * doc->name:line:column, and returns SLUICE_ERR_POLICY. */
enum sluice_rc yaml_fail_at(const struct yaml_doc *doc, unsigned line, unsigned column,
                            const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same at a node's position. */
enum sluice_rc yaml_fail_node(const struct yaml_doc *doc, const struct ynode *node,
                              const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A printable, bounded copy of a value for messages: control characters (C0, DEL, C1) become
 * '?', so that a file cannot send escape sequences to an operator's terminal, and a long value
 * is cut (on a UTF-8 boundary) and ends in "...". */
struct yaml_shown {
	char s[80];
};
struct yaml_shown yaml_show(const char *value);

/* Line and column (1-based; the column counts UTF-8 characters) of byte `offset` of a text. */
void yaml_text_position(const uint8_t *data, size_t len, size_t offset, unsigned *line,
                        unsigned *column);

/* ---------------------------------------------------------------------------------------- */
/* Files                                                                                    */

/* Opens `path` read-only as a regular file: O_NONBLOCK so that a FIFO cannot hang the reader
 * before fstat refuses it, and *st from the same descriptor (no window between the check and
 * the read). Failures are SLUICE_ERR_IO "io.open" in `err`. */
enum sluice_rc open_regular_file(const char *path, int *fd, struct stat *st,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
