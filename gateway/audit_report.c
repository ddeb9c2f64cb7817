/*
 * The oversight report: figures from the audit log, and the HTML page that shows them
 * (audit_report.h). Every string that comes from the log goes through html_escape_put.
 */
#include "audit_report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys.h"

#define CELL_CHARS 200        /* of a string from the log in a table cell */
#define LABEL_CHARS 48        /* in a chart or its legend */
#define TABLE_ROWS_MAX 1000   /* more rows are counted, not listed */
#define CHART_BARS_MAX 20     /* bars of a bar chart: the largest ones */
#define CHART_SERIES 8        /* flows drawn in their own colour; the rest are "other flows" */

static const char *const decision_names[REPORT_NDECISIONS] = {
	"released", "refused", "invalid", "error", "other",
};

/* Okabe-Ito: told apart with the common colour-vision deficiencies. */
static const char *const series_colours[CHART_SERIES] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
};
#define OTHER_COLOUR "#999999"

enum report_decision report_decision_of(const char *decision)
{
	for (int d = 0; d < REPORT_OTHER; d++)
		if (strcmp(decision, decision_names[d]) == 0)
			return (enum report_decision)d;
	return REPORT_OTHER;
}

/* ---------------------------------------------------------------------------------------- */
/* Rows found by key                                                                        */

static void rows_init(struct report_rows *t)
{
	memset(t, 0, sizeof(*t));
	t->index = json_object();
	if (t->index == NULL)
		abort(); /* out of memory, as xmalloc */
}

/* The compact JSON of the array `parts` (taken): a key no separator character can forge. */
static char *key_of(json_t *parts)
{
	char *key = parts ? json_dumps(parts, JSON_COMPACT) : NULL;
	json_decref(parts);
	if (key == NULL)
		abort(); /* out of memory, as xmalloc */
	return key;
}

/* The row whose key is the array `key_parts` (taken), new and zeroed when there was none. */
static void *rows_get(struct report_rows *t, json_t *key_parts, size_t size, bool *added)
{
	char *key = key_of(key_parts);
	json_t *at = json_object_get(t->index, key);
	*added = at == NULL;
	if (at != NULL) {
		free(key);
		return t->row[json_integer_value(at)];
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->row = xrealloc(t->row, t->cap * sizeof(*t->row));
	}
	void *row = xcalloc(1, size);
	t->row[t->n] = row;
	json_object_set_new(t->index, key, json_integer((json_int_t)t->n));
	t->n++;
	free(key);
	return row;
}

static void rows_free(struct report_rows *t, void (*free_row)(void *))
{
	for (size_t i = 0; i < t->n; i++) {
		free_row(t->row[i]);
		free(t->row[i]);
	}
	free(t->row);
	json_decref(t->index);
	memset(t, 0, sizeof(*t));
}

static void flow_day_free(void *p)
{
	struct report_flow_day *f = p;
	free(f->day);
	free(f->from);
	free(f->to);
}

static void rule_free(void *p)
{
	free(((struct report_rule *)p)->rule);
}

static void policy_free_row(void *p)
{
	struct report_policy *pol = p;
	free(pol->id);
	free(pol->sha256);
	free(pol->bundle_sha256);
}

void audit_report_init(struct audit_report *r)
{
	memset(r, 0, sizeof(*r));
	rows_init(&r->flow_days);
	rows_init(&r->refusals);
	rows_init(&r->redactions);
	rows_init(&r->withheld);
	rows_init(&r->policies);
}

void audit_report_free(struct audit_report *r)
{
	rows_free(&r->flow_days, flow_day_free);
	rows_free(&r->refusals, rule_free);
	rows_free(&r->redactions, rule_free);
	rows_free(&r->withheld, rule_free);
	rows_free(&r->policies, policy_free_row);
}

/* ---------------------------------------------------------------------------------------- */
/* Counting                                                                                 */

