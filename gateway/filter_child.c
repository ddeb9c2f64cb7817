#include "filter_child.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "filter_ipc.h"
#include "sandbox.h"
#include "sbuf.h"

static size_t max_output_bytes(const struct release_request *req)
{
	/* Redaction can lengthen text (replace-with) and markers replace portions: allow room. */
	uint64_t m = req->policy->limits.max_bytes * 8 + 1024 * 1024;
	return m > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)m;
}

/* In the child, after fork: never returns. */
static void __attribute__((noreturn))
child_main(int in_fd, int out_fd, const struct release_request *req)
{
	struct sandbox_limits lim = { FILTER_ADDRESS_SPACE, FILTER_CPU_SECONDS };
	int keep[2] = { in_fd, out_fd };
	char why[256];
	struct release_result result;
	struct sluice_error err;
	struct sbuf msg;
	uint8_t *report = NULL;
	size_t len = 0;

	if (sandbox_enter(keep, 2, &lim, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluice filter: %s\n", why);
		_exit(71);
	}
	/* From here on: no files, no network, no exec. */
	if (fd_read_bounded(in_fd, "report", req->policy->limits.max_bytes,
	                    SLUICE_ERR_INVALID_REPORT, &report, &len, &err) != SLUICE_OK) {
		release_result_init(&result);
		result.decision = err.rc == SLUICE_ERR_INVALID_REPORT ? RELEASE_INVALID : RELEASE_ERROR;
		result.error = err;
	} else {
		release_filter(req, report, len, &result);
	}
	sbuf_init(&msg, max_output_bytes(req) + 64 * 1024 * 1024);
	if (filter_ipc_encode(&result, &msg) != 0 || fd_write_all(out_fd, msg.data, msg.len) != 0)
		_exit(72);
	/* _exit: no atexit handlers, nothing flushed twice, no sanitizer leak scan that would
	 * need forbidden syscalls. */
	_exit(0);
}

static void fail_result(struct release_result *out, enum release_decision d, const char *rule,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail_result(struct release_result *out, enum release_decision d, const char *rule,
                        const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	release_result_free(out);
	release_result_init(out);
	out->decision = d;
	sluice_fail(&out->error, release_decision_rc(d), rule, "%s", msg);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void filter_run(const struct release_request *req, const uint8_t *report, size_t len,
                filter_purge_fn purge, void *purge_arg, struct release_result *out)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	pid_t pid = -1;
	struct sbuf answer;
	size_t max_answer = max_output_bytes(req) + 64 * 1024 * 1024;
	bool timed_out = false, too_big = false;

	release_result_init(out);
	sbuf_init(&answer, max_answer);
	if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
		fail_result(out, RELEASE_ERROR, "filter.spawn", "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail_result(out, RELEASE_ERROR, "filter.spawn", "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		if (purge != NULL)
			purge(purge_arg);
		child_main(to_child[0], from_child[1], req);
	}
	close(to_child[0]);
	to_child[0] = -1;
	close(from_child[1]);
	from_child[1] = -1;

	/* The child reads the whole report before it answers, so writing it all first cannot
	 * deadlock; a child that dies early makes the write fail with EPIPE (ignored: the exit
	 * status tells). */
	struct sigaction ign, old;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	(void)!fd_write_all(to_child[1], report, len);
	close(to_child[1]);
	to_child[1] = -1;
	sigaction(SIGPIPE, &old, NULL);

	double deadline = now_seconds() + FILTER_WALL_SECONDS;
	uint8_t buf[65536];
	for (;;) {
		double left = deadline - now_seconds();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd = { from_child[0], POLLIN, 0 };
		int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			timed_out = pr == 0;
			break;
		}
		ssize_t n = read(from_child[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (sbuf_put(&answer, buf, (size_t)n) != 0) {
			too_big = true;
			break;
		}
	}
	if (timed_out || too_big)
		kill(pid, SIGKILL);

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		fail_result(out, RELEASE_INVALID, "filter.timeout",
		            "the filter took longer than %d s on this report", FILTER_WALL_SECONDS);
	} else if (too_big) {
		fail_result(out, RELEASE_INVALID, "filter.oversize",
		            "the filter's answer exceeded %zu bytes", max_answer);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig == SIGSYS)
			fail_result(out, RELEASE_INVALID, "filter.seccomp",
			            "the filter attempted a forbidden system call while reading this "
			            "report and was killed");
		else if (sig == SIGXCPU || sig == SIGKILL)
			fail_result(out, RELEASE_INVALID, "filter.cpu-limit",
			            "the filter exceeded its CPU limit on this report");
		else
			fail_result(out, RELEASE_ERROR, "filter.crash",
			            "the filter died with signal %d (%s)", sig, strsignal(sig));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 70) {
		fail_result(out, RELEASE_INVALID, "filter.memory-limit",
		            "the filter ran out of memory (limit %llu MiB) on this report",
		            (unsigned long long)(FILTER_ADDRESS_SPACE >> 20));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail_result(out, RELEASE_ERROR, "filter.exit",
		            "the filter exited with status %d", WEXITSTATUS(status));
	} else {
		struct sluice_error err;
		if (filter_ipc_decode(answer.data, answer.len, max_output_bytes(req), out, &err) !=
		    SLUICE_OK)
			fail_result(out, RELEASE_ERROR, err.rule, "%s", err.message);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	sbuf_free(&answer);
}
