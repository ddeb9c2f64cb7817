/*
 * sluiced: the gateway daemon's processes and the messages between them.
 *
 *                          supervisor (sluiced_main.c)
 *        forks and restarts; holds no key, no audit log, parses no report
 *     ┌────────────┬────────────┬──────────┬───────────┬───────────┬─────────┐
 *   intake ─SUBMIT─► router ─FILTER_REQUEST─► worker×N                        │
 *  (proc_intake)  (proc_router) ◄─FILTER_RESULT─ (proc_worker)                │
 *   tls ──SUBMIT──►   │  (proc_tls: mutual-TLS clients, HTTP; a second intake)
 *                   │  │  │                                                   │
 *                   │  │  └─SIGN_RECORD──► signer (proc_signer) ◄─SIGN_CHECKPOINT─┐
 *                   │  │    SIGN_BINDING─►                                        │
 *                   │  └────AUDIT_APPEND─► auditor (proc_auditor) ────────────────┘
 *                   └───────DELIVER──────► delivery (proc_delivery)
 *
 * | process  | hostile data             | holds                    | may open            |
 * |----------|--------------------------|--------------------------|---------------------|
 * | intake   | spool file names         | spool inbox              | inbox files (read)  |
 * | router   | answers of the others    | policy (no key, no log)  | nothing             |
 * | worker   | report bytes             | policy, patterns, XSD    | nothing             |
 * | signer   | records, checkpoints,    | the signing key, the     | nothing (keys read  |
 * |          | SignedInfo of bindings   | binding key              | before its sandbox) |
 * | auditor  | records                  | the audit log            | nothing (log opened |
 * |          |                          |                          | before its sandbox) |
 * | delivery | names, released bytes    | spool outbox/refused/... | spool folders       |
 * | tls      | TLS, HTTP, client certs  | TLS server key           | nothing (listening  |
 * |          | (report bytes pass on)   |                          | socket inherited)   |
 * | forward  | destinations' answers,   | TLS client keys, broker  | spool folders;      |
 * |          | brokers' frames          | credentials, outbox      |                     |
 * |          |                          |                          | connects out        |
 * | relp     | the collector's frames,  | TLS client key, the      | audit-relp/ in the  |
 * |          | the audit log's lines    | audit log (read-only)    | spool; connects out |
 *
 * Every body is parsed with the bounded buffer API; strings are u32 length + bytes.
 */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "policy.h"
#include "sluice_error.h"
#include "redact.h"
#include "forward_amqp.h"
#include "tls_context.h"

struct syslog_destination; /* gateway/syslog_export.h */

/* A destination released reports are forwarded to (config `forward:`), made ready by the
 * supervisor: its TLS client material in memory and its host resolved, so that the forwarder
 * opens no file and reads no /etc/resolv.conf inside its sandbox. */
struct forward_target {
	const struct sluiced_forward *cfg; /* domain, url, host, port, target */
	struct tls_material tls;           /* client certificate and key; client_ca: server CA */
	struct sockaddr_storage addr[FORWARD_MAX_ADDRS];
	socklen_t addrlen[FORWARD_MAX_ADDRS];
	size_t naddr;
};

enum daemon_msg {
	MSG_FAIL = 1,            /* any reply: str message */
	MSG_SUBMIT,              /* intake→router: str source, str destination, str name,
	                            str input_sha256, u32 flags, str report */
	MSG_SUBMIT_DONE,         /* router→intake: u32 status (0 durable), str decision,
	                            str transfer_id, str rule, str receipt */
	MSG_FILTER_REQUEST,      /* router→worker: u32 flow index, str destination,
	                            str binding placeholder (S4778_PLACEHOLDER_LEN hex, or empty
	                            when the flow has no signed binding), str report */
	MSG_FILTER_RESULT,       /* worker→router: gateway/filter_ipc.h */
	MSG_SIGN_RECORD,         /* router→signer: canonical record JSON */
	MSG_RECEIPT,             /* signer→router: receipt text */
	MSG_SIGN_CHECKPOINT,     /* auditor→signer: canonical checkpoint JSON, unsigned */
	MSG_SIGNATURE,           /* signer→auditor: 64 bytes */
	MSG_AUDIT_APPEND,        /* router→auditor: canonical record JSON */
	MSG_AUDIT_DONE,          /* auditor→router: u32 (0 appended, 1 already in the log),
	                            u64 the record's leaf index in the log's Merkle tree */
	MSG_DELIVER,             /* router→delivery: str transfer_id, u32 kind, str source,
	                            str destination, str name, str input_sha256, u32 from_inbox,
	                            str data, str receipt, str reason */
	MSG_DELIVERED,           /* delivery→router: u32 (0 delivered, 1 duplicate) */
	MSG_NEW_PEER,            /* supervisor→signer/auditor/router: a socket rides along;
	                            u32 role of the peer (router: and u32 worker slot) */
	MSG_KEY_ID,              /* signer→supervisor, once: str the signing key's id (64 hex),
	                            u32 binding algorithm (enum s4778_sig_alg, 0: no binding key),
	                            str the binding certificate (DER, empty when none); or MSG_FAIL
	                            when a key cannot be used */
	MSG_SIGN_BINDING,        /* router→signer: the canonical SignedInfo of an ADatP-4778
	                            binding (binding_signed_info_ok) */
	MSG_BINDING_SIGNATURE,   /* signer→router: the base64 SignatureValue */
};

