/*
 * The strict policy loader (policy/policy_load.c): SPEC section 4, STYLE.md 12.
 *
 * Success cases load fixtures from tests/fixtures/policy/ (found through SLUICE_FIXTURES) and
 * check every field. Failure cases are a table of small inline policies, each run as its own
 * cmocka test that asserts SLUICE_ERR_POLICY, the rule and the exact line and column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fileio.h"
#include "policy.h"
#include "spif.h"
#include "stanag4774.h"

static char policy_dir[1024]; /* $SLUICE_FIXTURES/policy */

static char *fixture(const char *rel)
{
	return path_join(policy_dir, rel);
}

static struct policy *load_fixture_ok(const char *rel)
{
	struct sluice_error err;
	struct policy *p = NULL;
	char *path = fixture(rel);

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_load(path, &p, &err);
	if (rc != SLUICE_OK)
		print_error("%s:%u:%u: %s [%s]\n", err.file, err.line, err.column, err.message,
		            err.rule);
	assert_int_equal(rc, SLUICE_OK);
	assert_non_null(p);
	assert_string_equal(p->path, path);
	free(path);
	return p;
}

static struct policy *load_text_ok(const char *text, const char *base_dir)
{
	struct sluice_error err;
	struct policy *p = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_load_buffer("inline.yaml", (const uint8_t *)text, strlen(text),
	                                       base_dir, &p, &err);
	if (rc != SLUICE_OK)
		print_error("%s:%u:%u: %s [%s]\n", err.file, err.line, err.column, err.message,
		            err.rule);
	assert_int_equal(rc, SLUICE_OK);
	assert_non_null(p);
	return p;
}

static void assert_strset(const struct strset *s, const char *const *values, size_t n)
{
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++)
		assert_true(strset_contains(s, values[i]));
}

