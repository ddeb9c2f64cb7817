/* The filter's answer is parsed as hostile: round trip, and every malformation refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "filter_ipc.h"

static void make_released(struct release_result *r)
{
	release_result_init(r);
	r->decision = RELEASE_RELEASED;
	sluice_error_clear(&r->error);
	release_result_add_removal(r, "/r/a[2]", 7, "classification S above clearance C");
	release_result_add_redaction(r, "/r/b/text()", "pattern:email", 2);
	release_result_add_portion(r, "/r/a[1]", 6, "C//REL TO USA, FRA", false);
	release_result_add_portion(r, "/r/a[2]", 7, "S//NF", true);
	r->banner_before = strdup("S//NF");
	r->banner = strdup("<OTHER CLOSED>");
	r->source_banner = strdup("EXAMPLE INTERNAL");
	r->output = (uint8_t *)strdup("<r/>");
	r->outlen = 4;
}

static void encode(const struct release_result *r, struct sbuf *b)
{
	sbuf_init(b, 1 << 20);
	assert_int_equal(filter_ipc_encode(r, b), 0);
}

static void round_trip_release(void **state)
{
	(void)state;
	struct release_result r, back;
	struct sbuf b;
	struct sluice_error err;
	make_released(&r);
	encode(&r, &b);
	assert_int_equal(filter_ipc_decode(b.data, b.len, 1024, &back, &err), SLUICE_OK);
	assert_int_equal(back.decision, RELEASE_RELEASED);
	assert_int_equal(back.nremovals, 1);
	assert_string_equal(back.removals[0].location, "/r/a[2]");
	assert_int_equal(back.removals[0].line, 7);
	assert_int_equal(back.nredactions, 1);
	assert_int_equal(back.redactions[0].count, 2);
	assert_string_equal(back.banner, "<OTHER CLOSED>");
	assert_string_equal(back.source_banner, "EXAMPLE INTERNAL");
	assert_string_equal(back.banner_before, "S//NF");
	assert_int_equal(back.nportions, 2);
	assert_string_equal(back.portions[0].label, "C//REL TO USA, FRA");
	assert_false(back.portions[0].withheld);
	assert_string_equal(back.portions[1].location, "/r/a[2]");
	assert_int_equal(back.portions[1].line, 7);
	assert_true(back.portions[1].withheld);
	assert_int_equal(back.outlen, 4);
	assert_memory_equal(back.output, "<r/>", 4);
	release_result_free(&back);
	release_result_free(&r);
	sbuf_free(&b);
}

static void round_trip_refusal(void **state)
{
	(void)state;
	struct release_result r, back;
	struct sbuf b;
	struct sluice_error err;
	release_result_init(&r);
	r.decision = RELEASE_REFUSED;
	sluice_fail_at(&r.error, SLUICE_ERR_REFUSED, "portion.refuse", NULL, 9, 0, "no");
	encode(&r, &b);
	assert_int_equal(filter_ipc_decode(b.data, b.len, 1024, &back, &err), SLUICE_OK);
	assert_int_equal(back.decision, RELEASE_REFUSED);
	assert_string_equal(back.error.rule, "portion.refuse");
	assert_int_equal(back.error.line, 9);
	assert_null(back.output);
	release_result_free(&back);
	release_result_free(&r);
	sbuf_free(&b);
}

static void expect_malformed(const uint8_t *p, size_t n, size_t max_output)
{
	struct release_result back;
	struct sluice_error err;
	assert_int_equal(filter_ipc_decode(p, n, max_output, &back, &err), SLUICE_ERR_INTERNAL);
	assert_string_equal(err.rule, "filter.message");
	assert_int_equal(back.decision, RELEASE_ERROR);
	release_result_free(&back);
}

static void refuses_every_truncation(void **state)
{
	(void)state;
	struct release_result r;
	struct sbuf b;
	make_released(&r);
	encode(&r, &b);
	for (size_t n = 0; n < b.len; n++)
		expect_malformed(b.data, n, 1024);
	release_result_free(&r);
	sbuf_free(&b);
}

static void refuses_trailing_bytes_bad_magic_and_oversize(void **state)
{
	(void)state;
	struct release_result r;
	struct sbuf b;
	make_released(&r);
	encode(&r, &b);
	assert_int_equal(sbuf_put(&b, "x", 1), 0);
	expect_malformed(b.data, b.len, 1024);
	b.len--;
	b.data[0] ^= 1;
	expect_malformed(b.data, b.len, 1024);
	b.data[0] ^= 1;
	expect_malformed(b.data, b.len, 3); /* output larger than allowed */
	/* decision out of range */
	b.data[7] = 9;
	expect_malformed(b.data, b.len, 1024);
	release_result_free(&r);
	sbuf_free(&b);
}

static void refuses_release_without_output_and_refusal_with_output(void **state)
{
	(void)state;
	struct release_result r;
	struct sbuf b;
	make_released(&r);
	free(r.output);
	r.output = NULL;
	r.outlen = 0;
	encode(&r, &b);
	expect_malformed(b.data, b.len, 1024);
	sbuf_free(&b);
	release_result_free(&r);
	make_released(&r);
	r.decision = RELEASE_REFUSED;
	encode(&r, &b);
	expect_malformed(b.data, b.len, 1024);
	sbuf_free(&b);
	release_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_release),
		cmocka_unit_test(round_trip_refusal),
		cmocka_unit_test(refuses_every_truncation),
		cmocka_unit_test(refuses_trailing_bytes_bad_magic_and_oversize),
		cmocka_unit_test(refuses_release_without_output_and_refusal_with_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