#define SUBMIT_OVERSIZE 1u   /* the report was over max-bytes and is not in the message */
#define SUBMIT_FROM_INBOX 2u /* the report is a spool inbox file */

/* Largest body any daemon message may have: a report at the 1 GiB policy maximum would not
 * fit, but reports over 64 MiB are refused by intake before they travel. */
#define DAEMON_MSG_MAX (80u * 1024 * 1024)
#define DAEMON_REPORT_MAX (64u * 1024 * 1024)

enum daemon_role {
	ROLE_SUPERVISOR, ROLE_INTAKE, ROLE_ROUTER, ROLE_WORKER, ROLE_SIGNER, ROLE_AUDITOR,
	ROLE_DELIVERY,
};

/* What the children inherit from the supervisor (read-only after fork). */
struct daemon_ctx {
	const struct sluiced_config *cfg;
	struct policy *policy;
	struct redactor **redactors; /* one per flow */
	void *schema;
	unsigned uid, gid;           /* to run as; only used when started as root */
	int run_as_other;            /* 1 when privileges must be dropped to uid/gid */
	char key_id[65];             /* of the signing key, for the auditor's checkpoints */
	/* The ADatP-4778 binding certificate (public, DER) and its algorithm (enum
	 * s4778_sig_alg), as the signer read them with its key: the workers put them in the
	 * bindings they build. NULL and 0 when the configuration names no binding key. */
	const uint8_t *binding_cert;
	size_t binding_cert_len;
	int binding_alg;
	const struct tls_material *tls; /* the listener's certificates and key; NULL: none */
	const struct forward_target *forwards; /* one per `forward:` entry */
	size_t nforwards;
	const struct amqp_target *amqp_targets; /* one per `rabbitmq:` entry */
	size_t namqp_targets;
	const struct syslog_destination *audit_syslog; /* resolved `audit-syslog`; NULL: none */
	/* `audit-relp`, made ready like a forward destination (cfg->url is "relp://HOST:PORT");
	 * NULL: none. */
	const struct forward_target *audit_relp;
};

/* Each process's entry; none returns. Sockets are the process's peers, in the order named. */
void intake_main(const struct daemon_ctx *d, int router) __attribute__((noreturn));
/* `tls` is the TLS listener's socket, -1 when there is none: a second intake. */
void router_main(const struct daemon_ctx *d, int intake, int tls, int signer, int auditor,
                 int delivery, const int *workers, unsigned nworkers, int ctl)
	__attribute__((noreturn));
/* Sends released reports of outbox/<domain>/ to the `forward:` and `rabbitmq:` destinations. */
void forward_main(const struct daemon_ctx *d) __attribute__((noreturn));
/* Forwards the audit log's transfer records over RELP (gateway/proc_relp.c); `log` is the
 * audit log opened read-only by the supervisor; `restarted` when the supervisor starts it
 * again after it died (it waits 1 s first). */
void relp_main(const struct daemon_ctx *d, int log, bool restarted) __attribute__((noreturn));
/* `listen_fd` is the non-blocking listening socket the supervisor bound. */
void tls_main(const struct daemon_ctx *d, int listen_fd, int router) __attribute__((noreturn));
void worker_main(const struct daemon_ctx *d, int router) __attribute__((noreturn));
void signer_main(const struct daemon_ctx *d, int ctl, int auditor) __attribute__((noreturn));
void auditor_main(const struct daemon_ctx *d, int ctl, int signer) __attribute__((noreturn));
void delivery_main(const struct daemon_ctx *d, int router) __attribute__((noreturn));

/* Makes OpenSSL and libc do their file-opening first-use work now (called by
 * daemon_drop_privileges, which every process calls before its sandbox). */
void daemon_prime_libraries(void);
/* Drops to the configured user (when started as root) and checks it stuck; fatal otherwise. */
void daemon_drop_privileges(const struct daemon_ctx *d, const char *who);
/* Logs one line to stderr (and syslog in the supervisor, when daemon_use_syslog is set);
 * fatal exits the process with status 70. */
extern int daemon_use_syslog;
void daemon_log(int priority, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void daemon_fatal(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Storage alarms (docs/OPERATIONS.md): when the audit log (the auditor) or the spool
 * (delivery) cannot take a write, the process does not die and nothing crosses past it: it
 * logs "ALARM <storage> storage: <error> [<rule>]; transfers stopped (transfer ID waits,
 * attempt N, next in S s)" at LOG_ALERT and tries again after DAEMON_RETRY_FIRST_MS, doubling
 * the pause up to DAEMON_RETRY_MAX_MS; the first success logs "<storage> storage: ...
 * transfers resumed" at LOG_NOTICE. */
#define DAEMON_RETRY_FIRST_MS 500u
#define DAEMON_RETRY_MAX_MS 10000u
void daemon_storage_alarm(const char *who, const char *storage, const struct sluice_error *err,
                          const char *transfer_id, unsigned attempt, unsigned pause_ms);
void daemon_storage_resumed(const char *who, const char *storage, const char *transfer_id,
                            unsigned attempts, uint64_t waited_ms);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t daemon_now_ms(void);
/* The pause after `pause_ms`: doubled, at most DAEMON_RETRY_MAX_MS. */
unsigned daemon_retry_next(unsigned pause_ms);

#endif
