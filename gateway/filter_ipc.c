#include "filter_ipc.h"

#include <stdlib.h>
#include <string.h>

int filter_ipc_encode(const struct release_result *r, struct sbuf *b)
{
	if (sbuf_put_u32(b, FILTER_IPC_MAGIC) || sbuf_put_u32(b, (uint32_t)r->decision) ||
	    sbuf_put_cstring(b, r->error.rule) || sbuf_put_cstring(b, r->error.message) ||
	    sbuf_put_u32(b, r->error.line))
		return -1;
	if (sbuf_put_u32(b, (uint32_t)r->nremovals))
		return -1;
	for (size_t i = 0; i < r->nremovals; i++)
		if (sbuf_put_cstring(b, r->removals[i].location) ||
		    sbuf_put_u32(b, r->removals[i].line) || sbuf_put_cstring(b, r->removals[i].rule))
			return -1;
	if (sbuf_put_u32(b, (uint32_t)r->nredactions))
		return -1;
	for (size_t i = 0; i < r->nredactions; i++)
		if (sbuf_put_cstring(b, r->redactions[i].location) ||
		    sbuf_put_cstring(b, r->redactions[i].rule) ||
		    sbuf_put_u32(b, r->redactions[i].count))
			return -1;
	if (sbuf_put_u32(b, (uint32_t)r->nportions))
		return -1;
	for (size_t i = 0; i < r->nportions; i++)
		if (sbuf_put_cstring(b, r->portions[i].location) ||
		    sbuf_put_u32(b, r->portions[i].line) || sbuf_put_cstring(b, r->portions[i].label) ||
		    sbuf_put_u32(b, r->portions[i].withheld ? 1 : 0))
			return -1;
	if (sbuf_put_cstring(b, r->banner_before ? r->banner_before : "") ||
	    sbuf_put_cstring(b, r->banner) ||
	    sbuf_put_cstring(b, r->source_banner ? r->source_banner : "") ||
	    sbuf_put_string(b, r->signed_info, r->signed_info_len) ||
	    sbuf_put_string(b, r->output, r->outlen))
		return -1;
	return 0;
}

static enum sluice_rc malformed(struct sluice_error *err, const char *what)
{
	return sluice_fail(err, SLUICE_ERR_INTERNAL, "filter.message",
	                   "malformed message from the filter process: %s", what);
}

enum sluice_rc filter_ipc_decode(const uint8_t *p, size_t len, size_t max_output,
                                 struct release_result *out, struct sluice_error *err)
{
	struct sbuf b;
	uint32_t magic, decision, line, n;
	char *s = NULL;
	enum sluice_rc rc = SLUICE_OK;

	release_result_init(out);
	sbuf_init(&b, len);
	/* A read-only view: the buffer is not ours, so it must not be freed. */
	b.data = (uint8_t *)p;
	b.len = len;
	b.cap = len;

	if (sbuf_get_u32(&b, &magic) || magic != FILTER_IPC_MAGIC) {
		rc = malformed(err, "bad magic or version");
		goto out;
	}
	if (sbuf_get_u32(&b, &decision) || decision > RELEASE_ERROR) {
		rc = malformed(err, "bad decision");
		goto out;
	}
	char *rule = NULL, *message = NULL;
	if (sbuf_get_cstring(&b, &rule, sizeof(out->error.rule) - 1)) {
		rc = malformed(err, "bad rule");
		goto out;
	}
	if (sbuf_get_cstring(&b, &message, sizeof(out->error.message) - 1) ||
	    sbuf_get_u32(&b, &line)) {
		free(rule);
		free(message);
		rc = malformed(err, "bad message");
		goto out;
	}
	sluice_error_clear(&out->error);
	if (decision != RELEASE_RELEASED)
		sluice_fail_at(&out->error, release_decision_rc(decision), rule, NULL, line, 0, "%s",
		               message);
	free(rule);
	free(message);

