/*
 * `sluice audit query`, `sluice audit stats` and `sluice audit index` (SPEC section 5, issue 6):
 * what oversight asks of the audit log.
 *
 * Query and stats answer from the index LOG.idx when it exists (or --index FILE), after
 * checking it against the log (audit/auditindex.h), and otherwise by reading the log line by
 * line (each line bounded, strict JSON), looking only at transfer records. The scan does not
 * verify the chain: run `sluice audit verify` first, as docs/OVERSIGHT.md says; a line that is
 * not a well-formed record stops it (exit 1, with its line number) rather than being skipped.
 * Both ways print the same bytes: records are always taken from the log itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auditindex.h"
#include "auditrecord.h"
#include "canonical_json.h"
#include "commands.h"
#include "keys.h"
#include "sluice_error.h"

#define AUDIT_LINE_MAX (4u * 1024u * 1024u)
/* Removal and redaction rules printed by `stats` as text (all of them with --json). */
#define TOP_RULES 10

static const char query_usage[] =
	"usage: sluice audit query LOG [--json] [--from D] [--to D]\n"
	"                          [--decision released|refused|invalid|error]\n"
	"                          [--since T] [--until T] [--rule R] [--policy ID]\n"
	"                          [--policy-version N] [--transfer-id UUID]\n"
	"                          [--index FILE | --no-index]\n"
	"\n"
	"Lists the transfer records of an audit log that match every filter given: source and\n"
	"destination domain, decision, time (RFC 3339 UTC such as 2026-11-30T10:00:00Z, or a\n"
	"date such as 2026-11-30; --since and --until include their bounds, and a date --until\n"
	"includes the whole day), a rule (the reason of a refusal, or the rule of any removal or\n"
	"redaction), the policy id and version, and the transfer id. Without --json, one line per\n"
	"record: time, transfer id, from, to, decision, rule. With --json, JSON Lines: the record\n"
	"object of each match, as logged.\n"
	"With the index LOG.idx (sluice audit index) or --index FILE, it answers from the index,\n"
	"after checking that the index matches the log; --no-index reads the whole log instead.\n"
	"It does not verify the log: run `sluice audit verify` first.\n"
	"Exit: 0 (even when nothing matches), 1 a line that is not a well-formed record or an\n"
	"index that does not match the log, 64 usage, 74 I/O.\n";

static const char stats_usage[] =
	"usage: sluice audit stats LOG... [--json] [--index FILE | --no-index]\n"
	"\n"
	"Counts the transfer records of an audit log: per decision, per (from, to) pair, per flow\n"
	"(released, of which redacted, refused, invalid, error), per policy version, per refusal\n"
	"rule, the removal and redaction rules that fired most, the first and last time, and the\n"
	"signed checkpoints. Uses the index like `sluice audit query`. It does not verify the log:\n"
	"run `sluice audit verify` first.\n"
	"Exit: 0, 1 a line that is not a well-formed record or an index that does not match the\n"
	"log, 64 usage, 74 I/O.\n";

static const char index_usage[] =
	"usage: sluice audit index --pub PUBKEY [--rebuild] [--index FILE] LOG\n"
	"\n"
	"Verifies the whole audit log with the gateway's public key (as sluice audit verify does;\n"
	"a log still being written may end with records not yet under a checkpoint), then builds\n"
	"its index LOG.idx (or FILE), an SQLite database that sluice audit query and stats use to\n"
	"answer quickly, or brings an existing index up to date. --rebuild starts a new index from\n"
	"the log. The index is derived data: delete it and build it again at will.\n"
	"Exit: 0, 1 the log does not verify or the index does not match it, 64 usage, 74 I/O.\n";

/* ---- reading the log without the index --------------------------------------------------- */

/* Calls `each` with every well-formed transfer record of the log, and counts checkpoints.
 * 0, 1 (a bad line, reported), or 74 (I/O, reported). */
