/*
 * gateway/binding_sign.h: the trusted half of the signed ADatP-4778 binding, in its two steps.
 * What the signer agrees to sign (binding_signed_info_ok: accepted and refused forms), that its
 * signature verifies with the key (ECDSA as r || s, RSA PKCS#1 v1.5) and refuses what the check
 * refuses, and that the placeholder is filled exactly once, with base64 only, leaving the
 * report unchanged on every failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "binding_sign.h"

#define START "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
#define END "</ds:SignedInfo>"
/* The shape s4778_bind produces (exclusive C14N of the SignedInfo). */
#define REALISTIC                                                                             \
	START "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">" \
	      "</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"http://www.w3.org/"    \
	      "2001/04/xmldsig-more#ecdsa-sha256\"></ds:SignatureMethod><ds:Reference URI=\""     \
	      "#sluice-binding\"><ds:DigestValue>abc=</ds:DigestValue></ds:Reference>" END

static bool ok_text(const char *s)
{
	char why[128];
	return binding_signed_info_ok((const uint8_t *)s, strlen(s), why, sizeof(why));
}

static void test_signed_info_accepted(void **state)
{
	(void)state;
	assert_true(ok_text(START END));
	assert_true(ok_text(REALISTIC));
	/* exactly at the bound */
	size_t len = BINDING_SIGNED_INFO_MAX;
	uint8_t *big = malloc(len);
	memset(big, 'x', len);
	memcpy(big, START, strlen(START));
	memcpy(big + len - strlen(END), END, strlen(END));
	char why[128];
	assert_true(binding_signed_info_ok(big, len, why, sizeof(why)));
	free(big);
}

static void test_signed_info_refused(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"",
		START,                                 /* no end tag */
		END,                                   /* no start tag */
		"<ds:SignedInfo>" END,                 /* not the canonical start tag */
		"<ds:SignedInfo xmlns:ds=\"urn:other\">" END,
		"<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"></SignedInfo>",
		" " START END,                         /* anything before it */
		START END " ",                         /* anything after it */
		START END START END,                   /* two of them */
		START "<ds:SignedInfo>" END,           /* one inside another */
		"{\"record\": 1}",                     /* a transfer record, say */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char why[128] = "";
		if (binding_signed_info_ok((const uint8_t *)refused[i], strlen(refused[i]), why,
		                           sizeof(why)))
			fail_msg("accepted: %s", refused[i]);
		assert_non_null(strstr(why, "not a canonical SignedInfo"));
	}
	/* a NUL byte inside */
	static const char with_nul[] = START "a\0b" END;
	char why[128];
	assert_false(binding_signed_info_ok((const uint8_t *)with_nul, sizeof(with_nul) - 1, why,
	                                    sizeof(why)));
	assert_non_null(strstr(why, "NUL"));
	/* one byte over the bound */
	size_t len = BINDING_SIGNED_INFO_MAX + 1;
	uint8_t *big = malloc(len);
	memset(big, 'x', len);
	memcpy(big, START, strlen(START));
	memcpy(big + len - strlen(END), END, strlen(END));
	assert_false(binding_signed_info_ok(big, len, why, sizeof(why)));
	assert_non_null(strstr(why, "longer"));
	free(big);
}

/* Verifies a base64 XML-DSig SignatureValue over `data` with the signer's own key. */
static bool signature_verifies(const struct binding_signer *s, const char *b64,
                               const uint8_t *data, size_t len)
{
	size_t b64len = strlen(b64);
	unsigned char *raw = malloc(b64len);
	int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64len);
	assert_true(n > 0);
	while (b64len > 0 && b64[b64len - 1] == '=') { /* EVP_DecodeBlock counts the padding */
		n--;
		b64len--;
	}
	unsigned char *sig = raw, *der = NULL;
	size_t siglen = (size_t)n;
	if (s->alg == S4778_ECDSA_SHA256) {
		size_t half = (size_t)(EVP_PKEY_get_bits(s->key) + 7) / 8;
		assert_int_equal(siglen, 2 * half); /* r || s, not DER */
		ECDSA_SIG *es = ECDSA_SIG_new();
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)half, NULL),
		                                BN_bin2bn(raw + half, (int)half, NULL)), 1);
		int dlen = i2d_ECDSA_SIG(es, &der);
		assert_true(dlen > 0);
		ECDSA_SIG_free(es);
		sig = der;
		siglen = (size_t)dlen;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, s->key) == 1 &&
	          EVP_DigestVerify(md, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	free(raw);
	return ok;
}

static void sign_round_trip(EVP_PKEY *key, enum s4778_sig_alg alg)
{
	struct binding_signer s = { .key = key, .alg = alg };
	struct sluice_error err;
	char *b64 = NULL;
	const uint8_t *data = (const uint8_t *)REALISTIC;
	size_t len = strlen(REALISTIC);

	assert_int_equal(binding_signature(&s, data, len, &b64, &err), SLUICE_OK);
	assert_true(signature_verifies(&s, b64, data, len));
	/* another SignedInfo: the same signature does not verify */
	static const char other[] = START END;
	assert_false(signature_verifies(&s, b64, (const uint8_t *)other, strlen(other)));
	free(b64);

	/* what the check refuses is never signed */
	b64 = (char *)"unchanged";
	static const char record[] = "{\"transfer_id\": \"x\"}";
	assert_int_equal(binding_signature(&s, (const uint8_t *)record, strlen(record), &b64, &err),
	                 SLUICE_ERR_INTERNAL);
	assert_null(b64);
	assert_string_equal(err.rule, "binding.signed-info");
	EVP_PKEY_free(key);
}

