/*
 * audit/auditlog.c: appending, checkpoints, crash recovery, and verification of every kind of
 * damage: changed bytes, removed, inserted and swapped lines, truncation, foreign keys.
 * Logs are written under a fresh mkdtemp folder; keys are the test fixtures.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "auditlog.h"
#include "canonical_json.h"
#include "fileio.h"
#include "keys.h"
#include "merkle.h"
#include "receipt.h"
#include "tmpdir.h"
#include "treehead.h"

struct fx {
	char *dir;
	char *log;   /* dir/audit.log */
	EVP_PKEY *key, *pub, *other;
	char kid[SHA256_HEX_LEN];
};

static char *fixture(const char *name)
{
	const char *base = getenv("SLUICE_FIXTURES");
	char *p = NULL;
	if (asprintf(&p, "%s/certs/%s", base != NULL ? base : "tests/fixtures", name) < 0)
		return NULL;
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
	f->dir = strdup("/tmp/sluice-test-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->log = path_join(f->dir, "audit.log");
	f->key = load("ed25519.key", true);
	f->pub = load("ed25519.pub", false);
	f->other = load("other-ed25519.key", true);
	if (key_id_hex(f->pub, f->kid, &err) != SLUICE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	(void)tmpdir_remove(f->dir);
	free(f->dir);
	free(f->log);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->pub);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

/* A record as the gateway makes it: digests and names only. */
static json_t *record(unsigned i)
{
	struct transfer_record r;
	char buf[64];
	transfer_record_init(&r);
	r.from = strdup("intel");
	r.to = strdup("police");
	r.policy_id = strdup("fusion-cell");
	r.policy_version = 7;
	snprintf(buf, sizeof(buf), "report %u", i);
	sha256_hex(buf, strlen(buf), r.input_sha256);
	sha256_hex("policy", 6, r.policy_sha256);
	r.decision = strdup(i % 3 == 0 ? "refused" : "released");
	if (i % 3 == 0) {
		r.reason_rule = strdup("flow.default-deny");
		r.reason = strdup("no flow from intel to police");
	} else {
		snprintf(buf, sizeof(buf), "out %u", i);
		sha256_hex(buf, strlen(buf), r.output_sha256);
	}
	json_t *j = transfer_record_to_json(&r);
	transfer_record_free(&r);
	assert_non_null(j);
	return j;
}

/* Writes `n` records in one session (open, append n, close) with `key`. */
static void write_session(const char *path, EVP_PKEY *key, unsigned first, unsigned n)
{
	struct sluice_error err;
	struct auditlog *log = NULL;
	if (auditlog_open(path, key, &log, &err) != SLUICE_OK)
		fail_msg("auditlog_open: %s", err.message);
	for (unsigned i = 0; i < n; i++) {
		json_t *r = record(first + i);
		if (auditlog_append(log, r, &err) != SLUICE_OK)
			fail_msg("auditlog_append: %s", err.message);
		json_decref(r);
	}
	if (auditlog_close(log, &err) != SLUICE_OK)
		fail_msg("auditlog_close: %s", err.message);
}

/* The log's lines (without newlines). */
struct lines {
	char **v;
	size_t n;
};

static struct lines read_lines(const char *path)
{
	struct lines l = {NULL, 0};
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	assert_non_null(fp);
	while ((len = getline(&line, &cap, fp)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
		l.v[l.n++] = strdup(line);
	}
	free(line);
	fclose(fp);
	return l;
}

static void write_lines(const char *path, const struct lines *l)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (size_t i = 0; i < l->n; i++)
		fprintf(fp, "%s\n", l->v[i]);
	assert_int_equal(fclose(fp), 0);
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void remove_line(struct lines *l, size_t idx)
{
	free(l->v[idx]);
	memmove(l->v + idx, l->v + idx + 1, (l->n - idx - 1) * sizeof(*l->v));
	l->n--;
}

static char *canonical_line(json_t *obj)
{
	char *s = json_canonical(obj);
	assert_non_null(s);
	return s;
}

/* Replaces line idx by `obj`'s canonical JSON. */
static void set_line(struct lines *l, size_t idx, json_t *obj)
{
	free(l->v[idx]);
	l->v[idx] = canonical_line(obj);
}

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

static void chain_hash(const char *line, char out[SHA256_HEX_LEN])
{
	sha256_hex(line, strlen(line), out);
}

/* Re-signs a checkpoint object with `key` (after edits), as a forger holding `key` could. */
static void sign_checkpoint(json_t *cp, EVP_PKEY *key)
{
	struct sluice_error err;
	char kid[SHA256_HEX_LEN];
	uint8_t sig[64];
	assert_int_equal(key_id_hex(key, kid, &err), SLUICE_OK);
	json_object_del(cp, "signature");
	char *payload = canonical_line(cp);
	assert_int_equal(signature_sign(key, payload, strlen(payload), sig, &err), SLUICE_OK);
	char *b = base64_encode(sig, 64);
	json_object_set_new(cp, "signature", json_string(b));
	free(b);
	free(payload);
}

static void expect_verify_ok(const struct fx *f, const char *path, size_t lines,
                             size_t transfers, size_t checkpoints)
{
	struct auditlog_verify_result res;
	struct sluice_error err;
	enum sluice_rc rc = auditlog_verify(path, f->pub, &res, &err);
	if (rc != SLUICE_OK)
		fail_msg("verify failed: %s", err.message);
	assert_int_equal(res.bad_line, 0);
	assert_int_equal(res.lines, lines);
	assert_int_equal(res.transfers, transfers);
	assert_int_equal(res.checkpoints, checkpoints);
}

static void expect_verify_bad(const struct fx *f, const char *path, size_t bad_line,
                              const char *rule, const char *why_part)
{
	struct auditlog_verify_result res;
	struct sluice_error err;
	enum sluice_rc rc = auditlog_verify(path, f->pub, &res, &err);
	if (rc != SLUICE_ERR_VERIFY)
		fail_msg("expected a verification failure (%s), got %d: %s", rule, rc, err.message);
	if (res.bad_line != bad_line)
		fail_msg("expected bad line %zu, got %zu: %s", bad_line, res.bad_line, res.why);
	if (strcmp(err.rule, rule) != 0)
		fail_msg("expected rule %s, got %s: %s", rule, err.rule, res.why);
	if (why_part != NULL && strstr(res.why, why_part) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", res.why, why_part);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "line %zu: ", bad_line);
	assert_true(strncmp(res.why, prefix, strlen(prefix)) == 0);
	assert_int_equal(err.line, bad_line);
	assert_string_equal(err.file, path);
}

static size_t count_checkpoints(const struct lines *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->v[i], "\"type\":\"checkpoint\"") != NULL)
			n++;
	return n;
}

/* ---- writing and verifying --------------------------------------------------------------- */

static void test_append_and_verify(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 10);
	expect_verify_ok(f, f->log, 11, 10, 1);

	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 11);
	/* Line formats: the first prev is 64 zeros, seq counts lines, the last is a checkpoint. */
	json_t *first = parse(l.v[0]);
	assert_int_equal(json_object_size(first), 4);
	assert_string_equal(json_string_value(json_object_get(first, "prev")),
	                    "0000000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(json_integer_value(json_object_get(first, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(first, "type")), "transfer");
	json_decref(first);
	json_t *cp = parse(l.v[10]);
	char h[SHA256_HEX_LEN];
	chain_hash(l.v[9], h);
	assert_string_equal(json_string_value(json_object_get(cp, "prev")), h);
	assert_string_equal(json_string_value(json_object_get(cp, "type")), "checkpoint");
	assert_string_equal(json_string_value(json_object_get(cp, "key_id")), f->kid);
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 10);
	assert_int_equal(json_integer_value(json_object_get(cp, "seq")), 11);
	assert_null(json_object_get(cp, "recovered_torn_line"));
	/* ...and a signed tree head: root and frontier besides the chain's members. */
	assert_int_equal(json_object_size(cp), 9);
	assert_int_equal(json_array_size(json_object_get(cp, "frontier")), 2); /* 10 = 8 + 2 */
	json_decref(cp);
	free_lines(&l);

	struct stat st;
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(st.st_mode & 0022, 0); /* 0640 at most */
}

