/*
 * Delivery into RabbitMQ (config `rabbitmq:`, docs/CONFIG.md): the forwarder's second
 * transport, beside the HTTPS POST of `forward:` (gateway/proc_forward.c).
 *
 * For each destination domain with a `rabbitmq` entry, the forwarder publishes every report that
 * delivery committed to outbox/<domain>/ to the exchange of that domain (durable, type direct,
 * declared by the gateway when missing) with the destination domain as routing key, as a
 * persistent message (delivery mode 2) with content type application/xml, the transfer id as
 * `message_id` and in the header `sluice-transfer-id`, the receipt (JSON text) in the header
 * `sluice-receipt` and the spool name in `sluice-name`. The channel is in confirm mode and the
 * message is mandatory: the report leaves the outbox only after the broker's basic.ack, and a
 * basic.return (no queue bound to the exchange for that routing key), a basic.nack, a closed
 * channel or connection, or no answer within 30 s leave it there to be published again later.
 * Delivery is therefore at least once; a consumer drops duplicates by transfer id.
 *
 * SECURITY: the supervisor reads the credentials file and resolves the broker's host before
 * the forwarder's sandbox; the forwarder makes the TCP connection itself (SANDBOX_FORWARD) and
 * hands the socket to librabbitmq, which then neither resolves nor opens anything. The broker's
 * answers are parsed by librabbitmq (frame sizes bounded by the negotiated frame_max, 128 KiB);
 * only method ids, delivery tags and reply texts are read from them. The connection is plain
 * AMQP: amqps is not supported yet (docs/CONFIG.md).
 */
#ifndef SLUICE_GATEWAY_FORWARD_AMQP_H
#define SLUICE_GATEWAY_FORWARD_AMQP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "sluice_error.h"

#define FORWARD_MAX_ADDRS 4
#define AMQP_CREDENTIALS_MAX 1024u /* bytes of the credentials file */

/* A broker made ready by the supervisor: credentials in memory, host resolved. */
struct amqp_target {
	const struct sluiced_rabbitmq *cfg;
	char *user;     /* from the credentials file; wiped and freed by amqp_target_free */
	char *password;
	struct sockaddr_storage addr[FORWARD_MAX_ADDRS];
	socklen_t addrlen[FORWARD_MAX_ADDRS];
	size_t naddr;
};

/* What became of one attempt at a report. */
enum forward_outcome { FORWARD_SENT, FORWARD_PERMANENT, FORWARD_TRANSIENT };

/* Resolves `host` (TCP, `port`) into at most FORWARD_MAX_ADDRS addresses. 0 or a getaddrinfo
 * error code (gai_strerror). */
int forward_resolve(const char *host, unsigned port, struct sockaddr_storage *addr,
                    socklen_t *addrlen, size_t *naddr);

/* A connected, blocking TCP socket to one of the addresses (10 s to connect, 30 s per read or
 * write), or -1 with `why`. Defined in proc_forward.c. */
int forward_connect(const struct sockaddr_storage *addr, const socklen_t *addrlen, size_t naddr,
                    const char *host, unsigned port, char *why, size_t whylen);

/* "USER:PASSWORD" (one line, a final newline allowed; the password may contain ':'): each 1 to
 * 255 bytes without control characters. 0 with new strings, -1 with `why`. */
int amqp_credentials_parse(const char *text, size_t len, char **user, char **password,
                           char *why, size_t whylen);

/* Supervisor: reads the credentials file (a regular file, not readable by others, at most
 * AMQP_CREDENTIALS_MAX bytes) and resolves the host. Errors are SLUICE_ERR_POLICY with the
 * rule config.rabbitmq (file) or config.rabbitmq-resolve (host), at the entry's line of
 * `config_path`. */
enum sluice_rc amqp_target_load(const struct sluiced_rabbitmq *cfg, const char *config_path,
                                struct amqp_target *t, struct sluice_error *err)
	SLUICE_MUST_CHECK;
void amqp_target_free(struct amqp_target *t);

/* Forwarder: a connection to one broker, opened on first use and after each failure. */
struct amqp_link;
struct amqp_link *amqp_link_new(const struct amqp_target *t);
void amqp_link_free(struct amqp_link *l);

/* Publishes one report and waits for the broker's confirmation. FORWARD_SENT once confirmed;
 * FORWARD_TRANSIENT with `why` otherwise (the link is closed and reopened next time). A report
 * larger than the broker may take is FORWARD_PERMANENT. */
enum forward_outcome amqp_link_publish(struct amqp_link *l, const char *transfer_id,
                                       const char *name, const uint8_t *report, size_t len,
                                       const uint8_t *receipt, size_t receiptlen, char *why,
                                       size_t whylen);

#endif
