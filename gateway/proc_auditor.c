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
 * is answered "already logged" and not written twice. Every append is fsynced before the answer,
 * which carries the record's leaf index in the log's Merkle tree (for the receipt). When the
 * storage cannot take a record (full, failing), the failed line is cut off again, the alarm
 * "ALARM audit storage" is logged and the append retried with a growing pause, without
 * answering: the router, and every transfer, waits until the record is logged (fail closed,
 * without a restart; docs/OPERATIONS.md). Only then,
 * with `audit-syslog`, an RFC 5424 copy goes to the collector, best effort
 * (gateway/syslog_export.h): a collector that is down never delays or loses a record.
 *
 * Signed tree heads (checkpoints): every `checkpoint-interval` records, at most
 * `checkpoint-seconds` after the first record that no head covers yet, on SIGUSR1 (which the
 * supervisor forwards from `kill -USR1 sluiced`), and when stopping.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <time.h>
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
	uint64_t *leaf;   /* the leaf index of each slot's transfer */
	size_t cap, n;
};

static size_t id_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* Whether `id` is in the set; *leaf receives its leaf index. */
static bool idset_find(const struct idset *set, const char *id, uint64_t *leaf)
{
	if (set->cap == 0)
		return false;
	for (size_t i = id_hash(id) & (set->cap - 1); set->slot[i] != NULL; i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], id) == 0) {
			*leaf = set->leaf[i];
			return true;
		}
	return false;
}

static void idset_put(struct idset *set, char *id, uint64_t leaf)
{
	size_t k = id_hash(id) & (set->cap - 1);
	while (set->slot[k] != NULL)
		k = (k + 1) & (set->cap - 1);
	set->slot[k] = id;
	set->leaf[k] = leaf;
	set->n++;
}

/* Adds `id` at leaf index `leaf`, unless it is there already (the first index stays). */
static void idset_add(struct idset *set, const char *id, uint64_t leaf)
{
	uint64_t ignored;
	if (idset_find(set, id, &ignored))
		return;
	if ((set->n + 1) * 2 > set->cap) {
		struct idset bigger = { NULL, NULL, set->cap ? set->cap * 2 : 1024, 0 };
		bigger.slot = xcalloc(bigger.cap, sizeof(char *));
		bigger.leaf = xcalloc(bigger.cap, sizeof(uint64_t));
		for (size_t i = 0; i < set->cap; i++)
			if (set->slot[i] != NULL)
				idset_put(&bigger, set->slot[i], set->leaf[i]);
		free(set->slot);
		free(set->leaf);
		*set = bigger;
	}
	idset_put(set, xstrdup(id), leaf);
}

/* Reads every transfer id already in the log, and its leaf index (before the sandbox: it
 * opens the file). */
static void load_ids(const char *path, struct idset *set)
{
	uint64_t leaf = 0;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *j = json_loadb(line, (size_t)n, 0, NULL);
		const char *type = json_string_value(json_object_get(j, "type"));
		json_t *id = json_object_get(json_object_get(j, "record"), "transfer_id");
		if (type != NULL && strcmp(type, "transfer") == 0) {
			if (json_is_string(id))
				idset_add(set, json_string_value(id), leaf);
			leaf++;
		}
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

static volatile sig_atomic_t stopping, head_requested;
static sigset_t in_poll; /* the signal mask inside ppoll: SIGTERM and SIGUSR1 let through */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		head_requested = 1;
	else
		stopping = 1;
}

/* Waits `ms` milliseconds, or until SIGTERM; false when stopping. */
static bool pause_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	uint64_t until = daemon_now_ms() + ms;
	while (!stopping) {
		(void)ppoll(NULL, 0, &ts, &in_poll);
		uint64_t now = daemon_now_ms();
		if (now >= until)
			break;
		ts.tv_sec = (time_t)((until - now) / 1000);
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000L;
	}
	return !stopping;
}

/* The audit storage alarm (daemon.h, docs/OPERATIONS.md): while the log cannot take a record
 * (a full or failing disk), nothing may cross unlogged, so this record's transfer, and every
 * transfer behind it (the router waits for the answer), stops while the append is retried;
 * each failed attempt has been cut off the file (auditlog_append), so the log stays
 * verifiable. True once logged; false when the daemon is stopping (the report stays in the
 * inbox). An error that is not one of storage is fatal. */
