/*
 * Delivery into RabbitMQ with publisher confirms (gateway/forward_amqp.h).
 */
#include "forward_amqp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <openssl/crypto.h>

#include "fileio.h"

#define AMQP_CHANNEL 1
#define AMQP_FRAME_MAX 131072
#define AMQP_WAIT_SECONDS 30
#define AMQP_FIELD_MAX 255

int forward_resolve(const char *host, unsigned port, struct sockaddr_storage *addr,
                    socklen_t *addrlen, size_t *naddr)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", port);
	*naddr = 0;
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0)
		return gai;
	for (struct addrinfo *a = res; a != NULL && *naddr < FORWARD_MAX_ADDRS; a = a->ai_next)
		if (a->ai_addrlen <= sizeof(addr[0])) {
			memcpy(&addr[*naddr], a->ai_addr, a->ai_addrlen);
			addrlen[(*naddr)++] = a->ai_addrlen;
		}
	freeaddrinfo(res);
	return 0;
}

static bool field_ok(const char *s, size_t n)
{
	if (n == 0 || n > AMQP_FIELD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int amqp_credentials_parse(const char *text, size_t len, char **user, char **password,
                           char *why, size_t whylen)
{
	*user = *password = NULL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	const char *colon = memchr(text, ':', len);
	if (colon == NULL) {
		snprintf(why, whylen, "the credentials file must hold one line USER:PASSWORD");
		return -1;
	}
	size_t ulen = (size_t)(colon - text), plen = len - ulen - 1;
	if (!field_ok(text, ulen) || !field_ok(colon + 1, plen)) {
		snprintf(why, whylen, "the user and the password must each be 1 to %d bytes without "
		         "control characters or line breaks", AMQP_FIELD_MAX);
		return -1;
	}
	*user = xstrndup(text, ulen);
	*password = xstrndup(colon + 1, plen);
	return 0;
}

enum sluice_rc amqp_target_load(const struct sluiced_rabbitmq *cfg, const char *config_path,
                                struct amqp_target *t, struct sluice_error *err)
{
	char why[sizeof(err->message)];
	uint8_t *text = NULL;
	size_t len = 0;
	struct stat st;
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	int fd = open(cfg->credentials, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, sizeof(why), "cannot read the credentials file %s: %s", cfg->credentials,
		         fd < 0 ? strerror(errno) : "not a regular file");
		goto fail;
	}
	if ((st.st_mode & 0007) != 0) {
		snprintf(why, sizeof(why), "the credentials file %s is readable or writable by others "
		         "(chmod o-rwx)", cfg->credentials);
		goto fail;
	}
	if (fd_read_bounded(fd, cfg->credentials, AMQP_CREDENTIALS_MAX, SLUICE_ERR_POLICY, &text,
	                    &len, err) != SLUICE_OK) {
		memcpy(why, err->message, sizeof(why));
		goto fail;
	}
	close(fd);
	fd = -1;
	int rc = amqp_credentials_parse((const char *)text, len, &t->user, &t->password, why,
	                                sizeof(why));
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc != 0)
		goto fail;
	int gai = forward_resolve(cfg->host, cfg->port, t->addr, t->addrlen, &t->naddr);
	if (gai != 0) {
		amqp_target_free(t);
		return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.rabbitmq-resolve", config_path,
		                      cfg->line, 0, "rabbitmq %s: cannot resolve %s: %s", cfg->domain,
		                      cfg->host, gai_strerror(gai));
	}
	return SLUICE_OK;
fail:
	if (fd >= 0)
		close(fd);
	amqp_target_free(t);
	return sluice_fail_at(err, SLUICE_ERR_POLICY, "config.rabbitmq", config_path, cfg->line, 0,
	                      "rabbitmq %s: %s", cfg->domain, why);
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void amqp_target_free(struct amqp_target *t)
{
	if (t == NULL)
		return;
	wipe_free(t->user);
	wipe_free(t->password);
	t->user = t->password = NULL;
}

/* ---- the forwarder's side ---- */

struct amqp_link {
	const struct amqp_target *t;
	amqp_connection_state_t conn; /* NULL while not connected */
	uint64_t next_tag;            /* delivery tag of the next publish on this channel */
};

struct amqp_link *amqp_link_new(const struct amqp_target *t)
{
	struct amqp_link *l = xcalloc(1, sizeof(*l));
	l->t = t;
	return l;
}

