/*
 * audit/merkle.c: the RFC 6962 test vectors (tests/fixtures/merkle, Apache-2.0, from
 * transparency-dev/merkle), then random trees: every inclusion and consistency proof of
 * every size built here verifies, and every mutation of one (a bit of a hash, the index, a
 * size, a hash added or removed, another root) fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

/* ---- the vectors file ---------------------------------------------------------------------- */

#define MAX_LEAVES 8
#define MAX_VECTORS 16

struct proof_vector {
	uint64_t a, b;            /* inclusion: index, size; consistency: size1, size2 */
	merkle_hash path[MERKLE_MAX_PATH];
	size_t len;
};

struct vectors {
	uint8_t leaf[MAX_LEAVES][16];
	size_t leaflen[MAX_LEAVES];
	size_t nleaves;
	merkle_hash root[MAX_LEAVES + 1];
	struct proof_vector frontier[MAX_LEAVES + 1];
	struct proof_vector inclusion[MAX_VECTORS], consistency[MAX_VECTORS];
	size_t ninclusion, nconsistency;
};

static void parse_hashes(char *rest, merkle_hash *out, size_t *n)
{
	*n = 0;
	for (char *tok = strtok(rest, " \n"); tok != NULL; tok = strtok(NULL, " \n")) {
		assert_true(*n < MERKLE_MAX_PATH);
		if (!merkle_hash_parse(tok, out[*n]))
			fail_msg("not a hash in the vectors: %s", tok);
		(*n)++;
	}
}

static void load_vectors(struct vectors *v)
{
	const char *base = getenv("SLUICE_FIXTURES");
	char path[1024], line[2048];
	snprintf(path, sizeof(path), "%s/merkle/rfc6962-vectors.txt",
	         base != NULL ? base : "tests/fixtures");
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind[16];
		unsigned long long a = 0, b = 0;
		int used = 0;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%15s %llu%n", kind, &a, &used), 2);
		char *rest = line + used;
		if (strcmp(kind, "leaf") == 0) {
			char hex[64];
			assert_int_equal(sscanf(rest, "%63s", hex), 1);
			assert_int_equal(a, v->nleaves);
			size_t n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
			for (size_t i = 0; i < n; i++)
				assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &v->leaf[a][i]), 1);
			v->leaflen[a] = n;
			v->nleaves++;
		} else if (strcmp(kind, "root") == 0) {
			size_t n;
			merkle_hash h[MERKLE_MAX_PATH];
			parse_hashes(rest, h, &n);
			assert_int_equal(n, 1);
			memcpy(v->root[a], h[0], MERKLE_HASH_LEN);
		} else if (strcmp(kind, "frontier") == 0) {
			v->frontier[a].a = a;
			parse_hashes(rest, v->frontier[a].path, &v->frontier[a].len);
		} else {
			bool incl = strcmp(kind, "inclusion") == 0;
			assert_true(incl || strcmp(kind, "consistency") == 0);
			struct proof_vector *p = incl ? &v->inclusion[v->ninclusion++]
			                              : &v->consistency[v->nconsistency++];
			assert_int_equal(sscanf(rest, " %llu%n", &b, &used), 1);
			p->a = a;
			p->b = b;
			parse_hashes(rest + used, p->path, &p->len);
		}
	}
	fclose(f);
	assert_int_equal(v->nleaves, MAX_LEAVES);
	assert_int_equal(v->ninclusion, 5);
	assert_int_equal(v->nconsistency, 5);
}

static void leaf_hashes(const struct vectors *v, merkle_hash *out)
{
	for (size_t i = 0; i < v->nleaves; i++)
		merkle_leaf_hash(v->leaf[i], v->leaflen[i], out[i]);
}

/* ---- mutations: each must make a good proof fail --------------------------------------------- */

