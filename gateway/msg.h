/*
 * Framed messages between the daemon's processes, over SOCK_STREAM socketpairs
 * (STYLE.md 4, after OpenBSD imsg):
 *
 *   u16 version (MSG_VERSION)   u16 type   u32 body length   u64 request id   body
 *
 * big-endian, 16 header bytes. A reader names the largest body it accepts; a longer one, a
 * wrong version or a short read is an error, never a partial message. One descriptor may ride
 * along (SCM_RIGHTS) with the first byte of a message, for handing a new peer's socket over.
 * The body is then parsed as hostile with the bounded buffer API (common/sbuf.h).
 */
#ifndef SLUICE_MSG_H
#define SLUICE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "sluice_error.h"

#define MSG_VERSION 2 /* 2: MSG_SIGN_BINDING, the placeholder in MSG_FILTER_REQUEST */
#define MSG_HEADER_SIZE 16

struct msg {
	uint16_t type;
	uint64_t id;
	struct sbuf body; /* read cursor at the start of the body */
	int fd;           /* a descriptor that came with it, or -1 */
};

/* Sends one message (and `fd` when >= 0). 0, or -1 with errno. */
int msg_send(int sock, uint16_t type, uint64_t id, const void *body, size_t len, int fd)
	SLUICE_MUST_CHECK;
static inline int msg_send_sbuf(int sock, uint16_t type, uint64_t id, const struct sbuf *b)
{
	return msg_send(sock, type, id, b->data, b->len, -1);
}

/* msg_send for a peer that also sends to us, and may be blocked doing so: a SUBMIT of a large
 * report to the router, while the router writes its answers back. Whenever the socket cannot
 * take more bytes and has something to read, `drain(arg)` is called to read one message (it
 * returns 0, or -1 to give up, when the peer has gone); so neither side can wait for the other
 * for ever, however many answers are pending. 0, or -1 with errno (EPIPE when drain gave up). */
int msg_send_draining(int sock, uint16_t type, uint64_t id, const struct sbuf *b,
                      int (*drain)(void *arg), void *arg) SLUICE_MUST_CHECK;

/* Reads one whole message with a body of at most `max` bytes. 1: a message; 0: the peer closed
 * the connection cleanly before a header; -1: an error described in `err` (rule
 * "msg.*"). msg_free releases the body and closes a descriptor nobody took. */
int msg_recv(int sock, struct msg *m, size_t max, struct sluice_error *err) SLUICE_MUST_CHECK;
void msg_free(struct msg *m);

#endif
