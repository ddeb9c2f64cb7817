/*
 * The bounded reader of audit logs for the oversight commands (audit_reader.h). The log is
 * hostile input: a line is held only up to AUDIT_READER_LINE_MAX bytes, and one that is longer
 * is consumed to its end without being stored.
 */
#include "audit_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditrecord.h"

struct audit_reader {
	int fd;
	struct audit_line_reader *lines;
	size_t number;
	json_t *json; /* the current line's, freed on the next call */
};

enum sluice_rc audit_reader_open(const char *path, struct audit_reader **out,
                                 struct sluice_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sluice_fail(err, SLUICE_ERR_IO, "io.open", "%s: cannot open the audit log: %s",
		                   path, strerror(errno));
	struct audit_reader *r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->lines = audit_line_reader_new(fd, 0, AUDIT_READER_LINE_MAX);
	*out = r;
	return SLUICE_OK;
}

void audit_reader_close(struct audit_reader *r)
{
	if (r == NULL)
		return;
	json_decref(r->json);
	audit_line_reader_free(r->lines);
	close(r->fd);
	free(r);
}

static void classify(struct audit_entry *line, json_t *j)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *rec = json_object_get(j, "record");
	line->json = j;
	if (!json_is_object(j) || type == NULL) {
		line->kind = AUDIT_ENTRY_BAD;
		line->why = "not an audit line (no type)";
	} else if (strcmp(type, "checkpoint") == 0) {
		line->kind = AUDIT_ENTRY_CHECKPOINT;
	} else if (strcmp(type, "transfer") == 0 && json_is_object(rec) &&
	           json_is_string(json_object_get(rec, "time")) &&
	           json_is_string(json_object_get(rec, "decision"))) {
		line->kind = AUDIT_ENTRY_TRANSFER;
		line->record = rec;
	} else {
		line->kind = AUDIT_ENTRY_BAD;
		line->why = strcmp(type, "transfer") == 0 ? "not a well-formed transfer record"
		                                          : "an unknown type of line";
	}
}

int audit_reader_next(struct audit_reader *r, struct audit_entry *line, struct sluice_error *err)
{
	const char *text = NULL;
	size_t len = 0;
	uint64_t offset = 0;
	bool newline = false;
	json_decref(r->json);
	r->json = NULL;
	memset(line, 0, sizeof(*line));
	enum audit_line_next got = audit_line_next(r->lines, &text, &len, &offset, &newline);
	if (got == AUDIT_LINE_TOO_LONG)
		got = audit_line_skip(r->lines) == AUDIT_LINE_IO ? AUDIT_LINE_IO : AUDIT_LINE_TOO_LONG;
	if (got == AUDIT_LINE_IO) {
		sluice_fail(err, SLUICE_ERR_IO, "io.read", "cannot read the audit log: %s",
		            strerror(errno));
		return -1;
	}
	if (got == AUDIT_LINE_END)
		return 0;
	line->number = ++r->number;
	if (got == AUDIT_LINE_TOO_LONG) {
		line->kind = AUDIT_ENTRY_BAD;
		line->why = "longer than 16 MiB";
		return 1;
	}
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		line->kind = AUDIT_ENTRY_BAD;
		line->why = "not JSON";
		return 1;
	}
	r->json = j;
	classify(line, j);
	if (line->kind == AUDIT_ENTRY_BAD)
		line->json = NULL;
	return 1;
}
