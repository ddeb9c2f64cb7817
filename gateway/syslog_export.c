/*
 * RFC 5424 messages of audit records, and the auditor's best-effort sender
 * (syslog_export.h).
 *
 * SECURITY: the formatter takes records from logs of any origin; every value goes through
 * put_param_value (escaped, one line, bounded). The sender runs inside the auditor's sandbox:
 * it only sends on the socket made before the sandbox (sendmsg, which the auditor already has
 * for its messages), never creates, connects or opens anything, and never blocks the append
 * path: a collector that is slow, down or gone costs a dropped, counted message, not a record.
 */
#include "syslog_export.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "audit_reader.h"
#include "config.h"
#include "daemon.h"
#include "utf8.h"

#define MSG_PART_MAX 64 /* characters of each part of the free-text MSG */
#define TCP_PENDING_MAX (256u * 1024u)

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", 0 },      { "user", 1 },     { "mail", 2 },     { "daemon", 3 },
	{ "auth", 4 },      { "syslog", 5 },   { "lpr", 6 },      { "news", 7 },
	{ "uucp", 8 },      { "cron", 9 },     { "authpriv", 10 }, { "ftp", 11 },
	{ "ntp", 12 },      { "security", 13 }, { "console", 14 }, { "local0", 16 },
	{ "local1", 17 },   { "local2", 18 },  { "local3", 19 },  { "local4", 20 },
	{ "local5", 21 },   { "local6", 22 },  { "local7", 23 },
};

int syslog_facility_code(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].code;
	return -1;
}

int syslog_severity_of(const char *decision)
{
	if (strcmp(decision, "released") == 0)
		return LOG_INFO;
	if (strcmp(decision, "refused") == 0)
		return LOG_NOTICE;
	if (strcmp(decision, "error") == 0)
		return LOG_ERR;
	return LOG_WARNING; /* invalid, and anything a forged log may say */
}

/* ---------------------------------------------------------------------------------------- */
/* Formatting                                                                               */

/* Bytes of the UTF-8 character at `p` when it is well formed, else 0. */
static size_t utf8_char_len(const unsigned char *p)
{
	size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
	         : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if (p[i] == '\0')
			return 0;
	return n > 0 && utf8_valid(p, n, NULL) ? n : 0;
}

/* A PARAM-VALUE (RFC 5424 6.3.3): '"', '\' and ']' escaped with '\'; C0, DEL and C1 controls
 * and bytes that are not UTF-8 as '?'; at most SYSLOG_VALUE_MAX bytes of `s`, whole
 * characters only. */
static void put_param_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;
	while (*p != '\0') {
		size_t n = utf8_char_len(p);
		if (used + (n ? n : 1) > SYSLOG_VALUE_MAX)
			break;
		if (n == 0 || p[0] < 0x20 || p[0] == 0x7f || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			putc('?', out);
			n = n ? n : 1;
		} else if (p[0] == '"' || p[0] == '\\' || p[0] == ']') {
			putc('\\', out);
			putc(p[0], out);
		} else {
			fwrite(p, 1, n, out);
		}
		used += n;
		p += n;
	}
}

static void put_param(FILE *out, const char *name, const char *value)
{
	if (value == NULL)
		return;
	fprintf(out, " %s=\"", name);
	put_param_value(out, value);
	putc('"', out);
}

static void put_param_number(FILE *out, const char *name, long long value)
{
	fprintf(out, " %s=\"%lld\"", name, value);
}

