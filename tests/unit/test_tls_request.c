/*
 * gateway/tls_request.c: the query a TLS client sends with its report (`to`, `name`) and the
 * subject CN of its certificate. Each query is written as a client would put it on the request
 * line, so the percent-decoding libevent does is part of what is tested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_request.h"

/* Not a valid pointer: a refusal must overwrite it with NULL. */
static char poison[] = "poison";

static void accepts(const char *query, const char *to, const char *name)
{
	char *got_to = poison, *got_name = poison;
	if (tls_query_parse(query, &got_to, &got_name) != 0)
		fail_msg("query \"%s\" refused", query);
	assert_non_null(got_to);
	assert_string_equal(got_to, to);
	if (name == NULL)
		assert_null(got_name);
	else {
		assert_non_null(got_name);
		assert_string_equal(got_name, name);
	}
	free(got_to);
	free(got_name);
}

static void refuses(const char *query)
{
	char *got_to = poison, *got_name = poison;
	if (tls_query_parse(query, &got_to, &got_name) != -1)
		fail_msg("query \"%s\" accepted", query ? query : "(null)");
	assert_null(got_to);
	assert_null(got_name);
}

static void refuses_all(const char *const *queries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		refuses(queries[i]);
}

#define REFUSES_ALL(...)                                                                         \
	do {                                                                                     \
		static const char *const q[] = {__VA_ARGS__};                                    \
		refuses_all(q, sizeof(q) / sizeof(q[0]));                                        \
	} while (0)

/* "KEY=" followed by `n` copies of `c` (a new string). */
static char *long_param(const char *prefix, const char *key, size_t n, char c)
{
	size_t head = strlen(prefix) + strlen(key) + 1;
	char *q = malloc(head + n + 1);
	assert_non_null(q);
	snprintf(q, head + 1, "%s%s=", prefix, key);
	memset(q + head, c, n);
	q[head + n] = '\0';
	return q;
}

/* ---- tls_query_parse: accepted ------------------------------------------------------------ */

static void test_query_to_only(void **state)
{
	(void)state;
	accepts("to=police", "police", NULL);
	accepts("to=partner-fra", "partner-fra", NULL);
	accepts("to=a.b_c-9", "a.b_c-9", NULL);
}

static void test_query_to_and_name(void **state)
{
	(void)state;
	accepts("to=customs&name=case-7.xml", "customs", "case-7.xml");
	accepts("name=case-7.xml&to=customs", "customs", "case-7.xml"); /* order is free */
}

static void test_query_percent_encoded_values_decode(void **state)
{
	(void)state;
	accepts("to=police&name=a%2Eb.xml", "police", "a.b.xml");
	accepts("to=p%6flice", "police", NULL);
	accepts("to=%70%6F%6C%69%63%65&name=%41", "police", "A");
}

static void test_query_longest_values(void **state)
{
	(void)state;
	char *q = long_param("", "to", TLS_DOMAIN_MAX, 'd');
	char expect[TLS_DOMAIN_MAX + 1];
	memset(expect, 'd', TLS_DOMAIN_MAX);
	expect[TLS_DOMAIN_MAX] = '\0';
	accepts(q, expect, NULL);
	free(q);

	q = long_param("to=police&", "name", 200, 'n');
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	accepts(q, "police", name);
	free(q);
}

/* What libevent's decoder makes of odd input; the rules apply to what comes out of it, which
 * is also what the caller uses. */
static void test_query_libevent_quirks(void **state)
{
	(void)state;
	accepts("to=police&", "police", NULL);                 /* a trailing '&' ends the query */
}

/* ---- tls_query_parse: refused ------------------------------------------------------------- */

static void test_query_absent_or_empty(void **state)
{
	(void)state;
	REFUSES_ALL(NULL, "", "&", "name=a.xml");
}

static void test_query_repeated_parameter(void **state)
{
	(void)state;
	REFUSES_ALL("to=police&to=customs", "to=police&to=police", "to=police&name=a&name=b",
	            "name=a&to=police&name=a");
}

static void test_query_other_parameter(void **state)
{
	(void)state;
	REFUSES_ALL("to=police&x=1", "x=1&to=police", "to=police&TO=customs", "To=police",
	            "t%6F=police" /* keys are not decoded */, "to=police&name=a.xml&from=intel");
}

static void test_query_to_not_a_domain(void **state)
{
	(void)state;
	REFUSES_ALL("to=", "to=a/b", "to=a%2Fb", "to=..", "to=.police", "to=%2E%2E", "to=../etc",
	            "to=pol%20ice", "to=pol+ice", "to=police%0A", "to=p%C3%A9", "to=po%25lice");
	char *q = long_param("", "to", TLS_DOMAIN_MAX + 1, 'd');
	refuses(q);
	free(q);
}

static void test_query_name_not_a_file_name(void **state)
{
	(void)state;
	REFUSES_ALL("to=police&name=", "to=police&name=a b", "to=police&name=a+b",
	            "to=police&name=a%20b", "to=police&name=a%2Fb", "to=police&name=a/b",
	            "to=police&name=..", "to=police&name=.hidden", "to=police&name=../../etc/x",
	            "to=police&name=a%0D%0Ab", "to=police&name=a%5Cb",
	            "to=police&name=a.xml%00.exe", "to=police%00&name=a.xml");
	char *q = long_param("to=police&", "name", 201, 'n');
	refuses(q);
	free(q);
}

