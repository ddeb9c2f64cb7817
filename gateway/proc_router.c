/*
 * Router: carries each submitted report through the pipeline, and nothing else.
 *
 *   hostile data: the answers of intake, workers, signer, auditor and delivery
 *   privilege:    the policy in memory; no key, no audit log, no files (SANDBOX_IPC)
 *   may open:     nothing
 *   peers:        intake and the TLS listener (each answered for its own submissions), the
 *                 filter workers, signer, auditor, delivery, the supervisor
 *
 * One transfer: SUBMIT from intake → transfer id from (source, destination, SHA-256) → flow
 * lookup (none: refused, default deny) → a free worker filters it → the record is signed
 * (signer), appended and fsynced (auditor), delivered (delivery) → SUBMIT_DONE to intake. A
 * flow with a signed ADatP-4778 binding has one more step between the worker and the record:
 * the worker built the binding around a placeholder the router chose for this attempt, the
 * signer signs the worker's SignedInfo (SIGN_BINDING), and the router writes the signature over
 * the placeholder, so that the record's output_sha256 covers the bound bytes. Only
 * that last message lets intake forget the report, so a crash anywhere before it means the
 * report is submitted again, and the transfer id makes the retry a duplicate everywhere.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "binding_sign.h"
#include "canonical_json.h"
#include "config.h"
#include "daemon.h"
#include "filter_ipc.h"
#include "keys.h"
#include "msg.h"
#include "receipt.h"
#include "release_run.h"
#include "router_jobs.h"
#include "sandbox.h"
#include "spool.h"

struct router {
	const struct daemon_ctx *d;
	int intake, tls, signer, auditor, delivery, ctl;
	int worker_fd[ROUTER_MAX_WORKERS];
	int worker_job[ROUTER_MAX_WORKERS]; /* job index, -1 idle */
	unsigned nworkers;
	struct job jobs[ROUTER_MAX_JOBS];
	uint64_t next_id;
	uint64_t next_arrival;
};

static void job_free(struct job *j)
{
	free(j->report);
	memset(j, 0, sizeof(*j));
}

/* One request, one answer, on a peer that serves one request at a time. true: the answer is
 * of type `want`; false: the peer refused this request (MSG_FAIL, its reason in `answer`'s
 * body). A peer that cannot be reached, goes away or answers anything else is fatal. */
static bool request(struct router *r, int fd, uint16_t type, const void *body, size_t len,
                    uint16_t want, struct msg *answer, const char *peer)
{
	struct sluice_error err;
	uint64_t id = ++r->next_id;
	if (msg_send(fd, type, id, body, len, -1) != 0)
		daemon_fatal("router", "cannot reach the %s: %s", peer, strerror(errno));
	int got = msg_recv(fd, answer, DAEMON_MSG_MAX, &err);
	if (got <= 0)
		daemon_fatal("router", "the %s went away%s%s", peer, got < 0 ? ": " : "",
		             got < 0 ? err.message : "");
	if (answer->id != id)
		daemon_fatal("router", "the %s answered another request", peer);
	if (answer->type == want)
		return true;
	if (answer->type != MSG_FAIL)
		daemon_fatal("router", "the %s answered with message %u", peer, answer->type);
	return false;
}

/* A request the peer must not refuse: its refusal is fatal too. */
static void call(struct router *r, int fd, uint16_t type, const void *body, size_t len,
                 uint16_t want, struct msg *answer, const char *peer)
{
	if (!request(r, fd, type, body, len, want, answer, peer)) {
		char why[256] = "";
		size_t n = answer->body.len < sizeof(why) - 1 ? answer->body.len : sizeof(why) - 1;
		memcpy(why, answer->body.data, n);
		daemon_fatal("router", "the %s refused: %s", peer, why);
	}
}

static int put_str(struct sbuf *b, const char *s)
{
	return sbuf_put_cstring(b, s);
}

/* Sign, log, deliver, answer intake. Any failure of those peers is fatal: the supervisor
 * restarts the pipeline and the report comes round again. */
