#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <openssl/evp.h>

#include "fileio.h"

static const char *const kind_dir[] = { "outbox", "refused", "quarantine" };

int spool_fault_at;

/* Tests simulate a crash at step `n` of a delivery (see spool.h); 0 in production. */
static bool fault(int n)
{
	if (spool_fault_at == n) {
		errno = EIO;
		return true;
	}
	return false;
}

bool spool_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void spool_transfer_id(const char *source, const char *destination, const char *input_sha256_hex,
                       char out[37])
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const char tag[] = "sluice-transfer-1";
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, tag, sizeof(tag)) != 1 ||
	    EVP_DigestUpdate(c, source, strlen(source) + 1) != 1 ||
	    EVP_DigestUpdate(c, destination, strlen(destination) + 1) != 1 ||
	    EVP_DigestUpdate(c, input_sha256_hex, strlen(input_sha256_hex)) != 1 ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		SLUICE_BUG("SHA-256 failed");
	EVP_MD_CTX_free(c);
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x80); /* version 8 */
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char hex[33];
	hex_encode(md, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

int spool_open_dir(int at, const char *name, bool create)
{
	if (create) {
		/* A new folder's name is made durable in its parent before anything is committed
		 * below it: otherwise a power cut could take a delivered file away with its folder
		 * after its inbox copy was removed. */
		if (mkdirat(at, name, 0750) == 0) {
			if (fsync(at) != 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		}
	}
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

enum sluice_rc spool_open(const char *root, struct spool *s, struct sluice_error *err)
{
	memset(s, -1, sizeof(*s));
	s->inbox_left = false;
	s->root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root < 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "spool.open", root, 0, 0,
		                      "cannot open the spool: %s", strerror(errno));
	int *dirs[] = { &s->inbox, &s->outbox, &s->refused, &s->quarantine, &s->state, &s->tmp };
	const char *names[] = { "inbox", "outbox", "refused", "quarantine", "state", "tmp" };
	for (size_t i = 0; i < 6; i++) {
		*dirs[i] = spool_open_dir(s->root, names[i], true);
		if (*dirs[i] < 0) {
			int e = errno;
			spool_close(s);
			return sluice_fail_at(err, SLUICE_ERR_IO, "spool.open", root, 0, 0,
			                      "cannot open or create %s/: %s", names[i], strerror(e));
		}
	}
	return SLUICE_OK;
}

void spool_close(struct spool *s)
{
	int *dirs[] = { &s->root, &s->inbox, &s->outbox, &s->refused, &s->quarantine, &s->state,
		        &s->tmp };
	for (size_t i = 0; i < 7; i++) {
		if (*dirs[i] >= 0)
			close(*dirs[i]);
		*dirs[i] = -1;
	}
}

/* Writes a file in `dir` durably (not the folder entry: the caller fsyncs the folder). */
static int write_at(int dir, const char *name, const void *p, size_t len)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
	if (fd_write_all(fd, p, len) != 0 || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static bool exists_at(int dir, const char *name)
{
	return faccessat(dir, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Renames, treating an already-moved file as done. */
static int move_at(int from, const char *a, int to, const char *b)
{
	if (renameat(from, a, to, b) == 0 || errno == ENOENT)
		return 0;
	return -1;
}

/* SHA-256 of a file in `dir` matches `hex`. */
static bool file_sha256_is(int dir, const char *name, const char *hex)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t buf[65536], md[32];
	unsigned int mdlen = 0;
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = ok && n == 0;
			break;
		}
		ok = ok && EVP_DigestUpdate(c, buf, (size_t)n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1;
	EVP_MD_CTX_free(c);
	close(fd);
	char got[65];
	hex_encode(md, 32, got);
	return ok && strcmp(got, hex) == 0;
}

/* What a prepared marker says; written and read only by this file. */
struct marker {
	char id[64], source[256], destination[256], name[256], input[72];
	int kind;
	int from_inbox;
};

static int marker_write(int state, const struct marker *m)
{
	char text[1200], name[80], tmpname[96];
	int n = snprintf(text, sizeof(text),
	                 "sluice-spool 1\nkind %d\nsource %s\ndestination %s\nname %s\ninbox %d\n"
	                 "input %s\n", m->kind, m->source, m->destination, m->name, m->from_inbox,
	                 m->input);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	snprintf(name, sizeof(name), "%s.prepared", m->id);
	snprintf(tmpname, sizeof(tmpname), ".%s.prepared.tmp", m->id);
	if (write_at(state, tmpname, text, (size_t)n) != 0 || renameat(state, tmpname, state, name))
		return -1;
	return fsync(state);
}

static int marker_read(int state, const char *file, struct marker *m)
{
	char text[1200];
	int fd = openat(state, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	memset(m, 0, sizeof(*m));
	if (sscanf(text, "sluice-spool 1\nkind %d\nsource %255s\ndestination %255s\nname %255s\n"
	                 "inbox %d\ninput %71s\n", &m->kind, m->source, m->destination, m->name,
	           &m->from_inbox, m->input) != 6)
		return -1;
	if (m->kind < SPOOL_RELEASED || m->kind > SPOOL_QUARANTINED || !spool_name_ok(m->source) ||
	    !spool_name_ok(m->destination) || !spool_name_ok(m->name))
		return -1;
	size_t l = strlen(file);
	snprintf(m->id, sizeof(m->id), "%.*s", (int)(l - strlen(".prepared")), file);
	return 0;
}

/* Moves the staged files into place, removes or moves the inbox file, marks the delivery done.
 * Idempotent: a crash at any point is completed by running it again. */
static enum sluice_rc commit(struct spool *s, const struct marker *m, struct sluice_error *err)
{
	char staged[128], final[600], prepared[96], done[96];
	const char *owner = m->kind == SPOOL_RELEASED ? m->destination : m->source;
	int dir = -1, inbox_dir = -1;
	enum sluice_rc rc = SLUICE_OK;
	int parent = m->kind == SPOOL_RELEASED ? s->outbox
	             : m->kind == SPOOL_REFUSED ? s->refused : s->quarantine;

	dir = spool_open_dir(parent, owner, true);
	if (dir < 0) {
		rc = sluice_fail(err, SLUICE_ERR_IO, "spool.deliver", "cannot open %s/%s/: %s",
		                 kind_dir[m->kind], owner, strerror(errno));
		goto out;
	}
	if (m->from_inbox) {
		char sub[520];
		snprintf(sub, sizeof(sub), "%s/%s", m->source, m->destination);
		inbox_dir = openat(s->inbox, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	static const char *const ext[] = { "receipt", "reason" };
	const char *step = "moving its receipt into place";
	for (size_t i = 0; i < 2; i++) {
		snprintf(staged, sizeof(staged), "%s.%s", m->id, ext[i]);
		snprintf(final, sizeof(final), "%s--%s.%s", m->id, m->name, ext[i]);
		if (move_at(s->tmp, staged, dir, final) != 0)
			goto io;
		step = "moving its reason into place";
	}
	snprintf(staged, sizeof(staged), "%s.data", m->id);
	snprintf(final, sizeof(final), "%s--%s", m->id, m->name);
	step = "moving the report into place";
	if (!exists_at(s->tmp, staged) && m->kind != SPOOL_RELEASED && inbox_dir >= 0 &&
	    file_sha256_is(inbox_dir, m->name, m->input)) {
		/* only a report too large to travel was not staged: it moves itself, if it can */
		if (move_at(inbox_dir, m->name, dir, final) != 0)
			s->inbox_left = true;
	} else if (move_at(s->tmp, staged, dir, final) != 0) {
		goto io;
	}
	step = "fsync of its folder";
	if (fault(3) || fsync(dir) != 0)
		goto io;
	if (inbox_dir >= 0 && file_sha256_is(inbox_dir, m->name, m->input)) {
		/* An inbox the gateway may not change (wrong owner or mode) must not stop the
		 * delivery: the transfer is done, the copy is left, delivery says so. */
		if (unlinkat(inbox_dir, m->name, 0) != 0 && errno != ENOENT)
			s->inbox_left = true;
	}
	step = "fsync of the inbox folder";
	if (fault(4) || (inbox_dir >= 0 && fsync(inbox_dir) != 0))
		goto io;
	snprintf(prepared, sizeof(prepared), "%s.prepared", m->id);
	snprintf(done, sizeof(done), "%s.done", m->id);
	step = "marking it done in state/";
	if (move_at(s->state, prepared, s->state, done) != 0)
		goto io;
	step = "fsync of state/";
	if (fsync(s->state) != 0)
		goto io;
	goto out;
io:
	rc = sluice_fail(err, SLUICE_ERR_IO, "spool.deliver", "delivery of %s to %s/%s/ failed "
	                 "at %s: %s", m->id, kind_dir[m->kind], owner, step, strerror(errno));
out:
	if (dir >= 0)
		close(dir);
	if (inbox_dir >= 0)
		close(inbox_dir);
	return rc;
}

enum sluice_rc spool_deliver(struct spool *s, const struct spool_delivery *d, bool *duplicate,
                             struct sluice_error *err)
{
	struct marker m;
	char name[128];

	*duplicate = false;
	if (!spool_name_ok(d->transfer_id) || !spool_name_ok(d->source) ||
	    !spool_name_ok(d->destination) || !spool_name_ok(d->name) || d->kind < SPOOL_RELEASED ||
	    d->kind > SPOOL_QUARANTINED)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "spool.name",
		                   "refusing a delivery with a bad name");
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", d->transfer_id);
	snprintf(m.source, sizeof(m.source), "%s", d->source);
	snprintf(m.destination, sizeof(m.destination), "%s", d->destination);
	snprintf(m.name, sizeof(m.name), "%s", d->name);
	snprintf(m.input, sizeof(m.input), "%s", d->input_sha256 ? d->input_sha256 : "-");
	m.kind = (int)d->kind;
	m.from_inbox = d->from_inbox;

	snprintf(name, sizeof(name), "%s.done", d->transfer_id);
	if (exists_at(s->state, name)) {
		*duplicate = true;
		/* A retry of a delivered transfer: only the inbox copy may be left to remove. */
		if (d->from_inbox) {
			char sub[520];
			snprintf(sub, sizeof(sub), "%s/%s", d->source, d->destination);
			int in = openat(s->inbox, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (in >= 0) {
				if (file_sha256_is(in, d->name, m.input) &&
				    unlinkat(in, d->name, 0) != 0 && errno != ENOENT)
					s->inbox_left = true;
				(void)fsync(in);
				close(in);
			}
		}
		return SLUICE_OK;
	}
	snprintf(name, sizeof(name), "%s.prepared", d->transfer_id);
	const char *step = "writing tmp/ID.receipt";
	if (!exists_at(s->state, name)) {
		/* Stage everything, durably, before the marker that promises it. */
		char staged[128];
		snprintf(staged, sizeof(staged), "%s.receipt", d->transfer_id);
		if (write_at(s->tmp, staged, d->receipt, d->receiptlen) != 0)
			goto io;
		if (d->kind != SPOOL_RELEASED) {
			const char *reason = d->reason ? d->reason : "(no reason given)";
			snprintf(staged, sizeof(staged), "%s.reason", d->transfer_id);
			step = "writing tmp/ID.reason";
			if (write_at(s->tmp, staged, reason, strlen(reason)) != 0)
				goto io;
		}
		if (d->kind == SPOOL_RELEASED || d->data != NULL) {
			snprintf(staged, sizeof(staged), "%s.data", d->transfer_id);
			step = "writing tmp/ID.data";
			if (write_at(s->tmp, staged, d->data, d->datalen) != 0)
				goto io;
		}
		step = "fsync of tmp/";
		if (fault(1) || fsync(s->tmp) != 0)
			goto io;
		step = "writing state/ID.prepared";
		if (marker_write(s->state, &m) != 0)
			goto io;
	}
	step = "committing";
	if (fault(2))
		goto io;
	return commit(s, &m, err);
io:
	return sluice_fail(err, SLUICE_ERR_IO, "spool.deliver", "cannot stage delivery %s at %s: "
	                   "%s", d->transfer_id, step, strerror(errno));
}

enum sluice_rc spool_recover(struct spool *s, size_t *completed, struct sluice_error *err)
{
	*completed = 0;
	int fd = dup(s->state);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL)
		return sluice_fail(err, SLUICE_ERR_IO, "spool.recover", "cannot read state/: %s",
		                   strerror(errno));
	rewinddir(d);
	enum sluice_rc rc = SLUICE_OK;
	for (struct dirent *e; rc == SLUICE_OK && (e = readdir(d)) != NULL;) {
		size_t l = strlen(e->d_name);
		if (l <= 9 || strcmp(e->d_name + l - 9, ".prepared") != 0 || e->d_name[0] == '.')
			continue;
		struct marker m;
		if (marker_read(s->state, e->d_name, &m) != 0) {
			rc = sluice_fail(err, SLUICE_ERR_IO, "spool.recover",
			                 "unreadable delivery marker state/%s", e->d_name);
			break;
		}
		rc = commit(s, &m, err);
		if (rc == SLUICE_OK)
			(*completed)++;
	}
	closedir(d);
	if (rc != SLUICE_OK)
		return rc;
	/* Staged files whose delivery was never prepared: their report is still in the inbox or
	 * was never acknowledged over the network, so they can go. */
	fd = dup(s->tmp);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL)
		return sluice_fail(err, SLUICE_ERR_IO, "spool.recover", "cannot read tmp/: %s",
		                   strerror(errno));
	rewinddir(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		char id[64], marker[96];
		const char *dot = strchr(e->d_name, '.');
		if (dot == NULL || (size_t)(dot - e->d_name) >= sizeof(id))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(dot - e->d_name), e->d_name);
		snprintf(marker, sizeof(marker), "%s.prepared", id);
		if (!exists_at(s->state, marker))
			(void)unlinkat(s->tmp, e->d_name, 0);
	}
	closedir(d);
	return SLUICE_OK;
}

/* ---- Landlock ---- */

static int landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
#else
	return 0;
#endif
}

int spool_confine(const struct spool *s, bool write)
{
#ifdef SYS_landlock_create_ruleset
	int abi = landlock_abi();
	if (abi <= 0)
		return 0;
	uint64_t all = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	               LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	               LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	               LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	               LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	               LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	               LANDLOCK_ACCESS_FS_MAKE_SYM;
	uint64_t extra = 0;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		extra |= LANDLOCK_ACCESS_FS_REFER; /* renames from tmp/ into outbox/ */
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		extra |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	struct landlock_ruleset_attr attr = { .handled_access_fs = all | extra };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -1;
	struct landlock_path_beneath_attr rule;
	memset(&rule, 0, sizeof(rule));
	if (write) {
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
		                      LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		                      LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		                      LANDLOCK_ACCESS_FS_MAKE_DIR | extra;
		rule.parent_fd = s->root;
	} else {
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
		rule.parent_fd = s->inbox;
	}
	int rc = -1;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
		rc = 1;
	int e = errno;
	close(ruleset);
	errno = e;
	return rc;
#else
	(void)s;
	(void)write;
	return 0;
#endif
}