static void test_new_log_mode(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(0);
	write_session(f->log, f->key, 0, 1);
	umask(old);
	struct stat st;
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_open_close_without_records(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 0);
	expect_verify_ok(f, f->log, 1, 0, 1);
	/* Opening and closing again adds nothing: the log already ends with a checkpoint. */
	write_session(f->log, f->key, 0, 0);
	expect_verify_ok(f, f->log, 1, 0, 1);
}

static void test_reopen_continues_chain(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 3);
	write_session(f->log, f->key, 3, 2);
	expect_verify_ok(f, f->log, 7, 5, 2);
	struct lines l = read_lines(f->log);
	json_t *cp = parse(l.v[6]);
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 5);
	json_decref(cp);
	free_lines(&l);
}

static void test_empty_file(void **state)
{
	struct fx *f = *state;
	FILE *fp = fopen(f->log, "w");
	fclose(fp);
	expect_verify_bad(f, f->log, 1, "audit.empty", "empty log");
}

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result res;
	struct sluice_error err;
	assert_int_equal(auditlog_verify(f->log, f->pub, &res, &err), SLUICE_ERR_IO);
	assert_string_equal(err.rule, "io.open");
}

static void test_log_bytes_are_exactly_what_was_given(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	/* The report holds a canary that no record may carry: only its digest is logged. */
	const char report[] = "<r>CANARY-7f3e-DO-NOT-LOG</r>";
	json_t *given[3];

	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_OK);
	for (unsigned i = 0; i < 3; i++) {
		struct transfer_record r;
		transfer_record_init(&r);
		r.from = strdup("intel");
		r.to = strdup("caf\xc3\xa9"); /* non-ASCII is escaped, and verifies */
		r.policy_id = strdup("p");
		r.decision = strdup("refused");
		r.reason_rule = strdup("flow.default-deny");
		sha256_hex(report, strlen(report), r.input_sha256);
		given[i] = transfer_record_to_json(&r);
		transfer_record_free(&r);
		char *before = json_canonical(given[i]);
		assert_int_equal(auditlog_append(log, given[i], &err), SLUICE_OK);
		char *after = json_canonical(given[i]);
		assert_string_equal(before, after); /* not modified */
		free(before);
		free(after);
	}
	assert_int_equal(auditlog_close(log, &err), SLUICE_OK);

	size_t len = 0;
	uint8_t *bytes = NULL;
	assert_int_equal(file_read_bounded(f->log, 1 << 20, SLUICE_ERR_IO, &bytes, &len, &err),
	                 SLUICE_OK);
	assert_null(memmem(bytes, len, "CANARY", 6));
	assert_null(memmem(bytes, len, "\xc3\xa9", 2)); /* ASCII only */

	/* Rebuild every transfer line from what the API was given: the same bytes. */
	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 4);
	char prev[SHA256_HEX_LEN] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	for (unsigned i = 0; i < 3; i++) {
		json_t *want = json_object();
		json_object_set_new(want, "prev", json_string(prev));
		json_object_set(want, "record", given[i]);
		json_object_set_new(want, "seq", json_integer(i + 1));
		json_object_set_new(want, "type", json_string("transfer"));
		char *s = canonical_line(want);
		assert_string_equal(l.v[i], s);
		chain_hash(s, prev);
		free(s);
		json_decref(want);
		json_decref(given[i]);
	}
	free_lines(&l);
	free(bytes);
	expect_verify_ok(f, f->log, 4, 3, 1);
}

/* auditlog_append_canonical (the fast path of `sluice release --batch`) writes the lines the
 * json_t functions write, byte for byte, gives the same leaf indexes, and its log verifies;
 * synced or not (then auditlog_sync). */
