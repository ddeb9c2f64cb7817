/* What each process's sandbox stops, proven (issue 7, item 5; STYLE.md 6). For every process of
 * `sluice release` and `sluiced`, a child enters that process's sandbox exactly as the process
 * does (Landlock to the spool first for intake, delivery and the forwarder, then the seccomp
 * profile), then attempts one forbidden class of system call: opening a file by open() or by
 * openat(), opening the signing key, making a socket, connecting, executing a program, ptrace,
 * mount, fork, executable memory. The expected outcome of every cell is written down below
 * (killed by SIGSYS, refused with EACCES by Landlock, or allowed because it is that process's
 * job); the test fails on any cell that differs.
 *
 * It then prints the table, which docs/SECURITY.md carries verbatim: with SLUICE_SECURITY_MD set
 * (ctest sets it), the last test fails when that file does not contain this exact table.
 * `test_sandbox_proofs --table` prints only the table, to paste after a deliberate change. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter_child.h"
#include "sandbox.h"
#include "spool.h"
#include "tmpdir.h"

enum forbidden {
	TRY_OPEN,          /* open(2) itself, which no process has */
	TRY_OPENAT,        /* openat(2) of /etc/passwd, outside any folder a process holds */
	TRY_SIGNING_KEY,   /* openat(2) of the gateway's signing key file */
	TRY_SOCKET_OTHER,  /* socket(2) of a family that is not TCP: AF_UNIX, then AF_NETLINK */
	TRY_SOCKET_TCP,    /* socket(AF_INET, SOCK_STREAM) */
	TRY_CONNECT,       /* connect(2) to 127.0.0.1:9 */
	TRY_EXECVE,        /* execve(2) of /bin/true */
	TRY_PTRACE,        /* ptrace(PTRACE_TRACEME) */
	TRY_MOUNT,         /* mount(2) of a tmpfs (on a path that does not exist: harmless) */
	TRY_FORK,          /* fork(2) */
	TRY_EXEC_MEMORY,   /* mmap(2) of writable and executable memory */
	TRY_COUNT
};

static const char *const forbidden_name[TRY_COUNT] = {
	[TRY_OPEN] = "`open`",
	[TRY_OPENAT] = "`openat` outside its folders",
	[TRY_SIGNING_KEY] = "the signing-key file",
	[TRY_SOCKET_OTHER] = "`socket` (unix, netlink)",
	[TRY_SOCKET_TCP] = "`socket` (TCP)",
	[TRY_CONNECT] = "`connect`",
	[TRY_EXECVE] = "`execve`",
	[TRY_PTRACE] = "`ptrace`",
	[TRY_MOUNT] = "`mount`",
	[TRY_FORK] = "`fork`/`clone`",
	[TRY_EXEC_MEMORY] = "`PROT_EXEC` memory",
};

enum verdict {
	KILLED,     /* SIGSYS: seccomp's KILL_PROCESS (or the trap build's handler) */
	DENIED,     /* EACCES or EPERM: Landlock */
	ALLOWED,    /* the call reached the kernel: the process's job needs it */
	UNPROVEN,   /* this kernel cannot show it (no Landlock): skipped, named */
};

static const char *const verdict_cell[] = {
	[KILLED] = "killed", [DENIED] = "EACCES", [ALLOWED] = "allowed", [UNPROVEN] = "unproven",
};

/* Where a process is confined before seccomp: nowhere, or to the spool by Landlock. */
enum confinement { NO_LANDLOCK, LANDLOCK_INBOX_READ, LANDLOCK_SPOOL_WRITE };

struct process {
	const char *name;
	bool report_filter;          /* sandbox_enter (the CLI's filter child), not a profile */
	enum sandbox_profile profile; /* unused for the report filter */
	enum confinement landlock;
	enum verdict expected[TRY_COUNT];
	enum verdict observed[TRY_COUNT];
};

