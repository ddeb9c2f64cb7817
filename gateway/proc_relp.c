/*
 * sluiced-relp: forwards every transfer record of the audit log to a collector (a SIEM's
 * rsyslog) over RELP with mutual TLS, at least once (issue 9 item 2; config `audit-relp:`).
 *
 *   hostile data: the collector's answers (RELP frames, bounded; only the status code of a
 *                 `rsp` is interpreted) and the audit log's lines (parsed with the bounded
 *                 reader of audit/auditrecord.h and formatted by syslog_format_record)
 *   privilege:    the TLS client key in memory; the audit log through one read-only
 *                 descriptor the supervisor opened (the log is root's); may create TCP sockets and connect (SANDBOX_RELP); no signing
 *                 key, no write to the audit log, no report
 *   may open:     files below the spool's audit-relp/ folder (its position file)
 *   peers:        none: the auditor does not know this process exists
 *
 * The queue is the audit log itself, read from a saved position: spool/audit-relp/position
 * holds the byte offset of the first line not yet acknowledged by the collector, the number of
 * the last line before it (seq) and how many transfer records were acknowledged so far. It is
 * written through a temporary name, fsynced and renamed, after each batch of acknowledgements.
 * Each transfer line becomes the RFC 5424 message `sluice audit export --syslog` and
 * `audit-syslog` make (gateway/syslog_export.h), sent as a RELP `syslog` command; at most
 * RELP_WINDOW frames wait for their `rsp 200` at a time, and the position only moves past a
 * line once its frame (and every one before it) was acknowledged. Checkpoint lines are not
 * sent (the signed tree heads stay in the log, which remains the authority).
 *
 * The collector down, slow, refusing a frame or closing the session: the connection is
 * dropped, and made again after a pause (1 s doubling to RELP_BACKOFF_MAX); sending resumes
 * at the saved position. The auditor appends as before: the local log never waits for this
 * process. Delivery is at least once: frames sent but not acknowledged before a crash or a
 * broken connection are sent again, and the collector can drop duplicates by the transfer_id
 * (and seq) in the structured data.
 *
 * librelp is not used: it resolves the host and opens the certificate files when it
 * connects, which this sandbox forbids; the supervisor resolves the host and reads the files
 * before the sandbox (as for the forwarder), and the protocol (RFC-less, librelp's
 * doc/relp.html) is small: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "audit_reader.h"
#include "auditrecord.h"
#include "config.h"
#include "daemon.h"
#include "fileio.h"
#include "forward_amqp.h"
#include "sandbox.h"
#include "spool.h"
#include "syslog_export.h"
#include "tls_context.h"

#define RELP_WINDOW 32                 /* frames sent and not yet acknowledged */
#define RELP_ANSWER_MAX (64u * 1024u)  /* largest frame accepted from the collector */
#define RELP_BACKOFF_MAX 30            /* seconds between attempts, at most */
#define RELP_IDLE_MS 200               /* pause when there is nothing to send or read */
#define RELP_OPEN_SECONDS 30           /* for the answer to `open` */
#define RELP_TXNR_MAX 999999999u
#define RELP_POSITION "position"
#define RELP_POSITION_MAX 256

struct pending {
	uint32_t txnr;
	uint64_t end, seq; /* the byte after the line's newline, and the line's number */
	bool acked;
};

struct relp {
	const struct forward_target *t;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;            /* -1 when not connected */
	int log, dir;      /* the audit log (read-only), spool/audit-relp/ */
	uint32_t txnr;     /* of the last frame sent */
	struct pending win[RELP_WINDOW];
	size_t head, count;
	char in[RELP_ANSWER_MAX + 64];
	size_t inlen;
	uint64_t read_off, read_seq;   /* the next line to send starts at read_off */
	uint64_t acked_off, acked_seq; /* everything before acked_off is acknowledged */
	uint64_t saved_off, records;
	unsigned backoff;
	time_t next_try;
	struct syslog_origin origin;
};

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void pause_ms(long ms)
{
	struct timespec p = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&p, NULL);
}

/* ---- the position file ---------------------------------------------------------------- */

