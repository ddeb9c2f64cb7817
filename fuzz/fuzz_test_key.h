/*
 * The verifying key of the fuzz targets whose seeds are signed: the test key
 * tests/fixtures/certs/ed25519.key (a test key, not a secret), so that signed seeds get past
 * the signature checks to what lies behind them. Included by one fuzz target each.
 */
#ifndef SLUICE_FUZZ_TEST_KEY_H
#define SLUICE_FUZZ_TEST_KEY_H

#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

/* The key (private, which serves as public for verifying too); aborts when it cannot be made. */
static EVP_PKEY *fuzz_test_key(void)
{
	/* The raw private key of tests/fixtures/certs/ed25519.key. */
	static const uint8_t sk[32] = {
		0xb9, 0x0f, 0x1f, 0x83, 0x87, 0xe2, 0x71, 0x25, 0x41, 0x3d, 0x60,
		0x46, 0x19, 0x3d, 0xf0, 0xa3, 0xc9, 0x8e, 0x45, 0x6d, 0xd4, 0xa6,
		0xf5, 0xa4, 0xff, 0x3a, 0x7a, 0x74, 0x56, 0xa8, 0x9b, 0x1d};
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
	if (key == NULL)
		abort();
	return key;
}

#endif
