/*
 * The filter sandbox. A process that enters it keeps only the descriptors it names, cannot
 * open files, create sockets, execute programs, fork or change its limits, and is killed by
 * the kernel if it tries (SCMP_ACT_KILL_PROCESS; with SLUICE_SECCOMP_TRAP builds, SIGSYS is
 * caught and the forbidden call is named on stderr before exiting).
 *
 * Order (STYLE.md 5): new user, mount and network namespaces where the kernel allows them
 * (best effort: they are a second wall, not the first), close every other descriptor,
 * chdir("/"), rlimits (address space, CPU time, no core files, no file writes, no new
 * descriptors), PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0, then the seccomp filter.
 */
#ifndef SLUICE_SANDBOX_H
#define SLUICE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

struct sandbox_limits {
	uint64_t address_space_bytes; /* RLIMIT_AS; ignored in sanitizer builds */
	unsigned cpu_seconds;         /* RLIMIT_CPU */
};

/* Enters the sandbox, keeping `keep_fds` (and stderr) open. Returns 0, or -1 with a message in
 * `why` when a step failed; the caller must then exit without touching untrusted input. */
int sandbox_enter(const int *keep_fds, size_t nkeep, const struct sandbox_limits *lim,
                  char *why, size_t whylen) __attribute__((warn_unused_result));

/* The syscalls the filter may make, for docs and tests: NULL-terminated names. */
extern const char *const sandbox_allowed_syscalls[];

/* The daemon's processes: each gets the filter's list plus its own group below, and its own
 * limits (gateway/sandbox.c has the lists; docs/ARCHITECTURE.md explains them). */
enum sandbox_profile {
	SANDBOX_WORKER,     /* filter worker: messages on its socket, a per-report CPU timer */
	SANDBOX_IPC,        /* router, signer: messages, descriptors passed in, randomness */
	SANDBOX_AUDITOR,    /* + fsync of the already-open log */
	SANDBOX_SPOOL_READ, /* intake: + open and list files under descriptors it holds */
	SANDBOX_SPOOL_WRITE,/* delivery: + create, rename, unlink, fsync under its descriptors */
	SANDBOX_FORWARD,    /* forwarder: SANDBOX_SPOOL_WRITE + TCP sockets (AF_INET, AF_INET6
	                       only) and connect; keeps the network namespace */
	SANDBOX_RELP,       /* sluiced-relp: reads the audit log it was given, writes its position
	                       file under its folder, TCP sockets (AF_INET, AF_INET6) and connect */
	SANDBOX_NET,        /* TLS listener: + accept on the listening socket it was given, epoll,
	                       socket I/O and options on sockets it holds; never socket(),
	                       connect(), bind() or open() */
};

/* Enters the sandbox of `profile`, keeping `keep_fds` (and stderr). Same order and
 * guarantees as sandbox_enter, without RLIMIT_CPU (these processes live long). */
int sandbox_enter_profile(enum sandbox_profile profile, const int *keep_fds, size_t nkeep,
                          char *why, size_t whylen) __attribute__((warn_unused_result));

/* The extra syscalls of a profile, NULL-terminated, for docs and tests. */
const char *const *sandbox_profile_syscalls(enum sandbox_profile profile);

/* Write the seccomp filter that sandbox_enter (the report filter) or sandbox_enter_profile
 * would load, as libseccomp's pseudo filter code (text), to `fd`; the filter is built by the
 * same code that loads it. tests/fixtures/seccomp/ keeps reviewed golden copies. Return 0 or a
 * negative errno. */
int sandbox_filter_export_pfc(int fd) __attribute__((warn_unused_result));
int sandbox_profile_export_pfc(enum sandbox_profile profile, int fd)
	__attribute__((warn_unused_result));

#endif
