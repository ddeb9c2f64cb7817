/*
 * The daemon's configuration loader (gateway/config.c, docs/CONFIG.md): strict YAML through
 * policy/yaml_strict.h, rules "config.*".
 *
 * Success cases load fixtures from tests/fixtures/config/ (found through SLUICE_FIXTURES) and
 * check every field. Failure cases are a table of small inline configurations, each run as its
 * own cmocka test that asserts SLUICE_ERR_POLICY, the rule and the exact line and column; the
 * failures of the file itself (permissions, unreadable, too large) have tests of their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "syslog_export.h"

static char fixtures_dir[1024]; /* $SLUICE_FIXTURES */
static char config_dir[1024];   /* $SLUICE_FIXTURES/config */

static char *fixture(const char *rel)
{
	return path_join(config_dir, rel);
}

static void print_err(const struct sluice_error *err)
{
	print_error("%s:%u:%u: %s [%s]\n", err->file, err->line, err->column, err->message,
	            err->rule);
}

static struct sluiced_config *load_file_ok(const char *path)
{
	struct sluice_error err;
	struct sluiced_config *c = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = sluiced_config_load(path, &c, &err);
	if (rc != SLUICE_OK)
		print_err(&err);
	assert_int_equal(rc, SLUICE_OK);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	return c;
}

static struct sluiced_config *load_text_ok(const char *text, const char *base_dir)
{
	struct sluice_error err;
	struct sluiced_config *c = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = sluiced_config_load_buffer("inline.yaml", (const uint8_t *)text,
	                                               strlen(text), base_dir, &c, &err);
	if (rc != SLUICE_OK)
		print_err(&err);
	assert_int_equal(rc, SLUICE_OK);
	assert_non_null(c);
	assert_string_equal(c->path, "inline.yaml");
	return c;
}

/* `rel` resolved against the fixtures' config folder, compared with `got`. */
static void assert_resolved(const char *got, const char *rel)
{
	char *want = fixture(rel);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
}

/* A temporary folder for files a test writes; removed by rm_tmpdir. */
static char *make_tmpdir(void)
{
	char *dir = xstrdup("/tmp/sluice-test-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *write_file(const char *dir, const char *name, const void *data, size_t len,
                        mode_t mode)
{
	char *path = path_join(dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fd_write_all(fd, data, len), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0); /* whatever the umask */
	return path;
}

static void rm_tmpdir(char *dir, char **files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(unlink(files[i]), 0);
		free(files[i]);
	}
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* Lines 1-5: every required key. */
#define HEAD "sluiced: 1\npolicy: p.yaml\nsigning-key: k.key\naudit-log: a.log\nspool: s\n"

/* ---------------------------------------------------------------------------------------- */
/* Success                                                                                  */

/* The example of the issue and docs/CONFIG.md, field by field. */
static void test_full_example(void **state)
{
	(void)state;
	char *path = fixture("full.yaml");
	struct sluiced_config *c = load_file_ok(path);

	assert_resolved(c->policy, "policy.yaml");
	assert_resolved(c->signing_key, "pki/gateway-signing.key");
	assert_resolved(c->audit_log, "state/audit.log");
	assert_resolved(c->spool, "spool");
	assert_string_equal(c->user, "sluice");
	assert_int_equal(c->workers, 2);
	assert_int_equal(c->checkpoint_interval, 1000);

	assert_non_null(c->tls);
	assert_string_equal(c->tls->listen_host, "127.0.0.1");
	assert_int_equal(c->tls->listen_port, 8443);
	assert_resolved(c->tls->certificate, "pki/gateway-server.pem");
	assert_resolved(c->tls->key, "pki/gateway-server.key");
	assert_resolved(c->tls->client_ca, "pki/ca.pem");
	assert_resolved(c->tls->crl, "pki/ca.crl");
	assert_int_equal(c->tls->nclients, 1);
	assert_string_equal(c->tls->clients[0].subject_cn, "police-gw");
	assert_string_equal(c->tls->clients[0].domain, "police");
	assert_int_equal(c->tls->clients[0].line, 16);

	assert_int_equal(c->nforwards, 1);
	const struct sluiced_forward *f = &c->forwards[0];
	assert_string_equal(f->domain, "customs");
	assert_string_equal(f->url, "https://127.0.0.1:9443/v1/reports");
	assert_string_equal(f->host, "127.0.0.1");
	assert_int_equal(f->port, 9443);
	assert_string_equal(f->target, "/v1/reports");
	assert_resolved(f->ca, "pki/ca.pem");
	assert_resolved(f->certificate, "pki/gateway-client.pem");
	assert_resolved(f->key, "pki/gateway-client.key");
	assert_int_equal(f->line, 18);
	sluiced_config_free(c);
	free(path);
}

/* Only the required keys: the defaults. */
static void test_minimal_defaults(void **state)
{
	(void)state;
	char *path = fixture("minimal.yaml");
	struct sluiced_config *c = load_file_ok(path);

	assert_resolved(c->policy, "policy.yaml");
	assert_null(c->user);
	assert_int_equal(c->workers, 2);
	assert_int_equal(c->checkpoint_interval, 1000);
	assert_int_equal(c->checkpoint_seconds, 60);
	assert_null(c->tls);
	assert_null(c->forwards);
	assert_int_equal(c->nforwards, 0);
	sluiced_config_free(c);
	free(path);
}

/* Several clients and forwards in file order, an IPv6 listener, absolute paths kept. */
static void test_several_clients_and_forwards(void **state)
{
	(void)state;
	char *path = fixture("several.yaml");
	struct sluiced_config *c = load_file_ok(path);

	assert_string_equal(c->policy, "/etc/sluice/policy.yaml");
	assert_string_equal(c->signing_key, "/etc/sluice/pki/gateway-signing.key");
	assert_string_equal(c->audit_log, "/var/lib/sluice/audit.log");
	assert_string_equal(c->spool, "/var/spool/sluice");
	assert_string_equal(c->user, "_sluice");
	assert_int_equal(c->workers, 64);
	assert_int_equal(c->checkpoint_interval, 1);
	assert_int_equal(c->checkpoint_seconds, 5);
	assert_string_equal(c->tls->listen_host, "::1");
	assert_int_equal(c->tls->listen_port, 8443);
	assert_resolved(c->tls->certificate, "pki/server.pem");
	assert_null(c->tls->crl);
	assert_int_equal(c->tls->nclients, 3);
	static const struct {
		const char *cn, *domain;
		unsigned line;
	} clients[] = {
		{ "police-gw", "police", 16 },
		{ "Intel Gateway 2", "intel", 17 },
		{ "customs", "customs", 18 },
	};
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(c->tls->clients[i].subject_cn, clients[i].cn);
		assert_string_equal(c->tls->clients[i].domain, clients[i].domain);
		assert_int_equal(c->tls->clients[i].line, clients[i].line);
	}
	assert_int_equal(c->nforwards, 2);
	assert_string_equal(c->forwards[0].domain, "customs");
	assert_string_equal(c->forwards[0].url, "https://customs.example.org/v1/reports?via=sluice");
	assert_string_equal(c->forwards[0].host, "customs.example.org");
	assert_int_equal(c->forwards[0].port, 443);
	assert_string_equal(c->forwards[0].target, "/v1/reports?via=sluice");
	assert_int_equal(c->forwards[0].line, 20);
	assert_string_equal(c->forwards[1].domain, "partner-fra");
	assert_string_equal(c->forwards[1].url, "https://[2001:db8::7]:9443");
	assert_string_equal(c->forwards[1].host, "2001:db8::7");
	assert_int_equal(c->forwards[1].port, 9443);
	assert_string_equal(c->forwards[1].target, "/");
	assert_string_equal(c->forwards[1].ca, "/etc/ssl/partner-ca.pem");
	assert_resolved(c->forwards[1].certificate, "pki/client.pem");
	assert_int_equal(c->forwards[1].line, 25);
	sluiced_config_free(c);
	free(path);
}