static void expect_inclusion_mutations_fail(const merkle_hash leaf, uint64_t index,
                                            uint64_t size, const merkle_hash *path,
                                            size_t len, const merkle_hash root, bool every_bit)
{
	merkle_hash bad[MERKLE_MAX_PATH + 1], other;

	/* One bit of one hash of the path. */
	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 256; bit += every_bit ? 1 : 37) {
			memcpy(bad, path, len * MERKLE_HASH_LEN);
			bad[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, bad, len, root),
			                     MERKLE_OK);
		}
	}
	/* One bit of the leaf, of the root. */
	memcpy(other, leaf, MERKLE_HASH_LEN);
	other[31] ^= 1;
	assert_int_not_equal(merkle_verify_inclusion(other, index, size, path, len, root),
	                     MERKLE_OK);
	memcpy(other, root, MERKLE_HASH_LEN);
	other[0] ^= 0x80;
	assert_int_equal(merkle_verify_inclusion(leaf, index, size, path, len, other),
	                 MERKLE_ROOT_MISMATCH);
	/* Another index or size. */
	assert_int_not_equal(merkle_verify_inclusion(leaf, index + 1, size, path, len, root),
	                     MERKLE_OK);
	if (index > 0)
		assert_int_not_equal(merkle_verify_inclusion(leaf, index - 1, size, path, len, root),
		                     MERKLE_OK);
	if ((index ^ 2) < size)
		assert_int_not_equal(merkle_verify_inclusion(leaf, index ^ 2, size, path, len, root),
		                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size * 2, path, len, root),
	                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size / 2, path, len, root),
	                     MERKLE_OK);
	/* A hash added at either end, one removed. */
	memcpy(bad, path, len * MERKLE_HASH_LEN);
	memcpy(bad[len], root, MERKLE_HASH_LEN);
	assert_int_equal(merkle_verify_inclusion(leaf, index, size, bad, len + 1, root),
	                 MERKLE_PATH_LENGTH);
	memcpy(bad[0], root, MERKLE_HASH_LEN);
	memcpy(bad + 1, path, len * MERKLE_HASH_LEN);
	assert_int_equal(merkle_verify_inclusion(leaf, index, size, bad, len + 1, root),
	                 MERKLE_PATH_LENGTH);
	if (len > 0)
		assert_int_equal(merkle_verify_inclusion(leaf, index, size, path, len - 1, root),
		                 MERKLE_PATH_LENGTH);
}

static void expect_consistency_mutations_fail(uint64_t size1, uint64_t size2,
                                              const merkle_hash root1, const merkle_hash root2,
                                              const merkle_hash *path, size_t len,
                                              bool every_bit)
{
	merkle_hash bad[MERKLE_MAX_PATH + 1], other;

	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 256; bit += every_bit ? 1 : 37) {
			memcpy(bad, path, len * MERKLE_HASH_LEN);
			bad[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_not_equal(
				merkle_verify_consistency(size1, size2, root1, root2, bad, len), MERKLE_OK);
		}
	}
	memcpy(other, root1, MERKLE_HASH_LEN);
	other[5] ^= 4;
	assert_int_not_equal(merkle_verify_consistency(size1, size2, other, root2, path, len),
	                     MERKLE_OK);
	memcpy(other, root2, MERKLE_HASH_LEN);
	other[5] ^= 4;
	assert_int_not_equal(merkle_verify_consistency(size1, size2, root1, other, path, len),
	                     MERKLE_OK);
	if (size1 == size2)
		return;
	assert_int_not_equal(merkle_verify_consistency(size1, size2, root2, root1, path, len),
	                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_consistency(size1 + 1, size2, root1, root2, path, len),
	                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_consistency(size1 - 1, size2, root1, root2, path, len),
	                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_consistency(size1, size2 * 2, root1, root2, path, len),
	                     MERKLE_OK);
	/* (Not size2 - 1: a path's shape does not always pin the size it was made for; the
	 * signed tree head binds size and root together.) */
	assert_int_not_equal(merkle_verify_consistency(size1, size2 / 2, root1, root2, path, len),
	                     MERKLE_OK);
	assert_int_not_equal(merkle_verify_consistency(size1, size2, root1, root2, path, 0),
	                     MERKLE_OK);
	memcpy(bad, path, len * MERKLE_HASH_LEN);
	memcpy(bad[len], root2, MERKLE_HASH_LEN);
	assert_int_equal(merkle_verify_consistency(size1, size2, root1, root2, bad, len + 1),
	                 MERKLE_PATH_LENGTH);
	memcpy(bad[0], path[0], MERKLE_HASH_LEN);
	memcpy(bad + 1, path, len * MERKLE_HASH_LEN);
	assert_int_equal(merkle_verify_consistency(size1, size2, root1, root2, bad, len + 1),
	                 MERKLE_PATH_LENGTH);
	assert_int_equal(merkle_verify_consistency(size1, size2, root1, root2, path, len - 1),
	                 MERKLE_PATH_LENGTH);
}

