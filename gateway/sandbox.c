/*
 * SECURITY: this file builds the wall around the only code that parses report bytes. Every
 * syscall the filter may make is listed below, one per line, in named groups; anything else
 * kills the process. Changing this list changes the trust model: say why in
 * docs/ARCHITECTURE.md.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

const char *const sandbox_allowed_syscalls[] = {
	/* I/O on descriptors already open (the report pipe, the result pipe, stderr) */
	"read", "write", "writev", "close",
	/* memory (mmap and mprotect only without PROT_EXEC: see below) */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
	/* time (normally answered by the vDSO without a syscall) */
	"clock_gettime", "gettimeofday", "time",
	/* leaving, and abort() raising SIGABRT at itself */
	"exit", "exit_group", "rt_sigreturn", "rt_sigprocmask", "getpid", "gettid", "tgkill",
	/* glibc locking */
	"futex",
	/* the kernel's own continuation of a sleep (poll, nanosleep with a timeout) interrupted
	 * by a stop and continue (SIGSTOP/SIGCONT, a debugger attaching or detaching): without it
	 * such a process is killed when it resumes */
	"restart_syscall",
	NULL,
};

/* Every daemon process talks in framed messages, which may carry a descriptor. */
#define MESSAGES "sendmsg", "recvmsg", "poll", "ppoll"

static const char *const worker_syscalls[] = {
	MESSAGES, "setitimer", "getitimer", NULL,
};
static const char *const ipc_syscalls[] = {
	MESSAGES, "getrandom", NULL,
};
static const char *const auditor_syscalls[] = {
	MESSAGES, "getrandom", "fsync", "fdatasync", "lseek", "fstat", "newfstatat", "flock",
	/* cutting a line the storage refused back off the log (audit/auditlog.c write_line) */
	"ftruncate", NULL,
};
static const char *const spool_read_syscalls[] = {
	MESSAGES, "openat", "getdents64", "fstat", "newfstatat", "lseek", "fcntl", "dup",
	"getrandom", NULL,
};
static const char *const spool_write_syscalls[] = {
	MESSAGES, "openat", "getdents64", "fstat", "newfstatat", "lseek", "fcntl", "dup", "fsync",
	"fdatasync", "mkdirat", "renameat", "renameat2", "unlinkat", "faccessat", "faccessat2",
	"getrandom", NULL,
};

/* The forwarder: the spool like delivery, and outgoing TCP connections (socket() is allowed
 * for AF_INET and AF_INET6 only, see add_rules), with a pause between scans. */
static const char *const forward_syscalls[] = {
	MESSAGES, "openat", "getdents64", "fstat", "newfstatat", "lseek", "fcntl", "dup", "fsync",
	"fdatasync", "mkdirat", "renameat", "renameat2", "unlinkat", "faccessat", "faccessat2",
	"getrandom",
	/* outgoing TLS connections */
	"socket", "connect", "setsockopt", "getsockopt", "getpeername", "getsockname",
	"recvfrom", "sendto", "shutdown",
	"nanosleep", "clock_nanosleep",
	NULL,
};

/* sluiced-relp: reads the audit log through the descriptor opened before the sandbox, keeps
 * its position file in its folder of the spool (written through a temporary name and
 * renamed), and makes outgoing TCP connections (AF_INET and AF_INET6 only, see add_rules).
 * Unlike the forwarder it lists, makes and removes no folder. */
static const char *const relp_syscalls[] = {
	MESSAGES,
	/* the audit log (read-only) and the position file */
	"openat", "fstat", "newfstatat", "lseek", "pread64", "fcntl", "fsync", "fdatasync",
	"renameat", "renameat2",
	"getrandom",
	/* outgoing TLS connections */
	"socket", "connect", "setsockopt", "getsockopt", "getpeername", "getsockname",
	"recvfrom", "sendto", "shutdown",
	"nanosleep", "clock_nanosleep",
	NULL,
};

/* The mutual-TLS listener (libevent + OpenSSL) on sockets it already holds: the listening
 * socket the supervisor bound, the accepted connections, the epoll descriptor made before the
 * sandbox and the router's socket. It may accept a connection, but create, connect or bind
 * none, and open no file (its certificates, key and CRL are read before the sandbox). */
static const char *const net_syscalls[] = {
	MESSAGES,
	/* new connections on the listening socket */
	"accept4", "accept",
	/* the event loop */
	"epoll_wait", "epoll_pwait", "epoll_ctl",
	/* connection I/O, options and addresses */
	"recvfrom", "sendto", "fcntl", "setsockopt", "getsockopt", "getpeername",
	"getsockname", "shutdown",
	/* OpenSSL's randomness */
	"getrandom",
	NULL,
};

