/*
 * sluiced: the Sluice gateway daemon's supervisor.
 *
 * SECURITY: the supervisor reads the configuration and the policy, creates the spool folders
 * and the socketpairs, and forks the processes of gateway/daemon.h, each of which opens what it
 * alone needs (the signer the signing and binding keys, the auditor the log, intake and delivery
 * the spool) before dropping to the configured user and entering its own seccomp sandbox. The
 * supervisor then drops privileges too: it never reads the signing or binding key (`-t` aside,
 * which checks the binding key and exits), never writes the audit log and never parses a
 * report. The binding certificate the workers need comes from the signer, read with its key. It binds the TLS listener's socket and reads the listener's certificates and
 * key into memory (gateway/tls_context.h) for the TLS process, which never opens a file. It
 * restarts filter workers and the report pipeline (intake, TLS listener, router, workers,
 * delivery) when they die or on SIGHUP; the signer and the auditor are not restartable without
 * privileges, so if either dies the daemon stops, failing closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "binding_sign.h"
#include "canonical_json.h"
#include "config.h"
#include "daemon.h"
#include "daemon_notify.h"
#include "fileio.h"
#include "forward_amqp.h"
#include "keys.h"
#include "msg.h"
#include "policy_bundle.h"
#include "receipt.h"
#include "release.h"
#include "release_run.h"
#include "spool.h"
#include "syslog_export.h"
#include "tls_context.h"
#include "xml_intake.h"

#include <jansson.h>

static const char usage[] =
	"usage: sluiced -c CONFIG [-t] [-f]\n"
	"\n"
	"  -c CONFIG  the daemon's configuration (docs/CONFIG.md)\n"
	"  -t         test the configuration and the policy it names, then exit:\n"
	"             0 valid, 78 invalid (with file:line:column)\n"
	"  -f         stay in the foreground and log to stderr only (always so under systemd)\n"
	"Signals: SIGHUP reloads the configuration, the policy and the TLS certificates and CRL\n"
	"(keeping the old ones if the new ones are invalid),\n"
	"SIGTERM and SIGINT stop after finishing or safely leaving in-flight transfers,\n"
	"SIGUSR1 writes a signed tree head (an audit checkpoint) now if records lack one.\n";

/* Everything SIGHUP reloads, taken or refused as a whole. */
struct loaded {
	struct sluiced_config *cfg;
	struct policy *policy;
	struct redactor **redactors;
	void *schema;
	struct tls_material tls; /* read only when cfg->tls is set */
	struct forward_target *forwards; /* one per cfg->forwards, NULL when none */
	struct amqp_target *amqp_targets; /* one per cfg->rabbitmqs, NULL when none */
	struct syslog_destination audit_syslog; /* resolved when cfg->audit_syslog is set */
	struct sluiced_forward relp_peer; /* cfg->audit_relp seen as a forward destination */
	struct forward_target audit_relp; /* made ready when cfg->audit_relp is set */
};

static void loaded_free(struct loaded *l)
{
	if (l->policy != NULL && l->redactors != NULL)
		for (size_t i = 0; i < l->policy->nflows; i++)
			redactor_free(l->redactors[i]);
	free(l->redactors);
	release_schema_free(l->schema);
	policy_free(l->policy);
	tls_material_free(&l->tls);
	for (size_t i = 0; l->forwards != NULL && l->cfg != NULL && i < l->cfg->nforwards; i++)
		tls_material_free(&l->forwards[i].tls);
	free(l->forwards);
	for (size_t i = 0; l->amqp_targets != NULL && l->cfg != NULL && i < l->cfg->nrabbitmqs; i++)
		amqp_target_free(&l->amqp_targets[i]);
	free(l->amqp_targets);
	tls_material_free(&l->audit_relp.tls);
	memset(l, 0, sizeof(*l));
}

/* A forward destination made ready for the forwarder: its TLS material read and checked, and
 * its host resolved (the forwarder's sandbox has no resolver). */
static enum sluice_rc load_forward(const struct sluiced_forward *f, struct forward_target *t,
                                   struct sluice_error *err)
{
	char why[sizeof(err->message)];
	SSL_CTX *check;
	t->cfg = f;
	if (tls_forward_material_load(f, &t->tls, err) != SLUICE_OK ||
	    tls_client_context_new(&t->tls, &check, err) != SLUICE_OK) {
		snprintf(why, sizeof(why), "%s", err->message);
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.tls", f->url, f->line, 0,
		                      "forward %s: %s", f->domain, why);
	}
	SSL_CTX_free(check);
	int gai = forward_resolve(f->host, f->port, t->addr, t->addrlen, &t->naddr);
	if (gai != 0)
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.forward-resolve", f->url, f->line,
		                      0, "forward %s: cannot resolve %s: %s", f->domain, f->host,
		                      gai_strerror(gai));
	return SLUICE_OK;
}

