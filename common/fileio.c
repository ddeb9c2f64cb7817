#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum sluice_rc fd_read_bounded(int fd, const char *name, size_t max, enum sluice_rc too_big_rc,
                               uint8_t **out, size_t *outlen, struct sluice_error *err)
{
	size_t cap = 65536, len = 0;
	uint8_t *buf = NULL;

	*out = NULL;
	*outlen = 0;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				break;
			cap = cap > (SIZE_MAX / 4) ? cap : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			return sluice_fail_at(err, SLUICE_ERR_IO, "io.read", name, 0, 0,
			                      "cannot read: %s", strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	if (len > max) {
		free(buf);
		return sluice_fail_at(err, too_big_rc, "limits.max-bytes", name, 0, 0,
		                      "larger than the limit of %zu bytes", max);
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return SLUICE_OK;
}

enum sluice_rc file_read_bounded(const char *path, size_t max, enum sluice_rc too_big_rc,
                                 uint8_t **out, size_t *outlen, struct sluice_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0, "cannot open: %s",
		                      strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                      "not a regular file");
	}
	enum sluice_rc rc = fd_read_bounded(fd, path, max, too_big_rc, out, outlen, err);
	close(fd);
	return rc;
}

int fd_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *c = p;
	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_exact(int fd, void *p, size_t len)
{
	uint8_t *c = p;
	while (len > 0) {
		ssize_t n = read(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *base_dir, const char *rel)
{
	if (rel[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
		return xstrdup(rel);
	size_t n = strlen(base_dir) + strlen(rel) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", base_dir, rel);
	return p;
}

enum sluice_rc file_write_atomic(const char *path, const void *p, size_t len, int mode,
                                 struct sluice_error *err)
{
	return file_write_atomic_ex(path, p, len, mode, true, err);
}

enum sluice_rc file_write_atomic_ex(const char *path, const void *p, size_t len, int mode,
                                    bool sync_dir, struct sluice_error *err)
{
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	enum sluice_rc rc = SLUICE_OK;
	int fd = -1;

	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0,
		                    "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fd_write_all(fd, p, len) != 0 || fsync(fd) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0, "cannot write: %s",
		                    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0, "cannot close: %s",
		                    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", path, 0, 0, "cannot rename: %s",
		                    strerror(errno));
		goto out;
	}
	if (sync_dir)
		path_fsync_parent(path);
out:
	if (fd >= 0)
		close(fd);
	if (rc != SLUICE_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void path_fsync_parent(const char *path)
{
	char *dir = path_dirname(path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}