static void link_close(struct amqp_link *l)
{
	if (l->conn == NULL)
		return;
	/* No polite close: the broker may be gone, and the socket's end says enough. */
	amqp_destroy_connection(l->conn);
	l->conn = NULL;
}

void amqp_link_free(struct amqp_link *l)
{
	if (l == NULL)
		return;
	link_close(l);
	free(l);
}

/* A broker's reply text, printable and bounded. */
static void reply_text(const amqp_bytes_t *b, char *out, size_t outlen)
{
	size_t n = b->len < outlen - 1 ? b->len : outlen - 1;
	for (size_t i = 0; i < n; i++) {
		char c = ((const char *)b->bytes)[i];
		out[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[n] = '\0';
}

/* 0 when the reply is normal, else -1 with `why` naming `step`. */
static int rpc_ok(amqp_rpc_reply_t r, const char *step, char *why, size_t whylen)
{
	char text[200] = "";
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return 0;
	case AMQP_RESPONSE_NONE:
		snprintf(why, whylen, "%s: no answer", step);
		break;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(why, whylen, "%s: %s", step, amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD && r.reply.decoded != NULL) {
			const amqp_connection_close_t *c = r.reply.decoded;
			reply_text(&c->reply_text, text, sizeof(text));
			snprintf(why, whylen, "%s: the broker closed the connection: %u %s", step,
			         c->reply_code, text);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD && r.reply.decoded != NULL) {
			const amqp_channel_close_t *c = r.reply.decoded;
			reply_text(&c->reply_text, text, sizeof(text));
			snprintf(why, whylen, "%s: the broker closed the channel: %u %s", step,
			         c->reply_code, text);
		} else {
			snprintf(why, whylen, "%s: unexpected answer 0x%08x", step, r.reply.id);
		}
		break;
	}
	return -1;
}

static int link_open(struct amqp_link *l, char *why, size_t whylen)
{
	const struct amqp_target *t = l->t;
	const struct sluiced_rabbitmq *c = t->cfg;
	int fd = forward_connect(t->addr, t->addrlen, t->naddr, c->host, c->port, why, whylen);
	if (fd < 0)
		return -1;
	l->conn = amqp_new_connection();
	amqp_socket_t *sock = l->conn != NULL ? amqp_tcp_socket_new(l->conn) : NULL;
	if (sock == NULL) {
		close(fd);
		link_close(l);
		snprintf(why, whylen, "out of memory for an AMQP connection");
		return -1;
	}
	amqp_tcp_socket_set_sockfd(sock, fd); /* the connection owns it from here on */
	struct timeval wait = { AMQP_WAIT_SECONDS, 0 };
	if (amqp_set_rpc_timeout(l->conn, &wait) != AMQP_STATUS_OK ||
	    amqp_set_handshake_timeout(l->conn, &wait) != AMQP_STATUS_OK) {
		link_close(l);
		snprintf(why, whylen, "cannot set the AMQP time-outs");
		return -1;
	}
	if (rpc_ok(amqp_login(l->conn, c->vhost, 0, AMQP_FRAME_MAX, 0, AMQP_SASL_METHOD_PLAIN,
	                      t->user, t->password), "login", why, whylen) != 0)
		goto fail;
	amqp_channel_open(l->conn, AMQP_CHANNEL);
	if (rpc_ok(amqp_get_rpc_reply(l->conn), "channel.open", why, whylen) != 0)
		goto fail;
	amqp_exchange_declare(l->conn, AMQP_CHANNEL, amqp_cstring_bytes(c->exchange),
	                      amqp_cstring_bytes("direct"), 0, 1, 0, 0, amqp_empty_table);
	if (rpc_ok(amqp_get_rpc_reply(l->conn), "exchange.declare", why, whylen) != 0)
		goto fail;
	amqp_confirm_select(l->conn, AMQP_CHANNEL);
	if (rpc_ok(amqp_get_rpc_reply(l->conn), "confirm.select", why, whylen) != 0)
		goto fail;
	l->next_tag = 1;
	return 0;
fail:
	link_close(l);
	return -1;
}

/* Waits for the broker's verdict on delivery tag `tag`. */
static enum forward_outcome wait_confirm(struct amqp_link *l, uint64_t tag, char *why,
                                         size_t whylen)
{
	bool returned = false;
	char text[200] = "";
	for (;;) {
		amqp_frame_t f;
		struct timeval wait = { AMQP_WAIT_SECONDS, 0 };
		int rc = amqp_simple_wait_frame_noblock(l->conn, &f, &wait);
		if (rc != AMQP_STATUS_OK) {
			snprintf(why, whylen, "waiting for the broker's confirmation: %s",
			         amqp_error_string2(rc));
			return FORWARD_TRANSIENT;
		}
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue;
		switch (f.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			const amqp_basic_ack_t *a = f.payload.method.decoded;
			if (a->delivery_tag < tag && !a->multiple)
				continue; /* an earlier publish's */
			if (returned) {
				snprintf(why, whylen, "the broker returned it: %s (no queue is bound to "
				         "exchange %s with routing key %s)", text, l->t->cfg->exchange,
				         l->t->cfg->domain);
				return FORWARD_TRANSIENT;
			}
			return FORWARD_SENT;
		}
		case AMQP_BASIC_NACK_METHOD:
			snprintf(why, whylen, "the broker refused to take it (basic.nack)");
			return FORWARD_TRANSIENT;
		case AMQP_BASIC_RETURN_METHOD: {
			const amqp_basic_return_t *r = f.payload.method.decoded;
			amqp_message_t m;
			reply_text(&r->reply_text, text, sizeof(text));
			returned = true;
			/* the returned message's header and body follow */
			if (rpc_ok(amqp_read_message(l->conn, f.channel, &m, 0), "basic.return", why,
			           whylen) != 0)
				return FORWARD_TRANSIENT;
			amqp_destroy_message(&m);
			continue;
		}
		case AMQP_CHANNEL_CLOSE_METHOD:
		case AMQP_CONNECTION_CLOSE_METHOD: {
			amqp_rpc_reply_t r;
			memset(&r, 0, sizeof(r));
			r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
			r.reply = f.payload.method;
			(void)rpc_ok(r, "publishing", why, whylen);
			return FORWARD_TRANSIENT;
		}
		default:
			continue;
		}
	}
}

