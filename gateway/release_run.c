#include "release_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "canonical_json.h"
#include "fileio.h"
#include "filter_child.h"
#include "keys.h"
#include "policy_bundle.h"
#include "receipt.h"
#include "release.h"

/* SHA-256 of a whole file, streamed (used when a report is too large to hold). */
static int sha256_file(const char *path, char out[SHA256_HEX_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[32];
	unsigned int dlen = 0;
	uint8_t buf[65536];
	int rc = -1;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32)
		goto out;
	hex_encode(digest, 32, out);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

static void record_set_policy(struct transfer_record *r, const struct release_context *ctx)
{
	transfer_record_set_policy(r, ctx->policy);
}

void transfer_record_set_policy(struct transfer_record *r, const struct policy *p)
{
	free(r->policy_id);
	if (p != NULL) {
		r->policy_id = xstrdup(p->id);
		r->policy_version = p->version;
		snprintf(r->policy_sha256, sizeof(r->policy_sha256), "%s", p->sha256_hex);
		snprintf(r->policy_bundle_sha256, sizeof(r->policy_bundle_sha256), "%s",
		         p->bundle_sha256_hex);
		transfer_record_set_signers(r, p->signers, p->nsigners);
	} else {
		r->policy_id = xstrdup("");
		r->policy_version = -1;
		r->policy_sha256[0] = '\0';
	}
}

static void record_set_reason(struct transfer_record *r, const char *decision,
                              const struct sluice_error *e)
{
	free(r->decision);
	r->decision = xstrdup(decision);
	free(r->reason_rule);
	free(r->reason);
	r->reason_rule = xstrdup(e->rule[0] ? e->rule : "unspecified");
	r->reason = xstrdup(e->message);
	r->reason_line = e->line;
}

/* The log is opened, and its writer lock taken, only when the first record is ready: so a
 * long release does not hold other gateways' writes to the same log waiting. */
void transfer_record_set_result(struct transfer_record *rec, const struct release_result *result)
{
	free(rec->decision);
	rec->decision = xstrdup(release_decision_name(result->decision));
	if (result->decision != RELEASE_RELEASED) {
		record_set_reason(rec, release_decision_name(result->decision), &result->error);
	} else {
		sha256_hex(result->output, result->outlen, rec->output_sha256);
		free(rec->banner);
		rec->banner = result->banner ? xstrdup(result->banner) : NULL;
		free(rec->source_banner);
		rec->source_banner = result->source_banner ? xstrdup(result->source_banner) : NULL;
	}
	for (size_t i = 0; i < result->nremovals; i++)
		transfer_record_add_removal(rec, result->removals[i].location,
		                            result->removals[i].line, result->removals[i].rule);
	for (size_t i = 0; i < result->nredactions; i++)
		transfer_record_add_redaction(rec, result->redactions[i].location,
		                              result->redactions[i].rule, result->redactions[i].count);
}

/* Appends the record (fsynced); *leaf_index (when not NULL) receives its place in the log's
 * Merkle tree, for the receipt. */
/* The audit log, opened (and locked) at the first record. */
static enum sluice_rc audit_ready(struct release_context *ctx, struct sluice_error *err)
{
	return ctx->audit != NULL ? SLUICE_OK
	                          : auditlog_open(ctx->audit_path, ctx->key, &ctx->audit, err);
}

static enum sluice_rc audit_record_sync(struct release_context *ctx,
                                        const struct transfer_record *r, uint64_t *leaf_index,
                                        bool sync, struct sluice_error *err)
{
	enum sluice_rc orc = audit_ready(ctx, err);
	if (orc != SLUICE_OK)
		return orc;
	json_t *j = transfer_record_to_json(r);
	if (j == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "internal.json",
		                   "cannot serialise the transfer record");
	enum sluice_rc rc = sync ? auditlog_append_indexed(ctx->audit, j, leaf_index, err)
	                         : auditlog_append_nosync(ctx->audit, j, leaf_index, err);
	json_decref(j);
	return rc;
}

static enum sluice_rc audit_record(struct release_context *ctx, const struct transfer_record *r,
                                   uint64_t *leaf_index, struct sluice_error *err)
{
	return audit_record_sync(ctx, r, leaf_index, true, err);
}

/* Audits, and receipts when asked, an error that happened before a report could be
 * considered at all (an invalid policy). */
static void audit_setup_error(struct release_context *ctx, const char *from, const char *to,
                              const char *report_path, const char *receipt_path,
                              const struct sluice_error *e)
{
	struct transfer_record r;
	struct sluice_error ignored;
	char *receipt = NULL;
	size_t receiptlen = 0;
	uint64_t leaf_index = 0;
	transfer_record_init(&r);
	r.from = xstrdup(from ? from : "");
	r.to = xstrdup(to ? to : "");
	record_set_policy(&r, ctx);
	record_set_reason(&r, "error", e);
	if (report_path != NULL)
		(void)sha256_file(report_path, r.input_sha256);
	if (audit_record(ctx, &r, &leaf_index, &ignored) == SLUICE_OK &&
	    receipt_path != NULL && ctx->key != NULL &&
	    receipt_create(&r, ctx->key, &receipt, &receiptlen, &ignored) == SLUICE_OK &&
	    receipt_set_log_index(&receipt, &receiptlen, leaf_index, &ignored) == SLUICE_OK &&
	    file_write_atomic(receipt_path, receipt, receiptlen, 0644, &ignored) != SLUICE_OK)
		sluice_error_print("sluice", &ignored);
	free(receipt);
	transfer_record_free(&r);
}

/* Fails early, before any report is read, when the audit log could not be written: its
 * folder must exist and be writable, and the log, if it exists, must be a writable regular
 * file. (The append itself still checks everything again under the lock.) */
static enum sluice_rc audit_path_writable(const char *path, struct sluice_error *err)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return sluice_fail_at(err, SLUICE_ERR_IO, "audit.open", path, 0, 0,
			                      "the audit log is not a regular file");
		if (access(path, W_OK) != 0)
			return sluice_fail_at(err, SLUICE_ERR_IO, "audit.open", path, 0, 0,
			                      "cannot write the audit log: %s", strerror(errno));
		return SLUICE_OK;
	}
	char *dir = path_dirname(path);
	int ok = access(dir, W_OK | X_OK) == 0;
	int e = errno;
	free(dir);
	if (!ok)
		return sluice_fail_at(err, SLUICE_ERR_IO, "audit.open", path, 0, 0,
		                      "cannot create the audit log: %s", strerror(e));
	return SLUICE_OK;
}

