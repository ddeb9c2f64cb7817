/* Unit tests of common/: the bounded buffer, string sets, the error convention, file I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sbuf.h"
#include "sluice_error.h"
#include "strset.h"
#include "utf8.h"

static void sbuf_roundtrip(void **state)
{
	(void)state;
	struct sbuf b;
	sbuf_init(&b, 1024);
	assert_int_equal(sbuf_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(sbuf_put_u64(&b, 0x0102030405060708ull), 0);
	assert_int_equal(sbuf_put_cstring(&b, "hello"), 0);
	uint32_t u;
	uint64_t q;
	char *s = NULL;
	assert_int_equal(sbuf_get_u32(&b, &u), 0);
	assert_int_equal(u, 0xdeadbeef);
	assert_int_equal(sbuf_get_u64(&b, &q), 0);
	assert_true(q == 0x0102030405060708ull);
	assert_int_equal(sbuf_get_cstring(&b, &s, 64), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(sbuf_remaining(&b), 0);
	free(s);
	sbuf_free(&b);
}

static void sbuf_refuses_past_max(void **state)
{
	(void)state;
	struct sbuf b;
	uint8_t big[100];
	memset(big, 'x', sizeof(big));
	sbuf_init(&b, 64);
	assert_int_equal(sbuf_put(&b, big, 64), 0);
	assert_int_equal(sbuf_put(&b, big, 1), -1);
	assert_int_equal(b.len, 64);
	sbuf_free(&b);
	sbuf_init(&b, 10);
	/* a string whose length prefix fits but whose bytes do not leaves nothing behind */
	assert_int_equal(sbuf_put_string(&b, big, 8), -1);
	assert_int_equal(b.len, 0);
	sbuf_free(&b);
}

static void sbuf_getters_fail_without_moving(void **state)
{
	(void)state;
	struct sbuf b;
	uint32_t u;
	uint64_t q;
	char *s = NULL;
	sbuf_init(&b, 64);
	assert_int_equal(sbuf_put(&b, "\0\0", 2), 0);
	assert_int_equal(sbuf_get_u32(&b, &u), -1);
	assert_int_equal(sbuf_get_u64(&b, &q), -1);
	assert_int_equal(b.off, 0);
	sbuf_reset(&b);
	/* declared length larger than what is there */
	assert_int_equal(sbuf_put_u32(&b, 50), 0);
	assert_int_equal(sbuf_put(&b, "abc", 3), 0);
	assert_int_equal(sbuf_get_cstring(&b, &s, 100), -1);
	assert_int_equal(b.off, 0);
	sbuf_reset(&b);
	/* longer than the caller's maximum */
	assert_int_equal(sbuf_put_cstring(&b, "abcdef"), 0);
	assert_int_equal(sbuf_get_cstring(&b, &s, 3), -1);
	sbuf_reset(&b);
	/* embedded NUL */
	assert_int_equal(sbuf_put_string(&b, "a\0b", 3), 0);
	assert_int_equal(sbuf_get_cstring(&b, &s, 10), -1);
	assert_null(s);
	sbuf_free(&b);
}

static void strset_operations(void **state)
{
	(void)state;
	struct strset a = STRSET_INIT, b = STRSET_INIT;
	assert_true(strset_add(&a, "USA"));
	assert_true(strset_add(&a, "FRA"));
	assert_false(strset_add(&a, "USA"));
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0], "FRA");
	strset_add(&b, "USA");
	strset_add(&b, "GBR");
	assert_true(strset_intersects(&a, &b));
	assert_false(strset_subset(&a, &b));
	struct strset c = STRSET_INIT;
	strset_copy(&c, &a);
	strset_intersect(&c, &b);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0], "USA");
	assert_true(strset_subset(&c, &a));
	strset_union(&c, &b);
	char *j = strset_join(&c, " ");
	assert_string_equal(j, "GBR USA");
	free(j);
	assert_true(strset_equal(&c, &b));
	assert_false(strset_equal(&a, &b));
	strset_free(&a);
	strset_free(&b);
	strset_free(&c);
	j = strset_join(&a, ",");
	assert_string_equal(j, "");
	free(j);
}

static void exit_codes_follow_spec(void **state)
{
	(void)state;
	assert_int_equal(sluice_rc_exit_code(SLUICE_OK), 0);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_REFUSED), 1);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_VERIFY), 1);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_USAGE), 64);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_INVALID_REPORT), 65);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_INTERNAL), 70);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_IO), 74);
	assert_int_equal(sluice_rc_exit_code(SLUICE_ERR_POLICY), 78);
}

static void fail_at_records_position(void **state)
{
	(void)state;
	struct sluice_error e;
	enum sluice_rc rc = sluice_fail_at(&e, SLUICE_ERR_POLICY, "policy.unknown-key", "p.yaml",
	                                   3, 7, "unknown key '%s'", "colour");
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_string_equal(e.rule, "policy.unknown-key");
	assert_string_equal(e.file, "p.yaml");
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 7);
	assert_string_equal(e.message, "unknown key 'colour'");
	assert_int_equal(sluice_fail(NULL, SLUICE_ERR_IO, "x", "y"), SLUICE_ERR_IO);
}

