/*
 * Reading audit log lines for oversight (auditrecord.h). Hostile input: see the header.
 */
#include "auditrecord.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice_error.h"

#define READ_CHUNK 65536

struct audit_line_reader {
	int fd;
	size_t max_line;
	uint64_t offset;        /* file offset of chunk[pos] */
	uint8_t chunk[READ_CHUNK];
	size_t pos, len;
	bool eof;
	char *line;
	size_t cap;
};

struct audit_line_reader *audit_line_reader_new(int fd, uint64_t start, size_t max_line)
{
	struct audit_line_reader *r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->offset = start;
	r->max_line = max_line;
	return r;
}

void audit_line_reader_free(struct audit_line_reader *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r);
}

/* Makes sure chunk[pos] is a byte to look at: AUDIT_LINE_OK, AUDIT_LINE_END at the end of the
 * file, or AUDIT_LINE_IO. */
static enum audit_line_next fill(struct audit_line_reader *r)
{
	while (r->pos == r->len) {
		if (r->eof)
			return AUDIT_LINE_END;
		ssize_t got = read(r->fd, r->chunk, sizeof(r->chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return AUDIT_LINE_IO;
		if (got == 0) {
			r->eof = true;
			return AUDIT_LINE_END;
		}
		r->pos = 0;
		r->len = (size_t)got;
	}
	return AUDIT_LINE_OK;
}

enum audit_line_next audit_line_next(struct audit_line_reader *r, const char **line,
                                     size_t *len, uint64_t *offset, bool *newline)
{
	size_t n = 0;

	*newline = false;
	*offset = r->offset;
	for (;;) {
		enum audit_line_next got = fill(r);
		if (got == AUDIT_LINE_IO)
			return got;
		if (got == AUDIT_LINE_END)
			break;
		const uint8_t *start = r->chunk + r->pos;
		size_t avail = r->len - r->pos;
		const uint8_t *nl = memchr(start, '\n', avail);
		size_t take = nl != NULL ? (size_t)(nl - start) : avail;
		if (n + take > r->max_line)
			return AUDIT_LINE_TOO_LONG;
		if (n + take + 1 > r->cap) {
			r->cap = (n + take + 1) * 2;
			r->line = xrealloc(r->line, r->cap);
		}
		memcpy(r->line + n, start, take);
		n += take;
		r->pos += take;
		r->offset += take;
		if (nl != NULL) {
			r->pos++;
			r->offset++;
			*newline = true;
			break;
		}
	}
	if (n == 0 && !*newline)
		return AUDIT_LINE_END;
	r->line[n] = '\0';
	*line = r->line;
	*len = n;
	return AUDIT_LINE_OK;
}

enum audit_line_next audit_line_skip(struct audit_line_reader *r)
{
	for (;;) {
		enum audit_line_next got = fill(r);
		if (got != AUDIT_LINE_OK)
			return got;
		const uint8_t *start = r->chunk + r->pos;
		size_t avail = r->len - r->pos;
		const uint8_t *nl = memchr(start, '\n', avail);
		size_t take = nl != NULL ? (size_t)(nl - start) + 1 : avail;
		r->pos += take;
		r->offset += take;
		if (nl != NULL)
			return AUDIT_LINE_OK;
	}
}

static bool is_hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void audit_line_free(struct audit_line *l)
{
	json_decref(l->obj);
	memset(l, 0, sizeof(*l));
}

bool audit_line_parse(const char *line, size_t len, struct audit_line *out, char *why,
                      size_t whylen)
{
	json_error_t jerr;
	json_t *v;
	const char *type;

	memset(out, 0, sizeof(*out));
	out->obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (out->obj == NULL || !json_is_object(out->obj)) {
		snprintf(why, whylen, "not a JSON object");
		goto fail;
	}
	type = json_string_value(json_object_get(out->obj, "type"));
	v = json_object_get(out->obj, "seq");
	out->prev = json_string_value(json_object_get(out->obj, "prev"));
	if (type == NULL || !json_is_integer(v) || json_integer_value(v) < 1 ||
	    !is_hex64(out->prev)) {
		snprintf(why, whylen, "not an audit line (type, seq and prev)");
		goto fail;
	}
	out->seq = (uint64_t)json_integer_value(v);
	if (strcmp(type, "transfer") == 0) {
		out->type = AUDIT_LINE_TRANSFER;
		out->record = json_object_get(out->obj, "record");
		if (!json_is_object(out->record)) {
			snprintf(why, whylen, "a transfer line without a record");
			goto fail;
		}
	} else if (strcmp(type, "checkpoint") == 0) {
		out->type = AUDIT_LINE_CHECKPOINT;
		v = json_object_get(out->obj, "records");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(why, whylen, "a checkpoint without a record count");
			goto fail;
		}
		out->records = (uint64_t)json_integer_value(v);
	} else {
		snprintf(why, whylen, "neither a transfer nor a checkpoint line");
		goto fail;
	}
	return true;
fail:
	audit_line_free(out);
	return false;
}

static const char *string_or(json_t *obj, const char *key, const char *otherwise)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : otherwise;
}

