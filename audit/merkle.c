/*
 * RFC 6962 Merkle hash trees over SHA-256 (merkle.h). The builders follow RFC 6962 section
 * 2.1.1 and 2.1.2 literally (recursion on the largest power of two below n); the verifiers
 * follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step, after checking the path's length
 * so that a wrong length is named as such rather than as a wrong root.
 */
#include "merkle.h"

#include <string.h>

#include <openssl/evp.h>

#include "sluice_error.h"

static void sha256_prefixed(uint8_t prefix, const void *a, size_t alen, const void *b,
                            size_t blen, merkle_hash out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, &prefix, 1) != 1 ||
	    (alen > 0 && EVP_DigestUpdate(md, a, alen) != 1) ||
	    (blen > 0 && EVP_DigestUpdate(md, b, blen) != 1) ||
	    EVP_DigestFinal_ex(md, out, &len) != 1 || len != MERKLE_HASH_LEN)
		SLUICE_BUG("SHA-256 failed");
	EVP_MD_CTX_free(md);
}

void merkle_leaf_hash(const void *data, size_t len, merkle_hash out)
{
	sha256_prefixed(0x00, data, len, NULL, 0, out);
}

void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash out)
{
	sha256_prefixed(0x01, left, MERKLE_HASH_LEN, right, MERKLE_HASH_LEN, out);
}

void merkle_empty_root(merkle_hash out)
{
	unsigned int len = 0;
	if (EVP_Digest("", 0, out, &len, EVP_sha256(), NULL) != 1 || len != MERKLE_HASH_LEN)
		SLUICE_BUG("SHA-256 failed");
}

void merkle_hash_hex(const merkle_hash h, char out[2 * MERKLE_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < MERKLE_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 0x0f];
	}
	out[2 * MERKLE_HASH_LEN] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool merkle_hash_parse(const char *hex, merkle_hash out)
{
	merkle_hash h;
	if (hex == NULL || strlen(hex) != 2 * MERKLE_HASH_LEN)
		return false;
	for (size_t i = 0; i < MERKLE_HASH_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, h, MERKLE_HASH_LEN);
	return true;
}

/* ---- the frontier -------------------------------------------------------------------------- */

void merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

/* Appending is adding one to a binary counter: each trailing one bit of the old size is a
 * subtree of the same size as the one being carried, and merges with it. */
void merkle_frontier_append(struct merkle_frontier *f, const merkle_hash leaf_hash)
{
	merkle_hash carry;
	uint64_t size = f->size;

	if (size == UINT64_MAX)
		SLUICE_BUG("Merkle tree full");
	memcpy(carry, leaf_hash, MERKLE_HASH_LEN);
	while (size & 1) {
		if (f->count == 0)
			SLUICE_BUG("Merkle frontier out of step with its size");
		merkle_node_hash(f->node[f->count - 1], carry, carry);
		f->count--;
		size >>= 1;
	}
	memcpy(f->node[f->count++], carry, MERKLE_HASH_LEN);
	f->size++;
}

void merkle_frontier_root(const struct merkle_frontier *f, merkle_hash out)
{
	merkle_hash r;
	if (f->count == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(r, f->node[f->count - 1], MERKLE_HASH_LEN);
	for (unsigned i = f->count - 1; i-- > 0;)
		merkle_node_hash(f->node[i], r, r);
	memcpy(out, r, MERKLE_HASH_LEN);
}

bool merkle_frontier_set(struct merkle_frontier *f, uint64_t size, const merkle_hash *nodes,
                         unsigned count)
{
	if (count != (unsigned)__builtin_popcountll(size))
		return false;
	f->size = size;
	f->count = count;
	memcpy(f->node, nodes, (size_t)count * MERKLE_HASH_LEN);
	return true;
}

/* ---- building proofs from the leaves ------------------------------------------------------- */

void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	struct merkle_frontier f;
	merkle_frontier_init(&f);
	for (uint64_t i = 0; i < n; i++)
		merkle_frontier_append(&f, leaves[i]);
	merkle_frontier_root(&f, out);
}

/* The largest power of two strictly below n (n > 1). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = (uint64_t)1 << (63 - __builtin_clzll(n - 1));
	return k;
}

static size_t path_rec(const merkle_hash *leaves, uint64_t n, uint64_t m, merkle_hash *path)
{
	if (n <= 1)
		return 0;
	uint64_t k = split_point(n);
	size_t len;
	if (m < k) {
		len = path_rec(leaves, k, m, path);
		merkle_root(leaves + k, n - k, path[len]);
	} else {
		len = path_rec(leaves + k, n - k, m - k, path);
		merkle_root(leaves, k, path[len]);
	}
	return len + 1;
}

size_t merkle_inclusion_path(const merkle_hash *leaves, uint64_t n, uint64_t index,
                             merkle_hash *path)
{
	if (index >= n)
		SLUICE_BUG("inclusion path asked for a leaf outside the tree");
	return path_rec(leaves, n, index, path);
}

/* SUBPROOF(m, D[n], whole): `whole` says D[0:m] is the old tree itself, whose root the
 * verifier already has. */
static size_t subproof_rec(const merkle_hash *leaves, uint64_t m, uint64_t n, bool whole,
                           merkle_hash *path)
{
	if (m == n) {
		if (whole)
			return 0;
		merkle_root(leaves, n, path[0]);
		return 1;
	}
	uint64_t k = split_point(n);
	size_t len;
	if (m <= k) {
		len = subproof_rec(leaves, m, k, whole, path);
		merkle_root(leaves + k, n - k, path[len]);
	} else {
		len = subproof_rec(leaves + k, m - k, n - k, false, path);
		merkle_root(leaves, k, path[len]);
	}
	return len + 1;
}