/* The policy and what is compiled from it; the configuration's domains must exist in it. */
static enum sluice_rc load_policy(struct loaded *l, struct sluice_error *err)
{
	/* Under the two-person rule `policy` is a signed bundle: verified, unpacked into a private
	 * folder for as long as loading takes, and the approving administrators kept. */
	struct policy_bundle bundle;
	char unpacked[1024] = "", policy_file[1536];
	char **signers = NULL;
	size_t nsigners = 0;
	const char *path = l->cfg->policy;
	enum sluice_rc rc = SLUICE_OK;
	if (l->cfg->policy_admins != NULL) {
		rc = policy_bundle_open_verified(l->cfg->policy, l->cfg->policy_admins,
		                                 l->cfg->policy_signatures, &bundle, unpacked,
		                                 sizeof(unpacked), policy_file, sizeof(policy_file),
		                                 &signers, &nsigners, err);
		if (rc != SLUICE_OK) {
			if (err->file[0] == '\0')
				snprintf(err->file, sizeof(err->file), "%s", l->cfg->policy);
			return rc;
		}
		path = policy_file;
	}
	rc = policy_load(path, &l->policy, err);
	/* A flow that must leave with a signed ADatP-4778 binding needs the binding key: refused
	 * here (by -t, at start, on SIGHUP) rather than releasing unbound reports, or quarantining
	 * every report of the flow, later. */
	for (size_t i = 0; rc == SLUICE_OK && l->cfg->binding_key == NULL && i < l->policy->nflows;
	     i++)
		if (l->policy->flows[i].signed_binding)
			rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "binding.no-key", path,
			                    l->policy->flows[i].binding_line, 0,
			                    "the flow from %s has binding: signed-4778 and the "
			                    "configuration %s names no binding key (binding-key, "
			                    "binding-cert)", l->policy->flows[i].from, l->cfg->path);
	if (rc != SLUICE_OK && l->policy != NULL) {
		policy_free(l->policy);
		l->policy = NULL;
	}
	if (rc == SLUICE_OK) {
		l->policy->signers = signers;
		l->policy->nsigners = nsigners;
		signers = NULL;
		nsigners = 0;
		l->redactors = xcalloc(l->policy->nflows ? l->policy->nflows : 1,
		                       sizeof(*l->redactors));
	}
	for (size_t i = 0; rc == SLUICE_OK && i < l->policy->nflows; i++)
		rc = redactor_new(&l->policy->flows[i], &l->redactors[i], err);
	if (rc == SLUICE_OK && l->policy->schema_path != NULL)
		rc = release_schema_load(l->policy->schema_path, &l->schema, err);
	if (unpacked[0] != '\0') {
		policy_bundle_unpacked_remove(&bundle, unpacked);
		policy_bundle_free(&bundle);
		policy_bundle_free_signers(signers, nsigners);
	}
	if (rc != SLUICE_OK)
		return rc;
	for (size_t i = 0; l->cfg->tls && i < l->cfg->tls->nclients; i++)
		if (policy_domain_find(l->policy, l->cfg->tls->clients[i].domain) == NULL)
			return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.unknown-domain",
			                      l->cfg->path, l->cfg->tls->clients[i].line, 0,
			                      "tls client domain '%s' is not a domain of policy %s",
			                      l->cfg->tls->clients[i].domain, l->policy->id);
	for (size_t i = 0; i < l->cfg->nforwards; i++)
		if (policy_domain_find(l->policy, l->cfg->forwards[i].domain) == NULL)
			return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.unknown-domain",
			                      l->cfg->path, l->cfg->forwards[i].line, 0,
			                      "forward domain '%s' is not a domain of policy %s",
			                      l->cfg->forwards[i].domain, l->policy->id);
	for (size_t i = 0; i < l->cfg->nrabbitmqs; i++)
		if (policy_domain_find(l->policy, l->cfg->rabbitmqs[i].domain) == NULL)
			return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.unknown-domain",
			                      l->cfg->path, l->cfg->rabbitmqs[i].line, 0,
			                      "rabbitmq domain '%s' is not a domain of policy %s",
			                      l->cfg->rabbitmqs[i].domain, l->policy->id);
	if (l->cfg->tls != NULL) {
		/* Build the listener's context once here, so that a bad key or CRL is refused
		 * now (by -t, at start, on SIGHUP) and not by a listener crashing in a loop. */
		SSL_CTX *check;
		int stale;
		rc = tls_material_load(l->cfg->tls, &l->tls, err);
		if (rc == SLUICE_OK)
			rc = tls_server_context_new(&l->tls, NULL, &check, &stale, err);
		if (rc != SLUICE_OK) {
			char why[sizeof(err->message)];
			snprintf(why, sizeof(why), "%s", err->message);
			return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.tls", l->cfg->path,
			                      l->cfg->tls->line, 0, "%s", why);
		}
		SSL_CTX_free(check);
		if (stale)
			daemon_log(LOG_ERR, "supervisor", "the CRL %s is past its next update: every "
			           "client certificate of its CA will be refused", l->tls.crl.path);
	}
	if (l->cfg->nforwards > 0)
		l->forwards = xcalloc(l->cfg->nforwards, sizeof(*l->forwards));
	for (size_t i = 0; i < l->cfg->nforwards; i++) {
		rc = load_forward(&l->cfg->forwards[i], &l->forwards[i], err);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* Credentials read and brokers resolved here: the forwarder opens no file outside the
	 * spool and has no resolver. */
	if (l->cfg->nrabbitmqs > 0)
		l->amqp_targets = xcalloc(l->cfg->nrabbitmqs, sizeof(*l->amqp_targets));
	for (size_t i = 0; i < l->cfg->nrabbitmqs; i++) {
		rc = amqp_target_load(&l->cfg->rabbitmqs[i], l->cfg->path, &l->amqp_targets[i], err);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* sluiced-relp's material read and its collector resolved here, as for the forwarder. */
	const struct sluiced_relp *relp = l->cfg->audit_relp;
	if (relp != NULL) {
		l->relp_peer = (struct sluiced_forward){
			.domain = (char *)"audit-relp", .url = relp->target, .host = relp->host,
			.port = relp->port, .ca = relp->ca, .certificate = relp->certificate,
			.key = relp->key, .line = relp->line,
		};
		rc = load_forward(&l->relp_peer, &l->audit_relp, err);
		if (rc != SLUICE_OK)
			return rc;
	}
	/* Resolved here, like the forward hosts: the auditor's sandbox has no resolver. */
	if (l->cfg->audit_syslog != NULL)
		return syslog_destination_resolve(l->cfg->audit_syslog, l->cfg->path,
		                                  &l->audit_syslog, err);
	return SLUICE_OK;
}

/* What the children inherit comes from `cur`. */
static struct daemon_ctx ctx;
static struct loaded cur;

static void use_loaded(void)
{
	ctx.cfg = cur.cfg;
	ctx.policy = cur.policy;
	ctx.redactors = cur.redactors;
	ctx.schema = cur.schema;
	ctx.tls = cur.cfg->tls != NULL ? &cur.tls : NULL;
	ctx.forwards = cur.forwards;
	ctx.nforwards = cur.cfg->nforwards;
	ctx.amqp_targets = cur.amqp_targets;
	ctx.namqp_targets = cur.cfg->nrabbitmqs;
	ctx.audit_syslog = cur.cfg->audit_syslog != NULL ? &cur.audit_syslog : NULL;
	ctx.audit_relp = cur.cfg->audit_relp != NULL ? &cur.audit_relp : NULL;
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Under the two-person rule a reload must move forward: a bundle whose version is lower than the
 * running policy's, or equal with other contents, is a rollback (an old, once-approved bundle
 * replayed). 1 (with `err`) when refused. */
static int rolled_back(const struct loaded *next, struct sluice_error *err)
{
	const struct policy *now = cur.policy, *p = next->policy;
	if (next->cfg->policy_admins == NULL)
		return 0;
	if (p->version > now->version ||
	    (p->version == now->version && strcmp(p->bundle_sha256_hex, now->bundle_sha256_hex) == 0))
		return 0;
	sluice_fail_at(err, SLUICE_ERR_VERIFY, "bundle.rollback", next->cfg->policy, 0, 0,
	               "policy %s version %ld is not newer than the running version %ld%s", p->id,
	               p->version, now->version,
	               p->version == now->version ? " and differs from it" : "");
	return 1;
}

/* SIGHUP cannot change what was opened or decided before privileges were dropped: the spool,
 * the audit log, the signing and binding keys, the user and the listening address. 1 (with `err`) when the
 * new configuration changes one of them. */
static int restart_only_changed(const struct sluiced_config *old, const struct sluiced_config *new,
                                struct sluice_error *err)
{
	const char *what = NULL;
	if (!same(old->spool, new->spool))
		what = "spool";
	else if (!same(old->audit_log, new->audit_log))
		what = "audit-log";
	else if (!same(old->signing_key, new->signing_key))
		what = "signing-key";
	else if (!same(old->binding_key, new->binding_key))
		what = "binding-key"; /* the signer, which holds it, is not restarted */
	else if (!same(old->binding_cert, new->binding_cert))
		what = "binding-cert"; /* read by the signer with its key, at start */
	else if (!same(old->user, new->user))
		what = "user";
	else if (old->checkpoint_interval != new->checkpoint_interval)
		what = "checkpoint-interval";
	else if ((old->audit_syslog == NULL) != (new->audit_syslog == NULL) ||
	         (old->audit_syslog != NULL &&
	          (strcmp(old->audit_syslog->target, new->audit_syslog->target) != 0 ||
	           old->audit_syslog->facility != new->audit_syslog->facility)))
		what = "audit-syslog"; /* the auditor, which sends, is not restarted */
	else if (old->checkpoint_seconds != new->checkpoint_seconds)
		what = "checkpoint-seconds";
	else if ((old->tls == NULL) != (new->tls == NULL) ||
	         (old->tls != NULL && (!same(old->tls->listen_host, new->tls->listen_host) ||
	                               old->tls->listen_port != new->tls->listen_port)))
		what = "tls.listen";
	if (what == NULL)
		return 0;
	sluice_fail_at(err, SLUICE_ERR_POLICY, "config.restart-needed", new->path, 0, 0,
	               "`%s` changed: it takes effect only when the daemon is restarted", what);
	return 1;
}

/* ---- processes ---- */

static int auditor_ctl_fd(void);

/* A refused policy reload under the two-person rule is an oversight event: the auditor records
 * it like a transfer that ended in "error" (no from, no to), naming the running policy, the
 * refused bundle's SHA-256 as its input, and why. Failing that is logged, not fatal: the
 * running policy is unchanged either way. */
static void audit_refused_reload(const struct policy *running, const char *bundle_path,
                                 const struct sluice_error *why)
{
	struct transfer_record r;
	struct sluice_error err;
	uint8_t *data = NULL;
	size_t len = 0;
	transfer_record_init(&r);
	r.from = xstrdup("");
	r.to = xstrdup("");
	transfer_record_set_policy(&r, running);
	r.decision = xstrdup("error");
	r.reason_rule = xstrdup(why->rule[0] ? why->rule : "policy.reload");
	r.reason = xstrdup(why->message);
	if (file_read_bounded(bundle_path, POLICY_BUNDLE_MAX_BYTES, SLUICE_ERR_IO, &data, &len,
	                      &err) != SLUICE_OK)
		len = 0;
	sha256_hex(data ? data : (const uint8_t *)"", len, r.input_sha256);
	free(data);
	json_t *j = transfer_record_to_json(&r);
	char *canon = j ? json_canonical(j) : NULL;
	json_decref(j);
	struct msg m;
	int fd = auditor_ctl_fd(), got = -1;
	if (canon != NULL && msg_send(fd, MSG_AUDIT_APPEND, 1, canon, strlen(canon), -1) == 0)
		got = msg_recv(fd, &m, 64, &err);
	/* MSG_FAIL: the audit storage failed (the auditor's alarm says how) */
	if (got != 1 || m.type != MSG_AUDIT_DONE)
		daemon_log(LOG_ERR, "supervisor", "could not audit the refused reload");
	if (got == 1)
		msg_free(&m);
	free(canon);
	transfer_record_free(&r);
}

enum { P_SIGNER, P_AUDITOR, P_ROUTER, P_INTAKE, P_DELIVERY, P_TLS, P_FORWARD, P_RELP, P_WORKER0 };
#define MAX_PROCS (P_WORKER0 + 64)

static pid_t pids[MAX_PROCS];
static int signer_ctl = -1, auditor_ctl = -1, router_ctl = -1;

static int auditor_ctl_fd(void)
{
	return auditor_ctl;
}
static int listen_fd = -1; /* the TLS listener's socket, bound once at start-up */
static volatile sig_atomic_t got_term, got_hup, got_chld, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		daemon_fatal("supervisor", "socketpair: %s", strerror(errno));
}

