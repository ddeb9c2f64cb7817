/*
 * The audit log (SPEC section 7; line formats in auditlog.h, rules in audit/README.md).
 *
 * Trust: the writer runs in the trusted parent and holds the signing key (a reference to the
 * caller's EVP_PKEY); it writes only what it is given (records are digests and rule ids, built
 * by certs/receipt.c) plus the chain fields. The verifier treats the log as hostile: every line
 * is read through a bounded reader (16 MiB per line), parsed with duplicate keys refused,
 * re-serialised and compared byte for byte, and checked against the chain and the signatures.
 *
 * Durability: each line goes out in one write() of line + "\n" followed by fsync(), so a crash
 * leaves at worst one torn last line, which the next writer cuts off and reports in its next
 * checkpoint ("recovered_torn_line": true). A write or fsync that fails (a full or failing
 * disk) is undone at once: the file is cut back to its last good line, so it never holds a
 * half-written record, and the same append can be retried when the storage is back.
 */
#include "auditlog.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auditrecord.h"
#include "canonical_json.h"
#include "fileio.h"
#include "keys.h"
#include "merkle.h"
#include "treehead.h"

/* No line of a log may be longer than this (the writer refuses such records). */
#define AUDITLOG_LINE_MAX (16u * 1024 * 1024)
#define AUDITLOG_CHUNK 65536
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct auditlog {
	int fd;
	char *path;
	EVP_PKEY *key;                  /* a reference of our own, or NULL with a signer */
	auditlog_sign_fn sign;          /* signs checkpoints */
	void *sign_arg;
	unsigned interval;              /* transfer lines between checkpoints */
	char key_id[SHA256_HEX_LEN];
	uint64_t seq;                   /* seq of the last line; 0 for an empty log */
	char prev[SHA256_HEX_LEN];      /* chain hash of the last line (zeros when empty) */
	uint64_t records;               /* transfer lines in the whole log */
	uint64_t since_checkpoint;      /* transfer lines after the last checkpoint */
	bool last_is_checkpoint;
	bool recovered_torn;            /* a torn line was cut off; not yet reported */
	bool broken;                    /* a failed write could not be cut off yet */
	off_t size;
	struct merkle_frontier tree;    /* the Merkle tree of the records, O(log n) hashes */
	/* auditlog_append_nosync: lines written since the last fsync, and the state to go back
	 * to when their fsync (auditlog_sync) fails. */
	bool unsynced;
	struct {
		uint64_t seq, records, since_checkpoint;
		char prev[SHA256_HEX_LEN];
		bool last_is_checkpoint;
		off_t size;
		struct merkle_frontier tree;
	} synced;
};

/* ---- one line: parsing and form ---------------------------------------------------------- */

enum line_type { LINE_TRANSFER, LINE_CHECKPOINT };

struct line_info {
	json_t *obj;            /* owned */
	enum line_type type;
	long long seq;
	const char *prev;       /* into obj */
	long long records;      /* checkpoints */
	struct tree_head head;  /* checkpoints: the line as a signed tree head */
};

static void line_info_free(struct line_info *li)
{
	tree_head_free(&li->head);
	json_decref(li->obj);
	memset(li, 0, sizeof(*li));
}

static bool is_hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Parses one line (without its newline) and checks its form: JSON, canonical, a known type,
 * exactly the members of that type with the right types. Sets *rule and `why` on failure. */
static bool line_parse(const char *line, size_t len, struct line_info *li, const char **rule,
                       char *why, size_t whylen)
{
	static const char *const transfer_members[] = {"prev", "record", "seq", "type", NULL};
		json_error_t jerr;
	const char *stranger = NULL, *type;
	char *canon = NULL;
	json_t *v;

	memset(li, 0, sizeof(*li));
	li->obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (li->obj == NULL) {
		*rule = "audit.json";
		snprintf(why, whylen, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return false;
	}
	if (!json_is_object(li->obj)) {
		*rule = "audit.form";
		snprintf(why, whylen, "not a JSON object");
		goto fail;
	}
	canon = json_canonical(li->obj);
	if (canon == NULL || strlen(canon) != len || memcmp(canon, line, len) != 0) {
		*rule = "audit.canonical";
		snprintf(why, whylen, "not in canonical form (re-serialised, its bytes differ: "
		                      "the line was edited by hand?)");
		goto fail;
	}
	v = json_object_get(li->obj, "type");
	type = json_string_value(v);
	if (type == NULL) {
		*rule = "audit.type";
		snprintf(why, whylen, "no \"type\" member");
		goto fail;
	}
	if (strcmp(type, "transfer") == 0) {
		li->type = LINE_TRANSFER;
		if (!json_only_members(li->obj, transfer_members, &stranger)) {
			*rule = "audit.form";
			snprintf(why, whylen, "unexpected member \"%.64s\" in a transfer line",
			         stranger);
			goto fail;
		}
		if (!json_is_object(json_object_get(li->obj, "record"))) {
			*rule = "audit.form";
			snprintf(why, whylen, "a transfer line needs a \"record\" object");
			goto fail;
		}
	} else if (strcmp(type, "checkpoint") == 0) {
		li->type = LINE_CHECKPOINT;
		if (!tree_head_from_json(li->obj, true, &li->head, why, whylen)) {
			*rule = "audit.form";
			goto fail;
		}
		li->records = (long long)li->head.tree_size;
	} else {
		*rule = "audit.type";
		snprintf(why, whylen, "unknown type \"%.64s\"", type);
		goto fail;
	}
	v = json_object_get(li->obj, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		*rule = "audit.form";
		snprintf(why, whylen, "\"seq\" is missing or not a positive integer");
		goto fail;
	}
	li->seq = json_integer_value(v);
	li->prev = json_string_value(json_object_get(li->obj, "prev"));
	if (!is_hex64(li->prev)) {
		*rule = "audit.form";
		snprintf(why, whylen, "\"prev\" is missing or not a lowercase hex SHA-256");
		goto fail;
	}
	free(canon);
	return true;
fail:
	free(canon);
	line_info_free(li);
	return false;
}

static void now_rfc3339(char out[32])
{
	struct tm tm;
	time_t now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		SLUICE_BUG("cannot format the current time");
}

/* ---- reading a file's lines backwards (the writer's tail) -------------------------------- */

struct tail {
	int fd;
	uint8_t *buf;   /* buf[0..len) holds the file's bytes [start, start + len) */
	size_t len, cap;
	off_t start;
	bool done;
};

static void tail_init(struct tail *t, int fd, off_t end)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->start = end;
}