/* A flow that must leave with a signed binding cannot run without the binding key: said once,
 * before any report (and audited as a setup error). */
static enum sluice_rc release_context_check_binding(const struct release_context *ctx,
                                                    const char *from, const char *to,
                                                    struct sluice_error *err)
{
	const struct policy_flow *flow = policy_flow_find(ctx->policy, from, to);
	if (flow == NULL || !flow->signed_binding || ctx->have_binding)
		return SLUICE_OK;
	return sluice_fail_at(err, SLUICE_ERR_POLICY, "binding.no-key", ctx->policy->path,
	                      flow->binding_line, 0,
	                      "the flow from %s to %s has binding: signed-4778 and no binding key "
	                      "was given (--binding-key KEY --binding-cert CERT)", from, to);
}

enum sluice_rc release_context_open(struct release_context *ctx, const char *policy_path,
                                    const char *key_path, const char *audit_path,
                                    const char *from, const char *to, const char *report_path,
                                    const char *receipt_path, struct sluice_error *err)
{
	enum sluice_rc rc;
	char admins[sizeof(ctx->admins_dir)];
	unsigned required = ctx->required_signatures;
	struct binding_signer binding = ctx->binding;
	bool have_binding = ctx->have_binding;

	snprintf(admins, sizeof(admins), "%s", ctx->admins_dir);
	memset(ctx, 0, sizeof(*ctx));
	snprintf(ctx->admins_dir, sizeof(ctx->admins_dir), "%s", admins);
	ctx->required_signatures = required;
	ctx->binding = binding;
	ctx->have_binding = have_binding;
	snprintf(ctx->policy_path, sizeof(ctx->policy_path), "%s", policy_path);
	rc = key_load_private(key_path, &ctx->key, err);
	if (rc == SLUICE_OK)
		rc = key_id_hex(ctx->key, ctx->key_id, err);
	if (rc != SLUICE_OK)
		return rc;
	snprintf(ctx->audit_path, sizeof(ctx->audit_path), "%s", audit_path);
	rc = audit_path_writable(audit_path, err);
	if (rc != SLUICE_OK)
		return rc;
	rc = release_context_load_policy(ctx, policy_path, err);
	if (rc == SLUICE_OK)
		rc = release_context_check_binding(ctx, from, to, err);
	if (rc != SLUICE_OK)
		audit_setup_error(ctx, from, to, report_path, receipt_path, err);
	return rc;
}

