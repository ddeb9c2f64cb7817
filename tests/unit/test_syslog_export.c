/*
 * gateway/syslog_export.c, the formatter: an audit record as one RFC 5424 message. The exact
 * message of a full record; PRI from facility and decision; RFC 5424 6.3.3 escaping of '"',
 * '\' and ']' (checked by parsing the structured data back); control characters and bad UTF-8
 * replaced so that a message stays one line; non-ASCII kept in the structured data and not in
 * the ASCII MSG; values cut on a character boundary; absent fields left out; header fields that
 * are not printable ASCII as "-"; the facility names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "syslog_export.h"

static char *format(const char *record_json, size_t seq, unsigned facility, const char *host)
{
	json_t *rec = json_from_text(record_json);
	struct syslog_origin origin = { facility, host, "4242" };
	char *msg = syslog_format_record(rec, seq, &origin);
	json_decref(rec);
	return msg;
}

#define FULL_RECORD                                                                            \
	"{\"decision\":\"refused\",\"from\":\"intel\",\"to\":\"police\","                            \
	"\"input_sha256\":\"a1fc\",\"policy\":{\"id\":\"fusion-cell\",\"version\":7,"               \
	"\"sha256\":\"148d\",\"bundle_sha256\":\"42\"},\"reason\":{\"rule\":\"caveat.refuse\","   \
	"\"message\":\"m\"},\"redactions\":[{\"rule\":\"pattern:phone\",\"count\":2},"             \
	"{\"rule\":\"words:x\",\"count\":1}],\"removals\":[{\"rule\":\"r\"}],"                      \
	"\"time\":\"2026-11-25T10:44:01Z\",\"transfer_id\":\"71e25b80\"}"

static void test_full_record(void **state)
{
	(void)state;
	char *msg = format(FULL_RECORD, 12, 16, "gw1.example");
	assert_string_equal(msg,
	                    "<133>1 2026-11-25T10:44:01Z gw1.example sluiced 4242 refused "
	                    "[sluice@32473 transfer_id=\"71e25b80\" seq=\"12\" from=\"intel\" "
	                    "to=\"police\" decision=\"refused\" policy_id=\"fusion-cell\" "
	                    "policy_version=\"7\" policy_sha256=\"148d\" policy_bundle_sha256=\"42\" "
	                    "input_sha256=\"a1fc\" rule=\"caveat.refuse\" redactions=\"3\" "
	                    "withheld=\"1\"] intel -> police refused caveat.refuse");
	free(msg);
}

static void test_pri_from_facility_and_decision(void **state)
{
	static const struct {
		const char *decision;
		unsigned facility;
		const char *start;
	} cases[] = {
		{ "released", 16, "<134>1 " }, { "refused", 16, "<133>1 " },
		{ "invalid", 16, "<132>1 " },  { "error", 16, "<131>1 " },
		{ "error", 10, "<83>1 " },     { "approved", 16, "<132>1 " },
		{ "released", 0, "<6>1 " },    { "released", 23, "<190>1 " },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rec[128];
		snprintf(rec, sizeof(rec), "{\"decision\":\"%s\",\"time\":\"2026-11-25T10:44:01Z\"}",
		         cases[i].decision);
		char *msg = format(rec, 0, cases[i].facility, "h");
		if (strncmp(msg, cases[i].start, strlen(cases[i].start)) != 0)
			fail_msg("%s at facility %u: %s", cases[i].decision, cases[i].facility, msg);
		free(msg);
	}
}

static void test_unknown_decision_and_absent_fields(void **state)
{
	(void)state;
	char *msg = format("{\"decision\":\"approved by me\",\"time\":\"yesterday\"}", 0, 16, "h");
	/* MSGID and TIMESTAMP are NILVALUEs; absent fields are left out; no seq */
	assert_string_equal(msg, "<132>1 - h sluiced 4242 - [sluice@32473 decision=\"approved by me\" "
	                         "redactions=\"0\" withheld=\"0\"] - -> - approved by me");
	free(msg);
}

/* Parses the structured data back: the values between the quotes, unescaped. Fails on a quote,
 * backslash or ']' that is not escaped inside a value. */
static size_t sd_values(const char *msg, char values[][600], size_t max)
{
	const char *p = strchr(msg, '[');
	size_t n = 0;
	assert_non_null(p);
	p++;
	while (*p != ']') {
		const char *eq = strchr(p, '=');
		assert_non_null(eq);
		assert_int_equal(eq[1], '"');
		p = eq + 2;
		size_t len = 0;
		while (*p != '"') {
			assert_true(*p != '\0' && *p != ']');
			if (*p == '\\') {
				assert_true(p[1] == '"' || p[1] == '\\' || p[1] == ']');
				p++;
			}
			assert_true(len < 599);
			values[n][len++] = *p++;
		}
		values[n][len] = '\0';
		assert_true(++n <= max);
		p++; /* the closing quote */
		assert_true(*p == ' ' || *p == ']');
		if (*p == ' ')
			p++;
	}
	return n;
}

