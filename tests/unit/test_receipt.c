/*
 * certs/receipt.c: transfer records, their JSON, signed receipts and their verification.
 *
 * Golden fixtures (tests/fixtures/certs/): receipt-released.json and receipt-refused.json are
 * the receipts of two fixed records signed with ed25519.key (Ed25519 signatures are
 * deterministic, so the bytes are stable); released-report.xml and input-report.xml are the
 * report bytes they name. Regenerate after an intended format change with
 *   SLUICE_REGEN_GOLDEN=1 SLUICE_FIXTURES=tests/fixtures build/tests/test_receipt
 * and review the diff: any other change of these bytes breaks every receipt already issued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "canonical_json.h"
#include "fileio.h"
#include "keys.h"
#include "receipt.h"

struct fx {
	EVP_PKEY *priv, *pub, *other_priv, *other_pub;
	char kid[SHA256_HEX_LEN], other_kid[SHA256_HEX_LEN];
	uint8_t *input, *output;
	size_t inputlen, outputlen;
};

static char *fixture(const char *name)
{
	const char *base = getenv("SLUICE_FIXTURES");
	char *p = NULL;
	if (asprintf(&p, "%s/certs/%s", base != NULL ? base : "tests/fixtures", name) < 0)
		return NULL;
	return p;
}

static uint8_t *read_fixture(const char *name, size_t *len)
{
	struct sluice_error err;
	uint8_t *p = NULL;
	char *path = fixture(name);
	if (file_read_bounded(path, 1 << 20, SLUICE_ERR_IO, &p, len, &err) != SLUICE_OK)
		fail_msg("cannot read fixture %s: %s", path, err.message);
	free(path);
	return p;
}

static EVP_PKEY *load(const char *name, bool private_key)
{
	struct sluice_error err;
	EVP_PKEY *k = NULL;
	char *path = fixture(name);
	enum sluice_rc rc = private_key ? key_load_private(path, &k, &err)
	                                : key_load_public(path, &k, &err);
	if (rc != SLUICE_OK)
		fail_msg("cannot load %s: %s", path, err.message);
	free(path);
	return k;
}

static int setup(void **state)
{
	struct sluice_error err;
	struct fx *f = calloc(1, sizeof(*f));
	f->priv = load("ed25519.key", true);
	f->pub = load("ed25519.pub", false);
	f->other_priv = load("other-ed25519.key", true);
	f->other_pub = load("other-ed25519.pub", false);
	if (key_id_hex(f->pub, f->kid, &err) != SLUICE_OK ||
	    key_id_hex(f->other_pub, f->other_kid, &err) != SLUICE_OK)
		return -1;
	f->input = read_fixture("input-report.xml", &f->inputlen);
	f->output = read_fixture("released-report.xml", &f->outputlen);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	EVP_PKEY_free(f->priv);
	EVP_PKEY_free(f->pub);
	EVP_PKEY_free(f->other_priv);
	EVP_PKEY_free(f->other_pub);
	free(f->input);
	free(f->output);
	free(f);
	return 0;
}

/* A released record with a removal and a redaction, fixed id and time. */
static void released_record(const struct fx *f, struct transfer_record *r)
{
	transfer_record_init(r);
	snprintf(r->transfer_id, sizeof(r->transfer_id), "3f2a9c1e-5b7d-4e2f-9a1b-0c8d7e6f5a4b");
	snprintf(r->time, sizeof(r->time), "2026-11-25T10:00:00Z");
	r->from = strdup("intel");
	r->to = strdup("police");
	r->policy_id = strdup("fusion-cell");
	r->policy_version = 7;
	sha256_hex("policy bytes", 12, r->policy_sha256);
	sha256_hex(f->input, f->inputlen, r->input_sha256);
	sha256_hex(f->output, f->outputlen, r->output_sha256);
	r->decision = strdup("released");
	r->banner = strdup("SECRET//REL TO USA");
	transfer_record_add_removal(r, "/CaseReport/Detail[2]", 14,
	                            "clearance: TS above police's S");
	transfer_record_add_redaction(r, "/CaseReport/Summary/text()", "pattern:email", 1);
	transfer_record_add_redaction(r, "/CaseReport/Summary/@author",
	                              "words:termes-r\xc3\xa9serv\xc3\xa9s.txt", 2);
}