enum sluice_rc release_context_load_policy(struct release_context *ctx, const char *policy_path,
                                           struct sluice_error *err)
{
	snprintf(ctx->policy_path, sizeof(ctx->policy_path), "%s", policy_path);
	struct policy_bundle bundle;
	char unpacked[1024] = "", policy_file[1536];
	char **signers = NULL;
	size_t nsigners = 0;
	const char *load_path = policy_path;
	if (ctx->admins_dir[0] != '\0') {
		enum sluice_rc brc = policy_bundle_open_verified(
			policy_path, ctx->admins_dir, ctx->required_signatures, &bundle, unpacked,
			sizeof(unpacked), policy_file, sizeof(policy_file), &signers, &nsigners, err);
		if (brc != SLUICE_OK) {
			if (err->file[0] == '\0')
				snprintf(err->file, sizeof(err->file), "%s", policy_path);
			return brc;
		}
		load_path = policy_file;
	}
	enum sluice_rc rc = policy_load(load_path, &ctx->policy, err);
	if (rc == SLUICE_OK) {
		ctx->redactors = xcalloc(ctx->policy->nflows ? ctx->policy->nflows : 1,
		                         sizeof(*ctx->redactors));
		for (size_t i = 0; i < ctx->policy->nflows && rc == SLUICE_OK; i++)
			rc = redactor_new(&ctx->policy->flows[i], &ctx->redactors[i], err);
	}
	if (rc == SLUICE_OK && ctx->policy->schema_path != NULL)
		rc = release_schema_load(ctx->policy->schema_path, &ctx->schema, err);
	if (unpacked[0] != '\0') {
		/* Everything is in memory now; the unpacked files go. The policy keeps who
		 * approved it, for every record. */
		policy_bundle_unpacked_remove(&bundle, unpacked);
		policy_bundle_free(&bundle);
		if (ctx->policy != NULL) {
			ctx->policy->signers = signers;
			ctx->policy->nsigners = nsigners;
		} else {
			policy_bundle_free_signers(signers, nsigners);
		}
	}
	if (rc != SLUICE_OK && err->file[0] == '\0')
		snprintf(err->file, sizeof(err->file), "%s", policy_path);
	return rc;
}

enum sluice_rc release_context_close(struct release_context *ctx, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	if (ctx->audit != NULL)
		rc = auditlog_close(ctx->audit, err);
	ctx->audit = NULL;
	if (ctx->policy != NULL && ctx->redactors != NULL)
		for (size_t i = 0; i < ctx->policy->nflows; i++)
			redactor_free(ctx->redactors[i]);
	free(ctx->redactors);
	filter_worker_free(ctx->filter);
	release_schema_free(ctx->schema);
	policy_free(ctx->policy);
	EVP_PKEY_free(ctx->key);
	binding_signer_free(&ctx->binding);
	memset(ctx, 0, sizeof(*ctx));
	return rc;
}

/* In the filter child, before its sandbox: the signing key must not be there, so that not even
 * a compromised filter can copy it into its answer. EVP_PKEY_free wipes the key material. */
static void purge_child_secrets(void *arg)
{
	struct release_context *ctx = arg;
	EVP_PKEY_free(ctx->key);
	ctx->key = NULL;
}

