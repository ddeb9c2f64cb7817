/*
 * TLS listener: agency systems submit reports over mutual TLS, one HTTP/1.1 request each
 * (`POST /v1/reports?to=DST`, the report as the body), and get the signed receipt back.
 *
 *   hostile data: TLS handshakes, client certificates (after OpenSSL has verified them against
 *                 the configured CA and CRL), HTTP requests (parsed by libevent's evhttp under
 *                 the limits below), report bytes (hashed and passed on, never parsed here)
 *   privilege:    the gateway's TLS server key in memory; no signing key, no audit log, no
 *                 spool; the listening socket the supervisor bound (SANDBOX_NET)
 *   may open:     nothing: the certificate, key, client CA and CRL come as bytes the
 *                 supervisor read (gateway/tls_context.h), which SIGHUP reads again
 *   peers:        the router (MSG_SUBMIT out, MSG_SUBMIT_DONE in); clients over TLS
 *
 * The source domain is decided by the client certificate alone: its subject CN, mapped through
 * `tls.clients` when listed there, else the CN itself; it must be a domain of the policy.
 * Nothing the client writes (headers, query, body) can change it. The destination is the `to`
 * query parameter (and `name`, optionally, the delivered file's name); the router decides
 * everything else and answers with the signed receipt:
 * 200 released, 403 refused, 422 invalid (X-Sluice-Rule names the rule). Limits: the body is at
 * most the policy's max-bytes (413), headers at most 8 KiB, 30 s per connection read or write,
 * at most 64 requests waiting for the router (503 beyond).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "daemon.h"
#include "keys.h"
#include "msg.h"
#include "sandbox.h"
#include "spool.h"
#include "tls_context.h"
#include "tls_request.h"

#define TLS_MAX_IN_FLIGHT 64
#define TLS_MAX_HEADERS_BYTES 8192
#define TLS_TIMEOUT_SECONDS 30
#define TLS_PATH "/v1/reports"

struct pending {
	bool used;
	uint64_t id;
	struct evhttp_request *req;
};

struct tls_server {
	const struct daemon_ctx *d;
	SSL_CTX *ssl;
	struct event_base *base;
	struct evhttp *http;
	struct event *router_ev;
	int router;
	bool router_gone;
	size_t max_body;
	struct pending pending[TLS_MAX_IN_FLIGHT];
	uint64_t next_id;
};

/* Logs why a client certificate was refused (expired, revoked, unknown CA...). */
static int on_verify(int ok, X509_STORE_CTX *store)
{
	if (!ok) {
		int e = X509_STORE_CTX_get_error(store);
		X509 *cert = X509_STORE_CTX_get_current_cert(store);
		char subject[256] = "?";
		if (cert != NULL)
			X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		daemon_log(LOG_WARNING, "tls", "client certificate refused: %s (depth %d, %s)",
		           X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(store),
		           subject);
	}
	return ok;
}

/* The client's address, for the log. */
static void peer_address(const SSL *ssl, char *out, size_t outlen)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd = SSL_get_fd(ssl);
	snprintf(out, outlen, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
		return;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, outlen, "%s port %u", host, port);
}

/* A handshake this side ends with a fatal alert (no certificate, unknown CA, expired or
 * revoked certificate, an old protocol version), or a TLS 1.2 client asks to renegotiate (the
 * context refuses it with a no_renegotiation warning): say so, with the client's address.
 * A warning lets the client go on, and ask again, one log line each time: the connection is
 * shut down at the first request instead (evhttp then sees the end of the stream and frees
 * it), so one connection cannot flood the log. */
static void on_tls_info(const SSL *ssl, int where, int ret)
{
	if (!(where & SSL_CB_ALERT) || !(where & SSL_CB_WRITE))
		return;
	char peer[80];
	int alert = ret & 0xff;
	if ((ret >> 8) == SSL3_AL_WARNING && alert == SSL_AD_NO_RENEGOTIATION) {
		peer_address(ssl, peer, sizeof(peer));
		daemon_log(LOG_WARNING, "tls", "refused a renegotiation from %s; connection closed",
		           peer);
		int fd = SSL_get_fd(ssl);
		if (fd >= 0)
			(void)shutdown(fd, SHUT_RDWR);
	} else if ((ret >> 8) == SSL3_AL_FATAL) {
		peer_address(ssl, peer, sizeof(peer));
		/* OpenSSL 3.0 has no name for TLS 1.3's certificate_required (116) */
		daemon_log(LOG_WARNING, "tls", "refused a TLS connection from %s: alert %d, %s", peer,
		           alert, alert == 116 ? "certificate required" : SSL_alert_desc_string_long(ret));
	}
}