static void assert_words(const struct policy_wordlist *wl, const char *path,
                         const char *const *words, size_t n)
{
	assert_string_equal(wl->path, path);
	assert_int_equal(wl->nwords, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(wl->words[i], words[i]);
}

/* A temporary folder for files a test writes; removed by rm_tmpdir. */
static char *make_tmpdir(void)
{
	char *dir = xstrdup("/tmp/sluice-test-policy-XXXXXX");
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

/* ---------------------------------------------------------------------------------------- */
/* Success                                                                                  */

static void test_full_policy(void **state)
{
	(void)state;
	struct policy *p = load_fixture_ok("full.yaml");
	char *schema = fixture("schemas/report.xsd");

	assert_string_equal(p->id, "full.test_policy-2");
	assert_int_equal(p->version, 42);
	assert_string_equal(p->profile, "ism");
	assert_string_equal(p->schema_path, schema);
	free(schema);
	assert_int_equal(p->limits.max_bytes, 512 * 1024);
	assert_int_equal(p->limits.max_depth, 100);
	assert_int_equal(p->limits.max_nodes, 5000);

	assert_int_equal(p->ncaveats, 5);
	static const char *const usa[] = { "USA" }, *const les_usa[] = { "LES", "USA" };
	assert_string_equal(p->caveats[0].token, "NF");
	assert_int_equal(p->caveats[0].action, CAVEAT_REQUIRES);
	assert_strset(&p->caveats[0].requires, usa, 1);
	assert_int_equal(p->caveats[0].line, 12);
	assert_string_equal(p->caveats[1].token, "LES");
	assert_int_equal(p->caveats[1].action, CAVEAT_REQUIRES);
	assert_strset(&p->caveats[1].requires, les_usa, 2);
	assert_int_equal(p->caveats[1].line, 13);
	assert_string_equal(p->caveats[2].token, "OC");
	assert_int_equal(p->caveats[2].action, CAVEAT_REFUSE);
	assert_int_equal(p->caveats[2].requires.n, 0);
	assert_int_equal(p->caveats[2].line, 15);
	assert_string_equal(p->caveats[3].token, "PROPIN");
	assert_int_equal(p->caveats[3].action, CAVEAT_WITHHOLD);
	assert_int_equal(p->caveats[3].line, 16);
	assert_string_equal(p->caveats[4].token, "REL");
	assert_int_equal(p->caveats[4].action, CAVEAT_INFORMATIVE);
	assert_int_equal(p->caveats[4].requires.n, 0);
	assert_int_equal(p->caveats[4].line, 17);

	assert_int_equal(p->ndomains, 4);
	assert_string_equal(p->domains[0].name, "police");
	assert_int_equal(p->domains[0].clearance, 3); /* S */
	assert_strset(&p->domains[0].holds, les_usa, 2);
	assert_int_equal(p->domains[0].line, 19);
	assert_string_equal(p->domains[1].name, "intel");
	assert_int_equal(p->domains[1].clearance, 4); /* TS */
	assert_strset(&p->domains[1].holds, usa, 1);
	assert_int_equal(p->domains[1].line, 20);
	assert_string_equal(p->domains[2].name, "customs");
	assert_int_equal(p->domains[2].clearance, 2); /* C */
	assert_strset(&p->domains[2].holds, les_usa, 2);
	assert_int_equal(p->domains[2].line, 24);
	assert_string_equal(p->domains[3].name, "partner-fra");
	assert_int_equal(p->domains[3].clearance, 0); /* U */
	assert_int_equal(p->domains[3].holds.n, 0);
	assert_int_equal(p->domains[3].line, 25);

	assert_int_equal(p->nflows, 3);
	const struct policy_flow *f = &p->flows[0];
	assert_string_equal(f->from, "intel");
	assert_int_equal(f->nto, 2);
	assert_string_equal(f->to[0], "police");
	assert_string_equal(f->to[1], "customs");
	assert_int_equal(f->portions, PORTIONS_REDACT);
	assert_int_equal(f->marker, MARKER_NONE);
	assert_int_equal(f->line, 27);
	assert_int_equal(f->nwordlists, 2);
	static const char *const sources[] = { "HUMINT source", "SIGINT", "asset CASTLE" };
	static const char *const extra[] = { "Operation Nightjar", "OP-1234" };
	assert_words(&f->wordlists[0], "lists/sources-and-methods.txt", sources, 3);
	assert_words(&f->wordlists[1], "lists/extra-words.txt", extra, 2);
	assert_int_equal(f->npatterns, 5);
	static const struct {
		enum pattern_kind kind;
		const char *name;
	} patterns[] = {
		{ PATTERN_EMAIL, "email" }, { PATTERN_PHONE, "phone" },
		{ PATTERN_PASSPORT, "passport" }, { PATTERN_IBAN, "iban" },
		{ PATTERN_CUSTOM, "operation-number" },
	};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(f->patterns[i].kind, patterns[i].kind);
		assert_string_equal(f->patterns[i].name, patterns[i].name);
		if (i < 4)
			assert_null(f->patterns[i].regex);
	}
	assert_string_equal(f->patterns[4].regex, "OP-[0-9]{4}");
	assert_string_equal(f->replace_with, "[WITHHELD]");

	f = &p->flows[1];
	assert_string_equal(f->from, "police");
	assert_int_equal(f->nto, 1);
	assert_string_equal(f->to[0], "partner-fra");
	assert_int_equal(f->portions, PORTIONS_REFUSE);
	assert_int_equal(f->marker, MARKER_WITHHELD);
	assert_int_equal(f->nwordlists, 0);
	assert_int_equal(f->npatterns, 0);
	assert_string_equal(f->replace_with, "[REDACTED]");
	assert_int_equal(f->line, 40);

	/* Every default of a flow: fail closed. */
	f = &p->flows[2];
	assert_string_equal(f->from, "customs");
	assert_int_equal(f->nto, 1);
	assert_string_equal(f->to[0], "police");
	assert_int_equal(f->portions, PORTIONS_REFUSE);
	assert_int_equal(f->marker, MARKER_WITHHELD);
	assert_null(f->wordlists);
	assert_int_equal(f->nwordlists, 0);
	assert_null(f->patterns);
	assert_int_equal(f->npatterns, 0);
	assert_string_equal(f->replace_with, "[REDACTED]");
	assert_int_equal(f->line, 44);

	assert_int_equal(strlen(p->sha256_hex), 64);
	policy_free(p);
}

static void test_spec_example(void **state)
{
	(void)state;
	struct policy *p = load_fixture_ok("spec-example.yaml");

	assert_string_equal(p->id, "fusion-cell");
	assert_int_equal(p->version, 7);
	assert_string_equal(p->profile, "ism");
	assert_non_null(p->schema_path);
	assert_int_equal(p->limits.max_bytes, 4 * 1024 * 1024);
	assert_int_equal(p->limits.max_depth, 64);
	assert_int_equal(p->limits.max_nodes, 200000);
	assert_int_equal(p->ncaveats, 5);
	assert_int_equal(p->ndomains, 4);
	assert_int_equal(p->nflows, 2);

	const struct policy_flow *f = policy_flow_find(p, "intel", "customs");
	assert_ptr_equal(f, &p->flows[0]);
	assert_ptr_equal(policy_flow_find(p, "intel", "police"), f);
	assert_int_equal(f->portions, PORTIONS_REDACT);
	assert_int_equal(f->marker, MARKER_WITHHELD);
	assert_int_equal(f->nwordlists, 1);
	assert_int_equal(f->wordlists[0].nwords, 3);
	assert_int_equal(f->npatterns, 4);
	assert_string_equal(f->replace_with, "[REDACTED]");

	f = policy_flow_find(p, "police", "partner-fra");
	assert_ptr_equal(f, &p->flows[1]);
	assert_int_equal(f->portions, PORTIONS_REFUSE);
	assert_int_equal(f->marker, MARKER_WITHHELD);
	/* Default deny: no flow back, none between partners not named. */
	assert_null(policy_flow_find(p, "partner-fra", "police"));
	assert_null(policy_flow_find(p, "customs", "intel"));
	assert_null(policy_flow_find(p, "police", "customs"));
	policy_free(p);
}

static void test_minimal_defaults(void **state)
{
	(void)state;
	struct policy *p = load_fixture_ok("minimal.yaml");

	assert_string_equal(p->id, "minimal");
	assert_int_equal(p->version, 0);
	assert_null(p->schema_path);
	assert_int_equal(p->limits.max_bytes, 4 * 1024 * 1024);
	assert_int_equal(p->limits.max_depth, 64);
	assert_int_equal(p->limits.max_nodes, 200000);
	assert_int_equal(p->ncaveats, 0);
	assert_int_equal(p->ndomains, 1);
	assert_int_equal(p->domains[0].clearance, 0);
	assert_int_equal(p->domains[0].holds.n, 0);
	assert_int_equal(p->nflows, 0);
	assert_null(policy_flow_find(p, "left", "left"));
	policy_free(p);
}

/* One policy, three profiles: ism by default, a TLP domain, and STANAG 4774 domains under two
 * SPIFs whose clearances and holds resolve against their own SPIF. */
static void test_mixed_profiles(void **state)
{
	(void)state;
	struct policy *p = load_text_ok(
		"sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
		"scheme: {spif: ../stanag4774/example-spif.xml}\n"
		"schemes:\n  other: {spif: ../stanag4774/other-spif.xml}\n"
		"domains:\n"
		"  police: {clearance: S, holds: [USA]}\n"
		"  cert: {profile: tlp, clearance: AMBER, organisation: cert}\n"
		"  hq: {profile: stanag4774, clearance: CONFIDENTIAL,\n"
		"       holds: ['Releasable To: ALPHA', 'special handling: keystone']}\n"
		"  partner: {profile: stanag4774, scheme: other, clearance: CLOSED,\n"
		"            holds: ['Audience: A']}\n"
		"flows:\n  - {from: hq, to: partner}\n",
		policy_dir);
	const struct policy_domain *police = policy_domain_find(p, "police");
	const struct policy_domain *cert = policy_domain_find(p, "cert");
	const struct policy_domain *hq = policy_domain_find(p, "hq");
	const struct policy_domain *partner = policy_domain_find(p, "partner");
	assert_int_equal(p->nschemes, 2);
	assert_string_equal(police->profile, "ism");
	assert_null(police->spif_scheme);
	assert_string_equal(cert->profile, "tlp");
	assert_string_equal(cert->scheme->names[cert->clearance], "AMBER");
	assert_string_equal(hq->profile, "stanag4774");
	assert_ptr_equal(hq->spif_scheme, policy_scheme_find(p, ""));
	assert_string_equal(hq->scheme->names[hq->clearance], "CONFIDENTIAL");
	/* CONFIDENTIAL covers everything up to it, not SECRET. */
	const struct spif *ex = hq->spif_scheme->spif;
	assert_true(hq->spif_clearance->levels[spif_class_by_name(ex, "PUBLIC")->level]);
	assert_true(hq->spif_clearance->levels[spif_class_by_name(ex, "CONFIDENTIAL")->level]);
	assert_false(hq->spif_clearance->levels[spif_class_by_name(ex, "SECRET")->level]);
	assert_int_equal(hq->spif_clearance->ncats, 2);
	assert_string_equal(hq->spif_clearance->cats[0]->name, "ALPHA");
	assert_string_equal(hq->spif_clearance->cats[1]->name, "KEYSTONE");
	assert_ptr_equal(partner->spif_scheme, policy_scheme_find(p, "other"));
	assert_string_equal(partner->spif_scheme->spif->policy_name, "OTHER");
	assert_string_equal(partner->scheme->names[partner->clearance], "CLOSED");
	assert_int_equal(strlen(p->schemes[1].sha256_hex), 64);
	policy_free(p);
}

static void test_find_functions(void **state)
{
	(void)state;
	struct policy *p = load_text_ok("sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                                "caveats: {OC: {action: refuse}, REL: {}}\n"
	                                "domains: {a: {clearance: U}, b: {clearance: R},\n"
	                                "          c: {clearance: C}, d: {clearance: TS}}\n"
	                                "flows:\n"
	                                "  - {from: a, to: [b, c]}\n"
	                                "  - {from: b, to: a, portions: redact}\n",
	                                NULL);

	assert_ptr_equal(policy_flow_find(p, "a", "b"), &p->flows[0]);
	assert_ptr_equal(policy_flow_find(p, "a", "c"), &p->flows[0]);
	assert_ptr_equal(policy_flow_find(p, "b", "a"), &p->flows[1]);
	assert_null(policy_flow_find(p, "a", "d"));
	assert_null(policy_flow_find(p, "c", "a"));
	assert_null(policy_flow_find(p, "a", "a"));
	assert_null(policy_flow_find(p, "x", "y"));
	assert_null(policy_flow_find(p, NULL, "b"));
	assert_null(policy_flow_find(NULL, "a", "b"));

	assert_int_equal(policy_domain_find(p, "d")->clearance, 4);
	assert_ptr_equal(policy_domain_find(p, "a"), &p->domains[0]);
	assert_null(policy_domain_find(p, "e"));
	assert_int_equal(policy_caveat_find(p, "OC")->action, CAVEAT_REFUSE);
	assert_int_equal(policy_caveat_find(p, "REL")->action, CAVEAT_INFORMATIVE);
	assert_null(policy_caveat_find(p, "NF"));
	policy_free(p);
	policy_free(NULL);
}

static void test_empty_flows_deny_everything(void **state)
{
	(void)state;
	struct policy *p = load_text_ok("sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                                "domains: {a: {clearance: U}, b: {clearance: U}}\n"
	                                "flows: []\n",
	                                NULL);
	assert_int_equal(p->nflows, 0);
	assert_null(policy_flow_find(p, "a", "b"));
	assert_null(policy_flow_find(p, "b", "a"));
	policy_free(p);
}

static void test_sha256_of_file_bytes(void **state)
{
	(void)state;
	struct sluice_error err;
	struct policy *p = load_fixture_ok("full.yaml");
	char *path = fixture("full.yaml");
	uint8_t *buf = NULL, md[32];
	size_t len = 0;
	unsigned mdlen = 0;
	char hex[65];

	sluice_error_clear(&err);
	assert_int_equal(file_read_bounded(path, 1 << 20, SLUICE_ERR_POLICY, &buf, &len, &err),
	                 SLUICE_OK);
	assert_int_equal(EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_memory_equal(p->sha256, md, 32);
	hex_encode(md, 32, hex);
	assert_string_equal(p->sha256_hex, hex);
	free(buf);
	free(path);
	policy_free(p);
}

/* Plain scalars are never typed implicitly: NO is Norway, not false. */
static void test_plain_scalars_are_strings(void **state)
{
	(void)state;
	struct policy *p = load_text_ok("sluice-policy: 1\nid: 2024\nversion: 1\nprofile: ism\n"
	                                "domains:\n"
	                                "  a: {clearance: U, holds: [NO, yes, \"quoted\", 1, 'on']}\n"
	                                "  'b': {clearance: \"R\"}\n",
	                                NULL);
	static const char *const holds[] = { "NO", "yes", "quoted", "1", "on" };
	assert_string_equal(p->id, "2024");
	assert_strset(&p->domains[0].holds, holds, 5);
	assert_string_equal(p->domains[1].name, "b");
	assert_int_equal(p->domains[1].clearance, 1);
	policy_free(p);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{ "4194304", 4194304 }, { "1", 1 },     { "100B", 100 },
		{ "1KiB", 1024 },       { "4MiB", 4u << 20 }, { "4 MiB", 4u << 20 },
		{ "1GiB", 1u << 30 },   { "1073741824", 1u << 30 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
		         "limits: {max-bytes: %s, max-depth: 1000, max-nodes: 100000000}\n"
		         "domains: {a: {clearance: U}}\n",
		         sizes[i].text);
		struct policy *p = load_text_ok(text, NULL);
		assert_int_equal(p->limits.max_bytes, sizes[i].bytes);
		assert_int_equal(p->limits.max_depth, 1000);
		assert_int_equal(p->limits.max_nodes, 100000000);
		policy_free(p);
	}
}

/* A byte order mark, CRLF line ends, blanks, tabs and comments in a word list. */
static void test_wordlist_lines(void **state)
{
	(void)state;
	static const char list[] = "\xef\xbb\xbf" "alpha\r\n  beta gamma \t\r\n#c\r\n\r\n"
	                           "\tdelta\n   # not a word\n\xc3\xa9t\xc3\xa9";
	static const char *const words[] = { "alpha", "beta gamma", "delta", "\xc3\xa9t\xc3\xa9" };
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "words.txt", list, sizeof(list) - 1, 0644);
	struct policy *p = load_text_ok("sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                                "domains: {a: {clearance: U}, b: {clearance: U}}\n"
	                                "flows: [{from: a, to: b, redact: {words: [words.txt]}}]\n",
	                                dir);
	assert_words(&p->flows[0].wordlists[0], "words.txt", words, 4);
	policy_free(p);
	rm_tmpdir(dir, files, 1);
}