/* A refusal: no output, a reason with a line. */
static void refused_record(const struct fx *f, struct transfer_record *r)
{
	transfer_record_init(r);
	snprintf(r->transfer_id, sizeof(r->transfer_id), "9b1d0c2e-7a6f-4c3b-8e5d-1f0a2b3c4d5e");
	snprintf(r->time, sizeof(r->time), "2026-11-25T10:00:01Z");
	r->from = strdup("police");
	r->to = strdup("partner-fra");
	r->policy_id = strdup("fusion-cell");
	r->policy_version = 7;
	sha256_hex("policy bytes", 12, r->policy_sha256);
	sha256_hex(f->input, f->inputlen, r->input_sha256);
	r->decision = strdup("refused");
	r->reason_rule = strdup("flow.portion-refused");
	r->reason = strdup("a portion is not releasable to partner-fra");
	r->reason_line = 3;
}

static char *make_receipt(const struct fx *f, struct transfer_record *r, size_t *len)
{
	struct sluice_error err;
	char *out = NULL;
	assert_int_equal(receipt_create(r, f->priv, &out, len, &err), SLUICE_OK);
	assert_non_null(out);
	return out;
}

static char *released_receipt(const struct fx *f, size_t *len)
{
	struct transfer_record r;
	released_record(f, &r);
	char *out = make_receipt(f, &r, len);
	transfer_record_free(&r);
	return out;
}

