/*
 * Auditor: the only process that can append to the audit log.
 *
 *   hostile data: records to append (from the router)
 *   privilege:    the audit log, open for appending; no key (checkpoints are signed by the
 *                 signer), no other files, no new sockets (SANDBOX_AUDITOR); with
 *                 `audit-syslog`, one socket made before the sandbox, only sent on
 *   may open:     the audit log, once, before its sandbox
 *   peers:        the supervisor (control, and records of policy reloads it refused), the
 *                 signer, the router
 *
 * Appends are idempotent by transfer id: a transfer already in the log (a retry after a crash)
 * is answered "already logged" and not written twice. Every append is fsynced before the answer.
 * Only then, with `audit-syslog`, an RFC 5424 copy goes to the collector, best effort
 * (gateway/syslog_export.h): a collector that is down never delays or loses a record.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

#include "auditlog.h"
#include "canonical_json.h"
#include "config.h"
#include "daemon.h"
#include "msg.h"
#include "sandbox.h"
#include "syslog_export.h"

#define AUDITOR_MAX_PEERS 8

/* ---- the transfer ids already in the log: a small hash set ---- */

struct idset {
	char **slot;
	size_t cap, n;
};

static size_t id_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static bool idset_has(const struct idset *set, const char *id)
{
	if (set->cap == 0)
		return false;
	for (size_t i = id_hash(id) & (set->cap - 1); set->slot[i] != NULL; i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], id) == 0)
			return true;
	return false;
}

static void idset_add(struct idset *set, const char *id)
{
	if (idset_has(set, id))
		return;
	if ((set->n + 1) * 2 > set->cap) {
		struct idset bigger = { NULL, set->cap ? set->cap * 2 : 1024, 0 };
		bigger.slot = xcalloc(bigger.cap, sizeof(char *));
		for (size_t i = 0; i < set->cap; i++)
			if (set->slot[i] != NULL) {
				size_t k = id_hash(set->slot[i]) & (bigger.cap - 1);
				while (bigger.slot[k] != NULL)
					k = (k + 1) & (bigger.cap - 1);
				bigger.slot[k] = set->slot[i];
				bigger.n++;
			}
		free(set->slot);
		*set = bigger;
	}
	size_t k = id_hash(id) & (set->cap - 1);
	while (set->slot[k] != NULL)
		k = (k + 1) & (set->cap - 1);
	set->slot[k] = xstrdup(id);
	set->n++;
}

/* Reads every transfer id already in the log (before the sandbox: it opens the file). */
static void load_ids(const char *path, struct idset *set)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *j = json_loadb(line, (size_t)n, 0, NULL);
		json_t *id = json_object_get(json_object_get(j, "record"), "transfer_id");
		if (json_is_string(id))
			idset_add(set, json_string_value(id));
		json_decref(j);
	}
	free(line);
	fclose(f);
}

/* ---- checkpoints signed by the signer ---- */

static enum sluice_rc sign_via_signer(void *arg, const char *payload, size_t len, uint8_t sig[64],
                                      struct sluice_error *err)
{
	int signer = *(int *)arg;
	static uint64_t next_id = 1;
	struct msg m;
	uint64_t id = next_id++;
	if (msg_send(signer, MSG_SIGN_CHECKPOINT, id, payload, len, -1) != 0)
		return sluice_fail(err, SLUICE_ERR_IO, "audit.signer", "cannot reach the signer: %s",
		                   strerror(errno));
	int r = msg_recv(signer, &m, 1024, err);
	if (r <= 0)
		return sluice_fail(err, SLUICE_ERR_IO, "audit.signer", "the signer went away");
	enum sluice_rc rc = SLUICE_OK;
	if (m.type != MSG_SIGNATURE || m.id != id || m.body.len != 64)
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.signer",
		                 "the signer refused or answered nonsense");
	else
		memcpy(sig, m.body.data, 64);
	msg_free(&m);
	return rc;
}

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Appends one record; answers the router. False: the router broke the protocol. */
static bool serve(struct auditlog *log, struct idset *ids, struct syslog_sink *copy, int fd,
                  struct msg *m)
{
	struct sluice_error err;
	json_error_t jerr;
	if (m->type != MSG_AUDIT_APPEND)
		return false;
	json_t *rec = json_loadb((const char *)m->body.data, m->body.len, JSON_REJECT_DUPLICATES,
	                         &jerr);
	json_t *id = json_object_get(rec, "transfer_id");
	char *canon = rec ? json_canonical(rec) : NULL;
	bool ok = json_is_object(rec) && json_is_string(id) && canon != NULL &&
	          strlen(canon) == m->body.len && memcmp(canon, m->body.data, m->body.len) == 0;
	free(canon);
	if (!ok) {
		json_decref(rec);
		daemon_log(LOG_ERR, "auditor", "refused a record that is not canonical JSON");
		return false;
	}
	uint32_t status = 0;
	if (idset_has(ids, json_string_value(id))) {
		status = 1;
	} else {
		if (auditlog_append(log, rec, &err) != SLUICE_OK)
			daemon_fatal("auditor", "cannot append to the audit log: %s", err.message);
		idset_add(ids, json_string_value(id));
		if (copy != NULL)
			syslog_sink_send(copy, rec);
	}
	json_decref(rec);
	uint8_t body[4] = { 0, 0, 0, (uint8_t)status };
	return msg_send(fd, MSG_AUDIT_DONE, m->id, body, sizeof(body), -1) == 0;
}