/* ---- the published vectors ------------------------------------------------------------------- */

static void test_vector_roots_and_frontiers(void **state)
{
	(void)state;
	struct vectors v;
	merkle_hash leaves[MAX_LEAVES], root;
	struct merkle_frontier f;

	load_vectors(&v);
	leaf_hashes(&v, leaves);
	merkle_empty_root(root);
	assert_memory_equal(root, v.root[0], MERKLE_HASH_LEN);
	merkle_frontier_init(&f);
	for (uint64_t n = 0; n <= MAX_LEAVES; n++) {
		merkle_root(leaves, n, root);
		assert_memory_equal(root, v.root[n], MERKLE_HASH_LEN);
		/* The frontier after n appends is the published compact range, and gives the root. */
		assert_int_equal(f.size, n);
		assert_int_equal(f.count, v.frontier[n].len);
		assert_memory_equal(f.node, v.frontier[n].path, f.count * MERKLE_HASH_LEN);
		merkle_frontier_root(&f, root);
		assert_memory_equal(root, v.root[n], MERKLE_HASH_LEN);
		/* Set from its stored form, it continues the same tree. */
		struct merkle_frontier g;
		assert_true(merkle_frontier_set(&g, n, v.frontier[n].path,
		                                (unsigned)v.frontier[n].len));
		merkle_frontier_root(&g, root);
		assert_memory_equal(root, v.root[n], MERKLE_HASH_LEN);
		if (n < MAX_LEAVES)
			merkle_frontier_append(&f, leaves[n]);
	}
	/* A frontier whose count does not fit its size is refused. */
	assert_false(merkle_frontier_set(&f, 7, v.frontier[8].path, 1));
	assert_false(merkle_frontier_set(&f, 0, v.frontier[1].path, 1));
}

static void test_vector_inclusion(void **state)
{
	(void)state;
	struct vectors v;
	merkle_hash leaves[MAX_LEAVES], path[MERKLE_MAX_PATH];

	load_vectors(&v);
	leaf_hashes(&v, leaves);
	for (size_t i = 0; i < v.ninclusion; i++) {
		const struct proof_vector *p = &v.inclusion[i];
		size_t len = merkle_inclusion_path(leaves, p->b, p->a, path);
		assert_int_equal(len, p->len);
		assert_memory_equal(path, p->path, len * MERKLE_HASH_LEN);
		assert_int_equal(merkle_inclusion_path_length(p->a, p->b), p->len);
		assert_int_equal(merkle_verify_inclusion(leaves[p->a], p->a, p->b, p->path, p->len,
		                                         v.root[p->b]),
		                 MERKLE_OK);
		expect_inclusion_mutations_fail(leaves[p->a], p->a, p->b, p->path, p->len,
		                                v.root[p->b], true);
	}
}

