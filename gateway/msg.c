#include "msg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void put_header(uint8_t h[MSG_HEADER_SIZE], uint16_t type, uint64_t id, uint32_t len)
{
	h[0] = (uint8_t)(MSG_VERSION >> 8);
	h[1] = (uint8_t)MSG_VERSION;
	h[2] = (uint8_t)(type >> 8);
	h[3] = (uint8_t)type;
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(len >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(id >> (56 - 8 * i));
}

/* Sends the iovecs of `mh` (`total` bytes), the descriptor with the first part. With `drain`,
 * never blocks while the peer has something for us: see msg_send_draining. */
static int send_all(int sock, struct msghdr *mh, size_t total, int (*drain)(void *), void *arg)
{
	size_t sent = 0;
	while (sent < total) {
		ssize_t n = sendmsg(sock, mh, MSG_NOSIGNAL | (drain != NULL ? MSG_DONTWAIT : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (drain == NULL || (errno != EAGAIN && errno != EWOULDBLOCK))
				return -1;
			struct pollfd p = { sock, POLLIN | POLLOUT, 0 };
			if (poll(&p, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if ((p.revents & (POLLIN | POLLHUP)) && drain(arg) != 0) {
				errno = EPIPE;
				return -1;
			}
			continue;
		}
		sent += (size_t)n;
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		/* advance the iovecs */
		size_t k = (size_t)n;
		while (k > 0 && mh->msg_iovlen > 0) {
			if (k >= mh->msg_iov[0].iov_len) {
				k -= mh->msg_iov[0].iov_len;
				mh->msg_iov++;
				mh->msg_iovlen--;
			} else {
				mh->msg_iov[0].iov_base = (uint8_t *)mh->msg_iov[0].iov_base + k;
				mh->msg_iov[0].iov_len -= k;
				k = 0;
			}
		}
	}
	return 0;
}

static int send_message(int sock, uint16_t type, uint64_t id, const void *body, size_t len,
                        int fd, int (*drain)(void *), void *arg)
{
	uint8_t h[MSG_HEADER_SIZE];
	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	put_header(h, type, id, (uint32_t)len);
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)body, len } };
	struct msghdr mh;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* The first sendmsg carries the descriptor; whatever it did not send goes after it. */
	return send_all(sock, &mh, sizeof(h) + len, drain, arg);
}

int msg_send(int sock, uint16_t type, uint64_t id, const void *body, size_t len, int fd)
{
	return send_message(sock, type, id, body, len, fd, NULL, NULL);
}

int msg_send_draining(int sock, uint16_t type, uint64_t id, const struct sbuf *b,
                      int (*drain)(void *arg), void *arg)
{
	return send_message(sock, type, id, b->data, b->len, -1, drain, arg);
}

/* Reads exactly `len` bytes; takes a descriptor if one comes along. 1 ok, 0 EOF at the very
 * start, -1 error or EOF in the middle. */
static int read_full(int sock, uint8_t *p, size_t len, int *fd)
{
	size_t got = 0;
	while (got < len) {
		struct iovec iov = { p + got, len - got };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return got == 0 ? 0 : -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len == CMSG_LEN(sizeof(int))) {
				int got_fd;
				memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
				if (*fd >= 0)
					close(got_fd); /* one descriptor per message */
				else
					*fd = got_fd;
			}
		}
		got += (size_t)n;
	}
	return 1;
}

int msg_recv(int sock, struct msg *m, size_t max, struct sluice_error *err)
{
	uint8_t h[MSG_HEADER_SIZE];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	int r = read_full(sock, h, sizeof(h), &m->fd);
	if (r == 0)
		return 0;
	if (r < 0) {
		sluice_fail(err, SLUICE_ERR_IO, "msg.read", "short or failed read of a header: %s",
		            errno ? strerror(errno) : "connection closed");
		goto fail;
	}
	uint16_t version = (uint16_t)((h[0] << 8) | h[1]);
	m->type = (uint16_t)((h[2] << 8) | h[3]);
	uint32_t len = ((uint32_t)h[4] << 24) | ((uint32_t)h[5] << 16) | ((uint32_t)h[6] << 8) | h[7];
	m->id = 0;
	for (int i = 0; i < 8; i++)
		m->id = (m->id << 8) | h[8 + i];
	if (version != MSG_VERSION) {
		sluice_fail(err, SLUICE_ERR_INTERNAL, "msg.version", "message version %u, expected %u",
		            version, MSG_VERSION);
		goto fail;
	}
	if (len > max) {
		sluice_fail(err, SLUICE_ERR_INTERNAL, "msg.size",
		            "message of type %u has %u body bytes, more than the %zu allowed", m->type,
		            len, max);
		goto fail;
	}
	sbuf_init(&m->body, len);
	if (len > 0) {
		uint8_t *p = xmalloc(len);
		if (read_full(sock, p, len, &m->fd) != 1) {
			free(p);
			sluice_fail(err, SLUICE_ERR_IO, "msg.read", "short read of a %u-byte body", len);
			goto fail;
		}
		m->body.data = p;
		m->body.len = m->body.cap = len;
	}
	return 1;
fail:
	msg_free(m);
	return -1;
}

void msg_free(struct msg *m)
{
	sbuf_free(&m->body);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}
