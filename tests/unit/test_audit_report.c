/*
 * gateway/audit_reader.c and gateway/audit_report.c: the bounded reader of audit logs (line
 * kinds, numbering, duplicate keys, overlong and torn lines), the figures of the oversight
 * report (per flow and day, refusals, redactions, withheld portions, policy versions, the
 * period filter, verification coverage, tree heads), and HTML escaping of hostile strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_reader.h"
#include "audit_report.h"
#include "json_text.h"
#include "tmpdir.h"

/* ---- escaping ---- */

static char *escaped(const char *s, size_t max_chars)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	html_escape_put(f, s, max_chars);
	fclose(f);
	return out;
}

static void expect_escaped(const char *in, size_t max_chars, const char *want)
{
	char *got = escaped(in, max_chars);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape_markup(void **state)
{
	(void)state;
	expect_escaped("<script>alert(1)</script>", 100, "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect_escaped("a&b \"q\" 'p'", 100, "a&amp;b &quot;q&quot; &#39;p&#39;");
	expect_escaped("\"><img src=x onerror=alert(1)>", 100,
	               "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	expect_escaped("", 100, "");
}

static void test_escape_keeps_text_and_non_ascii(void **state)
{
	(void)state;
	expect_escaped("partner-fra", 100, "partner-fra");
	expect_escaped("Préfecture \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\x92", 100,
	               "Préfecture \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\x92");
}

static void test_escape_replaces_hidden_characters(void **state)
{
	(void)state;
	/* newline, escape, DEL, a C1 control, right-to-left override, isolates */
	expect_escaped("a\nb\x1b[31m", 100, "a\xef\xbf\xbd" "b\xef\xbf\xbd[31m");
	expect_escaped("x\x7fy\xc2\x85z", 100, "x\xef\xbf\xbdy\xef\xbf\xbdz");
	expect_escaped("intel\xe2\x80\xae" "ecilop", 100, "intel\xef\xbf\xbd" "ecilop");
	expect_escaped("\xe2\x81\xa6x\xe2\x81\xa9", 100, "\xef\xbf\xbdx\xef\xbf\xbd");
}

static void test_escape_replaces_bad_utf8(void **state)
{
	(void)state;
	expect_escaped("a\xffz", 100, "a\xef\xbf\xbdz");
	/* an overlong '<' must not come back as '<' */
	expect_escaped("\xc0\xbcscript", 100, "\xef\xbf\xbd\xef\xbf\xbdscript");
	/* a surrogate, and a truncated sequence at the end */
	expect_escaped("\xed\xa0\x80!", 100, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
	expect_escaped("ok\xe2\x82", 100, "ok\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_escape_cuts_long_strings(void **state)
{
	(void)state;
	expect_escaped("abcdef", 3, "abc\xe2\x80\xa6");
	expect_escaped("abc", 3, "abc");
	/* counted in characters, not bytes, and an entity counts as one */
	expect_escaped("\xc3\xa9\xc3\xa9<<", 3, "\xc3\xa9\xc3\xa9&lt;\xe2\x80\xa6");
}

/* ---- figures ---- */

/* Adds a transfer line whose record is `record_json`, as line `number`. */
static void add_transfer(struct audit_report *r, size_t number, const char *record_json)
{
	json_t *rec = json_from_text(record_json);
	struct audit_entry line = { .number = number, .kind = AUDIT_ENTRY_TRANSFER, .record = rec };
	audit_report_add_line(r, &line);
	json_decref(rec);
}

static void add_checkpoint(struct audit_report *r, size_t number, const char *json)
{
	json_t *j = json_from_text(json);
	struct audit_entry line = { .number = number, .kind = AUDIT_ENTRY_CHECKPOINT, .json = j };
	audit_report_add_line(r, &line);
	json_decref(j);
}

#define POLICY_V3 "\"policy\":{\"id\":\"cell\",\"version\":3,\"sha256\":\"aa\"}"
#define POLICY_V4 \
	"\"policy\":{\"id\":\"cell\",\"version\":4,\"sha256\":\"bb\",\"signers\":[\"k1\",\"k2\"]}"

static void add_sample(struct audit_report *r)
{
	add_transfer(r, 1, "{\"time\":\"2026-11-29T10:00:00Z\",\"decision\":\"released\","
	                   "\"from\":\"intel\",\"to\":\"police\"," POLICY_V3 ","
	                   "\"redactions\":[{\"rule\":\"pattern:phone\",\"count\":2},"
	                   "{\"rule\":\"pattern:phone\",\"count\":1},"
	                   "{\"rule\":\"words:ops\",\"count\":1}],"
	                   "\"removals\":[{\"rule\":\"classification S above clearance C\"}]}");
	add_transfer(r, 2, "{\"time\":\"2026-11-29T11:00:00Z\",\"decision\":\"refused\","
	                   "\"from\":\"intel\",\"to\":\"police\"," POLICY_V3 ","
	                   "\"reason\":{\"rule\":\"caveat.refuse\"}}");
	add_checkpoint(r, 3, "{\"type\":\"checkpoint\",\"seq\":3,\"records\":2,"
	                     "\"time\":\"2026-11-29T11:00:00Z\",\"key_id\":\"ab\"}");
	add_transfer(r, 4, "{\"time\":\"2026-11-30T09:00:00Z\",\"decision\":\"released\","
	                   "\"from\":\"intel\",\"to\":\"police\"," POLICY_V4 ","
	                   "\"redactions\":[{\"rule\":\"pattern:phone\",\"count\":4}]}");
	add_transfer(r, 5, "{\"time\":\"2026-11-30T09:30:00Z\",\"decision\":\"invalid\","
	                   "\"from\":\"police\",\"to\":\"customs\"," POLICY_V4 ","
	                   "\"reason\":{\"rule\":\"xml.doctype\"}}");
	add_checkpoint(r, 6, "{\"type\":\"checkpoint\",\"seq\":6,\"records\":4,"
	                     "\"time\":\"2026-11-30T09:30:00Z\",\"key_id\":\"ab\"}");
}

static const struct report_flow_day *flow_day(const struct audit_report *r, const char *day,
                                              const char *from, const char *to)
{
	for (size_t i = 0; i < r->flow_days.n; i++) {
		const struct report_flow_day *f = r->flow_days.row[i];
		if (strcmp(f->day, day) == 0 && strcmp(f->from, from) == 0 && strcmp(f->to, to) == 0)
			return f;
	}
	return NULL;
}

static const struct report_rule *rule(const struct report_rows *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(((const struct report_rule *)t->row[i])->rule, name) == 0)
			return t->row[i];
	fail_msg("no row for rule %s", name);
	abort();
}

static void test_figures(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	add_sample(&r);
	assert_int_equal(r.records, 4);
	assert_int_equal(r.lines, 6);
	assert_int_equal(r.checkpoints, 2);
	assert_int_equal(r.n[REPORT_RELEASED], 2);
	assert_int_equal(r.n[REPORT_REFUSED], 1);
	assert_int_equal(r.n[REPORT_INVALID], 1);
	assert_string_equal(r.first, "2026-11-29T10:00:00Z");
	assert_string_equal(r.last, "2026-11-30T09:30:00Z");

	assert_int_equal(r.flow_days.n, 3);
	const struct report_flow_day *f = flow_day(&r, "2026-11-29", "intel", "police");
	assert_non_null(f);
	assert_int_equal(f->n[REPORT_RELEASED], 1);
	assert_int_equal(f->n[REPORT_REFUSED], 1);
	f = flow_day(&r, "2026-11-30", "police", "customs");
	assert_non_null(f);
	assert_int_equal(f->n[REPORT_INVALID], 1);

	assert_int_equal(r.refusals.n, 2);
	assert_int_equal(rule(&r.refusals, "caveat.refuse")->n[REPORT_REFUSED], 1);
	assert_int_equal(rule(&r.refusals, "xml.doctype")->n[REPORT_INVALID], 1);
	/* replacements are summed; a rule twice in one record is one transfer */
	const struct report_rule *phone = rule(&r.redactions, "pattern:phone");
	assert_int_equal(phone->items, 7);
	assert_int_equal(phone->transfers, 2);
	assert_int_equal(rule(&r.redactions, "words:ops")->items, 1);
	assert_int_equal(rule(&r.withheld, "classification S above clearance C")->items, 1);

	assert_int_equal(r.policies.n, 2);
	const struct report_policy *v3 = r.policies.row[0], *v4 = r.policies.row[1];
	assert_int_equal(v3->version, 3);
	assert_int_equal(v3->transfers, 2);
	assert_string_equal(v3->first, "2026-11-29T10:00:00Z");
	assert_string_equal(v3->last, "2026-11-29T11:00:00Z");
	assert_int_equal(v4->signers, 2);
	assert_string_equal(v4->sha256, "bb");
	/* not verified: no checkpoint vouches for anything */
	assert_false(r.has_last_good);
	assert_int_equal(r.covered_records, 0);
	audit_report_free(&r);
}

static void test_period(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	assert_true(audit_time_bound("2026-11-30", false, r.since));
	assert_true(audit_time_bound("2026-11-30T09:15:00Z", true, r.until));
	add_sample(&r);
	add_transfer(&r, 7, "{\"time\":\"yesterday\",\"decision\":\"released\"}");
	assert_int_equal(r.records, 1);
	assert_int_equal(r.n[REPORT_RELEASED], 1);
	assert_int_equal(r.policies.n, 1);
	assert_string_equal(r.first, "2026-11-30T09:00:00Z");
	/* the whole log is still counted as lines */
	assert_int_equal(r.lines, 7);
	audit_report_free(&r);
}

static void test_hostile_values(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	add_transfer(&r, 1, "{\"time\":\"not a time\",\"decision\":\"approved\","
	                    "\"redactions\":[{\"rule\":\"w\",\"count\":-5},{\"count\":3},7],"
	                    "\"removals\":\"none\",\"policy\":[]}");
	assert_int_equal(r.records, 1);
	assert_int_equal(r.n[REPORT_OTHER], 1);
	assert_non_null(flow_day(&r, "(no time)", "", ""));
	assert_int_equal(rule(&r.redactions, "w")->items, 0);
	/* an element without a rule, and one that is not even an object */
	assert_int_equal(rule(&r.redactions, "(no rule)")->items, 3);
	assert_int_equal(rule(&r.refusals, "(no rule)")->n[REPORT_OTHER], 1);
	assert_int_equal(r.withheld.n, 0);
	assert_string_equal(r.first, "");
	audit_report_free(&r);
}

static void test_coverage_when_verification_failed(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	r.verification = REPORT_VERIFY_FAILED;
	r.verify.bad_line = 5;
	add_sample(&r);
	assert_true(r.has_last_good);
	assert_int_equal(r.last_good.line, 3);
	assert_int_equal(r.last_good.seq, 3);
	assert_int_equal(r.last_good.records, 2);
	assert_int_equal(r.covered_records, 2);
	assert_int_equal(r.records, 4);
	assert_false(r.last_good.has_tree_head);
	audit_report_free(&r);
}

static void test_coverage_when_verified_with_tree_head(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	r.verification = REPORT_VERIFIED;
	add_sample(&r);
	add_checkpoint(&r, 7, "{\"type\":\"checkpoint\",\"seq\":7,\"records\":4,\"time\":"
	                      "\"2026-11-30T10:00:00Z\",\"root\":\"c0ffee\"}");
	assert_int_equal(r.last_good.line, 7);
	assert_true(r.last_good.has_tree_head);
	assert_int_equal(r.last_good.tree_size, 4);
	assert_string_equal(r.last_good.root, "c0ffee");
	assert_int_equal(r.covered_records, 4);
	audit_report_free(&r);
}

static void test_bad_lines_counted(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	struct audit_entry bad = { .number = 4, .kind = AUDIT_ENTRY_BAD, .why = "not JSON" };
	audit_report_add_line(&r, &bad);
	bad.number = 9;
	audit_report_add_line(&r, &bad);
	assert_int_equal(r.bad_lines, 2);
	assert_int_equal(r.first_bad_line, 4);
	assert_string_equal(r.first_bad_why, "not JSON");
	audit_report_free(&r);
}

static char *page_of(const struct audit_report *r)
{
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	assert_non_null(f);
	audit_report_write_html(f, r, "<log>", "2026-11-30T12:00:00Z");
	fclose(f);
	return page;
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_page_escapes_every_log_string(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	r.verification = REPORT_VERIFY_FAILED;
	r.verify.bad_line = 2;
	snprintf(r.verify.why, sizeof(r.verify.why), "line 2: <script>why()</script>");
	add_transfer(&r, 1, "{\"time\":\"2026-11-30T09:00:00Z\",\"decision\":\"refused\","
	                    "\"from\":\"<script>a()</script>\",\"to\":\"b\\\"><svg onload=x>\","
	                    "\"reason\":{\"rule\":\"<script>r()</script>\"},"
	                    "\"redactions\":[{\"rule\":\"<img src=x>\",\"count\":1}],"
	                    "\"removals\":[{\"rule\":\"</td><script>\"}],"
	                    "\"policy\":{\"id\":\"<script>p()</script>\",\"version\":1,"
	                    "\"sha256\":\"<b>\"}}");
	char *page = page_of(&r);
	assert_int_equal(occurrences(page, "<script"), 0);
	assert_int_equal(occurrences(page, "<img"), 0);
	assert_int_equal(occurrences(page, "<svg onload"), 0);
	assert_int_equal(occurrences(page, "<b>"), 0);
	assert_true(occurrences(page, "&lt;script&gt;a()&lt;/script&gt;") >= 2);
	assert_true(occurrences(page, "&lt;script&gt;why()&lt;/script&gt;") == 1);
	assert_non_null(strstr(page, "&lt;log&gt;"));
	/* nothing to load: only the SVG namespace names a URL */
	assert_int_equal(occurrences(page, "src=\""), 0);
	assert_int_equal(occurrences(page, "href=\""), 0);
	assert_int_equal(occurrences(page, "://"), occurrences(page, "http://www.w3.org/2000/svg"));
	assert_non_null(strstr(page, "content=\"default-src 'none'; style-src 'sha256-"));
	assert_non_null(strstr(page, "data-state=\"failed\""));
	free(page);
	audit_report_free(&r);
}

static void test_page_of_empty_log(void **state)
{
	struct audit_report r;
	(void)state;
	audit_report_init(&r);
	char *page = page_of(&r);
	assert_non_null(strstr(page, "No transfer records in this period."));
	assert_non_null(strstr(page, "id=\"records-total\">0<"));
	assert_non_null(strstr(page, "data-state=\"not-verified\""));
	assert_non_null(strstr(page, "</html>"));
	free(page);
	audit_report_free(&r);
}

/* ---- the reader ---- */

struct tmp {
	char dir[64];
	char path[128];
};

static void write_log(struct tmp *t, const char *text, size_t len)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/sluice-report-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/audit.log", t->dir);
	FILE *f = fopen(t->path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_reader_kinds(void **state)
{
	static const char text[] =
		"{\"type\":\"transfer\",\"record\":{\"time\":\"t\",\"decision\":\"released\"}}\n"
		"{\"type\":\"checkpoint\",\"seq\":2}\n"
		"not json\n"
		"{\"type\":\"transfer\",\"type\":\"checkpoint\"}\n"
		"{\"type\":\"transfer\",\"record\":{\"time\":\"t\"}}\n"
		"\n"
		"{\"type\":\"note\"}\n"
		"[1,2]\n"
		"{\"type\":\"checkpoint\",\"seq\":9}";
	enum audit_entry_kind want[] = {
		AUDIT_ENTRY_TRANSFER, AUDIT_ENTRY_CHECKPOINT, AUDIT_ENTRY_BAD, AUDIT_ENTRY_BAD,
		AUDIT_ENTRY_BAD,      AUDIT_ENTRY_BAD,        AUDIT_ENTRY_BAD, AUDIT_ENTRY_BAD,
		AUDIT_ENTRY_CHECKPOINT,
	};
	struct tmp t;
	struct audit_reader *r = NULL;
	struct audit_entry line;
	struct sluice_error err;
	size_t n = 0;
	int got;
	(void)state;
	write_log(&t, text, sizeof(text) - 1);
	assert_int_equal(audit_reader_open(t.path, &r, &err), SLUICE_OK);
	while ((got = audit_reader_next(r, &line, &err)) == 1) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_int_equal(line.number, n + 1);
		assert_int_equal(line.kind, want[n]);
		if (line.kind == AUDIT_ENTRY_TRANSFER)
			assert_string_equal(json_string_value(json_object_get(line.record, "decision")),
			                    "released");
		if (line.kind == AUDIT_ENTRY_BAD)
			assert_non_null(line.why);
		n++;
	}
	assert_int_equal(got, 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	audit_reader_close(r);
	tmpdir_remove(t.dir);
}

static void test_reader_skips_an_overlong_line(void **state)
{
	size_t big = AUDIT_READER_LINE_MAX + 10;
	const char tail[] = "\n{\"type\":\"checkpoint\",\"seq\":2}\n";
	char *text = malloc(big + sizeof(tail));
	struct tmp t;
	struct audit_reader *r = NULL;
	struct audit_entry line;
	struct sluice_error err;
	(void)state;
	assert_non_null(text);
	memset(text, ' ', big);
	memcpy(text + big, tail, sizeof(tail));
	write_log(&t, text, big + sizeof(tail) - 1);
	free(text);
	assert_int_equal(audit_reader_open(t.path, &r, &err), SLUICE_OK);
	assert_int_equal(audit_reader_next(r, &line, &err), 1);
	assert_int_equal(line.kind, AUDIT_ENTRY_BAD);
	assert_string_equal(line.why, "longer than 16 MiB");
	assert_int_equal(audit_reader_next(r, &line, &err), 1);
	assert_int_equal(line.number, 2);
	assert_int_equal(line.kind, AUDIT_ENTRY_CHECKPOINT);
	assert_int_equal(audit_reader_next(r, &line, &err), 0);
	audit_reader_close(r);
	tmpdir_remove(t.dir);
}

static void test_reader_missing_file(void **state)
{
	struct audit_reader *r = NULL;
	struct sluice_error err;
	(void)state;
	assert_int_equal(audit_reader_open("/nonexistent/audit.log", &r, &err), SLUICE_ERR_IO);
	assert_null(r);
	assert_string_equal(err.rule, "io.open");
}

static void test_time_bounds(void **state)
{
	char out[AUDIT_TIME_LEN];
	(void)state;
	assert_true(audit_time_bound("2026-11-30", false, out));
	assert_string_equal(out, "2026-11-30T00:00:00Z");
	assert_true(audit_time_bound("2026-11-30", true, out));
	assert_string_equal(out, "2026-11-30T23:59:59Z");
	assert_true(audit_time_bound("2026-11-30T10:11:12Z", true, out));
	assert_string_equal(out, "2026-11-30T10:11:12Z");
	assert_false(audit_time_bound("yesterday", false, out));
	assert_false(audit_time_bound("2026-1-30", false, out));
	assert_false(audit_time_bound("2026-11-30T10:11:12", false, out));
	assert_false(audit_time_bound("2026-11-30T10:11:12+01:00", false, out));
	assert_false(audit_time_valid("2026-11-30T1a:11:12Z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_keeps_text_and_non_ascii),
		cmocka_unit_test(test_escape_replaces_hidden_characters),
		cmocka_unit_test(test_escape_replaces_bad_utf8),
		cmocka_unit_test(test_escape_cuts_long_strings),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_coverage_when_verification_failed),
		cmocka_unit_test(test_coverage_when_verified_with_tree_head),
		cmocka_unit_test(test_bad_lines_counted),
		cmocka_unit_test(test_page_escapes_every_log_string),
		cmocka_unit_test(test_page_of_empty_log),
		cmocka_unit_test(test_reader_kinds),
		cmocka_unit_test(test_reader_skips_an_overlong_line),
		cmocka_unit_test(test_reader_missing_file),
		cmocka_unit_test(test_time_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
