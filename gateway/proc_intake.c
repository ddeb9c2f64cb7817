/*
 * Spool intake: reads reports that agencies dropped in inbox/<source>/<destination>/ and
 * submits them to the router.
 *
 *   hostile data: file names and sizes in the inbox (the bytes are passed on, not parsed)
 *   privilege:    read access to the inbox through the descriptor it holds (SANDBOX_SPOOL_READ)
 *   may open:     files below the inbox descriptor, read-only
 *   peers:        the router
 *
 * A file stays in the inbox until delivery has committed its transfer (delivery removes it),
 * so nothing accepted is lost in a crash: the next intake submits it again and the transfer id
 * makes that a duplicate. Names starting with '.' are ignored: agencies write there and rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "daemon.h"
#include "fileio.h"
#include "keys.h"
#include "msg.h"
#include "sandbox.h"
#include "spool.h"

#define INTAKE_MAX_IN_FLIGHT 32
#define INTAKE_SCAN_MS 200

struct in_flight {
	bool used;
	uint64_t id;
	char key[600]; /* source/destination/name */
};

static struct in_flight flights[INTAKE_MAX_IN_FLIGHT];
static uint64_t next_id;

/* Files already handled whose inbox copy delivery could not remove (wrong permissions): not
 * submitted again unless their size or time changes. A small ring: the oldest are forgotten,
 * which only costs a duplicate submission (and duplicates are harmless). */
#define INTAKE_HANDLED 1024
struct handled {
	char key[600];
	off_t size;
	struct timespec mtime;
};
static struct handled handled[INTAKE_HANDLED];
static size_t handled_next;

static bool was_handled(const char *key, const struct stat *st)
{
	for (size_t i = 0; i < INTAKE_HANDLED; i++)
		if (handled[i].key[0] != '\0' && strcmp(handled[i].key, key) == 0 &&
		    handled[i].size == st->st_size && handled[i].mtime.tv_sec == st->st_mtim.tv_sec &&
		    handled[i].mtime.tv_nsec == st->st_mtim.tv_nsec)
			return true;
	return false;
}