/* Printable ASCII of `s` for the free-text MSG, at most MSG_PART_MAX characters. */
static void put_ascii(FILE *out, const char *s)
{
	for (size_t i = 0; s[i] != '\0' && i < MSG_PART_MAX; i++)
		putc((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?', out);
}

/* A header field: 1..max printable ASCII characters (33..126), else the NILVALUE "-". */
static const char *header_field(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return "-";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return "-";
	return s;
}

static const char *member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static long long replacements(const json_t *redactions)
{
	size_t i;
	const json_t *r;
	long long total = 0;
	json_array_foreach(redactions, i, r) {
		json_int_t n = json_integer_value(json_object_get(r, "count"));
		if (n > 0 && total <= INT64_MAX - n)
			total += n;
	}
	return total;
}

char *syslog_format_record(const json_t *record, size_t seq, const struct syslog_origin *origin)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		abort(); /* out of memory, as xmalloc */
	const char *decision = member(record, "decision"), *time = member(record, "time");
	const char *from = member(record, "from"), *to = member(record, "to");
	const json_t *policy = json_object_get(record, "policy");
	const json_t *reason = json_object_get(record, "reason");
	const char *known[] = { "released", "refused", "invalid", "error" };
	const char *msgid = "-";
	for (size_t i = 0; decision != NULL && i < 4; i++)
		if (strcmp(decision, known[i]) == 0)
			msgid = known[i];
	unsigned pri = origin->facility * 8 + (unsigned)syslog_severity_of(decision ? decision : "");

	fprintf(out, "<%u>1 %s %s sluiced %s %s [sluice@%d", pri,
	        time != NULL && audit_time_valid(time) ? time : "-",
	        header_field(origin->hostname, 255), header_field(origin->procid, 128), msgid,
	        SYSLOG_SLUICE_PEN);
	put_param(out, "transfer_id", member(record, "transfer_id"));
	if (seq > 0)
		put_param_number(out, "seq", (long long)seq);
	put_param(out, "from", from);
	put_param(out, "to", to);
	put_param(out, "decision", decision);
	put_param(out, "policy_id", member(policy, "id"));
	if (json_is_integer(json_object_get(policy, "version")))
		put_param_number(out, "policy_version",
		                 (long long)json_integer_value(json_object_get(policy, "version")));
	put_param(out, "policy_sha256", member(policy, "sha256"));
	put_param(out, "policy_bundle_sha256", member(policy, "bundle_sha256"));
	put_param(out, "input_sha256", member(record, "input_sha256"));
	put_param(out, "output_sha256", member(record, "output_sha256"));
	put_param(out, "rule", member(reason, "rule"));
	put_param_number(out, "redactions", replacements(json_object_get(record, "redactions")));
	put_param_number(out, "withheld",
	                 (long long)json_array_size(json_object_get(record, "removals")));
	fputs("] ", out);
	put_ascii(out, from && from[0] ? from : "-");
	fputs(" -> ", out);
	put_ascii(out, to && to[0] ? to : "-");
	putc(' ', out);
	put_ascii(out, decision ? decision : "-");
	if (member(reason, "rule") != NULL) {
		putc(' ', out);
		put_ascii(out, member(reason, "rule"));
	}
	if (fclose(out) != 0)
		abort();
	return text;
}

/* ---------------------------------------------------------------------------------------- */
/* Where to send                                                                            */

enum sluice_rc syslog_destination_resolve(const struct sluiced_syslog *cfg, const char *config_path,
                                          struct syslog_destination *out,
                                          struct sluice_error *err)
{
	memset(out, 0, sizeof(*out));
	out->transport = (enum syslog_transport)cfg->transport;
	out->facility = cfg->facility;
	out->target = cfg->target;
	if (cfg->transport == SYSLOG_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&out->addr;
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", cfg->path);
		out->addrlen = (socklen_t)sizeof(*un);
		return SLUICE_OK;
	}
	struct addrinfo hints, *res = NULL;
	char port[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = cfg->transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", cfg->port);
	int gai = getaddrinfo(cfg->host, port, &hints, &res);
	if (gai != 0 || res == NULL || res->ai_addrlen > sizeof(out->addr)) {
		if (res != NULL)
			freeaddrinfo(res);
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.audit-syslog", config_path,
		                      cfg->line, 0, "audit-syslog: cannot resolve %s: %s", cfg->host,
		                      gai != 0 ? gai_strerror(gai) : "no usable address");
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return SLUICE_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Sending                                                                                  */

struct syslog_sink {
	struct syslog_destination dest;
	int fd;
	char hostname[256];
	char procid[24];
	char *pending; /* TCP: framed messages the socket has not taken yet */
	size_t pending_len, pending_messages;
	bool broken;   /* TCP: the connection failed; nothing more is sent */
	unsigned long long sent, dropped, dropped_in_a_row;
};

enum sluice_rc syslog_sink_open(const struct syslog_destination *dest, const char *hostname,
                                struct syslog_sink **out, struct sluice_error *err)
{
	int type = dest->transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(dest->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	*out = NULL;
	if (fd < 0)
		return sluice_fail(err, SLUICE_ERR_IO, "audit.syslog", "audit-syslog %s: socket: %s",
		                   dest->target, strerror(errno));
	struct syslog_sink *s = xcalloc(1, sizeof(*s));
	s->dest = *dest;
	s->fd = fd;
	snprintf(s->hostname, sizeof(s->hostname), "%s", hostname ? hostname : "");
	snprintf(s->procid, sizeof(s->procid), "%ld", (long)getpid());
	if (dest->transport == SYSLOG_TCP &&
	    connect(fd, (const struct sockaddr *)&dest->addr, dest->addrlen) != 0 &&
	    errno != EINPROGRESS) {
		daemon_log(LOG_ERR, "auditor", "audit-syslog %s: cannot connect (%s): records will "
		           "not be copied to syslog until sluiced restarts", dest->target,
		           strerror(errno));
		s->broken = true;
	}
	*out = s;
	return SLUICE_OK;
}

int syslog_sink_fd(const struct syslog_sink *sink)
{
	return sink->fd;
}

/* The messages still pending are lost (a partly sent one too). */
static void drop_pending(struct syslog_sink *s)
{
	s->dropped += s->pending_messages;
	s->sent -= s->pending_messages < s->sent ? s->pending_messages : s->sent;
	s->pending_messages = 0;
	s->pending_len = 0;
}

/* Hands the socket what it takes now of the pending TCP bytes. */
static void tcp_flush(struct syslog_sink *s)
{
	while (s->pending_len > 0 && !s->broken) {
		struct iovec iov = { s->pending, s->pending_len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			memmove(s->pending, s->pending + w, s->pending_len - (size_t)w);
			s->pending_len -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return; /* still connecting, or the collector is slow: try with the next record */
		daemon_log(LOG_ERR, "auditor", "audit-syslog %s: the connection failed (%s): records "
		           "will not be copied to syslog until sluiced restarts", s->dest.target,
		           w < 0 ? strerror(errno) : "closed");
		s->broken = true;
		drop_pending(s);
	}
	if (s->pending_len == 0)
		s->pending_messages = 0;
}

/* Queues one message with its octet count (RFC 6587 3.4.1). False when it was dropped. */
static bool tcp_send(struct syslog_sink *s, const char *msg, size_t len)
{
	char count[24];
	int n = snprintf(count, sizeof(count), "%zu ", len);
	tcp_flush(s);
	if (s->broken || s->pending_len + (size_t)n + len > TCP_PENDING_MAX)
		return false;
	s->pending = xrealloc(s->pending, s->pending_len + (size_t)n + len);
	memcpy(s->pending + s->pending_len, count, (size_t)n);
	memcpy(s->pending + s->pending_len + (size_t)n, msg, len);
	s->pending_len += (size_t)n + len;
	s->pending_messages++;
	tcp_flush(s);
	return !s->broken;
}

static bool datagram_send(struct syslog_sink *s, const char *msg, size_t len)
{
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = {
		.msg_name = &s->dest.addr,
		.msg_namelen = s->dest.addrlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	return sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

void syslog_sink_send(struct syslog_sink *s, const json_t *record)
{
	struct syslog_origin origin = { s->dest.facility, s->hostname, s->procid };
	char *msg = syslog_format_record(record, 0, &origin);
	size_t len = strlen(msg);
	bool ok = s->dest.transport == SYSLOG_TCP ? tcp_send(s, msg, len)
	                                          : datagram_send(s, msg, len);
	int why = errno;
	free(msg);
	if (ok) {
		s->sent++;
		if (s->dropped_in_a_row > 0)
			daemon_log(LOG_NOTICE, "auditor", "audit-syslog %s: sending again after %llu "
			           "dropped messages", s->dest.target, s->dropped_in_a_row);
		s->dropped_in_a_row = 0;
		return;
	}
	s->dropped++;
	if (s->dropped_in_a_row++ == 0 && !s->broken)
		daemon_log(LOG_WARNING, "auditor", "audit-syslog %s: cannot send (%s): dropping "
		           "messages until it can (the audit log has every record)", s->dest.target,
		           strerror(why));
}

void syslog_sink_close(struct syslog_sink *s)
{
	if (s == NULL)
		return;
	if (s->dest.transport == SYSLOG_TCP) {
		tcp_flush(s);
		drop_pending(s);
	}
	daemon_log(LOG_INFO, "auditor", "audit-syslog %s: %llu messages sent, %llu dropped",
	           s->dest.target, s->sent, s->dropped);
	close(s->fd);
	free(s->pending);
	free(s);
}