static const char *str_member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static size_t add_saturating(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* A hostile log may hold any integer: negative counts count as none. */
static size_t nonnegative(const json_t *v)
{
	json_int_t i = json_integer_value(v);
	return i > 0 ? (size_t)i : 0;
}

static struct report_rule *rule_row(struct report_rows *t, const char *rule, size_t record)
{
	bool added;
	struct report_rule *row = rows_get(t, json_pack("[s]", rule), sizeof(*row), &added);
	if (added)
		row->rule = xstrdup(rule);
	if (row->last_record != record) {
		row->last_record = record;
		row->transfers++;
	}
	return row;
}

/* Each element of the array `items` names a rule: count it (with `count`, or 1 each). */
static void count_rules(struct report_rows *t, const json_t *items, const char *count_key,
                        size_t record)
{
	size_t i;
	const json_t *item;
	json_array_foreach(items, i, item) {
		const char *rule = json_string_value(json_object_get(item, "rule"));
		struct report_rule *row = rule_row(t, rule ? rule : "(no rule)", record);
		size_t n = count_key ? nonnegative(json_object_get(item, count_key)) : 1;
		row->items = add_saturating(row->items, n);
	}
}

static void count_policy(struct audit_report *r, const json_t *policy, const char *time)
{
	const char *id = str_member(policy, "id");
	const char *sha = str_member(policy, "sha256"), *bundle = str_member(policy, "bundle_sha256");
	json_int_t version = json_integer_value(json_object_get(policy, "version"));
	bool added;
	struct report_policy *p = rows_get(&r->policies, json_pack("[sIss]", id, version, sha, bundle),
	                                   sizeof(*p), &added);
	if (added) {
		p->id = xstrdup(id);
		p->version = (long long)version;
		p->sha256 = xstrdup(sha);
		p->bundle_sha256 = xstrdup(bundle);
		p->signers = json_array_size(json_object_get(policy, "signers"));
	}
	p->transfers++;
	if (audit_time_valid(time)) {
		if (p->first[0] == '\0' || strcmp(time, p->first) < 0)
			memcpy(p->first, time, AUDIT_TIME_LEN);
		if (strcmp(time, p->last) > 0)
			memcpy(p->last, time, AUDIT_TIME_LEN);
	}
}

static bool in_period(const struct audit_report *r, const char *time)
{
	if (r->since[0] == '\0' && r->until[0] == '\0')
		return true;
	return audit_time_valid(time) && (r->since[0] == '\0' || strcmp(time, r->since) >= 0) &&
	       (r->until[0] == '\0' || strcmp(time, r->until) <= 0);
}

static void add_record(struct audit_report *r, const json_t *rec)
{
	const char *time = str_member(rec, "time");
	if (!in_period(r, time))
		return;
	size_t record = ++r->records;
	enum report_decision d = report_decision_of(str_member(rec, "decision"));
	r->n[d]++;
	bool timed = audit_time_valid(time);
	if (timed && (r->first[0] == '\0' || strcmp(time, r->first) < 0))
		memcpy(r->first, time, AUDIT_TIME_LEN);
	if (timed && strcmp(time, r->last) > 0)
		memcpy(r->last, time, AUDIT_TIME_LEN);

	char day[16];
	snprintf(day, sizeof(day), "%.10s", timed ? time : "(no time)");
	const char *from = str_member(rec, "from"), *to = str_member(rec, "to");
	bool added;
	struct report_flow_day *fd = rows_get(&r->flow_days, json_pack("[sss]", day, from, to),
	                                      sizeof(*fd), &added);
	if (added) {
		fd->day = xstrdup(day);
		fd->from = xstrdup(from);
		fd->to = xstrdup(to);
	}
	fd->n[d]++;

	if (d != REPORT_RELEASED) {
		const char *rule = json_string_value(json_object_get(json_object_get(rec, "reason"),
		                                                     "rule"));
		struct report_rule *row = rule_row(&r->refusals, rule ? rule : "(no rule)", record);
		row->n[d]++;
		row->items++;
	}
	count_rules(&r->redactions, json_object_get(rec, "redactions"), "count", record);
	count_rules(&r->withheld, json_object_get(rec, "removals"), NULL, record);
	count_policy(r, json_object_get(rec, "policy"), time);
}

/* Lines before this one are vouched for by verification (its checkpoints are good). */
static size_t verified_below(const struct audit_report *r)
{
	switch (r->verification) {
	case REPORT_VERIFIED: return SIZE_MAX;
	case REPORT_VERIFY_FAILED: return r->verify.bad_line;
	case REPORT_NOT_VERIFIED: break;
	}
	return 0;
}

static void note_checkpoint(struct audit_report *r, const struct audit_entry *line)
{
	const json_t *j = line->json;
	struct report_checkpoint *cp = &r->last_good;
	r->checkpoints++;
	if (line->number >= verified_below(r))
		return;
	memset(cp, 0, sizeof(*cp));
	cp->line = line->number;
	cp->seq = nonnegative(json_object_get(j, "seq"));
	cp->records = nonnegative(json_object_get(j, "records"));
	snprintf(cp->time, sizeof(cp->time), "%s", str_member(j, "time"));
	snprintf(cp->key_id, sizeof(cp->key_id), "%s", str_member(j, "key_id"));
	/* A signed tree head (audit/README.md): its size is the checkpoint's "records". */
	const json_t *root = json_object_get(j, "root");
	if (json_is_string(root)) {
		cp->has_tree_head = true;
		cp->tree_size = (long long)cp->records;
		snprintf(cp->root, sizeof(cp->root), "%s", json_string_value(root));
	}
	r->has_last_good = true;
	r->covered_records = r->records;
}

void audit_report_add_line(struct audit_report *r, const struct audit_entry *line)
{
	r->lines++;
	switch (line->kind) {
	case AUDIT_ENTRY_TRANSFER:
		r->transfer_lines++;
		add_record(r, line->record);
		break;
	case AUDIT_ENTRY_CHECKPOINT:
		note_checkpoint(r, line);
		break;
	case AUDIT_ENTRY_BAD:
		if (r->bad_lines++ == 0) {
			r->first_bad_line = line->number;
			r->first_bad_why = line->why;
		}
		break;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Escaping                                                                                 */

/* The code point at `p` and its length in bytes; U+FFFD and 1 for a byte that does not start
 * a well-formed UTF-8 sequence (overlong forms, surrogates and values past U+10FFFF too). */
static uint32_t utf8_next(const unsigned char *p, size_t *len)
{
	static const uint32_t min_of_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
	         : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	*len = 1;
	if (n == 0)
		return 0xfffd;
	uint32_t cp = n == 1 ? p[0] : p[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min_of_len[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*len = n;
	return cp;
}

/* Characters that could make a name read as another or hide text: controls, and the
 * bidirectional marks, embeddings, overrides and isolates. */
static bool hidden_char(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c;
}

void html_escape_put(FILE *out, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t chars = 0; *p != '\0'; chars++) {
		if (chars == max_chars) {
			fputs("\u2026", out);
			return;
		}
		size_t len;
		uint32_t cp = utf8_next(p, &len);
		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (hidden_char(cp) || cp == 0xfffd)
				fputs("\ufffd", out);
			else
				fwrite(p, 1, len, out);
		}
		p += len;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Page pieces                                                                              */

static void esc(FILE *out, const char *s)
{
	html_escape_put(out, s, CELL_CHARS);
}

/* A domain for display: the refused-reload records of the supervisor have none. */
static const char *domain_shown(const char *d)
{
	return d[0] ? d : "(none)";
}

static void cell_text(FILE *out, const char *s)
{
	fputs("<td>", out);
	esc(out, s);
	fputs("</td>", out);
}

static void cell_code(FILE *out, const char *s)
{
	fputs("<td class=\"mono\">", out);
	esc(out, s);
	fputs("</td>", out);
}

static void cell_num(FILE *out, size_t n)
{
	fprintf(out, "<td class=\"n\">%zu</td>", n);
}

static size_t sum(const size_t n[REPORT_NDECISIONS])
{
	size_t t = 0;
	for (int d = 0; d < REPORT_NDECISIONS; d++)
		t = add_saturating(t, n[d]);
	return t;
}

static void table_more(FILE *out, size_t shown, size_t total, int columns)
{
	if (shown < total)
		fprintf(out, "<tr><td colspan=\"%d\" class=\"note\">%zu more rows not listed: ask "
		             "<code>sluice audit query</code></td></tr>",
		        columns, total - shown);
}

/* The decision columns from `first` on ("Other" only when some record has a decision the
 * gateway never writes), then "Total", as headers or as the cells of one row. */
static void decision_headers(FILE *out, int first, bool other)
{
	static const char *const titles[REPORT_NDECISIONS] = {
		"Released", "Refused", "Invalid", "Error", "Other",
	};
	for (int d = first; d < REPORT_NDECISIONS; d++)
		if (d != REPORT_OTHER || other)
			fprintf(out, "<th>%s</th>", titles[d]);
	fputs("<th>Total</th></tr>", out);
}

static void decision_cells(FILE *out, const size_t n[REPORT_NDECISIONS], int first, bool other,
                           size_t total)
{
	for (int d = first; d < REPORT_NDECISIONS; d++)
		if (d != REPORT_OTHER || other)
			cell_num(out, n[d]);
	cell_num(out, total);
	fputs("</tr>", out);
}

/* ---- sorting ---- */

static int by_day_flow(const void *a, const void *b)
{
	const struct report_flow_day *x = *(const void *const *)a, *y = *(const void *const *)b;
	int c = strcmp(x->day, y->day);
	if (c == 0)
		c = strcmp(x->from, y->from);
	return c ? c : strcmp(x->to, y->to);
}

static size_t rule_weight(const struct report_rule *r)
{
	return r->items;
}

static int by_weight_then_rule(const void *a, const void *b)
{
	const struct report_rule *x = *(const void *const *)a, *y = *(const void *const *)b;
	if (rule_weight(x) != rule_weight(y))
		return rule_weight(x) > rule_weight(y) ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

static int by_first_use(const void *a, const void *b)
{
	const struct report_policy *x = *(const void *const *)a, *y = *(const void *const *)b;
	int c = strcmp(x->first, y->first);
	if (c == 0)
		c = strcmp(x->id, y->id);
	return c ? c : (x->version > y->version) - (x->version < y->version);
}

/* A sorted copy of the rows (the rows themselves stay in the order they were found). */
static void **sorted_rows(const struct report_rows *t, int (*cmp)(const void *, const void *))
{
	void **copy = xcalloc(t->n + 1, sizeof(*copy));
	if (t->n > 0)
		memcpy(copy, t->row, t->n * sizeof(*copy));
	qsort(copy, t->n, sizeof(*copy), cmp);
	return copy;
}

/* ---- charts ---- */

struct flow_series {
	const char *from, *to;
	size_t total;
};

static int by_total_then_name(const void *a, const void *b)
{
	const struct flow_series *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	int c = strcmp(x->from, y->from);
	return c ? c : strcmp(x->to, y->to);
}

static void svg_open(FILE *out, int width, int height, const char *label)
{
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	             "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
	        width, height, width, height, label);
}

static void flow_name(FILE *out, const char *from, const char *to)
{
	html_escape_put(out, domain_shown(from), LABEL_CHARS / 2);
	fputs(" \u2192 ", out);
	html_escape_put(out, domain_shown(to), LABEL_CHARS / 2);
}

/* Stacked bars: one per day, a colour per flow (the CHART_SERIES largest; the rest grey). */
static void chart_flows_per_day(FILE *out, const struct audit_report *r, void **rows)
{
	size_t n = r->flow_days.n, ndays = 0, nflows = 0;
	if (n == 0) {
		fputs("<p class=\"note\">No transfer records in this period.</p>", out);
		return;
	}
	struct flow_series *flows = xcalloc(n, sizeof(*flows));
	json_t *flow_index = json_object();
	for (size_t i = 0; i < n; i++) {
		const struct report_flow_day *fd = rows[i];
		if (i == 0 || strcmp(fd->day, ((const struct report_flow_day *)rows[i - 1])->day))
			ndays++;
		char *key = key_of(json_pack("[ss]", fd->from, fd->to));
		json_t *at = json_object_get(flow_index, key);
		size_t k = at ? (size_t)json_integer_value(at) : nflows;
		if (at == NULL) {
			json_object_set_new(flow_index, key, json_integer((json_int_t)nflows));
			flows[nflows++] = (struct flow_series){ fd->from, fd->to, 0 };
		}
		free(key);
		flows[k].total = add_saturating(flows[k].total, sum(fd->n));
	}
	json_decref(flow_index);
	qsort(flows, nflows, sizeof(*flows), by_total_then_name);
	size_t nseries = nflows < CHART_SERIES ? nflows : CHART_SERIES;

	/* per day, per series (the last slot is "other flows") */
	size_t *v = xcalloc(ndays * (CHART_SERIES + 1), sizeof(*v));
	const char **day_names = xcalloc(ndays, sizeof(*day_names));
	size_t day = 0, max_day = 1;
	for (size_t i = 0; i < n; i++) {
		const struct report_flow_day *fd = rows[i];
		if (i > 0 && strcmp(fd->day, day_names[day]) != 0)
			day++;
		day_names[day] = fd->day;
		size_t s = CHART_SERIES;
		for (size_t k = 0; k < nseries; k++)
			if (strcmp(flows[k].from, fd->from) == 0 && strcmp(flows[k].to, fd->to) == 0)
				s = k;
		v[day * (CHART_SERIES + 1) + s] += sum(fd->n);
	}
	for (size_t d = 0; d < ndays; d++) {
		size_t t = 0;
		for (size_t s = 0; s <= CHART_SERIES; s++)
			t += v[d * (CHART_SERIES + 1) + s];
		if (t > max_day)
			max_day = t;
	}

	const int left = 60, top = 10, plot_w = 920, plot_h = 200;
	bool other = nflows > nseries;
	size_t legend_items = nseries + (other ? 1 : 0), legend_rows = (legend_items + 2) / 3;
	int height = top + plot_h + 30 + (int)legend_rows * 18 + 10;
	svg_open(out, left + plot_w + 20, height, "Transfers per flow per day");
	/* axis with three ticks */
	for (int t = 0; t <= 2; t++) {
		size_t value = max_day * (size_t)t / 2;
		double y = top + plot_h - (double)plot_h * (double)value / (double)max_day;
		fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		             "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%zu</text>",
		        left, y, left + plot_w, y, left - 6, y + 4, value);
	}
	/* a few days' bars are kept narrow enough to read as bars */
	double slot = (double)plot_w / (double)ndays, bar = slot > 3 ? slot * 0.8 : slot;
	if (bar > 60)
		bar = 60;
	size_t label_every = (ndays + 11) / 12;
	for (size_t d = 0; d < ndays; d++) {
		double x = left + slot * (double)d + (slot - bar) / 2, y = top + plot_h;
		for (size_t s = 0; s <= CHART_SERIES; s++) {
			size_t value = v[d * (CHART_SERIES + 1) + s];
			if (value == 0)
				continue;
			double h = (double)plot_h * (double)value / (double)max_day;
			y -= h;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			             "fill=\"%s\"><title>",
			        x, y, bar, h, s < CHART_SERIES ? series_colours[s] : OTHER_COLOUR);
			esc(out, day_names[d]);
			fputs(" ", out);
			if (s < CHART_SERIES)
				flow_name(out, flows[s].from, flows[s].to);
			else
				fputs("other flows", out);
			fprintf(out, ": %zu</title></rect>", value);
		}
		if (d % label_every == 0) {
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			        left + slot * ((double)d + 0.5), top + plot_h + 16);
			esc(out, day_names[d]);
			fputs("</text>", out);
		}
	}
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#222\"/>", left,
	        top + plot_h, left + plot_w, top + plot_h);
	for (size_t k = 0; k < legend_items; k++) {
		int x = left + (int)(k % 3) * 310, y = top + plot_h + 30 + (int)(k / 3) * 18;
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		             "<text x=\"%d\" y=\"%d\">",
		        x, y, k < nseries ? series_colours[k] : OTHER_COLOUR, x + 18, y + 10);
		if (k < nseries)
			flow_name(out, flows[k].from, flows[k].to);
		else
			fprintf(out, "%zu other flows", nflows - nseries);
		fputs("</text>", out);
	}
	fputs("</svg>", out);
	free(day_names);
	free(v);
	free(flows);
}