static size_t flow_index(const struct policy *p, const struct policy_flow *f)
{
	return (size_t)(f - p->flows);
}

enum sluice_rc release_decide(const struct release_context *ctx, const char *from, const char *to,
                              const uint8_t *report, size_t len, filter_purge_fn purge,
                              void *purge_arg, struct release_result *result)
{
	const struct policy *pol = ctx->policy;
	const struct policy_domain *src = policy_domain_find(pol, from);
	const struct policy_domain *dst = policy_domain_find(pol, to);
	const struct policy_flow *flow = (src && dst) ? policy_flow_find(pol, from, to) : NULL;

	release_result_free(result);
	release_result_init(result);
	if (flow == NULL) {
		result->decision = RELEASE_REFUSED;
		if (src == NULL || dst == NULL)
			sluice_fail(&result->error, SLUICE_ERR_REFUSED, "policy.no-flow",
			            "no flow from %s to %s: %s is not a domain of policy %s (default deny)",
			            from, to, src == NULL ? from : to, pol->id);
		else
			sluice_fail(&result->error, SLUICE_ERR_REFUSED, "policy.no-flow",
			            "no flow from %s to %s in policy %s version %ld (default deny)", from,
			            to, pol->id, pol->version);
		return SLUICE_ERR_REFUSED;
	}
	struct release_request req = { .policy = pol, .flow = flow, .destination = dst,
	                               .redactor = ctx->redactors[flow_index(pol, flow)],
	                               .schema = ctx->schema, .explain = ctx->explain };
	char placeholder[S4778_PLACEHOLDER_LEN + 1];
	if (flow->signed_binding && ctx->have_binding) {
		binding_placeholder(placeholder);
		req.binding_cert = ctx->binding.cert_der;
		req.binding_cert_len = ctx->binding.cert_len;
		req.binding_alg = (int)ctx->binding.alg;
		req.binding_placeholder = placeholder;
	} else if (flow->signed_binding && !ctx->explain) {
		/* release_context_open says so first; a caller that skipped it fails closed. */
		result->decision = RELEASE_ERROR;
		sluice_fail(&result->error, SLUICE_ERR_POLICY, "binding.no-key",
		            "the flow from %s to %s needs a binding key", from, to);
		return release_decision_rc(result->decision);
	}
	if (ctx->filter != NULL)
		filter_worker_run(ctx->filter, &req, report, len, purge, purge_arg, result);
	else
		filter_run(&req, report, len, purge, purge_arg, result);
	if (result->decision == RELEASE_RELEASED && req.binding_cert != NULL) {
		struct sluice_error e;
		enum sluice_rc brc =
			result->signed_info == NULL
				? sluice_fail(&e, SLUICE_ERR_INTERNAL, "binding.missing",
				              "the filter released without the binding it was asked for")
				: binding_sign_report(&ctx->binding, result->signed_info,
				                      result->signed_info_len, placeholder, &result->output,
				                      &result->outlen, &e);
		if (brc != SLUICE_OK) {
			free(result->output);
			result->output = NULL;
			result->outlen = 0;
			result->decision = RELEASE_ERROR;
			result->error = e;
		}
	}
	return release_decision_rc(result->decision);
}

static enum sluice_rc write_output(const char *out_path, const uint8_t *p, size_t len,
                                   struct sluice_error *err)
{
	if (out_path == NULL) {
		if (fd_write_all(STDOUT_FILENO, p, len) != 0)
			return sluice_fail(err, SLUICE_ERR_IO, "io.write",
			                   "cannot write the released report to stdout: %s",
			                   strerror(errno));
		return SLUICE_OK;
	}
	return file_write_atomic(out_path, p, len, 0644, err);
}

/* One report between its decision and its hand-out. */
struct pending {
	struct transfer_record rec;
	struct release_result result;
	char *receipt;
	size_t receiptlen;
	enum sluice_rc decision_rc;
	uint64_t leaf_index; /* the record's place in the log */
};

static void pending_free(struct pending *p)
{
	free(p->receipt);
	release_result_free(&p->result);
	transfer_record_free(&p->rec);
	memset(p, 0, sizeof(*p));
}