static void tail_free(struct tail *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* The line before the ones already returned (without its newline; valid until the next call),
 * and its offset in the file. 1: a line; 0: the start of the file was passed; -1: read error
 * (errno); -2: a line longer than AUDITLOG_LINE_MAX. */
static int tail_prev_line(struct tail *t, const uint8_t **line, size_t *len, off_t *off)
{
	for (;;) {
		if (t->done)
			return 0;
		const uint8_t *nl = t->len > 0 ? memrchr(t->buf, '\n', t->len) : NULL;
		if (nl != NULL) {
			size_t i = (size_t)(nl - t->buf);
			*line = t->buf + i + 1;
			*len = t->len - i - 1;
			*off = t->start + (off_t)i + 1;
			t->len = i;
			return 1;
		}
		if (t->start == 0) {
			*line = t->buf != NULL ? t->buf : (const uint8_t *)"";
			*len = t->len;
			*off = 0;
			t->done = true;
			return 1;
		}
		if (t->len > AUDITLOG_LINE_MAX)
			return -2;
		size_t chunk = t->start < AUDITLOG_CHUNK ? (size_t)t->start : AUDITLOG_CHUNK;
		if (t->len + chunk > t->cap) {
			t->cap = (t->len + chunk) * 2;
			t->buf = xrealloc(t->buf, t->cap);
		}
		memmove(t->buf + chunk, t->buf, t->len);
		size_t got = 0;
		while (got < chunk) {
			ssize_t n = pread(t->fd, t->buf + got, chunk - got,
			                  t->start - (off_t)chunk + (off_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == 0)
					errno = EIO; /* the file shrank under us */
				return -1;
			}
			got += (size_t)n;
		}
		t->start -= (off_t)chunk;
		t->len += chunk;
	}
}

/* ---- the writer --------------------------------------------------------------------------- */

static enum sluice_rc lock_log(struct auditlog *log, struct sluice_error *err)
{
	const long step_ms = 20;
	long waited = 0;

	for (;;) {
		if (flock(log->fd, LOCK_EX | LOCK_NB) == 0)
			return SLUICE_OK;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= AUDITLOG_LOCK_WAIT_MS)
			return sluice_fail_at(err, SLUICE_ERR_IO, "audit.lock", log->path, 0, 0,
			                      "cannot lock the audit log%s: %s",
			                      errno == EWOULDBLOCK ? " (another writer holds it)" : "",
			                      strerror(errno));
		struct timespec ts = {0, step_ms * 1000000L};
		nanosleep(&ts, NULL);
		waited += step_ms;
	}
}

/* Cuts off a last line that has no newline (a write torn by a crash). */
static enum sluice_rc cut_torn_line(struct auditlog *log, struct sluice_error *err)
{
	struct tail t;
	const uint8_t *line;
	size_t len;
	off_t off;
	uint8_t last;

	if (log->size == 0)
		return SLUICE_OK;
	if (pread(log->fd, &last, 1, log->size - 1) != 1)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.read", log->path, 0, 0,
		                      "cannot read the audit log: %s", strerror(errno));
	if (last == '\n')
		return SLUICE_OK;
	tail_init(&t, log->fd, log->size);
	int r = tail_prev_line(&t, &line, &len, &off);
	tail_free(&t);
	if (r == -2)
		return sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.torn", log->path, 0, 0,
		                      "the audit log ends with an unterminated line over %u bytes: "
		                      "not a torn write; refusing to cut it (run sluice audit "
		                      "verify)",
		                      AUDITLOG_LINE_MAX);
	if (r != 1)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.read", log->path, 0, 0,
		                      "cannot read the audit log: %s", strerror(errno));
	if (ftruncate(log->fd, off) != 0 || fsync(log->fd) != 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.write", log->path, 0, 0,
		                      "cannot cut off the torn last line: %s", strerror(errno));
	log->size = off;
	log->recovered_torn = true;
	return SLUICE_OK;
}

/* Reads back from the end to the last checkpoint (or the start) to learn seq, prev, the
 * record count and the Merkle tree (the checkpoint's frontier, then the records after it),
 * checking the chain of the lines it passes. */
