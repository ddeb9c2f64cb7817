/*
 * libFuzzer target: receipt_verify on arbitrary bytes (certs/receipt.c).
 *
 * The verifying key is fixed (the RFC 8032 section 7.1 test-1 key), so that seed receipts signed
 * with it reach the digest checks; any other input exercises the parser and the form checks.
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

#include "keys.h"
#include "receipt.h"

static EVP_PKEY *fuzz_pub;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t sk[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
	(void)argc;
	(void)argv;
	fuzz_pub = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
	if (fuzz_pub == NULL)
		abort();
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
