/*
 * libFuzzer target: auditlog_verify on arbitrary log bytes (audit/auditlog.c).
 *
 * Each input is written to one temporary file (created once, rewritten per input) and verified
 * against a fixed Ed25519 key, the test key tests/fixtures/certs/ed25519.key, so seed logs
 * written with that key reach the checkpoint and count checks.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Icerts -Iaudit \
 *     fuzz/fuzz_auditlog_verify.c audit/auditlog.c certs/keys.c common/sluice_error.c \
 *     common/fileio.c common/canonical_json.c -lcrypto -ljansson -o fuzz_auditlog_verify
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auditlog.h"
#include "fileio.h"

static EVP_PKEY *fuzz_pub;
static char fuzz_path[] = "/tmp/sluice-fuzz-auditlog-XXXXXX";
static int fuzz_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_temp(void)
{
	if (fuzz_fd >= 0)
		unlink(fuzz_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The raw private key of tests/fixtures/certs/ed25519.key (a test key, not a secret). */
	static const uint8_t sk[32] = {
		0xb9, 0x0f, 0x1f, 0x83, 0x87, 0xe2, 0x71, 0x25, 0x41, 0x3d, 0x60,
		0x46, 0x19, 0x3d, 0xf0, 0xa3, 0xc9, 0x8e, 0x45, 0x6d, 0xd4, 0xa6,
		0xf5, 0xa4, 0xff, 0x3a, 0x7a, 0x74, 0x56, 0xa8, 0x9b, 0x1d};
	(void)argc;
	(void)argv;
	fuzz_pub = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
	fuzz_fd = mkstemp(fuzz_path);
	if (fuzz_pub == NULL || fuzz_fd < 0)
		abort();
	atexit(remove_temp);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditlog_verify_result res;
	struct sluice_error err;

	if (ftruncate(fuzz_fd, 0) != 0 || lseek(fuzz_fd, 0, SEEK_SET) != 0 ||
	    fd_write_all(fuzz_fd, data, size) != 0)
		abort();
	enum sluice_rc rc = auditlog_verify(fuzz_path, fuzz_pub, &res, &err);
	if (rc == SLUICE_OK && (res.bad_line != 0 || res.checkpoints == 0))
		abort(); /* a good log ends with a checkpoint */
	if (rc == SLUICE_ERR_VERIFY && (res.bad_line == 0 || res.why[0] == '\0'))
		abort(); /* a bad log names its first bad line */
	return 0;
}