static void test_append_canonical_same_bytes(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *a = NULL, *b = NULL;
	char *one = path_join(f->dir, "json-api.log"), *other = path_join(f->dir, "canonical.log");
	json_t *recs[5];
	for (unsigned i = 0; i < 5; i++)
		recs[i] = record(i);
	json_object_set_new(recs[1], "to", json_string("caf\xc3\xa9")); /* escaped the same way */

	assert_int_equal(auditlog_open(one, f->key, &a, &err), SLUICE_OK);
	assert_int_equal(auditlog_open(other, f->key, &b, &err), SLUICE_OK);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t ia = 99, ib = 98;
		bool sync = i % 2 == 0;
		char *canon = json_canonical(recs[i]);
		assert_int_equal(sync ? auditlog_append_indexed(a, recs[i], &ia, &err)
		                      : auditlog_append_nosync(a, recs[i], &ia, &err),
		                 SLUICE_OK);
		assert_int_equal(auditlog_append_canonical(b, canon, &ib, sync, &err), SLUICE_OK);
		assert_int_equal(ia, i);
		assert_int_equal(ib, i);
		free(canon);
	}
	assert_int_equal(auditlog_sync(a, &err), SLUICE_OK);
	assert_int_equal(auditlog_sync(b, &err), SLUICE_OK);
	/* Not a JSON object: refused, nothing written. */
	assert_int_equal(auditlog_append_canonical(b, "[1]", NULL, true, &err), SLUICE_ERR_INTERNAL);
	assert_string_equal(err.rule, "audit.record");
	assert_int_equal(auditlog_close(a, &err), SLUICE_OK);
	assert_int_equal(auditlog_close(b, &err), SLUICE_OK);

	struct lines la = read_lines(one), lb = read_lines(other);
	assert_int_equal(la.n, 6);
	assert_int_equal(lb.n, 6);
	for (unsigned i = 0; i < 5; i++)
		assert_string_equal(la.v[i], lb.v[i]);
	free_lines(&la);
	free_lines(&lb);
	expect_verify_ok(f, other, 6, 5, 1);
	for (unsigned i = 0; i < 5; i++)
		json_decref(recs[i]);
	free(one);
	free(other);
}

static void test_checkpoint_interval(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 2100);
	struct lines l = read_lines(f->log);
	/* 1000 records, checkpoint, 1000 records, checkpoint, 100 records, final checkpoint. */
	assert_int_equal(l.n, 2103);
	assert_int_equal(count_checkpoints(&l), 3);
	json_t *cp = parse(l.v[1000]);
	assert_string_equal(json_string_value(json_object_get(cp, "type")), "checkpoint");
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 1000);
	json_decref(cp);
	cp = parse(l.v[2001]);
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 2000);
	json_decref(cp);
	cp = parse(l.v[2102]);
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 2100);
	json_decref(cp);
	free_lines(&l);
	expect_verify_ok(f, f->log, 2103, 2100, 3);
}

static void test_interval_counts_across_sessions(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	/* A writer that dies without closing leaves 600 unsigned records... */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (auditlog_open(f->log, f->key, &log, &err) != SLUICE_OK)
			_exit(2);
		for (unsigned i = 0; i < 600; i++) {
			json_t *r = record(i);
			if (auditlog_append(log, r, &err) != SLUICE_OK)
				_exit(3);
			json_decref(r);
		}
		_exit(0); /* no close: no final checkpoint (and the lock dies with us) */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_verify_bad(f, f->log, 1, "audit.unsigned-tail", "records after line 0");
	/* ...the next writer counts them: its first checkpoint comes after 400 more. */
	write_session(f->log, f->key, 600, 500);
	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 1102);
	json_t *cp = parse(l.v[1000]);
	assert_string_equal(json_string_value(json_object_get(cp, "type")), "checkpoint");
	assert_int_equal(json_integer_value(json_object_get(cp, "records")), 1000);
	json_decref(cp);
	free_lines(&l);
	expect_verify_ok(f, f->log, 1102, 1100, 2);
}

static void test_append_refuses_non_object(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_OK);
	json_t *a = json_array();
	assert_int_equal(auditlog_append(log, a, &err), SLUICE_ERR_INTERNAL);
	assert_string_equal(err.rule, "audit.record");
	json_decref(a);
	assert_int_equal(auditlog_close(log, &err), SLUICE_OK);
	assert_int_equal(auditlog_close(NULL, &err), SLUICE_OK);
	expect_verify_ok(f, f->log, 1, 0, 1);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = (struct auditlog *)1;
	char *p = path_join(f->dir, "no/such/dir/audit.log");
	assert_int_equal(auditlog_open(p, f->key, &log, &err), SLUICE_ERR_IO);
	assert_null(log);
	assert_string_equal(err.rule, "io.open");
	free(p);
	assert_int_equal(auditlog_open(f->dir, f->key, &log, &err), SLUICE_ERR_IO);
	/* A symbolic link is not followed. */
	p = path_join(f->dir, "link.log");
	assert_int_equal(symlink(f->log, p), 0);
	assert_int_equal(auditlog_open(p, f->key, &log, &err), SLUICE_ERR_IO);
	free(p);
}

static void test_second_writer_is_locked_out(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *a = NULL, *b = NULL;
	assert_int_equal(auditlog_open(f->log, f->key, &a, &err), SLUICE_OK);
	time_t t0 = time(NULL);
	assert_int_equal(auditlog_open(f->log, f->key, &b, &err), SLUICE_ERR_IO);
	assert_true(time(NULL) - t0 >= AUDITLOG_LOCK_WAIT_MS / 1000 - 1);
	assert_null(b);
	assert_string_equal(err.rule, "audit.lock");
	assert_int_equal(auditlog_close(a, &err), SLUICE_OK);
	expect_verify_ok(f, f->log, 1, 0, 1);
}

/* ---- crash recovery ---------------------------------------------------------------------- */

