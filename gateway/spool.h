/*
 * The spool: the daemon's embedded, durable transport (Postfix queue discipline: write, fsync,
 * rename, fsync the folder, then acknowledge).
 *
 *   inbox/<source>/<destination>/NAME   agencies drop reports here (write elsewhere or under a
 *                                       name starting with '.', then rename: dot files are
 *                                       never read)
 *   outbox/<destination>/ID--NAME       released reports, with ID--NAME.receipt
 *   refused/<source>/ID--NAME           refused reports as submitted, with .reason and .receipt
 *   quarantine/<source>/ID--NAME        invalid or hostile reports, with .reason and .receipt
 *   state/ID.prepared, state/ID.done    delivery's two-phase commit markers
 *   tmp/                                staging
 *
 * ID is the transfer id, derived from the source, the destination and the report's SHA-256, so
 * the same report submitted again (a retry, or a re-read after a crash) is the same transfer and
 * is delivered once.
 */
#ifndef SLUICE_SPOOL_H
#define SLUICE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

enum spool_kind { SPOOL_RELEASED = 0, SPOOL_REFUSED = 1, SPOOL_QUARANTINED = 2 };

/* Folder descriptors of an open spool. */
struct spool {
	int root, inbox, outbox, refused, quarantine, state, tmp;
	bool inbox_left; /* the last delivery could not remove its inbox copy (permissions) */
};

/* Creates (0750) the spool's folders that do not exist yet and opens them. */
enum sluice_rc spool_open(const char *root, struct spool *s, struct sluice_error *err)
	SLUICE_MUST_CHECK;
void spool_close(struct spool *s);

/* "xxxxxxxx-xxxx-8xxx-xxxx-xxxxxxxxxxxx" from SHA-256("sluice-transfer-1\0" source "\0"
 * destination "\0" input_sha256_hex) (a UUID of version 8, "custom"). */
void spool_transfer_id(const char *source, const char *destination, const char *input_sha256_hex,
                       char out[37]);

/* Opens the folder `name` below the folder `at` (never through a symbolic link), creating it
 * (0750) first when `create` is set, and then fsyncing `at` so that the new name is durable.
 * A descriptor, or -1 (errno set). */
int spool_open_dir(int at, const char *name, bool create);

/* Whether `name` may be a spool file or folder name: [A-Za-z0-9._-], not starting with '.',
 * at most 200 bytes. Everything derived from names is checked with it. */
bool spool_name_ok(const char *name);

struct spool_delivery {
	const char *transfer_id;
	enum spool_kind kind;
	const char *source;
	const char *destination;
	const char *name;          /* the report's file name as submitted */
	const uint8_t *data;       /* released: the released report; else the submitted one */
	size_t datalen;
	const char *receipt;
	size_t receiptlen;
	const char *reason;        /* refused and quarantined: one line of text */
	bool from_inbox;           /* remove inbox/<source>/<destination>/<name> once committed,
	                              if it still holds the bytes whose SHA-256 is input_sha256 */
	const char *input_sha256;
};

/* Delivers exactly once: returns SLUICE_OK with *duplicate set when the transfer was already
 * delivered. Steps (each durable before the next): stage the files in tmp/, write
 * state/ID.prepared, rename the files into place, rename the marker to state/ID.done, then
 * remove the inbox file. */
enum sluice_rc spool_deliver(struct spool *s, const struct spool_delivery *d, bool *duplicate,
                             struct sluice_error *err) SLUICE_MUST_CHECK;

/* Confines the calling process to the spool with Landlock, before its seccomp sandbox: with
 * `write` false, reading below inbox/ only (intake); with `write` true, reading and writing below
 * the spool's root only (delivery). Everything else on the file system becomes EACCES, which
 * seccomp alone cannot give (it cannot see openat's path). Returns 1 when confined, 0 when the
 * kernel has no Landlock (the caller logs it: seccomp and file permissions still hold), -1 on
 * error (errno set). Sets PR_SET_NO_NEW_PRIVS, as Landlock requires. */
int spool_confine(const struct spool *s, bool write);

/* For crash tests only, 0 in production: a delivery fails as if the machine stopped at step
 * n: 1 after staging, 2 after the prepared marker, 3 after moving files into place, 4 after
 * removing the inbox copy (before the done marker). */
extern int spool_fault_at;

/* Completes every delivery a crash left prepared, and removes staged files of deliveries that
 * were never prepared. Returns how many were completed. */
enum sluice_rc spool_recover(struct spool *s, size_t *completed, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