/* A configuration named by a relative path: its paths still come out absolute, because the
 * daemon changes folder after loading. */
static void test_relative_config_path(void **state)
{
	(void)state;
	static const char *const forms[] = { "config/minimal.yaml", "./config/minimal.yaml",
	                                      ".//config/minimal.yaml" };
	char saved[PATH_MAX];

	assert_non_null(getcwd(saved, sizeof(saved)));
	assert_int_equal(chdir(fixtures_dir), 0);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct sluiced_config *c = load_file_ok(forms[i]);
		assert_true(c->policy[0] == '/');
		assert_resolved(c->policy, "policy.yaml");
		assert_resolved(c->spool, "spool");
		sluiced_config_free(c);
	}
	assert_int_equal(chdir(config_dir), 0);
	struct sluiced_config *c = load_file_ok("minimal.yaml");
	assert_resolved(c->policy, "policy.yaml");
	sluiced_config_free(c);
	assert_int_equal(chdir(saved), 0);
}

/* From memory with a base folder, and without one (paths kept as written). */
static void test_buffer_base_dir(void **state)
{
	(void)state;
	struct sluiced_config *c = load_text_ok(HEAD, "/srv/gw");
	assert_string_equal(c->policy, "/srv/gw/p.yaml");
	assert_string_equal(c->spool, "/srv/gw/s");
	sluiced_config_free(c);
	c = load_text_ok(HEAD, NULL);
	assert_string_equal(c->policy, "p.yaml");
	assert_string_equal(c->signing_key, "k.key");
	sluiced_config_free(c);
}

/* The ADatP-4778 binding key and certificate: paths, resolved like the others, in either
 * order; absent from a configuration that does not name them. */
static void test_binding_key_and_cert(void **state)
{
	(void)state;
	struct sluiced_config *c =
		load_text_ok(HEAD "binding-cert: pki/gateway-binding.pem\n"
		             "binding-key: /etc/sluice/binding.key\n", "/srv/gw");
	assert_string_equal(c->binding_key, "/etc/sluice/binding.key");
	assert_string_equal(c->binding_cert, "/srv/gw/pki/gateway-binding.pem");
	assert_int_equal(c->binding_line, 6);
	sluiced_config_free(c);
	c = load_text_ok(HEAD, "/srv/gw");
	assert_null(c->binding_key);
	assert_null(c->binding_cert);
	assert_int_equal(c->binding_line, 0);
	sluiced_config_free(c);
}

/* Every accepted form of the listen address. */
static void test_listen_forms(void **state)
{
	(void)state;
	static const struct {
		const char *text, *host;
		unsigned port;
	} forms[] = {
		{ "127.0.0.1:8443", "127.0.0.1", 8443 },
		{ "0.0.0.0:1", "0.0.0.0", 1 },
		{ "\"[::]:65535\"", "::", 65535 },
		{ "'[fe80::1:2]:443'", "fe80::1:2", 443 },
		{ "\"[::ffff:192.0.2.1]:8443\"", "::ffff:192.0.2.1", 8443 },
		{ "localhost:8443", "localhost", 8443 },
		{ "gw-1.cell.example.org:10443", "gw-1.cell.example.org", 10443 },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         HEAD "tls:\n  listen: %s\n  certificate: c\n  key: k\n  client-ca: ca\n",
		         forms[i].text);
		struct sluiced_config *c = load_text_ok(text, NULL);
		assert_string_equal(c->tls->listen_host, forms[i].host);
		assert_int_equal(c->tls->listen_port, forms[i].port);
		assert_int_equal(c->tls->nclients, 0);
		assert_null(c->tls->clients);
		sluiced_config_free(c);
	}
}

/* audit-syslog: each transport, the facility and its default. */
static void test_audit_syslog_forms(void **state)
{
	(void)state;
	static const struct {
		const char *text, *host, *path;
		int transport;
		unsigned port, facility;
	} forms[] = {
		{ "  target: udp://127.0.0.1:514\n", "127.0.0.1", NULL, SYSLOG_UDP, 514, 16 },
		{ "  target: \"tcp://[::1]:6514\"\n  facility: authpriv\n", "::1", NULL, SYSLOG_TCP,
		  6514, 10 },
		{ "  target: tcp://siem.cell.example:601\n  facility: local7\n", "siem.cell.example",
		  NULL, SYSLOG_TCP, 601, 23 },
		{ "  target: unix:/dev/log\n", NULL, "/dev/log", SYSLOG_UNIX, 0, 16 },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), HEAD "audit-syslog:\n%s", forms[i].text);
		struct sluiced_config *c = load_text_ok(text, NULL);
		assert_non_null(c->audit_syslog);
		assert_int_equal(c->audit_syslog->transport, forms[i].transport);
		assert_int_equal(c->audit_syslog->port, forms[i].port);
		assert_int_equal(c->audit_syslog->facility, forms[i].facility);
		assert_int_equal(c->audit_syslog->line, 6);
		if (forms[i].host != NULL)
			assert_string_equal(c->audit_syslog->host, forms[i].host);
		else
			assert_null(c->audit_syslog->host);
		if (forms[i].path != NULL)
			assert_string_equal(c->audit_syslog->path, forms[i].path);
		else
			assert_null(c->audit_syslog->path);
		sluiced_config_free(c);
	}
	struct sluiced_config *c = load_text_ok(HEAD, NULL);
	assert_null(c->audit_syslog);
	sluiced_config_free(c);
}

