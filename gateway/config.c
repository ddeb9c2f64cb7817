/*
 * The strict loader of the daemon's configuration (config.h, docs/CONFIG.md).
 *
 * SECURITY: runs on the trusted side before privileges are dropped, and parses the file as
 * untrusted text (it is fuzzed through sluiced_config_load_buffer). It opens only the
 * configuration file itself; every file the configuration names is opened later by the daemon.
 *
 * The YAML layer (policy/yaml_strict.h) builds a checked tree; this file walks it with one
 * table of {key, required, handler} per mapping (ymap_walk), in table order, so the first error
 * is the same whatever order the keys are written in. Rules: the YAML layer's "config.syntax",
 * "config.alias", "config.tag", "config.duplicate-key", "config.type", "config.depth",
 * "config.unknown-key", "config.missing-key", "config.read", "config.permissions",
 * "config.too-large"; and "config.value" for a value of the right type that is not allowed
 * (raised here and by the typed accessors).
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "syslog_export.h"
#include "yaml_strict.h"

#define CONFIG_FORMAT 1
#define USER_NAME_MAX 32   /* useradd's limit */
#define SUBJECT_CN_MAX 64  /* X.509 ub-common-name */
#define URL_MAX 2048
#define HOST_NAME_MAX_LEN 253
#define HOST_LABEL_MAX 63

struct config_loader {
	struct yaml_doc doc;  /* the file's name, rule prefix "config", the error */
	const char *base_dir; /* relative paths resolve against it; NULL: kept as written */
	struct sluiced_config *c;
};

/* A value of the right type that is not allowed, at its node. */
#define fail_value(C, node, ...) yaml_fail_node(&(C)->doc, (node), "config.value", __VA_ARGS__)

#define NRULES(rules) (sizeof(rules) / sizeof((rules)[0]))

/* ---------------------------------------------------------------------------------------- */
/* Syntax of values                                                                         */

/* A C0 control, DEL or a C1 control (U+0080..U+009F, 0xc2 0x80..0x9f in UTF-8). */
static bool has_control_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex_digit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A port: 1 to 5 digits without a leading zero, 1..65535. */
static bool parse_port(const char *s, size_t len, unsigned *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = v;
	return true;
}

/* A DNS host name: dot-separated labels of letters, digits and '-', each 1..63 characters and
 * not starting or ending with '-', at most 253 in all. */
static bool is_host_name(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > HOST_NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > HOST_LABEL_MAX || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
		if (label == 0 && s[i] == '-')
			return false;
		label++;
	}
	return true;
}

/* Parses "HOST[:PORT]" of `len` bytes: HOST is an IPv4 address, a host name, or an IPv6
 * address in brackets. *host (new string, without brackets) and *port (0 when absent) on
 * success; otherwise *why says what is wrong. */
static bool parse_host_port(const char *s, size_t len, bool port_required, char **host,
                            unsigned *port, const char **why)
{
	const char *h = s, *colon = NULL;
	size_t hlen;
	char buf[64];
	unsigned char addr[16];

	*host = NULL;
	*port = 0;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL) {
			*why = "an IPv6 address in brackets lacks its ']'";
			return false;
		}
		h = s + 1;
		hlen = (size_t)(close - h);
		if (hlen == 0 || hlen >= sizeof(buf)) {
			*why = "the IPv6 address is not valid";
			return false;
		}
		memcpy(buf, h, hlen);
		buf[hlen] = '\0';
		if (inet_pton(AF_INET6, buf, addr) != 1) {
			*why = "the IPv6 address is not valid";
			return false;
		}
		if (close + 1 < s + len) {
			if (close[1] != ':') {
				*why = "']' must be followed by ':' and the port";
				return false;
			}
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL) {
			*why = "an IPv6 address must be written in brackets, as in [::1]:8443";
			return false;
		}
		hlen = colon != NULL ? (size_t)(colon - s) : len;
		if (hlen == 0) {
			*why = "the host is missing";
			return false;
		}
		if (strspn(s, "0123456789.") >= hlen) {
			if (hlen >= sizeof(buf)) {
				*why = "the IPv4 address is not valid";
				return false;
			}
			memcpy(buf, s, hlen);
			buf[hlen] = '\0';
			if (inet_pton(AF_INET, buf, addr) != 1) {
				*why = "the IPv4 address is not valid";
				return false;
			}
		} else if (!is_host_name(s, hlen)) {
			*why = "the host is not an IP address or a host name";
			return false;
		}
	}
	if (colon == NULL) {
		if (port_required) {
			*why = "the port is missing";
			return false;
		}
	} else if (!parse_port(colon + 1, len - (size_t)(colon + 1 - s), port)) {
		*why = "the port must be a number from 1 to 65535";
		return false;
	}
	*host = xstrndup(h, hlen);
	return true;
}