static void position_load(struct relp *r)
{
	char buf[RELP_POSITION_MAX + 1];
	int fd = openat(r->dir, RELP_POSITION, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			daemon_fatal("relp", "cannot read audit-relp/%s: %s", RELP_POSITION,
			             strerror(errno));
		return; /* the first start: the whole log is sent */
	}
	ssize_t n = read(fd, buf, RELP_POSITION_MAX);
	close(fd);
	unsigned long long off, seq, records;
	int end = -1;
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "sluice-relp-position 1\noffset %llu\nseq %llu\nrecords %llu\n%n",
		           &off, &seq, &records, &end) != 3)
			end = -1;
	}
	if (end < 0 || end != n)
		daemon_fatal("relp", "audit-relp/%s is not a position file (sluice-relp-position 1, "
		             "offset, seq, records): remove it to send the whole audit log again",
		             RELP_POSITION);
	r->acked_off = r->read_off = r->saved_off = off;
	r->acked_seq = r->read_seq = seq;
	r->records = records;
}

static void position_save(struct relp *r)
{
	char buf[RELP_POSITION_MAX];
	static const char tmp[] = ".position.tmp";
	if (r->acked_off == r->saved_off)
		return;
	int n = snprintf(buf, sizeof(buf),
	                 "sluice-relp-position 1\noffset %" PRIu64 "\nseq %" PRIu64
	                 "\nrecords %" PRIu64 "\n", r->acked_off, r->acked_seq, r->records);
	int fd = openat(r->dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || fd_write_all(fd, buf, (size_t)n) != 0 || fsync(fd) != 0 ||
	    renameat(r->dir, tmp, r->dir, RELP_POSITION) != 0 || fsync(r->dir) != 0)
		daemon_fatal("relp", "cannot write audit-relp/%s: %s", RELP_POSITION,
		             strerror(errno));
	close(fd);
	r->saved_off = r->acked_off;
}

/* The saved position must be the start of a line of this log. */
static void position_check(const struct relp *r)
{
	struct stat st;
	char c = '\n';
	if (fstat(r->log, &st) != 0)
		daemon_fatal("relp", "fstat of the audit log: %s", strerror(errno));
	if (r->acked_off > (uint64_t)st.st_size ||
	    (r->acked_off > 0 && pread(r->log, &c, 1, (off_t)r->acked_off - 1) != 1) || c != '\n')
		daemon_fatal("relp", "the saved position (byte %" PRIu64 ", line %" PRIu64 ") is not "
		             "the start of a line of the audit log (%lld bytes): was the log "
		             "replaced? Remove audit-relp/%s to send it all again", r->acked_off,
		             r->acked_seq, (long long)st.st_size, RELP_POSITION);
}

/* ---- the connection ------------------------------------------------------------------- */

static void disconnect(struct relp *r, const char *why)
{
	if (r->ssl != NULL)
		SSL_free(r->ssl);
	if (r->fd >= 0)
		close(r->fd);
	r->ssl = NULL;
	r->fd = -1;
	r->inlen = 0;
	r->head = r->count = 0;
	/* What was sent and not acknowledged is sent again on the next connection. */
	r->read_off = r->acked_off;
	r->read_seq = r->acked_seq;
	r->backoff = r->backoff == 0 ? 1
	             : r->backoff * 2 > RELP_BACKOFF_MAX ? RELP_BACKOFF_MAX : r->backoff * 2;
	r->next_try = now_s() + (time_t)r->backoff;
	ERR_clear_error();
	daemon_log(LOG_WARNING, "relp", "%s: %s; %" PRIu64 " records acknowledged so far, "
	           "retrying in %u s (the audit log keeps every record)",
	           r->t->cfg->url, why, r->records, r->backoff);
}

static const char *tls_why(char *buf, size_t len)
{
	unsigned long code = ERR_get_error();
	if (code == 0)
		snprintf(buf, len, "connection closed");
	else
		ERR_error_string_n(code, buf, len);
	return buf;
}

static bool send_frame(struct relp *r, const char *command, const char *data, size_t len)
{
	char head[64];
	r->txnr = r->txnr >= RELP_TXNR_MAX ? 1 : r->txnr + 1;
	int n = snprintf(head, sizeof(head), "%" PRIu32 " %s %zu%s", r->txnr, command, len,
	                 len > 0 ? " " : "");
	return tls_write_all(r->ssl, head, (size_t)n) == 0 &&
	       (len == 0 || tls_write_all(r->ssl, data, len) == 0) &&
	       tls_write_all(r->ssl, "\n", 1) == 0;
}

