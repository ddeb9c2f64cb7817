/*
 * Forwarder: sends released reports to the destinations named under `forward:`, over mutual
 * TLS, and never loses one.
 *
 *   hostile data: the destinations' answers (status line and headers, bounded; the body is
 *                 kept as evidence, never parsed)
 *   privilege:    the TLS client keys in memory; the spool through its descriptors (Landlock);
 *                 may create TCP sockets and connect (SANDBOX_FORWARD); no signing key, no
 *                 audit log, no report parsing
 *   may open:     files below the spool's folders
 *   peers:        none: it reads what delivery committed to outbox/<domain>/
 *
 * The queue is the outbox itself: delivery commits each released report there (with its
 * receipt and state/ID.done) before anyone is told it crossed, so what is in the outbox survives
 * any crash. For each destination with a `forward:` entry, the forwarder POSTs each committed
 * report, oldest first, to the configured URL with its transfer id (X-Sluice-Transfer-Id) and
 * its receipt (X-Sluice-Receipt, base64), and only after a 2xx answer moves the report, its
 * receipt and the answer's body (ID--NAME.response) to forwarded/<domain>/. An answer that says
 * the request itself is wrong (4xx but 408 and 429) will not change by retrying: the files go
 * to forward-failed/<domain>/ with a .reason, and an error is logged. Anything else (no
 * connection, TLS failure, 5xx, 408, 429, timeout) is retried with exponential backoff (1 s
 * doubling to 5 min) per destination. A crash after the destination answered but before the
 * move sends the report again: delivery is at least once, and the transfer id lets the
 * destination drop the duplicate (a Sluice gateway does so by construction).
 *
 * A destination under `rabbitmq:` instead of `forward:` is served by the same loop: the same
 * queue, order, backoff and moves, but each report is published into the destination's RabbitMQ
 * exchange and counts as sent once the broker confirms it (gateway/forward_amqp.h); the note
 * kept beside it in forwarded/<domain>/ is NAME.confirmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "daemon.h"
#include "fileio.h"
#include "forward_amqp.h"
#include "keys.h"
#include "sandbox.h"
#include "spool.h"
#include "tls_context.h"
#include "tls_request.h"

#define FORWARD_CONNECT_MS 10000
#define FORWARD_IO_SECONDS 30
#define FORWARD_ANSWER_MAX (64u * 1024u)   /* status line, headers and body kept */
#define FORWARD_RECEIPT_MAX (1024u * 1024u)
#define FORWARD_BACKOFF_MAX 300
#define FORWARD_SCAN_MS 500
#define FORWARD_BATCH 64                   /* reports per destination per scan */
#define FORWARD_RECEIPT_HEADER_MAX 6000    /* base64 bytes; a larger receipt is not sent */

struct destination {
	const char *domain, *url;
	const struct forward_target *t; /* forward: (HTTPS), or */
	SSL_CTX *ssl;
	const struct amqp_target *t_mq; /* rabbitmq:, with its connection */
	struct amqp_link *mq;
	int outbox, done, failed; /* outbox/<domain>/, forwarded/<domain>/, forward-failed/... */
	time_t next_try;
	unsigned backoff;         /* seconds; 0 after a success */
};

#define SENT FORWARD_SENT
#define PERMANENT FORWARD_PERMANENT
#define TRANSIENT FORWARD_TRANSIENT

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* "ID--NAME" with a transfer id of 36 characters and a spool name after it. */
static bool queued_name(const char *name)
{
	size_t n = strlen(name);
	return n > 38 && name[36] == '-' && name[37] == '-' && spool_name_ok(name) &&
	       !(n > 8 && strcmp(name + n - 8, ".receipt") == 0) &&
	       !(n > 7 && strcmp(name + n - 7, ".reason") == 0);
}

