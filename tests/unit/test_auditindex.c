/*
 * audit/auditrecord.c and audit/auditindex.c: reading hostile log lines (the bounded reader,
 * the line and record parsers, the filter), and the index: built only from a verifying log,
 * answering like the log, catching up appended records, and refusing to be used once it no
 * longer matches its log. Logs are written with the fixture key under a fresh mkdtemp folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditindex.h"
#include "auditlog.h"
#include "auditrecord.h"
#include "fileio.h"
#include "keys.h"
#include "tmpdir.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- lines and records ------------------------------------------------------------------- */

static bool parses(const char *line, struct audit_line *l)
{
	char why[200];
	return audit_line_parse(line, strlen(line), l, why, sizeof(why));
}

static void test_line_parse_transfer_and_checkpoint(void **state)
{
	(void)state;
	struct audit_line l;
	assert_true(parses("{\"prev\":\"" ZEROS "\",\"record\":{\"time\":\"t\",\"decision\":\"x\"},"
	                   "\"seq\":1,\"type\":\"transfer\"}", &l));
	assert_int_equal(l.type, AUDIT_LINE_TRANSFER);
	assert_int_equal(l.seq, 1);
	assert_non_null(l.record);
	audit_line_free(&l);
	/* Members this reader does not know (a Merkle tree head, say) are left to audit verify. */
	assert_true(parses("{\"key_id\":\"k\",\"prev\":\"" ZEROS "\",\"records\":7,\"root\":\"r\","
	                   "\"seq\":9,\"signature\":\"s\",\"tree_size\":8,\"type\":\"checkpoint\"}",
	                   &l));
	assert_int_equal(l.type, AUDIT_LINE_CHECKPOINT);
	assert_int_equal(l.records, 7);
	audit_line_free(&l);
}

static void test_line_parse_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{\"prev\":\"" ZEROS "\",\"record\":{},\"seq\":1,\"seq\":2,\"type\":\"transfer\"}",
		"{\"prev\":\"" ZEROS "\",\"record\":{},\"type\":\"transfer\"}",
		"{\"prev\":\"" ZEROS "\",\"record\":{},\"seq\":0,\"type\":\"transfer\"}",
		"{\"prev\":\"" ZEROS "\",\"record\":{},\"seq\":\"1\",\"type\":\"transfer\"}",
		"{\"prev\":\"ABCD\",\"record\":{},\"seq\":1,\"type\":\"transfer\"}",
		"{\"prev\":\"" ZEROS "\",\"record\":[],\"seq\":1,\"type\":\"transfer\"}",
		"{\"prev\":\"" ZEROS "\",\"seq\":1,\"type\":\"checkpoint\"}",
		"{\"prev\":\"" ZEROS "\",\"records\":-1,\"seq\":1,\"type\":\"checkpoint\"}",
		"{\"prev\":\"" ZEROS "\",\"record\":{},\"seq\":1,\"type\":\"other\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct audit_line l;
		if (parses(bad[i], &l))
			fail_msg("accepted: %s", bad[i]);
		assert_null(l.obj);
	}
}

static json_t *record(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (j == NULL)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void test_record_view(void **state)
{
	(void)state;
	struct audit_record_view v;
	json_t *r = record("{\"time\":\"2026-11-30T10:00:00Z\",\"decision\":\"released\","
	                   "\"from\":\"intel\",\"policy\":{\"id\":\"p\",\"version\":3},"
	                   "\"removals\":[],\"redactions\":[{\"rule\":\"pattern:email\"}]}");
	assert_true(audit_record_view(r, &v));
	assert_string_equal(v.from, "intel");
	assert_string_equal(v.to, "");
	assert_null(v.reason_rule);
	assert_string_equal(v.policy_id, "p");
	assert_true(v.has_policy_version);
	assert_int_equal(v.policy_version, 3);
	assert_true(v.redacted);
	json_decref(r);

	r = record("{\"time\":\"t\",\"decision\":\"refused\",\"removals\":[{\"rule\":\"x\"}],"
	           "\"policy\":{\"version\":\"3\"},\"reason\":{\"rule\":\"policy.no-flow\"}}");
	assert_true(audit_record_view(r, &v));
	assert_false(v.redacted); /* only a release is redacted */
	assert_false(v.has_policy_version);
	assert_string_equal(v.reason_rule, "policy.no-flow");
	json_decref(r);

	r = record("{\"time\":1,\"decision\":\"released\"}");
	assert_false(audit_record_view(r, &v));
	json_decref(r);
	r = record("{\"time\":\"t\"}");
	assert_false(audit_record_view(r, &v));
	json_decref(r);
	assert_false(audit_record_view(NULL, &v));
}

struct seen {
	char text[512];
};

static void collect(void *arg, enum audit_rule_kind kind, const char *rule)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%d:%s;", (int)kind, rule);
}

