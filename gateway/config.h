/*
 * The configuration of the gateway daemon `sluiced` (issue 3; docs/CONFIG.md for
 * administrators), and its strict loader.
 *
 * The file is YAML read with the same strictness as the policy (policy/yaml_strict.h, STYLE.md
 * 12): unknown keys, duplicate keys, aliases, tags, wrong types and missing required keys are
 * SLUICE_ERR_POLICY (exit 78) with file:line:column and a rule "config.*". `sluiced -t -c FILE`
 * prints that error and exits.
 *
 * SECURITY: the loader runs as root, before any privilege is dropped, on a file only root (or
 * the daemon's owner) may write: a configuration writable by group or others is refused
 * ("config.permissions"). It opens no file the configuration names: the daemon opens the
 * policy, the keys, the audit log and the spool itself, at start-up, and checks that every
 * domain named under `tls.clients` and `forward` is a domain of the policy. The loader checks
 * only the form of what is written: paths, the listen address, https URLs, the user name,
 * domain names.
 */
#ifndef SLUICE_GATEWAY_CONFIG_H
#define SLUICE_GATEWAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"

/* Bounds of the loader. */
#define SLUICED_CONFIG_MAX_BYTES (256u * 1024u) /* larger: "config.too-large" */
#define SLUICED_WORKERS_DEFAULT 2u
#define SLUICED_WORKERS_MAX 64u
#define SLUICED_CHECKPOINT_INTERVAL_DEFAULT 1000u
#define SLUICED_CHECKPOINT_INTERVAL_MAX 1000u
/* A signed tree head covers every record at most this long after it was logged. */
#define SLUICED_CHECKPOINT_SECONDS_DEFAULT 60u
#define SLUICED_CHECKPOINT_SECONDS_MAX 86400u

/* A client of the mutual-TLS listener whose certificate's subject CN is not its domain. */
struct sluiced_client {
	char *subject_cn; /* the certificate's subject common name, as written */
	char *domain;     /* the source domain its reports come from */
	unsigned line;    /* of the CN in the configuration file */
};

struct sluiced_tls {
	char *listen_host;  /* an IPv4 address, an IPv6 address (without brackets) or a host name */
	unsigned listen_port; /* 1..65535 */
	char *certificate;  /* paths resolved against the configuration file's folder */
	char *key;
	char *client_ca;
	char *crl;          /* NULL when none */
	struct sluiced_client *clients; /* in file order; NULL when none */
	size_t nclients;
	unsigned line;      /* of `tls:` in the configuration file */
};

/* Released reports for one destination domain are delivered over mutual TLS. */
struct sluiced_forward {
	char *domain;      /* the destination domain */
	char *url;         /* https://host[:port][/path], as written */
	char *host;        /* from the URL: a host name or an IP address (IPv6 without brackets) */
	unsigned port;     /* from the URL, 443 when it names none */
	char *target;      /* from the URL: the path and query sent in the request line */
	char *ca;          /* paths resolved against the configuration file's folder */
	char *certificate;
	char *key;
	unsigned line;     /* of the domain in the configuration file */
};

/* Released reports for one destination domain are published into its RabbitMQ broker
 * (gateway/forward_amqp.h): one exchange per destination domain, persistent messages,
 * publisher confirms. */
struct sluiced_rabbitmq {
	char *domain;      /* the destination domain */
	char *url;         /* amqp://host[:port][/vhost], as written */
	char *host;        /* from the URL: a host name or an IP address (IPv6 without brackets) */
	unsigned port;     /* from the URL, 5672 when it names none */
	char *vhost;       /* from the URL, percent-decoded; "/" when it names none */
	char *exchange;    /* default "sluice.<domain>" */
	char *credentials; /* path of a file "USER:PASSWORD", resolved like every path */
	unsigned line;     /* of the domain in the configuration file */
};

/* audit-syslog: where the auditor sends an RFC 5424 copy of every record it appends
 * (gateway/syslog_export.h), best effort. */