int forward_connect(const struct sockaddr_storage *addr, const socklen_t *addrlen, size_t naddr,
                    const char *host, unsigned port, char *why, size_t whylen)
{
	snprintf(why, whylen, "no address");
	for (size_t i = 0; i < naddr; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&addr[i];
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			continue;
		}
		int rc = connect(fd, sa, addrlen[i]);
		if (rc != 0 && errno == EINPROGRESS) {
			struct pollfd p = { fd, POLLOUT, 0 };
			int e = 0;
			socklen_t elen = sizeof(e);
			rc = poll(&p, 1, FORWARD_CONNECT_MS);
			if (rc == 0) {
				errno = ETIMEDOUT;
				rc = -1;
			} else if (rc > 0) {
				rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0 ? 0 : -1;
				if (e != 0)
					errno = e;
			}
		}
		struct timeval tv = { FORWARD_IO_SECONDS, 0 };
		if (rc == 0 && (fcntl(fd, F_SETFL, 0) != 0 ||
		                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
		                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0))
			rc = -1;
		if (rc == 0)
			return fd;
		snprintf(why, whylen, "cannot connect to %s port %u: %s", host, port, strerror(errno));
		close(fd);
	}
	return -1;
}

static void ssl_reason(SSL *ssl, const char *step, char *why, size_t whylen)
{
	char e[256] = "";
	unsigned long code = ERR_get_error();
	if (code != 0)
		ERR_error_string_n(code, e, sizeof(e));
	long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	snprintf(why, whylen, "%s: %s%s%s", step, e[0] ? e : "connection closed",
	         verify != X509_V_OK ? "; certificate: " : "",
	         verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "");
	ERR_clear_error();
}

/* One POST. *status is the HTTP status (0 when there was none); the answer (headers and
 * body, at most FORWARD_ANSWER_MAX bytes) in *answer. */
static enum forward_outcome post(const struct destination *dst, const char *transfer_id,
                         const uint8_t *report, size_t len, const uint8_t *receipt,
                         size_t receiptlen, int *status, char **answer, size_t *answerlen,
                         char *why, size_t whylen)
{
	const struct forward_target *t = dst->t;
	*status = 0;
	*answer = NULL;
	*answerlen = 0;
	int fd = forward_connect(t->addr, t->addrlen, t->naddr, t->cfg->host, t->cfg->port, why,
	                         whylen);
	if (fd < 0)
		return TRANSIENT;
	SSL *ssl = SSL_new(dst->ssl);
	enum forward_outcome out = TRANSIENT;
	/* The server certificate must name the URL's host (an IP address SAN for an address). */
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    tls_client_expect_host(ssl, t->cfg->host) != 1) {
		ssl_reason(ssl, "TLS set-up", why, whylen);
		goto done;
	}
	if (SSL_connect(ssl) != 1) {
		ssl_reason(ssl, "TLS handshake", why, whylen);
		goto done;
	}
	char *b64 = base64_encode(receipt, receiptlen);
	bool with_receipt = strlen(b64) <= FORWARD_RECEIPT_HEADER_MAX;
	char head[FORWARD_RECEIPT_HEADER_MAX + 2048];
	bool v6 = strchr(t->cfg->host, ':') != NULL;
	int n = snprintf(head, sizeof(head),
	                 "POST %s HTTP/1.1\r\n"
	                 "Host: %s%s%s:%u\r\n"
	                 "Content-Type: application/xml\r\n"
	                 "Content-Length: %zu\r\n"
	                 "Connection: close\r\n"
	                 "User-Agent: sluiced\r\n"
	                 "X-Sluice-Transfer-Id: %s\r\n"
	                 "%s%s%s"
	                 "\r\n",
	                 t->cfg->target, v6 ? "[" : "", t->cfg->host, v6 ? "]" : "", t->cfg->port,
	                 len, transfer_id, with_receipt ? "X-Sluice-Receipt: " : "",
	                 with_receipt ? b64 : "", with_receipt ? "\r\n" : "");
	free(b64);
	if (n <= 0 || (size_t)n >= sizeof(head)) {
		snprintf(why, whylen, "request header too large");
		goto done;
	}
	if (tls_write_all(ssl, head, (size_t)n) != 0 || tls_write_all(ssl, report, len) != 0) {
		ssl_reason(ssl, "sending", why, whylen);
		goto done;
	}
	char *buf = xmalloc(FORWARD_ANSWER_MAX + 1);
	size_t got = 0;
	for (;;) {
		if (got == FORWARD_ANSWER_MAX)
			break; /* enough to know the status and keep the start as evidence */
		int r = SSL_read(ssl, buf + got, (int)(FORWARD_ANSWER_MAX - got));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ERR_clear_error();
	buf[got] = '\0';
	/* Only the status code is interpreted; the rest is kept as bytes. */
	int code = http_answer_status(buf, got);
	if (code != 0) {
		*status = code;
		*answer = buf;
		*answerlen = got;
		if (code >= 200 && code <= 299) {
			out = SENT;
		} else {
			char reason[HTTP_REASON_MAX + 1];
			http_answer_reason(buf, got, reason, sizeof(reason));
			snprintf(why, whylen, "HTTP %s", reason);
			out = code >= 400 && code <= 499 && code != 408 && code != 429 ? PERMANENT
			                                                               : TRANSIENT;
		}
	} else {
		snprintf(why, whylen, "no HTTP answer (%zu bytes)", got);
		free(buf);
	}
	(void)SSL_shutdown(ssl);
done:
	SSL_free(ssl);
	close(fd);
	return out;
}