static void test_escaping_round_trips(void **state)
{
	char values[16][600];
	(void)state;
	char *msg = format("{\"decision\":\"refused\",\"from\":\"a\\\"b\\\\c]d\","
	                   "\"to\":\"]]\\\"\",\"reason\":{\"rule\":\"x\\\\\\\"] y=\\\"z\\\"\"}}",
	                   0, 16, "h");
	size_t n = sd_values(msg, values, 16);
	assert_int_equal(n, 6);
	assert_string_equal(values[0], "a\"b\\c]d");
	assert_string_equal(values[1], "]]\"");
	assert_string_equal(values[2], "refused");
	assert_string_equal(values[3], "x\\\"] y=\"z\"");
	assert_non_null(strstr(msg, "from=\"a\\\"b\\\\c\\]d\""));
	free(msg);
}

static void test_one_line_whatever_the_record(void **state)
{
	(void)state;
	/* newline, carriage return, escape, DEL, a C1 control (U+0085, NEL) */
	char *msg = format("{\"decision\":\"refused\",\"from\":\"a\\nb\\rc\\u001bd\\u007fe\\u0085f\","
	                   "\"reason\":{\"rule\":\"r\\nINJECTED <13>1 fake\"}}",
	                   0, 16, "h");
	assert_null(strpbrk(msg, "\n\r\x1b\x7f"));
	assert_null(strstr(msg, "\xc2\x85"));
	assert_non_null(strstr(msg, "from=\"a?b?c?d?e?f\""));
	assert_non_null(strstr(msg, "rule=\"r?INJECTED <13>1 fake\""));
	free(msg);
}

static void test_non_ascii(void **state)
{
	(void)state;
	char *msg = format("{\"decision\":\"released\",\"from\":\"pr\\u00e9fecture\","
	                   "\"to\":\"\\u6771\\u4eac\",\"reason\":{\"rule\":\"\\ud83d\\udd12\"}}",
	                   0, 16, "h");
	/* UTF-8 in PARAM-VALUE as is; the MSG part is printable ASCII only (no BOM needed) */
	assert_non_null(strstr(msg, "from=\"pr\xc3\xa9" "fecture\" to=\"\xe6\x9d\xb1\xe4\xba\xac\""));
	assert_non_null(strstr(msg, "rule=\"\xf0\x9f\x94\x92\""));
	const char *text = strstr(msg, "] ");
	assert_non_null(text);
	for (const char *p = text; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	assert_string_equal(text, "] pr??fecture -> ?????? released ????");
	free(msg);
}

static void test_values_are_cut_on_a_character(void **state)
{
	char rec[2048], values[16][600];
	size_t len = 0;
	(void)state;
	len += (size_t)snprintf(rec, sizeof(rec), "{\"decision\":\"x\",\"from\":\"a");
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(rec + len, sizeof(rec) - len, "\\u00e9");
	snprintf(rec + len, sizeof(rec) - len, "\"}");
	char *msg = format(rec, 0, 16, "h");
	sd_values(msg, values, 16);
	/* 'a' and 127 two-byte characters: 255 bytes; one more would pass SYSLOG_VALUE_MAX */
	assert_int_equal(strlen(values[0]), 255);
	assert_int_equal((unsigned char)values[0][253], 0xc3);
	assert_int_equal((unsigned char)values[0][254], 0xa9);
	free(msg);
}

static void test_header_fields(void **state)
{
	(void)state;
	char *msg = format("{\"decision\":\"released\"}", 0, 16, "bad host");
	assert_non_null(strstr(msg, "<134>1 - - sluiced 4242 released "));
	free(msg);
	msg = format("{\"decision\":\"released\"}", 0, 16, NULL);
	assert_non_null(strstr(msg, " - - sluiced "));
	free(msg);
	msg = format("{\"decision\":\"released\"}", 0, 16, "h\xc3\xa9");
	assert_non_null(strstr(msg, " - - sluiced "));
	free(msg);
	/* a record that is not even an object */
	json_t *odd = json_integer(3);
	struct syslog_origin origin = { 16, "h", NULL };
	msg = syslog_format_record(odd, 0, &origin);
	assert_string_equal(msg, "<132>1 - h sluiced - - [sluice@32473 redactions=\"0\" "
	                         "withheld=\"0\"] - -> - -");
	free(msg);
	json_decref(odd);
}

static void test_facility_names(void **state)
{
	(void)state;
	assert_int_equal(syslog_facility_code("local0"), 16);
	assert_int_equal(syslog_facility_code("local7"), 23);
	assert_int_equal(syslog_facility_code("authpriv"), 10);
	assert_int_equal(syslog_facility_code("daemon"), 3);
	assert_int_equal(syslog_facility_code("local8"), -1);
	assert_int_equal(syslog_facility_code("LOCAL0"), -1);
	assert_int_equal(syslog_facility_code(""), -1);
	assert_int_equal(syslog_severity_of("released"), 6);
	assert_int_equal(syslog_severity_of("refused"), 5);
	assert_int_equal(syslog_severity_of("invalid"), 4);
	assert_int_equal(syslog_severity_of("error"), 3);
	assert_int_equal(syslog_severity_of("other"), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_record),
		cmocka_unit_test(test_pri_from_facility_and_decision),
		cmocka_unit_test(test_unknown_decision_and_absent_fields),
		cmocka_unit_test(test_escaping_round_trips),
		cmocka_unit_test(test_one_line_whatever_the_record),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_values_are_cut_on_a_character),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_facility_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