static void test_each_rule_once(void **state)
{
	(void)state;
	struct seen s = { "" };
	json_t *r = record("{\"reason\":{\"rule\":\"a\"},"
	                   "\"removals\":[{\"rule\":\"b\"},{\"rule\":\"b\"},{\"rule\":7},{}],"
	                   "\"redactions\":[{\"rule\":\"c\"},{\"rule\":\"b\"},{\"rule\":\"c\"}]}");
	audit_record_each_rule(r, collect, &s);
	assert_string_equal(s.text, "0:a;1:b;2:c;2:b;");
	json_decref(r);
}

static void test_filter_match(void **state)
{
	(void)state;
	struct audit_record_view v;
	json_t *r = record("{\"time\":\"2026-11-30T10:00:00Z\",\"decision\":\"released\","
	                   "\"from\":\"intel\",\"to\":\"police\",\"transfer_id\":\"T\","
	                   "\"policy\":{\"id\":\"p\",\"version\":3},"
	                   "\"removals\":[{\"rule\":\"LES requires LES, not held\"}]}");
	assert_true(audit_record_view(r, &v));
	struct audit_filter f;
	memset(&f, 0, sizeof(f));
	assert_true(audit_filter_match(&f, r, &v));
	f.from = "intel";
	f.to = "police";
	f.decision = "released";
	f.policy_id = "p";
	f.transfer_id = "T";
	f.has_policy_version = true;
	f.policy_version = 3;
	f.rule = "LES requires LES, not held";
	assert_true(audit_time_bound("2026-11-30", false, f.since));
	assert_true(audit_time_bound("2026-11-30", true, f.until));
	assert_true(audit_filter_match(&f, r, &v));

	struct audit_filter miss = f;
	miss.from = "police";
	assert_false(audit_filter_match(&miss, r, &v));
	miss = f;
	miss.policy_version = 4;
	assert_false(audit_filter_match(&miss, r, &v));
	miss = f;
	miss.rule = "pattern:email";
	assert_false(audit_filter_match(&miss, r, &v));
	miss = f;
	miss.transfer_id = "U";
	assert_false(audit_filter_match(&miss, r, &v));
	miss = f;
	assert_true(audit_time_bound("2026-11-30T10:00:01Z", false, miss.since));
	assert_false(audit_filter_match(&miss, r, &v));
	miss = f;
	assert_true(audit_time_bound("2026-11-29", true, miss.until));
	assert_false(audit_filter_match(&miss, r, &v));
	char out[32];
	assert_false(audit_time_bound("yesterday", false, out));
	assert_false(audit_time_bound("2026-11-30 10:00:00", false, out));
	json_decref(r);
}

static void test_line_reader(void **state)
{
	(void)state;
	char path[] = "/tmp/sluice-test-lines-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	static const char text[] = "one\n\nthree is longer\ntorn";
	assert_int_equal(fd_write_all(fd, text, strlen(text)), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	struct audit_line_reader *r = audit_line_reader_new(fd, 0, 16);
	const char *line;
	size_t len;
	uint64_t off;
	bool nl;
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_string_equal(line, "one");
	assert_true(nl);
	assert_int_equal(off, 0);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_int_equal(len, 0);
	assert_int_equal(off, 4);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_string_equal(line, "three is longer");
	assert_int_equal(off, 5);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_string_equal(line, "torn");
	assert_false(nl);
	assert_int_equal(off, 21);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_END);
	audit_line_reader_free(r);

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = audit_line_reader_new(fd, 0, 10);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_OK);
	assert_int_equal(audit_line_next(r, &line, &len, &off, &nl), AUDIT_LINE_TOO_LONG);
	audit_line_reader_free(r);
	close(fd);
}