static int for_each_record(const char *path, const char *prog, auditindex_record_fn each,
                           void *arg, uint64_t *checkpoints)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: cannot open the audit log: %m\n", prog, path);
		return 74;
	}
	struct audit_line_reader *r = audit_line_reader_new(fd, 0, AUDIT_LINE_MAX);
	const char *line;
	size_t len, lineno = 0;
	uint64_t offset;
	bool newline;
	int rc = 0;
	enum audit_line_next got;
	while (rc == 0 && (got = audit_line_next(r, &line, &len, &offset, &newline)) != AUDIT_LINE_END) {
		lineno++;
		if (got == AUDIT_LINE_IO) {
			fprintf(stderr, "%s: %s: read error: %m\n", prog, path);
			rc = 74;
			break;
		}
		if (got == AUDIT_LINE_TOO_LONG) {
			fprintf(stderr, "%s: %s: line %zu is longer than %u bytes\n", prog, path, lineno,
			        AUDIT_LINE_MAX);
			rc = 1;
			break;
		}
		json_error_t je;
		json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
		const char *type = json_string_value(json_object_get(j, "type"));
		struct audit_record_view view;
		if (j == NULL || type == NULL) {
			fprintf(stderr, "%s: %s: line %zu is not an audit record\n", prog, path, lineno);
			rc = 1;
		} else if (strcmp(type, "checkpoint") == 0) {
			(*checkpoints)++;
		} else if (strcmp(type, "transfer") == 0 &&
		           audit_record_view(json_object_get(j, "record"), &view)) {
			each(json_object_get(j, "record"), &view, arg);
		} else if (strcmp(type, "transfer") == 0) {
			fprintf(stderr, "%s: %s: line %zu is not a well-formed transfer record\n", prog,
			        path, lineno);
			rc = 1;
		}
		json_decref(j);
	}
	audit_line_reader_free(r);
	close(fd);
	return rc;
}

/* ---- choosing the index ------------------------------------------------------------------ */

struct index_choice {
	const char *path;  /* --index FILE */
	bool none;         /* --no-index */
};

/* `given`, or LOG.idx: a new string. */
static char *index_path_for(const char *log, const char *given)
{
	if (given != NULL)
		return xstrdup(given);
	size_t n = strlen(log) + sizeof(".idx");
	char *path = xmalloc(n);
	snprintf(path, n, "%s.idx", log);
	return path;
}

/* Opens the index to answer from, or leaves *ix NULL to read the log: LOG.idx when it exists,
 * --index FILE always (missing: an error). 0, or the exit code after reporting. */
static int index_for(const char *log, const struct index_choice *c, const char *prog,
                     struct auditindex **ix)
{
	struct sluice_error err;
	struct stat st;
	int rc = 0;

	*ix = NULL;
	if (c->none)
		return 0;
	char *path = index_path_for(log, c->path);
	if (c->path == NULL && lstat(path, &st) != 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if (auditindex_open(log, path, ix, &err) != SLUICE_OK) {
		sluice_error_print(prog, &err);
		rc = sluice_rc_exit_code(err.rc);
	} else {
		const struct auditindex_status *s = auditindex_status(*ix);
		fprintf(stderr, "%s: answering from the index %s: lines 1-%" PRIu64 " of the log, "
		                "checkpoints verified through line %" PRIu64 " on %s",
		        prog, path, s->lines, s->verified_seq, s->verified_time);
		if (s->added > 0)
			fprintf(stderr, " (%" PRIu64 " new lines added)", s->added);
		fputc('\n', stderr);
	}
	free(path);
	return rc;
}

/* ---- query ------------------------------------------------------------------------------- */

/* Prints a string from the log for a terminal: printable ASCII only. */
static void put_safe(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
}

struct query {
	struct audit_filter filter;
	bool json;
	size_t matched;
};

static void on_query(json_t *rec, const struct audit_record_view *v, void *arg)
{
	struct query *q = arg;
	if (!audit_filter_match(&q->filter, rec, v))
		return;
	q->matched++;
	if (q->json) {
		char *canon = json_canonical(rec);
		if (canon != NULL)
			puts(canon);
		free(canon);
		return;
	}
	put_safe(v->time);
	putchar(' ');
	put_safe(v->transfer_id);
	putchar(' ');
	put_safe(v->from);
	fputs(" -> ", stdout);
	put_safe(v->to);
	putchar(' ');
	put_safe(v->decision);
	if (v->reason_rule != NULL) {
		putchar(' ');
		put_safe(v->reason_rule);
	}
	putchar('\n');
}

/* A policy version: a decimal number. */
static bool parse_version(const char *s, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || s[0] == '+' || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static int audit_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },           { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },       { "decision", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },    { "until", required_argument, NULL, 'u' },
		{ "rule", required_argument, NULL, 'r' },     { "policy", required_argument, NULL, 'p' },
		{ "policy-version", required_argument, NULL, 'v' },
		{ "transfer-id", required_argument, NULL, 'x' },
		{ "index", required_argument, NULL, 'i' },    { "no-index", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *prog = "sluice audit query";
	struct query q;
	struct index_choice choice = { NULL, false };
	int c;
	memset(&q, 0, sizeof(q));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': q.json = true; break;
		case 'f': q.filter.from = optarg; break;
		case 't': q.filter.to = optarg; break;
		case 'r': q.filter.rule = optarg; break;
		case 'p': q.filter.policy_id = optarg; break;
		case 'x': q.filter.transfer_id = optarg; break;
		case 'i': choice.path = optarg; break;
		case 'n': choice.none = true; break;
		case 'v':
			if (!parse_version(optarg, &q.filter.policy_version))
				return usage_error(query_usage, "--policy-version takes a number");
			q.filter.has_policy_version = true;
			break;
		case 'd':
			if (strcmp(optarg, "released") != 0 && strcmp(optarg, "refused") != 0 &&
			    strcmp(optarg, "invalid") != 0 && strcmp(optarg, "error") != 0)
				return usage_error(query_usage, "--decision takes released, refused, "
				                                "invalid or error");
			q.filter.decision = optarg;
			break;
		case 's':
		case 'u':
			if (!audit_time_bound(optarg, c == 'u',
			                      c == 's' ? q.filter.since : q.filter.until))
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
	if (choice.path != NULL && choice.none)
		return usage_error(query_usage, "--index and --no-index exclude each other");
	const char *log = argv[optind];
	struct auditindex *ix = NULL;
	int rc = index_for(log, &choice, prog, &ix);
	if (rc != 0)
		return rc;
	if (ix != NULL) {
		struct sluice_error err;
		if (auditindex_query(ix, &q.filter, on_query, &q, &err) != SLUICE_OK) {
			sluice_error_print(prog, &err);
			rc = sluice_rc_exit_code(err.rc);
		}
		auditindex_close(ix);
	} else {
		uint64_t checkpoints = 0;
		rc = for_each_record(log, prog, on_query, &q, &checkpoints);
	}
	if (rc == 0 && !q.json)
		fprintf(stderr, "%zu matching record%s\n", q.matched, q.matched == 1 ? "" : "s");
	return rc;
}

/* ---- stats ------------------------------------------------------------------------------- */

struct stats {
	json_t *decisions, *pairs, *flows, *policies, *rules, *removal_rules, *redaction_rules;
	char *first, *last;
	uint64_t records, checkpoints;
	unsigned nodes; /* logs counted */
};

static void count(json_t *obj, const char *key, uint64_t n)
{
	json_t *v = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer((v ? json_integer_value(v) : 0) + (json_int_t)n));
}