/* `a` followed by `b` in `out`; names here are at most 200 bytes (spool_name_ok). */
static void join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s%s", a, b);
	if (n < 0 || (size_t)n >= outlen)
		daemon_fatal("forward", "file name too long");
}

/* Writes `data` to `name` in `dir` durably, through a temporary name. */
static int write_file(int dir, const char *name, const void *data, size_t len)
{
	char tmp[300], dotted[300];
	join(dotted, sizeof(dotted), ".", name);
	join(tmp, sizeof(tmp), dotted, ".tmp");
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
	int rc = fd_write_all(fd, data, len) == 0 && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	if (rc == 0)
		rc = renameat(dir, tmp, dir, name);
	if (rc != 0)
		(void)unlinkat(dir, tmp, 0);
	return rc;
}

/* Moves the report (first: its presence in the outbox is what queues it) and then its receipt
 * to `to`, with `note` written beside them as NAME.`suffix`. */
static void move_out(const struct destination *dst, int to, const char *name, const char *suffix,
                     const void *note, size_t notelen)
{
	char receipt[300], extra[300], dotted[300];
	join(receipt, sizeof(receipt), name, ".receipt");
	join(dotted, sizeof(dotted), name, ".");
	join(extra, sizeof(extra), dotted, suffix);
	if (write_file(to, extra, note, notelen) != 0 || renameat(dst->outbox, name, to, name) != 0 ||
	    renameat(dst->outbox, receipt, to, receipt) != 0 || fsync(to) != 0 ||
	    fsync(dst->outbox) != 0)
		daemon_fatal("forward", "cannot move %s out of outbox/%s: %s", name, dst->domain,
		             strerror(errno));
}

static char *read_at(int dir, const char *name, size_t max, size_t *len)
{
	struct sluice_error err;
	uint8_t *data = NULL;
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fd_read_bounded(fd, name, max, SLUICE_ERR_IO, &data, len, &err) != SLUICE_OK)
		data = NULL;
	close(fd);
	return (char *)data;
}