static void finish(struct router *r, struct job *j, struct release_result *res)
{
	struct transfer_record rec;
	struct msg answer;
	struct sbuf b;

	transfer_record_init(&rec);
	snprintf(rec.transfer_id, sizeof(rec.transfer_id), "%s", j->transfer_id);
	rec.from = xstrdup(j->source);
	rec.to = xstrdup(j->destination);
	transfer_record_set_policy(&rec, r->d->policy);
	snprintf(rec.input_sha256, sizeof(rec.input_sha256), "%s", j->input_sha256);
	transfer_record_set_result(&rec, res);
	json_t *json = transfer_record_to_json(&rec);
	char *canon = json ? json_canonical(json) : NULL;
	json_decref(json);
	if (canon == NULL)
		daemon_fatal("router", "cannot encode a transfer record");

	call(r, r->signer, MSG_SIGN_RECORD, canon, strlen(canon), MSG_RECEIPT, &answer, "signer");
	char *receipt = xstrndup((const char *)answer.body.data, answer.body.len);
	size_t receiptlen = answer.body.len;
	msg_free(&answer);

	call(r, r->auditor, MSG_AUDIT_APPEND, canon, strlen(canon), MSG_AUDIT_DONE, &answer,
	     "auditor");
	/* The answer: already logged or not, and the record's leaf index in the log's Merkle
	 * tree, which the receipt carries outside its signature (certs/receipt.h). */
	uint32_t already_logged;
	uint64_t leaf_index;
	struct sluice_error err;
	if (sbuf_get_u32(&answer.body, &already_logged) || sbuf_get_u64(&answer.body, &leaf_index) ||
	    sbuf_remaining(&answer.body) != 0 || already_logged > 1)
		daemon_fatal("router", "the auditor answered nonsense");
	msg_free(&answer);
	free(canon);
	if (receipt_set_log_index(&receipt, &receiptlen, leaf_index, &err) != SLUICE_OK)
		daemon_fatal("router", "%s", err.message);

	enum spool_kind kind = res->decision == RELEASE_RELEASED ? SPOOL_RELEASED
	                       : res->decision == RELEASE_REFUSED ? SPOOL_REFUSED
	                                                          : SPOOL_QUARANTINED;
	char reason[1200] = "";
	if (kind != SPOOL_RELEASED)
		snprintf(reason, sizeof(reason), "%s: %s [%s]\n", rec.decision, res->error.message,
		         res->error.rule);
	sbuf_init(&b, DAEMON_MSG_MAX);
	const uint8_t *data = kind == SPOOL_RELEASED ? res->output : j->report;
	size_t datalen = kind == SPOOL_RELEASED ? res->outlen : j->len;
	if (put_str(&b, j->transfer_id) || sbuf_put_u32(&b, (uint32_t)kind) ||
	    put_str(&b, j->source) || put_str(&b, j->destination) || put_str(&b, j->name) ||
	    put_str(&b, j->input_sha256) ||
	    sbuf_put_u32(&b, (j->flags & SUBMIT_FROM_INBOX) ? 1 : 0) ||
	    sbuf_put_string(&b, data, data ? datalen : 0) ||
	    sbuf_put_string(&b, receipt, receiptlen) || put_str(&b, reason))
		daemon_fatal("router", "delivery message too large");
	call(r, r->delivery, MSG_DELIVER, b.data, b.len, MSG_DELIVERED, &answer, "delivery");
	msg_free(&answer);
	sbuf_reset(&b);

	if (put_str(&b, rec.decision) || put_str(&b, j->transfer_id) ||
	    put_str(&b, rec.reason_rule ? rec.reason_rule : "") ||
	    sbuf_put_string(&b, receipt, receiptlen))
		daemon_fatal("router", "answer too large");
	struct sbuf done;
	sbuf_init(&done, DAEMON_MSG_MAX);
	if (sbuf_put_u32(&done, 0) || sbuf_put(&done, b.data, b.len))
		daemon_fatal("router", "answer too large");
	if (msg_send_sbuf(j->origin, MSG_SUBMIT_DONE, j->intake_id, &done) != 0) {
		/* The spool intake must hear it or it would submit the report again forever. A
		 * TLS client that went away with its listener just misses its receipt: the
		 * transfer is done, and the supervisor restarts the pipeline. */
		if (j->origin == r->intake)
			daemon_fatal("router", "cannot answer intake");
		daemon_log(LOG_WARNING, "router", "the TLS listener went away before transfer %s "
		           "was answered", j->transfer_id);
	}
	daemon_log(LOG_INFO, "router", "transfer %s %s -> %s %s: %s%s%s", j->transfer_id,
	           j->source, j->destination, j->name, rec.decision,
	           rec.reason_rule ? " " : "", rec.reason_rule ? rec.reason_rule : "");
	sbuf_free(&done);
	sbuf_free(&b);
	free(receipt);
	transfer_record_free(&rec);
	job_free(j);
}