/* The expectations. Every process: open(2), execve, ptrace, mount, fork and executable memory
 * kill. Only the spool processes have openat, and Landlock refuses it outside the spool; only
 * the forwarder and sluiced-relp make TCP sockets and connect. */
#define K KILLED
#define D DENIED
#define A ALLOWED
/*                           open openat key sock tcp connect execve ptrace mount fork exec */
#define NO_FILES_NO_NET    { K,   K,     K,  K,   K,  K,      K,     K,     K,    K,   K }
#define SPOOL_NO_NET       { K,   D,     D,  K,   K,  K,      K,     K,     K,    K,   K }
#define SPOOL_AND_TCP      { K,   D,     D,  K,   A,  A,      K,     K,     K,    K,   K }

static struct process processes[] = {
	{ "filter child (`sluice release`)", true, SANDBOX_WORKER, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
	{ "worker", false, SANDBOX_WORKER, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
	{ "router", false, SANDBOX_IPC, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
	{ "signer", false, SANDBOX_IPC, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
	{ "auditor", false, SANDBOX_AUDITOR, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
	{ "intake", false, SANDBOX_SPOOL_READ, LANDLOCK_INBOX_READ, SPOOL_NO_NET, {0} },
	{ "delivery", false, SANDBOX_SPOOL_WRITE, LANDLOCK_SPOOL_WRITE, SPOOL_NO_NET, {0} },
	{ "forward", false, SANDBOX_FORWARD, LANDLOCK_SPOOL_WRITE, SPOOL_AND_TCP, {0} },
	{ "relp", false, SANDBOX_RELP, LANDLOCK_SPOOL_WRITE, SPOOL_AND_TCP, {0} },
	{ "tls", false, SANDBOX_NET, NO_LANDLOCK, NO_FILES_NO_NET, {0} },
};
#define PROCESS_COUNT (sizeof(processes) / sizeof(processes[0]))

/* Made once, before any child: a spool, and a signing key outside it. */
static char workdir[] = "/tmp/sluice-proofs.XXXXXX";
static char spool_root[sizeof(workdir) + 16];
static char signing_key[sizeof(workdir) + 16];

static bool have_landlock(void)
{
#ifdef SYS_landlock_create_ruleset
	return syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */) > 0;
#else
	return false;
#endif
}

static int loopback_connect(int fd)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(9);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* Child exit codes for an attempt that returned instead of killing. */
enum { RETURNED_OK = 0, RETURNED_EACCES = 10, RETURNED_EPERM = 11, RETURNED_OTHER = 12,
       SETUP_FAILED = 90 };

static int __attribute__((noreturn)) returned(long rc)
{
	if (rc >= 0)
		_exit(RETURNED_OK);
	_exit(errno == EACCES ? RETURNED_EACCES : errno == EPERM ? RETURNED_EPERM : RETURNED_OTHER);
}

/* In the sandboxed child: one attempt; never returns. `held` is a socket the process holds. */
static void __attribute__((noreturn)) attempt(enum forbidden what, int held)
{
	switch (what) {
	case TRY_OPEN:
#ifdef SYS_open
		returned(syscall(SYS_open, "/etc/passwd", O_RDONLY));
#else
		returned(syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY)); /* no open(2) here */
#endif
	case TRY_OPENAT:
		returned(syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY));
	case TRY_SIGNING_KEY:
		returned(syscall(SYS_openat, AT_FDCWD, signing_key, O_RDONLY));
	case TRY_SOCKET_OTHER:
		if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0)
			_exit(RETURNED_OK);
		returned(socket(AF_NETLINK, SOCK_RAW, 0));
	case TRY_SOCKET_TCP:
		returned(socket(AF_INET, SOCK_STREAM, 0));
	case TRY_CONNECT:
		/* On the unix socket every process holds, so that only connect itself is tried:
		 * where it is allowed, the kernel answers (the address family does not match). */
		returned(loopback_connect(held));
	case TRY_EXECVE: {
		char *argv[] = { "/bin/true", NULL };
		char *envp[] = { NULL };
		returned(execve("/bin/true", argv, envp));
	}
	case TRY_PTRACE:
		returned(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	case TRY_MOUNT:
		returned(mount("none", "/nonexistent-sluice-proof", "tmpfs", 0, NULL));
	case TRY_FORK: {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		returned(pid);
	}
	case TRY_EXEC_MEMORY: {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		returned(p == MAP_FAILED ? -1 : 0);
	}
	case TRY_COUNT:
		break;
	}
	_exit(SETUP_FAILED);
}

/* In the child: what the process does before its loop (gateway/proc_*.c), then the attempt. */
static void __attribute__((noreturn)) enter_and_attempt(const struct process *p,
                                                        enum forbidden what, int held)
{
	char why[256];
	struct spool s;
	struct sluice_error err;
	int keep[8] = { held };
	size_t nkeep = 1;