/* After the authority of an https URL: a path and query of RFC 3986 characters (unreserved,
 * sub-delims, ':', '@', '/', '?', and %XX escapes). No fragment, no spaces. */
static bool is_url_path(const char *s, const char **why)
{
	static const char allowed[] = "-._~!$&'()*+,;=:@/?";

	if (s[0] != '\0' && s[0] != '/' && s[0] != '?') {
		*why = "the host must be followed by ':', '/' or '?'";
		return false;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (c == '#') {
			*why = "a URL fragment ('#') is not allowed";
			return false;
		}
		if (c == '%') {
			if (!is_hex_digit(s[i + 1]) || !is_hex_digit(s[i + 2])) {
				*why = "'%' must start an escape such as %2F";
				return false;
			}
			i += 2;
			continue;
		}
		if (!is_alnum(c) && strchr(allowed, c) == NULL) {
			*why = "the URL contains a character that must be escaped";
			return false;
		}
	}
	return true;
}

/* "https://HOST[:PORT][/PATH][?QUERY]". NULL when it is one (with *host, *port, 443 when
 * absent, and *target, the path and query, "/" when empty, as new strings), else what is
 * wrong. */
static const char *https_url_problem(const char *url, char **host, unsigned *port,
                                     char **target)
{
	static const char scheme[] = "https://";
	const char *authority, *end, *why = NULL;

	*host = *target = NULL;
	*port = 0;
	if (strlen(url) > URL_MAX)
		return "the URL is longer than 2048 characters";
	if (strncmp(url, "http://", 7) == 0)
		return "plain http is not allowed: reports leave the gateway only over mutual TLS";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return "the scheme must be https://";
	authority = url + sizeof(scheme) - 1;
	end = authority + strcspn(authority, "/?#");
	if (memchr(authority, '@', (size_t)(end - authority)) != NULL)
		return "user information ('user@') is not allowed";
	if (!parse_host_port(authority, (size_t)(end - authority), false, host, port, &why))
		return why;
	if (!is_url_path(end, &why)) {
		free(*host);
		*host = NULL;
		return why;
	}
	if (*port == 0)
		*port = 443;
	if (end[0] == '?') {
		size_t n = strlen(end) + 2;
		*target = xmalloc(n);
		snprintf(*target, n, "/%s", end);
	} else {
		*target = xstrdup(end[0] ? end : "/");
	}
	return NULL;
}

/* A user name: [a-z_][a-z0-9_-]*, at most USER_NAME_MAX characters. */
static bool is_user_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > USER_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Typed values of the configuration                                                        */

/* "'name'" of a key, for messages. Handlers only see the keys of their table: short names. */
struct key_what {
	char s[48];
};

static struct key_what key_what(const struct ynode *key)
{
	struct key_what w;
	snprintf(w.s, sizeof(w.s), "'%.40s'", key->value);
	return w;
}

/* A path: not empty, no control characters, resolved against the configuration's folder and
 * then at most PATH_MAX - 1 bytes. *out is a new string. The file is not opened. */
static enum sluice_rc get_path(struct config_loader *C, const struct ynode *n, const char *what,
                               char **out)
{
	const char *v;
	char *resolved;
	enum sluice_rc rc = ynode_nonempty_string(&C->doc, n, what, &v);

	if (rc != SLUICE_OK)
		return rc;
	if (has_control_chars(v))
		return fail_value(C, n, "%s must not contain control characters", what);
	resolved = path_join(C->base_dir, v);
	if (strlen(resolved) >= PATH_MAX) {
		free(resolved);
		return fail_value(C, n, "%s is longer than %d bytes once resolved", what,
		                  PATH_MAX - 1);
	}
	*out = resolved;
	return SLUICE_OK;
}

/* The path under `key` into *field (which is NULL: keys are unique). */
static enum sluice_rc key_path(struct config_loader *C, const struct ynode *key,
                               const struct ynode *value, char **field)
{
	return get_path(C, value, key_what(key).s, field);
}

static enum sluice_rc get_unsigned(struct config_loader *C, const struct ynode *key,
                                   const struct ynode *value, unsigned min, unsigned max,
                                   unsigned *field)
{
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&C->doc, value, key_what(key).s, min, max, &v);

	if (rc == SLUICE_OK)
		*field = (unsigned)v;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* tls                                                                                      */

static enum sluice_rc tls_listen(void *loader, const struct ynode *key, const struct ynode *value,
                                 void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_tls *tls = ctx;
	const char *v, *why = NULL;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'listen'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (!parse_host_port(v, strlen(v), true, &tls->listen_host, &tls->listen_port, &why))
		return fail_value(C, value,
		                  "'listen' must be host:port (IPv6 in brackets: \"[::1]:8443\"), "
		                  "found '%s': %s", yaml_show(v).s, why);
	return SLUICE_OK;
}

