/* The filter sandbox really stops what it must (STYLE.md 6): a child that has entered it and
 * then tries to open a file, create a socket, execute a program or fork is killed by SIGSYS,
 * while reading and writing its pipes, allocating memory and exiting still work. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/mman.h>

#include "sandbox.h"

/* Asks for writable and executable memory, which the filter never needs. */
static void *mmap_exec_probe(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	            -1, 0);
}

enum attempt { ATTEMPT_NOTHING, ATTEMPT_OPEN, ATTEMPT_SOCKET, ATTEMPT_EXECVE, ATTEMPT_FORK,
               ATTEMPT_EXEC_MEMORY, ATTEMPT_CONNECT, ATTEMPT_BIND, ATTEMPT_SOCKET_UNIX,
               ATTEMPT_SOCKET_NETLINK };

/* connect() or bind() to loopback on a descriptor the process holds: the listener may
 * accept, but no process may reach out or listen anew. */
static int connect_or_bind(int fd, int bind_it)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(9);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return bind_it ? bind(fd, (struct sockaddr *)&a, sizeof(a))
	               : connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* In a sandboxed child: tries what it should not be allowed to do, then exits 0 (the
 * sandbox kills it first) or, for a TCP socket the forwarder may open, 0 only on success. */
static void __attribute__((noreturn)) attempt(enum attempt what, int fd)
{
	switch (what) {
	case ATTEMPT_NOTHING:
		break;
	case ATTEMPT_OPEN:
		(void)open("/etc/passwd", O_RDONLY);
		_exit(0);
	case ATTEMPT_SOCKET:
		_exit(socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 94);
	case ATTEMPT_EXECVE: {
		char *argv[] = { "/bin/true", NULL };
		char *envp[] = { NULL };
		execve("/bin/true", argv, envp);
		_exit(0);
	}
	case ATTEMPT_FORK:
		(void)fork();
		_exit(0);
	case ATTEMPT_EXEC_MEMORY:
		(void)mmap_exec_probe();
		_exit(0);
	case ATTEMPT_CONNECT:
	case ATTEMPT_BIND:
		(void)connect_or_bind(fd, what == ATTEMPT_BIND);
		_exit(0);
	case ATTEMPT_SOCKET_UNIX:
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(0);
	case ATTEMPT_SOCKET_NETLINK:
		(void)socket(AF_NETLINK, SOCK_RAW, 0);
		_exit(0);
	}
	_exit(93);
}

/* Runs `what` inside a fresh sandboxed child; returns its wait status. */
static int run_in_sandbox(enum attempt what)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_limits lim = { 256u * 1024 * 1024, 5 };
		char why[256];
		close(fds[0]);
		if (sandbox_enter(&fds[1], 1, &lim, why, sizeof(why)) != 0)
			_exit(90);
		switch (what) {
		case ATTEMPT_NOTHING: {
			char *p = malloc(10 * 1024 * 1024); /* large: mmap */
			if (p == NULL)
				_exit(91);
			memset(p, 1, 10 * 1024 * 1024);
			free(p);
			if (write(fds[1], "ok", 2) != 2)
				_exit(92);
			_exit(0);
		}
		default:
			attempt(what, fds[1]);
		}
		_exit(93);
	}
	close(fds[1]);
	char buf[4] = "";
	ssize_t n = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (what == ATTEMPT_NOTHING) {
		assert_int_equal(n, 2);
		assert_memory_equal(buf, "ok", 2);
	}
	return status;
}

static void assert_killed_by_seccomp(int status)
{
#ifdef SLUICE_SECCOMP_TRAP
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 159);
#else
	if (!WIFSIGNALED(status))
		fail_msg("child was not killed (exit status %d)", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
#endif
}

static void allowed_work_succeeds(void **state)
{
	(void)state;
	int status = run_in_sandbox(ATTEMPT_NOTHING);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void open_is_killed(void **state)
{
	(void)state;
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_OPEN));
}

static void socket_is_killed(void **state)
{
	(void)state;
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_SOCKET));
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_CONNECT));
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_BIND));
}

static void execve_is_killed(void **state)
{
	(void)state;
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_EXECVE));
}

static void fork_is_killed(void **state)
{
	(void)state;
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_FORK));
}

static void executable_memory_is_killed(void **state)
{
	(void)state;
	assert_killed_by_seccomp(run_in_sandbox(ATTEMPT_EXEC_MEMORY));
}