static void expect_verify_fail(const struct fx *f, const void *receipt, size_t len,
                               EVP_PKEY *pub, const uint8_t *report, size_t reportlen,
                               const char *rule, const char *msg_part)
{
	struct sluice_error err;
	json_t *rec = (json_t *)1;
	enum sluice_rc rc = receipt_verify(receipt, len, pub != NULL ? pub : f->pub, report,
	                                   reportlen, &rec, &err);
	if (rc != SLUICE_ERR_VERIFY)
		fail_msg("expected SLUICE_ERR_VERIFY (%s), got %d: %s", rule, rc, err.message);
	assert_null(rec);
	if (strcmp(err.rule, rule) != 0)
		fail_msg("expected rule %s, got %s: %s", rule, err.rule, err.message);
	if (msg_part != NULL && strstr(err.message, msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, msg_part);
}

/* Parses a receipt, lets `edit` change it, re-serialises it canonically (with "\n"). */
static char *edited(const char *receipt, void (*edit)(json_t *root, const struct fx *f),
                    const struct fx *f, size_t *len)
{
	json_error_t jerr;
	json_t *root = json_loads(receipt, 0, &jerr);
	assert_non_null(root);
	edit(root, f);
	char *s = json_canonical(root);
	assert_non_null(s);
	json_decref(root);
	char *out = NULL;
	assert_true(asprintf(&out, "%s\n", s) > 0);
	free(s);
	*len = strlen(out);
	return out;
}

/* ---- records ----------------------------------------------------------------------------- */

static void test_init_id_and_time(void **state)
{
	(void)state;
	struct transfer_record a, b;
	transfer_record_init(&a);
	transfer_record_init(&b);
	assert_int_equal(strlen(a.transfer_id), 36);
	assert_string_not_equal(a.transfer_id, b.transfer_id);
	for (size_t i = 0; i < 36; i++) {
		char c = a.transfer_id[i];
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(c, '-');
		else
			assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
	}
	assert_int_equal(a.transfer_id[14], '4'); /* version 4 */
	assert_non_null(strchr("89ab", a.transfer_id[19])); /* RFC 4122 variant */

	/* RFC 3339 UTC, and now. */
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(strlen(a.time), 20);
	char *end = strptime(a.time, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	time_t t = timegm(&tm), now = time(NULL);
	assert_true(t <= now && now - t < 60);
	assert_null(a.from);
	assert_int_equal(a.nremovals, 0);
	transfer_record_free(&a);
	transfer_record_free(&b);
	transfer_record_free(NULL);
}

static void test_to_json_released(void **state)
{
	struct fx *f = *state;
	struct transfer_record r;
	released_record(f, &r);
	json_t *j = transfer_record_to_json(&r);
	assert_non_null(j);
	char *s = json_canonical(j);
	char want_out[SHA256_HEX_LEN];
	sha256_hex(f->output, f->outputlen, want_out);
	assert_int_equal(json_object_size(j), 11);
	assert_string_equal(json_string_value(json_object_get(j, "output_sha256")), want_out);
	assert_null(json_object_get(j, "reason"));
	assert_string_equal(json_string_value(json_object_get(j, "banner")), "SECRET//REL TO USA");
	json_t *p = json_object_get(j, "policy");
	assert_int_equal(json_object_size(p), 3);
	assert_int_equal(json_integer_value(json_object_get(p, "version")), 7);
	json_t *rem = json_array_get(json_object_get(j, "removals"), 0);
	assert_int_equal(json_integer_value(json_object_get(rem, "line")), 14);
	assert_string_equal(json_string_value(json_object_get(rem, "location")),
	                    "/CaseReport/Detail[2]");
	assert_int_equal(json_array_size(json_object_get(j, "redactions")), 2);
	/* Non-ASCII is escaped in the canonical form. */
	assert_non_null(strstr(s, "termes-r\\u00E9serv\\u00E9s.txt"));
	free(s);
	json_decref(j);
	transfer_record_free(&r);
}

static void test_to_json_refused(void **state)
{
	struct fx *f = *state;
	struct transfer_record r;
	refused_record(f, &r);
	json_t *j = transfer_record_to_json(&r);
	assert_non_null(j);
	assert_null(json_object_get(j, "output_sha256"));
	assert_null(json_object_get(j, "banner"));
	json_t *reason = json_object_get(j, "reason");
	assert_string_equal(json_string_value(json_object_get(reason, "rule")),
	                    "flow.portion-refused");
	assert_int_equal(json_integer_value(json_object_get(reason, "line")), 3);
	/* Empty arrays are still there. */
	assert_true(json_is_array(json_object_get(j, "removals")));
	assert_int_equal(json_array_size(json_object_get(j, "removals")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "redactions")), 0);
	json_decref(j);

	/* No line: no "line" member. */
	r.reason_line = 0;
	j = transfer_record_to_json(&r);
	assert_null(json_object_get(json_object_get(j, "reason"), "line"));
	json_decref(j);
	transfer_record_free(&r);
}

static void test_to_json_bad_utf8(void **state)
{
	struct fx *f = *state;
	struct transfer_record r;
	struct sluice_error err;
	char *out = NULL;
	size_t len = 0;
	released_record(f, &r);
	free(r.to);
	r.to = strdup("pol\xffice");
	assert_null(transfer_record_to_json(&r));
	assert_int_equal(receipt_create(&r, f->priv, &out, &len, &err), SLUICE_ERR_INTERNAL);
	assert_null(out);
	assert_string_equal(err.rule, "receipt.encode");
	transfer_record_free(&r);
}

/* ---- creating ---------------------------------------------------------------------------- */

static void test_create_layout(void **state)
{
	struct fx *f = *state;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	json_error_t jerr;

	assert_int_equal(strlen(rc), len);
	assert_int_equal(rc[len - 1], '\n');
	assert_ptr_equal(strchr(rc, '\n'), rc + len - 1); /* one line */
	json_t *root = json_loads(rc, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 5);
	assert_string_equal(json_string_value(json_object_get(root, "key_id")), f->kid);
	assert_int_equal(json_integer_value(json_object_get(root, "receipt")), 1);
	assert_string_equal(json_string_value(json_object_get(root, "signature_alg")), "ed25519");
	uint8_t *sig = NULL;
	size_t siglen = 0;
	assert_int_equal(
		base64_decode(json_string_value(json_object_get(root, "signature")), &sig, &siglen),
		0);
	assert_int_equal(siglen, 64);
	/* The signature is over the record's canonical JSON. */
	char *canon = json_canonical(json_object_get(root, "record"));
	assert_true(signature_verify(f->pub, canon, strlen(canon), sig, siglen));
	/* The receipt itself is canonical. */
	char *again = json_canonical(root);
	assert_int_equal(strlen(again) + 1, len);
	assert_memory_equal(again, rc, len - 1);
	assert_true(strncmp(rc, "{\"key_id\":", 10) == 0);
	free(again);
	free(canon);
	free(sig);
	json_decref(root);
	free(rc);
}

static void check_golden(const char *name, const char *got, size_t len)
{
	char *path = fixture(name);
	if (getenv("SLUICE_REGEN_GOLDEN") != NULL) {
		FILE *fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(got, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
	}
	size_t wlen = 0;
	uint8_t *want = read_fixture(name, &wlen);
	if (wlen != len || memcmp(want, got, len) != 0)
		fail_msg("%s changed; got:\n%s", path, got);
	free(want);
	free(path);
}

static void test_create_golden(void **state)
{
	struct fx *f = *state;
	struct transfer_record r;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	check_golden("receipt-released.json", rc, len);
	free(rc);
	refused_record(f, &r);
	rc = make_receipt(f, &r, &len);
	check_golden("receipt-refused.json", rc, len);
	free(rc);
	transfer_record_free(&r);
}

/* The fast path (transfer_record_canonical, receipt_signature, receipt_assemble) makes the same
 * bytes as receipt_create and receipt_set_log_index, for both versions, a released and a
 * refused record (removals, redactions, non-ASCII, reason line), and several leaf indexes. */
static void test_assemble_same_bytes(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	char kid[SHA256_HEX_LEN];
	assert_int_equal(key_id_hex(f->priv, kid, &err), SLUICE_OK);
	for (int which = 0; which < 2; which++) {
		struct transfer_record r;
		if (which == 0)
			released_record(f, &r);
		else
			refused_record(f, &r);
		size_t slowlen = 0, fastlen = 0;
		char *slow = make_receipt(f, &r, &slowlen);
		char *canon = transfer_record_canonical(&r);
		assert_non_null(canon);
		char sig64[RECEIPT_SIG64_LEN];
		assert_int_equal(receipt_signature(canon, f->priv, sig64, &err), SLUICE_OK);
		assert_int_equal(strlen(sig64), RECEIPT_SIG64_LEN - 1);
		char *fast = receipt_assemble(kid, canon, sig64, NULL, &fastlen);
		assert_int_equal(fastlen, slowlen);
		assert_memory_equal(fast, slow, slowlen);
		free(fast);
		const uint64_t leaves[] = {0, 7, 4294967296ull, UINT64_C(9007199254740991)};
		for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
			char *v2 = strdup(slow);
			size_t v2len = slowlen;
			assert_int_equal(receipt_set_log_index(&v2, &v2len, leaves[i], &err), SLUICE_OK);
			fast = receipt_assemble(kid, canon, sig64, &leaves[i], &fastlen);
			assert_int_equal(fastlen, v2len);
			assert_memory_equal(fast, v2, v2len);
			assert_int_equal(receipt_verify((uint8_t *)fast, fastlen, f->pub, NULL, 0, NULL, &err),
			                 SLUICE_OK);
			free(fast);
			free(v2);
		}
		free(canon);
		free(slow);
		transfer_record_free(&r);
	}
}

/* transfer_record_canonical writes the record's JSON directly: the same bytes as jansson's
 * canonical dump of transfer_record_to_json, on generated records with every optional field
 * present or not and strings mixing quotes, backslashes, controls, DEL, 2-, 3- and 4-byte
 * UTF-8, and sequences jansson refuses (overlong, surrogate, above U+10FFFF, stray and
 * truncated continuation bytes): then both give NULL. */
static const char *const json_pieces[] = {
	"a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x7f",
	"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	"/Report/Para[2]", "clearance: TS above C", "words:list.txt", "pattern:email",
};
static const char *const json_bad_pieces[] = {
	"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82", "\xf5\x80\x80\x80",
	"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
};

static char *gen_string(unsigned *seed, bool allow_bad)
{
	char buf[512];
	size_t k = 0, n = (size_t)(rand_r(seed) % 6);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = json_pieces[rand_r(seed) % (int)(sizeof(json_pieces) / sizeof(*json_pieces))];
		if (allow_bad && rand_r(seed) % 40 == 0)
			p = json_bad_pieces[rand_r(seed) %
			                    (int)(sizeof(json_bad_pieces) / sizeof(*json_bad_pieces))];
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s", p);
	}
	return strdup(buf);
}