static void file_read_bounded_limits(void **state)
{
	(void)state;
	char dir[] = "/tmp/sluice-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/f", dir);
	struct sluice_error e;
	assert_int_equal(file_write_atomic(path, "0123456789", 10, 0600, &e), SLUICE_OK);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(file_read_bounded(path, 10, SLUICE_ERR_INVALID_REPORT, &p, &n, &e),
	                 SLUICE_OK);
	assert_int_equal(n, 10);
	assert_memory_equal(p, "0123456789", 10);
	free(p);
	assert_int_equal(file_read_bounded(path, 9, SLUICE_ERR_INVALID_REPORT, &p, &n, &e),
	                 SLUICE_ERR_INVALID_REPORT);
	assert_string_equal(e.rule, "limits.max-bytes");
	assert_null(p);
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(file_read_bounded(missing, 9, SLUICE_ERR_INVALID_REPORT, &p, &n, &e),
	                 SLUICE_ERR_IO);
	/* a folder is not a report */
	assert_int_equal(file_read_bounded(dir, 9, SLUICE_ERR_INVALID_REPORT, &p, &n, &e),
	                 SLUICE_ERR_IO);
	char nodir[300];
	snprintf(nodir, sizeof(nodir), "%s/no/such/file", dir);
	assert_int_equal(file_write_atomic(nodir, "x", 1, 0600, &e), SLUICE_ERR_IO);
	unlink(path);
	rmdir(dir);
}

static void paths_and_hex(void **state)
{
	(void)state;
	char *d = path_dirname("a/b/c.yaml");
	assert_string_equal(d, "a/b");
	free(d);
	d = path_dirname("c.yaml");
	assert_string_equal(d, ".");
	free(d);
	char *j = path_join("a/b", "lists/x.txt");
	assert_string_equal(j, "a/b/lists/x.txt");
	free(j);
	j = path_join("a/b", "/abs");
	assert_string_equal(j, "/abs");
	free(j);
	char hex[9];
	hex_encode((const uint8_t *)"\x01\xab\xff\x00", 4, hex);
	assert_string_equal(hex, "01abff00");
}

/* utf8_valid checks ASCII eight bytes at a time: compared with a byte-at-a-time reference (the
 * function as it was) on generated texts, mostly ASCII, with valid and invalid sequences
 * (overlong, surrogates, above U+10FFFF, stray and truncated continuations) at every
 * alignment; both the answer and the offset of the first bad byte. */
static bool utf8_reference(const uint8_t *p, size_t len, size_t *bad)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			*bad = i;
			return false;
		}
		if (len - i <= n) {
			*bad = i;
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80) {
				*bad = i;
				return false;
			}
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			*bad = i;
			return false;
		}
		i += n + 1;
	}
	return true;
}

static void utf8_valid_matches_reference(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a", "report text ", "0123456789", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82", "\xff", "\xc3",
	};
	unsigned seed = 9, invalid = 0;
	uint8_t buf[512];
	for (int iter = 0; iter < 20000; iter++) {
		size_t k = 0, pad = (size_t)(rand_r(&seed) % 9);
		memset(buf, 'x', pad); /* every alignment of what follows */
		k = pad;
		int n = rand_r(&seed) % 20;
		for (int i = 0; i < n; i++) {
			int which = rand_r(&seed) % 100;
			const char *piece = pieces[which < 70 ? which % 3 : 3 + which % 11];
			size_t pl = strlen(piece);
			if (k + pl > sizeof(buf))
				break;
			memcpy(buf + k, piece, pl);
			k += pl;
		}
		size_t bad_ref = 12345, bad = 54321;
		bool want = utf8_reference(buf, k, &bad_ref), got = utf8_valid(buf, k, &bad);
		if (want != got || (!want && bad != bad_ref))
			fail_msg("iteration %d: reference %d at %zu, utf8_valid %d at %zu", iter, want,
			         bad_ref, got, bad);
		invalid += !got;
	}
	assert_true(invalid > 1000);
	assert_true(invalid < 19000);
	assert_true(utf8_valid((const uint8_t *)"", 0, NULL));
	size_t bad = 0;
	assert_false(utf8_valid((const uint8_t *)"abcdefgh\xff", 9, &bad));
	assert_int_equal(bad, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_valid_matches_reference),
		cmocka_unit_test(sbuf_roundtrip),
		cmocka_unit_test(sbuf_refuses_past_max),
		cmocka_unit_test(sbuf_getters_fail_without_moving),
		cmocka_unit_test(strset_operations),
		cmocka_unit_test(exit_codes_follow_spec),
		cmocka_unit_test(fail_at_records_position),
		cmocka_unit_test(file_read_bounded_limits),
		cmocka_unit_test(paths_and_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