/* audit-relp: a host name, an IPv4 and an IPv6 address, paths resolved, the target named. */
static void test_audit_relp_forms(void **state)
{
	(void)state;
	static const struct {
		const char *host_text, *host, *target;
		unsigned port;
	} forms[] = {
		{ "siem.cell.example", "siem.cell.example", "relp://siem.cell.example:2514", 2514 },
		{ "192.0.2.7", "192.0.2.7", "relp://192.0.2.7:20514", 20514 },
		{ "\"2001:db8::7\"", "2001:db8::7", "relp://[2001:db8::7]:2514", 2514 },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), HEAD "audit-relp:\n  host: %s\n  port: %u\n  ca: pki/ca.pem\n"
		         "  certificate: pki/c.pem\n  key: pki/c.key\n", forms[i].host_text,
		         forms[i].port);
		struct sluiced_config *c = load_text_ok(text, "/etc/sluice");
		assert_non_null(c->audit_relp);
		assert_string_equal(c->audit_relp->host, forms[i].host);
		assert_int_equal(c->audit_relp->port, forms[i].port);
		assert_string_equal(c->audit_relp->target, forms[i].target);
		assert_string_equal(c->audit_relp->ca, "/etc/sluice/pki/ca.pem");
		assert_string_equal(c->audit_relp->certificate, "/etc/sluice/pki/c.pem");
		assert_string_equal(c->audit_relp->key, "/etc/sluice/pki/c.key");
		assert_int_equal(c->audit_relp->line, 6);
		sluiced_config_free(c);
	}
	struct sluiced_config *c = load_text_ok(HEAD, NULL);
	assert_null(c->audit_relp);
	sluiced_config_free(c);
}

/* Every accepted form of a forward URL, kept as written. */
static void test_url_forms(void **state)
{
	(void)state;
	static const char *const urls[] = {
		"https://customs.example.org",
		"https://customs.example.org/",
		"https://10.0.0.7:9443/v1/reports",
		"https://[2001:db8::1]/in",
		"https://h/a%2Fb/c~d_e.f-g?x=1&y=a:b@c,d;e",
		"https://h?only=query",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         HEAD "forward:\n  d:\n    url: \"%s\"\n    ca: a\n    certificate: c\n"
		              "    key: k\n",
		         urls[i]);
		struct sluiced_config *c = load_text_ok(text, NULL);
		assert_int_equal(c->nforwards, 1);
		assert_string_equal(c->forwards[0].url, urls[i]);
		sluiced_config_free(c);
	}
}

/* rabbitmq: the URL's parts, the default exchange, file order (issue 9). */
static void test_rabbitmq_forms(void **state)
{
	(void)state;
	struct sluiced_config *c =
		load_text_ok(HEAD "rabbitmq:\n  police:\n    url: amqp://mq.police.example\n"
		             "    credentials: secrets/police.amqp\n"
		             "  customs:\n    url: \"amqp://[::1]:5673/cell%2Fin\"\n"
		             "    exchange: customs.released\n    credentials: /etc/c.amqp\n",
		             "/etc/sluice");
	assert_int_equal(c->nrabbitmqs, 2);
	assert_string_equal(c->rabbitmqs[0].domain, "police");
	assert_string_equal(c->rabbitmqs[0].host, "mq.police.example");
	assert_int_equal(c->rabbitmqs[0].port, 5672);
	assert_string_equal(c->rabbitmqs[0].vhost, "/");
	assert_string_equal(c->rabbitmqs[0].exchange, "sluice.police");
	assert_string_equal(c->rabbitmqs[0].credentials, "/etc/sluice/secrets/police.amqp");
	assert_int_equal(c->rabbitmqs[0].line, 7);
	assert_string_equal(c->rabbitmqs[1].domain, "customs");
	assert_string_equal(c->rabbitmqs[1].url, "amqp://[::1]:5673/cell%2Fin");
	assert_string_equal(c->rabbitmqs[1].host, "::1");
	assert_int_equal(c->rabbitmqs[1].port, 5673);
	assert_string_equal(c->rabbitmqs[1].vhost, "cell/in");
	assert_string_equal(c->rabbitmqs[1].exchange, "customs.released");
	assert_string_equal(c->rabbitmqs[1].credentials, "/etc/c.amqp");
	sluiced_config_free(c);
	c = load_text_ok(HEAD "rabbitmq:\n  police:\n    url: amqp://h/\n    credentials: x\n"
	                 "forward:\n  customs:\n    url: https://h/\n    ca: a\n"
	                 "    certificate: c\n    key: k\n", NULL);
	assert_int_equal(c->nrabbitmqs, 1);
	assert_int_equal(c->nforwards, 1);
	assert_string_equal(c->rabbitmqs[0].vhost, "/");
	sluiced_config_free(c);
}

/* Plain scalars are never typed implicitly: `no` is a user called "no", `on` a domain. */
static void test_plain_scalars_are_strings(void **state)
{
	(void)state;
	struct sluiced_config *c =
		load_text_ok("sluiced: 1\npolicy: 2024\nsigning-key: true\naudit-log: null.log\n"
		             "spool: ~spool\nuser: no\nforward: {}\n"
		             "tls: {listen: 'a:1', certificate: c, key: k, client-ca: ca,\n"
		             "      clients: {yes: on, 1: '2'}}\n",
		             NULL);
	assert_string_equal(c->policy, "2024");
	assert_string_equal(c->signing_key, "true");
	assert_string_equal(c->audit_log, "null.log");
	assert_string_equal(c->spool, "~spool");
	assert_string_equal(c->user, "no");
	assert_int_equal(c->nforwards, 0);
	assert_int_equal(c->tls->nclients, 2);
	assert_string_equal(c->tls->clients[0].subject_cn, "yes");
	assert_string_equal(c->tls->clients[0].domain, "on");
	assert_string_equal(c->tls->clients[1].subject_cn, "1");
	assert_string_equal(c->tls->clients[1].domain, "2");
	sluiced_config_free(c);
}