/* Both ways of counting (the log, the index) go through here, so they print alike. */
static void stats_group(void *arg, const struct auditindex_group *g)
{
	static const char *const flow_columns[] = { "released", "redacted", "refused", "invalid",
		                                    "error" };
	struct stats *s = arg;
	char pair[300], policy[200];

	s->records += g->count;
	count(s->decisions, g->decision, g->count);
	snprintf(pair, sizeof(pair), "%.140s -> %.140s", g->from, g->to);
	count(s->pairs, pair, g->count);
	json_t *flow = json_object_get(s->flows, pair);
	if (flow == NULL) {
		flow = json_object();
		for (size_t i = 0; i < sizeof(flow_columns) / sizeof(flow_columns[0]); i++)
			json_object_set_new(flow, flow_columns[i], json_integer(0));
		json_object_set_new(s->flows, pair, flow);
	}
	count(flow, g->decision, g->count);
	if (g->redacted)
		count(flow, "redacted", g->count);
	if (g->reason_rule != NULL)
		count(s->rules, g->reason_rule, g->count);
	if (g->policy_id != NULL) {
		if (g->has_policy_version)
			snprintf(policy, sizeof(policy), "%.140s version %lld", g->policy_id,
			         g->policy_version);
		else
			snprintf(policy, sizeof(policy), "%.140s", g->policy_id);
		count(s->policies, policy, g->count);
	}
}

static void stats_rule(void *arg, enum audit_rule_kind kind, const char *rule, uint64_t records)
{
	struct stats *s = arg;
	if (kind == AUDIT_RULE_REMOVAL)
		count(s->removal_rules, rule, records);
	else if (kind == AUDIT_RULE_REDACTION)
		count(s->redaction_rules, rule, records);
}

/* The index's period of one more log: the earliest first, the latest last. */
static void stats_period_merge(void *arg, const char *first, const char *last)
{
	struct stats *s = arg;
	if (first[0] != '\0' && (s->first[0] == '\0' || strcmp(first, s->first) < 0)) {
		free(s->first);
		s->first = xstrdup(first);
	}
	if (strcmp(last, s->last) > 0) {
		free(s->last);
		s->last = xstrdup(last);
	}
}

static void on_record_rule(void *arg, enum audit_rule_kind kind, const char *rule)
{
	stats_rule(arg, kind, rule, 1);
}

