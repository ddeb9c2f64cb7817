/* The spool's exactly-once delivery: files land where they belong, a retry is a duplicate, a
 * crash at any step is completed by recovery, and a report is never lost or doubled. */
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
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "keys.h"
#include "spool.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/sluice-spool-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static bool exists(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return access(p, F_OK) == 0;
}

static void put(const char *rel, const char *text)
{
	char p[512];
	struct sluice_error err;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(file_write_atomic(p, text, strlen(text), 0644, &err), SLUICE_OK);
}

static void mkdirs(const char *rel)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", root, rel);
	assert_int_equal(system(cmd), 0);
}

static size_t count_files(const char *rel)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "find %s/%s -type f | wc -l", root, rel);
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%zu", &n), 1);
	pclose(f);
	return n;
}

static void name_rules(void **state)
{
	(void)state;
	assert_true(spool_name_ok("report-01.xml"));
	assert_false(spool_name_ok(".hidden"));
	assert_false(spool_name_ok("../etc"));
	assert_false(spool_name_ok("a/b"));
	assert_false(spool_name_ok(""));
	assert_false(spool_name_ok("sp ace"));
	char id[37], id2[37], id3[37];
	spool_transfer_id("intel", "police", "00ff", id);
	spool_transfer_id("intel", "police", "00ff", id2);
	spool_transfer_id("intel", "customs", "00ff", id3);
	assert_string_equal(id, id2);
	assert_string_not_equal(id, id3);
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '8');
	assert_true(spool_name_ok(id));
}

static struct spool_delivery released(const char *id, const char *sha, bool from_inbox)
{
	struct spool_delivery d = {
		.transfer_id = id, .kind = SPOOL_RELEASED, .source = "intel", .destination = "police",
		.name = "r1.xml", .data = (const uint8_t *)"<released/>", .datalen = 11,
		.receipt = "{\"receipt\":1}\n", .receiptlen = 14, .reason = NULL,
		.from_inbox = from_inbox, .input_sha256 = sha,
	};
	return d;
}

static void release_then_duplicate(void **state)
{
	(void)state;
	struct spool s;
	struct sluice_error err;
	bool dup = true;
	char sha[65], id[37];
	assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
	mkdirs("inbox/intel/police");
	put("inbox/intel/police/r1.xml", "<r>original</r>");
	sha256_hex("<r>original</r>", 15, sha);
	spool_transfer_id("intel", "police", sha, id);
	struct spool_delivery d = released(id, sha, true);
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
	assert_false(dup);
	char out[256];
	snprintf(out, sizeof(out), "outbox/police/%s--r1.xml", id);
	assert_true(exists(out));
	strcat(out, ".receipt");
	assert_true(exists(out));
	assert_false(exists("inbox/intel/police/r1.xml"));
	/* the same transfer again (a retry after a crash, say) */
	put("inbox/intel/police/r1.xml", "<r>original</r>");
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
	assert_true(dup);
	assert_false(exists("inbox/intel/police/r1.xml"));
	assert_int_equal(count_files("outbox/police"), 2);
	/* a new report under the same name is not the delivered one: never removed by it */
	put("inbox/intel/police/r1.xml", "<r>new</r>");
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
	assert_true(exists("inbox/intel/police/r1.xml"));
	spool_close(&s);
}

static void refusal_moves_the_report(void **state)
{
	(void)state;
	struct spool s;
	struct sluice_error err;
	bool dup;
	char sha[65], id[37], p[256];
	assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
	put("inbox/intel/police/r2.xml", "<r>refuse me</r>");
	sha256_hex("<r>refuse me</r>", 16, sha);
	spool_transfer_id("intel", "police", sha, id);
	struct spool_delivery d = {
		.transfer_id = id, .kind = SPOOL_REFUSED, .source = "intel", .destination = "police",
		.name = "r2.xml", .data = (const uint8_t *)"<r>refuse me</r>", .datalen = 16,
		.receipt = "{}\n", .receiptlen = 3, .reason = "caveat.refuse: OC",
		.from_inbox = true, .input_sha256 = sha,
	};
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
	snprintf(p, sizeof(p), "refused/intel/%s--r2.xml", id);
	assert_true(exists(p));
	snprintf(p, sizeof(p), "refused/intel/%s--r2.xml.reason", id);
	assert_true(exists(p));
	assert_false(exists("inbox/intel/police/r2.xml"));
	spool_close(&s);
}