const char *const *sandbox_profile_syscalls(enum sandbox_profile profile)
{
	switch (profile) {
	case SANDBOX_WORKER: return worker_syscalls;
	case SANDBOX_IPC: return ipc_syscalls;
	case SANDBOX_AUDITOR: return auditor_syscalls;
	case SANDBOX_SPOOL_READ: return spool_read_syscalls;
	case SANDBOX_SPOOL_WRITE: return spool_write_syscalls;
	case SANDBOX_NET: return net_syscalls;
	case SANDBOX_FORWARD: return forward_syscalls;
	case SANDBOX_RELP: return relp_syscalls;
	}
	return ipc_syscalls;
}

#ifdef SLUICE_SANITIZED
/* The sanitizer runtime needs a few more calls of its own; test builds only. */
static const char *const sanitizer_syscalls[] = {
	"sched_yield", "sigaltstack", "rt_sigaction", "prctl", "getrlimit", "prlimit64",
	"fstat", "newfstatat", "getrusage",
	NULL,
};
#endif

#ifdef SLUICE_SECCOMP_TRAP
static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	(void)sig;
	(void)uctx;
	char buf[128];
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, info->si_syscall);
	int n = snprintf(buf, sizeof(buf), "sluice filter: seccomp refused syscall %s (%d)\n",
	                 name ? name : "?", info->si_syscall);
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n);
	_exit(159);
}
#endif

static int fail(char *why, size_t whylen, const char *step)
{
	snprintf(why, whylen, "sandbox: %s: %s", step, strerror(errno));
	return -1;
}

static int close_other_fds(const int *keep, size_t nkeep)
{
	/* Close every descriptor above stderr that is not kept, in ranges between kept ones. */
	int sorted[256];
	size_t n = 0;
	if (nkeep > 256) {
		errno = EMFILE;
		return -1;
	}
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] > 2)
			sorted[n++] = keep[i];
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && sorted[k - 1] > sorted[k]; k--) {
			int t = sorted[k];
			sorted[k] = sorted[k - 1];
			sorted[k - 1] = t;
		}
	unsigned lo = 3;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)sorted[i] > lo && close_range(lo, (unsigned)sorted[i] - 1, 0) != 0)
			return -1;
		lo = (unsigned)sorted[i] + 1;
	}
	if (close_range(lo, ~0U, 0) != 0)
		return -1;
	/* stdin and stdout are not the filter's business. */
	int devnull_free = 1;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == 0 || keep[i] == 1)
			devnull_free = 0;
	if (devnull_free) {
		close(0);
		close(1);
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const char *const *names)
{
	int rc = 0;
	for (size_t i = 0; names != NULL && names[i] != NULL && rc == 0; i++) {
		const char *name = names[i];
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (strcmp(name, "socket") == 0) {
			/* TCP over IPv4 or IPv6 only: no raw, packet, netlink or unix sockets */
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			                      SCMP_A0(SCMP_CMP_EQ, AF_INET, 0));
			if (rc == 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				                      SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0));
		} else if (strcmp(name, "mmap") == 0 || strcmp(name, "mprotect") == 0)
			/* never executable memory: no code can be loaded or generated */
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			                      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	return rc;
}

#ifdef SLUICE_SECCOMP_TRAP
#define SANDBOX_DENY SCMP_ACT_TRAP
#else
#define SANDBOX_DENY SCMP_ACT_KILL_PROCESS
#endif

/* The one place a filter is built, so that what is loaded and what is exported for review
 * (sandbox_*_export_pfc) cannot differ. NULL when libseccomp refuses a rule. */