static enum sluice_rc read_tail(struct auditlog *log, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	struct tail t;
	struct line_info li = {0};
	const uint8_t *line;
	size_t len;
	off_t off;
	bool first = true, found = false;
	long long later_seq = 0;
	char later_prev[SHA256_HEX_LEN] = "", why[400];
	const char *rule = NULL;
	uint64_t transfers = 0;
	merkle_hash *passed = NULL; /* leaf hashes of the records passed, last first */
	size_t passed_cap = 0;

	log->seq = 0;
	snprintf(log->prev, sizeof(log->prev), "%s", ZERO_HASH);
	log->records = 0;
	log->since_checkpoint = 0;
	log->last_is_checkpoint = false;
	merkle_frontier_init(&log->tree);
	if (log->size == 0)
		return SLUICE_OK;

	tail_init(&t, log->fd, log->size - 1); /* the last byte is the final newline */
	for (;;) {
		int r = tail_prev_line(&t, &line, &len, &off);
		if (r == 0)
			break;
		if (r == -1) {
			rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.read", log->path, 0, 0,
			                    "cannot read the audit log: %s", strerror(errno));
			goto out;
		}
		if (r == -2) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.line-too-long", log->path,
			                    0, 0, "a line of the audit log is longer than %u bytes",
			                    AUDITLOG_LINE_MAX);
			goto out;
		}
		if (!line_parse((const char *)line, len, &li, &rule, why, sizeof(why))) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, rule, log->path, 0, 0,
			                    "the line at byte %lld is not a valid audit line: %s "
			                    "(run sluice audit verify)",
			                    (long long)off, why);
			goto out;
		}
		char h[SHA256_HEX_LEN];
		sha256_hex(line, len, h);
		if (first) {
			log->seq = (uint64_t)li.seq;
			snprintf(log->prev, sizeof(log->prev), "%s", h);
			log->last_is_checkpoint = li.type == LINE_CHECKPOINT;
			first = false;
		} else if (strcmp(h, later_prev) != 0 || li.seq + 1 != later_seq) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.chain", log->path, 0, 0,
			                    "the chain is broken near the line at byte %lld (seq %lld): "
			                    "refusing to append (run sluice audit verify)",
			                    (long long)off, li.seq);
			goto out;
		}
		later_seq = li.seq;
		snprintf(later_prev, sizeof(later_prev), "%s", li.prev);
		if (li.type == LINE_CHECKPOINT) {
			if (!tree_head_frontier_ok(&li.head, why, sizeof(why))) {
				rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.root", log->path, 0, 0,
				                    "the last checkpoint (seq %lld) cannot continue the "
				                    "tree: %s; refusing to append (run sluice audit "
				                    "verify)",
				                    li.seq, why);
				goto out;
			}
			log->tree = li.head.frontier;
			log->records = (uint64_t)li.records + transfers;
			found = true;
			break;
		}
		if (transfers == passed_cap) {
			passed_cap = passed_cap ? passed_cap * 2 : 64;
			passed = xrealloc(passed, passed_cap * sizeof(*passed));
		}
		if (!audit_record_leaf_hash(json_object_get(li.obj, "record"), passed[transfers])) {
			rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
			                 "cannot re-serialise a record of the audit log");
			goto out;
		}
		transfers++;
		line_info_free(&li);
	}
	if (!found) {
		/* No checkpoint at all: the first line of the file must start the chain. */
		if (later_seq != 1 || strcmp(later_prev, ZERO_HASH) != 0) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.chain", log->path, 0, 0,
			                    "the first line of the audit log does not start a chain "
			                    "(run sluice audit verify)");
			goto out;
		}
		log->records = transfers;
	}
	for (size_t i = transfers; i-- > 0;)
		merkle_frontier_append(&log->tree, passed[i]);
	log->since_checkpoint = transfers;
out:
	free(passed);
	line_info_free(&li);
	tail_free(&t);
	return rc;
}

/* Cuts the file back to the end of its last good line and makes that durable. 0, or -1
 * (errno set). */
static int cut_back(struct auditlog *log)
{
	return ftruncate(log->fd, log->size) == 0 && fsync(log->fd) == 0 ? 0 : -1;
}

/* One write() of line + "\n", then fsync. On failure the line is cut off again (and the cut
 * fsynced), so the file ends with its last good line and the append may be retried; when even
 * the cut fails, the log is marked broken and each later write first retries the cut, failing
 * ("audit.broken") until it succeeds. */
static enum sluice_rc write_line(struct auditlog *log, const char *text, bool sync,
                                 struct sluice_error *err)
{
	size_t len = strlen(text);
	char *buf;
	ssize_t n;

	if (log->broken) {
		if (cut_back(log) != 0)
			return sluice_fail_at(err, SLUICE_ERR_IO, "audit.broken", log->path, 0, 0,
			                      "an earlier write to the audit log failed and its partial "
			                      "line cannot be cut off yet: %s; not appending",
			                      strerror(errno));
		log->broken = false;
	}
	if (len >= AUDITLOG_LINE_MAX)
		return sluice_fail_at(err, SLUICE_ERR_INTERNAL, "audit.too-large", log->path, 0, 0,
		                      "an audit line of %zu bytes is over the limit of %u", len,
		                      AUDITLOG_LINE_MAX);
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\n';
	do
		n = write(log->fd, buf, len + 1);
	while (n < 0 && errno == EINTR);
	int e = errno;
	free(buf);
	if (!sync && n == (ssize_t)(len + 1) && !log->unsynced) {
		/* The first line after the last fsync: remember where to go back to. */
		log->unsynced = true;
		log->synced.seq = log->seq;
		log->synced.records = log->records;
		log->synced.since_checkpoint = log->since_checkpoint;
		memcpy(log->synced.prev, log->prev, sizeof(log->prev));
		log->synced.last_is_checkpoint = log->last_is_checkpoint;
		log->synced.size = log->size;
		log->synced.tree = log->tree;
	}
	if (n != (ssize_t)(len + 1) || (sync && fsync(log->fd) != 0)) {
		const char *what = "write";
		if (n == (ssize_t)(len + 1)) {
			e = errno; /* fsync failed */
			what = "fsync";
		} else if (n >= 0) {
			e = ENOSPC; /* short write */
		}
		if (cut_back(log) != 0)
			log->broken = true;
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.write", log->path, 0, 0,
		                      "cannot %s the audit log: %s%s", what, strerror(e),
		                      log->broken ? " (and cannot cut off the partial line yet)"
		                                  : " (the partial line was cut off)");
	}
	if (sync)
		log->unsynced = false; /* this fsync covers the lines before it too */
	log->size += (off_t)(len + 1);
	log->seq++;
	sha256_hex(text, len, log->prev);
	return SLUICE_OK;
}

