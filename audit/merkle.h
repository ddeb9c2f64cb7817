/*
 * RFC 6962 Merkle hash trees (section 2.1; RFC 9162 section 2.1 gives the same trees and the
 * verification algorithms used here), over SHA-256:
 *
 *   leaf hash  = SHA-256(0x00 || leaf bytes)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty tree = SHA-256("")
 *
 * and for n > 1 leaves the root is the node hash of the root of the first k leaves (k the
 * largest power of two below n) and the root of the rest.
 *
 * Pure computation: no I/O, no allocation except in the proof builders' recursion (none), no
 * JSON. Sizes and indices are uint64_t; a path is at most MERKLE_MAX_PATH hashes.
 *
 * Verifiers take everything from hostile sources (a proof file, a witness's tree head): they
 * check lengths and ranges themselves and answer with a verdict that says what is wrong.
 */
#ifndef SLUICE_MERKLE_H
#define SLUICE_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* No path of a tree of fewer than 2^64 leaves is longer. */
#define MERKLE_MAX_PATH 64

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

void merkle_leaf_hash(const void *data, size_t len, merkle_hash out);
void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash out);
void merkle_empty_root(merkle_hash out);

/* Lowercase hex of a hash (64 characters and a NUL). */
void merkle_hash_hex(const merkle_hash h, char out[2 * MERKLE_HASH_LEN + 1]);
/* Parses exactly 64 lowercase hex characters; false otherwise. */
bool merkle_hash_parse(const char *hex, merkle_hash out);

/*
 * The frontier (RFC 9162's "compact range" [0, size)): the roots of the perfect subtrees that
 * make up a tree of `size` leaves, largest (leftmost) first, one per bit set in `size`. It is
 * all a writer needs to append leaves and compute the root, in O(log n) memory.
 */
struct merkle_frontier {
	uint64_t size;
	unsigned count;                      /* = number of bits set in size */
	merkle_hash node[MERKLE_MAX_PATH];
};

void merkle_frontier_init(struct merkle_frontier *f);
void merkle_frontier_append(struct merkle_frontier *f, const merkle_hash leaf_hash);
void merkle_frontier_root(const struct merkle_frontier *f, merkle_hash out);
/* Sets a frontier from `count` subtree roots for a tree of `size` leaves; false (and `f`
 * untouched) when `count` is not the number of bits set in `size`. */
bool merkle_frontier_set(struct merkle_frontier *f, uint64_t size, const merkle_hash *nodes,
                         unsigned count);

/* The root of the tree of leaves[0..n) (leaf hashes). */
void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out);

/* RFC 6962 2.1.1 PATH(index, D[n]) into `path` (room for MERKLE_MAX_PATH), lowest sibling
 * first; returns its length. index < n (a caller's bug otherwise). */
size_t merkle_inclusion_path(const merkle_hash *leaves, uint64_t n, uint64_t index,
                             merkle_hash *path);

/* RFC 6962 2.1.2 PROOF(m, D[n]) into `path` (room for MERKLE_MAX_PATH); returns its length
 * (0 when m == n). 0 < m <= n (a caller's bug otherwise). */
size_t merkle_consistency_proof(const merkle_hash *leaves, uint64_t m, uint64_t n,
                                merkle_hash *path);

enum merkle_verdict {
	MERKLE_OK = 0,
	MERKLE_INDEX_OUT_OF_RANGE,   /* leaf index >= tree size */
	MERKLE_SIZES_DECREASE,       /* consistency: the first tree is larger than the second */
	MERKLE_PATH_LENGTH,          /* the path has the wrong number of hashes for the sizes */
	MERKLE_ROOT_MISMATCH,        /* the path does not lead to the (first) root */
	MERKLE_SECOND_ROOT_MISMATCH, /* consistency: it does not lead to the second root */
};

/* What a verdict means, for a message. */
const char *merkle_verdict_str(enum merkle_verdict v);

/* The number of hashes in an inclusion path for `index` in a tree of `size` (index < size). */
size_t merkle_inclusion_path_length(uint64_t index, uint64_t size);
/* The number of hashes in a consistency proof from `size1` to `size2` (0 < size1 <= size2). */
size_t merkle_consistency_proof_length(uint64_t size1, uint64_t size2);

/* RFC 9162 2.1.3.2: whether `path` proves `leaf_hash` at `index` in the tree of `size`
 * leaves whose root is `root`. */
enum merkle_verdict merkle_verify_inclusion(const merkle_hash leaf_hash, uint64_t index,
                                            uint64_t size, const merkle_hash *path,
                                            size_t pathlen, const merkle_hash root);

/* RFC 9162 2.1.4.2: whether `path` proves that the tree of `size2` leaves with root `root2`
 * extends the tree of `size1` leaves with root `root1`. Equal sizes need an empty path and
 * equal roots; size1 == 0 needs an empty path and root1 the empty tree's root. */
enum merkle_verdict merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                              const merkle_hash root1, const merkle_hash root2,
                                              const merkle_hash *path, size_t pathlen);

#endif