static const char minimal_policy[] = "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
                                     "domains: {a: {clearance: U}}\n";

static void test_permissions_owner_only_ok(void **state)
{
	(void)state;
	struct sluice_error err;
	struct policy *p = NULL;
	char *dir = make_tmpdir();
	char *files[2];

	sluice_error_clear(&err);
	files[0] = write_file(dir, "a.yaml", minimal_policy, strlen(minimal_policy), 0644);
	files[1] = write_file(dir, "b.yaml", minimal_policy, strlen(minimal_policy), 0400);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(policy_load(files[i], &p, &err), SLUICE_OK);
		assert_string_equal(p->id, "t");
		policy_free(p);
	}
	rm_tmpdir(dir, files, 2);
}

/* ---------------------------------------------------------------------------------------- */
/* Failures of the file itself                                                              */

static void expect_file_failure(const char *path, const char *rule)
{
	struct sluice_error err;
	struct policy *p = (struct policy *)&err; /* must be reset to NULL */

	sluice_error_clear(&err);
	assert_int_equal(policy_load(path, &p, &err), SLUICE_ERR_POLICY);
	assert_null(p);
	assert_string_equal(err.rule, rule);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 0);
	assert_int_equal(sluice_rc_exit_code(err.rc), 78);
}

static void test_permissions_world_writable(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "p.yaml", minimal_policy, strlen(minimal_policy), 0666);
	expect_file_failure(files[0], "policy.permissions");
	rm_tmpdir(dir, files, 1);
}

