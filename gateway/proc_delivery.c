/*
 * Delivery: commits each decided transfer into the spool, exactly once (gateway/spool.h).
 *
 *   hostile data: the router's delivery requests (names are checked again by spool_deliver)
 *   privilege:    write access to the spool through the descriptors it holds
 *                 (SANDBOX_SPOOL_WRITE); no key, no audit log
 *   may open:     files below the spool's folders
 *   peers:        the router
 *
 * At start it completes every delivery a crash left prepared (spool_recover). A delivery the
 * spool cannot take (a full or failing disk) raises the spool storage alarm and is retried in
 * place with a growing pause (daemon.h), the router and every transfer waiting meanwhile:
 * spool_deliver is idempotent, so a retry completes whatever step failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "msg.h"
#include "sandbox.h"
#include "spool.h"

/* Delivers, retrying while the spool's storage fails (the spool storage alarm); fatal on any
 * other error. */
static void deliver_until_done(struct spool *s, const struct spool_delivery *dl, bool *dup)
{
	struct sluice_error err;
	unsigned pause = DAEMON_RETRY_FIRST_MS;
	uint64_t since = daemon_now_ms();
	for (unsigned attempt = 1;; attempt++) {
		s->inbox_left = false;
		if (spool_deliver(s, dl, dup, &err) == SLUICE_OK) {
			if (attempt > 1)
				daemon_storage_resumed("delivery", "spool", dl->transfer_id, attempt,
				                       daemon_now_ms() - since);
			return;
		}
		if (err.rc != SLUICE_ERR_IO)
			daemon_fatal("delivery", "%s [%s]", err.message, err.rule);
		daemon_storage_alarm("delivery", "spool", &err, dl->transfer_id, attempt, pause);
		(void)poll(NULL, 0, (int)pause);
		pause = daemon_retry_next(pause);
	}
}

void delivery_main(const struct daemon_ctx *d, int router)
{
	struct spool s;
	struct sluice_error err;
	char why[256];
	size_t recovered = 0;

	prctl(PR_SET_NAME, "sluiced-deliver", 0, 0, 0); /* for ps, pgrep and the tests */
	if (spool_open(d->cfg->spool, &s, &err) != SLUICE_OK)
		daemon_fatal("delivery", "%s", err.message);
	daemon_drop_privileges(d, "delivery");
	int confined = spool_confine(&s, true);
	if (confined < 0)
		daemon_fatal("delivery", "landlock: %s", strerror(errno));
	if (confined == 0)
		daemon_log(LOG_WARNING, "delivery", "no Landlock in this kernel: the spool is confined by "
		           "seccomp and file permissions only");
	int keep[8] = { router, s.root, s.inbox, s.outbox, s.refused, s.quarantine, s.state, s.tmp };
	if (sandbox_enter_profile(SANDBOX_SPOOL_WRITE, keep, 8, why, sizeof(why)) != 0)
		daemon_fatal("delivery", "%s", why);
	if (spool_recover(&s, &recovered, &err) != SLUICE_OK)
		daemon_fatal("delivery", "%s", err.message);
	if (recovered > 0)
		daemon_log(LOG_NOTICE, "delivery", "completed %zu deliveries interrupted by a crash",
		           recovered);
	for (;;) {
		struct msg m;
		int got = msg_recv(router, &m, DAEMON_MSG_MAX, &err);
		if (got == 0)
			_exit(0);
		if (got < 0)
			daemon_fatal("delivery", "%s", err.message);
		char *id = NULL, *src = NULL, *dst = NULL, *name = NULL, *sha = NULL, *reason = NULL;
		uint32_t kind, from_inbox;
		const uint8_t *data, *receipt;
		size_t datalen, receiptlen;
		if (m.type != MSG_DELIVER || sbuf_get_cstring(&m.body, &id, 64) ||
		    sbuf_get_u32(&m.body, &kind) || sbuf_get_cstring(&m.body, &src, 255) ||
		    sbuf_get_cstring(&m.body, &dst, 255) || sbuf_get_cstring(&m.body, &name, 255) ||
		    sbuf_get_cstring(&m.body, &sha, 64) || sbuf_get_u32(&m.body, &from_inbox) ||
		    sbuf_get_string_ptr(&m.body, &data, &datalen, DAEMON_MSG_MAX) ||
		    sbuf_get_string_ptr(&m.body, &receipt, &receiptlen, DAEMON_MSG_MAX) ||
		    sbuf_get_cstring(&m.body, &reason, 2048) || sbuf_remaining(&m.body) != 0 ||
		    kind > SPOOL_QUARANTINED)
			daemon_fatal("delivery", "malformed delivery request");
		struct spool_delivery dl = {
			.transfer_id = id, .kind = (enum spool_kind)kind, .source = src,
			.destination = dst, .name = name, .data = data, .datalen = datalen,
			.receipt = (const char *)receipt, .receiptlen = receiptlen,
			.reason = reason[0] ? reason : NULL, .from_inbox = from_inbox != 0,
			.input_sha256 = sha,
		};
		bool dup = false;
		deliver_until_done(&s, &dl, &dup);
		if (s.inbox_left)
			daemon_log(LOG_WARNING, "delivery", "transfer %s is delivered but "
			           "inbox/%s/%s/%s could not be removed (check its folder's owner and "
			           "mode); it will not be submitted again unless it changes", id, src,
			           dst, name);
		uint8_t status[4] = { 0, 0, 0, dup ? 1 : 0 };
		if (msg_send(router, MSG_DELIVERED, m.id, status, sizeof(status), -1) != 0)
			daemon_fatal("delivery", "cannot answer the router: %s", strerror(errno));
		free(id);
		free(src);
		free(dst);
		free(name);
		free(sha);
		free(reason);
		msg_free(&m);
	}
}
