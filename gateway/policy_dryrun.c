#include "policy_dryrun.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fileio.h"

int dryrun_policy_load(const char *prog, const char *path, struct release_context *ctx)
{
	struct sluice_error err;

	memset(ctx, 0, sizeof(*ctx));
	sluice_error_clear(&err);
	ctx->explain = true;
	enum sluice_rc rc = release_context_load_policy(ctx, path, &err);
	if (rc == SLUICE_OK)
		return 0;
	sluice_error_print(prog, &err);
	dryrun_policy_free(ctx);
	return sluice_rc_exit_code(rc == SLUICE_ERR_IO ? SLUICE_ERR_POLICY : rc);
}

void dryrun_policy_free(struct release_context *ctx)
{
	struct sluice_error err;
	/* Without an audit log release_context_close cannot fail: it only frees. */
	if (ctx->audit != NULL || release_context_close(ctx, &err) != SLUICE_OK)
		SLUICE_BUG("a dry run's context holds an audit log");
}

/* A report that could not be read is decided like release_one decides it: too large is
 * invalid, anything else an error; the exit code is that of the read's rc. */
static int decided_without_filter(enum sluice_rc rc, const struct sluice_error *err,
                                  struct release_result *result)
{
	result->decision = rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR;
	result->error = *err;
	return sluice_rc_exit_code(rc);
}

int dryrun_decide_file(const struct release_context *ctx, const char *from, const char *to,
                       const char *path, struct release_result *result)
{
	struct sluice_error err;
	uint8_t *report = NULL;
	size_t len = 0;

	release_result_init(result);
	enum sluice_rc rc = file_read_bounded(path, ctx->policy->limits.max_bytes,
	                                      SLUICE_ERR_INVALID_REPORT, &report, &len, &err);
	if (rc != SLUICE_OK)
		return decided_without_filter(rc, &err, result);
	int code = dryrun_decide_bytes(ctx, from, to, path, report, len, result);
	OPENSSL_cleanse(report, len);
	free(report);
	return code;
}

int dryrun_decide_bytes(const struct release_context *ctx, const char *from, const char *to,
                        const char *name, const uint8_t *report, size_t len,
                        struct release_result *result)
{
	struct sluice_error err;

	release_result_init(result);
	if (len > ctx->policy->limits.max_bytes) {
		enum sluice_rc rc = sluice_fail_at(&err, SLUICE_ERR_INVALID_REPORT, "limits.max-bytes",
		                                   name, 0, 0, "larger than the limit of %zu bytes",
		                                   (size_t)ctx->policy->limits.max_bytes);
		return decided_without_filter(rc, &err, result);
	}
	/* No purge step: a dry run never loads the signing key, so the child inherits none. */
	return sluice_rc_exit_code(release_decide(ctx, from, to, report, len, NULL, NULL, result));
}

size_t dryrun_redacted_total(const struct release_result *result)
{
	size_t total = 0;
	for (size_t i = 0; i < result->nredactions; i++)
		total += result->redactions[i].count;
	return total;
}

/* Sorting by rule, then by first appearance: O(n log n) however many entries the filter's
 * answer holds (it is hostile, and may hold up to FILTER_IPC_MAX_ENTRIES). */
static int by_rule_then_first(const void *a, const void *b)
{
	const struct dryrun_rule_count *x = a, *y = b;
	int c = strcmp(x->rule, y->rule);
	if (c != 0)
		return c;
	return (x->first > y->first) - (x->first < y->first);
}

static int by_first(const void *a, const void *b)
{
	const struct dryrun_rule_count *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

void dryrun_redactions_by_rule(const struct release_result *result,
                               struct dryrun_rule_count **out, size_t *n)
{
	struct dryrun_rule_count *rc = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (result->nredactions == 0)
		return;
	rc = xcalloc(result->nredactions, sizeof(*rc));
	for (size_t i = 0; i < result->nredactions; i++) {
		rc[i].rule = result->redactions[i].rule;
		rc[i].count = result->redactions[i].count;
		rc[i].first = i;
	}
	qsort(rc, result->nredactions, sizeof(*rc), by_rule_then_first);
	for (size_t i = 0; i < result->nredactions; i++) {
		if (count > 0 && strcmp(rc[count - 1].rule, rc[i].rule) == 0) {
			rc[count - 1].count += rc[i].count;
			continue;
		}
		rc[count++] = rc[i];
	}
	qsort(rc, count, sizeof(*rc), by_first);
	*out = rc;
	*n = count;
}

void dryrun_print_safe(FILE *f, const char *s)
{
	if (s == NULL) {
		fputc('-', f);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}