static void test_permissions_group_writable(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *files[1];

	files[0] = write_file(dir, "p.yaml", minimal_policy, strlen(minimal_policy), 0620);
	expect_file_failure(files[0], "policy.permissions");
	rm_tmpdir(dir, files, 1);
}

/* A word list or schema that others may change is as dangerous as a writable policy. */
static void test_permissions_writable_inputs(void **state)
{
	(void)state;
	struct sluice_error err;
	struct policy *p = NULL;
	char *dir = make_tmpdir();
	char *files[3];
	char path[1024];

	files[0] = write_file(dir, "words.txt", "alpha\n", 6, 0666);
	files[1] = write_file(dir, "r.xsd", "<x/>", 4, 0664);
	static const char with_list[] = "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                                "domains: {a: {clearance: U}, b: {clearance: U}}\n"
	                                "flows: [{from: a, to: b, redact: {words: [words.txt]}}]\n";
	files[2] = write_file(dir, "p.yaml", with_list, strlen(with_list), 0644);
	sluice_error_clear(&err);
	assert_int_equal(policy_load(files[2], &p, &err), SLUICE_ERR_POLICY);
	assert_null(p);
	assert_string_equal(err.rule, "policy.list-file");
	assert_int_equal(err.line, 6);
	assert_non_null(strstr(err.message, "writable by group or others"));
	unlink(files[2]);
	free(files[2]);
	static const char with_schema[] = "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                                  "schema: r.xsd\ndomains: {a: {clearance: U}}\n";
	files[2] = write_file(dir, "p.yaml", with_schema, strlen(with_schema), 0644);
	assert_int_equal(policy_load(files[2], &p, &err), SLUICE_ERR_POLICY);
	assert_string_equal(err.rule, "policy.permissions");
	assert_int_equal(err.line, 5);
	snprintf(path, sizeof(path), "%s", files[1]);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(policy_load(files[2], &p, &err), SLUICE_OK);
	policy_free(p);
	rm_tmpdir(dir, files, 3);
}