/* Reads, decides, signs and appends the record (fsynced when `sync`). SLUICE_OK when the record
 * is in the log; `p` is to be freed either way. */
static enum sluice_rc decide_and_log(struct release_context *ctx, const char *from,
                                     const char *to, const char *report_path, bool sync,
                                     struct pending *p, struct release_summary *summary,
                                     struct sluice_error *err)
{
	uint8_t *report = NULL;
	size_t len = 0;
	enum sluice_rc rc;
	const struct policy *pol = ctx->policy;

	memset(summary, 0, sizeof(*summary));
	memset(p, 0, sizeof(*p));
	release_result_init(&p->result);
	transfer_record_init(&p->rec);
	p->rec.from = xstrdup(from);
	p->rec.to = xstrdup(to);
	record_set_policy(&p->rec, ctx);
	snprintf(summary->transfer_id, sizeof(summary->transfer_id), "%s", p->rec.transfer_id);

	rc = file_read_bounded(report_path, pol->limits.max_bytes, SLUICE_ERR_INVALID_REPORT,
	                       &report, &len, err);
	if (rc != SLUICE_OK) {
		if (rc == SLUICE_ERR_INVALID_REPORT)
			(void)sha256_file(report_path, p->rec.input_sha256);
		p->result.decision =
			rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR;
		p->result.error = *err;
		p->decision_rc = rc;
	} else {
		sha256_hex(report, len, p->rec.input_sha256);
		p->decision_rc = release_decide(ctx, from, to, report, len, purge_child_secrets, ctx,
		                                &p->result);
		OPENSSL_cleanse(report, len);
		free(report);
	}

	transfer_record_set_result(&p->rec, &p->result);
	if (p->result.decision != RELEASE_RELEASED) {
		*err = p->result.error;
		if (err->rc == SLUICE_OK)
			err->rc = p->decision_rc;
	}
	for (size_t i = 0; i < p->result.nredactions; i++)
		summary->redacted += p->result.redactions[i].count;
	summary->withheld = p->result.nremovals;
	snprintf(summary->decision, sizeof(summary->decision), "%s", p->rec.decision);
	snprintf(summary->rule, sizeof(summary->rule), "%s",
	         p->rec.reason_rule ? p->rec.reason_rule : "");

	/* Sign, log, and only then hand anything out. The receipt learns the record's leaf index
	 * from the log (outside the signature: see certs/receipt.h). The record is serialised once
	 * for the signature, the log line and the receipt (receipt_assemble). */
	struct sluice_error werr;
	char sig64[RECEIPT_SIG64_LEN];
	char *canon = transfer_record_canonical(&p->rec);
	if (canon == NULL)
		rc = sluice_fail(&werr, SLUICE_ERR_INTERNAL, "receipt.encode",
		                 "cannot encode the transfer record as JSON (a field is not UTF-8?)");
	else
		rc = receipt_signature(canon, ctx->key, sig64, &werr);
	if (rc == SLUICE_OK)
		rc = audit_ready(ctx, &werr);
	if (rc == SLUICE_OK)
		rc = auditlog_append_canonical(ctx->audit, canon, &p->leaf_index, sync, &werr);
	if (rc == SLUICE_OK)
		p->receipt = receipt_assemble(ctx->key_id, canon, sig64, &p->leaf_index, &p->receiptlen);
	free(canon);
	if (rc != SLUICE_OK)
		*err = werr;
	return rc;
}

/* Writes the released report and the receipt of a report whose record is durable. A failure
 * takes the report back and appends an error record after the release record (fsynced when
 * `sync`). Returns the decision's rc, or the failure's. */