static bool append_until_logged(struct auditlog *log, const json_t *rec, const char *id,
                                uint64_t *leaf)
{
	struct sluice_error err;
	unsigned pause = DAEMON_RETRY_FIRST_MS;
	uint64_t since = daemon_now_ms();
	for (unsigned attempt = 1;; attempt++) {
		if (auditlog_append_indexed(log, rec, leaf, &err) == SLUICE_OK) {
			if (attempt > 1)
				daemon_storage_resumed("auditor", "audit", id, attempt,
				                       daemon_now_ms() - since);
			return true;
		}
		if (err.rc != SLUICE_ERR_IO)
			daemon_fatal("auditor", "cannot append to the audit log: %s [%s]", err.message,
			             err.rule);
		daemon_storage_alarm("auditor", "audit", &err, id, attempt, pause);
		if (!pause_ms(pause)) {
			daemon_log(LOG_ERR, "auditor", "stopping with the audit storage failing: transfer "
			           "%s was not logged and stays in the inbox", id);
			return false;
		}
		pause = daemon_retry_next(pause);
	}
}

/* Appends one record; answers with "already logged" or not, and the record's leaf index.
 * A record from the router waits for the storage (append_until_logged); one from the
 * supervisor (a refused policy reload) is tried once and answered MSG_FAIL when it cannot be
 * logged, so that the supervisor, which waits for the answer, never hangs on a full disk.
 * False: the peer broke the protocol, or went away. */
static bool serve(struct auditlog *log, struct idset *ids, struct syslog_sink *copy, int fd,
                  struct msg *m, bool wait_for_storage)
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
	uint64_t leaf = 0;
	if (idset_find(ids, json_string_value(id), &leaf)) {
		status = 1;
	} else if (!wait_for_storage &&
	           auditlog_append_indexed(log, rec, &leaf, &err) != SLUICE_OK) {
		daemon_log(LOG_ALERT, "auditor", "ALARM audit storage: %s [%s]; the supervisor's "
		           "record was not logged", err.message, err.rule);
		json_decref(rec);
		static const char why[] = "audit storage failing"; /* the supervisor reads 64 bytes */
		return msg_send(fd, MSG_FAIL, m->id, why, sizeof(why) - 1, -1) == 0;
	} else if (wait_for_storage &&
	           !append_until_logged(log, rec, json_string_value(id), &leaf)) {
		json_decref(rec);
		return true; /* stopping: no answer, the transfer is not logged */
	} else {
		idset_add(ids, json_string_value(id), leaf);
		if (copy != NULL)
			syslog_sink_send(copy, rec);
	}
	json_decref(rec);
	struct sbuf b;
	sbuf_init(&b, 64);
	bool sent = sbuf_put_u32(&b, status) == 0 && sbuf_put_u64(&b, leaf) == 0 &&
	            msg_send_sbuf(fd, MSG_AUDIT_DONE, m->id, &b) == 0;
	sbuf_free(&b);
	return sent;
}

/* A signed tree head now, unless the log ends with one. A head the storage cannot take
 * raises the alarm and is tried again later (the records it would cover are logged already);
 * false then. */
static bool write_head(struct auditlog *log, const char *why)
{
	struct sluice_error err;
	uint64_t covered = auditlog_unsigned_records(log);
	if (auditlog_checkpoint(log, &err) != SLUICE_OK) {
		/* a signer that went away stops the daemon anyway: not a storage alarm */
		if (err.rc != SLUICE_ERR_IO || strcmp(err.rule, "audit.signer") == 0)
			daemon_fatal("auditor", "cannot write a checkpoint: %s [%s]", err.message,
			             err.rule);
		daemon_log(LOG_ALERT, "auditor", "ALARM audit storage: cannot write a signed tree "
		           "head (%s): %s [%s]; retrying", why, err.message, err.rule);
		return false;
	}
	if (covered > 0)
		daemon_log(LOG_INFO, "auditor", "signed tree head written (%s) covering %llu more "
		           "records", why, (unsigned long long)covered);
	return true;
}