static void sha256_text(const char *text, char hex[65])
{
	uint8_t md[32];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The bundle digest covers the word lists: editing one changes it, not the file digest; and it
 * is exactly the documented text's SHA-256, so oversight can recompute it. */
static void test_bundle_digest_covers_word_lists(void **state)
{
	(void)state;
	struct sluice_error err;
	struct policy *p = NULL;
	char *dir = make_tmpdir();
	char *files[2];
	static const char text[] = "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
	                           "domains: {a: {clearance: U}, b: {clearance: U}}\n"
	                           "flows: [{from: a, to: b, redact: {words: [w.txt]}}]\n";
	files[0] = write_file(dir, "w.txt", "alpha\n", 6, 0644);
	files[1] = write_file(dir, "p.yaml", text, strlen(text), 0644);
	assert_int_equal(policy_load(files[1], &p, &err), SLUICE_OK);
	char file1[65], bundle1[65], expect[65], list_hex[65], policy_hex[65], doc[512];
	snprintf(file1, sizeof(file1), "%s", p->sha256_hex);
	snprintf(bundle1, sizeof(bundle1), "%s", p->bundle_sha256_hex);
	sha256_text("alpha\n", list_hex);
	sha256_text(text, policy_hex);
	assert_string_equal(p->flows[0].wordlists[0].sha256_hex, list_hex);
	snprintf(doc, sizeof(doc), "sluice-policy-bundle 1\npolicy %s\nwords 0 w.txt %s\n",
	         policy_hex, list_hex);
	sha256_text(doc, expect);
	assert_string_equal(bundle1, expect);
	policy_free(p);
	unlink(files[0]);
	free(files[0]);
	files[0] = write_file(dir, "w.txt", "beta\n", 5, 0644);
	assert_int_equal(policy_load(files[1], &p, &err), SLUICE_OK);
	assert_string_equal(p->sha256_hex, file1);
	assert_string_not_equal(p->bundle_sha256_hex, bundle1);
	policy_free(p);
	rm_tmpdir(dir, files, 2);
}

static void test_unreadable_policy(void **state)
{
	(void)state;
	char *missing = fixture("no-such-policy.yaml");
	char *folder = fixture("lists");

	expect_file_failure(missing, "policy.read");
	expect_file_failure(folder, "policy.read");
	free(missing);
	free(folder);
}

static void test_too_large(void **state)
{
	(void)state;
	struct sluice_error err;
	struct policy *p = NULL;
	size_t len = POLICY_FILE_MAX_BYTES + 1;
	uint8_t *big = xmalloc(len);
	char *dir = make_tmpdir();
	char *files[1];

	memset(big, '#', len);
	sluice_error_clear(&err);
	assert_int_equal(policy_load_buffer("big.yaml", big, len, NULL, &p, &err), SLUICE_ERR_POLICY);
	assert_null(p);
	assert_string_equal(err.rule, "policy.too-large");
	files[0] = write_file(dir, "big.yaml", big, len, 0644);
	expect_file_failure(files[0], "policy.too-large");
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

/* Lines 1-4. */
#define HEAD "sluice-policy: 1\nid: t\nversion: 1\nprofile: ism\n"
/* Lines 5-7. */
#define DOMAINS "domains:\n  a: {clearance: S}\n  b: {clearance: C}\n"
/* Lines 1-10: one flow a -> b whose mapping starts at 9:5; a test adds line 11. */
#define FLOW HEAD DOMAINS "flows:\n  - from: a\n    to: b\n"

/* "é" 2, 5 and 10 times: two bytes each in UTF-8. */
#define E2 "\xc3\xa9\xc3\xa9"
#define E5 E2 E2 "\xc3\xa9"
#define E10 E5 E5

#define NEST20 "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"

#define S4774 "sluice-policy: 1\nid: t\nversion: 1\nprofile: stanag4774\n"
#define SPIF "scheme: {spif: ../stanag4774/example-spif.xml}\n"

static struct fail_case fail_cases[] = {
	/* policy.unknown-key */
	{ "unknown_top_key", HEAD "colour: blue\n" DOMAINS, 0, "policy.unknown-key", 5, 1,
	  "unknown key 'colour' in the policy (allowed: sluice-policy, id, version, profile, scheme, "
	  "schemes, schema, limits, caveats, domains, flows)" },
	{ "unknown_domain_key", HEAD "domains:\n  a: {clearance: S, hold: [USA]}\n", 0,
	  "policy.unknown-key", 6, 21,
	  "'hold' in domain 'a' (allowed: profile, scheme, clearance, holds, organisation, "
	  "communities, clients-of)" },
	{ "unknown_flow_key", FLOW "    portion: redact\n", 0, "policy.unknown-key", 11, 5,
	  "'portion'" },
	{ "unknown_limits_key", HEAD "limits: {max-size: 4MiB}\n" DOMAINS, 0, "policy.unknown-key",
	  5, 10, "(allowed: max-bytes, max-depth, max-nodes)" },
	{ "unknown_caveat_key", HEAD "caveats:\n  NF: {requires: [USA], note: x}\n" DOMAINS, 0,
	  "policy.unknown-key", 6, 25, "(allowed: requires, action)" },
	{ "unknown_redact_key", FLOW "    redact: {words: [], regexes: []}\n", 0,
	  "policy.unknown-key", 11, 25, "(allowed: words, patterns, replace-with)" },
	{ "unknown_key_with_escape", HEAD "\"a\\eb\\u009bc\": 1\n" DOMAINS, 0, "policy.unknown-key", 5,
	  1, "unknown key 'a?b?c' in the policy" },
	{ "unknown_long_key", HEAD "k" "0123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789" ": 1\n" DOMAINS, 0, "policy.unknown-key", 5, 1,
	  "unknown key 'k0123456789012345678901234567890123456789"
	  "01234567890123456789012345678901234...'" },
	{ "unknown_long_utf8_key", HEAD "x" E10 E10 E10 E10 E10 ": 1\n" DOMAINS, 0,
	  "policy.unknown-key", 5, 1, "unknown key 'x" E10 E10 E10 E5 E2 "...'" },
	{ "unknown_pattern_key", FLOW "    redact: {patterns: [{regex: a, name: b, flags: i}]}\n", 0,
	  "policy.unknown-key", 11, 45, "'flags'" },

	/* policy.duplicate-key */
	{ "duplicate_top_key", HEAD "id: again\n" DOMAINS, 0, "policy.duplicate-key", 5, 1,
	  "duplicate key 'id' (first at line 2, again at line 5)" },
	{ "duplicate_domain", HEAD "domains:\n  a: {clearance: S}\n  a: {clearance: U}\n", 0,
	  "policy.duplicate-key", 7, 3, "first at line 6" },
	{ "duplicate_key_in_flow_mapping",
	  HEAD "domains: {a: {clearance: S}, b: {clearance: C, clearance: U}}\n", 0,
	  "policy.duplicate-key", 5, 48, "'clearance'" },
	{ "duplicate_caveat", HEAD "caveats:\n  NF: {}\n  LES: {}\n  NF: {}\n" DOMAINS, 0,
	  "policy.duplicate-key", 8, 3, "first at line 6, again at line 8" },

	/* policy.alias */
	{ "anchor", HEAD "domains:\n  a: &d {clearance: S}\n  b: *d\n", 0, "policy.alias", 6, 6,
	  "anchors" },
	{ "alias", HEAD "domains:\n  a: {clearance: S}\n  b: *d\n", 0, "policy.alias", 7, 6,
	  "aliases" },
	{ "merge_key_alias", HEAD DOMAINS "flows:\n  - {<<: *f, from: a, to: b}\n", 0, "policy.alias",
	  9, 10, NULL },

	/* policy.tag */
	{ "tag_on_scalar", "sluice-policy: 1\nid: !!str t\n", 0, "policy.tag", 2, 5, NULL },
	{ "local_tag_on_mapping", HEAD "domains:\n  a: !dom {clearance: S}\n", 0, "policy.tag", 6, 6,
	  "!dom" },
	{ "tag_on_sequence", HEAD DOMAINS "flows: !!seq []\n", 0, "policy.tag", 8, 8, NULL },
	{ "tag_directive", "%TAG !e! tag:example.com,2024:\n---\n" HEAD DOMAINS, 0, "policy.tag", 1,
	  1, "%TAG" },

	/* policy.type */
	{ "quoted_format", "sluice-policy: \"1\"\n", 0, "policy.type", 1, 16, "quoted string" },
	{ "quoted_version", "sluice-policy: 1\nid: t\nversion: '1'\n", 0, "policy.type", 3, 10,
	  "'version' must be an integer" },
	{ "float_version", "sluice-policy: 1\nid: t\nversion: 1.5\n", 0, "policy.type", 3, 10,
	  "1.5" },
	{ "hex_version", "sluice-policy: 1\nid: t\nversion: 0x10\n", 0, "policy.type", 3, 10, NULL },
	{ "domains_list", HEAD "domains: [a, b]\n", 0, "policy.type", 5, 10,
	  "'domains' must be a mapping, found a list" },
	{ "holds_scalar", HEAD "domains:\n  a: {clearance: S, holds: USA}\n", 0, "policy.type", 6,
	  28, "'holds' must be a list" },
	{ "id_list", "sluice-policy: 1\nid: [x]\n", 0, "policy.type", 2, 5, NULL },
	{ "id_empty", "sluice-policy: 1\nid:\nversion: 1\n", 0, "policy.type", 2, 4,
	  "an empty value" },
	{ "complex_key", HEAD "? [a]\n: x\n" DOMAINS, 0, "policy.type", 5, 3, "key" },
	{ "root_list", "- a\n- b\n", 0, "policy.type", 1, 1, "mapping" },
	{ "flow_scalar", HEAD DOMAINS "flows: [a]\n", 0, "policy.type", 8, 9, NULL },
	{ "flows_mapping", HEAD DOMAINS "flows: {a: b}\n", 0, "policy.type", 8, 8, NULL },
	{ "caveat_null", HEAD "caveats:\n  REL:\n" DOMAINS, 0, "policy.type", 6, 7, NULL },
	{ "to_mapping", HEAD DOMAINS "flows:\n  - from: a\n    to: {b: 1}\n", 0, "policy.type", 10, 9,
	  NULL },
	{ "max_depth_quoted", HEAD "limits: {max-depth: \"64\"}\n" DOMAINS, 0, "policy.type", 5, 21,
	  NULL },
	{ "max_bytes_word", HEAD "limits: {max-bytes: big}\n" DOMAINS, 0, "policy.type", 5, 21,
	  NULL },
	{ "pattern_list", FLOW "    redact: {patterns: [[email]]}\n", 0, "policy.type", 11, 25,
	  NULL },

	/* policy.value */
	{ "format_2", "sluice-policy: 2\n", 0, "policy.value", 1, 16, "format 2" },
	{ "negative_version", "sluice-policy: 1\nid: t\nversion: -1\n", 0, "policy.value", 3, 10,
	  NULL },
	{ "huge_version", "sluice-policy: 1\nid: t\nversion: 99999999999999999999\n", 0,
	  "policy.value", 3, 10, NULL },
	{ "profile_unknown", "sluice-policy: 1\nid: t\nversion: 1\nprofile: stanag4775\n", 0,
	  "policy.value", 4, 10,
	  "profile 'stanag4775' is not supported (supported: ism, tlp, stanag4774)" },
	{ "stanag_without_spif", S4774 "domains:\n  a: {clearance: SECRET}\n", 0, "policy.no-scheme",
	  6, 18, "domain 'a' labels with stanag4774 but names no SPIF" },
	{ "stanag_unknown_class", S4774 SPIF "domains:\n  a: {clearance: TOPMOST}\n", 0,
	  "policy.value", 7, 18, "unknown classification 'TOPMOST' for policy EXAMPLE of SPIF "
	  "../stanag4774/example-spif.xml (one of: LEGACY, PUBLIC, INTERNAL, CONFIDENTIAL, SECRET)" },
	{ "stanag_hold_form", S4774 SPIF "domains:\n  a: {clearance: SECRET, holds: [ALPHA]}\n", 0,
	  "policy.value", 7, 34, "a stanag4774 domain holds categories as 'TAG SET: CATEGORY'" },
	{ "stanag_hold_tag_set", S4774 SPIF
	  "domains:\n  a: {clearance: SECRET, holds: ['Releasable: ALPHA']}\n", 0, "policy.value", 7,
	  34, "policy EXAMPLE has no tag set 'Releasable'" },
	{ "stanag_hold_category", S4774 SPIF
	  "domains:\n  a: {clearance: SECRET, holds: ['Releasable To: DELTA']}\n", 0,
	  "policy.value", 7, 34, "tag set 'Releasable To' of policy EXAMPLE has no category 'DELTA'" },
	{ "scheme_on_ism_domain", HEAD SPIF "domains:\n  a: {scheme: x, clearance: S}\n", 0,
	  "policy.value", 7, 15, "'scheme' names the SPIF of a stanag4774 domain" },
	{ "scheme_unknown", S4774 SPIF "domains:\n  a: {scheme: other, clearance: SECRET}\n", 0,
	  "policy.unknown-scheme", 7, 15, "unknown scheme 'other'" },
	{ "scheme_missing_file", S4774 "scheme: {spif: nowhere.xml}\n" DOMAINS, 0,
	  "policy.spif-file", 5, 16, "cannot read SPIF 'nowhere.xml'" },
	{ "scheme_unknown_key", S4774 "scheme: {file: x.xml}\n" DOMAINS, 0, "policy.unknown-key", 5,
	  10, "'file' in 'scheme' (allowed: spif)" },
	{ "scheme_twice", S4774 SPIF "schemes:\n  again: {spif: ../stanag4774/example-spif.xml}\n"
	  "domains:\n  a: {clearance: SECRET}\n", 0, "policy.duplicate-scheme", 7, 17,
	  "is policy EXAMPLE (2.25.71001.1), as scheme '' already is" },
	{ "flow_across_profiles", HEAD SPIF "domains:\n  a: {clearance: S}\n"
	  "  b: {profile: stanag4774, clearance: SECRET}\nflows:\n  - {from: a, to: b}\n", 0,
	  "policy.profile-mismatch", 10, 19,
	  "a flow from 'a' (profile ism) to 'b' (profile stanag4774)" },
	{ "flow_without_equivalence", S4774 SPIF
	  "schemes:\n  other: {spif: ../stanag4774/other-spif.xml}\n"
	  "domains:\n  a: {clearance: SECRET}\n  b: {scheme: other, clearance: SEALED}\n"
	  "flows:\n  - {from: b, to: a}\n", 0, "policy.no-equivalence", 12, 19,
	  "declares no equivalent policy EXAMPLE (2.25.71001.1)" },

	{ "tlp_clearance_scale", "sluice-policy: 1\nid: t\nversion: 1\nprofile: tlp\n"
	  "domains:\n  a: {clearance: S}\n", 0, "policy.value", 6, 18,
	  "one of: CLEAR, GREEN, AMBER, AMBER+STRICT, RED" },
	{ "tlp_reserved_holds", HEAD "domains:\n  a: {clearance: S, holds: [tlp-org:x]}\n", 0,
	  "policy.value", 6, 28, "values starting with 'tlp-' are TLP membership" },
	{ "tlp_organisation_not_a_name", HEAD "domains:\n  a: {clearance: S, organisation: \"a b\"}\n",
	  0, "policy.value", 6, 35, "'organisation' must be a name" },
	{ "tlp_communities_not_a_list", HEAD "domains:\n  a: {clearance: S, communities: x}\n", 0,
	  "policy.type", 6, 34, "'communities' must be a list" },
	{ "bad_id", "sluice-policy: 1\nid: \"bad id\"\n", 0, "policy.value", 2, 5,
	  "'id' must be a name of letters, digits, '.', '_' and '-', found 'bad id'" },
	{ "unknown_clearance", HEAD "domains:\n  a: {clearance: SECRET}\n", 0, "policy.value", 6, 18,
	  "one of: U, R, C, S, TS" },
	{ "bad_domain_name", HEAD "domains:\n  a b: {clearance: S}\n", 0, "policy.value", 6, 3,
	  NULL },
	{ "domains_empty", HEAD "domains: {}\n", 0, "policy.value", 5, 10, NULL },
	{ "max_bytes_too_big", HEAD "limits: {max-bytes: 2GiB}\n" DOMAINS, 0, "policy.value", 5, 21,
	  NULL },
	{ "max_bytes_bad_suffix", HEAD "limits: {max-bytes: 4MB}\n" DOMAINS, 0, "policy.value", 5, 21,
	  "not a size" },
	{ "max_bytes_zero", HEAD "limits: {max-bytes: 0}\n" DOMAINS, 0, "policy.value", 5, 21, NULL },
	{ "max_depth_zero", HEAD "limits: {max-depth: 0}\n" DOMAINS, 0, "policy.value", 5, 21,
	  "between 1 and 1000" },
	{ "max_nodes_too_many", HEAD "limits: {max-nodes: 100000001}\n" DOMAINS, 0, "policy.value", 5,
	  21, NULL },
	{ "portions_bad", FLOW "    portions: maybe\n", 0, "policy.value", 11, 15,
	  "redact or refuse" },
	{ "marker_bad", FLOW "    marker: gone\n", 0, "policy.value", 11, 13, "withheld or none" },
	{ "caveat_unknown_action", HEAD "caveats:\n  OC: {action: shred}\n" DOMAINS, 0,
	  "policy.value", 6, 16, "refuse, withhold" },
	{ "caveat_requires_and_action", HEAD "caveats:\n  NF: {requires: [USA], action: refuse}\n"
	  DOMAINS, 0, "policy.value", 6, 25, "not both" },
	{ "caveat_requires_empty", HEAD "caveats:\n  NF: {requires: []}\n" DOMAINS, 0,
	  "policy.value", 6, 18, NULL },
	{ "caveat_token_space", HEAD "caveats:\n  \"N F\": {}\n" DOMAINS, 0, "policy.value", 6, 3,
	  NULL },
	{ "flow_to_itself", HEAD DOMAINS "flows:\n  - from: a\n    to: [b, a]\n", 0, "policy.value",
	  10, 13, "to itself" },
	{ "to_empty_list", HEAD DOMAINS "flows:\n  - from: a\n    to: []\n", 0, "policy.value", 10, 9,
	  NULL },
	{ "unknown_pattern", FLOW "    redact: {patterns: [email, ssn]}\n", 0, "policy.value", 11,
	  32, "unknown pattern 'ssn'" },
	{ "bad_regex", FLOW "    redact: {patterns: [{regex: \"([\", name: x}]}\n", 0,
	  "policy.value", 11, 33, "bad regex: " },
	{ "empty_regex", FLOW "    redact: {patterns: [{regex: \"\", name: x}]}\n", 0,
	  "policy.value", 11, 33, NULL },
	{ "bad_pattern_name", FLOW "    redact: {patterns: [{regex: a, name: \"x y\"}]}\n", 0,
	  "policy.value", 11, 42, NULL },
	{ "duplicate_pattern", FLOW "    redact: {patterns: [email, email]}\n", 0, "policy.value",
	  11, 32, "twice" },
	{ "duplicate_word_list",
	  FLOW "    redact: {words: [lists/extra-words.txt, lists/extra-words.txt]}\n", 0,
	  "policy.value", 11, 45, "twice" },
	{ "replace_with_control", FLOW "    redact: {replace-with: \"a\\tb\"}\n", 0, "policy.value",
	  11, 28, "control" },
	{ "nul_in_scalar", "sluice-policy: 1\nid: \"a\\0b\"\n", 0, "policy.value", 2, 5, "NUL" },

	/* policy.missing-key */
	{ "missing_id", "sluice-policy: 1\nversion: 1\nprofile: ism\n" DOMAINS, 0,
	  "policy.missing-key", 1, 1, "missing required key 'id' in the policy" },
	{ "missing_domains", HEAD, 0, "policy.missing-key", 1, 1, "'domains'" },
	{ "missing_clearance", HEAD "domains:\n  a: {holds: [USA]}\n", 0, "policy.missing-key", 6, 6,
	  "'clearance' in domain 'a'" },
	{ "missing_to", HEAD DOMAINS "flows:\n  - from: a\n    portions: redact\n", 0,
	  "policy.missing-key", 9, 5, "'to' in a flow" },
	{ "missing_regex", FLOW "    redact: {patterns: [{name: x}]}\n", 0, "policy.missing-key",
	  11, 25, "'regex'" },
	{ "empty_file", "", 0, "policy.missing-key", 1, 1, "empty" },
	{ "comments_only", "# nothing here\n\n# at all\n", 0, "policy.missing-key", 1, 1, "empty" },
	{ "empty_document", "---\n", 0, "policy.missing-key", 2, 1, "empty" },

	/* policy.unknown-domain */
	{ "unknown_from", HEAD DOMAINS "flows:\n  - from: x\n    to: a\n", 0, "policy.unknown-domain",
	  9, 11, "unknown domain 'x' (domains: a, b)" },
	{ "unknown_to", HEAD DOMAINS "flows:\n  - from: a\n    to: [b, z]\n", 0,
	  "policy.unknown-domain", 10, 13, "'z'" },

	/* policy.duplicate-flow */
	{ "duplicate_flow", FLOW "  - from: a\n    to: [b]\n", 0, "policy.duplicate-flow", 12, 10,
	  "a second flow from 'a' to 'b' (first at line 10)" },
	{ "duplicate_flow_in_one_list", HEAD DOMAINS "flows:\n  - {from: a, to: [b, b]}\n", 0,
	  "policy.duplicate-flow", 9, 23, NULL },

	/* policy.syntax */
	{ "unclosed_flow_mapping", HEAD "domains: {a: {clearance: S}\n", 0, "policy.syntax", 6, 1,
	  NULL },
	{ "tab_indent", "sluice-policy: 1\n\tid: t\n", 0, "policy.syntax", 2, 1, NULL },
	{ "two_documents", HEAD DOMAINS "---\nid: x\n", 0, "policy.syntax", 8, 1, "second" },
	{ "invalid_utf8", "sluice-policy: 1\nid: \xff\n", 0, "policy.syntax", 2, 5, NULL },
	{ "nul_byte", "sluice-policy: 1\0\n", 18, "policy.syntax", 1, 17, NULL },
	{ "utf16_bom", "\xff\xfes\0l\0", 6, "policy.syntax", 1, 1, NULL },

	/* policy.depth */
	{ "nesting_too_deep", HEAD DOMAINS "flows: " NEST20 "\n", 0, "policy.depth", 8, 23, "16" },

	/* policy.list-file */
	{ "missing_word_list", FLOW "    redact: {words: [lists/missing.txt]}\n", 0,
	  "policy.list-file", 11, 22, "lists/missing.txt" },
	{ "bad_utf8_word_list", FLOW "    redact: {words: [lists/bad-utf8.txt]}\n", 0,
	  "policy.list-file", 11, 22, "not valid UTF-8 text (its line 2, column 5)" },
	{ "word_list_is_folder", FLOW "    redact: {words: [lists]}\n", 0, "policy.list-file", 11, 22,
	  "not a regular file" },

	/* policy.schema-file */
	{ "missing_schema", HEAD "schema: schemas/none.xsd\n" DOMAINS, 0, "policy.schema-file", 5, 9,
	  "schemas/none.xsd" },
};

#define NFAIL (sizeof(fail_cases) / sizeof(fail_cases[0]))

static void run_fail_case(void **state)
{
	const struct fail_case *c = *state;
	struct sluice_error err;
	struct policy *p = NULL;
	size_t len = c->len != 0 ? c->len : strlen(c->yaml);

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_load_buffer("inline.yaml", (const uint8_t *)c->yaml, len,
	                                       policy_dir, &p, &err);
	if (getenv("SLUICE_TEST_VERBOSE") != NULL || rc != SLUICE_ERR_POLICY ||
	    strcmp(err.rule, c->rule) != 0 || err.line != c->line ||
	    err.column != c->column ||
	    (c->needle != NULL && strstr(err.message, c->needle) == NULL))
		print_error("%s: got rc %d, %s:%u:%u: %s [%s]\n", c->name, (int)rc, err.file, err.line,
		            err.column, err.message, err.rule);
	assert_int_equal(rc, SLUICE_ERR_POLICY);
	assert_null(p);
	assert_string_equal(err.rule, c->rule);
	assert_string_equal(err.file, "inline.yaml");
	assert_int_equal(err.line, c->line);
	assert_int_equal(err.column, c->column);
	if (c->needle != NULL)
		assert_non_null(strstr(err.message, c->needle));
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_full_policy),
	cmocka_unit_test(test_spec_example),
	cmocka_unit_test(test_minimal_defaults),
	cmocka_unit_test(test_find_functions),
	cmocka_unit_test(test_mixed_profiles),
	cmocka_unit_test(test_empty_flows_deny_everything),
	cmocka_unit_test(test_sha256_of_file_bytes),
	cmocka_unit_test(test_plain_scalars_are_strings),
	cmocka_unit_test(test_sizes),
	cmocka_unit_test(test_wordlist_lines),
	cmocka_unit_test(test_permissions_owner_only_ok),
	cmocka_unit_test(test_permissions_world_writable),
	cmocka_unit_test(test_permissions_group_writable),
	cmocka_unit_test(test_permissions_writable_inputs),
	cmocka_unit_test(test_bundle_digest_covers_word_lists),
	cmocka_unit_test(test_unreadable_policy),
	cmocka_unit_test(test_too_large),
};

int main(void)
{
	const char *fixtures = getenv("SLUICE_FIXTURES");
	size_t nfixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
	struct CMUnitTest *tests;
	int failed;

	if (fixtures == NULL || fixtures[0] == '\0') {
		fprintf(stderr, "test_policy_load: set SLUICE_FIXTURES to tests/fixtures\n");
		return 1;
	}
	snprintf(policy_dir, sizeof(policy_dir), "%s/policy", fixtures);

	tests = xcalloc(nfixed + NFAIL, sizeof(*tests));
	memcpy(tests, fixed_tests, sizeof(fixed_tests));
	for (size_t i = 0; i < NFAIL; i++) {
		tests[nfixed + i].name = fail_cases[i].name;
		tests[nfixed + i].test_func = run_fail_case;
		tests[nfixed + i].initial_state = &fail_cases[i];
	}
	failed = _cmocka_run_group_tests("policy_load", tests, nfixed + NFAIL, NULL, NULL);
	free(tests);
	return failed;
}