	if (sbuf_get_u32(&b, &n) || n > FILTER_IPC_MAX_ENTRIES) {
		rc = malformed(err, "bad removal count");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *loc = NULL;
		if (sbuf_get_cstring(&b, &loc, FILTER_IPC_MAX_STRING) || sbuf_get_u32(&b, &line) ||
		    sbuf_get_cstring(&b, &s, FILTER_IPC_MAX_STRING)) {
			free(loc);
			rc = malformed(err, "bad removal");
			goto out;
		}
		release_result_add_removal(out, loc, line, s);
		free(loc);
		free(s);
		s = NULL;
	}
	if (sbuf_get_u32(&b, &n) || n > FILTER_IPC_MAX_ENTRIES) {
		rc = malformed(err, "bad redaction count");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *loc = NULL;
		uint32_t count;
		if (sbuf_get_cstring(&b, &loc, FILTER_IPC_MAX_STRING) ||
		    sbuf_get_cstring(&b, &s, FILTER_IPC_MAX_STRING) || sbuf_get_u32(&b, &count)) {
			free(loc);
			rc = malformed(err, "bad redaction");
			goto out;
		}
		release_result_add_redaction(out, loc, s, count);
		free(loc);
		free(s);
		s = NULL;
	}
	if (sbuf_get_u32(&b, &n) || n > FILTER_IPC_MAX_ENTRIES) {
		rc = malformed(err, "bad portion count");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *loc = NULL;
		uint32_t withheld;
		if (sbuf_get_cstring(&b, &loc, FILTER_IPC_MAX_STRING) || sbuf_get_u32(&b, &line) ||
		    sbuf_get_cstring(&b, &s, FILTER_IPC_MAX_STRING) || sbuf_get_u32(&b, &withheld) ||
		    withheld > 1) {
			free(loc);
			rc = malformed(err, "bad portion");
			goto out;
		}
		release_result_add_portion(out, loc, line, s, withheld == 1);
		free(loc);
		free(s);
		s = NULL;
	}
	if (sbuf_get_cstring(&b, &s, FILTER_IPC_MAX_STRING)) {
		rc = malformed(err, "bad banner before");
		goto out;
	}
	if (s[0] != '\0')
		out->banner_before = s;
	else
		free(s);
	s = NULL;
	if (sbuf_get_cstring(&b, &s, FILTER_IPC_MAX_STRING)) {
		rc = malformed(err, "bad banner");
		goto out;
	}
	/* Kept in `out` at once: on a later error release_result_free takes it with the rest. */
	char *source_banner = NULL;
	if (sbuf_get_cstring(&b, &source_banner, FILTER_IPC_MAX_STRING)) {
		rc = malformed(err, "bad source banner");
		goto out;
	}
	if (source_banner[0] != '\0' && decision == RELEASE_RELEASED)
		out->source_banner = source_banner;
	else
		free(source_banner);
	const uint8_t *sip;
	size_t silen;
	if (sbuf_get_string_ptr(&b, &sip, &silen, FILTER_IPC_MAX_STRING)) {
		rc = malformed(err, "bad signed info");
		goto out;
	}
	if (silen > 0 && decision == RELEASE_RELEASED) {
		out->signed_info = xmalloc(silen);
		memcpy(out->signed_info, sip, silen);
		out->signed_info_len = silen;
	}
	const uint8_t *op;
	size_t olen;
	if (sbuf_get_string_ptr(&b, &op, &olen, max_output)) {
		rc = malformed(err, "bad or oversized output");
		goto out;
	}
	if (sbuf_remaining(&b) != 0) {
		rc = malformed(err, "trailing bytes");
		goto out;
	}
	if ((decision == RELEASE_RELEASED) != (olen > 0)) {
		rc = malformed(err, "output present without release, or release without output");
		goto out;
	}
	if (decision == RELEASE_RELEASED) {
		out->output = xmalloc(olen + 1);
		memcpy(out->output, op, olen);
		out->output[olen] = '\0';
		out->outlen = olen;
		out->banner = s;
		s = NULL;
	}
	out->decision = (enum release_decision)decision;
out:
	free(s);
	if (rc != SLUICE_OK) {
		release_result_free(out);
		release_result_init(out);
	}
	return rc;
}