/* Horizontal bars, the largest CHART_BARS_MAX of `rows` (sorted largest first). */
static void chart_bars(FILE *out, void **rows, size_t n, const char *label, const char *colour)
{
	if (n == 0)
		return;
	size_t bars = n < CHART_BARS_MAX ? n : CHART_BARS_MAX;
	size_t max = rule_weight(rows[0]) ? rule_weight(rows[0]) : 1;
	const int label_w = 330, plot_w = 560, row_h = 20;
	svg_open(out, label_w + plot_w + 80, (int)bars * row_h + 10, label);
	for (size_t i = 0; i < bars; i++) {
		const struct report_rule *row = rows[i];
		int y = 5 + (int)i * row_h;
		double w = (double)plot_w * (double)row->items / (double)max;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 13);
		html_escape_put(out, row->rule, LABEL_CHARS);
		fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
		             "<title>",
		        label_w, y + 2, w < 1 ? 1 : w, row_h - 6, colour);
		esc(out, row->rule);
		fprintf(out, ": %zu</title></rect><text x=\"%.1f\" y=\"%d\">%zu</text>", row->items,
		        label_w + (w < 1 ? 1 : w) + 6, y + 13, row->items);
	}
	fputs("</svg>", out);
	if (n > bars)
		fprintf(out, "<p class=\"note\">The chart shows the %zu largest of %zu; the table lists "
		             "them all.</p>",
		        bars, n);
}