static void test_canonical_direct_matches_jansson(void **state)
{
	(void)state;
	unsigned seed = 5, nulls = 0;
	for (int iter = 0; iter < 5000; iter++) {
		struct transfer_record r;
		transfer_record_init(&r);
		bool bad = rand_r(&seed) % 4 == 0;
		r.from = gen_string(&seed, bad);
		r.to = rand_r(&seed) % 8 ? gen_string(&seed, bad) : NULL;
		r.policy_id = rand_r(&seed) % 8 ? gen_string(&seed, bad) : NULL;
		r.policy_version = (long)(rand_r(&seed) % 3) - 1 + (rand_r(&seed) % 2 ? 2147483647L * 4 : 0);
		sha256_hex("p", 1, r.policy_sha256);
		if (rand_r(&seed) % 2)
			sha256_hex("b", 1, r.policy_bundle_sha256);
		if (rand_r(&seed) % 3 == 0) {
			char *ids[3] = { gen_string(&seed, false), gen_string(&seed, false),
			                 gen_string(&seed, false) };
			transfer_record_set_signers(&r, ids, 1 + (size_t)(rand_r(&seed) % 3));
			for (int i = 0; i < 3; i++)
				free(ids[i]);
		}
		sha256_hex("i", 1, r.input_sha256);
		if (rand_r(&seed) % 2)
			sha256_hex("o", 1, r.output_sha256);
		r.decision = rand_r(&seed) % 8 ? gen_string(&seed, bad) : NULL;
		if (rand_r(&seed) % 2) {
			r.reason_rule = gen_string(&seed, bad);
			r.reason = rand_r(&seed) % 4 ? gen_string(&seed, bad) : NULL;
			r.reason_line = rand_r(&seed) % 2 ? (unsigned)rand_r(&seed) : 0;
		}
		if (rand_r(&seed) % 2)
			r.banner = gen_string(&seed, bad);
		if (rand_r(&seed) % 4 == 0)
			r.source_banner = gen_string(&seed, bad);
		for (int i = rand_r(&seed) % 5; i > 0; i--) {
			char *loc = gen_string(&seed, bad), *rule = gen_string(&seed, bad);
			transfer_record_add_removal(&r, loc, (unsigned)rand_r(&seed), rule);
			free(loc);
			free(rule);
		}
		for (int i = rand_r(&seed) % 5; i > 0; i--) {
			char *loc = gen_string(&seed, bad), *rule = gen_string(&seed, bad);
			transfer_record_add_redaction(&r, loc, rule, (unsigned)rand_r(&seed) % 100000u);
			free(loc);
			free(rule);
		}
		json_t *j = transfer_record_to_json(&r);
		char *want = j != NULL ? json_canonical(j) : NULL, *got = transfer_record_canonical(&r);
		if ((want == NULL) != (got == NULL) || (want != NULL && strcmp(want, got) != 0))
			fail_msg("iteration %d: jansson %s\n direct %s", iter, want ? want : "(null)",
			         got ? got : "(null)");
		nulls += got == NULL;
		free(want);
		free(got);
		json_decref(j);
		transfer_record_free(&r);
	}
	/* Both kinds of record were generated. */
	assert_true(nulls > 100);
	assert_true(nulls < 2500);
}

