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
#include "s4778_binding.h"
#include "sandbox.h"
#include "sbuf.h"

/* One request to the filter process (parent to child), on its pipe:
 *   u32 FILTER_REQUEST_MAGIC, u32 placeholder length (0 or S4778_PLACEHOLDER_LEN),
 *   u64 report length (at most the policy's max_bytes), the placeholder, the report.
 * One answer (child to parent): u64 length, then the filter_ipc message (filter_ipc.h).
 * The child answers one request before it reads the next. */
#define FILTER_REQUEST_MAGIC 0x534c5131u /* "SLQ1" */
#define REQUEST_HEADER 16
#define ANSWER_HEADER 8

struct filter_worker {
	pid_t pid; /* -1: no child */
	int to_child, from_child;
	unsigned served; /* reports this child answered */
	unsigned cpu_limit; /* its RLIMIT_CPU (soft), seconds */
	struct release_request req; /* what it was forked for (without the placeholder) */
};

static size_t max_output_bytes(const struct release_request *req)
{
	/* Redaction can lengthen text (replace-with) and markers replace portions: allow room. */
	uint64_t m = req->policy->limits.max_bytes * 8 + 1024 * 1024;
	return m > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)m;
}

static size_t max_answer_bytes(const struct release_request *req)
{
	return max_output_bytes(req) + 64 * 1024 * 1024;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* In the child: one request. 0 when answered, 1 at the parent's end of file (between
 * requests), and _exit on anything else. Nothing of the report outlives this call: the report,
 * the result and the message are wiped or freed before it returns. */
static int child_serve_one(int in_fd, int out_fd, const struct release_request *base)
{
	uint8_t hdr[REQUEST_HEADER];
	char placeholder[S4778_PLACEHOLDER_LEN + 1];
	struct release_request req = *base;
	struct release_result result;
	struct sbuf msg;

	ssize_t n;
	do
		n = read(in_fd, hdr, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n != 1 || fd_read_exact(in_fd, hdr + 1, sizeof(hdr) - 1) != 0)
		_exit(73);
	uint32_t plen = get_u32(hdr + 4);
	uint64_t len = get_u64(hdr + 8);
	if (get_u32(hdr) != FILTER_REQUEST_MAGIC || (plen != 0 && plen != S4778_PLACEHOLDER_LEN) ||
	    len > req.policy->limits.max_bytes || len > SIZE_MAX - 1)
		_exit(73);
	if (fd_read_exact(in_fd, placeholder, plen) != 0)
		_exit(73);
	placeholder[plen] = '\0';
	req.binding_placeholder = plen > 0 ? placeholder : NULL;
	uint8_t *report = xmalloc((size_t)len + 1);
	if (fd_read_exact(in_fd, report, (size_t)len) != 0)
		_exit(73);
	report[len] = '\0';
	release_filter(&req, report, (size_t)len, &result);
	explicit_bzero(report, (size_t)len);
	free(report);
	sbuf_init(&msg, max_answer_bytes(&req));
	uint8_t ahdr[ANSWER_HEADER];
	if (filter_ipc_encode(&result, &msg) != 0)
		_exit(72);
	put_u64(ahdr, msg.len);
	if (fd_write_all(out_fd, ahdr, sizeof(ahdr)) != 0 ||
	    fd_write_all(out_fd, msg.data, msg.len) != 0)
		_exit(72);
	if (msg.data != NULL)
		explicit_bzero(msg.data, msg.len);
	sbuf_free(&msg);
	release_result_free(&result);
	return 0;
}