static void append_raw(const char *path, const char *bytes)
{
	FILE *fp = fopen(path, "a");
	assert_non_null(fp);
	fputs(bytes, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_reopen_after_torn_line(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 2);
	append_raw(f->log, "{\"prev\":\"00ab");
	/* A reader sees the damage... */
	expect_verify_bad(f, f->log, 4, "audit.torn", "no final newline");
	/* ...the next writer cuts it off and says so in its next checkpoint. */
	write_session(f->log, f->key, 2, 1);
	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 5);
	json_t *cp = parse(l.v[4]);
	assert_true(json_is_true(json_object_get(cp, "recovered_torn_line")));
	json_decref(cp);
	cp = parse(l.v[2]);
	assert_null(json_object_get(cp, "recovered_torn_line"));
	json_decref(cp);
	for (size_t i = 0; i < l.n; i++)
		assert_null(strstr(l.v[i], "00ab\""));
	free_lines(&l);
	expect_verify_ok(f, f->log, 5, 3, 2);
	/* The flag is reported once. */
	write_session(f->log, f->key, 3, 1);
	l = read_lines(f->log);
	cp = parse(l.v[l.n - 1]);
	assert_null(json_object_get(cp, "recovered_torn_line"));
	json_decref(cp);
	free_lines(&l);
}

static void test_torn_only_line_and_no_checkpoint(void **state)
{
	struct fx *f = *state;
	/* A crash during the very first write. */
	append_raw(f->log, "{\"prev\":\"0000");
	write_session(f->log, f->key, 0, 0);
	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 1);
	json_t *cp = parse(l.v[0]);
	assert_true(json_is_true(json_object_get(cp, "recovered_torn_line")));
	json_decref(cp);
	free_lines(&l);
	expect_verify_ok(f, f->log, 1, 0, 1);
}

static void test_open_refuses_bad_last_line(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	write_session(f->log, f->key, 0, 2);
	append_raw(f->log, "garbage\n");
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_ERR_VERIFY);
	assert_null(log);
	assert_string_equal(err.rule, "audit.json");
}

static void test_open_refuses_broken_tail_chain(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	write_session(f->log, f->key, 0, 2);
	/* Two unsigned records, then one removed: the tail no longer chains. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (auditlog_open(f->log, f->key, &log, &err) != SLUICE_OK)
			_exit(2);
		for (unsigned i = 0; i < 3; i++) {
			json_t *r = record(i);
			if (auditlog_append(log, r, &err) != SLUICE_OK)
				_exit(3);
			json_decref(r);
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct lines l = read_lines(f->log);
	assert_int_equal(l.n, 6);
	remove_line(&l, 4);
	write_lines(f->log, &l);
	free_lines(&l);
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "audit.chain");
}

/* ---- damage detection -------------------------------------------------------------------- */

/* Two sessions: lines 1-3 transfers, 4 checkpoint, 5-7 transfers, 8 checkpoint. */
static struct lines two_sessions(const struct fx *f)
{
	write_session(f->log, f->key, 0, 3);
	write_session(f->log, f->key, 3, 3);
	expect_verify_ok(f, f->log, 8, 6, 2);
	return read_lines(f->log);
}

static void test_changed_byte_in_record(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* One hex digit of line 2's input digest: still valid, canonical JSON. */
	char *p = strstr(l.v[1], "\"input_sha256\":\"") + strlen("\"input_sha256\":\"");
	*p = *p == 'a' ? 'b' : 'a';
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 3, "audit.prev",
	                  "prev does not match the hash of line 2");
	free_lines(&l);
}

static void test_changed_byte_in_last_record_before_checkpoint(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	char *p = strstr(l.v[6], "\"to\":\"police\"");
	p[6] = 'P';
	write_lines(f->log, &l);
	/* Only the checkpoint on line 8 commits to line 7. */
	expect_verify_bad(f, f->log, 8, "audit.prev", "hash of line 7");
	free_lines(&l);
}

static void test_changed_byte_breaks_json_or_canonical_form(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	l.v[4][0] = '[';
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 5, "audit.json", "not JSON");
	free_lines(&l);

	l = read_lines(f->log);
	free(l.v[4]);
	l.v[4] = strdup("");
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 5, "audit.json", NULL);
	free_lines(&l);
}

static void test_not_canonical(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	json_t *j = parse(l.v[1]);
	free(l.v[1]);
	l.v[1] = json_dumps(j, JSON_SORT_KEYS | JSON_ENSURE_ASCII); /* ", " and ": " */
	json_decref(j);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.canonical", "not in canonical form");
	free_lines(&l);
}

static void test_duplicate_key_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	char *dup = NULL;
	assert_true(asprintf(&dup, "{\"seq\":2,%s", l.v[1] + 1) > 0);
	free(l.v[1]);
	l.v[1] = dup;
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.json", "duplicate");
	free_lines(&l);
}

static void test_unknown_type_and_members(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	json_t *j = parse(l.v[1]);
	json_object_set_new(j, "type", json_string("note"));
	set_line(&l, 1, j);
	json_decref(j);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.type", "unknown type \"note\"");
	free_lines(&l);

	l = read_lines(f->log);
	j = parse(l.v[1]);
	json_object_set_new(j, "type", json_string("transfer"));
	json_object_set_new(j, "content", json_string("the report"));
	set_line(&l, 1, j);
	json_decref(j);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.form", "content");
	free_lines(&l);
}

static void test_removed_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	remove_line(&l, 5); /* line 6 */
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 6, "audit.seq", "seq is 7, expected 6");
	free_lines(&l);
}

static void test_removed_first_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	remove_line(&l, 0);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 1, "audit.seq", NULL);
	free_lines(&l);
}

static void test_removed_line_renumbered(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* A careful forger removes line 2 and renumbers the rest: the chain still breaks. */
	remove_line(&l, 1);
	for (size_t i = 1; i < l.n; i++) {
		json_t *j = parse(l.v[i]);
		json_object_set_new(j, "seq", json_integer((json_int_t)i + 1));
		set_line(&l, i, j);
		json_decref(j);
	}
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.prev", "hash of line 1");
	free_lines(&l);
}

static void test_swapped_lines(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	char *t = l.v[1];
	l.v[1] = l.v[2];
	l.v[2] = t;
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 2, "audit.seq", "seq is 3, expected 2");
	free_lines(&l);
}

static void test_swapped_lines_renumbered(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	char *t = l.v[5];
	l.v[5] = l.v[6];
	l.v[6] = t;
	for (size_t i = 5; i <= 6; i++) {
		json_t *j = parse(l.v[i]);
		json_object_set_new(j, "seq", json_integer((json_int_t)i + 1));
		set_line(&l, i, j);
		json_decref(j);
	}
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 6, "audit.prev", "hash of line 5");
	free_lines(&l);
}