void auditor_main(const struct daemon_ctx *d, int ctl, int signer)
{
	struct sluice_error err;
	struct auditlog *log = NULL;
	struct idset ids = { NULL, 0, 0 };
	int signer_fd = signer;
	char why[256];
	int peers[AUDITOR_MAX_PEERS];
	size_t npeers = 0;

	prctl(PR_SET_NAME, "sluiced-auditor", 0, 0, 0); /* for ps, pgrep and the tests */
	load_ids(d->cfg->audit_log, &ids);
	if (auditlog_open_with_signer(d->cfg->audit_log, d->key_id, sign_via_signer, &signer_fd,
	                              &log, &err) != SLUICE_OK)
		daemon_fatal("auditor", "%s: %s", d->cfg->audit_log, err.message);
	auditlog_set_checkpoint_interval(log, d->cfg->checkpoint_interval);
	struct syslog_sink *copy = NULL;
	char host[256] = "";
	if (d->audit_syslog != NULL) {
		(void)gethostname(host, sizeof(host) - 1);
		if (syslog_sink_open(d->audit_syslog, host, &copy, &err) != SLUICE_OK)
			daemon_fatal("auditor", "%s", err.message);
	}
	daemon_drop_privileges(d, "auditor");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	int keep[4] = { ctl, signer, auditlog_fd(log), copy ? syslog_sink_fd(copy) : -1 };
	if (sandbox_enter_profile(SANDBOX_AUDITOR, keep, copy ? 4 : 3, why, sizeof(why)) != 0)
		daemon_fatal("auditor", "%s", why);
	daemon_log(LOG_INFO, "auditor", "audit log open, %zu transfers already recorded", ids.n);
	while (!stopping) {
		struct pollfd pfd[AUDITOR_MAX_PEERS + 1];
		pfd[0] = (struct pollfd){ ctl, POLLIN, 0 };
		for (size_t i = 0; i < npeers; i++)
			pfd[i + 1] = (struct pollfd){ peers[i], POLLIN, 0 };
		if (poll(pfd, npeers + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			daemon_fatal("auditor", "poll: %s", strerror(errno));
		}
		if (pfd[0].revents) {
			struct msg m;
			int r = msg_recv(ctl, &m, 64u * 1024, &err);
			if (r <= 0)
				break;
			/* The supervisor's own records: a policy reload it refused. */
			if (m.type == MSG_AUDIT_APPEND) {
				if (!serve(log, &ids, copy, ctl, &m))
					daemon_fatal("auditor", "bad record from the supervisor");
				msg_free(&m);
				continue;
			}
			uint32_t role;
			if (m.type != MSG_NEW_PEER || m.fd < 0 || sbuf_get_u32(&m.body, &role) ||
			    role != ROLE_ROUTER || npeers == AUDITOR_MAX_PEERS)
				daemon_fatal("auditor", "bad control message");
			peers[npeers++] = m.fd;
			m.fd = -1;
			msg_free(&m);
		}
		for (size_t i = 0; i < npeers; i++) {
			if (!pfd[i + 1].revents)
				continue;
			struct msg m;
			int r = msg_recv(peers[i], &m, (64u * 1024 * 1024), &err);
			bool keep_peer = r > 0 && serve(log, &ids, copy, peers[i], &m);
			if (r > 0)
				msg_free(&m);
			if (!keep_peer) {
				close(peers[i]);
				peers[i] = peers[--npeers];
				break;
			}
		}
	}
	/* Stopping: the final checkpoint, signed by the signer, which stops after us. */
	if (auditlog_close(log, &err) != SLUICE_OK)
		daemon_fatal("auditor", "closing the audit log: %s", err.message);
	daemon_log(LOG_INFO, "auditor", "audit log closed with a signed checkpoint");
	syslog_sink_close(copy);
	_exit(0);
}