/* The daemon's profiles (gateway/sandbox.h): run `what` in a child that entered `profile`. */
static int run_in_profile(enum sandbox_profile profile, enum attempt what)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char why[256];
		close(sv[0]);
		if (sandbox_enter_profile(profile, &sv[1], 1, why, sizeof(why)) != 0)
			_exit(90);
		switch (what) {
		case ATTEMPT_NOTHING: {
			/* what every daemon process does: framed messages on its socket */
			char *p = malloc(4 * 1024 * 1024);
			if (p == NULL)
				_exit(91);
			memset(p, 2, 4 * 1024 * 1024);
			free(p);
			struct iovec iov = { "ok", 2 };
			struct msghdr mh;
			memset(&mh, 0, sizeof(mh));
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			if (sendmsg(sv[1], &mh, 0) != 2)
				_exit(92);
			_exit(0);
		}
		default:
			attempt(what, sv[1]);
		}
		_exit(93);
	}
	close(sv[1]);
	char buf[4] = "";
	ssize_t n = read(sv[0], buf, sizeof(buf));
	close(sv[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (what == ATTEMPT_NOTHING) {
		assert_int_equal(n, 2);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	return status;
}

static void daemon_profiles_allow_their_work_and_kill_the_rest(void **state)
{
	(void)state;
	static const enum sandbox_profile profiles[] = { SANDBOX_WORKER, SANDBOX_IPC,
		                                         SANDBOX_AUDITOR, SANDBOX_SPOOL_READ,
		                                         SANDBOX_SPOOL_WRITE, SANDBOX_NET };
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		enum sandbox_profile p = profiles[i];
		(void)run_in_profile(p, ATTEMPT_NOTHING);
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_SOCKET));
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_EXECVE));
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_FORK));
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_EXEC_MEMORY));
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_CONNECT));
		assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_BIND));
		/* The spool processes may open files below their folders (Landlock confines them
		 * to those, see test_spool); nobody else may open anything. */
		if (p != SANDBOX_SPOOL_READ && p != SANDBOX_SPOOL_WRITE)
			assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_OPEN));
	}
}

/* The forwarder and sluiced-relp may open TCP sockets (IPv4, IPv6) and connect, and nothing
 * else new. */
static void forward_profile_allows_tcp_only(void **state)
{
	(void)state;
	static const enum sandbox_profile tcp[] = { SANDBOX_FORWARD, SANDBOX_RELP };
	for (size_t i = 0; i < 2; i++) {
		int status = run_in_profile(tcp[i], ATTEMPT_SOCKET);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_SOCKET_UNIX));
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_SOCKET_NETLINK));
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_BIND));
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_EXECVE));
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_FORK));
		assert_killed_by_seccomp(run_in_profile(tcp[i], ATTEMPT_EXEC_MEMORY));
	}
	for (enum sandbox_profile p = SANDBOX_WORKER; p <= SANDBOX_NET; p++)
		if (p != SANDBOX_FORWARD && p != SANDBOX_RELP) {
			assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_SOCKET_UNIX));
			assert_killed_by_seccomp(run_in_profile(p, ATTEMPT_SOCKET_NETLINK));
		}
}

static void allow_list_is_short(void **state)
{
	(void)state;
	size_t n = 0;
	for (; sandbox_allowed_syscalls[n] != NULL; n++) {
		assert_string_not_equal(sandbox_allowed_syscalls[n], "open");
		assert_string_not_equal(sandbox_allowed_syscalls[n], "openat");
		assert_string_not_equal(sandbox_allowed_syscalls[n], "socket");
		assert_string_not_equal(sandbox_allowed_syscalls[n], "execve");
		assert_string_not_equal(sandbox_allowed_syscalls[n], "clone");
	}
	assert_true(n < 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_work_succeeds),
		cmocka_unit_test(open_is_killed),
		cmocka_unit_test(socket_is_killed),
		cmocka_unit_test(execve_is_killed),
		cmocka_unit_test(fork_is_killed),
		cmocka_unit_test(executable_memory_is_killed),
		cmocka_unit_test(daemon_profiles_allow_their_work_and_kill_the_rest),
		cmocka_unit_test(forward_profile_allows_tcp_only),
		cmocka_unit_test(allow_list_is_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
