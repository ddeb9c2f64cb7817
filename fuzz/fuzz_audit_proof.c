/*
 * libFuzzer target: the parsers of proof files and tree head files (audit/proof.c,
 * audit/treehead.c), which `sluice audit check-proof`, `consistency`, `prove --head` and
 * `verify --head` read from anyone, then the verification of whatever parses.
 *
 * The verifying key is fixed: the test key tests/fixtures/certs/ed25519.key, so that the seeds
 * (fuzz/corpus/fuzz_audit_proof/, proofs and heads signed with it) get past the signatures to
 * the Merkle checks; any other input exercises the parsers and the form checks.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Icerts -Iaudit \
 *     fuzz/fuzz_audit_proof.c audit/proof.c audit/treehead.c audit/merkle.c certs/keys.c \
 *     common/sluice_error.c common/fileio.c common/canonical_json.c -lcrypto -ljansson \
 *     -o fuzz_audit_proof
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "fuzz_test_key.h"
#include "proof.h"
#include "treehead.h"

static EVP_PKEY *fuzz_pub;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_pub = fuzz_test_key();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_error err;
	struct audit_proof proof;
	struct tree_head head;
	char why[300];

	if (audit_proof_parse(data, size, &proof, &err) == SLUICE_OK) {
		if (proof.head.json == NULL || proof.pathlen > MERKLE_MAX_PATH ||
		    (proof.type == AUDIT_PROOF_INCLUSION) != (proof.record != NULL))
			abort(); /* a parsed proof is whole */
		(void)audit_proof_verify(&proof, fuzz_pub, &err);
		audit_proof_free(&proof);
	} else if (proof.record != NULL || proof.head.json != NULL || proof.old_head.json != NULL) {
		abort(); /* a refused proof holds nothing */
	}
	if (tree_head_parse(data, size, &head, &err) == SLUICE_OK) {
		if (head.json == NULL || !tree_head_frontier_ok(&head, why, sizeof(why)))
			abort(); /* a parsed head's frontier leads to its root */
		(void)tree_head_signature_ok(&head, fuzz_pub, why, sizeof(why));
		tree_head_free(&head);
	} else if (head.json != NULL) {
		abort();
	}
	return 0;
}