	if (p->landlock != NO_LANDLOCK) {
		if (spool_open(spool_root, &s, &err) != SLUICE_OK ||
		    spool_confine(&s, p->landlock == LANDLOCK_SPOOL_WRITE) != 1)
			_exit(SETUP_FAILED);
		int dirs[] = { s.root, s.inbox, s.outbox, s.refused, s.quarantine, s.state, s.tmp };
		for (size_t i = 0; i < 7; i++)
			keep[nkeep++] = dirs[i];
	}
	if (p->report_filter) {
		struct sandbox_limits lim = { FILTER_ADDRESS_SPACE, FILTER_CPU_SECONDS };
		if (sandbox_enter(keep, nkeep, &lim, why, sizeof(why)) != 0)
			_exit(SETUP_FAILED);
	} else if (sandbox_enter_profile(p->profile, keep, nkeep, why, sizeof(why)) != 0) {
		_exit(SETUP_FAILED);
	}
	attempt(what, held);
}

static enum verdict observe(const struct process *p, enum forbidden what)
{
	int sv[2];
	int status = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		enter_and_attempt(p, what, sv[1]);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(sv[0]);
#ifdef SLUICE_SECCOMP_TRAP
	if (WIFEXITED(status) && WEXITSTATUS(status) == 159) /* the trap handler's exit */
		return KILLED;
#endif
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return KILLED;
	if (!WIFEXITED(status))
		fail_msg("%s, %s: the child died of signal %d", p->name, forbidden_name[what],
		         WTERMSIG(status));
	switch (WEXITSTATUS(status)) {
	case RETURNED_EACCES:
	case RETURNED_EPERM:
		return DENIED;
	case RETURNED_OK:
	case RETURNED_OTHER:
		return ALLOWED;
	default:
		fail_msg("%s, %s: the child could not enter its sandbox (exit %d)", p->name,
		         forbidden_name[what], WEXITSTATUS(status));
	}
	return UNPROVEN; /* not reached: fail_msg does not return */
}

static void every_forbidden_class_is_stopped(void **state)
{
	struct process *p = *state;
	char mismatches[2048] = "";
	size_t used = 0;
	bool landlock = have_landlock();

	for (int what = 0; what < TRY_COUNT; what++) {
		if (p->expected[what] == DENIED && !landlock) {
			p->observed[what] = UNPROVEN;
			print_message("%s, %s: no Landlock in this kernel, not proven\n", p->name,
			              forbidden_name[what]);
			continue;
		}
		p->observed[what] = observe(p, (enum forbidden)what);
		if (p->observed[what] != p->expected[what] && used < sizeof(mismatches))
			used += (size_t)snprintf(mismatches + used, sizeof(mismatches) - used,
			                         "\n  %s: %s, expected %s", forbidden_name[what],
			                         verdict_cell[p->observed[what]],
			                         verdict_cell[p->expected[what]]);
	}
	if (used > 0)
		fail_msg("%s:%s", p->name, mismatches);
}

/* The table for docs/SECURITY.md: one row per forbidden class, one column per process. */
static size_t format_table(char *out, size_t size)
{
	size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, n < size ? size - n : 0, __VA_ARGS__))
	PUT("| Attempt |");
	for (size_t i = 0; i < PROCESS_COUNT; i++)
		PUT(" %s |", processes[i].name);
	PUT("\n|---|");
	for (size_t i = 0; i < PROCESS_COUNT; i++)
		PUT("---|");
	PUT("\n");
	for (int what = 0; what < TRY_COUNT; what++) {
		PUT("| %s |", forbidden_name[what]);
		for (size_t i = 0; i < PROCESS_COUNT; i++)
			PUT(" %s |", verdict_cell[processes[i].observed[what]]);
		PUT("\n");
	}
#undef PUT
	return n;
}