/* In the child, after fork: never returns. */
static void __attribute__((noreturn))
child_main(int in_fd, int out_fd, const struct release_request *req, unsigned cpu_seconds)
{
	struct sandbox_limits lim = { FILTER_ADDRESS_SPACE, cpu_seconds };
	int keep[2] = { in_fd, out_fd };
	char why[256];

	if (sandbox_enter(keep, 2, &lim, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluice filter: %s\n", why);
		_exit(71);
	}
	/* From here on: no files, no network, no exec. */
	while (child_serve_one(in_fd, out_fd, req) == 0)
		;
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

static void fail_timeout(struct release_result *out)
{
	fail_result(out, RELEASE_INVALID, "filter.timeout",
	            "the filter took longer than %d s on this report", FILTER_WALL_SECONDS);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Waits for the child to end, at most until `deadline` (then kills it): its status, and
 * whether it had to be killed. */
static int reap(struct filter_worker *w, double deadline, bool *killed)
{
	int status = 0;
	*killed = false;
	for (;;) {
		pid_t r = waitpid(w->pid, &status, WNOHANG);
		if (r == w->pid || (r < 0 && errno != EINTR))
			break;
		if (r == 0 && now_seconds() >= deadline) {
			kill(w->pid, SIGKILL);
			*killed = true;
			while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (r == 0) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
	w->pid = -1;
	close_fd(&w->to_child);
	close_fd(&w->from_child);
	return status;
}

/* Ends the child now: an idle child, or one whose answer is not wanted. */
static void worker_kill(struct filter_worker *w)
{
	bool killed;
	if (w->pid > 0 && kill(w->pid, SIGKILL) == 0)
		(void)reap(w, 0, &killed);
	close_fd(&w->to_child);
	close_fd(&w->from_child);
	w->pid = -1;
}

/* The decision for a child that ended while it had a report (or failed to start on it). */
static void classify_death(int status, struct release_result *out)
{
	if (WIFSIGNALED(status)) {
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
	} else {
		fail_result(out, RELEASE_ERROR, "filter.exit",
		            "the filter exited with status %d",
		            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/* Starts a child for `req`: 0, or -1 with `out` decided "error". */
static int worker_spawn(struct filter_worker *w, const struct release_request *req,
                        unsigned cpu_seconds, filter_purge_fn purge, void *purge_arg,
                        struct release_result *out)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
		fail_result(out, RELEASE_ERROR, "filter.spawn", "pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fail_result(out, RELEASE_ERROR, "filter.spawn", "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		if (purge != NULL)
			purge(purge_arg);
		child_main(to_child[0], from_child[1], req, cpu_seconds);
	}
	close(to_child[0]);
	close(from_child[1]);
	w->pid = pid;
	w->to_child = to_child[1];
	w->from_child = from_child[0];
	w->served = 0;
	w->cpu_limit = cpu_seconds;
	w->req = *req;
	w->req.binding_placeholder = NULL;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&to_child[i]);
		close_fd(&from_child[i]);
	}
	return -1;
}

/* Reads one framed answer until `deadline`. 0 when whole; 1 at end of file (the child died);
 * 2 on timeout; 3 when larger than `max`. */
static int read_answer(int fd, double deadline, size_t max, struct sbuf *answer)
{
	uint8_t buf[65536];
	uint64_t want = ANSWER_HEADER;
	bool have_length = false;
	for (;;) {
		if (!have_length && answer->len >= ANSWER_HEADER) {
			uint64_t n = get_u64(answer->data);
			if (n > max)
				return 3;
			want = ANSWER_HEADER + n;
			have_length = true;
		}
		if (have_length && answer->len >= want)
			return answer->len == want ? 0 : 3; /* more than one answer: nonsense */
		double left = deadline - now_seconds();
		if (left <= 0)
			return 2;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue; /* the deadline is checked above */
		if (pr < 0)
			return 1;
		/* Never read past this answer: the next bytes belong to nobody. */
		size_t room = have_length ? (size_t)(want - answer->len) : ANSWER_HEADER - answer->len;
		ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		if (sbuf_put(answer, buf, (size_t)n) != 0)
			return 3;
	}
}

/* CPU seconds (user + system) the child has used so far, from /proc; a large number when it
 * cannot be read (so that the child is retired). */
static double child_cpu_seconds(pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 1e9;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	const char *p = strrchr(line, ')'); /* the name may hold anything but ends before */
	unsigned long long utime, stime;
	long tck = sysconf(_SC_CLK_TCK);
	/* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
	 * stime */
	if (p == NULL || tck <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	           &stime) != 2)
		return 1e9;
	return (double)(utime + stime) / (double)tck;
}

static bool same_request(const struct release_request *a, const struct release_request *b)
{
	return a->policy == b->policy && a->flow == b->flow && a->destination == b->destination &&
	       a->redactor == b->redactor && a->schema == b->schema && a->explain == b->explain &&
	       a->binding_cert == b->binding_cert && a->binding_cert_len == b->binding_cert_len &&
	       a->binding_alg == b->binding_alg;
}

static void worker_run(struct filter_worker *w, const struct release_request *req,
                       const uint8_t *report, size_t len, unsigned cpu_seconds,
                       filter_purge_fn purge, void *purge_arg, struct release_result *out)
{
	size_t max_answer = max_answer_bytes(req);
	struct sbuf answer;

	release_result_init(out);
	if (len > req->policy->limits.max_bytes) {
		/* What the filter itself says of such a report, without starting it. */
		fail_result(out, RELEASE_INVALID, "limits.max-bytes",
		            "larger than the limit of %zu bytes", (size_t)req->policy->limits.max_bytes);
		snprintf(out->error.file, sizeof(out->error.file), "report");
		return;
	}
	int status;
	if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) != 0) {
		/* A child that ended while idle (killed from outside, say): that is not this
		 * report's doing. It gets a fresh child. */
		w->pid = -1;
		worker_kill(w);
	} else if (w->pid > 0 && !same_request(&w->req, req)) {
		worker_kill(w); /* forked for another flow */
	}
	if (w->pid <= 0 && worker_spawn(w, req, cpu_seconds, purge, purge_arg, out) != 0)
		return;

	uint8_t hdr[REQUEST_HEADER];
	const char *ph = req->binding_placeholder;
	size_t plen = ph != NULL ? strlen(ph) : 0;
	if (plen != 0 && plen != S4778_PLACEHOLDER_LEN) {
		fail_result(out, RELEASE_ERROR, "internal.placeholder",
		            "binding placeholder of %zu characters", plen);
		return;
	}
	put_u32(hdr, FILTER_REQUEST_MAGIC);
	put_u32(hdr + 4, (uint32_t)plen);
	put_u64(hdr + 8, len);
	/* The child reads the whole request before it answers, so writing it all first cannot
	 * deadlock; a child that dies early makes the write fail with EPIPE (ignored: the exit
	 * status tells). */
	struct sigaction ign, old;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	bool sent = fd_write_all(w->to_child, hdr, sizeof(hdr)) == 0 &&
	            fd_write_all(w->to_child, ph, plen) == 0 &&
	            fd_write_all(w->to_child, report, len) == 0;
	int send_errno = errno;
	sigaction(SIGPIPE, &old, NULL);
	if (!sent && send_errno != EPIPE) {
		/* The pipe itself failed (not the child): the child waits for bytes that will not
		 * come, so waiting for its answer would only run out the wall-clock limit. */
		worker_kill(w);
		fail_result(out, RELEASE_ERROR, "filter.io", "cannot pass the report to the filter: %s",
		            strerror(send_errno));
		return;
	}

	double deadline = now_seconds() + FILTER_WALL_SECONDS;
	sbuf_init(&answer, max_answer + ANSWER_HEADER);
	int r = read_answer(w->from_child, deadline, max_answer, &answer);
	bool killed;
	if (r == 2 || r == 3) {
		worker_kill(w);
		if (r == 2)
			fail_timeout(out);
		else
			fail_result(out, RELEASE_INVALID, "filter.oversize",
			            "the filter's answer exceeded %zu bytes", max_answer);
	} else if (r == 1) {
		status = reap(w, deadline, &killed);
		if (killed)
			fail_timeout(out);
		else
			classify_death(status, out);
	} else {
		struct sluice_error err;
		if (filter_ipc_decode(answer.data + ANSWER_HEADER, answer.len - ANSWER_HEADER,
		                      max_output_bytes(req), out, &err) != SLUICE_OK) {
			/* An answer that is not one: the child is not trusted with another report. */
			worker_kill(w);
			fail_result(out, RELEASE_ERROR, err.rule, "%s", err.message);
		} else if (++w->served >= FILTER_REUSE_REPORTS ||
		           child_cpu_seconds(w->pid) + FILTER_CPU_SECONDS > w->cpu_limit) {
			/* Retired before a report could find less than FILTER_CPU_SECONDS of its
			 * RLIMIT_CPU left (the limit counts the child's whole life). */
			worker_kill(w);
		}
	}
	if (answer.data != NULL) /* NULL when nothing came */
		explicit_bzero(answer.data, answer.len);
	sbuf_free(&answer);
}

struct filter_worker *filter_worker_new(void)
{
	struct filter_worker *w = xcalloc(1, sizeof(*w));
	w->pid = -1;
	w->to_child = w->from_child = -1;
	return w;
}

void filter_worker_free(struct filter_worker *w)
{
	if (w == NULL)
		return;
	worker_kill(w);
	free(w);
}

void filter_worker_run(struct filter_worker *w, const struct release_request *req,
                       const uint8_t *report, size_t len, filter_purge_fn purge, void *purge_arg,
                       struct release_result *out)
{
	worker_run(w, req, report, len, FILTER_CPU_SECONDS + FILTER_REUSE_CPU_SECONDS, purge,
	           purge_arg, out);
}

void filter_run(const struct release_request *req, const uint8_t *report, size_t len,
                filter_purge_fn purge, void *purge_arg, struct release_result *out)
{
	struct filter_worker w = { .pid = -1, .to_child = -1, .from_child = -1 };
	worker_run(&w, req, report, len, FILTER_CPU_SECONDS, purge, purge_arg, out);
	/* One report only: the child leaves at the end of its input, and must leave cleanly. */
	if (w.pid > 0) {
		bool killed;
		close_fd(&w.to_child);
		int status = reap(&w, now_seconds() + FILTER_WALL_SECONDS, &killed);
		if (killed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			release_result_free(out);
			release_result_init(out);
			if (killed)
				fail_timeout(out);
			else
				classify_death(status, out);
		}
	}
}
