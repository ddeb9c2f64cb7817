/*
 * amqp_drain: the receiving domain's side of a RabbitMQ delivery, for the tests only.
 *
 *   amqp_drain --port P --exchange X --key K --queue Q [--declare-only] [--out DIR]
 *              [--idle SECONDS]
 *
 * Connects to 127.0.0.1:P as guest, declares the exchange X (durable, direct, as sluiced does)
 * and the durable queue Q bound to it with routing key K. With --declare-only it stops there.
 * Otherwise it takes every message from Q (basic.get, acknowledged after it is written) until
 * the queue has been empty for --idle seconds (default 2), writes message N's body to DIR/N.xml
 * and its `sluice-receipt` header to DIR/N.receipt, and prints one line per message:
 *   N <TAB> message_id <TAB> delivery_mode <TAB> content_type <TAB> sluice-transfer-id
 *     <TAB> sluice-name <TAB> body bytes
 * Exit 0, or 1 with a message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

static void die_on(amqp_rpc_reply_t r, const char *step)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return;
	fprintf(stderr, "amqp_drain: %s failed (reply type %d, %s)\n", step, r.reply_type,
	        r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? amqp_error_string2(r.library_error)
	                                                        : "server exception");
	exit(1);
}

static void print_bytes(amqp_bytes_t b)
{
	for (size_t i = 0; i < b.len; i++) {
		char c = ((const char *)b.bytes)[i];
		putchar(c >= 0x20 && c < 0x7f && c != '\t' ? c : '?');
	}
}

static const amqp_field_value_t *find_header(const amqp_basic_properties_t *p, const char *k)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return NULL;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		if (e->key.len == strlen(k) && memcmp(e->key.bytes, k, e->key.len) == 0)
			return &e->value;
	}
	return NULL;
}

static void write_file(const char *dir, unsigned n, const char *ext, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%u.%s", dir, n, ext);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "amqp_drain: cannot write %s\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *exchange = NULL, *key = NULL, *queue = NULL, *out = ".";
	int port = 0, declare_only = 0, idle = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--declare-only") == 0) {
			declare_only = 1;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--port") == 0)
			port = atoi(v);
		else if (strcmp(a, "--exchange") == 0)
			exchange = v;
		else if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--queue") == 0)
			queue = v;
		else if (strcmp(a, "--out") == 0)
			out = v;
		else if (strcmp(a, "--idle") == 0)
			idle = atoi(v);
		else
			goto usage;
	}
	if (port <= 0 || exchange == NULL || key == NULL || queue == NULL)
		goto usage;

	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(c);
	if (s == NULL || amqp_socket_open(s, "127.0.0.1", port) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp_drain: cannot connect to 127.0.0.1:%d\n", port);
		return 1;
	}
	die_on(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
	amqp_channel_open(c, 1);
	die_on(amqp_get_rpc_reply(c), "channel.open");
	amqp_exchange_declare(c, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("direct"), 0, 1,
	                      0, 0, amqp_empty_table);
	die_on(amqp_get_rpc_reply(c), "exchange.declare");
	amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
	die_on(amqp_get_rpc_reply(c), "queue.declare");
	amqp_queue_bind(c, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange),
	                amqp_cstring_bytes(key), amqp_empty_table);
	die_on(amqp_get_rpc_reply(c), "queue.bind");
	unsigned n = 0;
	time_t last = time(NULL);
	while (!declare_only) {
		amqp_rpc_reply_t r = amqp_basic_get(c, 1, amqp_cstring_bytes(queue), 0);
		die_on(r, "basic.get");
		if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
			if (time(NULL) - last >= idle)
				break;
			usleep(100 * 1000);
			continue;
		}
		const amqp_basic_get_ok_t *ok = r.reply.decoded;
		uint64_t tag = ok->delivery_tag;
		amqp_message_t m;
		die_on(amqp_read_message(c, 1, &m, 0), "reading a message");
		n++;
		const amqp_basic_properties_t *p = &m.properties;
		const amqp_field_value_t *tid = find_header(p, "sluice-transfer-id");
		const amqp_field_value_t *name = find_header(p, "sluice-name");
		const amqp_field_value_t *receipt = find_header(p, "sluice-receipt");
		write_file(out, n, "xml", m.body.bytes, m.body.len);
		if (receipt != NULL && receipt->kind == AMQP_FIELD_KIND_UTF8)
			write_file(out, n, "receipt", receipt->value.bytes.bytes, receipt->value.bytes.len);
		printf("%u\t", n);
		if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
			print_bytes(p->message_id);
		printf("\t%d\t", p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG ? p->delivery_mode : 0);
		if (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
			print_bytes(p->content_type);
		putchar('\t');
		if (tid != NULL && tid->kind == AMQP_FIELD_KIND_UTF8)
			print_bytes(tid->value.bytes);
		putchar('\t');
		if (name != NULL && name->kind == AMQP_FIELD_KIND_UTF8)
			print_bytes(name->value.bytes);
		printf("\t%zu\n", m.body.len);
		fflush(stdout);
		amqp_destroy_message(&m);
		if (amqp_basic_ack(c, 1, tag, 0) != AMQP_STATUS_OK) {
			fprintf(stderr, "amqp_drain: cannot acknowledge message %u\n", n);
			return 1;
		}
		amqp_maybe_release_buffers(c);
		last = time(NULL);
	}
	amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return 0;
usage:
	fprintf(stderr, "usage: amqp_drain --port P --exchange X --key K --queue Q "
	                "[--declare-only] [--out DIR] [--idle SECONDS]\n");
	return 64;
}