static time_t utc_seconds(const char *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!audit_time_valid(t) ||
	    sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* One row per policy version: a bar from its first to its last use, on the log's time axis. */
static void chart_policy_timeline(FILE *out, const struct audit_report *r, void **rows, size_t n)
{
	time_t start = utc_seconds(r->first), end = utc_seconds(r->last);
	if (n == 0 || start == (time_t)-1 || end == (time_t)-1)
		return;
	size_t bars = n < CHART_BARS_MAX ? n : CHART_BARS_MAX;
	double span = end > start ? (double)(end - start) : 1;
	const int label_w = 250, plot_w = 650, row_h = 22;
	svg_open(out, label_w + plot_w + 20, (int)bars * row_h + 30, "Policy versions over time");
	for (size_t i = 0; i < bars; i++) {
		const struct report_policy *p = rows[i];
		time_t a = utc_seconds(p->first), b = utc_seconds(p->last);
		int y = 5 + (int)i * row_h;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 14);
		html_escape_put(out, p->id, LABEL_CHARS / 2);
		fprintf(out, " v%lld</text>", p->version);
		if (a == (time_t)-1 || b == (time_t)-1)
			continue;
		double x = label_w + plot_w * (double)(a - start) / span;
		double w = plot_w * (double)(b - a) / span;
		fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
		             "<title>",
		        x, y + 3, w < 3 ? 3 : w, row_h - 8, series_colours[i % CHART_SERIES]);
		esc(out, p->id);
		fprintf(out, " v%lld: %zu transfers, %s to %s</title></rect>", p->version, p->transfers,
		        p->first, p->last);
	}
	int axis_y = 5 + (int)bars * row_h + 14;
	fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
	             "text-anchor=\"end\">%s</text></svg>",
	        label_w, axis_y, r->first, label_w + plot_w, axis_y, r->last);
}