static void security_md_carries_this_table(void **state)
{
	(void)state;
	char table[8192];
	assert_true(format_table(table, sizeof(table)) < sizeof(table));
	printf("\n%s\n", table);
	for (size_t i = 0; i < PROCESS_COUNT; i++)
		for (int what = 0; what < TRY_COUNT; what++)
			if (processes[i].observed[what] == UNPROVEN)
				skip(); /* a kernel without Landlock prints another table */
	const char *md = getenv("SLUICE_SECURITY_MD");
	if (md == NULL)
		skip();
	FILE *f = fopen(md, "rb");
	if (f == NULL)
		fail_msg("cannot open %s: %s", md, strerror(errno));
	static char doc[256 * 1024];
	size_t len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = '\0';
	if (strstr(doc, table) == NULL)
		fail_msg("%s does not carry the table above: paste the output of "
		         "`build/tests/test_sandbox_proofs --table` into it", md);
}

static int make_workdir(void **state)
{
	(void)state;
	if (mkdtemp(workdir) == NULL)
		return -1;
	snprintf(spool_root, sizeof(spool_root), "%s/spool", workdir);
	snprintf(signing_key, sizeof(signing_key), "%s/gw.key", workdir);
	if (mkdir(spool_root, 0700) != 0)
		return -1;
	/* What the file holds does not matter: whether it can be opened does. */
	int fd = open(signing_key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	static const char pem[] = "-----BEGIN PRIVATE KEY-----\n(test)\n-----END PRIVATE KEY-----\n";
	ssize_t w = write(fd, pem, sizeof(pem) - 1);
	close(fd);
	return w == (ssize_t)sizeof(pem) - 1 ? 0 : -1;
}

static int remove_workdir(void **state)
{
	(void)state;
	return tmpdir_remove(workdir) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[PROCESS_COUNT + 1];
	for (size_t i = 0; i < PROCESS_COUNT; i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(every_forbidden_class_is_stopped,
		                                                &processes[i]);
		t.name = processes[i].name;
		tests[i] = t;
	}
	tests[PROCESS_COUNT] = (struct CMUnitTest)cmocka_unit_test(security_md_carries_this_table);
	if (argc == 2 && strcmp(argv[1], "--table") == 0) {
		/* Only the table: run the proofs quietly, print it, and exit with their outcome. */
		int table_out = dup(STDOUT_FILENO), errors_out = dup(STDERR_FILENO);
		unsetenv("SLUICE_SECURITY_MD");
		if (table_out < 0 || errors_out < 0 || freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			return 1;
		int rc = cmocka_run_group_tests(tests, make_workdir, remove_workdir);
		char table[8192];
		format_table(table, sizeof(table));
		dprintf(table_out, "%s", table);
		if (rc != 0)
			dprintf(errors_out, "test_sandbox_proofs: %d process(es) failed their proofs: "
			                    "run without --table for the details\n", rc);
		return rc;
	}
	return cmocka_run_group_tests(tests, make_workdir, remove_workdir);
}