/* A record with a field that is not UTF-8 has no canonical text: the caller refuses it. */
static void test_canonical_bad_utf8(void **state)
{
	struct fx *f = *state;
	struct transfer_record r;
	released_record(f, &r);
	free(r.to);
	r.to = strdup("pol\xffice");
	assert_null(transfer_record_canonical(&r));
	transfer_record_free(&r);
}

/* ---- verifying: success ------------------------------------------------------------------ */

static void test_verify_released_ok(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	json_t *rec = NULL;

	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->pub, f->output, f->outputlen, &rec,
	                                &err),
	                 SLUICE_OK);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "decision")), "released");
	json_decref(rec);
	/* Without a report, and without asking for the record. */
	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->pub, NULL, 0, NULL, &err),
	                 SLUICE_OK);
	free(rc);
}

/* Version 2: receipt_set_log_index adds the leaf index outside the signature; it verifies,
 * and the index can change without the signature noticing (a proof decides, not the
 * signature). */
static void test_log_index_version_2(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	size_t len = 0;
	char *rc = released_receipt(f, &len);

	assert_int_equal(receipt_set_log_index(&rc, &len, 41, &err), SLUICE_OK);
	assert_int_equal(len, strlen(rc));
	assert_int_equal(rc[len - 1], '\n');
	json_t *root = json_loads(rc, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(root, "receipt")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "log"),
	                                                    "leaf_index")),
	                 41);
	char *canon = json_canonical(root);
	assert_memory_equal(canon, rc, len - 1); /* still canonical */
	free(canon);
	json_decref(root);
	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->pub, f->output, f->outputlen, NULL,
	                                &err),
	                 SLUICE_OK);
	/* Set again: replaced, not added. */
	assert_int_equal(receipt_set_log_index(&rc, &len, 7, &err), SLUICE_OK);
	assert_non_null(strstr(rc, "\"log\":{\"leaf_index\":7}"));
	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->pub, NULL, 0, NULL, &err),
	                 SLUICE_OK);
	free(rc);
}

static void test_verify_golden_files(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	size_t len = 0;
	uint8_t *rc = read_fixture("receipt-released.json", &len);
	assert_int_equal(receipt_verify(rc, len, f->pub, f->output, f->outputlen, NULL, &err),
	                 SLUICE_OK);
	free(rc);
	rc = read_fixture("receipt-refused.json", &len);
	assert_int_equal(receipt_verify(rc, len, f->pub, f->input, f->inputlen, NULL, &err),
	                 SLUICE_OK);
	free(rc);
}