static void test_sign_ecdsa_p256(void **state)
{
	(void)state;
	sign_round_trip(EVP_EC_gen("P-256"), S4778_ECDSA_SHA256);
}

static void test_sign_ecdsa_p384(void **state)
{
	(void)state;
	sign_round_trip(EVP_EC_gen("P-384"), S4778_ECDSA_SHA256);
}

static void test_sign_rsa(void **state)
{
	(void)state;
	sign_round_trip(EVP_RSA_gen(2048), S4778_RSA_SHA256);
}

/* ---- filling the placeholder --------------------------------------------------------------- */

#define PH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint8_t *dup_report(const char *text, size_t *len)
{
	*len = strlen(text);
	uint8_t *p = malloc(*len + 1);
	memcpy(p, text, *len + 1);
	return p;
}

static void test_fill_once(void **state)
{
	(void)state;
	struct sluice_error err;
	size_t len;
	uint8_t *report = dup_report("<r><ds:SignatureValue>" PH "</ds:SignatureValue></r>", &len);
	assert_int_equal(binding_fill_placeholder(PH, "AbC+/9==", &report, &len, &err), SLUICE_OK);
	assert_int_equal(len, strlen("<r><ds:SignatureValue>AbC+/9==</ds:SignatureValue></r>"));
	assert_string_equal((const char *)report,
	                    "<r><ds:SignatureValue>AbC+/9==</ds:SignatureValue></r>");
	free(report);
}

/* Each failure leaves the report as it was. */
static void expect_fill_failure(const char *text, const char *placeholder, const char *sig,
                                const char *rule)
{
	struct sluice_error err;
	size_t len;
	uint8_t *report = dup_report(text, &len);
	uint8_t *before = report;
	assert_int_equal(binding_fill_placeholder(placeholder, sig, &report, &len, &err),
	                 SLUICE_ERR_INTERNAL);
	assert_string_equal(err.rule, rule);
	assert_ptr_equal(report, before);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(report, text, len);
	free(report);
}

static void test_fill_refused(void **state)
{
	(void)state;
	const char *once = "<r><v>" PH "</v></r>";
	expect_fill_failure("<r><v>no placeholder</v></r>", PH, "AAAA", "binding.placeholder");
	expect_fill_failure("<r><v>" PH "</v><w>" PH "</w></r>", PH, "AAAA", "binding.placeholder");
	/* in an attribute, not element text */
	expect_fill_failure("<r v=\"" PH "\"/>", PH, "AAAA", "binding.placeholder");
	expect_fill_failure(once, "0123", "AAAA", "binding.placeholder");
	/* nothing but base64 may enter the report */
	expect_fill_failure(once, PH, "AA<x/>AA", "binding.signature");
	expect_fill_failure(once, PH, "AA&amp;", "binding.signature");
	expect_fill_failure(once, PH, "", "binding.signature");
	char *long_sig = malloc(BINDING_SIGNATURE_B64_MAX + 2);
	memset(long_sig, 'A', BINDING_SIGNATURE_B64_MAX + 1);
	long_sig[BINDING_SIGNATURE_B64_MAX + 1] = '\0';
	expect_fill_failure(once, PH, long_sig, "binding.signature");
	free(long_sig);
}

/* The CLI's one-step wrapper: signed and filled, or neither. */
static void test_sign_report(void **state)
{
	(void)state;
	struct binding_signer s = { .key = EVP_EC_gen("P-256"), .alg = S4778_ECDSA_SHA256 };
	struct sluice_error err;
	size_t len;
	uint8_t *report = dup_report("<r><v>" PH "</v></r>", &len);
	const uint8_t *si = (const uint8_t *)REALISTIC;
	assert_int_equal(binding_sign_report(&s, si, strlen(REALISTIC), PH, &report, &len, &err),
	                 SLUICE_OK);
	assert_null(strstr((const char *)report, PH));
	assert_int_equal(len, strlen("<r><v></v></r>") + 88); /* 64 bytes of r || s in base64 */
	free(report);
	report = dup_report("<r><v>" PH "</v></r>", &len);
	assert_int_equal(binding_sign_report(&s, (const uint8_t *)"x", 1, PH, &report, &len, &err),
	                 SLUICE_ERR_INTERNAL);
	assert_non_null(strstr((const char *)report, PH));
	free(report);
	EVP_PKEY_free(s.key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_info_accepted),
		cmocka_unit_test(test_signed_info_refused),
		cmocka_unit_test(test_sign_ecdsa_p256),
		cmocka_unit_test(test_sign_ecdsa_p384),
		cmocka_unit_test(test_sign_rsa),
		cmocka_unit_test(test_fill_once),
		cmocka_unit_test(test_fill_refused),
		cmocka_unit_test(test_sign_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