static scmp_filter_ctx build_filter(const char *const *extra, int *rc_out)
{
	scmp_filter_ctx ctx = seccomp_init(SANDBOX_DENY);
	int rc = 0;
	if (ctx == NULL) {
		*rc_out = -ENOMEM;
		return NULL;
	}
	rc = add_rules(ctx, sandbox_allowed_syscalls);
	if (rc == 0)
		rc = add_rules(ctx, extra);
#ifdef SLUICE_SANITIZED
	if (rc == 0)
		rc = add_rules(ctx, sanitizer_syscalls);
#endif
	*rc_out = rc;
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int load_seccomp(const char *const *extra, char *why, size_t whylen)
{
#ifdef SLUICE_SECCOMP_TRAP
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return fail(why, whylen, "sigaction(SIGSYS)");
#endif
	int rc = 0;
	scmp_filter_ctx ctx = build_filter(extra, &rc);
	if (ctx != NULL) {
		rc = seccomp_load(ctx);
		seccomp_release(ctx);
	}
	if (rc != 0) {
		snprintf(why, whylen, "sandbox: seccomp: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static int export_pfc(const char *const *extra, int fd)
{
	int rc = 0;
	scmp_filter_ctx ctx = build_filter(extra, &rc);
	if (ctx == NULL)
		return rc;
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc;
}

int sandbox_filter_export_pfc(int fd)
{
	return export_pfc(NULL, fd);
}

int sandbox_profile_export_pfc(enum sandbox_profile profile, int fd)
{
	return export_pfc(sandbox_profile_syscalls(profile), fd);
}

/* The common order of both entries; `cpu` 0 means no RLIMIT_CPU, `nofile` is the descriptor
 * limit after entry (0: no new descriptors at all). */
static int enter(const int *keep_fds, size_t nkeep, uint64_t as_bytes, unsigned cpu,
                 unsigned nofile, const char *const *extra, char *why, size_t whylen);

int sandbox_enter(const int *keep_fds, size_t nkeep, const struct sandbox_limits *lim,
                  char *why, size_t whylen)
{
	return enter(keep_fds, nkeep, lim->address_space_bytes, lim->cpu_seconds, 0, NULL, why,
	             whylen);
}

int sandbox_enter_profile(enum sandbox_profile profile, const int *keep_fds, size_t nkeep,
                          char *why, size_t whylen)
{
	uint64_t as = profile == SANDBOX_WORKER || profile == SANDBOX_NET ||
	                      profile == SANDBOX_FORWARD
	                  ? 1024ull << 20
	                  : 512ull << 20;
	/* The listener holds one descriptor per client connection, the forwarder three per
	 * destination. */
	unsigned nofile = profile == SANDBOX_WORKER                                ? 0
	                 : profile == SANDBOX_NET || profile == SANDBOX_FORWARD ? 256
	                                                                        : 64;
	return enter(keep_fds, nkeep, as, 0, nofile, sandbox_profile_syscalls(profile), why,
	             whylen);
}

static int int_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* glibc's qsort asks the kernel how much memory the machine has (sysinfo, through
 * sysconf(_SC_PHYS_PAGES)) the first time it sorts more than 1 KiB, and keeps the answer. A
 * sort that size inside the sandbox (a report with a thousand removals) was killed as a
 * forbidden system call; one sort here, before the filter is loaded, takes the answer first. */
static void prime_qsort(void)
{
	int v[512];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		v[i] = (int)(sizeof(v) / sizeof(v[0]) - i);
	qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), int_order);
}

static int enter(const int *keep_fds, size_t nkeep, uint64_t as_bytes, unsigned cpu,
                 unsigned nofile, const char *const *extra, char *why, size_t whylen)
{
	prime_qsort();
	/* A second wall where the kernel allows it: no network, a private mount table. Unprivileged
	 * user namespaces may be disabled (containers, hardened kernels); seccomp does not depend
	 * on them. */
	/* Not for processes that create or write files: in a user namespace without a uid map,
	 * file creation fails. */
	if (extra != spool_write_syscalls && extra != spool_read_syscalls &&
	    extra != auditor_syscalls && extra != forward_syscalls && extra != relp_syscalls)
		(void)unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC);
	if (close_other_fds(keep_fds, nkeep) != 0)
		return fail(why, whylen, "close_range");
	if (chdir("/") != 0)
		return fail(why, whylen, "chdir");

	struct rlimit zero = { 0, 0 };
	struct rlimit files = { nofile, nofile };
	struct rlimit cpu_limit = { cpu, cpu + 1 };
	if (setrlimit(RLIMIT_CORE, &zero) != 0)
		return fail(why, whylen, "setrlimit(CORE)");
	/* Only the per-report CLI filter gets RLIMIT_FSIZE 0: a daemon process logs to stderr,
	 * which may be a regular file (a log file, or `sluiced -f 2>file`), and a file size limit
	 * of 0 would kill it with SIGXFSZ on its first log line. They cannot open files anyway. */
	if (extra == NULL && setrlimit(RLIMIT_FSIZE, &zero) != 0)
		return fail(why, whylen, "setrlimit(FSIZE)");
	if (setrlimit(RLIMIT_NOFILE, &files) != 0)
		return fail(why, whylen, "setrlimit(NOFILE)");
	if (cpu > 0 && setrlimit(RLIMIT_CPU, &cpu_limit) != 0)
		return fail(why, whylen, "setrlimit(CPU)");
#ifndef SLUICE_SANITIZED
	struct rlimit as = { as_bytes, as_bytes };
	if (as_bytes > 0 && setrlimit(RLIMIT_AS, &as) != 0)
		return fail(why, whylen, "setrlimit(AS)");
#else
	(void)as_bytes; /* the sanitizers reserve terabytes of shadow memory */
#endif
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_DUMPABLE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS)");
	return load_seccomp(extra, why, whylen);
}