static void test_verify_refusal_against_input(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct transfer_record r;
	size_t len = 0;
	refused_record(f, &r);
	char *rc = make_receipt(f, &r, &len);
	/* A refusal names the submitted report: it verifies against the input bytes... */
	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->pub, f->input, f->inputlen, NULL,
	                                &err),
	                 SLUICE_OK);
	/* ...and not against any other bytes. */
	expect_verify_fail(f, rc, len, NULL, f->output, f->outputlen, "receipt.digest",
	                   "submitted report (input_sha256)");
	free(rc);
	transfer_record_free(&r);
}

static void test_verify_key_order_and_spacing_do_not_matter(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	json_t *root = json_loads(rc, 0, NULL);
	char *pretty = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_int_equal(receipt_verify((uint8_t *)pretty, strlen(pretty), f->pub, f->output,
	                                f->outputlen, NULL, &err),
	                 SLUICE_OK);
	free(pretty);
	json_decref(root);
	free(rc);
}

/* ---- verifying: failures ----------------------------------------------------------------- */

static void test_verify_wrong_report(void **state)
{
	struct fx *f = *state;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	/* The input of a released transfer is not what the receipt names. */
	expect_verify_fail(f, rc, len, NULL, f->input, f->inputlen, "receipt.digest",
	                   "released report (output_sha256)");
	/* One byte changed. */
	uint8_t *copy = malloc(f->outputlen);
	memcpy(copy, f->output, f->outputlen);
	copy[10] ^= 0x20;
	expect_verify_fail(f, rc, len, NULL, copy, f->outputlen, "receipt.digest", NULL);
	/* One byte more, and empty. */
	expect_verify_fail(f, rc, len, NULL, f->output, f->outputlen - 1, "receipt.digest", NULL);
	expect_verify_fail(f, rc, len, NULL, (const uint8_t *)"", 0, "receipt.digest", NULL);
	free(copy);
	free(rc);
}

static void flip_signature_byte(json_t *root, const struct fx *f)
{
	(void)f;
	uint8_t *sig = NULL;
	size_t n = 0;
	assert_int_equal(
		base64_decode(json_string_value(json_object_get(root, "signature")), &sig, &n), 0);
	sig[17] ^= 0x04;
	char *b = base64_encode(sig, n);
	json_object_set_new(root, "signature", json_string(b));
	free(b);
	free(sig);
}

static void test_verify_tampered_signature(void **state)
{
	struct fx *f = *state;
	size_t len = 0, elen = 0;
	char *rc = released_receipt(f, &len);
	char *bad = edited(rc, flip_signature_byte, f, &elen);
	expect_verify_fail(f, bad, elen, NULL, NULL, 0, "receipt.signature",
	                   "does not match the record");
	free(bad);
	free(rc);
}

static void change_to(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(json_object_get(root, "record"), "to", json_string("customs"));
}

static void drop_removal(json_t *root, const struct fx *f)
{
	(void)f;
	json_array_clear(json_object_get(json_object_get(root, "record"), "removals"));
}

static void change_output_digest(json_t *root, const struct fx *f)
{
	char h[SHA256_HEX_LEN];
	sha256_hex(f->input, f->inputlen, h);
	json_object_set_new(json_object_get(root, "record"), "output_sha256", json_string(h));
}

static void test_verify_tampered_record(void **state)
{
	struct fx *f = *state;
	size_t len = 0, elen = 0;
	char *rc = released_receipt(f, &len);
	void (*edits[])(json_t *, const struct fx *) = {change_to, drop_removal,
	                                               change_output_digest};
	for (size_t i = 0; i < 3; i++) {
		char *bad = edited(rc, edits[i], f, &elen);
		expect_verify_fail(f, bad, elen, NULL, NULL, 0, "receipt.signature", NULL);
		free(bad);
	}
	/* A byte changed in the raw text (a digit of input_sha256). */
	char *raw = strdup(rc);
	char *p = strstr(raw, "\"input_sha256\":\"") + strlen("\"input_sha256\":\"");
	*p = *p == '0' ? '1' : '0';
	expect_verify_fail(f, raw, len, NULL, NULL, 0, "receipt.signature", NULL);
	free(raw);
	free(rc);
}

static void use_other_key_id(json_t *root, const struct fx *f)
{
	json_object_set_new(root, "key_id", json_string(f->other_kid));
}