/* A frontier as the JSON array of a checkpoint: hex hashes, largest subtree first. */
static json_t *frontier_json(const struct merkle_frontier *tree)
{
	json_t *a = json_array();
	for (unsigned i = 0; a != NULL && i < tree->count; i++) {
		char hex[2 * MERKLE_HASH_LEN + 1];
		merkle_hash_hex(tree->node[i], hex);
		if (json_array_append_new(a, json_string(hex)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static enum sluice_rc write_checkpoint(struct auditlog *log, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	json_t *cp = json_object();
	char *payload = NULL, *sig64 = NULL, *text = NULL;
	char now[32], root_hex[2 * MERKLE_HASH_LEN + 1];
	uint8_t sig[64];
	merkle_hash root;

	now_rfc3339(now);
	if (log->tree.size != log->records)
		SLUICE_BUG("the Merkle tree and the record count disagree");
	merkle_frontier_root(&log->tree, root);
	merkle_hash_hex(root, root_hex);
	/* (json_object_set_new releases the value even when it fails, so nothing leaks.) */
	if (json_object_set_new(cp, "frontier", frontier_json(&log->tree)) != 0 ||
	    json_object_set_new(cp, "root", json_string(root_hex)) != 0 ||
	    json_object_set_new(cp, "key_id", json_string(log->key_id)) != 0 ||
	    json_object_set_new(cp, "prev", json_string(log->prev)) != 0 ||
	    json_object_set_new(cp, "records", json_integer((json_int_t)log->records)) != 0 ||
	    json_object_set_new(cp, "seq", json_integer((json_int_t)(log->seq + 1))) != 0 ||
	    json_object_set_new(cp, "time", json_string(now)) != 0 ||
	    json_object_set_new(cp, "type", json_string("checkpoint")) != 0 ||
	    (log->recovered_torn &&
	     json_object_set_new(cp, "recovered_torn_line", json_true()) != 0) ||
	    (payload = json_canonical(cp)) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
		                 "cannot encode a checkpoint");
		goto out;
	}
	rc = log->sign(log->sign_arg, payload, strlen(payload), sig, err);
	if (rc != SLUICE_OK)
		goto out;
	sig64 = base64_encode(sig, sizeof(sig));
	if (json_object_set_new(cp, "signature", json_string(sig64)) != 0 ||
	    (text = json_canonical(cp)) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
		                 "cannot encode a checkpoint");
		goto out;
	}
	rc = write_line(log, text, true, err);
	if (rc != SLUICE_OK)
		goto out;
	log->since_checkpoint = 0;
	log->recovered_torn = false;
	log->last_is_checkpoint = true;
out:
	free(text);
	free(sig64);
	free(payload);
	json_decref(cp);
	return rc;
}

static void auditlog_free(struct auditlog *log);

void auditlog_abandon(struct auditlog *log)
{
	auditlog_free(log);
}

static void auditlog_free(struct auditlog *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0) {
		(void)flock(log->fd, LOCK_UN);
		close(log->fd);
	}
	EVP_PKEY_free(log->key);
	free(log->path);
	free(log);
}

static enum sluice_rc sign_with_key(void *arg, const char *payload, size_t len, uint8_t sig[64],
                                    struct sluice_error *err)
{
	return signature_sign(arg, payload, len, sig, err);
}

static enum sluice_rc open_log(struct auditlog *log, const char *path, struct sluice_error *err);

enum sluice_rc auditlog_open(const char *path, EVP_PKEY *key, struct auditlog **out,
                             struct sluice_error *err)
{
	enum sluice_rc rc;
	struct auditlog *log = xcalloc(1, sizeof(*log));

	*out = NULL;
	log->fd = -1;
	log->path = xstrdup(path);
	log->interval = AUDITLOG_CHECKPOINT_INTERVAL;
	rc = key_id_hex(key, log->key_id, err);
	if (rc != SLUICE_OK)
		goto out;
	if (!EVP_PKEY_is_a(key, "ED25519")) {
		rc = sluice_fail(err, SLUICE_ERR_POLICY, "key.type",
		                 "the audit log's checkpoint key is not an Ed25519 key");
		goto out;
	}
	if (EVP_PKEY_up_ref(key) != 1) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.key", "EVP_PKEY_up_ref failed");
		goto out;
	}
	log->key = key;
	log->sign = sign_with_key;
	log->sign_arg = key;
	rc = open_log(log, path, err);
	if (rc != SLUICE_OK)
		goto out;
	*out = log;
	log = NULL;
out:
	auditlog_free(log);
	return rc;
}

enum sluice_rc auditlog_open_with_signer(const char *path, const char *key_id,
                                         auditlog_sign_fn sign, void *sign_arg,
                                         struct auditlog **out, struct sluice_error *err)
{
	enum sluice_rc rc;
	struct auditlog *log = xcalloc(1, sizeof(*log));

	*out = NULL;
	log->fd = -1;
	log->path = xstrdup(path);
	log->interval = AUDITLOG_CHECKPOINT_INTERVAL;
	if (key_id == NULL || !is_hex64(key_id)) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.key", "bad checkpoint key id");
		goto out;
	}
	snprintf(log->key_id, sizeof(log->key_id), "%s", key_id);
	log->sign = sign;
	log->sign_arg = sign_arg;
	rc = open_log(log, path, err);
	if (rc != SLUICE_OK)
		goto out;
	*out = log;
	log = NULL;
out:
	auditlog_free(log);
	return rc;
}

bool auditlog_checkpoint_payload_ok(const char *payload, size_t len, const char *key_id,
                                    char *why, size_t whylen)
{
	json_error_t jerr;
	struct tree_head head = {0};
	char *canon = NULL;
	bool ok = false;
	json_t *cp = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);

	if (cp == NULL || !json_is_object(cp)) {
		snprintf(why, whylen, "not a JSON object");
	} else if (!tree_head_from_json(cp, false, &head, why, whylen) ||
	           !tree_head_frontier_ok(&head, why, whylen)) {
		/* why says what */
	} else if (strcmp(head.key_id, key_id) != 0) {
		snprintf(why, whylen, "names another key");
	} else if ((canon = json_canonical(cp)) == NULL || strlen(canon) != len ||
	           memcmp(canon, payload, len) != 0) {
		snprintf(why, whylen, "not canonical JSON");
	} else {
		ok = true;
	}
	free(canon);
	tree_head_free(&head);
	json_decref(cp);
	return ok;
}