static void test_permissions_owner_only_ok(void **state)
{
	(void)state;
	static const mode_t modes[] = { 0600, 0400, 0644, 0444 };
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "sluiced.yaml", HEAD, strlen(HEAD), 0600);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(files[0], modes[i]), 0);
		struct sluiced_config *c = load_file_ok(files[0]);
		char *want = path_join(dir, "p.yaml");
		assert_string_equal(c->policy, want);
		free(want);
		sluiced_config_free(c);
	}
	rm_tmpdir(dir, files, 1);
}

static void test_free_null(void **state)
{
	(void)state;
	sluiced_config_free(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Failures of the file itself                                                              */

static void expect_file_failure(const char *path, const char *rule, const char *needle)
{
	struct sluice_error err;
	struct sluiced_config *c = (struct sluiced_config *)&err; /* must be reset to NULL */

	sluice_error_clear(&err);
	assert_int_equal(sluiced_config_load(path, &c, &err), SLUICE_ERR_POLICY);
	if (strcmp(err.rule, rule) != 0 || strstr(err.message, needle) == NULL)
		print_err(&err);
	assert_null(c);
	assert_string_equal(err.rule, rule);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.message, needle));
	assert_int_equal(sluice_rc_exit_code(err.rc), 78);
}

static void test_permissions_world_writable(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "sluiced.yaml", HEAD, strlen(HEAD), 0666);
	expect_file_failure(files[0], "config.permissions",
	                    "the configuration file is writable by others (mode 0666)");
	rm_tmpdir(dir, files, 1);
}

static void test_permissions_group_writable(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "sluiced.yaml", HEAD, strlen(HEAD), 0620);
	expect_file_failure(files[0], "config.permissions", "writable by its group (mode 0620)");
	rm_tmpdir(dir, files, 1);
}

static void test_unreadable(void **state)
{
	(void)state;
	char *missing = fixture("no-such-config.yaml");

	expect_file_failure(missing, "config.read", "cannot read the configuration");
	expect_file_failure(config_dir, "config.read", "not a regular file");
	free(missing);
}