void auditor_main(const struct daemon_ctx *d, int ctl, int signer)
{
	struct sluice_error err;
	struct auditlog *log = NULL;
	struct idset ids = { NULL, NULL, 0, 0 };
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
	/* SIGUSR1 and SIGTERM are delivered only inside ppoll, so a request that arrives while a
	 * record is being appended is not lost until the next wake-up. */
	struct sigaction sa;
	sigset_t block;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &in_poll);
	sigdelset(&in_poll, SIGTERM);
	sigdelset(&in_poll, SIGUSR1);
	const uint64_t head_delay_ms = (uint64_t)d->cfg->checkpoint_seconds * 1000;
	/* When the next signed tree head is due: checkpoint-seconds after the oldest record that
	 * none covers (a log left with unsigned records by a crash counts from now), sooner again
	 * after one the storage refused; 0: none is due. */
	uint64_t head_due = auditlog_unsigned_records(log) > 0 ? daemon_now_ms() + head_delay_ms
	                                                       : 0;
	const uint64_t head_retry_ms = head_delay_ms < DAEMON_RETRY_MAX_MS ? head_delay_ms
	                                                                   : DAEMON_RETRY_MAX_MS;
	int keep[4] = { ctl, signer, auditlog_fd(log), copy ? syslog_sink_fd(copy) : -1 };
	if (sandbox_enter_profile(SANDBOX_AUDITOR, keep, copy ? 4 : 3, why, sizeof(why)) != 0)
		daemon_fatal("auditor", "%s", why);
	daemon_log(LOG_INFO, "auditor", "audit log open, %zu transfers already recorded", ids.n);
	while (!stopping) {
		if (head_requested) {
			head_requested = 0;
			(void)write_head(log, "asked for");
		}
		uint64_t now = daemon_now_ms();
		if (auditlog_unsigned_records(log) == 0)
			head_due = 0;
		else if (head_due == 0)
			head_due = now + head_delay_ms;
		if (head_due != 0 && now >= head_due)
			head_due = write_head(log, "checkpoint-seconds") ? 0 : now + head_retry_ms;
		struct timespec wait, *timeout = NULL;
		if (head_due != 0) {
			uint64_t left = head_due - now;
			wait.tv_sec = (time_t)(left / 1000);
			wait.tv_nsec = (long)(left % 1000) * 1000000L;
			timeout = &wait;
		}
		struct pollfd pfd[AUDITOR_MAX_PEERS + 1];
		pfd[0] = (struct pollfd){ ctl, POLLIN, 0 };
		for (size_t i = 0; i < npeers; i++)
			pfd[i + 1] = (struct pollfd){ peers[i], POLLIN, 0 };
		int ready = ppoll(pfd, npeers + 1, timeout, &in_poll);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			daemon_fatal("auditor", "poll: %s", strerror(errno));
		}
		if (ready == 0)
			continue; /* the head's deadline: written at the top of the loop */
		if (pfd[0].revents) {
			struct msg m;
			int r = msg_recv(ctl, &m, 64u * 1024, &err);
			if (r <= 0)
				break;
			/* The supervisor's own records: a policy reload it refused. */
			if (m.type == MSG_AUDIT_APPEND) {
				if (!serve(log, &ids, copy, ctl, &m, false))
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
			bool keep_peer = r > 0 && serve(log, &ids, copy, peers[i], &m, true);
			if (r > 0)
				msg_free(&m);
			if (!keep_peer) {
				close(peers[i]);
				peers[i] = peers[--npeers];
				break;
			}
		}
	}
	/* Stopping: the final checkpoint, signed by the signer, which stops after us. Without
	 * it (the storage still failing) the log ends with unsigned records, as after a crash,
	 * and the next start signs them. */
	if (auditlog_close(log, &err) != SLUICE_OK) {
		daemon_log(LOG_ERR, "auditor", "stopping without a final signed checkpoint: %s [%s]; "
		           "the next start writes one", err.message, err.rule);
		syslog_sink_close(copy);
		_exit(74);
	}
	daemon_log(LOG_INFO, "auditor", "audit log closed with a signed checkpoint");
	syslog_sink_close(copy);
	_exit(0);
}