int auditlog_fd(const struct auditlog *log)
{
	return log->fd;
}

void auditlog_set_checkpoint_interval(struct auditlog *log, unsigned interval)
{
	if (interval >= 1 && interval <= AUDITLOG_CHECKPOINT_INTERVAL)
		log->interval = interval;
}

/* Opens, locks and reads the tail of the log for `log` (whose signing is set up). */
static enum sluice_rc open_log(struct auditlog *log, const char *path, struct sluice_error *err)
{
	enum sluice_rc rc;
	struct stat st;

	log->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
	               0640);
	if (log->fd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                    "cannot open the audit log: %s", strerror(errno));
		goto out;
	}
	if (fstat(log->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                    "the audit log is not a regular file");
		goto out;
	}
	rc = lock_log(log, err);
	if (rc != SLUICE_OK)
		goto out;
	/* Size only now, under the lock: another writer may have appended meanwhile. */
	if (fstat(log->fd, &st) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0, "cannot stat: %s",
		                    strerror(errno));
		goto out;
	}
	log->size = st.st_size;
	if (log->size == 0)
		path_fsync_parent(path); /* a new file: make its name durable */
	rc = cut_torn_line(log, err);
	if (rc != SLUICE_OK)
		goto out;
	rc = read_tail(log, err);
out:
	return rc;
}

enum sluice_rc auditlog_append(struct auditlog *log, const json_t *record,
                               struct sluice_error *err)
{
	return auditlog_append_indexed(log, record, NULL, err);
}

static enum sluice_rc append(struct auditlog *log, const json_t *record, uint64_t *leaf_index,
                             bool sync, struct sluice_error *err);

enum sluice_rc auditlog_append_indexed(struct auditlog *log, const json_t *record,
                                       uint64_t *leaf_index, struct sluice_error *err)
{
	return append(log, record, leaf_index, true, err);
}

enum sluice_rc auditlog_append_nosync(struct auditlog *log, const json_t *record,
                                      uint64_t *leaf_index, struct sluice_error *err)
{
	return append(log, record, leaf_index, false, err);
}

enum sluice_rc auditlog_sync(struct auditlog *log, struct sluice_error *err)
{
	if (log == NULL || !log->unsynced)
		return SLUICE_OK;
	if (fsync(log->fd) == 0) {
		log->unsynced = false;
		return SLUICE_OK;
	}
	int e = errno;
	/* None of the lines since the last fsync is known to be durable: cut them all off, and
	 * forget them. */
	log->unsynced = false;
	log->seq = log->synced.seq;
	log->records = log->synced.records;
	log->since_checkpoint = log->synced.since_checkpoint;
	memcpy(log->prev, log->synced.prev, sizeof(log->prev));
	log->last_is_checkpoint = log->synced.last_is_checkpoint;
	log->size = log->synced.size;
	log->tree = log->synced.tree;
	if (cut_back(log) != 0)
		log->broken = true;
	return sluice_fail_at(err, SLUICE_ERR_IO, "io.write", log->path, 0, 0,
	                      "cannot fsync the audit log: %s%s", strerror(e),
	                      log->broken ? " (and cannot cut off the unsynced lines yet)"
	                                  : " (the unsynced lines were cut off)");
}

/* Writes a transfer line whose canonical text is `text` and whose leaf hash is `leaf`. */
static enum sluice_rc append_line(struct auditlog *log, const char *text, const merkle_hash leaf,
                                  uint64_t *leaf_index, bool sync, struct sluice_error *err)
{
	enum sluice_rc rc = write_line(log, text, sync, err);
	if (rc != SLUICE_OK)
		return rc;
	if (leaf_index != NULL)
		*leaf_index = log->records;
	merkle_frontier_append(&log->tree, leaf);
	log->records++;
	log->since_checkpoint++;
	log->last_is_checkpoint = false;
	/* The record is durable: that is what the caller asked for. A checkpoint that cannot be
	 * written now is tried again at the next append and at close, which reports it. */
	if (log->since_checkpoint >= log->interval) {
		struct sluice_error ignored;
		(void)write_checkpoint(log, &ignored);
	}
	return SLUICE_OK;
}

static enum sluice_rc append(struct auditlog *log, const json_t *record, uint64_t *leaf_index,
                             bool sync, struct sluice_error *err)
{
	enum sluice_rc rc;
	json_t *line = NULL, *copy = NULL;
	char *text = NULL;
	merkle_hash leaf;

	if (log == NULL || !json_is_object(record))
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.record",
		                   "an audit record must be a JSON object");
	copy = json_deep_copy(record);
	line = json_object();
	if (copy == NULL || line == NULL || !audit_record_leaf_hash(copy, leaf) ||
	    json_object_set_new(line, "prev", json_string(log->prev)) != 0 ||
	    json_object_set(line, "record", copy) != 0 ||
	    json_object_set_new(line, "seq", json_integer((json_int_t)(log->seq + 1))) != 0 ||
	    json_object_set_new(line, "type", json_string("transfer")) != 0 ||
	    (text = json_canonical(line)) == NULL) {
		rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
		                 "cannot encode the audit record");
		goto out;
	}
	rc = append_line(log, text, leaf, leaf_index, sync, err);
out:
	free(text);
	json_decref(copy);
	json_decref(line);
	return rc;
}

/* The members in json_canonical's order (prev, record, seq, type) and its number format; prev
 * is hex, so nothing needs escaping. */
