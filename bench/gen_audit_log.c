/*
 * Writes a valid, signed audit log of N synthetic transfer records, for the benchmarks
 * (bench/README.md). Each record looks like the gateway's (certs/receipt.c): varied domains,
 * decisions, rules, removals, redactions and policy versions over a year, times increasing.
 * The log is written through auditlog_append, as the gateway does, so it verifies with the
 * key's public half; a checkpoint follows every 1,000 records.
 *
 *   gen_audit_log --key SIGNKEY --records N [--seed S] [--start EPOCH] LOG
 *
 * The records' times go from --start (default 2026-01-01T00:00:00Z) over a year, so that a
 * second run appending to a log can continue after it, as a gateway would.
 * Deterministic for a given seed. Not a test of anything by itself; its output is.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auditlog.h"
#include "keys.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fast and reproducible; nothing here needs to be unpredictable. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char *pick(const char *const *list, size_t n)
{
	return list[rng() % n];
}

#define PICK(list) pick(list, sizeof(list) / sizeof(list[0]))

static void random_hex(char *out, size_t hex_chars)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < hex_chars; i++)
		out[i] = digits[rng() & 15];
	out[hex_chars] = '\0';
}

static void random_uuid(char out[37])
{
	random_hex(out, 36);
	out[8] = out[13] = out[18] = out[23] = '-';
	out[14] = '4';
}

static const char *const domains[] = { "intel", "police", "customs", "partner-fra",
	                               "partner-deu", "military", "coastguard", "border" };
static const char *const refusal_rules[] = { "policy.no-flow", "caveat.refuse", "portion.refuse",
	                                     "label.releasability" };
static const char *const invalid_rules[] = { "xml.doctype", "xml.not-well-formed",
	                                     "ism.unknown-classification", "ism.unknown-caveat",
	                                     "ism.banner-not-dominating", "report.too-large" };
static const char *const error_rules[] = { "filter.crashed", "filter.timeout" };
static const char *const removal_rules[] = { "classification S above clearance C",
	                                     "classification TS above clearance S",
	                                     "releasableTo USA: none held",
	                                     "LES requires LES, not held",
	                                     "caveat PR: action withhold" };
static const char *const redaction_rules[] = { "pattern:email", "pattern:phone",
	                                       "pattern:passport", "pattern:iban",
	                                       "words:lists/sources-and-methods.txt",
	                                       "words:lists/operations.txt" };
static const char *const banners[] = { "U", "C", "S//NF", "S//REL TO USA, FRA", "C//LES" };

/* A record like certs/receipt.c's, for transfer number i of n (0-based). */
static json_t *make_record(uint64_t i, uint64_t n, time_t start, const char *policy_sha[8])
{
	char id[37], in_sha[65], out_sha[65], when[32];
	struct tm tm;
	/* Spread the records over a year, in order. */
	time_t t = start + (time_t)(i * (365ull * 24 * 3600) / (n ? n : 1));
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	random_uuid(id);
	random_hex(in_sha, 64);
	random_hex(out_sha, 64);
	unsigned version = 1 + (unsigned)(i * 8 / (n ? n : 1)); /* a new policy every 6 weeks */

	const char *from = PICK(domains), *to = PICK(domains);
	json_t *removals = json_array(), *redactions = json_array(), *reason = NULL;
	const char *decision;
	unsigned roll = (unsigned)(rng() % 100);
	if (roll < 70) {
		decision = "released";
		if (rng() % 100 < 40) {
			for (unsigned k = 1 + (unsigned)(rng() % 2); k > 0; k--)
				json_array_append_new(removals,
				                      json_pack("{s:i, s:s, s:s}", "line", (int)(rng() % 90) + 5,
				                                "location", "/IntelReport/Sourcing", "rule",
				                                PICK(removal_rules)));
			for (unsigned k = (unsigned)(rng() % 3); k > 0; k--)
				json_array_append_new(redactions,
				                      json_pack("{s:i, s:s, s:s}", "count", (int)(rng() % 4) + 1,
				                                "location", "/IntelReport/Summary/text()",
				                                "rule", PICK(redaction_rules)));
		}
	} else if (roll < 85) {
		decision = "refused";
		reason = json_pack("{s:s, s:s}", "message", "refused by the policy", "rule",
		                   PICK(refusal_rules));
	} else if (roll < 97) {
		decision = "invalid";
		reason = json_pack("{s:i, s:s, s:s}", "line", (int)(rng() % 40) + 1, "message",
		                   "the report is not valid", "rule", PICK(invalid_rules));
	} else {
		decision = "error";
		reason = json_pack("{s:s, s:s}", "message", "internal error", "rule",
		                   PICK(error_rules));
	}
	json_t *policy = json_pack("{s:s, s:s, s:s, s:i}", "bundle_sha256", policy_sha[version - 1],
	                           "id", "fusion-cell", "sha256", policy_sha[version - 1],
	                           "version", (int)version);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s}", "decision", decision,
	                        "from", from, "input_sha256", in_sha, "policy", policy, "redactions",
	                        redactions, "removals", removals, "time", when, "to", to,
	                        "transfer_id", id);
	if (rec == NULL) {
		fprintf(stderr, "gen_audit_log: cannot build a record\n");
		exit(70);
	}
	if (strcmp(decision, "released") == 0) {
		json_object_set_new(rec, "banner", json_string(PICK(banners)));
		json_object_set_new(rec, "output_sha256", json_string(out_sha));
	} else {
		json_object_set_new(rec, "reason", reason);
	}
	return rec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },  { "records", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' }, { "start", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL;
	uint64_t n = 0;
	time_t start = 1767225600; /* 2026-01-01T00:00:00Z */
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key_path = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 's': rng_state ^= strtoull(optarg, NULL, 10) * 0x9e3779b97f4a7c15ull; break;
		case 't': start = (time_t)strtoll(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (key_path == NULL || n == 0 || optind != argc - 1)
		goto usage;

	struct sluice_error err;
	EVP_PKEY *key = NULL;
	struct auditlog *log = NULL;
	char policy_sha_text[8][65];
	const char *policy_sha[8];
	for (size_t v = 0; v < 8; v++) {
		random_hex(policy_sha_text[v], 64);
		policy_sha[v] = policy_sha_text[v];
	}
	if (key_load_private(key_path, &key, &err) != SLUICE_OK ||
	    auditlog_open(argv[optind], key, &log, &err) != SLUICE_OK) {
		sluice_error_print("gen_audit_log", &err);
		EVP_PKEY_free(key);
		return sluice_rc_exit_code(err.rc);
	}
	auditlog_set_checkpoint_interval(log, AUDITLOG_CHECKPOINT_INTERVAL);
	enum sluice_rc rc = SLUICE_OK;
	for (uint64_t i = 0; i < n && rc == SLUICE_OK; i++) {
		json_t *rec = make_record(i, n, start, policy_sha);
		rc = auditlog_append(log, rec, &err);
		json_decref(rec);
	}
	/* Closing writes the final checkpoint; after a failed append, the first error is the
	 * one to report. */
	struct sluice_error close_err;
	enum sluice_rc close_rc = auditlog_close(log, &close_err);
	if (rc == SLUICE_OK && close_rc != SLUICE_OK) {
		rc = close_rc;
		err = close_err;
	}
	EVP_PKEY_free(key);
	if (rc != SLUICE_OK) {
		sluice_error_print("gen_audit_log", &err);
		return sluice_rc_exit_code(rc);
	}
	return 0;
usage:
	fprintf(stderr, "usage: gen_audit_log --key SIGNKEY --records N [--seed S] [--start EPOCH] "
	                "LOG\n");
	return 64;
}