/* A release of a flow with a signed binding becomes an error (not released, audited and
 * quarantined like any internal failure) with this reason. */
static void binding_failed(struct release_result *res, const char *rule, const char *message)
{
	free(res->output);
	res->output = NULL;
	res->outlen = 0;
	res->decision = RELEASE_ERROR;
	sluice_fail(&res->error, SLUICE_ERR_INTERNAL, rule, "%s", message);
}

/* The binding step of a released report whose flow has `binding: signed-4778`: the signer signs
 * the worker's SignedInfo and the signature replaces this attempt's placeholder, exactly once.
 * The request blocks like the record's SIGN_RECORD after it: the signer serves one request at
 * a time on this socket and answers in well under a millisecond, and an answer awaited in the
 * poll loop would race finish()'s own request on the same socket. */
static void sign_binding(struct router *r, struct job *j, struct release_result *res)
{
	struct msg answer;
	struct sluice_error err;
	if (res->decision != RELEASE_RELEASED)
		return;
	if (j->placeholder[0] == '\0' || res->signed_info == NULL) {
		binding_failed(res, "binding.missing",
		               "the filter released without the binding the flow needs");
		return;
	}
	if (!request(r, r->signer, MSG_SIGN_BINDING, res->signed_info, res->signed_info_len,
	             MSG_BINDING_SIGNATURE, &answer, "signer")) {
		char why[sizeof(err.message)];
		snprintf(why, sizeof(why), "the signer refused to sign the binding: %.*s",
		         (int)(answer.body.len < 512 ? answer.body.len : 512),
		         (const char *)answer.body.data);
		msg_free(&answer);
		binding_failed(res, "binding.sign", why);
		return;
	}
	char *signature_b64 = xstrndup((const char *)answer.body.data, answer.body.len);
	bool text = strlen(signature_b64) == answer.body.len;
	msg_free(&answer);
	if (!text)
		binding_failed(res, "binding.signature", "the signer's binding signature holds a NUL");
	else if (binding_fill_placeholder(j->placeholder, signature_b64, &res->output,
	                                  &res->outlen, &err) != SLUICE_OK)
		binding_failed(res, err.rule, err.message);
	free(signature_b64);
}

/* A decision the router can take without a worker (no flow, oversize). */
static void finish_without_filter(struct router *r, struct job *j, enum release_decision d,
                                  const char *rule, const char *message)
{
	struct release_result res;
	release_result_init(&res);
	res.decision = d;
	sluice_fail(&res.error, release_decision_rc(d), rule, "%s", message);
	finish(r, j, &res);
	release_result_free(&res);
}

static void dispatch(struct router *r)
{
	for (unsigned w = 0; w < r->nworkers; w++) {
		if (r->worker_fd[w] < 0 || r->worker_job[w] >= 0)
			continue;
		int k = router_oldest_queued(r->jobs, ROUTER_MAX_JOBS);
		if (k < 0)
			return;
		struct job *j = &r->jobs[k];
		struct sbuf b;
		sbuf_init(&b, DAEMON_MSG_MAX);
		/* A placeholder of its own for each attempt: it is not reused once a worker has
		 * seen it. */
		if (r->d->policy->flows[j->flow].signed_binding && r->d->binding_cert != NULL)
			binding_placeholder(j->placeholder);
		else
			j->placeholder[0] = '\0';
		if (sbuf_put_u32(&b, (uint32_t)j->flow) || put_str(&b, j->destination) ||
		    put_str(&b, j->placeholder) || sbuf_put_string(&b, j->report, j->len) ||
		    msg_send_sbuf(r->worker_fd[w], MSG_FILTER_REQUEST, (uint64_t)k, &b) != 0) {
			sbuf_free(&b);
			continue; /* the worker is gone; its EOF is handled by the loop */
		}
		sbuf_free(&b);
		j->worker = (int)w;
		j->attempts++;
		r->worker_job[w] = k;
	}
}