/* After SUBMIT_DONE: if the file is still there unchanged, remember it. */
static void note_handled(int inbox, const char *key)
{
	struct stat st;
	if (fstatat(inbox, key, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	struct handled *h = &handled[handled_next++ % INTAKE_HANDLED];
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->size = st.st_size;
	h->mtime = st.st_mtim;
}

static bool flying(const char *key)
{
	for (size_t i = 0; i < INTAKE_MAX_IN_FLIGHT; i++)
		if (flights[i].used && strcmp(flights[i].key, key) == 0)
			return true;
	return false;
}

static size_t free_slots(void)
{
	size_t n = 0;
	for (size_t i = 0; i < INTAKE_MAX_IN_FLIGHT; i++)
		n += !flights[i].used;
	return n;
}

/* Lists a folder's entries (names only) through a descriptor; NULL-terminated, or NULL. */
static char **list_dir(int at, const char *name)
{
	int fd = name ? openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
	              : dup(at);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	char **v = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (v != NULL)
		v[n] = NULL;
	return v;
}

static void list_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Reads one SUBMIT_DONE from the router and forgets its flight. */
static void take_answer(int router, int inbox)
{
	struct msg m;
	struct sluice_error err;
	int got = msg_recv(router, &m, DAEMON_MSG_MAX, &err);
	if (got == 0)
		_exit(0);
	if (got < 0 || m.type != MSG_SUBMIT_DONE)
		daemon_fatal("intake", "bad answer from the router");
	for (size_t i = 0; i < INTAKE_MAX_IN_FLIGHT; i++)
		if (flights[i].used && flights[i].id == m.id) {
			flights[i].used = false;
			note_handled(inbox, flights[i].key);
		}
	msg_free(&m);
}

struct drain_arg {
	int router, inbox;
};

/* While a large submission waits for room, the router may be waiting for us to read its
 * answers: read them (tests/cli/test_daemon.sh, "many large reports at once"). */
static int drain_answers(void *arg)
{
	const struct drain_arg *a = arg;
	take_answer(a->router, a->inbox);
	return 0;
}

static void submit_file(const struct daemon_ctx *d, int router, int inbox, const char *src,
                        const char *dst, const char *name)
{
	char key[600], rel[600];
	snprintf(key, sizeof(key), "%s/%s/%s", src, dst, name);
	if (flying(key) || free_slots() == 0)
		return;
	if (!spool_name_ok(src) || !spool_name_ok(dst) || !spool_name_ok(name)) {
		daemon_log(LOG_WARNING, "intake", "ignoring inbox/%s: names are [A-Za-z0-9._-]", key);
		return;
	}
	snprintf(rel, sizeof(rel), "%s/%s/%s", src, dst, name);
	int fd = openat(inbox, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || was_handled(key, &st)) {
		close(fd);
		return;
	}
	uint64_t max = d->policy->limits.max_bytes;
	if (max > DAEMON_REPORT_MAX)
		max = DAEMON_REPORT_MAX;
	uint8_t *data = NULL;
	size_t len = 0;
	uint32_t flags = SUBMIT_FROM_INBOX;
	char sha[65] = "";
	struct sluice_error err;
	if ((uint64_t)st.st_size > max) {
		/* Too large to travel: hash it here; the router refuses it as invalid. */
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		uint8_t buf[65536], md[32];
		unsigned int mdlen = 0;
		bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
		ssize_t n;
		while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
			ok = EVP_DigestUpdate(c, buf, (size_t)n) == 1;
		ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1;
		EVP_MD_CTX_free(c);
		close(fd);
		if (!ok)
			return;
		hex_encode(md, 32, sha);
		flags |= SUBMIT_OVERSIZE;
	} else {
		enum sluice_rc rc = fd_read_bounded(fd, rel, (size_t)max, SLUICE_ERR_INVALID_REPORT,
		                                    &data, &len, &err);
		close(fd);
		if (rc != SLUICE_OK)
			return; /* it grew or vanished under us: next scan */
		sha256_hex(data, len, sha);
	}
	struct sbuf b;
	sbuf_init(&b, DAEMON_MSG_MAX);
	uint64_t id = ++next_id;
	if (sbuf_put_cstring(&b, src) || sbuf_put_cstring(&b, dst) || sbuf_put_cstring(&b, name) ||
	    sbuf_put_cstring(&b, sha) || sbuf_put_u32(&b, flags) ||
	    sbuf_put_string(&b, data, (flags & SUBMIT_OVERSIZE) ? 0 : len))
		daemon_fatal("intake", "cannot build a submission for inbox/%s", key);
	struct drain_arg drain = { router, inbox };
	if (msg_send_draining(router, MSG_SUBMIT, id, &b, drain_answers, &drain) != 0)
		daemon_fatal("intake", "cannot submit to the router: %s", strerror(errno));
	sbuf_free(&b);
	free(data);
	for (size_t i = 0; i < INTAKE_MAX_IN_FLIGHT; i++)
		if (!flights[i].used) {
			flights[i].used = true;
			flights[i].id = id;
			snprintf(flights[i].key, sizeof(flights[i].key), "%s", key);
			break;
		}
}

static void scan(const struct daemon_ctx *d, int router, int inbox)
{
	char **sources = list_dir(inbox, NULL);
	for (size_t i = 0; sources && sources[i]; i++) {
		char **dests = list_dir(inbox, sources[i]);
		for (size_t k = 0; dests && dests[k]; k++) {
			char rel[600];
			snprintf(rel, sizeof(rel), "%s/%s", sources[i], dests[k]);
			char **names = list_dir(inbox, rel);
			for (size_t n = 0; names && names[n]; n++)
				submit_file(d, router, inbox, sources[i], dests[k], names[n]);
			list_free(names);
		}
		list_free(dests);
	}
	list_free(sources);
}

void intake_main(const struct daemon_ctx *d, int router)
{
	struct spool s;
	struct sluice_error err;
	char why[256];

	prctl(PR_SET_NAME, "sluiced-intake", 0, 0, 0); /* for ps, pgrep and the tests */
	if (spool_open(d->cfg->spool, &s, &err) != SLUICE_OK)
		daemon_fatal("intake", "%s", err.message);
	daemon_drop_privileges(d, "intake");
	int confined = spool_confine(&s, false);
	if (confined < 0)
		daemon_fatal("intake", "landlock: %s", strerror(errno));
	if (confined == 0)
		daemon_log(LOG_WARNING, "intake", "no Landlock in this kernel: the spool is confined by "
		           "seccomp and file permissions only");
	int keep[2] = { router, s.inbox };
	if (sandbox_enter_profile(SANDBOX_SPOOL_READ, keep, 2, why, sizeof(why)) != 0)
		daemon_fatal("intake", "%s", why);
	for (;;) {
		scan(d, router, s.inbox);
		struct pollfd pfd = { router, POLLIN, 0 };
		int pr = poll(&pfd, 1, INTAKE_SCAN_MS);
		if (pr < 0 && errno != EINTR)
			daemon_fatal("intake", "poll: %s", strerror(errno));
		while (pr > 0) {
			take_answer(router, s.inbox);
			pr = poll(&pfd, 1, 0);
		}
	}
}