static void test_verify_wrong_public_key(void **state)
{
	struct fx *f = *state;
	size_t len = 0, elen = 0;
	char *rc = released_receipt(f, &len);
	struct sluice_error err;

	/* The receipt names its key; the given key is another one: both ids in the message. */
	expect_verify_fail(f, rc, len, f->other_pub, NULL, 0, "receipt.key-id", f->kid);
	assert_int_equal(receipt_verify((uint8_t *)rc, len, f->other_pub, NULL, 0, NULL, &err),
	                 SLUICE_ERR_VERIFY);
	assert_non_null(strstr(err.message, f->other_kid));
	/* The key id rewritten to match the other key: the signature still fails. */
	char *bad = edited(rc, use_other_key_id, f, &elen);
	expect_verify_fail(f, bad, elen, f->other_pub, NULL, 0, "receipt.signature", NULL);
	/* And with the right key, the key id does not match. */
	expect_verify_fail(f, bad, elen, NULL, NULL, 0, "receipt.key-id", NULL);
	free(bad);
	free(rc);
}

static void test_verify_receipt_of_other_signer(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct transfer_record r;
	char *out = NULL;
	size_t len = 0;
	released_record(f, &r);
	assert_int_equal(receipt_create(&r, f->other_priv, &out, &len, &err), SLUICE_OK);
	expect_verify_fail(f, out, len, NULL, NULL, 0, "receipt.key-id", NULL);
	assert_int_equal(receipt_verify((uint8_t *)out, len, f->other_pub, f->output, f->outputlen,
	                                NULL, &err),
	                 SLUICE_OK);
	free(out);
	transfer_record_free(&r);
}

static void test_verify_malformed_json(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"", "{", "not json", "{\"key_id\":}", "{}{}", "\"a string\"", "42",
		"{\"receipt\":1}   trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_verify_fail(f, bad[i], strlen(bad[i]), NULL, NULL, 0, "receipt.json", NULL);
	/* An embedded NUL byte. */
	expect_verify_fail(f, "{\"a\":\0}", 7, NULL, NULL, 0, "receipt.json", NULL);
	/* Valid JSON, wrong shape. */
	expect_verify_fail(f, "[1,2]", 5, NULL, NULL, 0, "receipt.form", "not a JSON object");
	expect_verify_fail(f, "{}", 2, NULL, NULL, 0, "receipt.form", NULL);
	/* Random bytes. */
	uint8_t junk[256];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 151 + 7);
	expect_verify_fail(f, junk, sizeof(junk), NULL, NULL, 0, "receipt.json", NULL);
}

static void test_verify_duplicate_keys(void **state)
{
	struct fx *f = *state;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	/* A second "receipt" member at the top: {"key_id":..., -> {"receipt":1,"key_id":... */
	char *dup = NULL;
	assert_true(asprintf(&dup, "{\"receipt\":1,%s", rc + 1) > 0);
	expect_verify_fail(f, dup, strlen(dup), NULL, NULL, 0, "receipt.json", "duplicate");
	free(dup);
	/* A duplicate inside the record: "record":{ -> "record":{"to":"x", */
	char *p = strstr(rc, "\"record\":{") + strlen("\"record\":{");
	assert_true(asprintf(&dup, "%.*s\"to\":\"customs\",%s", (int)(p - rc), rc, p) > 0);
	expect_verify_fail(f, dup, strlen(dup), NULL, NULL, 0, "receipt.json", "duplicate");
	free(dup);
	free(rc);
}

static void set_version_3(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "receipt", json_integer(3));
}

/* Version 1 with version 2's member, and version 2 without it. */
static void add_log_to_v1(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "log", json_pack("{s:i}", "leaf_index", 4));
}

static void set_version_2_without_log(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "receipt", json_integer(2));
}

static void set_version_2_bad_log(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "receipt", json_integer(2));
	json_object_set_new(root, "log", json_pack("{s:i}", "leaf_index", -1));
}

static void set_version_2_log_extra(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "receipt", json_integer(2));
	json_object_set_new(root, "log", json_pack("{s:i,s:s}", "leaf_index", 1, "root", "x"));
}

static void set_version_string(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "receipt", json_string("1"));
}

static void set_alg_rsa(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "signature_alg", json_string("rsa-pss"));
}

static void add_top_member(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "comment", json_string("hello"));
}

static void del_version(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_del(root, "receipt");
}

static void del_key_id(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_del(root, "key_id");
}

static void short_signature(json_t *root, const struct fx *f)
{
	(void)f;
	uint8_t b[63] = {0};
	char *s = base64_encode(b, sizeof(b));
	json_object_set_new(root, "signature", json_string(s));
	free(s);
}

static void signature_not_base64(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "signature", json_string("not base64!"));
}

static void add_record_member(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(json_object_get(root, "record"), "content", json_string("secret"));
}

static void del_removals(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_del(json_object_get(root, "record"), "removals");
}