/* evhttp calls this for every accepted connection. It must never return NULL: evhttp would
 * then serve the connection in plain text. */
static struct bufferevent *tls_new_connection(struct event_base *base, void *arg)
{
	struct tls_server *s = arg;
	SSL *ssl = SSL_new(s->ssl);
	if (ssl == NULL)
		daemon_fatal("tls", "out of memory for a TLS connection");
	struct bufferevent *bev =
		bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                               BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		daemon_fatal("tls", "out of memory for a TLS connection");
	return bev;
}

static void on_router(evutil_socket_t fd, short what, void *arg);

/* While a large report waits for room on the router's socket, the router may be waiting for
 * us to read its answers to earlier ones: take them (each answers its client) so that neither
 * waits for the other. -1 once the router is gone. */
static int drain_router(void *arg)
{
	struct tls_server *s = arg;
	on_router(s->router, EV_READ, s);
	return s->router_gone ? -1 : 0;
}

static bool rule_ok(const char *rule)
{
	if (rule == NULL || rule[0] == '\0' || strlen(rule) > 128)
		return false;
	for (const char *p = rule; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return false;
	return true;
}

static void respond(struct evhttp_request *req, int code, const char *reason, const char *rule,
                    const char *content_type, const void *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	if (b == NULL)
		daemon_fatal("tls", "out of memory");
	(void)evhttp_add_header(h, "Content-Type", content_type);
	(void)evhttp_add_header(h, "Cache-Control", "no-store");
	if (rule_ok(rule))
		(void)evhttp_add_header(h, "X-Sluice-Rule", rule);
	if (len > 0 && evbuffer_add(b, body, len) != 0)
		daemon_fatal("tls", "out of memory");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* An answer decided here, before the router: a line of text naming the rule. */
static void refuse(struct evhttp_request *req, int code, const char *reason, const char *rule,
                   const char *message)
{
	char text[400];
	int n = snprintf(text, sizeof(text), "%s [%s]\n", message, rule);
	respond(req, code, reason, rule, "text/plain; charset=utf-8", text,
	        n > 0 && (size_t)n < sizeof(text) ? (size_t)n : 0);
}

/* The subject CN of a verified client certificate: exactly one, at most TLS_CN_MAX bytes of
 * UTF-8 without control characters. 0, or -1. */
static int peer_cn(X509 *cert, char out[TLS_CN_MAX + 1])
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return -1;
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	int rc = tls_cn_ok(utf8, n) ? 0 : -1;
	if (rc == 0) {
		memcpy(out, utf8, (size_t)n);
		out[n] = '\0';
	}
	OPENSSL_free(utf8);
	return rc;
}

/* The source domain the connection's certificate speaks for, or NULL (with the CN in `cn`,
 * or "" when the certificate has no usable CN). */
static const char *client_domain(const struct tls_server *s, struct evhttp_request *req,
                                 char cn[TLS_CN_MAX + 1])
{
	cn[0] = '\0';
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	if (peer == NULL || SSL_get_verify_result(ssl) != X509_V_OK || peer_cn(peer, cn) != 0)
		return NULL;
	const struct sluiced_tls *t = s->d->cfg->tls;
	const char *domain = cn;
	for (size_t i = 0; i < t->nclients; i++)
		if (strcmp(t->clients[i].subject_cn, cn) == 0) {
			domain = t->clients[i].domain;
			break;
		}
	if (strlen(domain) > TLS_DOMAIN_MAX || !spool_name_ok(domain) ||
	    policy_domain_find(s->d->policy, domain) == NULL)
		return NULL;
	return domain;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct tls_server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	char cn[TLS_CN_MAX + 1];

	if (req->major != 1 || req->minor != 1) {
		refuse(req, 505, "HTTP Version Not Supported", "http.version", "only HTTP/1.1 is served");
		return;
	}
	if (path == NULL || strcmp(path, TLS_PATH) != 0) {
		refuse(req, HTTP_NOTFOUND, "Not Found", "http.not-found",
		       "reports are submitted to POST " TLS_PATH "?to=DOMAIN");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		(void)evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		refuse(req, HTTP_BADMETHOD, "Method Not Allowed", "http.method",
		       "reports are submitted with POST");
		return;
	}
	const char *source = client_domain(s, req, cn);
	if (source == NULL) {
		daemon_log(LOG_WARNING, "tls", "refused a client: certificate CN '%s' is not a domain "
		           "of the policy", cn);
		refuse(req, 403, "Forbidden", "tls.unknown-domain",
		       "the client certificate does not name a domain of the policy");
		return;
	}
	char *to, *given_name;
	if (tls_query_parse(uri ? evhttp_uri_get_query(uri) : NULL, &to, &given_name) != 0) {
		refuse(req, HTTP_BADREQUEST, "Bad Request", "http.query",
		       "the query must be `to=DOMAIN`, optionally `&name=FILE` (A-Z a-z 0-9 . _ -), "
		       "each once, and nothing else");
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > s->max_body) { /* evhttp enforces it already; a second wall costs nothing */
		free(to);
		free(given_name);
		refuse(req, 413, "Payload Too Large", "limits.max-bytes",
		       "the report is larger than the policy's max-bytes");
		return;
	}
	int slot = -1;
	for (int i = 0; i < TLS_MAX_IN_FLIGHT && slot < 0; i++)
		if (!s->pending[i].used)
			slot = i;
	if (s->router_gone || slot < 0) {
		free(to);
		free(given_name);
		(void)evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		refuse(req, 503, "Service Unavailable", s->router_gone ? "gateway.restarting"
		                                                       : "gateway.busy",
		       "the gateway cannot take this report now; try again");
		return;
	}
	const uint8_t *data = len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
	if (data == NULL)
		daemon_fatal("tls", "out of memory");
	char sha[SHA256_HEX_LEN], name[256];
	sha256_hex(data, len, sha);
	if (given_name != NULL)
		snprintf(name, sizeof(name), "%s", given_name);
	else
		snprintf(name, sizeof(name), "https-%.16s.xml", sha);
	free(given_name);
	struct sbuf b;
	sbuf_init(&b, DAEMON_MSG_MAX);
	uint64_t id = ++s->next_id;
	if (sbuf_put_cstring(&b, source) || sbuf_put_cstring(&b, to) ||
	    sbuf_put_cstring(&b, name) || sbuf_put_cstring(&b, sha) || sbuf_put_u32(&b, 0) ||
	    sbuf_put_string(&b, data, len))
		daemon_fatal("tls", "submission too large");
	free(to);
	if (msg_send_draining(s->router, MSG_SUBMIT, id, &b, drain_router, s) != 0) {
		sbuf_free(&b);
		s->router_gone = true;
		refuse(req, 503, "Service Unavailable", "gateway.restarting",
		       "the gateway cannot take this report now; try again");
		return;
	}
	sbuf_free(&b);
	s->pending[slot] = (struct pending){ true, id, req };
}

/* The router is gone: every waiting client gets 503; the supervisor restarts the pipeline, and
 * this process with it. */
static void router_gone(struct tls_server *s)
{
	s->router_gone = true;
	event_del(s->router_ev);
	for (int i = 0; i < TLS_MAX_IN_FLIGHT; i++)
		if (s->pending[i].used) {
			struct evhttp_request *req = s->pending[i].req;
			s->pending[i].used = false;
			(void)evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
			refuse(req, 503, "Service Unavailable", "gateway.restarting",
			       "the gateway restarted before deciding; submit the report again");
		}
}

static void on_router(evutil_socket_t fd, short what, void *arg)
{
	struct tls_server *s = arg;
	struct msg m;
	struct sluice_error err;
	uint32_t status;
	char *decision = NULL, *transfer_id = NULL, *rule = NULL;
	const uint8_t *receipt;
	size_t receiptlen;
	(void)what;

	int got = msg_recv((int)fd, &m, DAEMON_MSG_MAX, &err);
	if (got <= 0) {
		daemon_log(LOG_WARNING, "tls", "the router went away%s%s", got < 0 ? ": " : "",
		           got < 0 ? err.message : "");
		router_gone(s);
		return;
	}
	int slot = -1;
	for (int i = 0; i < TLS_MAX_IN_FLIGHT && slot < 0; i++)
		if (s->pending[i].used && s->pending[i].id == m.id)
			slot = i;
	if (m.type != MSG_SUBMIT_DONE || slot < 0 || sbuf_get_u32(&m.body, &status) ||
	    sbuf_get_cstring(&m.body, &decision, 16) ||
	    sbuf_get_cstring(&m.body, &transfer_id, 64) || sbuf_get_cstring(&m.body, &rule, 128) ||
	    sbuf_get_string_ptr(&m.body, &receipt, &receiptlen, DAEMON_MSG_MAX) ||
	    sbuf_remaining(&m.body) != 0 || status != 0)
		daemon_fatal("tls", "bad answer from the router");
	int code = strcmp(decision, "released") == 0   ? 200
	           : strcmp(decision, "refused") == 0  ? 403
	           : strcmp(decision, "invalid") == 0  ? 422
	                                                : -1;
	if (code < 0)
		daemon_fatal("tls", "the router answered an unknown decision");
	struct evhttp_request *req = s->pending[slot].req;
	s->pending[slot].used = false;
	respond(req, code, code == 200 ? "OK" : code == 403 ? "Forbidden" : "Unprocessable Entity",
	        code == 200 ? NULL : rule, "application/json", receipt, receiptlen);
	free(decision);
	free(transfer_id);
	free(rule);
	msg_free(&m);
}

static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		daemon_log(LOG_WARNING, "tls", "libevent: %s", msg);
}

