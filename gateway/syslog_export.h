/*
 * Audit records as RFC 5424 syslog messages, for the SIEM that oversight already uses (issue 6,
 * item 6): the formatter (shared by `sluice audit export --syslog` and the daemon's auditor)
 * and the auditor's best-effort sender. The signed audit log remains the authority: a SIEM
 * copy is a convenience for searching, not evidence (docs/OVERSIGHT.md).
 *
 * A message, on one line:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME sluiced PROCID DECISION [sluice@32473 transfer_id="…" seq="…"
 *   from="…" to="…" decision="…" policy_id="…" policy_version="…" policy_sha256="…"
 *   policy_bundle_sha256="…" input_sha256="…" output_sha256="…" rule="…" redactions="N"
 *   withheld="N"] FROM -> TO DECISION RULE
 *
 * PRI is facility * 8 + severity, the severity from the decision (released info, refused
 * notice, invalid warning, error err; a decision the gateway never writes: warning).
 * TIMESTAMP is the record's time, MSGID its decision ("-" for an unknown one). 32473 is the
 * private enterprise number RFC 5612 reserves for documentation: a deployment that has its own
 * number may change SYSLOG_SLUICE_PEN. Parameters the record lacks are left out.
 *
 * SECURITY: the record is hostile (the export reads logs from anywhere). Values are escaped as
 * RFC 5424 section 6.3.3 says ('"', '\' and ']' get a backslash), control characters (C0, DEL,
 * C1) become '?', so that a message is always one line, and each value is cut after
 * SYSLOG_VALUE_MAX bytes on a UTF-8 boundary. The free-text MSG is printable ASCII only
 * (MSG-ANY, no BOM needed). Parameter names and the SD-ID are fixed here.
 */
#ifndef SLUICE_SYSLOG_EXPORT_H
#define SLUICE_SYSLOG_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <jansson.h>

#include "sluice_error.h"

#define SYSLOG_SLUICE_PEN 32473   /* RFC 5612: for documentation; see above */
#define SYSLOG_VALUE_MAX 256      /* bytes of one parameter value */
#define SYSLOG_FACILITY_DEFAULT 16 /* local0 */

/* Who sends: the header fields that do not come from the record. */
struct syslog_origin {
	unsigned facility;    /* 0..23 */
	const char *hostname; /* NULL or not 1..255 printable ASCII: "-" */
	const char *procid;   /* NULL: "-" */
};

/* The message of one transfer record (the "record" object of a transfer line), as a new
 * string without framing or newline. `seq` is the log line's number, 0 when unknown (it is
 * then left out). */
char *syslog_format_record(const json_t *record, size_t seq, const struct syslog_origin *origin);

/* The facility code of a name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
 * authpriv, ftp, ntp, security, console, local0..local7), -1 for another. */
int syslog_facility_code(const char *name);

/* The severity of a decision (RFC 5424 table 2). */
int syslog_severity_of(const char *decision);

/* ---- the daemon's sender ---- */

enum syslog_transport { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_UNIX };

/* Where to send, resolved by the supervisor before any sandbox (config `audit-syslog`). */
struct syslog_destination {
	enum syslog_transport transport;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned facility;
	const char *target; /* as configured, for log lines */
};

struct sluiced_syslog;

/* Resolves the configured target (its host with getaddrinfo): SLUICE_ERR_POLICY
 * ("config.audit-syslog") with the configuration's file and line when it cannot be. */
enum sluice_rc syslog_destination_resolve(const struct sluiced_syslog *cfg, const char *config_path,
                                          struct syslog_destination *out,
                                          struct sluice_error *err) SLUICE_MUST_CHECK;

struct syslog_sink;

/* Makes the socket (non-blocking; for TCP, a connection is started, not waited for) before
 * the auditor's sandbox. SLUICE_ERR_IO when no socket can be made; a collector that is down is
 * not an error here. */
enum sluice_rc syslog_sink_open(const struct syslog_destination *dest, const char *hostname,
                                struct syslog_sink **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

int syslog_sink_fd(const struct syslog_sink *sink);

/* Sends the message of `record` (already durably appended to the log), best effort: it never
 * blocks and never fails the caller. A message that cannot be sent is dropped and counted; the
 * first drop after a success, and the recovery, are logged. TCP uses octet counting (RFC 6587)
 * and keeps what the socket did not take for the next call; a broken TCP connection is not
 * remade (the auditor may not create sockets): every later message is dropped and counted. */
void syslog_sink_send(struct syslog_sink *sink, const json_t *record);

/* Logs how many messages were sent and dropped, closes and frees. NULL is fine. */
void syslog_sink_close(struct syslog_sink *sink);

#endif