static void version_as_string(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(json_object_get(json_object_get(root, "record"), "policy"), "version",
	                    json_string("7"));
}

static void del_output(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_del(json_object_get(root, "record"), "output_sha256");
}

static void bad_decision(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(json_object_get(root, "record"), "decision", json_string("maybe"));
}

static void bad_removal(json_t *root, const struct fx *f)
{
	(void)f;
	json_array_append_new(json_object_get(json_object_get(root, "record"), "removals"),
	                      json_string("x"));
}

static void record_not_object(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(root, "record", json_array());
}

static void bad_input_digest(json_t *root, const struct fx *f)
{
	(void)f;
	json_object_set_new(json_object_get(root, "record"), "input_sha256",
	                    json_string("ABCDEF"));
}

static void test_verify_form_errors(void **state)
{
	struct fx *f = *state;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	struct {
		void (*edit)(json_t *, const struct fx *);
		const char *rule;
		const char *msg;
	} cases[] = {
		{set_version_3, "receipt.version", "unsupported receipt version"},
		{add_log_to_v1, "receipt.form", "\"log\""},
		{set_version_2_without_log, "receipt.form", "\"log\""},
		{set_version_2_bad_log, "receipt.form", "leaf_index"},
		{set_version_2_log_extra, "receipt.form", "leaf_index"},
		{set_version_string, "receipt.version", NULL},
		{set_alg_rsa, "receipt.alg", "rsa-pss"},
		{add_top_member, "receipt.form", "comment"},
		{del_version, "receipt.form", "\"receipt\""},
		{del_key_id, "receipt.form", "key_id"},
		{short_signature, "receipt.signature", "64-byte"},
		{signature_not_base64, "receipt.signature", NULL},
		{add_record_member, "receipt.form", "content"},
		{del_removals, "receipt.form", "removals"},
		{version_as_string, "receipt.form", "policy"},
		{del_output, "receipt.form", "output_sha256"},
		{bad_decision, "receipt.form", "maybe"},
		{bad_removal, "receipt.form", "removal 2"},
		{record_not_object, "receipt.form", "not an object"},
		{bad_input_digest, "receipt.form", "input_sha256"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t elen = 0;
		char *bad = edited(rc, cases[i].edit, f, &elen);
		expect_verify_fail(f, bad, elen, NULL, NULL, 0, cases[i].rule, cases[i].msg);
		free(bad);
	}
	free(rc);
}

static void test_verify_too_big(void **state)
{
	struct fx *f = *state;
	size_t n = 16u * 1024 * 1024 + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	expect_verify_fail(f, big, n, NULL, NULL, 0, "receipt.size", "over the limit");
	free(big);
}

static void test_verify_with_rsa_key(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	BIO *bio = NULL;
	char *path = fixture("rsa.pub");
	bio = BIO_new_file(path, "r");
	EVP_PKEY *rsa = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(path);
	assert_non_null(rsa);
	assert_int_equal(receipt_verify((uint8_t *)rc, len, rsa, NULL, 0, NULL, &err),
	                 SLUICE_ERR_VERIFY);
	EVP_PKEY_free(rsa);
	free(rc);
}

static void test_receipt_carries_no_report_content(void **state)
{
	struct fx *f = *state;
	size_t len = 0;
	char *rc = released_receipt(f, &len);
	/* The report's words are not in the receipt, only its digests. */
	assert_null(strstr(rc, "a.b@example.org"));
	assert_null(strstr(rc, "input report"));
	assert_null(strstr(rc, "[REDACTED]"));
	free(rc);
}

#define T(fn) cmocka_unit_test(fn)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_id_and_time),
		T(test_to_json_released),
		T(test_to_json_refused),
		T(test_to_json_bad_utf8),
		T(test_create_layout),
		T(test_create_golden),
		T(test_verify_released_ok),
		T(test_log_index_version_2),
		T(test_assemble_same_bytes),
		T(test_canonical_bad_utf8),
		T(test_canonical_direct_matches_jansson),
		T(test_verify_golden_files),
		T(test_verify_refusal_against_input),
		T(test_verify_key_order_and_spacing_do_not_matter),
		T(test_verify_wrong_report),
		T(test_verify_tampered_signature),
		T(test_verify_tampered_record),
		T(test_verify_wrong_public_key),
		T(test_verify_receipt_of_other_signer),
		T(test_verify_malformed_json),
		T(test_verify_duplicate_keys),
		T(test_verify_form_errors),
		T(test_verify_too_big),
		T(test_verify_with_rsa_key),
		T(test_receipt_carries_no_report_content),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