/* The note kept beside a report the broker confirmed: when, where. New string. */
static char *amqp_confirmation(const struct destination *dst, size_t *len)
{
	char when[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	size_t n = strlen(dst->url) + strlen(dst->t_mq->cfg->exchange) + 128;
	char *note = xmalloc(n);
	int k = snprintf(note, n, "confirmed by %s exchange %s routing key %s at %s\n", dst->url,
	                 dst->t_mq->cfg->exchange, dst->domain, when);
	*len = k > 0 && (size_t)k < n ? (size_t)k : 0;
	return note;
}

/* Tries one queued report. false when the destination should be left alone for now. */
static bool forward_one(struct destination *dst, int state, const char *name)
{
	char tid[37], marker[64], receipt_name[300], why[512];
	struct stat st;
	memcpy(tid, name, 36);
	tid[36] = '\0';
	snprintf(marker, sizeof(marker), "%s.done", tid);
	join(receipt_name, sizeof(receipt_name), name, ".receipt");
	/* Only what delivery has committed (both files in place) is sent. */
	if (fstatat(state, marker, &st, 0) != 0 ||
	    fstatat(dst->outbox, receipt_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return true;
	size_t len, receiptlen;
	char *report = read_at(dst->outbox, name, DAEMON_REPORT_MAX * 4u, &len);
	char *receipt = read_at(dst->outbox, receipt_name, FORWARD_RECEIPT_MAX, &receiptlen);
	if (report == NULL || receipt == NULL) {
		free(report);
		free(receipt);
		daemon_log(LOG_WARNING, "forward", "cannot read outbox/%s/%s; left for later",
		           dst->domain, name);
		return true;
	}
	int status;
	char *answer;
	size_t answerlen;
	enum forward_outcome o;
	if (dst->mq != NULL) {
		status = 0;
		o = amqp_link_publish(dst->mq, tid, name + 38, (const uint8_t *)report, len,
		                      (const uint8_t *)receipt, receiptlen, why, sizeof(why));
		answer = o == SENT ? amqp_confirmation(dst, &answerlen) : NULL;
	} else {
		o = post(dst, tid, (const uint8_t *)report, len, (const uint8_t *)receipt, receiptlen,
		         &status, &answer, &answerlen, why, sizeof(why));
	}
	free(report);
	free(receipt);
	bool go_on = true;
	if (o == SENT) {
		move_out(dst, dst->done, name, dst->mq ? "confirmed" : "response", answer, answerlen);
		if (dst->mq != NULL)
			daemon_log(LOG_INFO, "forward", "transfer %s published to %s (%s exchange %s): "
			           "confirmed", tid, dst->domain, dst->url, dst->t_mq->cfg->exchange);
		else
			daemon_log(LOG_INFO, "forward", "transfer %s forwarded to %s (%s): HTTP %d", tid,
			           dst->domain, dst->url, status);
		dst->backoff = 0;
	} else if (o == PERMANENT) {
		char reason[700];
		int n = snprintf(reason, sizeof(reason), "%s refused the report: %s [forward.refused]\n",
		                 dst->url, why);
		move_out(dst, dst->failed, name, "reason", reason,
		         n > 0 && (size_t)n < sizeof(reason) ? (size_t)n : 0);
		daemon_log(LOG_ERR, "forward", "transfer %s NOT forwarded to %s: %s; moved to "
		           "forward-failed/%s/", tid, dst->domain, why, dst->domain);
	} else {
		dst->backoff = dst->backoff == 0 ? 1
		               : dst->backoff * 2 > FORWARD_BACKOFF_MAX ? FORWARD_BACKOFF_MAX
		                                                        : dst->backoff * 2;
		dst->next_try = now_s() + (time_t)dst->backoff;
		daemon_log(LOG_WARNING, "forward", "forwarding to %s failed: %s; retrying in %u s",
		           dst->domain, why, dst->backoff);
		go_on = false;
	}
	free(answer);
	return go_on;
}

struct queued {
	char name[256];
	struct timespec mtime;
};

static int by_age(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sends what is queued for one destination, oldest first, until it fails. */
static void scan(struct destination *dst, int state)
{
	int fd = dup(dst->outbox);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		daemon_fatal("forward", "cannot list outbox/%s: %s", dst->domain,
		             strerror(errno));
	}
	rewinddir(dir); /* the duplicate shares the folder's offset, left at the end last time */
	static struct queued q[FORWARD_BATCH];
	size_t n = 0, more = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		struct stat st;
		if (!queued_name(e->d_name) ||
		    fstatat(dst->outbox, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		struct queued item;
		snprintf(item.name, sizeof(item.name), "%s", e->d_name);
		item.mtime = st.st_mtim;
		if (n < FORWARD_BATCH) {
			q[n++] = item;
			continue;
		}
		/* Keep the oldest FORWARD_BATCH: replace the youngest kept when this one is older. */
		more++;
		size_t youngest = 0;
		for (size_t i = 1; i < n; i++)
			if (by_age(&q[i], &q[youngest]) > 0)
				youngest = i;
		if (by_age(&item, &q[youngest]) < 0)
			q[youngest] = item;
	}
	closedir(dir);
	qsort(q, n, sizeof(q[0]), by_age);
	for (size_t i = 0; i < n; i++)
		if (!forward_one(dst, state, q[i].name))
			return;
	(void)more; /* the next scan takes them */
}

void forward_main(const struct daemon_ctx *d)
{
	static struct destination dst[64];
	struct spool s;
	struct sluice_error err;
	char why[256];
	int keep[8 + 3 * 64];
	size_t nkeep = 0, ndst = d->nforwards + d->namqp_targets;

	prctl(PR_SET_NAME, "sluiced-forward", 0, 0, 0); /* for ps, pgrep and the tests */
	if (ndst == 0 || ndst > 64)
		daemon_fatal("forward", "started with %zu destinations", ndst);
	/* It needs no privilege: the spool belongs to the daemon's user, and what it creates
	 * there must too. */
	daemon_drop_privileges(d, "forward");
	if (spool_open(d->cfg->spool, &s, &err) != SLUICE_OK)
		daemon_fatal("forward", "%s", err.message);
	int done_root = spool_open_dir(s.root, "forwarded", true);
	int failed_root = spool_open_dir(s.root, "forward-failed", true);
	if (done_root < 0 || failed_root < 0)
		daemon_fatal("forward", "cannot open forwarded/ or forward-failed/: %s",
		             strerror(errno));
	for (size_t i = 0; i < ndst; i++) {
		if (i < d->nforwards) {
			dst[i].t = &d->forwards[i];
			dst[i].domain = d->forwards[i].cfg->domain;
			dst[i].url = d->forwards[i].cfg->url;
			if (tls_client_context_new(&d->forwards[i].tls, &dst[i].ssl, &err) != SLUICE_OK)
				daemon_fatal("forward", "%s [%s]", err.message, err.rule);
		} else {
			dst[i].t_mq = &d->amqp_targets[i - d->nforwards];
			dst[i].domain = dst[i].t_mq->cfg->domain;
			dst[i].url = dst[i].t_mq->cfg->url;
			dst[i].mq = amqp_link_new(dst[i].t_mq);
		}
		dst[i].outbox = spool_open_dir(s.outbox, dst[i].domain, true);
		dst[i].done = spool_open_dir(done_root, dst[i].domain, true);
		dst[i].failed = spool_open_dir(failed_root, dst[i].domain, true);
		if (dst[i].outbox < 0 || dst[i].done < 0 || dst[i].failed < 0)
			daemon_fatal("forward", "cannot open the folders of %s: %s", dst[i].domain,
			             strerror(errno));
		keep[nkeep++] = dst[i].outbox;
		keep[nkeep++] = dst[i].done;
		keep[nkeep++] = dst[i].failed;
	}
	keep[nkeep++] = s.state;
	keep[nkeep++] = s.root;
	keep[nkeep++] = s.outbox;
	int confined = spool_confine(&s, true);
	if (confined < 0)
		daemon_fatal("forward", "landlock: %s", strerror(errno));
	if (sandbox_enter_profile(SANDBOX_FORWARD, keep, nkeep, why, sizeof(why)) != 0)
		daemon_fatal("forward", "%s", why);
	daemon_log(LOG_INFO, "forward", "forwarding to %zu destination%s", ndst,
	           ndst == 1 ? "" : "s");
	for (;;) {
		time_t now = now_s();
		for (size_t i = 0; i < ndst; i++)
			if (now >= dst[i].next_try)
				scan(&dst[i], s.state);
		struct timespec pause = { 0, FORWARD_SCAN_MS * 1000000L };
		nanosleep(&pause, NULL);
	}
}
