/*
 * Transfer records and signed receipts (SPEC section 6).
 *
 * Trust: a record is built by the trusted side from digests, policy names and rule ids; it
 * never holds report content. receipt_verify parses receipts that may come from anywhere: the
 * input is bounded (16 MiB), parsed by jansson with duplicate keys refused, and checked member
 * by member before any value is used. The signature covers json_canonical(record), recomputed
 * by the verifier from what it parsed, so the receipt's own spacing and key order do not matter.
 */
#include "receipt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "canonical_json.h"
#include "fileio.h"
#include "utf8.h"

#define RECEIPT_MAX_BYTES (16u * 1024 * 1024)

void transfer_record_init(struct transfer_record *r)
{
	uint8_t u[16];
	struct tm tm;
	time_t now = time(NULL);

	memset(r, 0, sizeof(*r));
	if (RAND_bytes(u, sizeof(u)) != 1)
		SLUICE_BUG("RAND_bytes failed: no randomness for a transfer id");
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(r->transfer_id, sizeof(r->transfer_id),
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
	         u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	         u[14], u[15]);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(r->time, sizeof(r->time), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		SLUICE_BUG("cannot format the current time");
}

void transfer_record_set_signers(struct transfer_record *r, char *const *key_ids, size_t n)
{
	for (size_t i = 0; i < r->npolicy_signers; i++)
		free(r->policy_signers[i]);
	free(r->policy_signers);
	r->policy_signers = NULL;
	r->npolicy_signers = 0;
	if (n == 0)
		return;
	r->policy_signers = xcalloc(n, sizeof(*r->policy_signers));
	for (size_t i = 0; i < n; i++)
		r->policy_signers[i] = xstrdup(key_ids[i]);
	r->npolicy_signers = n;
}

void transfer_record_free(struct transfer_record *r)
{
	if (r == NULL)
		return;
	free(r->from);
	free(r->to);
	free(r->policy_id);
	transfer_record_set_signers(r, NULL, 0);
	free(r->decision);
	free(r->reason_rule);
	free(r->reason);
	free(r->banner);
	free(r->source_banner);
	for (size_t i = 0; i < r->nremovals; i++) {
		free(r->removals[i].location);
		free(r->removals[i].rule);
	}
	free(r->removals);
	for (size_t i = 0; i < r->nredactions; i++) {
		free(r->redactions[i].location);
		free(r->redactions[i].rule);
	}
	free(r->redactions);
	memset(r, 0, sizeof(*r));
}

void transfer_record_add_removal(struct transfer_record *r, const char *location,
                                 unsigned line, const char *rule)
{
	r->removals = xrealloc(r->removals, (r->nremovals + 1) * sizeof(*r->removals));
	struct removal_entry *e = &r->removals[r->nremovals++];
	e->location = xstrdup(location != NULL ? location : "");
	e->line = line;
	e->rule = xstrdup(rule != NULL ? rule : "");
}

void transfer_record_add_redaction(struct transfer_record *r, const char *location,
                                   const char *rule, unsigned count)
{
	r->redactions = xrealloc(r->redactions, (r->nredactions + 1) * sizeof(*r->redactions));
	struct redaction_entry *e = &r->redactions[r->nredactions++];
	e->location = xstrdup(location != NULL ? location : "");
	e->rule = xstrdup(rule != NULL ? rule : "");
	e->count = count;
}

/* Sets obj[key] = v (stealing v); false when v is NULL (e.g. a string not valid UTF-8). */
static bool put(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static json_t *str_or_empty(const char *s)
{
	return json_string(s != NULL ? s : "");
}

json_t *transfer_record_to_json(const struct transfer_record *r)
{
	json_t *o = json_object(), *policy = json_object(), *rem = json_array(),
	       *red = json_array();
	bool ok = o != NULL && policy != NULL && rem != NULL && red != NULL;

	if (!ok)
		goto fail;
	ok = put(o, "transfer_id", json_string(r->transfer_id)) &&
	     put(o, "time", json_string(r->time)) && put(o, "from", str_or_empty(r->from)) &&
	     put(o, "to", str_or_empty(r->to)) &&
	     put(policy, "id", str_or_empty(r->policy_id)) &&
	     put(policy, "version", json_integer(r->policy_version)) &&
	     put(policy, "sha256", json_string(r->policy_sha256)) &&
	     put(o, "input_sha256", json_string(r->input_sha256)) &&
	     put(o, "decision", str_or_empty(r->decision));
	if (!ok)
		goto fail;
	if (ok && r->policy_bundle_sha256[0] != '\0')
		ok = put(policy, "bundle_sha256", json_string(r->policy_bundle_sha256));
	if (ok && r->npolicy_signers > 0) {
		json_t *signers = json_array();
		for (size_t i = 0; ok && i < r->npolicy_signers; i++)
			ok = signers != NULL &&
			     json_array_append_new(signers, json_string(r->policy_signers[i])) == 0;
		ok = ok && put(policy, "signers", signers);
	}
	if (!ok)
		goto fail;
	ok = put(o, "policy", policy);
	policy = NULL;
	if (ok && r->output_sha256[0] != '\0')
		ok = put(o, "output_sha256", json_string(r->output_sha256));
	if (ok && r->reason_rule != NULL) {
		json_t *reason = json_object();
		ok = reason != NULL && put(reason, "rule", json_string(r->reason_rule)) &&
		     put(reason, "message", str_or_empty(r->reason)) &&
		     (r->reason_line == 0 || put(reason, "line", json_integer(r->reason_line)));
		if (ok)
			ok = put(o, "reason", reason);
		else
			json_decref(reason);
	}
	if (ok && r->banner != NULL)
		ok = put(o, "banner", json_string(r->banner));
	if (ok && r->source_banner != NULL)
		ok = put(o, "source_banner", json_string(r->source_banner));
	for (size_t i = 0; ok && i < r->nremovals; i++) {
		json_t *e = json_object();
		ok = e != NULL && put(e, "location", str_or_empty(r->removals[i].location)) &&
		     put(e, "line", json_integer(r->removals[i].line)) &&
		     put(e, "rule", str_or_empty(r->removals[i].rule));
		if (ok)
			ok = json_array_append_new(rem, e) == 0; /* steals e */
		else
			json_decref(e);
	}
	for (size_t i = 0; ok && i < r->nredactions; i++) {
		json_t *e = json_object();
		ok = e != NULL && put(e, "location", str_or_empty(r->redactions[i].location)) &&
		     put(e, "rule", str_or_empty(r->redactions[i].rule)) &&
		     put(e, "count", json_integer(r->redactions[i].count));
		if (ok)
			ok = json_array_append_new(red, e) == 0; /* steals e */
		else
			json_decref(e);
	}
	if (!ok)
		goto fail;
	ok = put(o, "removals", rem);
	rem = NULL;
	if (ok)
		ok = put(o, "redactions", red);
	red = NULL;
	if (!ok)
		goto fail;
	return o;
fail:
	json_decref(o);
	json_decref(policy);
	json_decref(rem);
	json_decref(red);
	return NULL;
}

static enum sluice_rc check_record_form(const json_t *rec, struct sluice_error *err);

/* `text` (a heap string, taken over) followed by a newline, as a receipt is written; *len is
 * its length. */
static char *with_newline(char *text, size_t *len)
{
	size_t n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	*len = n + 1;
	return text;
}

enum sluice_rc receipt_set_log_index(char **receipt, size_t *len, uint64_t leaf_index,
                                     struct sluice_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(*receipt, *len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *log = json_object();
	char *text = NULL;

	if (!json_is_object(root) || log == NULL ||
	    json_object_set_new(log, "leaf_index", json_integer((json_int_t)leaf_index)) != 0 ||
	    json_object_set(root, "log", log) != 0 ||
	    json_object_set_new(root, "receipt", json_integer(2)) != 0 ||
	    (text = json_canonical(root)) == NULL) {
		json_decref(root);
		json_decref(log);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "receipt.encode",
		                   "cannot add the audit log's leaf index to the receipt");
	}
	json_decref(root);
	json_decref(log);
	free(*receipt);
	*receipt = with_newline(text, len);
	return SLUICE_OK;
}

/* ---- the record's canonical JSON, written directly ------------------------------------
 *
 * json_canonical(transfer_record_to_json(r)) byte for byte (jansson's JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENSURE_ASCII: members in strcmp order, strings escaped as jansson
 * escapes them: \" \\ \b \f \n \r \t, other controls and every non-ASCII code point as \uXXXX
 * in capitals, surrogate pairs above U+FFFF), without building the JSON tree: the tree cost a
 * tenth of a 20 KB report's time in `sluice release --batch` (docs/PERFORMANCE.md).
 * test_receipt compares both on generated records, invalid UTF-8 included. */

struct jbuf {
	char *p;
	size_t len, cap;
	bool bad; /* a string was not UTF-8 as jansson accepts it */
};

static void jb_reserve(struct jbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	jb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void jb_lit(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

static void jb_int(struct jbuf *b, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);
	jb_put(b, num, (size_t)n);
}

static void jb_u16(struct jbuf *b, unsigned v)
{
	char seq[8];
	int n = snprintf(seq, sizeof(seq), "\\u%04X", v);
	jb_put(b, seq, (size_t)n);
}

static void jb_str(struct jbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
	const unsigned char *end = s + strlen((const char *)s);
	jb_put(b, "\"", 1);
	while (*s != '\0') {
		const unsigned char *run = s;
		while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			jb_put(b, (const char *)run, (size_t)(s - run));
		if (*s == '\0')
			break;
		uint32_t cp;
		/* jansson accepts what utf8_valid accepts (common/utf8.h) */
		size_t n = utf8_decode(s, (size_t)(end - s), &cp);
		if (n == 0) {
			b->bad = true;
			return;
		}
		s += n;
		switch (cp) {
		case '"': jb_put(b, "\\\"", 2); break;
		case '\\': jb_put(b, "\\\\", 2); break;
		case '\b': jb_put(b, "\\b", 2); break;
		case '\f': jb_put(b, "\\f", 2); break;
		case '\n': jb_put(b, "\\n", 2); break;
		case '\r': jb_put(b, "\\r", 2); break;
		case '\t': jb_put(b, "\\t", 2); break;
		default:
			if (cp < 0x10000) {
				jb_u16(b, cp);
			} else {
				cp -= 0x10000;
				jb_u16(b, 0xD800 | (cp >> 10));
				jb_u16(b, 0xDC00 | (cp & 0x3FF));
			}
		}
	}
	jb_put(b, "\"", 1);
}

/* "name": with a comma before every member but the first of its object. */
static void jb_key(struct jbuf *b, bool *first, const char *name)
{
	if (!*first)
		jb_put(b, ",", 1);
	*first = false;
	jb_str(b, name);
	jb_put(b, ":", 1);
}

char *transfer_record_canonical(const struct transfer_record *r)
{
	struct jbuf b = { 0 };
	bool first = true, f2;

	jb_put(&b, "{", 1);
	if (r->banner != NULL) {
		jb_key(&b, &first, "banner");
		jb_str(&b, r->banner);
	}
	jb_key(&b, &first, "decision");
	jb_str(&b, r->decision);
	jb_key(&b, &first, "from");
	jb_str(&b, r->from);
	jb_key(&b, &first, "input_sha256");
	jb_str(&b, r->input_sha256);
	if (r->output_sha256[0] != '\0') {
		jb_key(&b, &first, "output_sha256");
		jb_str(&b, r->output_sha256);
	}
	jb_key(&b, &first, "policy");
	jb_put(&b, "{", 1);
	f2 = true;
	if (r->policy_bundle_sha256[0] != '\0') {
		jb_key(&b, &f2, "bundle_sha256");
		jb_str(&b, r->policy_bundle_sha256);
	}
	jb_key(&b, &f2, "id");
	jb_str(&b, r->policy_id);
	jb_key(&b, &f2, "sha256");
	jb_str(&b, r->policy_sha256);
	if (r->npolicy_signers > 0) {
		jb_key(&b, &f2, "signers");
		jb_put(&b, "[", 1);
		for (size_t i = 0; i < r->npolicy_signers; i++) {
			if (i > 0)
				jb_put(&b, ",", 1);
			jb_str(&b, r->policy_signers[i]);
		}
		jb_put(&b, "]", 1);
	}
	jb_key(&b, &f2, "version");
	jb_int(&b, r->policy_version);
	jb_put(&b, "}", 1);
	if (r->reason_rule != NULL) {
		jb_key(&b, &first, "reason");
		jb_put(&b, "{", 1);
		f2 = true;
		if (r->reason_line != 0) {
			jb_key(&b, &f2, "line");
			jb_int(&b, r->reason_line);
		}
		jb_key(&b, &f2, "message");
		jb_str(&b, r->reason);
		jb_key(&b, &f2, "rule");
		jb_str(&b, r->reason_rule);
		jb_put(&b, "}", 1);
	}
	jb_key(&b, &first, "redactions");
	jb_put(&b, "[", 1);
	for (size_t i = 0; i < r->nredactions; i++) {
		jb_lit(&b, i > 0 ? ",{\"count\":" : "{\"count\":");
		jb_int(&b, r->redactions[i].count);
		jb_lit(&b, ",\"location\":");
		jb_str(&b, r->redactions[i].location);
		jb_lit(&b, ",\"rule\":");
		jb_str(&b, r->redactions[i].rule);
		jb_put(&b, "}", 1);
	}
	jb_put(&b, "]", 1);
	jb_key(&b, &first, "removals");
	jb_put(&b, "[", 1);
	for (size_t i = 0; i < r->nremovals; i++) {
		jb_lit(&b, i > 0 ? ",{\"line\":" : "{\"line\":");
		jb_int(&b, r->removals[i].line);
		jb_lit(&b, ",\"location\":");
		jb_str(&b, r->removals[i].location);
		jb_lit(&b, ",\"rule\":");
		jb_str(&b, r->removals[i].rule);
		jb_put(&b, "}", 1);
	}
	jb_put(&b, "]", 1);
	if (r->source_banner != NULL) {
		jb_key(&b, &first, "source_banner");
		jb_str(&b, r->source_banner);
	}
	jb_key(&b, &first, "time");
	jb_str(&b, r->time);
	jb_key(&b, &first, "to");
	jb_str(&b, r->to);
	jb_key(&b, &first, "transfer_id");
	jb_str(&b, r->transfer_id);
	jb_put(&b, "}", 1);
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

enum sluice_rc receipt_signature(const char *canon, EVP_PKEY *key, char sig64[RECEIPT_SIG64_LEN],
                                 struct sluice_error *err)
{
	uint8_t sig[64];
	enum sluice_rc rc = signature_sign(key, canon, strlen(canon), sig, err);
	if (rc != SLUICE_OK)
		return rc;
	char *b64 = base64_encode(sig, sizeof(sig));
	if (strlen(b64) + 1 != RECEIPT_SIG64_LEN) {
		free(b64);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "receipt.encode",
		                   "an Ed25519 signature is not 88 base64 characters");
	}
	memcpy(sig64, b64, RECEIPT_SIG64_LEN);
	free(b64);
	return SLUICE_OK;
}

/* The members in json_canonical's order (sorted keys), and the same number formatting, so
 * that the text is the one jansson's canonical dump of the receipt object would be, and the one
 * receipt_set_log_index makes (test_receipt checks it): the record is already canonical, the key id is hex and the signature base64, none of
 * which JSON escapes. */
char *receipt_assemble(const char *kid, const char *canon, const char *sig64,
                       const uint64_t *leaf_index, size_t *len)
{
	char head[160], tail[160];
	int hn = leaf_index != NULL
	             ? snprintf(head, sizeof(head),
	                        "{\"key_id\":\"%s\",\"log\":{\"leaf_index\":%" PRIu64
	                        "},\"receipt\":2,\"record\":",
	                        kid, *leaf_index)
	             : snprintf(head, sizeof(head), "{\"key_id\":\"%s\",\"receipt\":1,\"record\":", kid);
	int tn = snprintf(tail, sizeof(tail),
	                  ",\"signature\":\"%s\",\"signature_alg\":\"ed25519\"}\n", sig64);
	size_t cn = strlen(canon);
	if (hn < 0 || tn < 0 || (size_t)hn >= sizeof(head) || (size_t)tn >= sizeof(tail))
		abort(); /* a key id of 64 and a signature of 88 characters always fit */
	char *out = xmalloc((size_t)hn + cn + (size_t)tn + 1);
	memcpy(out, head, (size_t)hn);
	memcpy(out + hn, canon, cn);
	memcpy(out + (size_t)hn + cn, tail, (size_t)tn + 1);
	*len = (size_t)hn + cn + (size_t)tn;
	return out;
}

/* Signs a record's canonical JSON into a version 1 receipt. `kid` is key_id_hex(key), or NULL
 * to compute it here. */
static enum sluice_rc sign_canonical(const char *canon, EVP_PKEY *key, const char *kid,
                                     char **out, size_t *outlen, struct sluice_error *err)
{
	char own_kid[SHA256_HEX_LEN], sig64[RECEIPT_SIG64_LEN];
	enum sluice_rc rc = SLUICE_OK;
	*out = NULL;
	*outlen = 0;
	if (kid == NULL) {
		rc = key_id_hex(key, own_kid, err);
		kid = own_kid;
	}
	if (rc == SLUICE_OK)
		rc = receipt_signature(canon, key, sig64, err);
	if (rc == SLUICE_OK)
		*out = receipt_assemble(kid, canon, sig64, NULL, outlen);
	return rc;
}

enum sluice_rc receipt_create(const struct transfer_record *r, EVP_PKEY *key, char **out,
                              size_t *outlen, struct sluice_error *err)
{
	char *canon = transfer_record_canonical(r);
	if (canon == NULL) {
		*out = NULL;
		*outlen = 0;
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "receipt.encode",
		                   "cannot encode the transfer record as JSON (a field is not UTF-8?)");
	}
	enum sluice_rc rc = sign_canonical(canon, key, NULL, out, outlen, err);
	free(canon);
	return rc;
}

enum sluice_rc receipt_sign_json(const uint8_t *record, size_t len, EVP_PKEY *key,
                                 const char *key_id, char **out, size_t *outlen,
                                 struct sluice_error *err)
{
	json_error_t jerr;
	*out = NULL;
	*outlen = 0;
	if (len > RECEIPT_MAX_RECORD_BYTES)
		return sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.size",
		                   "a record to sign is larger than %u bytes",
		                   (unsigned)RECEIPT_MAX_RECORD_BYTES);
	json_t *rec = json_loadb((const char *)record, len, JSON_REJECT_DUPLICATES, &jerr);
	if (rec == NULL)
		return sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.json",
		                   "a record to sign is not JSON: %s", jerr.text);
	enum sluice_rc rc = check_record_form(rec, err);
	char *canon = rc == SLUICE_OK ? json_canonical(rec) : NULL;
	if (rc == SLUICE_OK && (canon == NULL || strlen(canon) != len ||
	                        memcmp(canon, record, len) != 0))
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.canonical",
		                 "a record to sign is not in canonical form");
	if (rc == SLUICE_OK)
		rc = sign_canonical(canon, key, key_id, out, outlen, err);
	free(canon);
	json_decref(rec);
	return rc;
}