/* The scan's record: a group of one. */
static void on_stats(json_t *rec, const struct audit_record_view *v, void *arg)
{
	struct stats *s = arg;
	struct auditindex_group g = { v->from, v->to, v->decision, v->reason_rule, v->policy_id,
		                      v->has_policy_version, v->policy_version, v->redacted, 1 };
	stats_group(s, &g);
	audit_record_each_rule(rec, on_record_rule, s);
	/* The period ignores records without a time, as the index's does. */
	if (v->time[0] != '\0' && (s->first[0] == '\0' || strcmp(v->time, s->first) < 0)) {
		free(s->first);
		s->first = xstrdup(v->time);
	}
	if (strcmp(v->time, s->last) > 0) {
		free(s->last);
		s->last = xstrdup(v->time);
	}
}

struct key_count {
	const char *key;
	json_int_t n;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct key_count *)a)->key, ((const struct key_count *)b)->key);
}

static int by_count_then_key(const void *a, const void *b)
{
	const struct key_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* One line per key: in key order, or the `top` largest counts first (0: all). */
static void print_counts(const char *title, json_t *obj, bool by_count, size_t top)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	struct key_count *rows = xcalloc(json_object_size(obj) + 1, sizeof(*rows));
	json_object_foreach(obj, key, v) {
		rows[n].key = key;
		rows[n++].n = json_integer_value(v);
	}
	qsort(rows, n, sizeof(*rows), by_count ? by_count_then_key : by_key);
	printf("%s\n", title);
	for (size_t i = 0; i < n && (top == 0 || i < top); i++) {
		printf("  %8lld  ", (long long)rows[i].n);
		put_safe(rows[i].key);
		putchar('\n');
	}
	if (top != 0 && n > top)
		printf("  ... and %zu more (--json lists them all)\n", n - top);
	free(rows);
}

static void print_flows(json_t *flows)
{
	const char *pair;
	json_t *f;
	size_t n = 0;
	struct key_count *rows = xcalloc(json_object_size(flows) + 1, sizeof(*rows));
	json_object_foreach(flows, pair, f)
		rows[n++].key = pair;
	qsort(rows, n, sizeof(*rows), by_key);
	static const char *const columns[] = { "released", "redacted", "refused", "invalid",
		                               "error" };
	printf("%-11s", "flows");
	for (size_t k = 0; k < sizeof(columns) / sizeof(columns[0]); k++)
		printf(" %9s", columns[k]);
	printf("  (from -> to)\n");
	for (size_t i = 0; i < n; i++) {
		f = json_object_get(flows, rows[i].key);
		printf("%-11s", "");
		for (size_t k = 0; k < sizeof(columns) / sizeof(columns[0]); k++)
			printf(" %9lld", (long long)json_integer_value(json_object_get(f, columns[k])));
		fputs("  ", stdout);
		put_safe(rows[i].key);
		putchar('\n');
	}
	free(rows);
}

static void stats_print(const struct stats *s, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:I, s:I, s:s?, s:s?, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
		                      "records", (json_int_t)s->records, "checkpoints",
		                      (json_int_t)s->checkpoints, "first",
		                      s->first[0] ? s->first : NULL, "last",
		                      s->first[0] ? s->last : NULL, "decisions", s->decisions, "pairs",
		                      s->pairs, "flows", s->flows, "policies", s->policies, "rules",
		                      s->rules, "removal_rules", s->removal_rules, "redaction_rules",
		                      s->redaction_rules);
		if (o != NULL && s->nodes > 1)
			json_object_set_new(o, "logs", json_integer((json_int_t)s->nodes));
		char *text = o ? json_canonical(o) : NULL;
		if (text != NULL)
			puts(text);
		free(text);
		json_decref(o);
		return;
	}
	if (s->nodes > 1)
		printf("nodes: %u   (audit logs added up)\n", s->nodes);
	printf("records      %" PRIu64 " transfer records, %" PRIu64 " signed checkpoints\n",
	       s->records, s->checkpoints);
	if (s->first[0] != '\0') {
		fputs("period       ", stdout);
		put_safe(s->first);
		fputs(" to ", stdout);
		put_safe(s->last);
		putchar('\n');
	}
	print_counts("decisions", s->decisions, false, 0);
	print_counts("transfers (from -> to)", s->pairs, false, 0);
	print_flows(s->flows);
	print_counts("policy versions", s->policies, false, 0);
	print_counts("refusal and error rules", s->rules, true, 0);
	print_counts("removal rules (records)", s->removal_rules, true, TOP_RULES);
	print_counts("redaction rules (records)", s->redaction_rules, true, TOP_RULES);
}