static enum sluice_rc tls_certificate(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct sluiced_tls *tls = ctx;
	return key_path(loader, key, value, &tls->certificate);
}

static enum sluice_rc tls_key(void *loader, const struct ynode *key, const struct ynode *value,
                              void *ctx)
{
	struct sluiced_tls *tls = ctx;
	return key_path(loader, key, value, &tls->key);
}

static enum sluice_rc tls_client_ca(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct sluiced_tls *tls = ctx;
	return key_path(loader, key, value, &tls->client_ca);
}

static enum sluice_rc tls_crl(void *loader, const struct ynode *key, const struct ynode *value,
                              void *ctx)
{
	struct sluiced_tls *tls = ctx;
	return key_path(loader, key, value, &tls->crl);
}

/* clients: {CN: domain, ...}. A client whose CN is not listed has its CN as domain name. */
static enum sluice_rc tls_clients(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_tls *tls = ctx;
	enum sluice_rc rc = ynode_need_mapping(&C->doc, value, "'clients'");

	(void)key;
	if (rc != SLUICE_OK || value->n == 0)
		return rc;
	tls->clients = xcalloc(value->n / 2, sizeof(*tls->clients));
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *cn_node = value->items[i], *domain_node = value->items[i + 1];
		struct sluiced_client *client = &tls->clients[tls->nclients++];
		const char *cn, *domain;
		char what[128];

		rc = ynode_nonempty_string(&C->doc, cn_node, "a client's subject CN", &cn);
		if (rc != SLUICE_OK)
			return rc;
		if (strlen(cn) > SUBJECT_CN_MAX || has_control_chars(cn))
			return fail_value(C, cn_node,
			                  "a client's subject CN has at most %d bytes and no control "
			                  "characters, found '%s'", SUBJECT_CN_MAX, yaml_show(cn).s);
		snprintf(what, sizeof(what), "the domain of client '%s'", yaml_show(cn).s);
		rc = ynode_name(&C->doc, domain_node, what, &domain);
		if (rc != SLUICE_OK)
			return rc;
		client->subject_cn = xstrdup(cn);
		client->domain = xstrdup(domain);
		client->line = cn_node->line;
	}
	return SLUICE_OK;
}

static const struct ymap_rule tls_rules[] = {
	{ "listen", true, tls_listen },
	{ "certificate", true, tls_certificate },
	{ "key", true, tls_key },
	{ "client-ca", true, tls_client_ca },
	{ "crl", false, tls_crl },
	{ "clients", false, tls_clients },
};

/* ---------------------------------------------------------------------------------------- */
/* forward                                                                                  */

/* A URL value checked by `problem` (https_url_problem, amqp_url_problem), which fills *host,
 * *port and *rest; the URL as written in *url. `form` is the accepted form, for the message. */
