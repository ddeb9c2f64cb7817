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
#include "fuzz_test_key.h"

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
	(void)argc;
	(void)argv;
	fuzz_pub = fuzz_test_key();
	fuzz_fd = mkstemp(fuzz_path);
	if (fuzz_fd < 0)
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