/* ---- sections ---- */

static const char page_style[] =
	"body{font-family:sans-serif;margin:2em auto;padding:0 1em;color:#222;background:#fff;"
	"max-width:1100px}"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:0.5em 0}"
	"th,td{border:1px solid #bbb;padding:2px 8px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".status{padding:0.8em 1em;border:3px solid;margin:1em 0}"
	".status p{margin:0.3em 0}.status .headline{font-size:1.25em;font-weight:bold}"
	".verified{border-color:#1a7f37;background:#e6f4ea}"
	".failed{border-color:#b42318;background:#fdecea}"
	".not-verified{border-color:#9a6700;background:#fff8e1}"
	"svg{display:block;margin:0.5em 0}svg text{font-family:sans-serif;font-size:11px;"
	"fill:#222}"
	".mono,code{font-family:monospace;word-break:break-all}"
	".note{color:#555;font-size:0.9em}";

static void checkpoint_description(FILE *out, const struct report_checkpoint *cp)
{
	fprintf(out, "the signed checkpoint at line %zu (seq %zu), covering <span id=\"covered\">"
	             "%zu</span> transfer records, written at ",
	        cp->line, cp->seq, cp->records);
	esc(out, cp->time);
	if (cp->has_tree_head) {
		fprintf(out, ", tree size %lld, root <code>", cp->tree_size);
		esc(out, cp->root);
		fputs("</code>", out);
	}
}

