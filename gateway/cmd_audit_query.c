/*
 * `sluice audit query` and `sluice audit stats` (SPEC section 5, issue 6): what oversight asks
 * of the audit log. Both read the log line by line (each line bounded, strict JSON) and look only
 * at transfer records; they do not verify the chain: run `sluice audit verify` first, as
 * docs/OVERSIGHT.md says, and a line that is not a well-formed record stops them (exit 1, with
 * its line number) rather than being skipped.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "canonical_json.h"
#include "commands.h"
#include "sluice_error.h"

#define AUDIT_LINE_MAX (4u * 1024u * 1024u)

static const char query_usage[] =
	"usage: sluice audit query LOG [--json] [--from D] [--to D]\n"
	"                          [--decision released|refused|invalid|error]\n"
	"                          [--since T] [--until T]\n"
	"\n"
	"Lists the transfer records of an audit log that match every filter given: source and\n"
	"destination domain, decision, and time (RFC 3339 UTC such as 2026-11-30T10:00:00Z, or a\n"
	"date such as 2026-11-30; --since and --until include their bounds, and a date --until\n"
	"includes the whole day). Without --json, one line per record: time, transfer id, from, to,\n"
	"decision, rule. With --json, JSON Lines: the record object of each match, as logged.\n"
	"It does not verify the log: run `sluice audit verify` first.\n"
	"Exit: 0 (even when nothing matches), 1 a line that is not a well-formed record, 64 usage,\n"
	"74 I/O.\n";

static const char stats_usage[] =
	"usage: sluice audit stats LOG [--json]\n"
	"\n"
	"Counts the transfer records of an audit log: per decision, per (from, to) pair, per\n"
	"refusal rule, the first and last time, and the signed checkpoints. It does not verify the\n"
	"log: run `sluice audit verify` first.\n"
	"Exit: 0, 1 a line that is not a well-formed record, 64 usage, 74 I/O.\n";

/* Reads one line of at most AUDIT_LINE_MAX bytes into *buf (growing it as needed, never past
 * that bound): 1 a line, 0 the end of the file, -1 a longer line. */
static int bounded_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
	int c = EOF;
	*len = 0;
	while ((c = getc(f)) != EOF) {
		if (*len == AUDIT_LINE_MAX)
			return -1;
		if (*len + 1 >= *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			if (*cap > AUDIT_LINE_MAX + 1)
				*cap = AUDIT_LINE_MAX + 1;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[(*len)++] = (char)c;
		if (c == '\n')
			break;
	}
	if (*len == 0)
		return 0;
	(*buf)[*len] = '\0';
	return 1;
}

/* Calls `each` with every transfer record of the log (the "record" object), and counts
 * checkpoints. 0, 1 (a bad line, reported), or 74 (I/O, reported). */
static int for_each_record(const char *path, const char *prog,
                           void (*each)(json_t *record, void *arg), void *arg,
                           size_t *checkpoints)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: cannot open the audit log: %m\n", prog, path);
		return 74;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0, n;
	int rc = 0, got;
	while (rc == 0 && (got = bounded_line(f, &line, &cap, &n)) != 0) {
		lineno++;
		if (got < 0) {
			fprintf(stderr, "%s: %s: line %zu is longer than %u bytes\n", prog, path, lineno,
			        AUDIT_LINE_MAX);
			rc = 1;
			break;
		}
		json_error_t je;
		json_t *j = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
		const char *type = json_string_value(json_object_get(j, "type"));
		json_t *rec = json_object_get(j, "record");
		if (j == NULL || type == NULL) {
			fprintf(stderr, "%s: %s: line %zu is not an audit record\n", prog, path, lineno);
			rc = 1;
		} else if (strcmp(type, "checkpoint") == 0) {
			(*checkpoints)++;
		} else if (strcmp(type, "transfer") == 0 && json_is_object(rec) &&
		           json_is_string(json_object_get(rec, "time")) &&
		           json_is_string(json_object_get(rec, "decision"))) {
			each(rec, arg);
		} else if (strcmp(type, "transfer") == 0) {
			fprintf(stderr, "%s: %s: line %zu is not a well-formed transfer record\n", prog,
			        path, lineno);
			rc = 1;
		}
		json_decref(j);
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "%s: %s: read error\n", prog, path);
		rc = 74;
	}
	free(line);
	fclose(f);
	return rc;
}

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

/* Prints a string from the log for a terminal: printable ASCII only. */
static void put_safe(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
}

struct query {
	const char *from, *to, *decision;
	char since[32], until[32];
	int json;
	size_t matched;
};

/* A time bound: a full RFC 3339 UTC time as given, or a date widened to the day's start (since)
 * or end (until). 0, or -1 when it is neither. */
static int time_bound(const char *t, int end, char out[32])
{
	size_t n = strlen(t);
	if (n == 10 && t[4] == '-' && t[7] == '-') {
		snprintf(out, 32, "%sT%s", t, end ? "23:59:59Z" : "00:00:00Z");
		return 0;
	}
	if (n == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
	    t[16] == ':' && t[19] == 'Z') {
		snprintf(out, 32, "%s", t);
		return 0;
	}
	return -1;
}