static void test_vector_consistency(void **state)
{
	(void)state;
	struct vectors v;
	merkle_hash leaves[MAX_LEAVES], path[MERKLE_MAX_PATH];

	load_vectors(&v);
	leaf_hashes(&v, leaves);
	for (size_t i = 0; i < v.nconsistency; i++) {
		const struct proof_vector *p = &v.consistency[i];
		size_t len = merkle_consistency_proof(leaves, p->a, p->b, path);
		assert_int_equal(len, p->len);
		assert_memory_equal(path, p->path, len * MERKLE_HASH_LEN);
		if (p->a < p->b)
			assert_int_equal(merkle_consistency_proof_length(p->a, p->b), p->len);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, v.root[p->a], v.root[p->b],
		                                           p->path, p->len),
		                 MERKLE_OK);
		expect_consistency_mutations_fail(p->a, p->b, v.root[p->a], v.root[p->b], p->path,
		                                  p->len, true);
	}
}

/* The edge cases of transparency-dev's TestVerifyConsistency and TestVerifyInclusion. */
static void test_edge_cases(void **state)
{
	(void)state;
	merkle_hash empty, some, other, leaf;
	merkle_empty_root(empty);
	memset(some, 0xab, sizeof(some));
	memset(other, 0xcd, sizeof(other));
	merkle_leaf_hash("data", 4, leaf);

	/* Equal sizes: consistent only with equal roots and no path. */
	assert_int_equal(merkle_verify_consistency(0, 0, empty, empty, NULL, 0), MERKLE_OK);
	assert_int_equal(merkle_verify_consistency(1, 1, some, some, NULL, 0), MERKLE_OK);
	assert_int_equal(merkle_verify_consistency(1, 1, some, other, NULL, 0),
	                 MERKLE_ROOT_MISMATCH);
	assert_int_equal(merkle_verify_consistency(1, 1, some, some, &empty, 1),
	                 MERKLE_PATH_LENGTH);
	/* The empty tree: extended by anything, with no path, if its root is the empty root. */
	assert_int_equal(merkle_verify_consistency(0, 5, empty, some, NULL, 0), MERKLE_OK);
	assert_int_equal(merkle_verify_consistency(0, 5, some, some, NULL, 0),
	                 MERKLE_ROOT_MISMATCH);
	assert_int_equal(merkle_verify_consistency(0, 1, empty, some, &empty, 1),
	                 MERKLE_PATH_LENGTH);
	/* Time does not run backwards; a real extension needs a path. */
	assert_int_equal(merkle_verify_consistency(2, 1, some, other, NULL, 0),
	                 MERKLE_SIZES_DECREASE);
	assert_int_equal(merkle_verify_consistency(1, 2, some, other, NULL, 0),
	                 MERKLE_PATH_LENGTH);
	/* A one-leaf tree: the root is the leaf hash, the path empty. */
	assert_int_equal(merkle_verify_inclusion(leaf, 0, 1, NULL, 0, leaf), MERKLE_OK);
	assert_int_equal(merkle_verify_inclusion(leaf, 0, 1, NULL, 0, some),
	                 MERKLE_ROOT_MISMATCH);
	assert_int_equal(merkle_verify_inclusion(leaf, 0, 0, NULL, 0, empty),
	                 MERKLE_INDEX_OUT_OF_RANGE);
	assert_int_equal(merkle_verify_inclusion(leaf, 2, 1, NULL, 0, leaf),
	                 MERKLE_INDEX_OUT_OF_RANGE);
	assert_int_equal(merkle_verify_inclusion(leaf, UINT64_MAX, UINT64_MAX, NULL, 0, leaf),
	                 MERKLE_INDEX_OUT_OF_RANGE);
	/* The largest sizes do not overflow the length arithmetic. */
	assert_int_equal(merkle_inclusion_path_length(UINT64_MAX - 1, UINT64_MAX), 63);
	assert_int_equal(merkle_inclusion_path_length(0, UINT64_MAX), 64);
	assert_int_equal(merkle_inclusion_path_length(0, (uint64_t)1 << 63), 63);
	/* Hex: exactly 64 lowercase digits. */
	char hex[65];
	merkle_hash_hex(empty, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(merkle_hash_parse(hex, other));
	assert_memory_equal(other, empty, MERKLE_HASH_LEN);
	hex[3] = 'B';
	assert_false(merkle_hash_parse(hex, other));
	assert_false(merkle_hash_parse("e3b0", other));
	assert_false(merkle_hash_parse(NULL, other));
}

/* ---- random trees ---------------------------------------------------------------------------- */

static merkle_hash *random_leaves(uint64_t n, unsigned seed)
{
	merkle_hash *leaves = malloc((n ? n : 1) * sizeof(*leaves));
	srand(seed);
	for (uint64_t i = 0; i < n; i++) {
		char data[32];
		int len = snprintf(data, sizeof(data), "leaf %u %d", seed, rand());
		merkle_leaf_hash(data, (size_t)len, leaves[i]);
	}
	return leaves;
}

/* Every leaf of every tree up to 40 leaves, and every pair of sizes: proofs verify, and
 * every mutation fails. */
static void test_random_small_trees_exhaustively(void **state)
{
	(void)state;
	const uint64_t max = 40;
	merkle_hash *leaves = random_leaves(max, 6962);
	merkle_hash path[MERKLE_MAX_PATH], root, root1;
	struct merkle_frontier f;

	merkle_frontier_init(&f);
	for (uint64_t n = 1; n <= max; n++) {
		merkle_frontier_append(&f, leaves[n - 1]);
		merkle_root(leaves, n, root);
		merkle_hash via_frontier;
		merkle_frontier_root(&f, via_frontier);
		assert_memory_equal(root, via_frontier, MERKLE_HASH_LEN);
		for (uint64_t i = 0; i < n; i++) {
			size_t len = merkle_inclusion_path(leaves, n, i, path);
			assert_int_equal(len, merkle_inclusion_path_length(i, n));
			assert_int_equal(merkle_verify_inclusion(leaves[i], i, n, path, len, root),
			                 MERKLE_OK);
			expect_inclusion_mutations_fail(leaves[i], i, n, path, len, root, false);
		}
		for (uint64_t m = 1; m <= n; m++) {
			merkle_root(leaves, m, root1);
			size_t len = merkle_consistency_proof(leaves, m, n, path);
			if (m < n)
				assert_int_equal(len, merkle_consistency_proof_length(m, n));
			assert_int_equal(merkle_verify_consistency(m, n, root1, root, path, len),
			                 MERKLE_OK);
			expect_consistency_mutations_fail(m, n, root1, root, path, len, false);
		}
	}
	free(leaves);
}

/* Larger random sizes, a sample of leaves and old sizes each. */
static void test_random_large_trees(void **state)
{
	(void)state;
	merkle_hash path[MERKLE_MAX_PATH], root, root1;
	srand(9162);
	for (int t = 0; t < 6; t++) {
		uint64_t n = 100 + (uint64_t)(rand() % 5000);
		merkle_hash *leaves = random_leaves(n, (unsigned)t);
		merkle_root(leaves, n, root);
		for (int s = 0; s < 20; s++) {
			uint64_t i = (uint64_t)rand() % n;
			size_t len = merkle_inclusion_path(leaves, n, i, path);
			assert_int_equal(merkle_verify_inclusion(leaves[i], i, n, path, len, root),
			                 MERKLE_OK);
			expect_inclusion_mutations_fail(leaves[i], i, n, path, len, root, false);
			uint64_t m = 1 + (uint64_t)rand() % n;
			merkle_root(leaves, m, root1);
			len = merkle_consistency_proof(leaves, m, n, path);
			assert_int_equal(merkle_verify_consistency(m, n, root1, root, path, len),
			                 MERKLE_OK);
			expect_consistency_mutations_fail(m, n, root1, root, path, len, false);
		}
		free(leaves);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_roots_and_frontiers),
		cmocka_unit_test(test_vector_inclusion),
		cmocka_unit_test(test_vector_consistency),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_random_small_trees_exhaustively),
		cmocka_unit_test(test_random_large_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