struct sluiced_syslog {
	char *target;        /* as written: udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH */
	int transport;       /* enum syslog_transport: SYSLOG_UDP, SYSLOG_TCP, SYSLOG_UNIX */
	char *host;          /* udp and tcp: an IP address (IPv6 without brackets) or host name */
	unsigned port;       /* udp and tcp: 1..65535 */
	char *path;          /* unix: an absolute socket path */
	unsigned facility;   /* 0..23, default 16 (local0) */
	unsigned line;       /* of `audit-syslog:` in the configuration file */
};

/* audit-relp: where sluiced-relp forwards every transfer record of the audit log, over RELP
 * with mutual TLS, at least once (gateway/proc_relp.c). */
struct sluiced_relp {
	char *host;          /* an IP address (IPv6 without brackets) or a host name */
	unsigned port;       /* 1..65535 */
	char *ca;            /* paths resolved against the configuration file's folder: the CA */
	char *certificate;   /* of the collector's certificate, and the client certificate and */
	char *key;           /* key sluiced-relp presents */
	char *target;        /* "relp://HOST:PORT", for messages */
	unsigned line;       /* of `audit-relp:` in the configuration file */
};

struct sluiced_config {
	char *path;            /* as given */
	char *policy;          /* paths resolved against the config file's folder */
	char *signing_key;
	char *binding_key;     /* with binding_cert: the ADatP-4778 binding key and its X.509
	                          certificate (gateway/binding_sign.h), for flows with
	                          `binding: signed-4778`; both NULL when none */
	char *binding_cert;
	unsigned binding_line; /* of the first of the two keys in the file, 0 when none */
	char *audit_log;
	char *spool;           /* root of inbox/, outbox/, refused/, quarantine/, state/ */
	char *user;            /* NULL: stay as the starting user (refused later if that is root) */
	unsigned workers;      /* filter workers, 1..64, default 2 */
	unsigned checkpoint_interval; /* audit checkpoints every N records, 1..1000, default 1000 */
	unsigned checkpoint_seconds;  /* and at most this long after a record, 1..86400, default 60 */
	char *policy_admins;   /* with policy_signatures: `policy` is a signed bundle (two-person
	                          rule, gateway/policy_bundle.h) checked against these keys; NULL */
	unsigned policy_signatures; /* distinct administrators required, 1..32; 0 when no admins */
	unsigned policy_admins_line;
	struct sluiced_tls *tls;      /* NULL when no listener */
	struct sluiced_forward *forwards; /* in file order; NULL when none */
	size_t nforwards;
	struct sluiced_rabbitmq *rabbitmqs; /* in file order; NULL when none */
	size_t nrabbitmqs;
	struct sluiced_syslog *audit_syslog; /* NULL when records are not copied to syslog */
	struct sluiced_relp *audit_relp;     /* NULL when records are not forwarded over RELP */
};

/* Loads and checks the configuration file at `path`; on success *out is a new configuration
 * (sluiced_config_free). Relative paths in it resolve against the file's folder, made absolute
 * with the current folder when `path` is relative (the daemon changes folder later). The file
 * must be a regular file not writable by group or others ("config.permissions"), readable
 * ("config.read") and at most SLUICED_CONFIG_MAX_BYTES ("config.too-large"). Every error is
 * SLUICE_ERR_POLICY (exit 78) with a rule "config.*" and file:line:column in `err`. */
enum sluice_rc sluiced_config_load(const char *path, struct sluiced_config **out,
                                   struct sluice_error *err) SLUICE_MUST_CHECK;

/* Parses a configuration from `len` bytes of memory (the fuzz target's entry, and
 * sluiced_config_load's second half). `name` is the file named in errors and stored as `path`;
 * relative paths resolve against `base_dir` (kept as written when it is NULL). Same errors as
 * sluiced_config_load, without the file checks. */
enum sluice_rc sluiced_config_load_buffer(const char *name, const uint8_t *data, size_t len,
                                          const char *base_dir, struct sluiced_config **out,
                                          struct sluice_error *err) SLUICE_MUST_CHECK;

/* Frees everything the configuration owns; NULL is fine. */
void sluiced_config_free(struct sluiced_config *c);

#endif