size_t merkle_consistency_proof(const merkle_hash *leaves, uint64_t m, uint64_t n,
                                merkle_hash *path)
{
	if (m == 0 || m > n)
		SLUICE_BUG("consistency proof asked for impossible sizes");
	return subproof_rec(leaves, m, n, true, path);
}

/* ---- verifying ----------------------------------------------------------------------------- */

const char *merkle_verdict_str(enum merkle_verdict v)
{
	switch (v) {
	case MERKLE_OK: return "the proof verifies";
	case MERKLE_INDEX_OUT_OF_RANGE: return "the leaf index is not inside the tree";
	case MERKLE_SIZES_DECREASE: return "the second tree is smaller than the first";
	case MERKLE_PATH_LENGTH: return "the path has the wrong number of hashes for these sizes";
	case MERKLE_ROOT_MISMATCH: return "the path does not lead to the tree head's root";
	case MERKLE_SECOND_ROOT_MISMATCH: return "the path does not lead to the newer head's root";
	}
	return "unknown verdict";
}

static unsigned bit_length(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

/* A path from leaf `index` splits into the levels where the leaf's subtree has a right
 * sibling inside the tree ("inner": below the highest bit where index and size-1 differ) and
 * the levels above, where it has a left sibling exactly when the index's bit is set. */
size_t merkle_inclusion_path_length(uint64_t index, uint64_t size)
{
	unsigned inner = bit_length(index ^ (size - 1));
	unsigned border = inner >= 64 ? 0 : (unsigned)__builtin_popcountll(index >> inner);
	return inner + border;
}

/* The proof from size1 is the inclusion path of leaf size1-1 without the levels where the
 * old tree's last subtree is whole (its trailing zero bits), plus that subtree's own root
 * unless the old tree is a perfect tree (whose root the verifier has). */
size_t merkle_consistency_proof_length(uint64_t size1, uint64_t size2)
{
	unsigned shift = (unsigned)__builtin_ctzll(size1);
	uint64_t index = size1 - 1;
	unsigned inner = bit_length(index ^ (size2 - 1));
	unsigned border = inner >= 64 ? 0 : (unsigned)__builtin_popcountll(index >> inner);
	unsigned start = size1 == ((uint64_t)1 << shift) ? 0 : 1;
	return start + (inner - shift) + border;
}

/* Right-shifts fn and sn together until LSB(fn) is set or fn is 0. */
static void shift_until_odd(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

enum merkle_verdict merkle_verify_inclusion(const merkle_hash leaf_hash, uint64_t index,
                                            uint64_t size, const merkle_hash *path,
                                            size_t pathlen, const merkle_hash root)
{
	merkle_hash r;
	uint64_t fn, sn;

	if (index >= size)
		return MERKLE_INDEX_OUT_OF_RANGE;
	if (pathlen != merkle_inclusion_path_length(index, size))
		return MERKLE_PATH_LENGTH;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_LEN);
	for (size_t i = 0; i < pathlen; i++) {
		if (sn == 0)
			return MERKLE_PATH_LENGTH;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(path[i], r, r);
			if ((fn & 1) == 0)
				shift_until_odd(&fn, &sn);
		} else {
			merkle_node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return MERKLE_PATH_LENGTH;
	return memcmp(r, root, MERKLE_HASH_LEN) == 0 ? MERKLE_OK : MERKLE_ROOT_MISMATCH;
}

enum merkle_verdict merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                              const merkle_hash root1, const merkle_hash root2,
                                              const merkle_hash *path, size_t pathlen)
{
	merkle_hash fr, sr, empty;
	uint64_t fn, sn;
	size_t i = 0;

	if (size1 > size2)
		return MERKLE_SIZES_DECREASE;
	if (size1 == size2) {
		if (pathlen != 0)
			return MERKLE_PATH_LENGTH;
		return memcmp(root1, root2, MERKLE_HASH_LEN) == 0 ? MERKLE_OK : MERKLE_ROOT_MISMATCH;
	}
	if (size1 == 0) {
		/* Every tree extends the empty one; its root must still be the empty tree's. */
		merkle_empty_root(empty);
		if (pathlen != 0)
			return MERKLE_PATH_LENGTH;
		return memcmp(root1, empty, MERKLE_HASH_LEN) == 0 ? MERKLE_OK : MERKLE_ROOT_MISMATCH;
	}
	/* Step 1: a non-trivial proof is never empty (the length check covers it). */
	if (pathlen == 0 || pathlen != merkle_consistency_proof_length(size1, size2))
		return MERKLE_PATH_LENGTH;
	/* Step 2: for a perfect old tree the proof starts with the old root, left implicit. */
	const uint8_t *first;
	if ((size1 & (size1 - 1)) == 0) {
		first = root1;
	} else {
		first = path[0];
		i = 1;
	}
	/* Steps 3 to 5. */
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, first, MERKLE_HASH_LEN);
	memcpy(sr, first, MERKLE_HASH_LEN);
	/* Step 6. */
	for (; i < pathlen; i++) {
		if (sn == 0)
			return MERKLE_PATH_LENGTH;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(path[i], fr, fr);
			merkle_node_hash(path[i], sr, sr);
			if ((fn & 1) == 0)
				shift_until_odd(&fn, &sn);
		} else {
			merkle_node_hash(sr, path[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0)
		return MERKLE_PATH_LENGTH;
	if (memcmp(fr, root1, MERKLE_HASH_LEN) != 0)
		return MERKLE_ROOT_MISMATCH;
	if (memcmp(sr, root2, MERKLE_HASH_LEN) != 0)
		return MERKLE_SECOND_ROOT_MISMATCH;
	return MERKLE_OK;
}