static void section_status(FILE *out, const struct audit_report *r)
{
	static const char *const classes[] = { "not-verified", "verified", "failed" };
	fprintf(out, "<section id=\"status\" class=\"status %s\" data-state=\"%s\">",
	        classes[r->verification], classes[r->verification]);
	switch (r->verification) {
	case REPORT_NOT_VERIFIED:
		fputs("<p class=\"headline\">Not verified</p><p>No public key was given, so the chain "
		      "and the signatures were not checked: the figures are the log as it is. Make "
		      "this report with <code>--pub KEY</code>, or run <code>sluice audit verify "
		      "--pub KEY LOG</code>.</p>",
		      out);
		break;
	case REPORT_VERIFIED:
		fprintf(out, "<p class=\"headline\">Verified: the log is intact</p><p>%zu lines, %zu "
		             "transfer records, %zu signed checkpoints, every one signed by key "
		             "<code>",
		        r->verify.lines, r->verify.transfers, r->verify.checkpoints);
		esc(out, r->key_id);
		fputs("</code>.</p>", out);
		if (r->has_last_good) {
			fputs("<p>The log verifies up to ", out);
			checkpoint_description(out, &r->last_good);
			fputs(".</p>", out);
		}
		break;
	case REPORT_VERIFY_FAILED:
		fprintf(out, "<p class=\"headline\">NOT VERIFIED: line <span id=\"bad-line\">%zu"
		             "</span> is bad</p><p class=\"mono\">",
		        r->verify.bad_line);
		esc(out, r->verify.why);
		fputs("</p><p>", out);
		if (r->has_last_good) {
			fputs("The log verifies up to ", out);
			checkpoint_description(out, &r->last_good);
			fputs(". ", out);
		} else {
			fputs("No signed checkpoint verifies before the bad line: nothing in this log is "
			      "verified. ",
			      out);
		}
		fprintf(out, "<strong>The figures below include %zu transfer records that no verified "
		             "checkpoint covers.</strong></p>",
		        r->records - r->covered_records);
		break;
	}
	if (r->bad_lines > 0)
		fprintf(out, "<p><strong>%zu lines are not audit records</strong> and are left out of "
		             "the figures; the first is line %zu (%s).</p>",
		        r->bad_lines, r->first_bad_line, r->first_bad_why);
	fputs("</section>", out);
}

