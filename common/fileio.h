/*
 * File helpers used by the trusted side (the parent process and the administration commands).
 * The sandboxed filter never opens files; it reads only the descriptors it was handed.
 */
#ifndef SLUICE_FILEIO_H
#define SLUICE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

/* Reads the whole file into a NUL-terminated heap buffer. A file larger than `max` bytes is
 * refused with `too_big_rc` (so a report over its limit is "invalid", a huge policy "policy"),
 * without reading more than max + 1 bytes. */
enum sluice_rc file_read_bounded(const char *path, size_t max, enum sluice_rc too_big_rc,
                                 uint8_t **out, size_t *outlen, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Reads exactly up to max+1 bytes from an open descriptor (same contract as above). */
enum sluice_rc fd_read_bounded(int fd, const char *name, size_t max, enum sluice_rc too_big_rc,
                               uint8_t **out, size_t *outlen, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Writes all of `len` bytes, retrying on EINTR and short writes. 0 or -1 (errno set). */
int fd_write_all(int fd, const void *p, size_t len) SLUICE_MUST_CHECK;
/* Reads exactly `len` bytes. 0, or -1 on error or early end of file. */
int fd_read_exact(int fd, void *p, size_t len) SLUICE_MUST_CHECK;

/* Writes a file atomically: a temporary file beside it, fsync, rename, fsync of the folder.
 * A reader never sees a half-written report or receipt. */
enum sluice_rc file_write_atomic(const char *path, const void *p, size_t len, int mode,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* file_write_atomic, with the fsync of the folder left to the caller when `sync_dir` is false
 * (one for many files: `sluice release --batch`'s group commit). */
enum sluice_rc file_write_atomic_ex(const char *path, const void *p, size_t len, int mode,
                                    bool sync_dir, struct sluice_error *err) SLUICE_MUST_CHECK;

/* fsync of the folder holding `path`, so that a new or renamed file's name is durable too.
 * Best effort: a folder that cannot be opened is left alone. */
void path_fsync_parent(const char *path);

/* Directory part of `path` ("." when none), as a new string. */
char *path_dirname(const char *path);
/* `rel` resolved against the directory `base_dir` unless it is absolute. New string. */
char *path_join(const char *base_dir, const char *rel);

/* Lowercase hex of `n` bytes into `out` (2n+1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);

#endif