static void test_too_large(void **state)
{
	(void)state;
	struct sluice_error err;
	struct sluiced_config *c = NULL;
	size_t len = SLUICED_CONFIG_MAX_BYTES + 1;
	uint8_t *big = xmalloc(len);
	char *dir = make_tmpdir();
	char *files[1];

	memset(big, '#', len);
	sluice_error_clear(&err);
	assert_int_equal(sluiced_config_load_buffer("big.yaml", big, len, NULL, &c, &err),
	                 SLUICE_ERR_POLICY);
	assert_null(c);
	assert_string_equal(err.rule, "config.too-large");
	files[0] = write_file(dir, "big.yaml", big, len, 0644);
	expect_file_failure(files[0], "config.too-large", "larger than 262144 bytes");
	free(big);
	rm_tmpdir(dir, files, 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Failures of the content: one table, one cmocka test per row                              */

struct fail_case {
	const char *name;
	const char *yaml;
	size_t len; /* 0: strlen(yaml) */
	const char *rule;
	unsigned line, column;
	const char *needle; /* in the message, or NULL */
};

/* Lines 6-10: a listener; a test adds line 11. */
#define TLS "tls:\n  listen: 127.0.0.1:8443\n  certificate: c.pem\n  key: c.key\n" \
            "  client-ca: ca.pem\n"
/* Line 6, then line 7 is `listen:` with the value at column 11, then lines 8-10. */
#define LISTEN(v) "tls:\n  listen: " v "\n  certificate: c\n  key: k\n  client-ca: ca\n"
/* Lines 6-11: forward to customs; a test adds line 12. */
#define FWD "forward:\n  customs:\n    url: https://127.0.0.1:9443/v1\n    ca: ca.pem\n" \
            "    certificate: c.pem\n    key: c.key\n"
/* Lines 6-8, then line 9 is `url:` with the value at column 10, then lines 10-11. */
#define URL(v) "forward:\n  customs:\n    ca: ca.pem\n    url: " v "\n    certificate: c\n" \
               "    key: k\n"

/* Lines 6-7, then line 8 is `url:` with the value at column 10, then line 9. */
#define MQ(v) "rabbitmq:\n  police:\n    url: " v "\n    credentials: mq.secret\n"

#define NEST20 "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"

static struct fail_case fail_cases[] = {
	/* config.unknown-key */
	{ "unknown_top_key", HEAD "colour: blue\n", 0, "config.unknown-key", 6, 1,
	  "unknown key 'colour' in the configuration (allowed: sluiced, policy, signing-key, "
	  "binding-key, binding-cert, audit-log, spool, user, workers, checkpoint-interval, checkpoint-seconds, "
	  "policy-admins, policy-signatures, tls, forward, rabbitmq, audit-syslog, audit-relp)" },
	/* the binding key and its certificate: both or neither, paths */
	{ "binding_key_alone", HEAD "binding-key: b.key\n", 0, "config.binding", 6, 1,
	  "'binding-key' and 'binding-cert' go together" },
	{ "binding_cert_alone", HEAD "workers: 1\nbinding-cert: b.pem\n", 0, "config.binding", 7,
	  1, "'binding-key' and 'binding-cert' go together" },
	{ "binding_key_empty", HEAD "binding-key:\nbinding-cert: b.pem\n", 0, "config.type", 6,
	  13, NULL },
	{ "binding_cert_list", HEAD "binding-key: b.key\nbinding-cert: [b.pem]\n", 0,
	  "config.type", 7, 15, NULL },
	{ "binding_key_twice", HEAD "binding-key: a\nbinding-cert: c\nbinding-key: b\n", 0,
	  "config.duplicate-key", 8, 1, "binding-key" },
	/* the two-person rule: both keys or neither, 1..32 signatures */
	{ "policy_admins_alone", HEAD "policy-admins: admins\n", 0, "config.policy-admins", 6, 1,
	  "'policy-admins' and 'policy-signatures' go together" },
	{ "policy_signatures_alone", HEAD "policy-signatures: 2\n", 0, "config.policy-admins", 1, 1,
	  "'policy-admins' and 'policy-signatures' go together" },
	{ "policy_signatures_zero", HEAD "policy-admins: a\npolicy-signatures: 0\n", 0,
	  "config.value", 7, 20, NULL },
	{ "policy_signatures_too_many", HEAD "policy-admins: a\npolicy-signatures: 33\n", 0,
	  "config.value", 7, 20, NULL },
	{ "misspelt_top_key", "sluiced: 1\npolicy: p\nsigning_key: k\n", 0, "config.unknown-key",
	  3, 1, "'signing_key'" },
	{ "unknown_tls_key", HEAD TLS "  ciphers: ALL\n", 0, "config.unknown-key", 11, 3,
	  "unknown key 'ciphers' in 'tls' (allowed: listen, certificate, key, client-ca, crl, "
	  "clients)" },
	{ "unknown_forward_key", HEAD FWD "    verify: no\n", 0, "config.unknown-key", 12, 5,
	  "unknown key 'verify' in forward 'customs' (allowed: url, ca, certificate, key)" },
	{ "unknown_key_with_escape", HEAD "\"a\\eb\": 1\n", 0, "config.unknown-key", 6, 1,
	  "unknown key 'a?b'" },

	/* config.duplicate-key */
	{ "duplicate_top_key", HEAD "policy: q.yaml\n", 0, "config.duplicate-key", 6, 1,
	  "duplicate key 'policy' (first at line 2, again at line 6)" },
	{ "duplicate_client", HEAD TLS "  clients:\n    gw: police\n    gw: intel\n", 0,
	  "config.duplicate-key", 13, 5, "duplicate key 'gw' (first at line 12, again at line 13)" },
	{ "duplicate_forward", HEAD FWD "  customs: {url: 'https://h', ca: a, certificate: c, key: k}\n",
	  0, "config.duplicate-key", 12, 3, "'customs'" },
	{ "duplicate_tls_key_in_flow_mapping",
	  HEAD "tls: {listen: 'a:1', key: k, certificate: c, key: l, client-ca: ca}\n", 0,
	  "config.duplicate-key", 6, 46, "'key'" },

	/* config.alias */
	{ "anchor", "sluiced: 1\npolicy: &p p.yaml\n", 0, "config.alias", 2, 9,
	  "YAML anchors are not allowed (&p)" },
	{ "alias", HEAD "user: *p\n", 0, "config.alias", 6, 7,
	  "YAML aliases are not allowed (*p)" },
	{ "merge_key_alias", HEAD FWD "  police:\n    <<: *f\n", 0, "config.alias", 13, 9, NULL },

	/* config.tag */
	{ "tag_on_scalar", "sluiced: 1\npolicy: !!str p.yaml\n", 0, "config.tag", 2, 9,
	  "YAML tags are not allowed (tag:yaml.org,2002:str)" },
	{ "local_tag_on_mapping", HEAD "tls: !listener {listen: 'a:1'}\n", 0, "config.tag", 6, 6,
	  "!listener" },
	{ "tag_directive", "%TAG !e! tag:example.com,2024:\n---\n" HEAD, 0, "config.tag", 1, 1,
	  "%TAG" },

	/* config.type */
	{ "quoted_format", "sluiced: \"1\"\n", 0, "config.type", 1, 10,
	  "'sluiced' must be an integer, found a quoted string" },
	{ "quoted_workers", HEAD "workers: '4'\n", 0, "config.type", 6, 10,
	  "'workers' must be an integer" },
	{ "float_workers", HEAD "workers: 2.5\n", 0, "config.type", 6, 10,
	  "'workers' must be a decimal integer, found '2.5'" },
	{ "octal_checkpoint_interval", HEAD "checkpoint-interval: 010\n", 0, "config.type", 6, 22,
	  NULL },
	{ "tls_list", HEAD "tls: [a]\n", 0, "config.type", 6, 6,
	  "'tls' must be a mapping, found a list" },
	{ "tls_empty", HEAD "tls:\n", 0, "config.type", 6, 5,
	  "'tls' must be a mapping, found an empty value" },
	{ "clients_list", HEAD TLS "  clients: [police-gw]\n", 0, "config.type", 11, 12,
	  "'clients' must be a mapping, found a list" },
	{ "client_domain_list", HEAD TLS "  clients: {gw: [police]}\n", 0, "config.type", 11, 17,
	  "the domain of client 'gw' must be a string, found a list" },
	{ "forward_list", HEAD "forward: [customs]\n", 0, "config.type", 6, 10, NULL },
	{ "forward_entry_scalar", HEAD "forward:\n  customs: https://h\n", 0, "config.type", 7, 12,
	  "forward 'customs' must be a mapping, found a plain value" },
	{ "policy_empty_value", "sluiced: 1\npolicy:\nsigning-key: k\n", 0, "config.type", 2, 8,
	  "'policy' must be a string, found an empty value" },
	{ "policy_list", "sluiced: 1\npolicy: [a, b]\n", 0, "config.type", 2, 9,
	  "'policy' must be a string, found a list" },
	{ "listen_mapping", HEAD LISTEN("{host: a, port: 1}"), 0, "config.type", 7, 11, NULL },
	{ "url_null", HEAD URL("~"), 0, "config.type", 9, 10, "'url' must be a string" },
	{ "complex_key", HEAD "? [a]\n: b\n", 0, "config.type", 6, 3, "a mapping key must be a name" },
	{ "root_list", "- sluiced\n- 1\n", 0, "config.type", 1, 1,
	  "a configuration must be a mapping of keys, found a list" },
	{ "root_scalar", "sluiced\n", 0, "config.type", 1, 1, NULL },

	/* config.value */
	{ "format_2", "sluiced: 2\n", 0, "config.value", 1, 10,
	  "unsupported configuration format 2" },
	{ "workers_zero", HEAD "workers: 0\n", 0, "config.value", 6, 10,
	  "'workers' must be between 1 and 64, found 0" },
	{ "workers_65", HEAD "workers: 65\n", 0, "config.value", 6, 10, "between 1 and 64" },
	{ "workers_huge", HEAD "workers: 99999999999999999999\n", 0, "config.value", 6, 10, NULL },
	{ "checkpoint_interval_zero", HEAD "checkpoint-interval: 0\n", 0, "config.value", 6, 22,
	  "between 1 and 1000" },
	{ "checkpoint_interval_1001", HEAD "checkpoint-interval: 1001\n", 0, "config.value", 6, 22,
	  "between 1 and 1000" },
	{ "checkpoint_seconds_zero", HEAD "checkpoint-seconds: 0\n", 0, "config.value", 6, 21,
	  "between 1 and 86400" },
	{ "checkpoint_seconds_day_and_one", HEAD "checkpoint-seconds: 86401\n", 0, "config.value",
	  6, 21, "between 1 and 86400" },
	{ "user_uppercase", HEAD "user: Sluice\n", 0, "config.value", 6, 7,
	  "[a-z_][a-z0-9_-]*, found 'Sluice'" },
	{ "user_leading_digit", HEAD "user: 1sluice\n", 0, "config.value", 6, 7, NULL },
	{ "user_too_long", HEAD "user: abcdefghijabcdefghijabcdefghijabc\n", 0, "config.value", 6,
	  7, "at most 32 characters" },
	{ "user_root", HEAD "user: root\n", 0, "config.value", 6, 7, "must not be root" },
	{ "user_empty", HEAD "user: ''\n", 0, "config.value", 6, 7, NULL },
	{ "listen_no_port", HEAD LISTEN("127.0.0.1"), 0, "config.value", 7, 11,
	  "the port is missing" },
	{ "listen_port_zero", HEAD LISTEN("127.0.0.1:0"), 0, "config.value", 7, 11,
	  "from 1 to 65535" },
	{ "listen_port_too_big", HEAD LISTEN("127.0.0.1:65536"), 0, "config.value", 7, 11,
	  "from 1 to 65535" },
	{ "listen_port_leading_zero", HEAD LISTEN("127.0.0.1:08443"), 0, "config.value", 7, 11,
	  NULL },
	{ "listen_port_word", HEAD LISTEN("127.0.0.1:https"), 0, "config.value", 7, 11, NULL },
	{ "listen_ipv6_without_brackets", HEAD LISTEN("'::1:8443'"), 0, "config.value", 7, 11,
	  "in brackets" },
	{ "listen_bad_ipv4", HEAD LISTEN("999.0.0.1:8443"), 0, "config.value", 7, 11,
	  "the IPv4 address is not valid" },
	{ "listen_short_ipv4", HEAD LISTEN("127.1:8443"), 0, "config.value", 7, 11, "IPv4" },
	{ "listen_bad_ipv6", HEAD LISTEN("'[::g]:8443'"), 0, "config.value", 7, 11,
	  "the IPv6 address is not valid" },
	{ "listen_ipv6_zone", HEAD LISTEN("'[fe80::1%eth0]:8443'"), 0, "config.value", 7, 11,
	  "IPv6" },
	{ "listen_unclosed_bracket", HEAD LISTEN("'[::1:8443'"), 0, "config.value", 7, 11, "']'" },
	{ "listen_bad_host", HEAD LISTEN("bad_host:8443"), 0, "config.value", 7, 11,
	  "not an IP address or a host name" },
	{ "listen_no_host", HEAD LISTEN("':8443'"), 0, "config.value", 7, 11,
	  "the host is missing" },
	{ "listen_escape", HEAD LISTEN("\"\\e[31m:1\""), 0, "config.value", 7, 11, "'?[31m:1'" },
	{ "url_http", HEAD URL("http://127.0.0.1:9080/v1"), 0, "config.value", 9, 10,
	  "'url' must be an https URL (https://host[:port][/path]), found "
	  "'http://127.0.0.1:9080/v1': plain http is not allowed" },
	{ "url_other_scheme", HEAD URL("ftp://h/"), 0, "config.value", 9, 10,
	  "the scheme must be https://" },
	{ "url_uppercase_scheme", HEAD URL("HTTPS://h/"), 0, "config.value", 9, 10, NULL },
	{ "url_userinfo", HEAD URL("https://gw:secret@h/v1"), 0, "config.value", 9, 10,
	  "user information" },
	{ "url_fragment", HEAD URL("https://h/v1#top"), 0, "config.value", 9, 10, "fragment" },
	{ "url_space", HEAD URL("'https://h/a b'"), 0, "config.value", 9, 10, "escaped" },
	{ "url_bad_escape", HEAD URL("https://h/a%zz"), 0, "config.value", 9, 10, "escape" },
	{ "url_no_host", HEAD URL("https:///v1"), 0, "config.value", 9, 10, "the host is missing" },
	{ "url_bad_port", HEAD URL("https://h:99999/v1"), 0, "config.value", 9, 10,
	  "from 1 to 65535" },
	{ "url_bad_host", HEAD URL("https://-h-/v1"), 0, "config.value", 9, 10, NULL },
	{ "client_bad_domain", HEAD TLS "  clients:\n    gw: \"police dept\"\n", 0, "config.value",
	  12, 9,
	  "the domain of client 'gw' must be a name of letters, digits, '.', '_' and '-', found "
	  "'police dept'" },
	{ "client_cn_control", HEAD TLS "  clients:\n    \"a\\tb\": police\n", 0, "config.value",
	  12, 5, "no control characters, found 'a?b'" },
	{ "client_cn_empty", HEAD TLS "  clients:\n    '': police\n", 0, "config.value", 12, 5,
	  "must not be empty" },
	{ "client_cn_too_long", HEAD TLS "  clients:\n    "
	  "a123456789b123456789c123456789d123456789e123456789f123456789g1234: police\n", 0,
	  "config.value", 12, 5, "at most 64 bytes" },
	{ "forward_bad_domain", HEAD "forward:\n  \"cus toms\":\n    url: https://h\n", 0,
	  "config.value", 7, 3, "a destination domain of 'forward' must be a name" },
	{ "path_empty", "sluiced: 1\npolicy: \"\"\n", 0, "config.value", 2, 9,
	  "'policy' must not be empty" },
	{ "path_control", "sluiced: 1\npolicy: \"a\\nb\"\n", 0, "config.value", 2, 9,
	  "'policy' must not contain control characters" },
	{ "path_c1_control", HEAD TLS "  crl: \"a\\u009bb\"\n", 0, "config.value", 11, 8,
	  "'crl' must not contain control characters" },
	{ "nul_in_scalar", "sluiced: 1\npolicy: \"a\\0b\"\n", 0, "config.value", 2, 9, "NUL" },

	/* config.missing-key */
	{ "missing_format", "policy: p\nsigning-key: k\naudit-log: a\nspool: s\n", 0,
	  "config.missing-key", 1, 1, "missing required key 'sluiced' in the configuration" },
	{ "missing_policy", "sluiced: 1\nsigning-key: k\naudit-log: a\nspool: s\n", 0,
	  "config.missing-key", 1, 1, "missing required key 'policy'" },
	{ "missing_spool", "sluiced: 1\npolicy: p\nsigning-key: k\naudit-log: a\n", 0,
	  "config.missing-key", 1, 1, "'spool'" },
	{ "missing_listen", HEAD "tls:\n  certificate: c\n  key: k\n  client-ca: ca\n", 0,
	  "config.missing-key", 7, 3, "missing required key 'listen' in 'tls'" },
	{ "missing_client_ca", HEAD "tls: {listen: 'a:1', certificate: c, key: k}\n", 0,
	  "config.missing-key", 6, 6, "'client-ca' in 'tls'" },
	{ "missing_url", HEAD "forward:\n  customs:\n    ca: ca\n    certificate: c\n    key: k\n",
	  0, "config.missing-key", 8, 5, "missing required key 'url' in forward 'customs'" },
	{ "missing_forward_key", HEAD "forward:\n  customs: {url: 'https://h', ca: a, certificate: c}\n",
	  0, "config.missing-key", 7, 12, "'key' in forward 'customs'" },
	{ "empty_file", "", 0, "config.missing-key", 1, 1,
	  "the configuration is empty: 'sluiced', 'policy', 'signing-key', 'audit-log' and "
	  "'spool' are required" },
	{ "comments_only", "# nothing\n\n# here\n", 0, "config.missing-key", 1, 1, "empty" },
	{ "empty_document", "---\n", 0, "config.missing-key", 2, 1, "empty" },

	/* config.syntax */
	{ "unclosed_flow_mapping", HEAD "tls: {listen: 'a:1'\n", 0, "config.syntax", 7, 1, NULL },
	{ "tab_indent", "sluiced: 1\n\tpolicy: p\n", 0, "config.syntax", 2, 1, NULL },
	{ "unquoted_ipv6_listen", HEAD LISTEN("[::1]:8443"), 0, "config.syntax", 7, 12, NULL },
	{ "two_documents", HEAD "---\nsluiced: 1\n", 0, "config.syntax", 6, 1,
	  "a configuration is one YAML document, found a second one" },
	{ "invalid_utf8", "sluiced: 1\npolicy: \xff\n", 0, "config.syntax", 2, 9, "invalid text" },
	{ "nul_byte", "sluiced: 1\0\n", 12, "config.syntax", 1, 11, NULL },

	/* audit-syslog: line 6, `target:` on line 7 with its value at column 11 */
	{ "syslog_bad_scheme", HEAD "audit-syslog:\n  target: https://siem:514\n", 0,
	  "config.value", 7, 11, "'target' must be udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH" },
	{ "syslog_no_port", HEAD "audit-syslog:\n  target: udp://siem.example\n", 0,
	  "config.value", 7, 11, "the port is missing" },
	{ "syslog_bad_port", HEAD "audit-syslog:\n  target: tcp://siem:0\n", 0, "config.value",
	  7, 11, "1 to 65535" },
	{ "syslog_ipv6_without_brackets", HEAD "audit-syslog:\n  target: udp://::1:514\n", 0,
	  "config.value", 7, 11, "in brackets" },
	{ "syslog_relative_unix", HEAD "audit-syslog:\n  target: unix:dev/log\n", 0,
	  "config.value", 7, 11, "absolute socket path" },
	{ "syslog_unix_too_long", HEAD "audit-syslog:\n  target: unix:/" NEST20 NEST20 NEST20 "\n",
	  0, "config.value", 7, 11, "at most 107 bytes" },
	{ "syslog_unknown_facility", HEAD "audit-syslog:\n  target: unix:/dev/log\n"
	  "  facility: local8\n", 0, "config.value", 8, 13, "found 'local8'" },
	{ "syslog_no_target", HEAD "audit-syslog:\n  facility: local0\n", 0, "config.missing-key",
	  7, 3, "missing required key 'target' in 'audit-syslog'" },
	{ "syslog_unknown_key", HEAD "audit-syslog:\n  target: unix:/dev/log\n  tls: yes\n", 0,
	  "config.unknown-key", 8, 3, "(allowed: target, facility)" },
	{ "syslog_scalar", HEAD "audit-syslog: udp://siem:514\n", 0, "config.type", 6, 15, NULL },

	/* audit-relp: line 6, `host:` on line 7 with its value at column 9 */
#define RELP_REST "  port: 2514\n  ca: ca.pem\n  certificate: c.pem\n  key: c.key\n"
	{ "relp_host_with_port", HEAD "audit-relp:\n  host: siem:2514\n" RELP_REST, 0,
	  "config.value", 7, 9, "the port goes under 'port'" },
	{ "relp_host_bracketed", HEAD "audit-relp:\n  host: '[::1]'\n" RELP_REST, 0,
	  "config.value", 7, 9, "IPv6 without brackets" },
	{ "relp_host_bad", HEAD "audit-relp:\n  host: 'siem example'\n" RELP_REST, 0,
	  "config.value", 7, 9, "not an IP address or a host name" },
	{ "relp_port_zero", HEAD "audit-relp:\n  host: siem\n  port: 0\n  ca: ca.pem\n"
	  "  certificate: c.pem\n  key: c.key\n", 0, "config.value", 8, 9, NULL },
	{ "relp_port_text", HEAD "audit-relp:\n  host: siem\n  port: relp\n  ca: ca.pem\n"
	  "  certificate: c.pem\n  key: c.key\n", 0, "config.type", 8, 9, NULL },
	{ "relp_no_ca", HEAD "audit-relp:\n  host: siem\n  port: 2514\n  certificate: c.pem\n"
	  "  key: c.key\n", 0, "config.missing-key", 7, 3,
	  "missing required key 'ca' in 'audit-relp'" },
	{ "relp_unknown_key", HEAD "audit-relp:\n  host: siem\n" RELP_REST "  window: 8\n", 0,
	  "config.unknown-key", 12, 3, "(allowed: host, port, ca, certificate, key)" },
	{ "relp_duplicate_key", HEAD "audit-relp:\n  host: siem\n  host: siem2\n" RELP_REST, 0,
	  "config.duplicate-key", 8, 3, NULL },
	{ "relp_scalar", HEAD "audit-relp: relp://siem:2514\n", 0, "config.type", 6, 13, NULL },
#undef RELP_REST

	/* config.depth */
	{ "nesting_too_deep", HEAD "forward: " NEST20 "\n", 0, "config.depth", 6, 25,
	  "nesting deeper than 16 levels" },
	/* rabbitmq (issue 9): lines 6-8, the url's value at line 8, column 10 */
	{ "rabbitmq_amqps", HEAD MQ("amqps://127.0.0.1/"), 0, "config.value", 8, 10,
	  "amqps:// is not supported yet" },
	{ "rabbitmq_http", HEAD MQ("https://127.0.0.1/"), 0, "config.value", 8, 10,
	  "the scheme must be amqp://" },
	{ "rabbitmq_userinfo", HEAD MQ("amqp://u:p@127.0.0.1/"), 0, "config.value", 8, 10,
	  "name a 'credentials' file" },
	{ "rabbitmq_query", HEAD MQ("amqp://127.0.0.1/?heartbeat=5"), 0, "config.value", 8, 10,
	  "a query ('?') is not allowed" },
	{ "rabbitmq_two_segments", HEAD MQ("amqp://127.0.0.1/a/b"), 0, "config.value", 8, 10,
	  "one path segment" },
	{ "rabbitmq_nul_vhost", HEAD MQ("amqp://127.0.0.1/a%00b"), 0, "config.value", 8, 10,
	  "control characters" },
	{ "rabbitmq_bad_port", HEAD MQ("amqp://127.0.0.1:0/"), 0, "config.value", 8, 10, NULL },
	{ "rabbitmq_no_credentials", HEAD "rabbitmq:\n  police:\n    url: amqp://h/\n", 0,
	  "config.missing-key", 8, 5, "credentials" },
	{ "rabbitmq_amq_exchange", HEAD MQ("amqp://h/") "    exchange: amq.direct\n", 0,
	  "config.value", 10, 15, "not starting with 'amq.'" },
	{ "rabbitmq_space_exchange", HEAD MQ("amqp://h/") "    exchange: a b\n", 0,
	  "config.value", 10, 15, NULL },
	{ "rabbitmq_and_forward", HEAD MQ("amqp://h/") "forward:\n  police:\n    url: https://h/\n"
	  "    ca: a\n    certificate: c\n    key: k\n", 0, "config.value", 7, 1, "one transport" },
	{ "rabbitmq_bad_domain", HEAD "rabbitmq:\n  'a b':\n    url: amqp://h/\n", 0,
	  "config.value", 7, 3, NULL },
};

#define NFAIL (sizeof(fail_cases) / sizeof(fail_cases[0]))

static void run_fail_case(void **state)
{
	const struct fail_case *c = *state;
	struct sluice_error err;
	struct sluiced_config *cfg = NULL;
	size_t len = c->len != 0 ? c->len : strlen(c->yaml);

	sluice_error_clear(&err);
	enum sluice_rc rc = sluiced_config_load_buffer("inline.yaml", (const uint8_t *)c->yaml, len,
	                                               "/srv/gw", &cfg, &err);
	if (getenv("SLUICE_TEST_VERBOSE") != NULL || rc != SLUICE_ERR_POLICY ||
	    strcmp(err.rule, c->rule) != 0 || err.line != c->line || err.column != c->column ||
	    (c->needle != NULL && strstr(err.message, c->needle) == NULL))
		print_error("%s: got rc %d, %s:%u:%u: %s [%s]\n", c->name, (int)rc, err.file, err.line,
		            err.column, err.message, err.rule);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_null(cfg);
	assert_string_equal(err.rule, c->rule);
	assert_string_equal(err.file, "inline.yaml");
	assert_int_equal(err.line, c->line);
	assert_int_equal(err.column, c->column);
	if (c->needle != NULL)
		assert_non_null(strstr(err.message, c->needle));
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_full_example),
	cmocka_unit_test(test_minimal_defaults),
	cmocka_unit_test(test_several_clients_and_forwards),
	cmocka_unit_test(test_relative_config_path),
	cmocka_unit_test(test_buffer_base_dir),
	cmocka_unit_test(test_binding_key_and_cert),
	cmocka_unit_test(test_listen_forms),
	cmocka_unit_test(test_url_forms),
	cmocka_unit_test(test_rabbitmq_forms),
	cmocka_unit_test(test_audit_syslog_forms),
	cmocka_unit_test(test_audit_relp_forms),
	cmocka_unit_test(test_plain_scalars_are_strings),
	cmocka_unit_test(test_permissions_owner_only_ok),
	cmocka_unit_test(test_free_null),
	cmocka_unit_test(test_permissions_world_writable),
	cmocka_unit_test(test_permissions_group_writable),
	cmocka_unit_test(test_unreadable),
	cmocka_unit_test(test_too_large),
};

int main(void)
{
	const char *fixtures = getenv("SLUICE_FIXTURES");
	size_t nfixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
	struct CMUnitTest *tests;
	int failed;

	if (fixtures == NULL || fixtures[0] != '/') {
		fprintf(stderr, "test_config: set SLUICE_FIXTURES to the absolute path of "
		                "tests/fixtures\n");
		return 1;
	}
	snprintf(fixtures_dir, sizeof(fixtures_dir), "%s", fixtures);
	snprintf(config_dir, sizeof(config_dir), "%s/config", fixtures);

	tests = xcalloc(nfixed + NFAIL, sizeof(*tests));
	memcpy(tests, fixed_tests, sizeof(fixed_tests));
	for (size_t i = 0; i < NFAIL; i++) {
		tests[nfixed + i].name = fail_cases[i].name;
		tests[nfixed + i].test_func = run_fail_case;
		tests[nfixed + i].initial_state = &fail_cases[i];
	}
	failed = _cmocka_run_group_tests("config", tests, nfixed + NFAIL, NULL, NULL);
	free(tests);
	return failed;
}