static enum sluice_rc hand_out(struct release_context *ctx, struct pending *p,
                               const char *out_path, const char *receipt_path, bool sync,
                               struct sluice_error *err)
{
	struct sluice_error werr, ignored;
	enum sluice_rc rc;
	if (p->result.decision == RELEASE_RELEASED) {
		rc = out_path == NULL ? write_output(NULL, p->result.output, p->result.outlen, &werr)
		                      : file_write_atomic_ex(out_path, p->result.output,
		                                             p->result.outlen, 0644, sync, &werr);
		if (rc != SLUICE_OK) {
			*err = werr;
			record_set_reason(&p->rec, "error", &werr);
			p->rec.output_sha256[0] = '\0';
			(void)audit_record_sync(ctx, &p->rec, NULL, sync, &ignored);
			return rc;
		}
	}
	if (receipt_path != NULL) {
		rc = file_write_atomic_ex(receipt_path, p->receipt, p->receiptlen, 0644, sync, &werr);
		if (rc != SLUICE_OK) {
			*err = werr;
			/* No released report without its receipt: take the report back, and log the
			 * error after the release record (as when the report cannot be written). */
			if (p->result.decision == RELEASE_RELEASED && out_path != NULL) {
				(void)unlink(out_path);
				record_set_reason(&p->rec, "error", &werr);
				p->rec.output_sha256[0] = '\0';
				(void)audit_record_sync(ctx, &p->rec, NULL, sync, &ignored);
			}
			return rc;
		}
	}
	return p->decision_rc;
}

enum sluice_rc release_one(struct release_context *ctx, const char *from, const char *to,
                           const char *report_path, const char *out_path,
                           const char *receipt_path, struct release_summary *summary,
                           struct sluice_error *err)
{
	struct pending p;
	enum sluice_rc rc = decide_and_log(ctx, from, to, report_path, true, &p, summary, err);
	if (rc == SLUICE_OK)
		rc = hand_out(ctx, &p, out_path, receipt_path, true, err);
	pending_free(&p);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

size_t release_group(struct release_context *ctx, const char *from, const char *to,
                     struct release_item *items, size_t n)
{
	struct pending *p = xcalloc(n ? n : 1, sizeof(*p));
	bool *logged = xcalloc(n ? n : 1, sizeof(*logged));
	size_t held = 0, taken = 0, nlogged = 0;
	double start = now_ms();

	/* 1. Decide and append each record, no fsync: up to RELEASE_GROUP_REPORTS reports,
	 * RELEASE_GROUP_MS of time or RELEASE_GROUP_BYTES of released output held. */
	while (taken < n && taken < RELEASE_GROUP_REPORTS &&
	       (taken == 0 || (now_ms() - start < RELEASE_GROUP_MS && held < RELEASE_GROUP_BYTES))) {
		struct release_item *it = &items[taken];
		it->rc = decide_and_log(ctx, from, to, it->in_path, false, &p[taken], &it->summary,
		                        &it->err);
		logged[taken] = it->rc == SLUICE_OK;
		nlogged += logged[taken];
		held += p[taken].result.outlen;
		taken++;
	}
	/* 2. One fsync for them all. When it fails, the records after the last fsync were cut
	 * off again (those before it, made durable by a checkpoint, stay): none of those is
	 * handed out. */
	struct sluice_error serr;
	if (nlogged > 0 && auditlog_sync(ctx->audit, &serr) != SLUICE_OK) {
		uint64_t durable = auditlog_records(ctx->audit);
		for (size_t i = 0; i < taken; i++)
			if (logged[i] && p[i].leaf_index >= durable) {
				items[i].rc = serr.rc;
				items[i].err = serr;
				logged[i] = false;
			}
	}
	/* 3. Their reports and receipts, renamed into place, then one fsync of the folder and one
	 * of the log for the error records a failed hand-out appends. */
	const char *dir_of = NULL;
	for (size_t i = 0; i < taken; i++) {
		if (!logged[i])
			continue;
		items[i].rc = hand_out(ctx, &p[i], items[i].out_path, items[i].receipt_path, false,
		                       &items[i].err);
		dir_of = items[i].receipt_path;
	}
	if (dir_of != NULL)
		path_fsync_parent(dir_of);
	(void)!auditlog_sync(ctx->audit, &serr); /* error records only: no acknowledgement */
	for (size_t i = 0; i < taken; i++)
		pending_free(&p[i]);
	free(p);
	free(logged);
	return taken;
}