/* Closes every descriptor above stderr but the two this process is given, before it opens
 * anything of its own (so that what is open at the sandbox is exactly what it needs). */
static void close_inherited(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if ((lo > 3 && close_range(3, (unsigned)lo - 1, 0) != 0) ||
	    (hi > lo + 1 && close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) != 0) ||
	    close_range((unsigned)hi + 1, ~0U, 0) != 0)
		daemon_fatal("tls", "close_range: %s", strerror(errno));
}

void tls_main(const struct daemon_ctx *d, int listen_fd, int router)
{
	static struct tls_server s;
	char why[256];
	int keep[16];
	size_t nkeep = 0;

	prctl(PR_SET_NAME, "sluiced-tls", 0, 0, 0); /* for ps, pgrep and the tests */
	if (d->cfg->tls == NULL || listen_fd < 0)
		daemon_fatal("tls", "started without a listener");
	close_inherited(listen_fd, router);
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.router = router;
	uint64_t max = d->policy->limits.max_bytes;
	s.max_body = (size_t)(max > DAEMON_REPORT_MAX ? DAEMON_REPORT_MAX : max);
	event_set_log_callback(on_libevent_log);
	struct sluice_error err;
	int stale;
	if (d->tls == NULL ||
	    tls_server_context_new(d->tls, on_verify, &s.ssl, &stale, &err) != SLUICE_OK)
		daemon_fatal("tls", "%s [%s]", d->tls ? err.message : "no TLS material",
		             d->tls ? err.rule : "config.tls");
	SSL_CTX_set_info_callback(s.ssl, on_tls_info);
	if (stale)
		daemon_log(LOG_ERR, "tls", "the CRL %s is past its next update: every client "
		           "certificate of its CA is refused until a new CRL is installed (SIGHUP)",
		           d->tls->crl.path);
	s.base = event_base_new();
	s.http = s.base ? evhttp_new(s.base) : NULL;
	if (s.http == NULL)
		daemon_fatal("tls", "cannot create the event loop");
	evhttp_set_bevcb(s.http, tls_new_connection, &s);
	evhttp_set_gencb(s.http, on_request, &s);
	evhttp_set_max_body_size(s.http, (ev_ssize_t)s.max_body);
	evhttp_set_max_headers_size(s.http, TLS_MAX_HEADERS_BYTES);
	evhttp_set_timeout(s.http, TLS_TIMEOUT_SECONDS);
	evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                       EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                       EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	if (evhttp_set_flags(s.http, EVHTTP_SERVER_LINGERING_CLOSE) != 0 ||
	    evhttp_accept_socket_with_handle(s.http, listen_fd) == NULL)
		daemon_fatal("tls", "cannot listen on the socket the supervisor bound");
	s.router_ev = event_new(s.base, router, EV_READ | EV_PERSIST, on_router, &s);
	if (s.router_ev == NULL || event_add(s.router_ev, NULL) != 0)
		daemon_fatal("tls", "cannot watch the router");

	/* Keep exactly what is open now: stderr, the listening socket, the router, and what
	 * libevent made (its epoll descriptor). */
	daemon_prime_libraries();
	for (int fd = 3; fd < 1024 && nkeep < sizeof(keep) / sizeof(keep[0]); fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			keep[nkeep++] = fd;
	daemon_drop_privileges(d, "tls");
	if (sandbox_enter_profile(SANDBOX_NET, keep, nkeep, why, sizeof(why)) != 0)
		daemon_fatal("tls", "%s", why);
	daemon_log(LOG_INFO, "tls", "listening for mutual-TLS clients on %s:%u",
	           d->cfg->tls->listen_host, d->cfg->tls->listen_port);
	event_base_dispatch(s.base);
	daemon_fatal("tls", "the event loop stopped");
}