static void test_inserted_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
	memmove(l.v + 3, l.v + 2, (l.n - 2) * sizeof(*l.v));
	l.v[2] = strdup(l.v[1]); /* a replayed line */
	l.n++;
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 3, "audit.seq", "seq is 2, expected 3");
	free_lines(&l);
}

static void test_truncated_after_middle_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	l.n = 6; /* lines 7 and 8 cut off (freed below) */
	write_lines(f->log, &l);
	l.n = 8;
	expect_verify_bad(f, f->log, 5, "audit.unsigned-tail",
	                  "line 5: the log does not end with a signed checkpoint: records after "
	                  "line 4 are unsigned (truncated or appended?)");
	free_lines(&l);
}

static void test_truncated_mid_line(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	l.v[7][20] = '\0';
	FILE *fp = fopen(f->log, "w");
	for (size_t i = 0; i < 7; i++)
		fprintf(fp, "%s\n", l.v[i]);
	fputs(l.v[7], fp); /* no newline */
	fclose(fp);
	expect_verify_bad(f, f->log, 8, "audit.torn", NULL);
	free_lines(&l);
}

/* A log cut exactly after an earlier checkpoint is, on its own, a valid shorter log: every
 * line is chained and the last one is signed. Only an external witness (a copy of a later
 * checkpoint held elsewhere, which issue 6 adds with `sluice audit consistency`) can show that
 * records 4-6 and the checkpoint on line 8 once existed. verify returns OK for it. */
static void test_truncated_at_checkpoint_boundary(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	l.n = 4;
	write_lines(f->log, &l);
	l.n = 8;
	expect_verify_ok(f, f->log, 4, 3, 1);
	free_lines(&l);
}

static void test_appended_unsigned_record(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* A well-formed, correctly chained record appended after the last checkpoint. */
	json_t *j = json_object();
	char h[SHA256_HEX_LEN];
	chain_hash(l.v[7], h);
	json_object_set_new(j, "prev", json_string(h));
	json_object_set_new(j, "record", record(99));
	json_object_set_new(j, "seq", json_integer(9));
	json_object_set_new(j, "type", json_string("transfer"));
	l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
	l.v[l.n++] = canonical_line(j);
	json_decref(j);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 9, "audit.unsigned-tail", "records after line 8");
	free_lines(&l);
}

static void test_checkpoint_by_other_key(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->other, 0, 3);
	expect_verify_bad(f, f->log, 4, "audit.key-id", "unknown key");
	/* Appending with the right key later does not make the earlier checkpoint good. */
	write_session(f->log, f->key, 3, 1);
	expect_verify_bad(f, f->log, 4, "audit.key-id", f->kid);
}

static void test_checkpoint_forged_with_other_key(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* The right key id, but signed by another key. */
	json_t *cp = parse(l.v[3]);
	sign_checkpoint(cp, f->other);
	json_object_set_new(cp, "key_id", json_string(f->kid));
	set_line(&l, 3, cp);
	json_decref(cp);
	/* Re-chain the following lines so that only the signature is wrong. */
	for (size_t i = 4; i < l.n; i++) {
		char h[SHA256_HEX_LEN];
		chain_hash(l.v[i - 1], h);
		json_t *j = parse(l.v[i]);
		json_object_set_new(j, "prev", json_string(h));
		set_line(&l, i, j);
		json_decref(j);
	}
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 4, "audit.signature", "bad checkpoint signature");
	free_lines(&l);
}