/* Forks; the child runs `entry`'s process after resetting signal handling. */
static pid_t spawn(void)
{
	pid_t pid = fork();
	if (pid < 0)
		daemon_fatal("supervisor", "fork: %s", strerror(errno));
	if (pid == 0) {
		daemon_use_syslog = 0; /* no /dev/log, no /etc/localtime inside a sandbox */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigaction(SIGCHLD, &dfl, NULL);
		/* Only the auditor answers SIGUSR1 (a tree head on demand); the rest ignore it rather
		 * than die of it. */
		dfl.sa_handler = SIG_IGN;
		sigaction(SIGUSR1, &dfl, NULL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	return pid;
}

static void send_peer(int ctl, int fd, uint32_t role, uint32_t slot)
{
	uint8_t body[8] = { 0, 0, 0, (uint8_t)role, (uint8_t)(slot >> 24), (uint8_t)(slot >> 16),
		            (uint8_t)(slot >> 8), (uint8_t)slot };
	if (msg_send(ctl, MSG_NEW_PEER, 0, body, sizeof(body), fd) != 0)
		daemon_fatal("supervisor", "cannot hand a socket over: %s", strerror(errno));
}

static void start_worker(unsigned slot, int *router_end)
{
	int sv[2];
	pair(sv);
	pid_t pid = spawn();
	if (pid == 0) {
		close(sv[0]);
		worker_main(&ctx, sv[1]);
	}
	close(sv[1]);
	pids[P_WORKER0 + slot] = pid;
	if (router_end != NULL)
		*router_end = sv[0];
	else {
		/* If the router is gone too, its own death restarts the whole pipeline. */
		uint8_t body[8] = { 0, 0, 0, ROLE_WORKER, (uint8_t)(slot >> 24), (uint8_t)(slot >> 16),
			            (uint8_t)(slot >> 8), (uint8_t)slot };
		if (msg_send(router_ctl, MSG_NEW_PEER, 0, body, sizeof(body), sv[0]) != 0)
			daemon_log(LOG_WARNING, "supervisor", "the router did not take worker %u: %s",
			           slot, strerror(errno));
		close(sv[0]);
	}
}

/* sluiced-relp, when the configuration has `audit-relp`: no peer, it reads the audit log
 * through a read-only descriptor the supervisor opens once, while it may (the auditor creates
 * the log as root, readable by root only), and keeps for the restarts. */
static int relp_log = -1;

static void start_relp(bool restarted)
{
	if (ctx.audit_relp == NULL)
		return;
	/* The auditor, just started, creates the log: wait up to 5 s for it. */
	for (int tries = 0; relp_log < 0 && tries < 50; tries++) {
		relp_log = open(ctx.cfg->audit_log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (relp_log < 0 && errno != ENOENT)
			break;
		if (relp_log < 0) {
			struct timespec pause = { 0, 100 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
	}
	if (relp_log < 0) {
		daemon_log(LOG_ERR, "supervisor", "audit-relp: cannot open the audit log %s: %s; "
		           "records are not forwarded until sluiced restarts", ctx.cfg->audit_log,
		           strerror(errno));
		return;
	}
	pid_t pid = spawn();
	if (pid == 0) {
		if (listen_fd >= 0)
			close(listen_fd);
		relp_main(&ctx, relp_log, restarted);
	}
	pids[P_RELP] = pid;
}

/* Intake, router, workers and delivery, with new sockets to the signer and the auditor. */
static void start_pipeline(void)
{
	int to_intake[2], to_signer[2], to_auditor[2], to_delivery[2], ctl[2], to_tls[2] = { -1, -1 };
	int workers[64];
	unsigned n = ctx.cfg->workers;
	pair(to_intake);
	if (listen_fd >= 0)
		pair(to_tls);
	pair(to_signer);
	pair(to_auditor);
	pair(to_delivery);
	pair(ctl);
	send_peer(signer_ctl, to_signer[1], ROLE_ROUTER, 0);
	send_peer(auditor_ctl, to_auditor[1], ROLE_ROUTER, 0);
	close(to_signer[1]);
	close(to_auditor[1]);
	for (unsigned w = 0; w < n; w++)
		start_worker(w, &workers[w]);
	pid_t pid = spawn();
	if (pid == 0) {
		close(to_intake[0]);
		intake_main(&ctx, to_intake[1]);
	}
	pids[P_INTAKE] = pid;
	pid = spawn();
	if (pid == 0) {
		close(to_delivery[0]);
		delivery_main(&ctx, to_delivery[1]);
	}
	pids[P_DELIVERY] = pid;
	if (listen_fd >= 0) {
		pid = spawn();
		if (pid == 0) {
			close(to_tls[0]);
			tls_main(&ctx, listen_fd, to_tls[1]);
		}
		pids[P_TLS] = pid;
		close(to_tls[1]);
	}
	pid = spawn();
	if (pid == 0) {
		if (listen_fd >= 0)
			close(listen_fd); /* the router accepts nothing */
		router_main(&ctx, to_intake[0], to_tls[0], to_signer[0], to_auditor[0],
		            to_delivery[0], workers, n, ctl[1]);
	}
	pids[P_ROUTER] = pid;
	if (to_tls[0] >= 0)
		close(to_tls[0]);
	if (ctx.nforwards + ctx.namqp_targets > 0) {
		pid = spawn();
		if (pid == 0) {
			if (listen_fd >= 0)
				close(listen_fd);
			forward_main(&ctx);
		}
		pids[P_FORWARD] = pid;
	}
	start_relp(false);
	close(to_intake[0]);
	close(to_intake[1]);
	close(to_signer[0]);
	close(to_auditor[0]);
	close(to_delivery[0]);
	close(to_delivery[1]);
	close(ctl[1]);
	for (unsigned w = 0; w < n; w++)
		close(workers[w]);
	if (router_ctl >= 0)
		close(router_ctl);
	router_ctl = ctl[0];
}

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* kill(), for a child that may not have dropped its privileges yet: the supervisor runs as
 * the unprivileged user from start-up on, and may not signal a child still running as root
 * (EPERM) in the few milliseconds before it drops them. Waits up to 10 s for that. */
static void signal_child(pid_t pid, int sig)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (kill(pid, sig) == 0 || errno != EPERM)
			return;
		struct timespec pause = { 0, 10 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	daemon_log(LOG_ERR, "supervisor", "cannot signal process %ld: %s", (long)pid,
	           strerror(EPERM));
}

static void stop_pipeline(void)
{
	int order[] = { P_INTAKE, P_TLS, P_ROUTER, P_DELIVERY, P_FORWARD, P_RELP };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (pids[order[i]] > 0)
			signal_child(pids[order[i]], SIGTERM);
	for (unsigned w = 0; w < ctx.cfg->workers; w++)
		if (pids[P_WORKER0 + w] > 0)
			signal_child(pids[P_WORKER0 + w], SIGTERM);
	int status;
	for (int i = P_ROUTER; i < MAX_PROCS; i++)
		if (pids[i] > 0) {
			reap(pids[i], &status);
			if ((WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) != 0))
				daemon_log(LOG_WARNING, "supervisor", "process %d (pid %ld) ended badly: %s %d",
				           i, (long)pids[i], WIFSIGNALED(status) ? "signal" : "status",
				           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			pids[i] = 0;
		}
}

static int role_of(pid_t pid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

static void shutdown_all(int code)
{
	int status;
	daemon_notify("STOPPING=1");
	stop_pipeline();
	if (pids[P_AUDITOR] > 0) {
		signal_child(pids[P_AUDITOR], SIGTERM); /* final checkpoint, signed by the signer */
		reap(pids[P_AUDITOR], &status);
	}
	if (signer_ctl >= 0)
		close(signer_ctl); /* the signer stops when its control socket closes */
	if (listen_fd >= 0)
		close(listen_fd);
	if (pids[P_SIGNER] > 0)
		reap(pids[P_SIGNER], &status);
	daemon_log(LOG_NOTICE, "supervisor", "stopped");
	exit(code);
}

/* A pipeline that dies again at once (a bad certificate, a full disk) must not make the
 * supervisor spin: a second restart within 5 s waits 1 s first. */
static void restart_pause(void)
{
	static struct timespec last;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec != 0 && now.tv_sec - last.tv_sec < 5) {
		struct timespec pause = { 1, 0 };
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	last = now;
}

/* Binds the TLS listener's socket, once, while the daemon may still bind a port below 1024.
 * Non-blocking, as libevent's accept loop needs. 0, or -1 with `err` set. */
static int open_listener(const struct sluiced_tls *t, struct sluice_error *err)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", t->listen_port);
	int gai = getaddrinfo(t->listen_host, port, &hints, &res);
	if (gai != 0) {
		sluice_fail_at(err, SLUICE_ERR_POLICY, "config.listen", ctx.cfg->path, t->line, 0,
		               "tls: cannot resolve the listen address %s: %s", t->listen_host,
		               gai_strerror(gai));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	/* TCP_NODELAY is inherited by every accepted connection (Linux): without it, a receipt
	 * written after the client's request waited ~40 ms for the client's delayed ACK (Nagle),
	 * which capped one keep-alive client at ~19 reports/s (bench/run.sh, part c). */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		sluice_fail_at(err, SLUICE_ERR_POLICY, "config.listen", ctx.cfg->path, t->line, 0,
		               "tls: cannot listen on %s port %u: %s", t->listen_host, t->listen_port,
		               strerror(e));
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The signer's first message: the signing key's id (for the auditor's checkpoints) and the
 * binding certificate and algorithm (for the workers), kept in `ctx` for the daemon's life:
 * both keys are restart-only. -1 when the signer refused a key (its message printed: the
 * configuration is invalid, exit 78); fatal when it said nothing sensible. */
static uint8_t *binding_cert_der;

static int receive_signer_keys(int fd)
{
	struct sluice_error err;
	struct msg m;
	const uint8_t *key_id, *cert;
	size_t key_id_len, cert_len;
	uint32_t alg;
	if (msg_recv(fd, &m, 64 * 1024 + 256, &err) != 1)
		daemon_fatal("supervisor", "the signer did not start (see its message above)");
	if (m.type == MSG_FAIL) {
		fprintf(stderr, "sluiced: %.*s\n", (int)(m.body.len < 2048 ? m.body.len : 2048),
		        (const char *)m.body.data);
		msg_free(&m);
		return -1;
	}
	if (m.type != MSG_KEY_ID || sbuf_get_string_ptr(&m.body, &key_id, &key_id_len, 64) ||
	    key_id_len != 64 || sbuf_get_u32(&m.body, &alg) ||
	    sbuf_get_string_ptr(&m.body, &cert, &cert_len, 64 * 1024) ||
	    sbuf_remaining(&m.body) != 0 ||
	    (alg != 0 && alg != S4778_ECDSA_SHA256 && alg != S4778_RSA_SHA256) ||
	    (alg == 0) != (cert_len == 0) || (alg != 0) != (ctx.cfg->binding_key != NULL))
		daemon_fatal("supervisor", "the signer reported its keys in a malformed message");
	memcpy(ctx.key_id, key_id, 64);
	ctx.key_id[64] = '\0';
	if (alg != 0) {
		binding_cert_der = xmalloc(cert_len);
		memcpy(binding_cert_der, cert, cert_len);
		ctx.binding_cert = binding_cert_der;
		ctx.binding_cert_len = cert_len;
		ctx.binding_alg = (int)alg;
	}
	msg_free(&m);
	return 0;
}

static void make_inboxes(void)
{
	struct spool s;
	struct sluice_error err;
	if (spool_open(ctx.cfg->spool, &s, &err) != SLUICE_OK)
		daemon_fatal("supervisor", "%s", err.message);
	/* inbox/<source>/<destination>/ for every pair of domains, flow or not: a report dropped
	 * where no flow allows is refused (default deny), not ignored. */
	for (size_t f = 0; f < cur.policy->ndomains; f++) {
		const char *from = cur.policy->domains[f].name;
		(void)mkdirat(s.inbox, from, 0750);
		if (ctx.run_as_other &&
		    fchownat(s.inbox, from, (uid_t)ctx.uid, (gid_t)ctx.gid, AT_SYMLINK_NOFOLLOW))
			daemon_fatal("supervisor", "chown inbox/%s: %s", from, strerror(errno));
		for (size_t t = 0; t < cur.policy->ndomains; t++) {
			char rel[300];
			if (t == f)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", from, cur.policy->domains[t].name);
			(void)mkdirat(s.inbox, rel, 0750);
			if (ctx.run_as_other &&
			    fchownat(s.inbox, rel, (uid_t)ctx.uid, (gid_t)ctx.gid, AT_SYMLINK_NOFOLLOW))
				daemon_fatal("supervisor", "chown inbox/%s: %s", rel, strerror(errno));
		}
	}
	if (ctx.run_as_other) {
		/* the spool belongs to the unprivileged user */
		int dirs[] = { s.root, s.inbox, s.outbox, s.refused, s.quarantine, s.state, s.tmp };
		for (size_t i = 0; i < 7; i++)
			if (fchown(dirs[i], (uid_t)ctx.uid, (gid_t)ctx.gid) != 0)
				daemon_fatal("supervisor", "cannot give the spool to user %s: %s",
				             ctx.cfg->user, strerror(errno));
	}
	spool_close(&s);
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int test_only = 0, c;
	struct sluice_error err;

	while ((c = getopt(argc, argv, "c:tfh")) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': test_only = 1; break;
		case 'f': break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 64;
		}
	}
	if (config == NULL || optind != argc) {
		fputs(usage, stderr);
		return 64;
	}
	/* jansson seeds its hash tables from /dev/urandom on first use: do it now, before any
	 * sandbox forbids opening files. */
	json_object_seed(0);
	xml_intake_init();
	if (sluiced_config_load(config, &cur.cfg, &err) != SLUICE_OK ||
	    load_policy(&cur, &err) != SLUICE_OK) {
		sluice_error_print("sluiced", &err);
		return sluice_rc_exit_code(err.rc == SLUICE_ERR_IO ? SLUICE_ERR_POLICY : err.rc);
	}
	memset(&ctx, 0, sizeof(ctx));
	use_loaded();
	if (geteuid() == 0) {
		if (cur.cfg->user == NULL) {
			fprintf(stderr, "sluiced: %s: started as root without `user:`: refusing to run as "
			                "root past start-up [config.user]\n", config);
			return 78;
		}
		struct passwd *pw = getpwnam(cur.cfg->user);
		if (pw == NULL || pw->pw_uid == 0) {
			fprintf(stderr, "sluiced: %s: user '%s' does not exist or is root [config.user]\n",
			        config, cur.cfg->user);
			return 78;
		}
		ctx.uid = pw->pw_uid;
		ctx.gid = pw->pw_gid;
		ctx.run_as_other = 1;
	}
	if (test_only) {
		printf("%s: configuration valid; policy %s version %ld (bundle_sha256 %s)\n", config,
		       cur.policy->id, cur.policy->version, cur.policy->bundle_sha256_hex);
		if (cur.cfg->tls != NULL)
			printf("%s: TLS listener on %s port %u with certificate %s\n", config,
			       cur.cfg->tls->listen_host, cur.cfg->tls->listen_port,
			       cur.cfg->tls->certificate);
		if (cur.cfg->audit_syslog != NULL)
			printf("%s: audit records copied to syslog at %s\n", config,
			       cur.cfg->audit_syslog->target);
		if (cur.cfg->audit_relp != NULL)
			printf("%s: audit records forwarded over RELP with TLS to %s\n", config,
			       cur.cfg->audit_relp->target);
		if (cur.cfg->binding_key != NULL) {
			/* What the signer will load at start, loaded and checked the same way, then
			 * wiped: nothing else runs in a test. */
			struct binding_signer binding;
			if (binding_signer_load(cur.cfg->binding_key, cur.cfg->binding_cert, &binding,
			                        &err) != SLUICE_OK) {
				sluice_error_print("sluiced", &err);
				return 78;
			}
			printf("%s: ADatP-4778 bindings signed %s with %s (certificate %s)\n", config,
			       binding.alg == S4778_ECDSA_SHA256 ? "ECDSA-SHA256" : "RSA-SHA256",
			       cur.cfg->binding_key, cur.cfg->binding_cert);
			binding_signer_free(&binding);
		}
		return 0;
	}
	if (cur.cfg->tls != NULL && (listen_fd = open_listener(cur.cfg->tls, &err)) < 0) {
		sluice_error_print("sluiced", &err);
		return 78;
	}
	if (getenv("INVOCATION_ID") == NULL) /* not under systemd: syslog too */
		daemon_use_syslog = 1;
	openlog("sluiced", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	make_inboxes();

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);

	/* The signer first: it reports its key id, which the auditor's checkpoints name. */
	int sc[2], sa_pair[2], ac[2];
	pair(sc);
	pair(sa_pair);
	pair(ac);
	pid_t pid = spawn();
	if (pid == 0) {
		close(sc[0]);
		close(sa_pair[1]);
		close(ac[0]);
		close(ac[1]);
		signer_main(&ctx, sc[1], sa_pair[0]);
	}
	pids[P_SIGNER] = pid;
	close(sc[1]);
	close(sa_pair[0]);
	signer_ctl = sc[0];
	if (receive_signer_keys(signer_ctl) != 0) {
		int status;
		reap(pids[P_SIGNER], &status);
		return 78;
	}
	pid = spawn();
	if (pid == 0) {
		close(signer_ctl);
		close(ac[0]);
		auditor_main(&ctx, ac[1], sa_pair[1]);
	}
	pids[P_AUDITOR] = pid;
	close(ac[1]);
	close(sa_pair[1]);
	auditor_ctl = ac[0];
	start_pipeline();
	daemon_drop_privileges(&ctx, "supervisor");
	daemon_log(LOG_NOTICE, "supervisor", "started: policy %s version %ld, %u workers, key %.16s%s",
	           cur.policy->id, cur.policy->version, cur.cfg->workers, ctx.key_id,
	           listen_fd >= 0 ? ", mutual-TLS listener" : "");
	daemon_notify("READY=1");

	for (;;) {
		sigsuspend(&old);
		if (got_term)
			shutdown_all(0);
		if (got_chld) {
			got_chld = 0;
			int status;
			pid_t dead;
			while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
				int role = role_of(dead);
				if (role < 0)
					continue;
				pids[role] = 0;
				static const char *const names[] = { "signer", "auditor", "router",
					                             "intake", "delivery",
					                             "TLS listener", "forwarder",
					                             "audit forwarder (sluiced-relp)" };
				char how[64];
				if (WIFSIGNALED(status))
					snprintf(how, sizeof(how), "was killed by signal %d (%s)",
					         WTERMSIG(status), strsignal(WTERMSIG(status)));
				else
					snprintf(how, sizeof(how), "exited with status %d",
					         WEXITSTATUS(status));
				daemon_log(LOG_WARNING, "supervisor", "the %s (pid %ld) %s",
				           role < P_WORKER0 ? names[role] : "worker", (long)dead, how);
				if (role == P_SIGNER || role == P_AUDITOR) {
					daemon_log(LOG_CRIT, "supervisor", "the %s died: stopping",
					           role == P_SIGNER ? "signer" : "auditor");
					shutdown_all(70);
				}
				if (role == P_RELP) {
					/* It has no peer: the pipeline goes on, and it restarts alone
					 * from its saved position. */
					start_relp(true);
				} else if (role >= P_WORKER0) {
					daemon_log(LOG_WARNING, "supervisor", "worker %d died; restarting it",
					           role - P_WORKER0);
					start_worker((unsigned)(role - P_WORKER0), NULL);
				} else {
					daemon_log(LOG_WARNING, "supervisor",
					           "a pipeline process died; restarting the pipeline");
					stop_pipeline();
					restart_pause();
					start_pipeline();
				}
			}
		}
		if (got_usr1) {
			got_usr1 = 0;
			if (pids[P_AUDITOR] > 0) {
				signal_child(pids[P_AUDITOR], SIGUSR1);
				daemon_log(LOG_INFO, "supervisor", "asked the auditor for a signed tree "
				           "head");
			}
		}
		if (got_hup) {
			got_hup = 0;
			daemon_notify("RELOADING=1");
			struct loaded next;
			memset(&next, 0, sizeof(next));
			bool loaded = false;
			if (sluiced_config_load(cur.cfg->path, &next.cfg, &err) != SLUICE_OK ||
			    restart_only_changed(cur.cfg, next.cfg, &err) ||
			    !(loaded = load_policy(&next, &err) == SLUICE_OK) ||
			    rolled_back(&next, &err)) {
				daemon_log(LOG_ERR, "supervisor", "reload refused, keeping policy %s v%ld: "
				           "%s:%u:%u: %s [%s]", cur.policy->id, cur.policy->version,
				           err.file, err.line, err.column, err.message, err.rule);
				if (next.cfg != NULL && next.cfg->policy_admins != NULL &&
				    (!loaded || strncmp(err.rule, "bundle.", 7) == 0))
					audit_refused_reload(cur.policy, next.cfg->policy, &err);
				sluiced_config_free(next.cfg);
				next.cfg = NULL;
				loaded_free(&next);
				daemon_notify("READY=1");
				continue;
			}
			stop_pipeline();
			sluiced_config_free(cur.cfg);
			cur.cfg = NULL;
			loaded_free(&cur);
			cur = next;
			use_loaded();
			start_pipeline();
			daemon_log(LOG_NOTICE, "supervisor", "reloaded: policy %s version %ld%s",
			           cur.policy->id, cur.policy->version,
			           cur.cfg->tls ? ", TLS certificates and CRL" : "");
			daemon_notify("READY=1");
		}
	}
}