static int audit_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },        { "index", required_argument, NULL, 'i' },
		{ "no-index", no_argument, NULL, 'n' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "sluice audit stats";
	struct index_choice choice = { NULL, false };
	bool json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'i': choice.path = optarg; break;
		case 'n': choice.none = true; break;
		case 'h': fputs(stats_usage, stdout); return 0;
		default:
			return usage_error(stats_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(stats_usage, "a LOG is required");
	if (choice.path != NULL && optind != argc - 1)
		return usage_error(stats_usage, "--index FILE goes with one LOG");
	if (choice.path != NULL && choice.none)
		return usage_error(stats_usage, "--index and --no-index exclude each other");

	struct stats s = {
		json_object(), json_object(), json_object(), json_object(),
		json_object(), json_object(), json_object(), xstrdup(""), xstrdup(""), 0, 0, 0,
	};
	int rc = 0;
	/* Several logs (the nodes of a cluster) add up: each is read from its own index or, without
	 * one, from the log. */
	for (int i = optind; rc == 0 && i < argc; i++) {
		const char *log = argv[i];
		struct auditindex *ix = NULL;
		rc = index_for(log, &choice, prog, &ix);
		if (rc != 0)
			break;
		s.nodes++;
		if (ix != NULL) {
			struct sluice_error err;
			struct auditindex_stats_callbacks cb = { stats_group, stats_rule, stats_period_merge,
				                                 &s };
			s.checkpoints += auditindex_status(ix)->checkpoints;
			if (auditindex_stats(ix, &cb, &err) != SLUICE_OK) {
				sluice_error_print(prog, &err);
				rc = sluice_rc_exit_code(err.rc);
			}
			auditindex_close(ix);
		} else {
			uint64_t checkpoints = 0;
			rc = for_each_record(log, prog, on_stats, &s, &checkpoints);
			s.checkpoints += checkpoints;
		}
	}
	if (rc == 0)
		stats_print(&s, json);
	json_decref(s.decisions);
	json_decref(s.pairs);
	json_decref(s.flows);
	json_decref(s.policies);
	json_decref(s.rules);
	json_decref(s.removal_rules);
	json_decref(s.redaction_rules);
	free(s.first);
	free(s.last);
	return rc;
}

/* ---- index ------------------------------------------------------------------------------- */

static int audit_index(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },   { "rebuild", no_argument, NULL, 'r' },
		{ "index", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "sluice audit index", *pub = NULL, *index_path = NULL;
	bool rebuild = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'r': rebuild = true; break;
		case 'i': index_path = optarg; break;
		case 'h': fputs(index_usage, stdout); return 0;
		default:
			return usage_error(index_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (pub == NULL || optind != argc - 1)
		return usage_error(index_usage, "--pub PUBKEY and one LOG are required (the index "
		                                "is built only from a log verified with the key)");
	const char *log = argv[optind];
	char *path = index_path_for(log, index_path);
	struct sluice_error err;
	struct auditlog_verify_result vres;
	struct auditindex_status st;
	EVP_PKEY *key = NULL;
	memset(&vres, 0, sizeof(vres));
	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = auditindex_build(log, path, key, rebuild, &st, &vres, &err);
	EVP_PKEY_free(key);
	int exit_code = 0;
	if (rc == SLUICE_OK) {
		printf("index %s: lines 1-%" PRIu64 " of %s (%" PRIu64 " transfer records, %" PRIu64
		       " checkpoints, %" PRIu64 " lines added); checkpoints verified through line "
		       "%" PRIu64 " with key %s\n",
		       path, st.lines, log, st.transfers, st.checkpoints, st.added,
		       st.verified_seq, st.key_id);
		if (st.verified_seq < st.lines)
			printf("lines %" PRIu64 "-%" PRIu64 " chain to them but are not under a signed "
			       "checkpoint yet\n",
			       st.verified_seq + 1, st.lines);
	} else if (rc == SLUICE_ERR_VERIFY && vres.bad_line > 0) {
		printf("audit log NOT intact: first bad record at line %zu: %s\n", vres.bad_line,
		       vres.why);
		fprintf(stderr, "%s: %s: %s; no index written\n", prog, log, vres.why);
		exit_code = 1;
	} else {
		sluice_error_print(prog, &err);
		exit_code = sluice_rc_exit_code(rc);
	}
	free(path);
	return exit_code;
}

int cmd_audit_query(int argc, char **argv)
{
	if (strcmp(argv[0], "query") == 0)
		return audit_query(argc, argv);
	if (strcmp(argv[0], "index") == 0)
		return audit_index(argc, argv);
	return audit_stats(argc, argv);
}
