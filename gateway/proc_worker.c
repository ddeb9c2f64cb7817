/*
 * Filter worker: the daemon's only parser of report bytes, reused across reports.
 *
 *   hostile data: report bytes (MSG_FILTER_REQUEST)
 *   privilege:    none (unprivileged user, seccomp SANDBOX_WORKER)
 *   may open:     nothing
 *   peers:        the router only
 *
 * It inherits the policy, compiled patterns and XSD (and the ADatP-4778 binding certificate,
 * public) from the supervisor, enters its sandbox before the first request, and answers each
 * request with one release_result. For a flow with a signed binding it builds the binding
 * with the router's placeholder as its SignatureValue and returns the SignedInfo to sign: it
 * never holds the binding key. A report that
 * burns more than WORKER_CPU_SECONDS of CPU kills the worker (SIGVTALRM); the supervisor starts
 * another and the router gives the report one more try, then quarantines it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "filter_ipc.h"
#include "msg.h"
#include "release.h"
#include "s4778_binding.h"
#include "sandbox.h"

#define WORKER_CPU_SECONDS 10

/* The router's placeholder: empty, or exactly S4778_PLACEHOLDER_LEN lower-case hex digits (so
 * that it is plain element text in the report). */
static bool placeholder_ok(const uint8_t *p, size_t len)
{
	if (len != 0 && len != S4778_PLACEHOLDER_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static void handle(const struct daemon_ctx *d, int router, struct msg *m)
{
	uint32_t flow;
	char *dest = NULL;
	const uint8_t *report, *placeholder;
	size_t len, placeholder_len;
	struct release_result result;
	struct sbuf out;
	struct sluice_error err;

	if (m->type != MSG_FILTER_REQUEST || sbuf_get_u32(&m->body, &flow) ||
	    sbuf_get_cstring(&m->body, &dest, 256) ||
	    sbuf_get_string_ptr(&m->body, &placeholder, &placeholder_len, S4778_PLACEHOLDER_LEN) ||
	    sbuf_get_string_ptr(&m->body, &report, &len, DAEMON_REPORT_MAX) ||
	    sbuf_remaining(&m->body) != 0 || flow >= d->policy->nflows ||
	    !placeholder_ok(placeholder, placeholder_len))
		daemon_fatal("worker", "malformed request from the router");
	const struct policy_domain *dst = policy_domain_find(d->policy, dest);
	free(dest);
	if (dst == NULL)
		daemon_fatal("worker", "request for an unknown destination");
	struct release_request req = { .policy = d->policy, .flow = &d->policy->flows[flow],
		                       .destination = dst, .redactor = d->redactors[flow],
		                       .schema = d->schema };
	char placeholder_text[S4778_PLACEHOLDER_LEN + 1];
	if (req.flow->signed_binding && placeholder_len > 0 && d->binding_cert != NULL) {
		memcpy(placeholder_text, placeholder, placeholder_len);
		placeholder_text[placeholder_len] = '\0';
		req.binding_cert = d->binding_cert;
		req.binding_cert_len = d->binding_cert_len;
		req.binding_alg = d->binding_alg;
		req.binding_placeholder = placeholder_text;
	}
	/* (A binding flow without them releases unbound here; the router refuses that answer.) */
	/* A CPU budget per report: the timer counts this process's own CPU time. */
	struct itimerval budget = { { 0, 0 }, { WORKER_CPU_SECONDS, 0 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	(void)setitimer(ITIMER_VIRTUAL, &budget, NULL);
	release_filter(&req, report, len, &result);
	(void)setitimer(ITIMER_VIRTUAL, &off, NULL);
	sbuf_init(&out, DAEMON_MSG_MAX);
	if (filter_ipc_encode(&result, &out) != 0)
		daemon_fatal("worker", "answer too large to send");
	if (msg_send_sbuf(router, MSG_FILTER_RESULT, m->id, &out) != 0)
		daemon_fatal("worker", "cannot answer the router: %s", strerror(errno));
	sbuf_free(&out);
	release_result_free(&result);
	(void)err;
}

void worker_main(const struct daemon_ctx *d, int router)
{
	char why[256];
	struct sluice_error err;
	int keep[1] = { router };

	prctl(PR_SET_NAME, "sluiced-worker", 0, 0, 0); /* for ps, pgrep and the tests */
	daemon_drop_privileges(d, "worker");
	signal(SIGVTALRM, SIG_DFL);
	if (sandbox_enter_profile(SANDBOX_WORKER, keep, 1, why, sizeof(why)) != 0)
		daemon_fatal("worker", "%s", why);
	for (;;) {
		struct msg m;
		int r = msg_recv(router, &m, DAEMON_MSG_MAX, &err);
		if (r == 0)
			_exit(0); /* the router went away: so do we */
		if (r < 0)
			daemon_fatal("worker", "%s", err.message);
		handle(d, router, &m);
		msg_free(&m);
	}
}