static bool non_empty_array(json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0;
}

bool audit_record_view(json_t *record, struct audit_record_view *v)
{
	memset(v, 0, sizeof(*v));
	v->time = json_string_value(json_object_get(record, "time"));
	v->decision = json_string_value(json_object_get(record, "decision"));
	if (!json_is_object(record) || v->time == NULL || v->decision == NULL)
		return false;
	v->from = string_or(record, "from", "");
	v->to = string_or(record, "to", "");
	v->transfer_id = string_or(record, "transfer_id", "");
	v->reason_rule = string_or(json_object_get(record, "reason"), "rule", NULL);
	json_t *policy = json_object_get(record, "policy");
	v->policy_id = string_or(policy, "id", NULL);
	json_t *version = json_object_get(policy, "version");
	if (json_is_integer(version)) {
		v->has_policy_version = true;
		v->policy_version = json_integer_value(version);
	}
	v->redacted = strcmp(v->decision, "released") == 0 &&
	              (non_empty_array(json_object_get(record, "removals")) ||
	               non_empty_array(json_object_get(record, "redactions")));
	return true;
}

void audit_record_each_rule(json_t *record,
                            void (*each)(void *arg, enum audit_rule_kind kind, const char *rule),
                            void *arg)
{
	static const struct {
		const char *member;
		enum audit_rule_kind kind;
	} lists[] = { { "removals", AUDIT_RULE_REMOVAL }, { "redactions", AUDIT_RULE_REDACTION } };
	const char *reason = string_or(json_object_get(record, "reason"), "rule", NULL);

	if (reason != NULL)
		each(arg, AUDIT_RULE_REASON, reason);
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		json_t *array = json_object_get(record, lists[k].member), *item;
		size_t i;
		/* A record may name one rule many times (one removal per portion): once is enough,
		 * and a set keeps a hostile record with a huge list linear. */
		json_t *seen = json_object();
		json_array_foreach(array, i, item) {
			const char *rule = string_or(item, "rule", NULL);
			if (rule == NULL || json_object_get(seen, rule) != NULL)
				continue;
			json_object_set_new(seen, rule, json_true());
			each(arg, lists[k].kind, rule);
		}
		json_decref(seen);
	}
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool date_valid(const char *t)
{
	return digits(t, 4) && t[4] == '-' && digits(t + 5, 2) && t[7] == '-' && digits(t + 8, 2);
}

bool audit_time_valid(const char *t)
{
	return strlen(t) == 20 && date_valid(t) && t[10] == 'T' && digits(t + 11, 2) &&
	       t[13] == ':' && digits(t + 14, 2) && t[16] == ':' && digits(t + 17, 2) &&
	       t[19] == 'Z';
}

bool audit_time_bound(const char *text, bool end, char *out)
{
	if (audit_time_valid(text)) {
		memcpy(out, text, 21);
		return true;
	}
	if (strlen(text) != 10 || !date_valid(text))
		return false;
	snprintf(out, 21, "%.10sT%s", text, end ? "23:59:59Z" : "00:00:00Z");
	return true;
}

struct rule_search {
	const char *rule;
	bool found;
};

static void find_rule(void *arg, enum audit_rule_kind kind, const char *rule)
{
	struct rule_search *s = arg;
	(void)kind;
	if (strcmp(rule, s->rule) == 0)
		s->found = true;
}

static bool same(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

bool audit_filter_match(const struct audit_filter *f, json_t *record,
                        const struct audit_record_view *v)
{
	if (!same(f->from, v->from) || !same(f->to, v->to) || !same(f->decision, v->decision) ||
	    !same(f->policy_id, v->policy_id) || !same(f->transfer_id, v->transfer_id) ||
	    (f->has_policy_version &&
	     (!v->has_policy_version || v->policy_version != f->policy_version)) ||
	    (f->since[0] && strcmp(v->time, f->since) < 0) ||
	    (f->until[0] && strcmp(v->time, f->until) > 0))
		return false;
	if (f->rule != NULL) {
		struct rule_search s = { f->rule, false };
		audit_record_each_rule(record, find_rule, &s);
		return s.found;
	}
	return true;
}