static amqp_table_entry_t header(const char *key, const void *value, size_t len)
{
	amqp_table_entry_t e;
	memset(&e, 0, sizeof(e));
	e.key = amqp_cstring_bytes(key);
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes.bytes = (void *)(uintptr_t)value;
	e.value.value.bytes.len = len;
	return e;
}

enum forward_outcome amqp_link_publish(struct amqp_link *l, const char *transfer_id,
                                       const char *name, const uint8_t *report, size_t len,
                                       const uint8_t *receipt, size_t receiptlen, char *why,
                                       size_t whylen)
{
	const struct sluiced_rabbitmq *c = l->t->cfg;
	if (len > (size_t)512 * 1024 * 1024) {
		snprintf(why, whylen, "%zu bytes is more than RabbitMQ takes in one message", len);
		return FORWARD_PERMANENT;
	}
	if (l->conn == NULL && link_open(l, why, whylen) != 0)
		return FORWARD_TRANSIENT;
	amqp_table_entry_t h[3] = {
		header("sluice-transfer-id", transfer_id, strlen(transfer_id)),
		header("sluice-receipt", receipt, receiptlen),
		header("sluice-name", name, strlen(name)),
	};
	amqp_basic_properties_t p;
	memset(&p, 0, sizeof(p));
	p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
	           AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
	           AMQP_BASIC_APP_ID_FLAG;
	p.content_type = amqp_cstring_bytes("application/xml");
	p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	p.message_id = amqp_cstring_bytes(transfer_id);
	p.timestamp = (uint64_t)time(NULL);
	p.app_id = amqp_cstring_bytes("sluiced");
	p.headers.num_entries = 3;
	p.headers.entries = h;
	amqp_bytes_t body = { len, (void *)(uintptr_t)report };
	uint64_t tag = l->next_tag++;
	int rc = amqp_basic_publish(l->conn, AMQP_CHANNEL, amqp_cstring_bytes(c->exchange),
	                            amqp_cstring_bytes(c->domain), 1, 0, &p, body);
	enum forward_outcome out;
	if (rc != AMQP_STATUS_OK) {
		snprintf(why, whylen, "publishing: %s", amqp_error_string2(rc));
		out = FORWARD_TRANSIENT;
	} else {
		out = wait_confirm(l, tag, why, whylen);
	}
	if (out == FORWARD_SENT)
		amqp_maybe_release_buffers(l->conn);
	else
		link_close(l); /* a clean start next time: new channel, new delivery tags */
	return out;
}
