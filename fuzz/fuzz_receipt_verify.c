/*
 * libFuzzer target: receipt_verify on arbitrary bytes (certs/receipt.c).
 *
 * The verifying key is fixed: the test key tests/fixtures/certs/ed25519.key, so that seeds
 * signed with it (tests/fixtures/certs/receipt-*.json) get past the signature to the digest
 * checks; any other input exercises the parser and the form checks.
 * Each input is verified twice: without a report, and against the report "x".
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Icerts \
 *     fuzz/fuzz_receipt_verify.c certs/receipt.c certs/keys.c common/sluice_error.c \
 *     common/fileio.c common/canonical_json.c -lcrypto -ljansson -o fuzz_receipt_verify
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "fuzz_test_key.h"
#include "keys.h"
#include "receipt.h"

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
	json_t *record = NULL;

	if (receipt_verify(data, size, fuzz_pub, NULL, 0, &record, &err) == SLUICE_OK) {
		if (record == NULL || !json_is_object(record))
			abort(); /* success must hand back the record */
		json_decref(record);
	} else if (record != NULL) {
		abort(); /* failure must not */
	}
	(void)receipt_verify(data, size, fuzz_pub, (const uint8_t *)"x", 1, NULL, &err);
	return 0;
}