static void bad_names_refused(void **state)
{
	(void)state;
	struct spool s;
	struct sluice_error err;
	bool dup;
	assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
	struct spool_delivery d = released("../escape", "x", false);
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_ERR_INTERNAL);
	d = released("a", "x", false);
	d.name = "../../etc/passwd";
	assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_ERR_INTERNAL);
	spool_close(&s);
	assert_int_equal(spool_open("/nonexistent/spool", &s, &err), SLUICE_ERR_IO);
}

/* A crash after each step, then recovery: delivered exactly once, inbox copy gone, nothing
 * left in tmp/. Before the marker (step 1) nothing is promised: the report stays in the inbox
 * to be submitted again. */
static void crash_at_every_step_then_recover(void **state)
{
	(void)state;
	for (int step = 1; step <= 4; step++) {
		struct spool s;
		struct sluice_error err;
		bool dup;
		char sha[65], id[37], text[64], name[32], p[256];
		size_t done = 0;
		assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
		snprintf(text, sizeof(text), "<r>crash at %d</r>", step);
		snprintf(name, sizeof(name), "crash%d.xml", step);
		snprintf(p, sizeof(p), "inbox/intel/police/%s", name);
		put(p, text);
		sha256_hex(text, strlen(text), sha);
		spool_transfer_id("intel", "police", sha, id);
		struct spool_delivery d = released(id, sha, true);
		d.name = name;
		spool_fault_at = step;
		assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_ERR_IO);
		spool_fault_at = 0;
		spool_close(&s);
		/* restart */
		assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
		assert_int_equal(spool_recover(&s, &done, &err), SLUICE_OK);
		assert_int_equal(done, step == 1 ? 0 : 1);
		assert_int_equal(count_files("tmp"), 0);
		snprintf(p, sizeof(p), "outbox/police/%s--%s", id, name);
		if (step == 1) {
			assert_false(exists(p));
			snprintf(p, sizeof(p), "inbox/intel/police/%s", name);
			assert_true(exists(p)); /* not lost: will be submitted again */
			assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
			assert_false(dup);
		} else {
			assert_true(exists(p));
			snprintf(p, sizeof(p), "inbox/intel/police/%s", name);
			assert_false(exists(p));
			/* the intake's resubmission after the restart is a duplicate */
			assert_int_equal(spool_deliver(&s, &d, &dup, &err), SLUICE_OK);
			assert_true(dup);
		}
		snprintf(p, sizeof(p), "outbox/police/%s--%s", id, name);
		assert_true(exists(p));
		spool_close(&s);
	}
}

/* Landlock: intake reads only below inbox/, delivery works only below the spool. */
static int confined_child(bool write)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct spool s;
		struct sluice_error err;
		if (spool_open(root, &s, &err) != SLUICE_OK)
			_exit(10);
		int r = spool_confine(&s, write);
		if (r == 0)
			_exit(77); /* no Landlock here */
		if (r < 0)
			_exit(11);
		if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
			_exit(12);
		if (openat(s.inbox, "intel/police/inside.xml", O_RDONLY) < 0)
			_exit(13);
		int fd = openat(s.tmp, "probe", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (write ? fd < 0 : fd >= 0)
			_exit(14);
		if (open("/tmp/sluice-landlock-escape", O_WRONLY | O_CREAT, 0600) >= 0)
			_exit(15);
		if (write && unlinkat(s.tmp, "probe", 0) != 0)
			_exit(16);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void landlock_confines_intake_and_delivery(void **state)
{
	(void)state;
	struct spool s;
	struct sluice_error err;
	assert_int_equal(spool_open(root, &s, &err), SLUICE_OK);
	spool_close(&s);
	mkdirs("inbox/intel/police");
	put("inbox/intel/police/inside.xml", "<r/>");
	int r = confined_child(false);
	if (r == 77)
		skip();
	assert_int_equal(r, 0);
	assert_int_equal(confined_child(true), 0);
	assert_false(exists("tmp/probe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_rules),
		cmocka_unit_test(release_then_duplicate),
		cmocka_unit_test(refusal_moves_the_report),
		cmocka_unit_test(bad_names_refused),
		cmocka_unit_test(crash_at_every_step_then_recover),
		cmocka_unit_test(landlock_confines_intake_and_delivery),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