static void test_query_malformed(void **state)
{
	(void)state;
	/* libevent refuses an argument without '=' or with an empty key */
	REFUSES_ALL("to", "to=police&name", "&to=police", "to=police&&name=a", "=police",
	            "to=police&=x");
	/* it keeps a bad escape as it is, and the '%' left in the value is refused */
	REFUSES_ALL("to=pol%zzice", "to=police%", "to=police%2", "to=police&name=a%g1.xml");
}

/* ---- tls_cn_ok ---------------------------------------------------------------------------- */

static int cn_ok(const char *s)
{
	return tls_cn_ok((const unsigned char *)s, (int)strlen(s));
}

static void test_cn_accepted(void **state)
{
	(void)state;
	assert_int_equal(cn_ok("police"), 1);
	assert_int_equal(cn_ok("Agency X (ops) / desk 3"), 1);
	assert_int_equal(cn_ok("Z\xc3\xb6llner ~"), 1); /* UTF-8 beyond ASCII, and '~' (0x7e) */
	unsigned char longest[TLS_CN_MAX];
	memset(longest, 'c', sizeof(longest));
	assert_int_equal(tls_cn_ok(longest, TLS_CN_MAX), 1);
	assert_int_equal(tls_cn_ok((const unsigned char *)" ", 1), 1); /* 0x20 is not a control */
}

static void test_cn_refused(void **state)
{
	(void)state;
	unsigned char big[TLS_CN_MAX + 1];
	memset(big, 'c', sizeof(big));
	assert_int_equal(tls_cn_ok(big, TLS_CN_MAX + 1), 0);
	assert_int_equal(tls_cn_ok((const unsigned char *)"police", 0), 0);
	assert_int_equal(tls_cn_ok((const unsigned char *)"police", -1), 0);
	assert_int_equal(tls_cn_ok(NULL, -1), 0); /* ASN1_STRING_to_UTF8 failed */
	assert_int_equal(tls_cn_ok(NULL, 6), 0);
	assert_int_equal(tls_cn_ok((const unsigned char *)"pol\0ice", 7), 0);
	assert_int_equal(cn_ok("police\n"), 0);
	assert_int_equal(cn_ok("police\r"), 0);
	assert_int_equal(cn_ok("pol\tice"), 0);
	assert_int_equal(cn_ok("\x1b[31mpolice"), 0);
	assert_int_equal(cn_ok("police\x7f"), 0);
	assert_int_equal(cn_ok("\x1f"), 0);
}

/* ---- http_answer_status, http_answer_reason ---------------------------------------------- */

static int status_of(const char *s)
{
	return http_answer_status(s, strlen(s));
}

static void test_answer_status_read(void **state)
{
	(void)state;
	assert_int_equal(status_of("HTTP/1.1 200 OK\r\n\r\n"), 200);
	assert_int_equal(status_of("HTTP/1.0 404 Not Found\r\n"), 404);
	assert_int_equal(status_of("HTTP/1.1 503\r\n\r\n"), 503);
	assert_int_equal(status_of("HTTP/1.1 100 Continue\r\n"), 100);
	assert_int_equal(status_of("HTTP/1.1 599 x"), 599);
}

static void test_answer_status_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "HTTP/1.1", "HTTP/1.1 200", "HTTP/2 200 OK\r\n", "HTTP/1.2 200 OK\r\n",
		"http/1.1 200 OK\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/1.1 2000 OK\r\n",
		"HTTP/1.1 099 x\r\n", "HTTP/1.1 600 x\r\n", "HTTP/1.1 +20 OK\r\n",
		"HTTP/1.1  200 OK\r\n", "HTTP/1.1 2a0 OK\r\n", "HTTP/1.1 200\nOK", "SSH-2.0-x\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(status_of(bad[i]), 0);
	/* the length is the limit, not a NUL */
	assert_int_equal(http_answer_status("HTTP/1.1 200 OK", 12), 0);
}

static void test_answer_reason(void **state)
{
	(void)state;
	char out[HTTP_REASON_MAX + 1];
	const char *a = "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\nbody";
	http_answer_reason(a, strlen(a), out, sizeof(out));
	assert_string_equal(out, "404 Not Found");
	const char *b = "HTTP/1.1 403 \x1b[31mforged\x7f\xc3\xa9\r\n";
	http_answer_reason(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "403 ?[31mforged???");
	char tiny[5];
	http_answer_reason(a, strlen(a), tiny, sizeof(tiny));
	assert_string_equal(tiny, "404 ");
	char longline[400];
	memcpy(longline, "HTTP/1.1 500 ", 13);
	memset(longline + 13, 'x', sizeof(longline) - 13);
	http_answer_reason(longline, sizeof(longline), out, sizeof(out));
	assert_int_equal(strlen(out), HTTP_REASON_MAX);
	http_answer_reason("HTTP/1.1", 8, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_to_only),
		cmocka_unit_test(test_query_to_and_name),
		cmocka_unit_test(test_query_percent_encoded_values_decode),
		cmocka_unit_test(test_query_longest_values),
		cmocka_unit_test(test_query_libevent_quirks),
		cmocka_unit_test(test_query_absent_or_empty),
		cmocka_unit_test(test_query_repeated_parameter),
		cmocka_unit_test(test_query_other_parameter),
		cmocka_unit_test(test_query_to_not_a_domain),
		cmocka_unit_test(test_query_name_not_a_file_name),
		cmocka_unit_test(test_query_malformed),
		cmocka_unit_test(test_cn_accepted),
		cmocka_unit_test(test_cn_refused),
		cmocka_unit_test(test_answer_status_read),
		cmocka_unit_test(test_answer_status_refused),
		cmocka_unit_test(test_answer_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