static void on_query(json_t *rec, void *arg)
{
	struct query *q = arg;
	const char *time = str(rec, "time");
	if ((q->from && strcmp(str(rec, "from"), q->from) != 0) ||
	    (q->to && strcmp(str(rec, "to"), q->to) != 0) ||
	    (q->decision && strcmp(str(rec, "decision"), q->decision) != 0) ||
	    (q->since[0] && strcmp(time, q->since) < 0) || (q->until[0] && strcmp(time, q->until) > 0))
		return;
	q->matched++;
	if (q->json) {
		char *canon = json_canonical(rec);
		if (canon != NULL)
			puts(canon);
		free(canon);
		return;
	}
	json_t *reason = json_object_get(rec, "reason");
	const char *rule = json_string_value(json_object_get(reason, "rule"));
	put_safe(time);
	putchar(' ');
	put_safe(str(rec, "transfer_id"));
	putchar(' ');
	put_safe(str(rec, "from"));
	fputs(" -> ", stdout);
	put_safe(str(rec, "to"));
	putchar(' ');
	put_safe(str(rec, "decision"));
	if (rule != NULL) {
		putchar(' ');
		put_safe(rule);
	}
	putchar('\n');
}

static int audit_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },          { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },      { "decision", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },   { "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	struct query q;
	int c;
	memset(&q, 0, sizeof(q));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': q.json = 1; break;
		case 'f': q.from = optarg; break;
		case 't': q.to = optarg; break;
		case 'd':
			if (strcmp(optarg, "released") != 0 && strcmp(optarg, "refused") != 0 &&
			    strcmp(optarg, "invalid") != 0 && strcmp(optarg, "error") != 0)
				return usage_error(query_usage, "--decision takes released, refused, "
				                                "invalid or error");
			q.decision = optarg;
			break;
		case 's':
		case 'u':
			if (time_bound(optarg, c == 'u', c == 's' ? q.since : q.until) != 0)
				return usage_error(query_usage, "--%s takes a date (2026-11-30) or an RFC "
				                   "3339 UTC time (2026-11-30T10:00:00Z)",
				                   c == 's' ? "since" : "until");
			break;
		case 'h': fputs(query_usage, stdout); return 0;
		default:
			return usage_error(query_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error(query_usage, "one LOG is required");
	size_t checkpoints = 0;
	int rc = for_each_record(argv[optind], "sluice audit query", on_query, &q, &checkpoints);
	if (rc == 0 && !q.json)
		fprintf(stderr, "%zu matching record%s\n", q.matched, q.matched == 1 ? "" : "s");
	return rc;
}

struct stats {
	json_t *decisions, *pairs, *rules;
	char first[32], last[32];
	size_t records;
};

static void count(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static void on_stats(json_t *rec, void *arg)
{
	struct stats *s = arg;
	const char *time = str(rec, "time");
	s->records++;
	if (s->first[0] == '\0' || strcmp(time, s->first) < 0)
		snprintf(s->first, sizeof(s->first), "%.31s", time);
	if (strcmp(time, s->last) > 0)
		snprintf(s->last, sizeof(s->last), "%.31s", time);
	count(s->decisions, str(rec, "decision"));
	char pair[300];
	snprintf(pair, sizeof(pair), "%.140s -> %.140s", str(rec, "from"), str(rec, "to"));
	count(s->pairs, pair);
	const char *rule = json_string_value(json_object_get(json_object_get(rec, "reason"), "rule"));
	if (rule != NULL)
		count(s->rules, rule);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One line per key, in key order. */
static void print_counts(const char *title, json_t *obj)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	const char **keys = calloc(json_object_size(obj) + 1, sizeof(*keys));
	if (keys == NULL)
		return;
	json_object_foreach(obj, key, v)
		keys[n++] = key;
	qsort(keys, n, sizeof(*keys), by_key);
	printf("%s\n", title);
	for (size_t i = 0; i < n; i++) {
		printf("  %8lld  ", (long long)json_integer_value(json_object_get(obj, keys[i])));
		put_safe(keys[i]);
		putchar('\n');
	}
	free(keys);
}

static int audit_stats(int argc, char **argv)
{
	int json = 0;
	const char *log = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(stats_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] != '-' && log == NULL)
			log = argv[i];
		else
			return usage_error(stats_usage, "audit stats takes LOG and --json");
	}
	if (log == NULL)
		return usage_error(stats_usage, "one LOG is required");
	struct stats s;
	memset(&s, 0, sizeof(s));
	s.decisions = json_object();
	s.pairs = json_object();
	s.rules = json_object();
	size_t checkpoints = 0;
	int rc = for_each_record(log, "sluice audit stats", on_stats, &s, &checkpoints);
	if (rc == 0 && json) {
		json_t *o = json_pack("{s:I, s:I, s:s?, s:s?, s:O, s:O, s:O}", "records",
		                      (json_int_t)s.records, "checkpoints", (json_int_t)checkpoints,
		                      "first", s.first[0] ? s.first : NULL, "last",
		                      s.last[0] ? s.last : NULL, "decisions", s.decisions, "pairs",
		                      s.pairs, "rules", s.rules);
		char *text = o ? json_canonical(o) : NULL;
		if (text != NULL)
			puts(text);
		free(text);
		json_decref(o);
	} else if (rc == 0) {
		printf("records      %zu transfer records, %zu signed checkpoints\n", s.records,
		       checkpoints);
		if (s.records > 0) {
			fputs("period       ", stdout);
			put_safe(s.first);
			fputs(" to ", stdout);
			put_safe(s.last);
			putchar('\n');
		}
		print_counts("decisions", s.decisions);
		print_counts("transfers (from -> to)", s.pairs);
		print_counts("refusal and error rules", s.rules);
	}
	json_decref(s.decisions);
	json_decref(s.pairs);
	json_decref(s.rules);
	return rc;
}

int cmd_audit_query(int argc, char **argv)
{
	if (strcmp(argv[0], "query") == 0)
		return audit_query(argc, argv);
	return audit_stats(argc, argv);
}
