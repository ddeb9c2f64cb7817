/* systemd readiness notification (Type=notify): "READY=1", "RELOADING=1", "STOPPING=1".
 * Does nothing when the daemon is not started by systemd ($NOTIFY_SOCKET unset). */
#ifndef SLUICE_DAEMON_NOTIFY_H
#define SLUICE_DAEMON_NOTIFY_H

void daemon_notify(const char *state);

#endif