static void section_summary(FILE *out, const struct audit_report *r, const char *log_name)
{
	fputs("<h2>Summary</h2><table id=\"summary\"><tr><th>Audit log</th>", out);
	cell_code(out, log_name);
	fputs("</tr><tr><th>Period of the records</th><td>", out);
	if (r->records > 0 && r->first[0]) {
		esc(out, r->first);
		fputs(" to ", out);
		esc(out, r->last);
	} else {
		fputs("(no records)", out);
	}
	fputs("</td></tr>", out);
	if (r->since[0] || r->until[0]) {
		fputs("<tr><th>Limited to</th><td>", out);
		esc(out, r->since[0] ? r->since : "the start");
		fputs(" to ", out);
		esc(out, r->until[0] ? r->until : "the end");
		fputs("</td></tr>", out);
	}
	fprintf(out, "<tr><th>Transfer records</th><td class=\"n\" id=\"records-total\">%zu</td>"
	             "</tr>",
	        r->records);
	for (int d = 0; d < REPORT_NDECISIONS; d++)
		if (d != REPORT_OTHER || r->n[d] > 0)
			fprintf(out, "<tr><th>%s</th><td class=\"n\" id=\"records-%s\">%zu</td></tr>",
			        decision_names[d], decision_names[d], r->n[d]);
	fprintf(out, "<tr><th>Lines in the log</th><td class=\"n\">%zu</td></tr><tr><th>Checkpoint "
	             "lines</th><td class=\"n\">%zu</td></tr></table>",
	        r->lines, r->checkpoints);
}

static void section_flows(FILE *out, const struct audit_report *r)
{
	void **rows = sorted_rows(&r->flow_days, by_day_flow);
	bool other = r->n[REPORT_OTHER] > 0;
	fputs("<h2>Transfers per flow per day</h2>", out);
	chart_flows_per_day(out, r, rows);
	fputs("<table id=\"flows\"><tr><th>Day (UTC)</th><th>From</th><th>To</th>", out);
	decision_headers(out, REPORT_RELEASED, other);
	size_t shown = r->flow_days.n < TABLE_ROWS_MAX ? r->flow_days.n : TABLE_ROWS_MAX;
	for (size_t i = 0; i < shown; i++) {
		const struct report_flow_day *fd = rows[i];
		fputs("<tr>", out);
		cell_text(out, fd->day);
		cell_text(out, domain_shown(fd->from));
		cell_text(out, domain_shown(fd->to));
		decision_cells(out, fd->n, REPORT_RELEASED, other, sum(fd->n));
	}
	table_more(out, shown, r->flow_days.n, other ? 9 : 8);
	fputs("</table>", out);
	free(rows);
}

static void section_refusals(FILE *out, const struct audit_report *r)
{
	void **rows = sorted_rows(&r->refusals, by_weight_then_rule);
	bool other = r->n[REPORT_OTHER] > 0;
	fputs("<h2>Refusals by reason</h2><p class=\"note\">Every decision other than a release, "
	      "by the rule that made it.</p>",
	      out);
	chart_bars(out, rows, r->refusals.n, "Refusals by reason", "#D55E00");
	fputs("<table id=\"refusals\"><tr><th>Rule</th>", out);
	decision_headers(out, REPORT_REFUSED, other);
	size_t shown = r->refusals.n < TABLE_ROWS_MAX ? r->refusals.n : TABLE_ROWS_MAX;
	for (size_t i = 0; i < shown; i++) {
		const struct report_rule *row = rows[i];
		fputs("<tr>", out);
		cell_code(out, row->rule);
		decision_cells(out, row->n, REPORT_REFUSED, other, row->items);
	}
	table_more(out, shown, r->refusals.n, other ? 6 : 5);
	fputs("</table>", out);
	free(rows);
}

