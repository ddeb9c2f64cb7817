/*
 * libFuzzer target: what `sluice audit query`, `stats` and `index` read from an audit log
 * before any signature is checked (audit/auditrecord.c): the bounded line reader, the line
 * parser, the record view, the rule list and the filter, on arbitrary log bytes. The index
 * reads every log line through these same functions (audit/auditindex.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditrecord.h"
#include "fileio.h"

static char fuzz_path[] = "/tmp/sluice-fuzz-audit-records-XXXXXX";
static int fuzz_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_temp(void)
{
	if (fuzz_fd >= 0)
		unlink(fuzz_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_fd = mkstemp(fuzz_path);
	if (fuzz_fd < 0)
		abort();
	atexit(remove_temp);
	return 0;
}

static void count_rule(void *arg, enum audit_rule_kind kind, const char *rule)
{
	if (kind > AUDIT_RULE_REDACTION || rule == NULL)
		abort();
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fuzz_fd, 0) != 0 || lseek(fuzz_fd, 0, SEEK_SET) != 0 ||
	    fd_write_all(fuzz_fd, data, size) != 0 || lseek(fuzz_fd, 0, SEEK_SET) != 0)
		abort();
	struct audit_line_reader *r = audit_line_reader_new(fuzz_fd, 0, 4096);
	struct audit_filter any, some;
	memset(&any, 0, sizeof(any));
	memset(&some, 0, sizeof(some));
	some.from = "intel";
	some.rule = "pattern:email";
	some.has_policy_version = true;
	some.policy_version = 3;
	(void)audit_time_bound("2026-11-30", true, some.until);
	const char *line;
	size_t len;
	uint64_t offset, end = 0;
	bool newline;
	while (audit_line_next(r, &line, &len, &offset, &newline) == AUDIT_LINE_OK) {
		if (offset != end || offset + len > size)
			abort(); /* offsets must name the line's own bytes */
		end = offset + len + (newline ? 1 : 0);
		struct audit_line l;
		struct audit_record_view v;
		char why[200];
		if (!audit_line_parse(line, len, &l, why, sizeof(why)))
			continue;
		if (l.type == AUDIT_LINE_TRANSFER && audit_record_view(l.record, &v)) {
			size_t rules = 0;
			audit_record_each_rule(l.record, count_rule, &rules);
			if (!audit_filter_match(&any, l.record, &v))
				abort(); /* no filter matches everything */
			(void)audit_filter_match(&some, l.record, &v);
		}
		audit_line_free(&l);
	}
	audit_line_reader_free(r);
	return 0;
}