enum sluice_rc auditlog_append_canonical(struct auditlog *log, const char *canon,
                                         uint64_t *leaf_index, bool sync,
                                         struct sluice_error *err)
{
	if (log == NULL || canon == NULL || canon[0] != '{')
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.record",
		                   "an audit record must be a JSON object");
	merkle_hash leaf;
	size_t cn = strlen(canon);
	merkle_leaf_hash(canon, cn, leaf);
	char head[128], tail[64];
	int hn = snprintf(head, sizeof(head), "{\"prev\":\"%s\",\"record\":", log->prev);
	int tn = snprintf(tail, sizeof(tail), ",\"seq\":%" PRIu64 ",\"type\":\"transfer\"}",
	                  log->seq + 1);
	if (hn < 0 || tn < 0 || (size_t)hn >= sizeof(head) || (size_t)tn >= sizeof(tail))
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
		                   "cannot encode the audit record");
	char *text = xmalloc((size_t)hn + cn + (size_t)tn + 1);
	memcpy(text, head, (size_t)hn);
	memcpy(text + hn, canon, cn);
	memcpy(text + (size_t)hn + cn, tail, (size_t)tn + 1);
	enum sluice_rc rc = append_line(log, text, leaf, leaf_index, sync, err);
	free(text);
	return rc;
}

uint64_t auditlog_records(const struct auditlog *log)
{
	return log->records;
}

uint64_t auditlog_unsigned_records(const struct auditlog *log)
{
	return log->last_is_checkpoint ? 0 : log->since_checkpoint;
}

/* A new tree head is worth writing when the last line is not one, after a torn line was cut,
 * and for an empty log (so that it verifies, and has a head to give a witness). */
static bool needs_checkpoint(const struct auditlog *log)
{
	return !log->last_is_checkpoint || log->recovered_torn || log->seq == 0;
}

enum sluice_rc auditlog_checkpoint(struct auditlog *log, struct sluice_error *err)
{
	return needs_checkpoint(log) ? write_checkpoint(log, err) : SLUICE_OK;
}

enum sluice_rc auditlog_close(struct auditlog *log, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;

	if (log == NULL)
		return SLUICE_OK;
	/* A checkpoint unless the log already ends with one; an empty log gets one too, so
	 * that every closed log verifies (a broken log first retries its cut: write_line). */
	if (log->broken || needs_checkpoint(log))
		rc = write_checkpoint(log, err);
	auditlog_free(log);
	return rc;
}

/* Opens a log to read it (not to append): a regular file, or an error naming it. */
static enum sluice_rc open_for_reading(const char *path, int *fd, struct stat *st,
                                       struct sluice_error *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                      "cannot open the audit log: %s", strerror(errno));
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", path, 0, 0,
		                      "the audit log is not a regular file");
	}
	return SLUICE_OK;
}

enum sluice_rc auditlog_last_head(const char *path, struct tree_head *head,
                                  uint64_t *unsigned_records, struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	struct tail t;
	struct line_info li = {0};
	const uint8_t *line;
	size_t len;
	off_t off, end;
	struct stat st;
	char why[400];
	const char *rule = NULL;
	uint8_t last = '\n';
	bool skip_partial;

	memset(head, 0, sizeof(*head));
	*unsigned_records = 0;
	int fd = -1;
	enum sluice_rc orc = open_for_reading(path, &fd, &st, err);
	if (orc != SLUICE_OK)
		return orc;
	end = st.st_size;
	if (end > 0 && pread(fd, &last, 1, end - 1) != 1) {
		close(fd);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.read", path, 0, 0,
		                      "cannot read the audit log: %s", strerror(errno));
	}
	/* A last line without its newline is being written (or was torn): not a head yet. */
	skip_partial = last != '\n';
	tail_init(&t, fd, skip_partial ? end : end - 1);
	for (;;) {
		int r = end > 0 ? tail_prev_line(&t, &line, &len, &off) : 0;
		if (r == 0) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.no-head", path, 0, 0,
			                    "the audit log has no signed checkpoint yet");
			break;
		}
		if (r < 0) {
			rc = sluice_fail_at(err, r == -1 ? SLUICE_ERR_IO : SLUICE_ERR_VERIFY,
			                    r == -1 ? "io.read" : "audit.line-too-long", path, 0, 0,
			                    "cannot read the audit log's last lines%s%s",
			                    r == -1 ? ": " : " (a line is too long)",
			                    r == -1 ? strerror(errno) : "");
			break;
		}
		if (skip_partial) {
			skip_partial = false;
			continue;
		}
		if (!line_parse((const char *)line, len, &li, &rule, why, sizeof(why))) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, rule, path, 0, 0,
			                    "the line at byte %lld is not a valid audit line: %s (run "
			                    "sluice audit verify)",
			                    (long long)off, why);
			break;
		}
		if (li.type == LINE_CHECKPOINT) {
			if (!tree_head_frontier_ok(&li.head, why, sizeof(why))) {
				rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.root", path, 0, 0,
				                    "the last checkpoint (line %lld): %s", li.seq, why);
				break;
			}
			*head = li.head;
			head->json = json_incref(li.head.json);
			break;
		}
		(*unsigned_records)++;
		line_info_free(&li);
	}
	line_info_free(&li);
	tail_free(&t);
	close(fd);
	return rc;
}

/* ---- the verifier ------------------------------------------------------------------------ */

