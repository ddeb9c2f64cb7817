/*
 * The RabbitMQ transport's pieces that need no broker (gateway/forward_amqp.h): the credentials
 * file's form, and what the supervisor refuses before the forwarder starts. The broker itself is
 * met in tests/cli/test_daemon_rabbitmq.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "forward_amqp.h"
#include "tmpdir.h"

static int parse(const char *text, char **user, char **password, char *why, size_t whylen)
{
	return amqp_credentials_parse(text, strlen(text), user, password, why, whylen);
}

static void test_credentials_ok(void **state)
{
	(void)state;
	static const char *const good[][3] = {
		{ "guest:guest\n", "guest", "guest" },
		{ "sluice:pa:ss:word", "sluice", "pa:ss:word" },
		{ "u:p\r\n", "u", "p" },
		{ "gateway-7:  spaced  ", "gateway-7", "  spaced  " },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *user = NULL, *password = NULL, why[256] = "";
		assert_int_equal(parse(good[i][0], &user, &password, why, sizeof(why)), 0);
		assert_string_equal(user, good[i][1]);
		assert_string_equal(password, good[i][2]);
		free(user);
		free(password);
	}
}

static void test_credentials_refused(void **state)
{
	(void)state;
	char long_user[300];
	memset(long_user, 'u', 256);
	strcpy(long_user + 256, ":p");
	const char *const bad[] = {
		"", "\n", "guest", "guest\n", ":password", "user:", "user:\n", "us\ter:p",
		"user:pass\nword", "user:pass\n\n", "u:p\x7f", long_user,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *user = (char *)"x", *password = (char *)"y", why[256] = "";
		assert_int_equal(parse(bad[i], &user, &password, why, sizeof(why)), -1);
		assert_null(user);
		assert_null(password);
		assert_true(strlen(why) > 0);
	}
}

/* The supervisor's side: the file must exist, be private and well formed; the host must
 * resolve. Each refusal names its rule and the configuration's line. */
static void test_target_load(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	struct sluice_error err;
	struct amqp_target t;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/forward-amqp.XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.amqp", dir);
	struct sluiced_rabbitmq cfg = {
		.domain = (char *)"police", .url = (char *)"amqp://127.0.0.1/",
		.host = (char *)"127.0.0.1", .port = 5672, .vhost = (char *)"/",
		.exchange = (char *)"sluice.police", .credentials = path, .line = 12,
	};
	/* missing */
	assert_int_equal(amqp_target_load(&cfg, "g.yaml", &t, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "config.rabbitmq");
	assert_int_equal(err.line, 12);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("sluice:secret\n", f);
	fclose(f);
	/* readable by others */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(amqp_target_load(&cfg, "g.yaml", &t, &err), SLUICE_ERR_POLICY);
	assert_non_null(strstr(err.message, "readable or writable by others"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(amqp_target_load(&cfg, "g.yaml", &t, &err), SLUICE_OK);
	assert_string_equal(t.user, "sluice");
	assert_string_equal(t.password, "secret");
	assert_int_equal(t.naddr, 1);
	amqp_target_free(&t);
	assert_null(t.password);
	/* a host that does not resolve */
	cfg.host = (char *)"no-such-host.invalid";
	assert_int_equal(amqp_target_load(&cfg, "g.yaml", &t, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "config.rabbitmq-resolve");
	assert_null(t.user);
	amqp_target_free(NULL);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials_ok),
		cmocka_unit_test(test_credentials_refused),
		cmocka_unit_test(test_target_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