/* ---- verification ------------------------------------------------------------------------ */

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A digest member: lowercase hex SHA-256, or "" (not known when the record was made). */
static bool is_digest(const json_t *v)
{
	return json_is_string(v) && (json_string_length(v) == 0 || is_hex64(json_string_value(v)));
}

static bool is_uint(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

#define FORM_FAIL(...) sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.form", __VA_ARGS__)

/* The record's form: required members and their types, no unknown members. */
static enum sluice_rc check_record_form(const json_t *rec, struct sluice_error *err)
{
	static const char *const members[] = {
		"transfer_id", "time", "from", "to", "policy", "input_sha256", "output_sha256",
		"decision", "reason", "banner", "source_banner", "removals", "redactions", NULL};
	static const char *const policy_members[] = {"id", "version", "sha256", "bundle_sha256",
	                                             "signers", NULL};
	static const char *const reason_members[] = {"rule", "message", "line", NULL};
	static const char *const removal_members[] = {"location", "line", "rule", NULL};
	static const char *const redaction_members[] = {"location", "rule", "count", NULL};
	static const char *const strings[] = {"transfer_id", "time", "from", "to", "decision",
	                                      NULL};
	const char *stranger = NULL, *decision;
	const json_t *v, *e;
	size_t i;

	if (!json_is_object(rec))
		return FORM_FAIL("\"record\" is not an object");
	if (!json_only_members(rec, members, &stranger))
		return FORM_FAIL("unknown member \"%s\" in the record", stranger);
	for (i = 0; strings[i] != NULL; i++)
		if (!json_is_string(json_object_get(rec, strings[i])))
			return FORM_FAIL("record member \"%s\" is missing or not a string",
			                 strings[i]);
	decision = json_string_value(json_object_get(rec, "decision"));
	if (strcmp(decision, "released") != 0 && strcmp(decision, "refused") != 0 &&
	    strcmp(decision, "invalid") != 0 && strcmp(decision, "error") != 0)
		return FORM_FAIL("unknown decision \"%s\"", decision);

	v = json_object_get(rec, "policy");
	if (!json_is_object(v))
		return FORM_FAIL("record member \"policy\" is missing or not an object");
	if (!json_only_members(v, policy_members, &stranger))
		return FORM_FAIL("unknown member \"%s\" in \"policy\"", stranger);
	if (!json_is_string(json_object_get(v, "id")) ||
	    !json_is_integer(json_object_get(v, "version")) ||
	    !is_digest(json_object_get(v, "sha256")))
		return FORM_FAIL("\"policy\" needs a string \"id\", an integer \"version\" and a "
		                 "hex SHA-256 \"sha256\"");
	if (json_object_get(v, "bundle_sha256") != NULL &&
	    !is_digest(json_object_get(v, "bundle_sha256")))
		return FORM_FAIL("\"policy\" member \"bundle_sha256\" is not a hex SHA-256");
	e = json_object_get(v, "signers");
	if (e != NULL) {
		if (!json_is_array(e) || json_array_size(e) == 0 || json_array_size(e) > 32)
			return FORM_FAIL("\"policy\" member \"signers\" is not 1 to 32 key ids");
		for (i = 0; i < json_array_size(e); i++)
			if (!is_digest(json_array_get(e, i)))
				return FORM_FAIL("\"policy\" signer %zu is not a key id (64 hex)", i);
	}

	if (!is_digest(json_object_get(rec, "input_sha256")))
		return FORM_FAIL("\"input_sha256\" is missing or not a hex SHA-256");
	v = json_object_get(rec, "output_sha256");
	if (v != NULL && !(json_is_string(v) && is_hex64(json_string_value(v))))
		return FORM_FAIL("\"output_sha256\" is not a hex SHA-256");
	if (v == NULL && strcmp(decision, "released") == 0)
		return FORM_FAIL("a released record has no \"output_sha256\"");

	v = json_object_get(rec, "reason");
	if (v != NULL) {
		if (!json_is_object(v) || !json_only_members(v, reason_members, &stranger))
			return FORM_FAIL("\"reason\" is not an object of rule, message and line");
		e = json_object_get(v, "line");
		if (!json_is_string(json_object_get(v, "rule")) ||
		    !json_is_string(json_object_get(v, "message")) || (e != NULL && !is_uint(e)))
			return FORM_FAIL("\"reason\" needs a string \"rule\", a string \"message\" "
			                 "and an optional line number");
	}
	v = json_object_get(rec, "banner");
	if (v != NULL && !json_is_string(v))
		return FORM_FAIL("\"banner\" is not a string");
	v = json_object_get(rec, "source_banner");
	if (v != NULL && (!json_is_string(v) || json_object_get(rec, "banner") == NULL))
		return FORM_FAIL("\"source_banner\" is not a string beside a \"banner\"");

	v = json_object_get(rec, "removals");
	if (!json_is_array(v))
		return FORM_FAIL("\"removals\" is missing or not an array");
	json_array_foreach((json_t *)v, i, e) {
		if (!json_is_object(e) || !json_only_members(e, removal_members, &stranger) ||
		    !json_is_string(json_object_get(e, "location")) ||
		    !is_uint(json_object_get(e, "line")) ||
		    !json_is_string(json_object_get(e, "rule")))
			return FORM_FAIL("removal %zu is not {location, line, rule}", i + 1);
	}
	v = json_object_get(rec, "redactions");
	if (!json_is_array(v))
		return FORM_FAIL("\"redactions\" is missing or not an array");
	json_array_foreach((json_t *)v, i, e) {
		if (!json_is_object(e) || !json_only_members(e, redaction_members, &stranger) ||
		    !json_is_string(json_object_get(e, "location")) ||
		    !json_is_string(json_object_get(e, "rule")) ||
		    !is_uint(json_object_get(e, "count")))
			return FORM_FAIL("redaction %zu is not {location, rule, count}", i + 1);
	}
	return SLUICE_OK;
}

enum sluice_rc receipt_verify(const uint8_t *receipt, size_t receiptlen, EVP_PKEY *pub,
                              const uint8_t *report, size_t reportlen, json_t **record_out,
                              struct sluice_error *err)
{
	/* Version 2 is version 1 and the record's place in the audit log ("log"). */
	static const char *const members_v1[] = {"key_id", "receipt", "record", "signature",
	                                         "signature_alg", NULL};
	static const char *const members_v2[] = {"key_id", "log", "receipt", "record",
	                                         "signature", "signature_alg", NULL};
	static const char *const log_members[] = {"leaf_index", NULL};
	const char *const *members;
	enum sluice_rc rc = SLUICE_OK;
	json_t *root = NULL, *v, *record;
	json_error_t jerr;
	const char *stranger = NULL, *kid, *alg;
	char want_kid[SHA256_HEX_LEN];
	char *canon = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;

	if (record_out != NULL)
		*record_out = NULL;
	if (receiptlen > RECEIPT_MAX_BYTES)
		return sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.size",
		                   "the receipt is %zu bytes, over the limit of %u: not a receipt",
		                   receiptlen, RECEIPT_MAX_BYTES);
	if (receipt == NULL && receiptlen > 0)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "receipt.internal", "no receipt bytes");
	root = json_loadb(receipt != NULL ? (const char *)receipt : "", receiptlen,
	                  JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.json",
		                 "the receipt is not valid JSON: %s (line %d, column %d)", jerr.text,
		                 jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = FORM_FAIL("the receipt is not a JSON object");
		goto out;
	}
	/* The version first: a later version may have other members. */
	v = json_object_get(root, "receipt");
	if (v == NULL) {
		rc = FORM_FAIL("the receipt has no \"receipt\" version member");
		goto out;
	}
	if (!json_is_integer(v) || (json_integer_value(v) != 1 && json_integer_value(v) != 2)) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.version",
		                 "unsupported receipt version (this verifier knows \"receipt\": 1 "
		                 "and 2)");
		goto out;
	}
	members = json_integer_value(v) == 1 ? members_v1 : members_v2;
	if (!json_only_members(root, members, &stranger)) {
		rc = FORM_FAIL("unknown member \"%s\" in the receipt", stranger);
		goto out;
	}
	for (size_t i = 0; members[i] != NULL; i++) {
		if (json_object_get(root, members[i]) == NULL) {
			rc = FORM_FAIL("the receipt has no \"%s\" member", members[i]);
			goto out;
		}
	}
	/* Where the record sits in the audit log's Merkle tree: outside the signature (the
	 * gateway learns it only when it logs the signed record), and proven, not trusted, by
	 * `sluice audit prove` / `check-proof`. */
	v = json_object_get(root, "log");
	if (v != NULL && (!json_is_object(v) || !json_only_members(v, log_members, &stranger) ||
	                  !is_uint(json_object_get(v, "leaf_index")))) {
		rc = FORM_FAIL("\"log\" is not {\"leaf_index\": a non-negative integer}");
		goto out;
	}
	v = json_object_get(root, "signature_alg");
	if (!json_is_string(v)) {
		rc = FORM_FAIL("\"signature_alg\" is not a string");
		goto out;
	}
	alg = json_string_value(v);
	if (strcmp(alg, "ed25519") != 0) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.alg",
		                 "unsupported signature algorithm \"%.64s\" (only ed25519)", alg);
		goto out;
	}
	v = json_object_get(root, "key_id");
	if (!json_is_string(v) || !is_hex64(json_string_value(v))) {
		rc = FORM_FAIL("\"key_id\" is not a lowercase hex SHA-256");
		goto out;
	}
	kid = json_string_value(v);
	v = json_object_get(root, "signature");
	if (!json_is_string(v) || base64_decode(json_string_value(v), &sig, &siglen) != 0 ||
	    siglen != 64) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.signature",
		                 "\"signature\" is not the base64 of a 64-byte Ed25519 signature");
		goto out;
	}
	record = json_object_get(root, "record");
	rc = check_record_form(record, err);
	if (rc != SLUICE_OK)
		goto out;

	rc = key_id_hex(pub, want_kid, err);
	if (rc != SLUICE_OK)
		goto out;
	if (strcmp(kid, want_kid) != 0) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.key-id",
		                 "the receipt was signed by key %s, but the public key given is %s",
		                 kid, want_kid);
		goto out;
	}
	canon = json_canonical(record);
	if (canon == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "receipt.encode",
		                 "cannot re-serialise the record");
		goto out;
	}
	if (!signature_verify(pub, canon, strlen(canon), sig, siglen)) {
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.signature",
		                 "the signature does not match the record: the receipt was altered "
		                 "or not signed by key %s",
		                 want_kid);
		goto out;
	}
	if (report != NULL) {
		const char *decision = json_string_value(json_object_get(record, "decision"));
		bool released = strcmp(decision, "released") == 0;
		const char *named = json_string_value(
			json_object_get(record, released ? "output_sha256" : "input_sha256"));
		char got[SHA256_HEX_LEN];

		sha256_hex(report, reportlen, got);
		if (strcmp(got, named) != 0) {
			rc = sluice_fail(err, SLUICE_ERR_VERIFY, "receipt.digest",
			                 "the report's SHA-256 is %s, but the receipt names %s as the "
			                 "%s (decision \"%s\"): these are not the bytes the receipt "
			                 "is about",
			                 got, named[0] != '\0' ? named : "(none)",
			                 released ? "released report (output_sha256)"
			                          : "submitted report (input_sha256)",
			                 decision);
			goto out;
		}
	}
	if (record_out != NULL)
		*record_out = json_incref(record);
out:
	free(sig);
	free(canon);
	json_decref(root);
	return rc;
}