static enum sluice_rc verify_fail(struct auditlog_verify_result *res, struct sluice_error *err,
                                  const char *path, const char *rule, size_t line,
                                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static enum sluice_rc verify_fail(struct auditlog_verify_result *res, struct sluice_error *err,
                                  const char *path, const char *rule, size_t line,
                                  const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	res->bad_line = line;
	snprintf(res->why, sizeof(res->why), "line %zu: %s", line, text);
	return sluice_fail_at(err, SLUICE_ERR_VERIFY, rule, path, (unsigned)line, 0, "%s",
	                      res->why);
}

enum sluice_rc auditlog_verify(const char *path, EVP_PKEY *pub,
                               struct auditlog_verify_result *res, struct sluice_error *err)
{
	struct auditlog_scan_options opt = { .pub = pub };
	return auditlog_scan(path, &opt, res, NULL, err);
}

void auditlog_tree_free(struct auditlog_tree *tree)
{
	if (tree == NULL)
		return;
	free(tree->leaves);
	tree_head_free(&tree->last_head);
	memset(tree, 0, sizeof(*tree));
}

/* The witness heads are checked before the log is read: a head that is not the key's says
 * nothing about the log. */
static enum sluice_rc check_witness_signatures(const char *path,
                                               const struct auditlog_scan_options *opt,
                                               struct auditlog_verify_result *res,
                                               struct sluice_error *err)
{
	char why[300];
	for (size_t i = 0; i < opt->nwitness; i++) {
		if (tree_head_signature_ok(&opt->witness[i], opt->pub, why, sizeof(why)) &&
		    tree_head_frontier_ok(&opt->witness[i], why, sizeof(why)))
			continue;
		res->bad_witness = i + 1;
		snprintf(res->why, sizeof(res->why), "witness head %zu: %s", i + 1, why);
		return sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.head-signature", path, 0, 0,
		                      "%s", res->why);
	}
	return SLUICE_OK;
}

/* After the log's first `computed->size` records: every witness head of that size must have
 * the same root, or the log and the head tell two different histories. */
static enum sluice_rc check_witness_roots(const char *path,
                                          const struct auditlog_scan_options *opt,
                                          const struct merkle_frontier *computed, size_t line,
                                          struct auditlog_verify_result *res,
                                          struct sluice_error *err)
{
	merkle_hash root;
	bool have_root = false;
	for (size_t i = 0; i < opt->nwitness; i++) {
		const struct tree_head *w = &opt->witness[i];
		if (w->tree_size != computed->size)
			continue;
		if (!have_root) {
			merkle_frontier_root(computed, root);
			have_root = true;
		}
		if (memcmp(root, w->root, MERKLE_HASH_LEN) == 0)
			continue;
		char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
		merkle_hash_hex(w->root, want);
		merkle_hash_hex(root, got);
		res->bad_witness = i + 1;
		return verify_fail(res, err, path, "audit.fork", line,
		                   "forked: witness head %zu of tree_size %llu has root %s, the "
		                   "log's tree at size %llu has root %s: the records up to here are "
		                   "not the ones that head signed",
		                   i + 1, (unsigned long long)w->tree_size, want,
		                   (unsigned long long)computed->size, got);
	}
	return SLUICE_OK;
}

/* A checkpoint's own tree head must be the tree of the records before it. */
static enum sluice_rc check_checkpoint_tree(const char *path, const struct tree_head *head,
                                            const struct merkle_frontier *computed,
                                            size_t line, struct auditlog_verify_result *res,
                                            struct sluice_error *err)
{
	char why[300], want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	merkle_hash root;

	if (!tree_head_frontier_ok(head, why, sizeof(why)))
		return verify_fail(res, err, path, "audit.root", line, "checkpoint: %s", why);
	merkle_frontier_root(computed, root);
	if (memcmp(root, head->root, MERKLE_HASH_LEN) != 0) {
		merkle_hash_hex(head->root, want);
		merkle_hash_hex(root, got);
		return verify_fail(res, err, path, "audit.root", line,
		                   "the checkpoint's root %s is not the root of the log's %llu "
		                   "records (%s)",
		                   want, (unsigned long long)computed->size, got);
	}
	if (head->frontier.count != computed->count ||
	    memcmp(head->frontier.node, computed->node,
	           (size_t)computed->count * MERKLE_HASH_LEN) != 0)
		return verify_fail(res, err, path, "audit.root", line,
		                   "the checkpoint's frontier is not that of the log's %llu records",
		                   (unsigned long long)computed->size);
	return SLUICE_OK;
}

enum sluice_rc auditlog_scan(const char *path, const struct auditlog_scan_options *opt,
                             struct auditlog_verify_result *res, struct auditlog_tree *tree,
                             struct sluice_error *err)
{
	enum sluice_rc rc = SLUICE_OK;
	struct audit_line_reader *lr = NULL;
	const char *line = NULL;
	uint64_t offset;
	struct line_info li = {0};
	struct merkle_frontier computed;
	char prev[SHA256_HEX_LEN], want_kid[SHA256_HEX_LEN] = "", why[400];
	const char *rule = NULL;
	size_t n = 0, last_cp = 0, len = 0, leaves_cap = 0;
	uint8_t *sig = NULL;
	bool newline;
	int fd = -1;
	enum audit_line_next r = AUDIT_LINE_END;
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (tree != NULL)
		memset(tree, 0, sizeof(*tree));
	merkle_frontier_init(&computed);
	if (opt->pub != NULL) {
		rc = key_id_hex(opt->pub, want_kid, err);
		if (rc != SLUICE_OK)
			return rc;
		if (!EVP_PKEY_is_a(opt->pub, "ED25519"))
			return sluice_fail(err, SLUICE_ERR_POLICY, "key.type",
			                   "the public key is not an Ed25519 key");
		rc = check_witness_signatures(path, opt, res, err);
		if (rc != SLUICE_OK)
			return rc;
	}
	rc = open_for_reading(path, &fd, &st, err);
	if (rc != SLUICE_OK)
		return rc;
	lr = audit_line_reader_new(fd, 0, AUDITLOG_LINE_MAX);
	snprintf(prev, sizeof(prev), "%s", ZERO_HASH);