/* Reads what the collector sent within `ms`: 1 when bytes came, 0 when none, -1 when the
 * connection failed or closed. */
static int receive(struct relp *r, int ms)
{
	if (SSL_pending(r->ssl) == 0) {
		struct pollfd p = { r->fd, POLLIN, 0 };
		int rc = poll(&p, 1, ms);
		if (rc <= 0)
			return rc < 0 && errno != EINTR ? -1 : 0;
	}
	if (r->inlen >= sizeof(r->in))
		return -1; /* cannot happen: frames are taken out as they complete */
	int n = SSL_read(r->ssl, r->in + r->inlen, (int)(sizeof(r->in) - r->inlen));
	if (n > 0) {
		r->inlen += (size_t)n;
		return 1;
	}
	/* A TLS 1.3 session ticket, and no data: SSL_MODE_AUTO_RETRY is off for that. */
	return SSL_get_error(r->ssl, n) == SSL_ERROR_WANT_READ ? 0 : -1;
}

struct frame {
	uint32_t txnr;
	char command[33];
	const char *data;
	size_t len;
};

/* Digits at `*p` (at most 9) as a number; false when there are none or too many. */
static bool digits(const char **p, const char *end, uint64_t *v)
{
	size_t n = 0;
	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9' && n < 10) {
		*v = *v * 10 + (uint64_t)(**p - '0');
		(*p)++;
		n++;
	}
	return n > 0 && n <= 9;
}

/* The first complete frame of the input: 1 (taken out with *used), 0 when incomplete, -1 when
 * the bytes are not a RELP frame. */
static int next_frame(const struct relp *r, struct frame *f, size_t *used)
{
	const char *p = r->in, *end = r->in + r->inlen;
	uint64_t txnr, len;
	size_t c = 0;
	if (!digits(&p, end, &txnr))
		return p == end ? 0 : -1;
	if (p == end)
		return 0;
	if (*p++ != ' ')
		return -1; /* txnr 0 is the server's own: `0 serverclose 0` */
	while (p < end && *p >= 'a' && *p <= 'z' && c < 32)
		f->command[c++] = *p++;
	f->command[c] = '\0';
	if (p == end)
		return 0;
	if (c == 0 || *p++ != ' ')
		return -1;
	if (!digits(&p, end, &len))
		return p == end ? 0 : -1;
	if (len > RELP_ANSWER_MAX)
		return -1;
	if (len > 0) {
		if (p == end)
			return 0;
		if (*p++ != ' ')
			return -1;
	}
	if ((size_t)(end - p) < len + 1)
		return 0;
	if (p[len] != '\n')
		return -1;
	f->txnr = (uint32_t)txnr;
	f->data = p;
	f->len = (size_t)len;
	*used = (size_t)(p + len + 1 - r->in);
	return 1;
}

/* "200" and what follows it: true for a positive answer. */
static bool rsp_ok(const struct frame *f)
{
	return f->len >= 3 && memcmp(f->data, "200", 3) == 0 && (f->len == 3 || f->data[3] == ' ' ||
	                                                          f->data[3] == '\n');
}

static void take(struct relp *r, size_t used)
{
	memmove(r->in, r->in + used, r->inlen - used);
	r->inlen -= used;
}

