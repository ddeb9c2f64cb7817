/* What every daemon process shares: logging and the privilege drop. */
#include <errno.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon.h"
#include "daemon_notify.h"

int daemon_use_syslog;

/* Sandboxed processes cannot reach /dev/log (no socket, no connect): they write one line to
 * stderr, which the supervisor's stderr shares and systemd sends to the journal. The
 * supervisor uses syslog as well when it runs in the background. When stderr is the journal
 * (systemd sets $JOURNAL_STREAM), each line starts with its priority as "<N>", which journald
 * takes as the line's priority and removes: `journalctl -p alert` then finds the alarms. */
void daemon_log(int priority, const char *who, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (daemon_use_syslog)
		syslog(priority, "%s: %s", who, msg);
	char line[1200];
	char level[8] = "";
	if (getenv("JOURNAL_STREAM") != NULL)
		snprintf(level, sizeof(level), "<%d>", priority & LOG_PRIMASK);
	int n = snprintf(line, sizeof(line), "%ssluiced[%ld] %s: %s\n", level, (long)getpid(), who,
	                 msg);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void daemon_fatal(const char *who, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	daemon_log(LOG_CRIT, who, "fatal: %s", msg);
	_exit(70);
}

void daemon_storage_alarm(const char *who, const char *storage, const struct sluice_error *err,
                          const char *transfer_id, unsigned attempt, unsigned pause_ms)
{
	daemon_log(LOG_ALERT, who, "ALARM %s storage: %s [%s]; transfers stopped (transfer %s "
	           "waits, attempt %u, next in %u.%u s)", storage, err->message, err->rule,
	           transfer_id, attempt, pause_ms / 1000, pause_ms % 1000 / 100);
}

void daemon_storage_resumed(const char *who, const char *storage, const char *transfer_id,
                            unsigned attempts, uint64_t waited_ms)
{
	daemon_log(LOG_NOTICE, who, "%s storage: transfer %s went through after %u attempts in "
	           "%llu s; transfers resumed", storage, transfer_id, attempts,
	           (unsigned long long)((waited_ms + 500) / 1000));
}

uint64_t daemon_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned daemon_retry_next(unsigned pause_ms)
{
	return pause_ms >= DAEMON_RETRY_MAX_MS / 2 ? DAEMON_RETRY_MAX_MS : pause_ms * 2;
}

void daemon_prime_libraries(void)
{
	/* OpenSSL reads its configuration and seeds its generator on first use, and libc loads
	 * the time zone: all of that opens files, so it happens here, before any sandbox. */
	uint8_t b[16], md[EVP_MAX_MD_SIZE];
	(void)RAND_bytes(b, sizeof(b));
	(void)EVP_Digest(b, sizeof(b), md, NULL, EVP_sha256(), NULL);
	tzset();
}

void daemon_drop_privileges(const struct daemon_ctx *d, const char *who)
{
	daemon_prime_libraries();
	if (!d->run_as_other)
		return;
	gid_t gid = (gid_t)d->gid;
	uid_t uid = (uid_t)d->uid;
	if (geteuid() == uid && getuid() == uid && getegid() == gid)
		return; /* a process restarted by the already unprivileged supervisor */
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0)
		daemon_fatal(who, "cannot drop privileges to uid %u: %s", d->uid, strerror(errno));
	/* and they must stay dropped */
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
		daemon_fatal(who, "privileges could be regained after dropping them");
}

void daemon_notify(const char *state)
{
	/* The sd_notify protocol: one datagram to $NOTIFY_SOCKET (systemd's Type=notify). */
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		daemon_log(LOG_WARNING, "supervisor", "sd_notify: %s", strerror(errno));
	close(fd);
}