static void on_submit(struct router *r, struct msg *m, int origin)
{
	char *src = NULL, *dst = NULL, *name = NULL, *sha = NULL;
	uint32_t flags;
	const uint8_t *report;
	size_t len;
	int k;

	if (m->type != MSG_SUBMIT || sbuf_get_cstring(&m->body, &src, 63) ||
	    sbuf_get_cstring(&m->body, &dst, 63) || sbuf_get_cstring(&m->body, &name, 255) ||
	    sbuf_get_cstring(&m->body, &sha, 64) || sbuf_get_u32(&m->body, &flags) ||
	    sbuf_get_string_ptr(&m->body, &report, &len, DAEMON_REPORT_MAX) ||
	    sbuf_remaining(&m->body) != 0 || !spool_name_ok(src) || !spool_name_ok(dst) ||
	    !spool_name_ok(name))
		daemon_fatal("router", "malformed submission from %s",
		             origin == r->intake ? "intake" : "the TLS listener");
	for (k = 0; k < ROUTER_MAX_JOBS && r->jobs[k].used; k++)
		;
	if (k == ROUTER_MAX_JOBS)
		daemon_fatal("router", "intake and TLS sent more than %d reports at once",
		             ROUTER_MAX_JOBS);
	struct job *j = &r->jobs[k];
	memset(j, 0, sizeof(*j));
	j->used = true;
	j->worker = -1;
	j->arrival = ++r->next_arrival;
	j->intake_id = m->id;
	j->origin = origin;
	j->flags = flags;
	snprintf(j->source, sizeof(j->source), "%s", src);
	snprintf(j->destination, sizeof(j->destination), "%s", dst);
	snprintf(j->name, sizeof(j->name), "%s", name);
	if (flags & SUBMIT_OVERSIZE) {
		/* Intake hashed the whole file; the bytes did not travel. */
		snprintf(j->input_sha256, sizeof(j->input_sha256), "%s", sha);
	} else {
		j->report = xmalloc(len ? len : 1);
		memcpy(j->report, report, len);
		j->len = len;
		sha256_hex(report, len, j->input_sha256); /* never trust a hash we can compute */
	}
	free(src);
	free(dst);
	free(name);
	free(sha);
	spool_transfer_id(j->source, j->destination, j->input_sha256, j->transfer_id);

	const struct policy *p = r->d->policy;
	const struct policy_domain *from = policy_domain_find(p, j->source);
	const struct policy_domain *to = policy_domain_find(p, j->destination);
	const struct policy_flow *flow = from && to ? policy_flow_find(p, j->source, j->destination)
	                                            : NULL;
	if (flow == NULL) {
		finish_without_filter(r, j, RELEASE_REFUSED, "policy.no-flow",
		                      "no flow for this transfer in the policy (default deny)");
		return;
	}
	if (flags & SUBMIT_OVERSIZE) {
		finish_without_filter(r, j, RELEASE_INVALID, "limits.max-bytes",
		                      "the report is larger than the policy's max-bytes");
		return;
	}
	j->flow = (size_t)(flow - p->flows);
	dispatch(r);
}

/* Worker `w` is gone (its socket closed, or the supervisor already handed over its
 * replacement): its report, if any, goes back to the queue, or is refused once it has killed
 * ROUTER_ATTEMPTS workers. */
static void worker_gone(struct router *r, unsigned w)
{
	int k = r->worker_job[w];
	daemon_log(LOG_WARNING, "router", "worker %u went away", w);
	close(r->worker_fd[w]);
	r->worker_fd[w] = -1;
	r->worker_job[w] = -1;
	if (k >= 0) {
		struct job *j = &r->jobs[k];
		j->worker = -1;
		if (j->attempts >= ROUTER_ATTEMPTS)
			finish_without_filter(r, j, RELEASE_INVALID, "filter.crash",
			                      "the filter died twice on this report");
	}
}

static void on_worker(struct router *r, unsigned w)
{
	struct msg m;
	struct sluice_error err;
	int k = r->worker_job[w];
	int got = msg_recv(r->worker_fd[w], &m, DAEMON_MSG_MAX, &err);
	if (got <= 0) {
		/* The worker died (perhaps on this report). The supervisor starts another. */
		worker_gone(r, w);
		return;
	}
	if (k < 0 || m.type != MSG_FILTER_RESULT || m.id != (uint64_t)k)
		daemon_fatal("router", "worker %u answered out of turn", w);
	struct release_result res;
	size_t max_out = (size_t)r->d->policy->limits.max_bytes * 8 + (1u << 20);
	if (filter_ipc_decode(m.body.data, m.body.len, max_out, &res, &err) != SLUICE_OK)
		daemon_fatal("router", "worker %u: %s", w, err.message);
	msg_free(&m);
	r->worker_job[w] = -1;
	/* The worker is free: it gets the next queued report now, not after this one is signed,
	 * logged and delivered, which the router waits for (a report with thousands of removals
	 * kept the worker idle for a second; job k is not queued: its worker field is set). */
	dispatch(r);
	if (r->d->policy->flows[r->jobs[k].flow].signed_binding)
		sign_binding(r, &r->jobs[k], &res);
	finish(r, &r->jobs[k], &res);
	release_result_free(&res);
}