/* Connects, shakes hands and opens the RELP session. */
static bool relp_connect(struct relp *r)
{
	char why[512], e[256];
	int fd = forward_connect(r->t->addr, r->t->addrlen, r->t->naddr, r->t->cfg->host,
	                         r->t->cfg->port, why, sizeof(why));
	r->txnr = 0;
	if (fd < 0) {
		disconnect(r, why);
		return false;
	}
	r->fd = fd;
	r->ssl = SSL_new(r->ctx);
	if (r->ssl == NULL || SSL_set_fd(r->ssl, fd) != 1 ||
	    tls_client_expect_host(r->ssl, r->t->cfg->host) != 1 || SSL_connect(r->ssl) != 1) {
		long v = r->ssl ? SSL_get_verify_result(r->ssl) : X509_V_OK;
		snprintf(why, sizeof(why), "TLS handshake: %s%s%s", tls_why(e, sizeof(e)),
		         v != X509_V_OK ? "; certificate: " : "",
		         v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
		disconnect(r, why);
		return false;
	}
	static const char offers[] = "relp_version=0\nrelp_software=sluiced\ncommands=syslog";
	if (!send_frame(r, "open", offers, sizeof(offers) - 1)) {
		disconnect(r, "sending open failed");
		return false;
	}
	time_t until = now_s() + RELP_OPEN_SECONDS;
	for (;;) {
		struct frame f;
		size_t used;
		int got = next_frame(r, &f, &used);
		if (got < 0) {
			disconnect(r, "the answer to open is not a RELP frame");
			return false;
		}
		if (got > 0) {
			bool ok = f.txnr == 1 && strcmp(f.command, "rsp") == 0 && rsp_ok(&f);
			if (!ok) {
				snprintf(why, sizeof(why), "the collector refused the session: %.*s",
				         (int)(f.len < 200 ? f.len : 200), f.data);
				disconnect(r, why);
				return false;
			}
			take(r, used);
			break;
		}
		if (now_s() > until || receive(r, 1000) < 0) {
			disconnect(r, "no answer to open");
			return false;
		}
	}
	if (r->backoff > 0)
		daemon_log(LOG_NOTICE, "relp", "%s: connected again; sending from line %" PRIu64,
		           r->t->cfg->url, r->acked_seq + 1);
	else
		daemon_log(LOG_INFO, "relp", "%s: connected; sending from line %" PRIu64,
		           r->t->cfg->url, r->acked_seq + 1);
	r->backoff = 0;
	return true;
}

/* ---- sending -------------------------------------------------------------------------- */

/* Sends the complete lines after read_off while the window has room. False when the
 * connection failed. */
static bool fill(struct relp *r)
{
	if (r->count == RELP_WINDOW)
		return true;
	if (lseek(r->log, (off_t)r->read_off, SEEK_SET) < 0)
		daemon_fatal("relp", "lseek in the audit log: %s", strerror(errno));
	struct audit_line_reader *rd = audit_line_reader_new(r->log, r->read_off,
	                                                     AUDIT_READER_LINE_MAX);
	bool ok = true;
	while (r->count < RELP_WINDOW) {
		const char *line;
		size_t len;
		uint64_t off;
		bool newline;
		enum audit_line_next n = audit_line_next(rd, &line, &len, &off, &newline);
		if (n == AUDIT_LINE_END || (n == AUDIT_LINE_OK && !newline))
			break; /* a line being appended is read when it is whole */
		if (n != AUDIT_LINE_OK)
			daemon_fatal("relp", "the audit log at byte %" PRIu64 ": %s", r->read_off,
			             n == AUDIT_LINE_IO ? strerror(errno) : "a line is too long");
		struct audit_line l;
		char why[256];
		uint64_t end = off + len + 1, seq = r->read_seq + 1;
		if (!audit_line_parse(line, len, &l, why, sizeof(why))) {
			daemon_log(LOG_ERR, "relp", "line %" PRIu64 " of the audit log (byte %" PRIu64
			           ") is not an audit line (%s): not forwarded", seq, off, why);
		} else if (l.type == AUDIT_LINE_TRANSFER) {
			seq = l.seq;
			char *msg = syslog_format_record(l.record, (size_t)l.seq, &r->origin);
			ok = send_frame(r, "syslog", msg, strlen(msg));
			free(msg);
			if (ok) {
				struct pending *p = &r->win[(r->head + r->count++) % RELP_WINDOW];
				p->txnr = r->txnr;
				p->end = end;
				p->seq = seq;
				p->acked = false;
			}
		} else {
			seq = l.seq;
		}
		audit_line_free(&l);
		if (!ok)
			break;
		r->read_off = end;
		r->read_seq = seq;
		if (r->count == 0) { /* nothing waits: a line not sent is behind us */
			r->acked_off = end;
			r->acked_seq = seq;
		}
	}
	audit_line_reader_free(rd);
	return ok;
}

/* Takes the collector's answers in; false (with `why`) when the session must be dropped. */
static bool answers(struct relp *r, char *why, size_t whylen)
{
	struct frame f;
	size_t used;
	int got;
	while ((got = next_frame(r, &f, &used)) > 0) {
		if (strcmp(f.command, "serverclose") == 0) {
			snprintf(why, whylen, "the collector closed the session");
			return false;
		}
		struct pending *p = NULL;
		for (size_t i = 0; i < r->count && p == NULL; i++)
			if (r->win[(r->head + i) % RELP_WINDOW].txnr == f.txnr)
				p = &r->win[(r->head + i) % RELP_WINDOW];
		if (strcmp(f.command, "rsp") != 0 || p == NULL || p->acked) {
			snprintf(why, whylen, "unexpected frame %" PRIu32 " %s from the collector",
			         f.txnr, f.command);
			return false;
		}
		if (!rsp_ok(&f)) {
			snprintf(why, whylen, "the collector refused line %" PRIu64 ": %.*s", p->seq,
			         (int)(f.len < 200 ? f.len : 200), f.data);
			return false;
		}
		p->acked = true;
		take(r, used);
		while (r->count > 0 && r->win[r->head].acked) {
			r->acked_off = r->win[r->head].end;
			r->acked_seq = r->win[r->head].seq;
			r->records++;
			r->head = (r->head + 1) % RELP_WINDOW;
			r->count--;
		}
		if (r->count == 0) {
			r->acked_off = r->read_off;
			r->acked_seq = r->read_seq;
		}
	}
	if (got < 0) {
		snprintf(why, whylen, "the collector sent bytes that are not a RELP frame");
		return false;
	}
	return true;
}

void relp_main(const struct daemon_ctx *d, int log, bool restarted)
{
	static struct relp r;
	struct spool s;
	struct sluice_error err;
	char why[512], host[256], procid[24];

	prctl(PR_SET_NAME, "sluiced-relp", 0, 0, 0); /* for ps, pgrep and the tests */
	if (d->audit_relp == NULL)
		daemon_fatal("relp", "started without audit-relp");
	if (restarted)
		pause_ms(1000); /* a process that dies at once must not spin */
	daemon_drop_privileges(d, "relp");
	r.t = d->audit_relp;
	r.fd = -1;
	r.log = log;
	if (spool_open(d->cfg->spool, &s, &err) != SLUICE_OK)
		daemon_fatal("relp", "%s", err.message);
	r.dir = spool_open_dir(s.root, "audit-relp", true);
	if (r.dir < 0)
		daemon_fatal("relp", "cannot open audit-relp/ in the spool: %s", strerror(errno));
	if (tls_client_context_new(&r.t->tls, &r.ctx, &err) != SLUICE_OK)
		daemon_fatal("relp", "%s [%s]", err.message, err.rule);
	SSL_CTX_clear_mode(r.ctx, SSL_MODE_AUTO_RETRY); /* see receive() */
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(procid, sizeof(procid), "%ld", (long)getpid());
	r.origin.facility = SYSLOG_FACILITY_DEFAULT;
	r.origin.hostname = host;
	r.origin.procid = procid;
	position_load(&r);
	position_check(&r);
	int keep[] = { r.log, r.dir };
	if (spool_confine(&s, true) < 0)
		daemon_fatal("relp", "landlock: %s", strerror(errno));
	if (sandbox_enter_profile(SANDBOX_RELP, keep, 2, why, sizeof(why)) != 0)
		daemon_fatal("relp", "%s", why);
	daemon_log(LOG_INFO, "relp", "forwarding audit records to %s from line %" PRIu64
	           " (byte %" PRIu64 ")", r.t->cfg->url, r.acked_seq + 1, r.acked_off);
	for (;;) {
		if (r.fd < 0) {
			if (now_s() < r.next_try || !relp_connect(&r)) {
				pause_ms(RELP_IDLE_MS);
				continue;
			}
		}
		if (!fill(&r)) {
			disconnect(&r, tls_why(why, sizeof(why)));
			continue;
		}
		int got = receive(&r, RELP_IDLE_MS);
		if (got < 0) {
			disconnect(&r, "the connection failed or was closed");
		} else if (got > 0 && !answers(&r, why, sizeof(why))) {
			position_save(&r);
			disconnect(&r, why);
		}
		position_save(&r);
	}
}