static enum sluice_rc url_value(struct config_loader *C, const struct ynode *value,
                                const char *form,
                                const char *(*problem)(const char *, char **, unsigned *, char **),
                                char **url, char **host, unsigned *port, char **rest)
{
	const char *v, *why;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'url'", &v);

	if (rc != SLUICE_OK)
		return rc;
	why = problem(v, host, port, rest);
	if (why != NULL)
		return fail_value(C, value, "'url' must be %s, found '%s': %s", form, yaml_show(v).s,
		                  why);
	*url = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc forward_url(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct sluiced_forward *fw = ctx;
	(void)key;
	return url_value(loader, value, "an https URL (https://host[:port][/path])",
	                 https_url_problem, &fw->url, &fw->host, &fw->port, &fw->target);
}

static enum sluice_rc forward_ca(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct sluiced_forward *fw = ctx;
	return key_path(loader, key, value, &fw->ca);
}

static enum sluice_rc forward_certificate(void *loader, const struct ynode *key,
                                          const struct ynode *value, void *ctx)
{
	struct sluiced_forward *fw = ctx;
	return key_path(loader, key, value, &fw->certificate);
}

static enum sluice_rc forward_key(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct sluiced_forward *fw = ctx;
	return key_path(loader, key, value, &fw->key);
}

static const struct ymap_rule forward_rules[] = {
	{ "url", true, forward_url },
	{ "ca", true, forward_ca },
	{ "certificate", true, forward_certificate },
	{ "key", true, forward_key },
};

/* ---------------------------------------------------------------------------------------- */
/* The top level                                                                            */

static enum sluice_rc top_format(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	long long v = 0;
	enum sluice_rc rc = ynode_integer(&C->doc, value, "'sluiced'", LLONG_MIN, LLONG_MAX, &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (v != CONFIG_FORMAT)
		return fail_value(C, value,
		                  "unsupported configuration format %lld (this version of sluiced "
		                  "reads format %d)", v, CONFIG_FORMAT);
	return SLUICE_OK;
}

static enum sluice_rc top_policy(void *loader, const struct ynode *key,
                                 const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return key_path(C, key, value, &C->c->policy);
}

static enum sluice_rc top_signing_key(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return key_path(C, key, value, &C->c->signing_key);
}

/* binding-key and binding-cert: read by the signer (the key) and the supervisor (checked by
 * `sluiced -t`), never by the loader. Errors about the pair name the first of the two in the
 * file (the walk follows the rule table, not the file). */
static enum sluice_rc binding_path(struct config_loader *C, const struct ynode *key,
                                   const struct ynode *value, char **out)
{
	if (C->c->binding_line == 0 || key->line < C->c->binding_line)
		C->c->binding_line = key->line;
	return key_path(C, key, value, out);
}

static enum sluice_rc top_binding_key(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return binding_path(C, key, value, &C->c->binding_key);
}

static enum sluice_rc top_binding_cert(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return binding_path(C, key, value, &C->c->binding_cert);
}

static enum sluice_rc top_audit_log(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return key_path(C, key, value, &C->c->audit_log);
}

static enum sluice_rc top_spool(void *loader, const struct ynode *key,
                                const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return key_path(C, key, value, &C->c->spool);
}

static enum sluice_rc top_user(void *loader, const struct ynode *key, const struct ynode *value,
                               void *ctx)
{
	struct config_loader *C = loader;
	const char *v;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'user'", &v);

	(void)key;
	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	if (!is_user_name(v))
		return fail_value(C, value,
		                  "'user' must be a user name of at most %d characters matching "
		                  "[a-z_][a-z0-9_-]*, found '%s'", USER_NAME_MAX, yaml_show(v).s);
	if (strcmp(v, "root") == 0)
		return fail_value(C, value,
		                  "'user' must not be root: the gateway drops root after start-up");
	C->c->user = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc top_workers(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return get_unsigned(C, key, value, 1, SLUICED_WORKERS_MAX, &C->c->workers);
}

static enum sluice_rc top_checkpoint_interval(void *loader, const struct ynode *key,
                                              const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return get_unsigned(C, key, value, 1, SLUICED_CHECKPOINT_INTERVAL_MAX,
	                    &C->c->checkpoint_interval);
}

static enum sluice_rc top_checkpoint_seconds(void *loader, const struct ynode *key,
                                             const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return get_unsigned(C, key, value, 1, SLUICED_CHECKPOINT_SECONDS_MAX,
	                    &C->c->checkpoint_seconds);
}

static enum sluice_rc top_policy_admins(void *loader, const struct ynode *key,
                                        const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	C->c->policy_admins_line = key->line;
	return key_path(C, key, value, &C->c->policy_admins);
}

static enum sluice_rc top_policy_signatures(void *loader, const struct ynode *key,
                                            const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	(void)ctx;
	return get_unsigned(C, key, value, 1, 32, &C->c->policy_signatures);
}

static enum sluice_rc top_tls(void *loader, const struct ynode *key, const struct ynode *value,
                              void *ctx)
{
	struct config_loader *C = loader;
	enum sluice_rc rc = ynode_need_mapping(&C->doc, value, "'tls'");

	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	C->c->tls = xcalloc(1, sizeof(*C->c->tls));
	C->c->tls->line = key->line;
	return ymap_walk(&C->doc, value, "'tls'", tls_rules, NRULES(tls_rules), C, C->c->tls);
}

/* SECTION: {domain: {...}, ...} in file order, each body walked with `rules` into a new entry
 * of `size` bytes of *array; `named` stores the domain's name and line in the entry. */
static enum sluice_rc per_domain(struct config_loader *C, const struct ynode *value,
                                 const char *section, const struct ymap_rule *rules,
                                 size_t nrules, size_t size, void **array, size_t *count,
                                 void (*named)(void *entry, const char *domain, unsigned line))
{
	char what[128];
	enum sluice_rc rc;

	snprintf(what, sizeof(what), "'%s'", section);
	rc = ynode_need_mapping(&C->doc, value, what);
	if (rc != SLUICE_OK || value->n == 0)
		return rc;
	*array = xcalloc(value->n / 2, size);
	for (size_t i = 0; i + 1 < value->n; i += 2) {
		const struct ynode *domain_node = value->items[i], *body = value->items[i + 1];
		void *entry = (char *)*array + size * (*count)++;
		const char *domain;

		snprintf(what, sizeof(what), "a destination domain of '%s'", section);
		rc = ynode_name(&C->doc, domain_node, what, &domain);
		if (rc != SLUICE_OK)
			return rc;
		named(entry, domain, domain_node->line);
		snprintf(what, sizeof(what), "%s '%s'", section, domain);
		rc = ynode_need_mapping(&C->doc, body, what);
		if (rc == SLUICE_OK)
			rc = ymap_walk(&C->doc, body, what, rules, nrules, C, entry);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

static void forward_named(void *entry, const char *domain, unsigned line)
{
	struct sluiced_forward *fw = entry;
	fw->domain = xstrdup(domain);
	fw->line = line;
}

/* forward: {domain: {url, ca, certificate, key}, ...} in file order. */
static enum sluice_rc top_forward(void *loader, const struct ynode *key,
                                  const struct ynode *value, void *ctx)
{
	struct sluiced_config *c = ((struct config_loader *)loader)->c;
	void *array = NULL;
	(void)key;
	(void)ctx;
	enum sluice_rc rc = per_domain(loader, value, "forward", forward_rules, NRULES(forward_rules),
	                               sizeof(*c->forwards), &array, &c->nforwards, forward_named);
	c->forwards = array;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* rabbitmq                                                                                 */

#define AMQP_PORT_DEFAULT 5672
#define AMQP_NAME_MAX 127 /* exchange names: AMQP 0-9-1 short strings, kept short */

/* "amqp://HOST[:PORT][/VHOST]". NULL when it is one (with *host, *port, 5672 when absent, and
 * *vhost, percent-decoded, "/" when absent), else what is wrong. */
static const char *amqp_url_problem(const char *url, char **host, unsigned *port, char **vhost)
{
	static const char scheme[] = "amqp://";
	const char *authority, *end, *why = NULL;

	*host = *vhost = NULL;
	*port = 0;
	if (strlen(url) > URL_MAX)
		return "the URL is longer than 2048 characters";
	if (strncmp(url, "amqps://", 8) == 0)
		return "amqps:// is not supported yet (docs/CONFIG.md, rabbitmq): publish to a broker "
		       "on the gateway's own network segment with amqp://";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return "the scheme must be amqp://";
	authority = url + sizeof(scheme) - 1;
	end = authority + strcspn(authority, "/?#");
	if (memchr(authority, '@', (size_t)(end - authority)) != NULL)
		return "user information ('user@') is not allowed: name a 'credentials' file";
	if (end[0] == '?' || strchr(end, '?') != NULL)
		return "a query ('?') is not allowed";
	if (!parse_host_port(authority, (size_t)(end - authority), false, host, port, &why))
		return why;
	if (!is_url_path(end, &why) || (end[0] == '/' && strchr(end + 1, '/') != NULL)) {
		free(*host);
		*host = NULL;
		return why != NULL ? why : "the virtual host is one path segment ('%2F' for '/')";
	}
	if (*port == 0)
		*port = AMQP_PORT_DEFAULT;
	if (end[0] == '\0' || end[1] == '\0') {
		*vhost = xstrdup("/");
		return NULL;
	}
	/* percent-decoding: %XX was checked by is_url_path */
	const char *v = end + 1;
	char *out = xmalloc(strlen(v) + 1), *o = out;
	for (size_t i = 0; v[i] != '\0'; i++) {
		if (v[i] == '%') {
			char hex[3] = { v[i + 1], v[i + 2], '\0' };
			*o++ = (char)strtoul(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = v[i];
		}
	}
	*o = '\0';
	*vhost = out;
	if (out[0] == '\0' || strlen(out) != (size_t)(o - out) || has_control_chars(out)) {
		free(*host);
		free(*vhost);
		*host = *vhost = NULL;
		return "the virtual host must not be empty or hold control characters";
	}
	return NULL;
}

static enum sluice_rc rabbitmq_url(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct sluiced_rabbitmq *mq = ctx;
	(void)key;
	return url_value(loader, value, "an AMQP URL (amqp://host[:port][/vhost])", amqp_url_problem,
	                 &mq->url, &mq->host, &mq->port, &mq->vhost);
}

static enum sluice_rc rabbitmq_exchange(void *loader, const struct ynode *key,
                                        const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_rabbitmq *mq = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'exchange'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	size_t n = strlen(v);
	if (n == 0 || n > AMQP_NAME_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") != n ||
	    strncmp(v, "amq.", 4) == 0)
		return fail_value(C, value,
		                  "'exchange' is 1 to %d letters, digits, '-', '_', '.' and ':', not "
		                  "starting with 'amq.', found '%s'", AMQP_NAME_MAX, yaml_show(v).s);
	free(mq->exchange);
	mq->exchange = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc rabbitmq_credentials(void *loader, const struct ynode *key,
                                           const struct ynode *value, void *ctx)
{
	struct sluiced_rabbitmq *mq = ctx;
	return key_path(loader, key, value, &mq->credentials);
}

static const struct ymap_rule rabbitmq_rules[] = {
	{ "url", true, rabbitmq_url },
	{ "exchange", false, rabbitmq_exchange },
	{ "credentials", true, rabbitmq_credentials },
};

static void rabbitmq_named(void *entry, const char *domain, unsigned line)
{
	struct sluiced_rabbitmq *mq = entry;
	size_t n = strlen(domain) + sizeof("sluice.");
	mq->domain = xstrdup(domain);
	mq->line = line;
	mq->exchange = xmalloc(n);
	snprintf(mq->exchange, n, "sluice.%s", domain);
}

/* rabbitmq: {domain: {url, exchange, credentials}, ...} in file order. */
static enum sluice_rc top_rabbitmq(void *loader, const struct ynode *key,
                                   const struct ynode *value, void *ctx)
{
	struct sluiced_config *c = ((struct config_loader *)loader)->c;
	void *array = NULL;
	(void)key, (void)ctx;
	enum sluice_rc rc = per_domain(loader, value, "rabbitmq", rabbitmq_rules,
	                               NRULES(rabbitmq_rules), sizeof(*c->rabbitmqs), &array,
	                               &c->nrabbitmqs, rabbitmq_named);
	c->rabbitmqs = array;
	return rc;
}

/* One transport per destination: two would each take the report out of the same outbox. */
static enum sluice_rc one_transport_each(struct config_loader *C)
{
	const struct sluiced_config *c = C->c;
	for (size_t i = 0; i < c->nrabbitmqs; i++)
		for (size_t k = 0; k < c->nforwards; k++)
			if (strcmp(c->rabbitmqs[i].domain, c->forwards[k].domain) == 0)
				return sluice_fail_at(C->doc.err, SLUICE_ERR_POLICY, "config.value",
				                      C->doc.name, c->rabbitmqs[i].line, 1,
				                      "destination '%s' is under both 'forward' (line %u) and "
				                      "'rabbitmq': each destination has one transport",
				                      c->rabbitmqs[i].domain, c->forwards[k].line);
	return SLUICE_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* audit-syslog                                                                             */

#define SYSLOG_UNIX_PATH_MAX 107 /* sun_path, less its NUL */

static enum sluice_rc syslog_target(void *loader, const struct ynode *key,
                                    const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_syslog *sl = ctx;
	const char *v, *why = NULL;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'target'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	if (strncmp(v, "udp://", 6) == 0 || strncmp(v, "tcp://", 6) == 0) {
		sl->transport = v[0] == 'u' ? SYSLOG_UDP : SYSLOG_TCP;
		if (!parse_host_port(v + 6, strlen(v + 6), true, &sl->host, &sl->port, &why))
			return fail_value(C, value, "'target' %.6sHOST:PORT: %s, found '%s'", v, why,
			                  yaml_show(v).s);
	} else if (strncmp(v, "unix:", 5) == 0) {
		sl->transport = SYSLOG_UNIX;
		if (v[5] != '/' || strlen(v + 5) > SYSLOG_UNIX_PATH_MAX || has_control_chars(v))
			return fail_value(C, value, "'target' unix:PATH needs an absolute socket path of at "
			                  "most %d bytes, found '%s'", SYSLOG_UNIX_PATH_MAX,
			                  yaml_show(v).s);
		sl->path = xstrdup(v + 5);
	} else {
		return fail_value(C, value, "'target' must be udp://HOST:PORT, tcp://HOST:PORT or "
		                  "unix:/PATH, found '%s'", yaml_show(v).s);
	}
	sl->target = xstrdup(v);
	return SLUICE_OK;
}

static enum sluice_rc syslog_facility(void *loader, const struct ynode *key,
                                      const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_syslog *sl = ctx;
	const char *v;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'facility'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	int code = syslog_facility_code(v);
	if (code < 0)
		return fail_value(C, value, "'facility' must be a syslog facility name such as local0 "
		                  "or authpriv, found '%s'", yaml_show(v).s);
	sl->facility = (unsigned)code;
	return SLUICE_OK;
}

static const struct ymap_rule syslog_rules[] = {
	{ "target", true, syslog_target },
	{ "facility", false, syslog_facility },
};

static enum sluice_rc top_audit_syslog(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	enum sluice_rc rc = ynode_need_mapping(&C->doc, value, "'audit-syslog'");

	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	C->c->audit_syslog = xcalloc(1, sizeof(*C->c->audit_syslog));
	C->c->audit_syslog->facility = SYSLOG_FACILITY_DEFAULT;
	C->c->audit_syslog->line = key->line;
	return ymap_walk(&C->doc, value, "'audit-syslog'", syslog_rules, NRULES(syslog_rules), C,
	                 C->c->audit_syslog);
}

/* ---------------------------------------------------------------------------------------- */
/* audit-relp                                                                               */

static enum sluice_rc relp_host(void *loader, const struct ynode *key, const struct ynode *value,
                                void *ctx)
{
	struct config_loader *C = loader;
	struct sluiced_relp *r = ctx;
	const char *v, *why = NULL;
	unsigned port = 0;
	enum sluice_rc rc = ynode_string(&C->doc, value, "'host'", &v);

	(void)key;
	if (rc != SLUICE_OK)
		return rc;
	unsigned char addr[16];
	if (inet_pton(AF_INET6, v, addr) == 1) {
		r->host = xstrdup(v);
		return SLUICE_OK;
	}
	if (v[0] == '[' || !parse_host_port(v, strlen(v), false, &r->host, &port, &why) ||
	    port != 0) {
		free(r->host);
		r->host = NULL;
		return fail_value(C, value, "'host' must be a host name or an IP address (IPv6 "
		                  "without brackets; the port goes under 'port'), found '%s'%s%s",
		                  yaml_show(v).s, why ? ": " : "", why ? why : "");
	}
	return SLUICE_OK;
}

static enum sluice_rc relp_port(void *loader, const struct ynode *key, const struct ynode *value,
                                void *ctx)
{
	struct sluiced_relp *r = ctx;
	return get_unsigned(loader, key, value, 1, 65535, &r->port);
}

static enum sluice_rc relp_ca(void *loader, const struct ynode *key, const struct ynode *value,
                              void *ctx)
{
	return key_path(loader, key, value, &((struct sluiced_relp *)ctx)->ca);
}

static enum sluice_rc relp_certificate(void *loader, const struct ynode *key,
                                       const struct ynode *value, void *ctx)
{
	return key_path(loader, key, value, &((struct sluiced_relp *)ctx)->certificate);
}

static enum sluice_rc relp_key(void *loader, const struct ynode *key, const struct ynode *value,
                               void *ctx)
{
	return key_path(loader, key, value, &((struct sluiced_relp *)ctx)->key);
}

static const struct ymap_rule relp_rules[] = {
	{ "host", true, relp_host },
	{ "port", true, relp_port },
	{ "ca", true, relp_ca },
	{ "certificate", true, relp_certificate },
	{ "key", true, relp_key },
};

/* audit-relp: {host, port, ca, certificate, key} */
static enum sluice_rc top_audit_relp(void *loader, const struct ynode *key,
                                     const struct ynode *value, void *ctx)
{
	struct config_loader *C = loader;
	enum sluice_rc rc = ynode_need_mapping(&C->doc, value, "'audit-relp'");

	(void)ctx;
	if (rc != SLUICE_OK)
		return rc;
	struct sluiced_relp *r = xcalloc(1, sizeof(*r));
	C->c->audit_relp = r;
	r->line = key->line;
	rc = ymap_walk(&C->doc, value, "'audit-relp'", relp_rules, NRULES(relp_rules), C, r);
	if (rc == SLUICE_OK) {
		size_t n = strlen(r->host) + 32;
		bool v6 = strchr(r->host, ':') != NULL;
		r->target = xmalloc(n);
		snprintf(r->target, n, "relp://%s%s%s:%u", v6 ? "[" : "", r->host, v6 ? "]" : "",
		         r->port);
	}
	return rc;
}

static const struct ymap_rule top_rules[] = {
	{ "sluiced", true, top_format },
	{ "policy", true, top_policy },
	{ "signing-key", true, top_signing_key },
	{ "binding-key", false, top_binding_key },
	{ "binding-cert", false, top_binding_cert },
	{ "audit-log", true, top_audit_log },
	{ "spool", true, top_spool },
	{ "user", false, top_user },
	{ "workers", false, top_workers },
	{ "checkpoint-interval", false, top_checkpoint_interval },
	{ "checkpoint-seconds", false, top_checkpoint_seconds },
	{ "policy-admins", false, top_policy_admins },
	{ "policy-signatures", false, top_policy_signatures },
	{ "tls", false, top_tls },
	{ "forward", false, top_forward },
	{ "rabbitmq", false, top_rabbitmq },
	{ "audit-syslog", false, top_audit_syslog },
	{ "audit-relp", false, top_audit_relp },
};

/* ---------------------------------------------------------------------------------------- */
/* Entry points                                                                             */

static struct yaml_doc config_doc(const char *name, struct sluice_error *err)
{
	struct yaml_doc doc = {
		.name = name,
		.rule_prefix = "config",
		.noun = "configuration",
		.max_bytes = SLUICED_CONFIG_MAX_BYTES,
		.err = err,
	};
	return doc;
}

enum sluice_rc sluiced_config_load_buffer(const char *name, const uint8_t *data, size_t len,
                                          const char *base_dir, struct sluiced_config **out,
                                          struct sluice_error *err)
{
	struct config_loader C;
	struct ynode *root = NULL;
	struct sluiced_config *c = NULL;
	enum sluice_rc rc;

	*out = NULL;
	memset(&C, 0, sizeof(C));
	C.doc = config_doc(name != NULL ? name : "<configuration>", err);
	C.base_dir = base_dir;
	rc = yaml_doc_parse(&C.doc, data, len, &root);
	if (rc != SLUICE_OK)
		return rc;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(C.doc.name);
	c->workers = SLUICED_WORKERS_DEFAULT;
	c->checkpoint_interval = SLUICED_CHECKPOINT_INTERVAL_DEFAULT;
	c->checkpoint_seconds = SLUICED_CHECKPOINT_SECONDS_DEFAULT;
	C.c = c;
	rc = ymap_walk_root(&C.doc, root, top_rules, NRULES(top_rules), &C, NULL);
	if (rc == SLUICE_OK && (c->policy_admins == NULL) != (c->policy_signatures == 0))
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "config.policy-admins", C.doc.name,
		                    c->policy_admins_line ? c->policy_admins_line : 1, 1,
		                    "'policy-admins' and 'policy-signatures' go together: the folder of "
		                    "trusted administrators' keys and how many must sign the policy");
	if (rc == SLUICE_OK && (c->binding_key == NULL) != (c->binding_cert == NULL))
		rc = sluice_fail_at(err, SLUICE_ERR_POLICY, "config.binding", C.doc.name,
		                    c->binding_line, 1,
		                    "'binding-key' and 'binding-cert' go together: the ADatP-4778 "
		                    "binding key and the X.509 certificate of that key");
	if (rc == SLUICE_OK)
		rc = one_transport_each(&C);
	if (rc == SLUICE_OK) {
		*out = c;
		c = NULL;
	}
	ynode_free(root);
	sluiced_config_free(c);
	return rc;
}

/* The folder of `path`, absolute: the daemon changes folder after loading, so relative paths
 * in the configuration must not depend on where it was started. New string. */
static enum sluice_rc absolute_folder(const char *path, char **out, struct sluice_error *err)
{
	char *dir = path_dirname(path), *cwd;
	const char *rel = dir;

	*out = NULL;
	if (dir[0] == '/') {
		*out = dir;
		return SLUICE_OK;
	}
	cwd = getcwd(NULL, 0);
	if (cwd == NULL) {
		free(dir);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.getcwd", path, 0, 0,
		                      "cannot resolve the configuration's folder: the current folder "
		                      "is unknown");
	}
	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
		while (rel[0] == '/')
			rel++;
	}
	*out = strcmp(rel, ".") == 0 || rel[0] == '\0' ? xstrdup(cwd) : path_join(cwd, rel);
	free(cwd);
	free(dir);
	return SLUICE_OK;
}

enum sluice_rc sluiced_config_load(const char *path, struct sluiced_config **out,
                                   struct sluice_error *err)
{
	struct yaml_doc doc = config_doc(path, err);
	uint8_t *buf = NULL;
	size_t len = 0;
	char *dir = NULL;
	enum sluice_rc rc;

	*out = NULL;
	/* A regular file, not writable by group or others, at most SLUICED_CONFIG_MAX_BYTES. */
	rc = yaml_doc_read_file(&doc, &buf, &len);
	if (rc == SLUICE_OK)
		rc = absolute_folder(path, &dir, err);
	if (rc == SLUICE_OK)
		rc = sluiced_config_load_buffer(path, buf, len, dir, out, err);
	free(dir);
	free(buf);
	return rc;
}

void sluiced_config_free(struct sluiced_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->policy);
	free(c->policy_admins);
	free(c->signing_key);
	free(c->binding_key);
	free(c->binding_cert);
	free(c->audit_log);
	free(c->spool);
	free(c->user);
	if (c->tls != NULL) {
		free(c->tls->listen_host);
		free(c->tls->certificate);
		free(c->tls->key);
		free(c->tls->client_ca);
		free(c->tls->crl);
		for (size_t i = 0; i < c->tls->nclients; i++) {
			free(c->tls->clients[i].subject_cn);
			free(c->tls->clients[i].domain);
		}
		free(c->tls->clients);
		free(c->tls);
	}
	for (size_t i = 0; i < c->nforwards; i++) {
		free(c->forwards[i].domain);
		free(c->forwards[i].url);
		free(c->forwards[i].host);
		free(c->forwards[i].target);
		free(c->forwards[i].ca);
		free(c->forwards[i].certificate);
		free(c->forwards[i].key);
	}
	free(c->forwards);
	for (size_t i = 0; i < c->nrabbitmqs; i++) {
		free(c->rabbitmqs[i].domain);
		free(c->rabbitmqs[i].url);
		free(c->rabbitmqs[i].host);
		free(c->rabbitmqs[i].vhost);
		free(c->rabbitmqs[i].exchange);
		free(c->rabbitmqs[i].credentials);
	}
	free(c->rabbitmqs);
	if (c->audit_relp != NULL) {
		free(c->audit_relp->host);
		free(c->audit_relp->ca);
		free(c->audit_relp->certificate);
		free(c->audit_relp->key);
		free(c->audit_relp->target);
		free(c->audit_relp);
	}
	if (c->audit_syslog != NULL) {
		free(c->audit_syslog->target);
		free(c->audit_syslog->host);
		free(c->audit_syslog->path);
		free(c->audit_syslog);
	}
	free(c);
}