/* ---- the index ----------------------------------------------------------------------------- */

struct fx {
	char *dir, *log, *idx;
	EVP_PKEY *key, *pub;
};

static EVP_PKEY *load(const char *name, bool private_key)
{
	struct sluice_error err;
	EVP_PKEY *k = NULL;
	const char *base = getenv("SLUICE_FIXTURES");
	char *path = NULL;
	if (asprintf(&path, "%s/certs/%s", base != NULL ? base : "tests/fixtures", name) < 0)
		return NULL;
	enum sluice_rc rc = private_key ? key_load_private(path, &k, &err)
	                                : key_load_public(path, &k, &err);
	if (rc != SLUICE_OK)
		fail_msg("cannot load %s: %s", path, err.message);
	free(path);
	return k;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = strdup("/tmp/sluice-test-auditindex-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->log = path_join(f->dir, "audit.log");
	f->idx = path_join(f->dir, "audit.log.idx");
	f->key = load("ed25519.key", true);
	f->pub = load("ed25519.pub", false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	(void)tmpdir_remove(f->dir);
	free(f->dir);
	free(f->log);
	free(f->idx);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->pub);
	free(f);
	return 0;
}

/* Appends `n` records (from intel or police, alternately) with a checkpoint every 3. */
static void append(struct fx *f, int first, int n, bool close_log)
{
	struct sluice_error err;
	struct auditlog *log = NULL;
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_OK);
	auditlog_set_checkpoint_interval(log, 3);
	for (int i = first; i < first + n; i++) {
		json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:i}, s:[], s:[]}", "time",
		                      "2026-11-30T10:00:00Z", "decision", i % 3 ? "released" : "refused",
		                      "from", i % 2 ? "intel" : "police", "to", "customs", "policy",
		                      "id", "p", "version", i, "removals", "redactions");
		assert_int_equal(auditlog_append(log, r, &err), SLUICE_OK);
		json_decref(r);
	}
	if (close_log) {
		assert_int_equal(auditlog_close(log, &err), SLUICE_OK);
	} else {
		/* Leave the log as a crashed writer would: no final checkpoint. */
		auditlog_abandon(log);
	}
}

static void count_record(json_t *rec, const struct audit_record_view *v, void *arg)
{
	(void)rec;
	(void)v;
	(*(int *)arg)++;
}

static int query_count(struct fx *f, const char *from, enum sluice_rc *rc, struct sluice_error *err)
{
	struct auditindex *ix = NULL;
	struct audit_filter filter;
	int n = 0;
	memset(&filter, 0, sizeof(filter));
	filter.from = from;
	*rc = auditindex_open(f->log, f->idx, &ix, err);
	if (*rc == SLUICE_OK)
		*rc = auditindex_query(ix, &filter, count_record, &n, err);
	auditindex_close(ix);
	return n;
}

static void test_index_build_query_catch_up(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog_verify_result vres;
	struct auditindex_status st;
	enum sluice_rc rc;

	append(f, 1, 10, true);
	assert_int_equal(auditindex_build(f->log, f->idx, f->pub, false, &st, &vres, &err),
	                 SLUICE_OK);
	assert_int_equal(st.transfers, 10);
	assert_int_equal(st.lines, st.verified_seq);
	assert_int_equal(query_count(f, "intel", &rc, &err), 5);
	assert_int_equal(rc, SLUICE_OK);
	assert_int_equal(query_count(f, "nobody", &rc, &err), 0);

	/* Appended records are added on the next open, as they chain. */
	append(f, 11, 4, true);
	assert_int_equal(query_count(f, "intel", &rc, &err), 7);
	assert_int_equal(rc, SLUICE_OK);
	struct auditindex *ix = NULL;
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_OK);
	assert_int_equal(auditindex_status(ix)->transfers, 14);
	assert_int_equal(auditindex_status(ix)->added, 0);
	auditindex_close(ix);
}