static void on_control(struct router *r)
{
	struct msg m;
	struct sluice_error err;
	uint32_t role, slot;
	int got = msg_recv(r->ctl, &m, 64, &err);
	if (got <= 0)
		_exit(0); /* the supervisor is stopping us */
	if (m.type != MSG_NEW_PEER || m.fd < 0 || sbuf_get_u32(&m.body, &role) ||
	    sbuf_get_u32(&m.body, &slot) || role != ROLE_WORKER || slot >= r->nworkers)
		daemon_fatal("router", "bad control message");
	/* The supervisor reaped the old worker before starting this one, so it is dead even if
	 * its socket's end has not been read here yet. */
	if (r->worker_fd[slot] >= 0)
		worker_gone(r, slot);
	r->worker_fd[slot] = m.fd;
	m.fd = -1;
	msg_free(&m);
}

void router_main(const struct daemon_ctx *d, int intake, int tls, int signer, int auditor,
                 int delivery, const int *workers, unsigned nworkers, int ctl)
{
	static struct router r;
	char why[256];
	int keep[6 + ROUTER_MAX_WORKERS];
	size_t nkeep = 0;

	prctl(PR_SET_NAME, "sluiced-router", 0, 0, 0); /* for ps, pgrep and the tests */
	if (nworkers > ROUTER_MAX_WORKERS)
		daemon_fatal("router", "too many workers");
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.intake = intake;
	r.tls = tls;
	r.signer = signer;
	r.auditor = auditor;
	r.delivery = delivery;
	r.ctl = ctl;
	r.nworkers = nworkers;
	keep[nkeep++] = intake;
	keep[nkeep++] = signer;
	keep[nkeep++] = auditor;
	keep[nkeep++] = delivery;
	keep[nkeep++] = ctl;
	if (tls >= 0)
		keep[nkeep++] = tls;
	for (unsigned w = 0; w < nworkers; w++) {
		r.worker_fd[w] = workers[w];
		r.worker_job[w] = -1;
		keep[nkeep++] = workers[w];
	}
	daemon_drop_privileges(d, "router");
	if (sandbox_enter_profile(SANDBOX_IPC, keep, nkeep, why, sizeof(why)) != 0)
		daemon_fatal("router", "%s", why);
	for (;;) {
		struct pollfd pfd[3 + ROUTER_MAX_WORKERS];
		pfd[0] = (struct pollfd){ intake, POLLIN, 0 };
		pfd[1] = (struct pollfd){ ctl, POLLIN, 0 };
		pfd[2] = (struct pollfd){ r.tls, POLLIN, 0 }; /* ignored by poll when -1 */
		for (unsigned w = 0; w < nworkers; w++)
			pfd[3 + w] = (struct pollfd){ r.worker_fd[w], POLLIN, 0 };
		if (poll(pfd, 3 + nworkers, -1) < 0) {
			if (errno == EINTR)
				continue;
			daemon_fatal("router", "poll: %s", strerror(errno));
		}
		if (pfd[1].revents) {
			/* A replaced worker's new socket (perhaps reusing the old number) was not
			 * polled: poll again rather than read what this poll said of the old one. */
			on_control(&r);
			dispatch(&r);
			continue;
		}
		for (unsigned w = 0; w < nworkers; w++)
			if (r.worker_fd[w] >= 0 && pfd[3 + w].revents)
				on_worker(&r, w);
		if (pfd[0].revents) {
			struct msg m;
			struct sluice_error err;
			int got = msg_recv(intake, &m, DAEMON_MSG_MAX, &err);
			if (got == 0)
				_exit(0);
			if (got < 0)
				daemon_fatal("router", "intake: %s", err.message);
			on_submit(&r, &m, intake);
			msg_free(&m);
		}
		if (r.tls >= 0 && pfd[2].revents) {
			struct msg m;
			struct sluice_error err;
			int got = msg_recv(r.tls, &m, DAEMON_MSG_MAX, &err);
			if (got <= 0) {
				/* The supervisor restarts the pipeline when the listener dies; until
				 * then the spool goes on. */
				daemon_log(LOG_WARNING, "router", "the TLS listener went away%s%s",
				           got < 0 ? ": " : "", got < 0 ? err.message : "");
				close(r.tls);
				r.tls = -1;
			} else {
				on_submit(&r, &m, r.tls);
				msg_free(&m);
			}
		}
		dispatch(&r);
	}
}
