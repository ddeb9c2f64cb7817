/*
 * The bounded reader of audit logs for the oversight commands (audit_reader.h). The log is
 * hostile input: a line is held only up to AUDIT_READER_LINE_MAX bytes, and one that is longer
 * is consumed to its end without being stored.
 */
#include "audit_reader.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_reader {
	FILE *f;
	char *buf;
	size_t cap;
	size_t number;
	json_t *json; /* the current line's, freed on the next call */
};

enum sluice_rc audit_reader_open(const char *path, struct audit_reader **out,
                                 struct sluice_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return sluice_fail(err, SLUICE_ERR_IO, "io.open", "%s: cannot open the audit log: %s",
		                   path, strerror(errno));
	struct audit_reader *r = xcalloc(1, sizeof(*r));
	r->f = f;
	*out = r;
	return SLUICE_OK;
}

void audit_reader_close(struct audit_reader *r)
{
	if (r == NULL)
		return;
	json_decref(r->json);
	free(r->buf);
	fclose(r->f);
	free(r);
}

/* Stores the next line (without its newline) in r->buf: its length, SIZE_MAX past the bound,
 * or -1 via *at_end when nothing is left. */
static size_t take_line(struct audit_reader *r, bool *at_end)
{
	size_t len = 0;
	bool overlong = false, any = false;
	int c;
	while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
		any = true;
		if (overlong)
			continue;
		if (len == AUDIT_READER_LINE_MAX) {
			overlong = true;
			continue;
		}
		if (len + 1 >= r->cap) {
			size_t grown = r->cap ? r->cap * 2 : 8192;
			r->cap = grown > AUDIT_READER_LINE_MAX + 1 ? AUDIT_READER_LINE_MAX + 1 : grown;
			r->buf = xrealloc(r->buf, r->cap);
		}
		r->buf[len++] = (char)c;
	}
	*at_end = c == EOF && !any;
	return overlong ? SIZE_MAX : len;
}

static void classify(struct audit_line *line, json_t *j)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *rec = json_object_get(j, "record");
	line->json = j;
	if (!json_is_object(j) || type == NULL) {
		line->kind = AUDIT_LINE_BAD;
		line->why = "not an audit line (no type)";
	} else if (strcmp(type, "checkpoint") == 0) {
		line->kind = AUDIT_LINE_CHECKPOINT;
	} else if (strcmp(type, "transfer") == 0 && json_is_object(rec) &&
	           json_is_string(json_object_get(rec, "time")) &&
	           json_is_string(json_object_get(rec, "decision"))) {
		line->kind = AUDIT_LINE_TRANSFER;
		line->record = rec;
	} else {
		line->kind = AUDIT_LINE_BAD;
		line->why = strcmp(type, "transfer") == 0 ? "not a well-formed transfer record"
		                                          : "an unknown type of line";
	}
}

int audit_reader_next(struct audit_reader *r, struct audit_line *line, struct sluice_error *err)
{
	bool at_end = false;
	json_decref(r->json);
	r->json = NULL;
	memset(line, 0, sizeof(*line));
	size_t len = take_line(r, &at_end);
	if (ferror(r->f)) {
		sluice_fail(err, SLUICE_ERR_IO, "io.read", "cannot read the audit log: %s",
		            strerror(errno));
		return -1;
	}
	if (at_end)
		return 0;
	line->number = ++r->number;
	if (len == SIZE_MAX) {
		line->kind = AUDIT_LINE_BAD;
		line->why = "longer than 16 MiB";
		return 1;
	}
	json_error_t je;
	json_t *j = json_loadb(len ? r->buf : "", len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		line->kind = AUDIT_LINE_BAD;
		line->why = "not JSON";
		return 1;
	}
	r->json = j;
	classify(line, j);
	if (line->kind == AUDIT_LINE_BAD)
		line->json = NULL;
	return 1;
}