static void test_checkpoint_edited(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	json_t *cp = parse(l.v[7]);
	json_object_set_new(cp, "records", json_integer(5));
	set_line(&l, 7, cp);
	json_decref(cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.signature", NULL);
	free_lines(&l);
}

static void test_checkpoint_wrong_count_but_signed(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* A signer bug (or a stolen key): a valid signature over a wrong count. */
	json_t *cp = parse(l.v[7]);
	json_object_set_new(cp, "records", json_integer(5));
	sign_checkpoint(cp, f->key);
	set_line(&l, 7, cp);
	json_decref(cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.records", "counts 5 records");
	free_lines(&l);
}

static void test_line_too_long(void **state)
{
	struct fx *f = *state;
	size_t n = 16u * 1024 * 1024 + 10;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	FILE *fp = fopen(f->log, "w");
	fwrite(big, 1, n, fp);
	fclose(fp);
	free(big);
	expect_verify_bad(f, f->log, 1, "audit.line-too-long", NULL);
}

static void test_verify_with_wrong_key_type(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result res;
	struct sluice_error err;
	write_session(f->log, f->key, 0, 1);
	EVP_PKEY *rsa = NULL;
	char *p = fixture("rsa.pub");
	BIO *bio = BIO_new_file(p, "r");
	rsa = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(p);
	assert_non_null(rsa);
	assert_int_equal(auditlog_verify(f->log, rsa, &res, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "key.type");
	EVP_PKEY_free(rsa);
}


/* ---- the Merkle tree: checkpoints as signed tree heads, witnesses ------------------------ */

/* The leaf hash of a transfer line, computed here from its record as a receipt holder would. */
static void leaf_of_line(const char *line, merkle_hash out)
{
	json_t *j = parse(line);
	char *canon = canonical_line(json_object_get(j, "record"));
	merkle_leaf_hash(canon, strlen(canon), out);
	free(canon);
	json_decref(j);
}

/* Every checkpoint's records, root and frontier are those of the transfer lines before it,
 * computed independently of the writer. Returns the number of checkpoints. */
static size_t expect_checkpoints_are_tree_heads(const struct lines *l)
{
	merkle_hash *leaves = calloc(l->n + 1, sizeof(*leaves)), root;
	size_t n = 0, heads = 0;
	for (size_t i = 0; i < l->n; i++) {
		json_t *j = parse(l->v[i]);
		if (strcmp(json_string_value(json_object_get(j, "type")), "transfer") == 0) {
			leaf_of_line(l->v[i], leaves[n++]);
		} else {
			struct tree_head head;
			char why[256], hex[65];
			assert_true(tree_head_from_json(j, true, &head, why, sizeof(why)));
			assert_true(tree_head_frontier_ok(&head, why, sizeof(why)));
			assert_int_equal(head.tree_size, n);
			merkle_root(leaves, n, root);
			merkle_hash_hex(root, hex);
			assert_string_equal(json_string_value(json_object_get(j, "root")), hex);
			assert_int_equal(head.frontier.count, __builtin_popcountll(n));
			tree_head_free(&head);
			heads++;
		}
		json_decref(j);
	}
	free(leaves);
	return heads;
}

/* Re-chains and re-signs a whole log with `key`, recomputing every checkpoint's count, root
 * and frontier: what an operator holding the key could do to rewrite history. Such a log
 * verifies on its own; only a witness's earlier head shows the rewrite. */
static void rewrite_history(struct lines *l, EVP_PKEY *key)
{
	struct merkle_frontier tree;
	char prev[SHA256_HEX_LEN] = "0000000000000000000000000000000000000000000000000000000000000000";
	merkle_frontier_init(&tree);
	for (size_t i = 0; i < l->n; i++) {
		json_t *j = parse(l->v[i]);
		json_object_set_new(j, "seq", json_integer((json_int_t)i + 1));
		json_object_set_new(j, "prev", json_string(prev));
		if (strcmp(json_string_value(json_object_get(j, "type")), "transfer") == 0) {
			merkle_hash leaf;
			leaf_of_line(l->v[i], leaf);
			merkle_frontier_append(&tree, leaf);
		} else {
			merkle_hash root;
			char hex[65];
			json_t *frontier = json_array();
			merkle_frontier_root(&tree, root);
			merkle_hash_hex(root, hex);
			json_object_set_new(j, "root", json_string(hex));
			for (unsigned k = 0; k < tree.count; k++) {
				merkle_hash_hex(tree.node[k], hex);
				json_array_append_new(frontier, json_string(hex));
			}
			json_object_set_new(j, "frontier", frontier);
			json_object_set_new(j, "records", json_integer((json_int_t)tree.size));
			sign_checkpoint(j, key);
		}
		set_line(l, i, j);
		json_decref(j);
		chain_hash(l->v[i], prev);
	}
}

static struct tree_head head_of_line(const char *line)
{
	struct tree_head head;
	struct sluice_error err;
	if (tree_head_parse((const uint8_t *)line, strlen(line), &head, &err) != SLUICE_OK)
		fail_msg("not a tree head: %s", err.message);
	return head;
}

static void expect_scan_bad(const struct fx *f, const char *path, const struct tree_head *w,
                            size_t nw, const char *rule, size_t bad_line, size_t bad_witness,
                            const char *why_part)
{
	struct auditlog_scan_options opt = { .pub = f->pub, .witness = w, .nwitness = nw };
	struct auditlog_verify_result res;
	struct sluice_error err;
	enum sluice_rc rc = auditlog_scan(path, &opt, &res, NULL, &err);
	if (rc != SLUICE_ERR_VERIFY)
		fail_msg("expected %s, got rc %d: %s", rule, rc, err.message);
	if (strcmp(err.rule, rule) != 0 || res.bad_line != bad_line ||
	    res.bad_witness != bad_witness || strstr(res.why, why_part) == NULL)
		fail_msg("expected %s at line %zu (witness %zu, \"%s\"), got %s at line %zu "
		         "(witness %zu): %s",
		         rule, bad_line, bad_witness, why_part, err.rule, res.bad_line,
		         res.bad_witness, res.why);
}

static void expect_scan_ok(const struct fx *f, const char *path, const struct tree_head *w,
                           size_t nw)
{
	struct auditlog_scan_options opt = { .pub = f->pub, .witness = w, .nwitness = nw };
	struct auditlog_verify_result res;
	struct sluice_error err;
	if (auditlog_scan(path, &opt, &res, NULL, &err) != SLUICE_OK)
		fail_msg("scan failed: %s", err.message);
}

static void test_checkpoints_are_tree_heads(void **state)
{
	struct fx *f = *state;
	write_session(f->log, f->key, 0, 2100);
	struct lines l = read_lines(f->log);
	assert_int_equal(expect_checkpoints_are_tree_heads(&l), 3);
	free_lines(&l);
}

/* Appends `n` records with checkpoints every `interval`, checking the leaf indices. */
static void append_indexed(struct auditlog *log, unsigned first, unsigned n, uint64_t want)
{
	struct sluice_error err;
	for (unsigned i = 0; i < n; i++) {
		json_t *r = record(first + i);
		uint64_t index = UINT64_MAX;
		if (auditlog_append_indexed(log, r, &index, &err) != SLUICE_OK)
			fail_msg("append: %s", err.message);
		assert_int_equal(index, want + i);
		json_decref(r);
	}
}

/* The writer continues the tree from the last checkpoint's frontier, across sessions, a crash
 * and more than one checkpoint interval, and the leaf indices run on. */
static void test_tree_continues_across_sessions(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;

	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_OK);
	auditlog_set_checkpoint_interval(log, 4);
	append_indexed(log, 0, 10, 0); /* checkpoints after 4 and 8 */
	assert_int_equal(auditlog_unsigned_records(log), 2);
	assert_int_equal(auditlog_close(log, &err), SLUICE_OK);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A writer that dies with 3 unsigned records. */
		if (auditlog_open(f->log, f->key, &log, &err) != SLUICE_OK)
			_exit(2);
		auditlog_set_checkpoint_interval(log, 4);
		append_indexed(log, 10, 3, 10);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* The next writer replays those 3 records into the tree (its first checkpoint comes after
	 * 1 more: the interval counts across sessions). */
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_OK);
	auditlog_set_checkpoint_interval(log, 4);
	assert_int_equal(auditlog_unsigned_records(log), 3);
	append_indexed(log, 13, 9, 13);
	/* On demand: a head now; asked again with nothing new, nothing more. */
	assert_int_equal(auditlog_checkpoint(log, &err), SLUICE_OK);
	assert_int_equal(auditlog_unsigned_records(log), 0);
	assert_int_equal(auditlog_checkpoint(log, &err), SLUICE_OK);
	assert_int_equal(auditlog_close(log, &err), SLUICE_OK);

	struct lines l = read_lines(f->log);
	/* 22 records; heads after 4, 8, 10 (close), 14, 18, 22 (on demand). */
	assert_int_equal(expect_checkpoints_are_tree_heads(&l), 6);
	assert_int_equal(l.n, 28);
	free_lines(&l);
	expect_verify_ok(f, f->log, 28, 22, 6);
}

static void test_checkpoint_root_wrong_but_signed(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f);
	/* A signer bug (or a stolen key): a valid signature over the wrong root... */
	json_t *first = parse(l.v[3]), *cp = parse(l.v[7]);
	json_object_set(cp, "root", json_object_get(first, "root"));
	json_object_set(cp, "frontier", json_object_get(first, "frontier"));
	sign_checkpoint(cp, f->key);
	set_line(&l, 7, cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.root", "is not the root of the log's 6 records");
	/* ...a frontier with one hash too many for 6 records... */
	json_t *fr3 = json_array();
	for (int k = 0; k < 3; k++)
		json_array_append(fr3, json_object_get(first, "root"));
	json_object_set_new(cp, "frontier", fr3);
	sign_checkpoint(cp, f->key);
	set_line(&l, 7, cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.root", "frontier has 3 hashes");
	/* ...a frontier that leads to its root but not the log's records... */
	json_t *fr = json_array();
	json_array_append(fr, json_object_get(first, "root"));
	json_array_append(fr, json_object_get(first, "root"));
	json_object_set_new(cp, "frontier", fr);
	merkle_hash a, root;
	char hex[65];
	assert_true(merkle_hash_parse(json_string_value(json_object_get(first, "root")), a));
	merkle_node_hash(a, a, root);
	merkle_hash_hex(root, hex);
	json_object_set_new(cp, "root", json_string(hex));
	sign_checkpoint(cp, f->key);
	set_line(&l, 7, cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.root", "is not the root of the log's 6 records");
	/* ...or one that does not lead to the root. The writer continues from the frontier it
	 * finds (it does not recompute the tree), so it refuses one that does not. */
	json_object_set_new(cp, "root", json_string(
		"0000000000000000000000000000000000000000000000000000000000000001"));
	sign_checkpoint(cp, f->key);
	set_line(&l, 7, cp);
	write_lines(f->log, &l);
	expect_verify_bad(f, f->log, 8, "audit.root", "frontier does not lead to the root");
	struct auditlog *log = NULL;
	struct sluice_error err;
	assert_int_equal(auditlog_open(f->log, f->key, &log, &err), SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "audit.root");
	json_decref(first);
	json_decref(cp);
	free_lines(&l);
}

/* Heads a witness kept: the log is checked against each. */
static void test_witness_heads(void **state)
{
	struct fx *f = *state;
	struct lines l = two_sessions(f); /* heads at lines 4 (3 records) and 8 (6 records) */
	struct tree_head w[2] = { head_of_line(l.v[3]), head_of_line(l.v[7]) };
	char *other = path_join(f->dir, "other.log");

	expect_scan_ok(f, f->log, w, 2);

	/* Truncated exactly after the first checkpoint: a valid log alone, but not to a witness
	 * who holds the later head. */
	struct lines cut = read_lines(f->log);
	while (cut.n > 4)
		remove_line(&cut, cut.n - 1);
	write_lines(other, &cut);
	free_lines(&cut);
	expect_verify_ok(f, other, 4, 3, 1);
	expect_scan_ok(f, other, w, 1);
	expect_scan_bad(f, other, w, 2, "audit.truncated", 5, 2, "holds only 3 records");

	/* A fork: the same first 3 records, then 3 others. */
	struct lines fork = read_lines(f->log);
	while (fork.n > 4)
		remove_line(&fork, fork.n - 1);
	write_lines(other, &fork);
	free_lines(&fork);
	write_session(other, f->key, 100, 3);
	expect_verify_ok(f, other, 8, 6, 2);
	expect_scan_ok(f, other, w, 1);
	expect_scan_bad(f, other, w, 2, "audit.fork", 7, 2, "forked: witness head 2 of tree_size 6");

	/* The operator rewrites history with the key: records 1 and 2 swapped, then removed,
	 * then edited, each re-chained and re-signed so that the log verifies alone. */
	struct lines h = read_lines(f->log);
	char *t = h.v[0];
	h.v[0] = h.v[1];
	h.v[1] = t;
	rewrite_history(&h, f->key);
	write_lines(other, &h);
	free_lines(&h);
	expect_verify_ok(f, other, 8, 6, 2);
	expect_scan_bad(f, other, w, 2, "audit.fork", 3, 1, "witness head 1 of tree_size 3");

	h = read_lines(f->log);
	remove_line(&h, 1);
	rewrite_history(&h, f->key);
	write_lines(other, &h);
	free_lines(&h);
	expect_verify_ok(f, other, 7, 5, 2);
	expect_scan_bad(f, other, w, 2, "audit.fork", 4, 1, "root");
	expect_scan_bad(f, other, w + 1, 1, "audit.truncated", 8, 1, "only 5 records");

	h = read_lines(f->log);
	char *p = strstr(h.v[4], "\"to\":\"police\"");
	p[6] = 'P';
	rewrite_history(&h, f->key);
	write_lines(other, &h);
	free_lines(&h);
	expect_verify_ok(f, other, 8, 6, 2);
	expect_scan_ok(f, other, w, 1); /* the first 3 records are untouched */
	expect_scan_bad(f, other, w, 2, "audit.fork", 7, 2, "not the ones that head signed");

	/* A witness head that is not the key's says nothing: refused before the log is read. */
	json_t *j = json_incref(w[1].json);
	tree_head_free(&w[1]);
	json_object_set_new(j, "records", json_integer(7));
	char *edited = canonical_line(j);
	json_decref(j);
	struct sluice_error err;
	assert_int_equal(tree_head_parse((const uint8_t *)edited, strlen(edited), &w[1], &err),
	                 SLUICE_ERR_INVALID_REPORT); /* 7 records need 3 frontier hashes */
	free(edited);
	w[1] = head_of_line(l.v[7]);
	j = w[1].json;
	json_object_set_new(j, "time", json_string("2000-01-01T00:00:00Z"));
	expect_scan_bad(f, f->log, w, 2, "audit.head-signature", 0, 2, "bad signature");

	tree_head_free(&w[0]);
	tree_head_free(&w[1]);
	free(other);
	free_lines(&l);
}

static void test_last_head(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct tree_head head;
	uint64_t unsigned_records = 99;

	assert_int_equal(auditlog_last_head(f->log, &head, &unsigned_records, &err),
	                 SLUICE_ERR_IO);
	struct lines l = two_sessions(f);
	assert_int_equal(auditlog_last_head(f->log, &head, &unsigned_records, &err), SLUICE_OK);
	assert_int_equal(head.seq, 8);
	assert_int_equal(head.tree_size, 6);
	assert_int_equal(unsigned_records, 0);
	char *text = canonical_line(head.json);
	assert_string_equal(text, l.v[7]);
	free(text);
	tree_head_free(&head);

	/* Two records after it, and a third still being written (no newline yet). */
	FILE *fp = fopen(f->log, "a");
	fprintf(fp, "%s\n%s\n{\"prev\":", l.v[4], l.v[5]);
	fclose(fp);
	assert_int_equal(auditlog_last_head(f->log, &head, &unsigned_records, &err), SLUICE_OK);
	assert_int_equal(head.seq, 8);
	assert_int_equal(unsigned_records, 2);
	tree_head_free(&head);

	/* No checkpoint at all. */
	write_lines(f->log, &(struct lines){ l.v, 3 });
	assert_int_equal(auditlog_last_head(f->log, &head, &unsigned_records, &err),
	                 SLUICE_ERR_VERIFY);
	assert_string_equal(err.rule, "audit.no-head");
	free_lines(&l);
}

/* The signer process signs for the auditor only what auditlog_checkpoint_payload_ok accepts:
 * exactly what the writer asks. */
struct captured {
	EVP_PKEY *key;
	char *payload;
};

static enum sluice_rc capture_and_sign(void *arg, const char *payload, size_t len,
                                       uint8_t sig[64], struct sluice_error *err)
{
	struct captured *c = arg;
	free(c->payload);
	c->payload = strndup(payload, len);
	return signature_sign(c->key, payload, len, sig, err);
}

static void test_checkpoint_payload_ok(void **state)
{
	struct fx *f = *state;
	struct sluice_error err;
	struct auditlog *log = NULL;
	struct captured c = { f->key, NULL };
	char why[256];

	assert_int_equal(auditlog_open_with_signer(f->log, f->kid, capture_and_sign, &c, &log,
	                                           &err),
	                 SLUICE_OK);
	append_indexed(log, 0, 5, 0);
	assert_int_equal(auditlog_close(log, &err), SLUICE_OK);
	expect_verify_ok(f, f->log, 6, 5, 1);
	assert_non_null(c.payload);
	assert_true(auditlog_checkpoint_payload_ok(c.payload, strlen(c.payload), f->kid, why,
	                                           sizeof(why)));
	char other_kid[SHA256_HEX_LEN];
	assert_int_equal(key_id_hex(f->other, other_kid, &err), SLUICE_OK);
	assert_false(auditlog_checkpoint_payload_ok(c.payload, strlen(c.payload), other_kid, why,
	                                            sizeof(why)));
	json_t *j = parse(c.payload);
	json_object_set_new(j, "root", json_string(f->kid)); /* a hash, not the frontier's root */
	char *bad = canonical_line(j);
	assert_false(auditlog_checkpoint_payload_ok(bad, strlen(bad), f->kid, why, sizeof(why)));
	assert_non_null(strstr(why, "frontier"));
	free(bad);
	json_object_del(j, "root");
	bad = canonical_line(j);
	assert_false(auditlog_checkpoint_payload_ok(bad, strlen(bad), f->kid, why, sizeof(why)));
	free(bad);
	json_decref(j);
	free(c.payload);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_append_and_verify),
		T(test_new_log_mode),
		T(test_open_close_without_records),
		T(test_reopen_continues_chain),
		T(test_empty_file),
		T(test_missing_file),
		T(test_log_bytes_are_exactly_what_was_given),
		T(test_checkpoint_interval),
		T(test_interval_counts_across_sessions),
		T(test_append_refuses_non_object),
		T(test_open_errors),
		T(test_second_writer_is_locked_out),
		T(test_reopen_after_torn_line),
		T(test_torn_only_line_and_no_checkpoint),
		T(test_open_refuses_bad_last_line),
		T(test_open_refuses_broken_tail_chain),
		T(test_changed_byte_in_record),
		T(test_changed_byte_in_last_record_before_checkpoint),
		T(test_changed_byte_breaks_json_or_canonical_form),
		T(test_not_canonical),
		T(test_duplicate_key_line),
		T(test_unknown_type_and_members),
		T(test_removed_line),
		T(test_removed_first_line),
		T(test_removed_line_renumbered),
		T(test_swapped_lines),
		T(test_swapped_lines_renumbered),
		T(test_inserted_line),
		T(test_truncated_after_middle_line),
		T(test_truncated_mid_line),
		T(test_truncated_at_checkpoint_boundary),
		T(test_appended_unsigned_record),
		T(test_checkpoint_by_other_key),
		T(test_checkpoint_forged_with_other_key),
		T(test_checkpoint_edited),
		T(test_checkpoint_wrong_count_but_signed),
		T(test_line_too_long),
		T(test_verify_with_wrong_key_type),
		T(test_checkpoints_are_tree_heads),
		T(test_tree_continues_across_sessions),
		T(test_checkpoint_root_wrong_but_signed),
		T(test_witness_heads),
		T(test_last_head),
		T(test_append_canonical_same_bytes),
		T(test_checkpoint_payload_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