static void test_index_needs_a_verifying_log(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog_verify_result vres;
	struct auditindex_status st;
	EVP_PKEY *other = load("other-ed25519.pub", false);

	append(f, 1, 4, true);
	assert_int_equal(auditindex_build(f->log, f->idx, other, false, &st, &vres, &err),
	                 SLUICE_ERR_VERIFY);
	assert_int_not_equal(vres.bad_line, 0);
	assert_int_equal(access(f->idx, F_OK), -1);
	EVP_PKEY_free(other);

	/* A log left open (no final checkpoint): verified up to its last checkpoint. */
	append(f, 5, 2, false);
	assert_int_equal(auditindex_build(f->log, f->idx, f->pub, false, &st, &vres, &err),
	                 SLUICE_OK);
	assert_true(st.verified_seq < st.lines);
	assert_int_equal(st.transfers, 6);
}

static void test_index_refused_when_log_changes(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog_verify_result vres;
	struct auditindex_status st;
	struct auditindex *ix = NULL;
	enum sluice_rc rc;

	append(f, 1, 6, true);
	assert_int_equal(auditindex_build(f->log, f->idx, f->pub, false, &st, &vres, &err),
	                 SLUICE_OK);
	/* Cut the log back by one line: shorter than the index. */
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(file_read_bounded(f->log, 1 << 20, SLUICE_ERR_IO, &bytes, &len, &err),
	                 SLUICE_OK);
	size_t cut = len - 1;
	while (cut > 0 && bytes[cut - 1] != '\n')
		cut--;
	assert_int_equal(truncate(f->log, (off_t)cut), 0);
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "index.mismatch");
	assert_non_null(strstr(err.message, "--rebuild"));

	/* The same bytes but one, same length, in the first line: the O(1) check sees it. */
	uint8_t original = bytes[20];
	bytes[20] = original == 'a' ? 'b' : 'a';
	assert_int_equal(file_write_atomic(f->log, bytes, len, 0640, &err), SLUICE_OK);
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "index.mismatch");

	/* Restored: trusted again. A rebuild is fine too. */
	bytes[20] = original;
	assert_int_equal(file_write_atomic(f->log, bytes, len, 0640, &err), SLUICE_OK);
	assert_int_equal(query_count(f, NULL, &rc, &err), 6);
	assert_int_equal(rc, SLUICE_OK);
	assert_int_equal(auditindex_build(f->log, f->idx, f->pub, true, &st, &vres, &err),
	                 SLUICE_OK);
	assert_int_equal(st.added, st.lines);
	free(bytes);
}

static void test_index_foreign_files(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditindex *ix = NULL;

	append(f, 1, 3, true);
	/* Never created by opening. */
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_ERR_IO);
	assert_int_equal(access(f->idx, F_OK), -1);
	/* Not a database; an empty database. */
	static const char junk[] = "this is not an SQLite database, whatever it claims to be....";
	assert_int_equal(file_write_atomic(f->idx, junk, sizeof(junk), 0640, &err), SLUICE_OK);
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "index.corrupt");
	assert_int_equal(file_write_atomic(f->idx, "", 0, 0640, &err), SLUICE_OK);
	assert_int_equal(auditindex_open(f->log, f->idx, &ix, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "index.corrupt");
	/* A symbolic link is not followed. */
	char *link = path_join(f->dir, "link.idx");
	assert_int_equal(symlink(f->idx, link), 0);
	assert_int_equal(auditindex_open(f->log, link, &ix, &err), SLUICE_ERR_IO);
	free(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_parse_transfer_and_checkpoint),
		cmocka_unit_test(test_line_parse_refuses),
		cmocka_unit_test(test_record_view),
		cmocka_unit_test(test_each_rule_once),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_line_reader),
		cmocka_unit_test_setup_teardown(test_index_build_query_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_needs_a_verifying_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_refused_when_log_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_foreign_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