/* Redactions and withheld portions: a rule, how many items, in how many transfers. */
static void section_rules(FILE *out, const struct report_rows *t, const char *id,
                          const char *title, const char *intro, const char *items,
                          const char *colour)
{
	void **rows = sorted_rows(t, by_weight_then_rule);
	fprintf(out, "<h2>%s</h2><p class=\"note\">%s</p>", title, intro);
	chart_bars(out, rows, t->n, title, colour);
	fprintf(out, "<table id=\"%s\"><tr><th>Rule</th><th>%s</th><th>Transfers</th></tr>", id,
	        items);
	size_t shown = t->n < TABLE_ROWS_MAX ? t->n : TABLE_ROWS_MAX;
	for (size_t i = 0; i < shown; i++) {
		const struct report_rule *row = rows[i];
		fputs("<tr>", out);
		cell_code(out, row->rule);
		cell_num(out, row->items);
		cell_num(out, row->transfers);
		fputs("</tr>", out);
	}
	table_more(out, shown, t->n, 3);
	fputs("</table>", out);
	free(rows);
}

static void section_policies(FILE *out, const struct audit_report *r)
{
	void **rows = sorted_rows(&r->policies, by_first_use);
	fputs("<h2>Policy versions over time</h2><p class=\"note\">Each policy version the records "
	      "name, from its first to its last use in this period. <code>sha256</code> is the "
	      "policy file's, <code>bundle</code> covers it with its word lists and schema "
	      "(OVERSIGHT.md).</p>",
	      out);
	chart_policy_timeline(out, r, rows, r->policies.n);
	fputs("<table id=\"policies\"><tr><th>Policy</th><th>Version</th><th>sha256</th>"
	      "<th>bundle</th><th>Signers</th><th>First used</th><th>Last used</th>"
	      "<th>Transfers</th></tr>",
	      out);
	size_t shown = r->policies.n < TABLE_ROWS_MAX ? r->policies.n : TABLE_ROWS_MAX;
	for (size_t i = 0; i < shown; i++) {
		const struct report_policy *p = rows[i];
		fputs("<tr>", out);
		cell_text(out, p->id);
		fprintf(out, "<td class=\"n\">%lld</td>", p->version);
		cell_code(out, p->sha256);
		cell_code(out, p->bundle_sha256);
		cell_num(out, p->signers);
		cell_text(out, p->first);
		cell_text(out, p->last);
		cell_num(out, p->transfers);
		fputs("</tr>", out);
	}
	table_more(out, shown, r->policies.n, 8);
	fputs("</table>", out);
	free(rows);
}

void audit_report_write_html(FILE *out, const struct audit_report *r, const char *log_name,
                             const char *generated_at)
{
	uint8_t digest[32];
	sha256_bytes(page_style, strlen(page_style), digest);
	char *style_hash = base64_encode(digest, sizeof(digest));
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	             "style-src 'sha256-%s'; img-src data:; base-uri 'none'; form-action 'none'\">"
	             "<meta name=\"referrer\" content=\"no-referrer\">"
	             "<meta name=\"viewport\" content=\"width=device-width\">"
	             "<title>Sluice audit report</title><style>%s</style></head><body>",
	        style_hash, page_style);
	free(style_hash);
	fputs("<h1>Sluice audit report</h1><p class=\"note\">Generated at ", out);
	esc(out, generated_at);
	fputs(" by <code>sluice audit report</code> from the audit log below. The signed log is "
	      "the authority: this page only summarises it, and shows no report content (the log "
	      "holds none).</p>",
	      out);
	section_status(out, r);
	section_summary(out, r, log_name);
	section_flows(out, r);
	section_refusals(out, r);
	section_rules(out, &r->redactions, "redactions", "Redactions by rule",
	              "Text replaced in released reports, by word list or pattern: replacements, and "
	              "the transfers they were made in.",
	              "Replacements", "#0072B2");
	section_rules(out, &r->withheld, "withheld", "Withheld portions by rule",
	              "Portions removed from released reports, by the rule that removed them.",
	              "Portions", "#CC79A7");
	section_policies(out, r);
	fputs("</body></html>\n", out);
}