	while ((r = audit_line_next(lr, &line, &len, &offset, &newline)) == AUDIT_LINE_OK) {
		n++;
		res->lines = n;
		if (!newline) {
			rc = verify_fail(res, err, path, "audit.torn", n,
			                 "the last line is incomplete (no final newline: a torn write, "
			                 "or the log was cut mid-line)");
			goto out;
		}
		if (!line_parse(line, len, &li, &rule, why, sizeof(why))) {
			rc = verify_fail(res, err, path, rule, n, "%s", why);
			goto out;
		}
		if (li.seq < 0 || (unsigned long long)li.seq != n) {
			rc = verify_fail(res, err, path, "audit.seq", n,
			                 "seq is %lld, expected %zu: lines were removed, inserted or "
			                 "reordered",
			                 li.seq, n);
			goto out;
		}
		if (strcmp(li.prev, prev) != 0) {
			if (n == 1)
				rc = verify_fail(res, err, path, "audit.prev", n,
				                 "prev is not 64 zeros: the log does not start here");
			else
				rc = verify_fail(res, err, path, "audit.prev", n,
				                 "prev does not match the hash of line %zu (that line was "
				                 "changed, or lines were removed, inserted or reordered)",
				                 n - 1);
			goto out;
		}
		if (li.type == LINE_TRANSFER) {
			merkle_hash leaf;
			if (!audit_record_leaf_hash(json_object_get(li.obj, "record"), leaf)) {
				rc = sluice_fail(err, SLUICE_ERR_INTERNAL, "audit.encode",
				                 "cannot re-serialise a record");
				goto out;
			}
			if (tree != NULL) {
				if (tree->nleaves == AUDITLOG_MAX_PROOF_LEAVES) {
					rc = sluice_fail_at(err, SLUICE_ERR_INTERNAL, "audit.too-many", path,
					                    0, 0, "more than %u records: too many to hold "
					                    "for a proof",
					                    AUDITLOG_MAX_PROOF_LEAVES);
					goto out;
				}
				if (tree->nleaves == leaves_cap) {
					leaves_cap = leaves_cap ? leaves_cap * 2 : 1024;
					tree->leaves = xrealloc(tree->leaves,
					                        leaves_cap * sizeof(*tree->leaves));
				}
				memcpy(tree->leaves[tree->nleaves++], leaf, MERKLE_HASH_LEN);
			}
			merkle_frontier_append(&computed, leaf);
			res->transfers++;
			rc = check_witness_roots(path, opt, &computed, n, res, err);
			if (rc != SLUICE_OK)
				goto out;
		} else {
			size_t siglen = 0;
			if (opt->pub != NULL && strcmp(li.head.key_id, want_kid) != 0) {
				rc = verify_fail(res, err, path, "audit.key-id", n,
				                 "checkpoint signed by an unknown key %s (expected %s)",
				                 li.head.key_id, want_kid);
				goto out;
			}
			if (opt->pub != NULL) {
				char *payload = tree_head_payload(li.obj);
				bool good = payload != NULL &&
				            base64_decode(li.head.signature, &sig, &siglen) == 0 &&
				            signature_verify(opt->pub, payload, strlen(payload), sig,
				                             siglen);
				free(payload);
				free(sig);
				sig = NULL;
				if (!good) {
					rc = verify_fail(res, err, path, "audit.signature", n,
					                 "bad checkpoint signature (the checkpoint was altered "
					                 "or not signed by key %s)",
					                 want_kid);
					goto out;
				}
			}
			if ((unsigned long long)li.records != res->transfers) {
				rc = verify_fail(res, err, path, "audit.records", n,
				                 "the checkpoint counts %lld records, but the log holds %zu "
				                 "transfer records up to here",
				                 li.records, res->transfers);
				goto out;
			}
			rc = check_checkpoint_tree(path, &li.head, &computed, n, res, err);
			if (rc != SLUICE_OK)
				goto out;
			res->checkpoints++;
			last_cp = n;
			if (tree != NULL) {
				tree_head_free(&tree->last_head);
				tree->last_head = li.head;
				tree->last_head.json = json_incref(li.head.json);
				tree->has_head = true;
			}
		}
		sha256_hex(line, len, prev);
		line_info_free(&li);
	}
	if (r == AUDIT_LINE_IO) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.read", path, 0, 0,
		                    "cannot read the audit log: %s", strerror(errno));
		goto out;
	}
	if (r == AUDIT_LINE_TOO_LONG) {
		rc = verify_fail(res, err, path, "audit.line-too-long", n + 1,
		                 "longer than %u bytes: not an audit line", AUDITLOG_LINE_MAX);
		goto out;
	}
	merkle_frontier_root(&computed, res->root);
	/* A witness remembers a longer log than this one: records were cut off. */
	for (size_t i = 0; i < opt->nwitness; i++) {
		if (opt->witness[i].tree_size <= computed.size)
			continue;
		res->bad_witness = i + 1;
		rc = verify_fail(res, err, path, "audit.truncated", n + 1,
		                 "truncated: witness head %zu has tree_size %llu, but the log holds "
		                 "only %zu records (records after line %zu were cut off, or this is "
		                 "not the log that head came from)",
		                 i + 1, (unsigned long long)opt->witness[i].tree_size,
		                 res->transfers, n);
		goto out;
	}
	if (n == 0) {
		rc = verify_fail(res, err, path, "audit.empty", 1,
		                 "empty log: no records and no signed checkpoint");
		goto out;
	}
	if (last_cp != n && !opt->allow_unsigned_tail) {
		rc = verify_fail(res, err, path, "audit.unsigned-tail", last_cp + 1,
		                 "the log does not end with a signed checkpoint: records after "
		                 "line %zu are unsigned (truncated or appended?)",
		                 last_cp);
		goto out;
	}
out:
	if (rc != SLUICE_OK && tree != NULL)
		auditlog_tree_free(tree);
	line_info_free(&li);
	audit_line_reader_free(lr);
	close(fd);
	return rc;
}
