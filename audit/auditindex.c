/*
 * The audit index (auditindex.h; format and guarantees in audit/README.md, "The index").
 *
 * Trust: the log and the index are both hostile. The index can only ever make a query fail, not
 * lie about a record it prints: every record printed is read back from the log at the offset
 * the index holds, hashed and compared with the index's hash, and filtered again. What it can
 * do undetected is leave records out, or miscount in `stats`; `sluice audit index --rebuild`
 * (or deleting the index) restores the truth from the log. The anchor check when an index is
 * opened ties it to the log it was built from in O(1): it does not re-verify the log.
 */
#include "auditindex.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "fileio.h"
#include "keys.h"

/* The writer refuses longer lines (auditlog.c); the index refuses to point at one. */
#define LOG_LINE_MAX (16u * 1024 * 1024)
#define HASH_LEN SHA256_DIGEST_LENGTH
#define REBUILD_HINT "rebuild it with sluice audit index --rebuild --pub PUBKEY LOG"

/* ---- the schema: exactly these objects, or the index is refused ---------------------------- */

struct schema_object {
	const char *type, *name, *sql;
};

static const struct schema_object schema_tables[] = {
	{ "table", "anchor",
	  "CREATE TABLE anchor (one INTEGER PRIMARY KEY CHECK (one = 1), format TEXT NOT NULL, "
	  "first_length INTEGER NOT NULL, first_hash BLOB NOT NULL, "
	  "last_seq INTEGER NOT NULL, last_offset INTEGER NOT NULL, last_length INTEGER NOT NULL, "
	  "last_hash BLOB NOT NULL, transfers INTEGER NOT NULL, checkpoints INTEGER NOT NULL, "
	  "verified_seq INTEGER NOT NULL, verified_offset INTEGER NOT NULL, "
	  "verified_length INTEGER NOT NULL, verified_hash BLOB NOT NULL, key_id TEXT NOT NULL, "
	  "verified_time TEXT NOT NULL)" },
	/* Every domain, decision, rule and policy id, once: the tables below hold their ids, so
	 * that a filter that must look at many rows reads few pages. */
	{ "table", "names",
	  "CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)" },
	/* What the filters and stats look at, as narrow as possible (about 35 bytes a record). */
	{ "table", "transfers",
	  "CREATE TABLE transfers (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, "
	  "from_id INTEGER NOT NULL, to_id INTEGER NOT NULL, decision_id INTEGER NOT NULL, "
	  "redacted INTEGER NOT NULL, reason_rule_id INTEGER, policy_id INTEGER, "
	  "policy_version INTEGER)" },
	/* Where each transfer line is in the log and its SHA-256 (its chain hash): read only for
	 * the records an answer prints. */
	{ "table", "positions",
	  "CREATE TABLE positions (seq INTEGER PRIMARY KEY, offset INTEGER NOT NULL, "
	  "length INTEGER NOT NULL, hash BLOB NOT NULL)" },
	{ "table", "transfer_ids",
	  "CREATE TABLE transfer_ids (transfer_id TEXT NOT NULL, seq INTEGER NOT NULL, "
	  "PRIMARY KEY (transfer_id, seq)) WITHOUT ROWID" },
	{ "table", "checkpoints",
	  "CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY, offset INTEGER NOT NULL, "
	  "length INTEGER NOT NULL, hash BLOB NOT NULL, records INTEGER NOT NULL)" },
	/* One row per distinct (kind, rule) of a record: the reason rule, removal and redaction
	 * rules (enum audit_rule_kind). The record's time is repeated here so that "this rule,
	 * this month" is one range of the key. */
	{ "table", "rules",
	  "CREATE TABLE rules (kind INTEGER NOT NULL, rule_id INTEGER NOT NULL, "
	  "time TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (kind, rule_id, time, seq)) "
	  "WITHOUT ROWID" },
};

/* Created after a fresh index is filled (faster than keeping them up to date row by row). The
 * flow index covers every column `stats` groups by, so stats reads it alone, in order; each
 * single-column one carries the time too, so that a filter with a period is one key range. */
static const struct schema_object schema_indexes[] = {
	/* SQLite's own index for names' UNIQUE constraint (it has no SQL text). */
	{ "index", "sqlite_autoindex_names_1", NULL },
	{ "index", "transfers_by_time", "CREATE INDEX transfers_by_time ON transfers (time)" },
	{ "index", "transfers_by_flow",
	  "CREATE INDEX transfers_by_flow ON transfers (from_id, to_id, decision_id, redacted, "
	  "reason_rule_id, policy_id, policy_version)" },
	{ "index", "transfers_by_to", "CREATE INDEX transfers_by_to ON transfers (to_id, time)" },
	{ "index", "transfers_by_decision",
	  "CREATE INDEX transfers_by_decision ON transfers (decision_id, time)" },
	/* The version first: "--policy-version N" is asked more than "--policy ID" alone. */
	{ "index", "transfers_by_policy",
	  "CREATE INDEX transfers_by_policy ON transfers (policy_version, policy_id, time)" },
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- state ------------------------------------------------------------------------------- */

struct line_pos {
	uint64_t seq, offset, length;
	uint8_t hash[HASH_LEN];
};

/* What ties an index to its log: the first line, the last line indexed (the chain's end) and
 * the last checkpoint verified with the key. */
struct anchor {
	struct line_pos first, last, verified;
	uint64_t transfers, checkpoints;
	char key_id[65];
	char verified_time[32];
};

struct auditindex {
	sqlite3 *db;
	char *index_path, *log_path;
	int log_fd;
	struct anchor anchor;
	struct auditindex_status status;
	char *line;          /* a record read back from the log */
	size_t line_cap;
};

static uint64_t anchor_bytes(const struct anchor *a)
{
	return a->last.offset + a->last.length + 1;
}

static void status_from_anchor(struct auditindex_status *s, const struct anchor *a)
{
	s->lines = a->last.seq;
	s->transfers = a->transfers;
	s->checkpoints = a->checkpoints;
	s->bytes = anchor_bytes(a);
	s->verified_seq = a->verified.seq;
	snprintf(s->key_id, sizeof(s->key_id), "%s", a->key_id);
	snprintf(s->verified_time, sizeof(s->verified_time), "%s", a->verified_time);
}

/* ---- SQLite errors ----------------------------------------------------------------------- */

/* An SQLite failure as a Sluice error: a damaged or foreign file is a verification failure
 * (rebuild), anything else an I/O error. */
static enum sluice_rc db_fail(struct sluice_error *err, sqlite3 *db, int rc, const char *path,
                              const char *doing)
{
	int primary = rc & 0xff;
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FORMAT ||
	    primary == SQLITE_SCHEMA || primary == SQLITE_MISMATCH || primary == SQLITE_ERROR)
		return sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.corrupt", path, 0, 0,
		                      "the index is damaged or not a Sluice audit index (%s, %s): "
		                      REBUILD_HINT, doing, msg);
	return sluice_fail_at(err, SLUICE_ERR_IO, "index.io", path, 0, 0,
	                      "cannot use the index (%s): %s", doing, msg);
}

static enum sluice_rc db_exec(sqlite3 *db, const char *path, const char *sql,
                              struct sluice_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? SLUICE_OK : db_fail(err, db, rc, path, sql);
}

static enum sluice_rc db_prepare(sqlite3 *db, const char *path, const char *sql,
                                 sqlite3_stmt **stmt, struct sluice_error *err)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
	return rc == SQLITE_OK ? SLUICE_OK : db_fail(err, db, rc, path, "preparing a query");
}

/* Opens the database without following a symbolic link, hardened for a hostile file: no
 * triggers, no views, no functions from the schema, defensive mode, checked cell sizes. */
static enum sluice_rc db_open(const char *path, int flags, sqlite3 **out, struct sluice_error *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
	*out = NULL;
	if (rc != SQLITE_OK) {
		enum sluice_rc r = sluice_fail_at(err, SLUICE_ERR_IO, "index.open", path, 0, 0,
		                                  "cannot open the index: %s",
		                                  db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return r;
	}
	sqlite3_extended_result_codes(db, 0);
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "index.open",
		                   "cannot harden the SQLite connection");
	}
	sqlite3_busy_timeout(db, 5000);
	/* Pages read through a memory map cost neither a copy nor an allocation each: measured,
	 * a query that looks at 125,000 rows of a million went from 0.91 s to 0.56 s, stats from
	 * 1.10 s to 0.71 s. SQLite never writes through the map. The price: whoever may write
	 * the index can truncate it under a reader and kill it with SIGBUS, which denies nothing
	 * that deleting the index would not. */
	enum sluice_rc r = db_exec(db, path, "PRAGMA cell_size_check = ON; "
	                                     "PRAGMA cache_size = -65536; "
	                                     "PRAGMA mmap_size = 4294967296; "
	                                     "PRAGMA temp_store = MEMORY", err);
	if (r != SLUICE_OK) {
		sqlite3_close(db);
		return r;
	}
	*out = db;
	return SLUICE_OK;
}

/* The schema must be exactly the one we create (plus the planner's statistics tables): a
 * foreign table, index, trigger or view means someone else's file. */
static enum sluice_rc schema_check(sqlite3 *db, const char *path, struct sluice_error *err)
{
	sqlite3_stmt *st = NULL;
	enum sluice_rc rc = db_prepare(db, path, "SELECT type, name, sql FROM sqlite_schema", &st,
	                               err);
	size_t found = 0;
	int step;

	if (rc != SLUICE_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		bool known = false;
		if (type == NULL || name == NULL)
			break;
		for (size_t i = 0; i < COUNT_OF(schema_tables) + COUNT_OF(schema_indexes); i++) {
			const struct schema_object *o = i < COUNT_OF(schema_tables)
			                                        ? &schema_tables[i]
			                                        : &schema_indexes[i - COUNT_OF(schema_tables)];
			if (strcmp(type, o->type) == 0 && strcmp(name, o->name) == 0 &&
			    (sql == NULL ? o->sql == NULL : o->sql != NULL && strcmp(sql, o->sql) == 0))
				known = true;
		}
		if (known)
			found++;
		else if (!(strcmp(type, "table") == 0 && (strcmp(name, "sqlite_stat1") == 0 ||
		                                          strcmp(name, "sqlite_stat4") == 0)))
			break;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_fail(err, db, step, path, "reading the schema");
	else if (step == SQLITE_ROW || found != COUNT_OF(schema_tables) + COUNT_OF(schema_indexes))
		rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.corrupt", path, 0, 0,
		                    "the index is damaged or not a Sluice audit index (its "
		                    "tables are not the expected ones): " REBUILD_HINT);
	sqlite3_finalize(st);
	return rc;
}

/* ---- the anchor -------------------------------------------------------------------------- */

static bool column_u64(sqlite3_stmt *st, int col, uint64_t max, uint64_t *out)
{
	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return false;
	sqlite3_int64 v = sqlite3_column_int64(st, col);
	if (v < 0 || (uint64_t)v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool column_hash(sqlite3_stmt *st, int col, uint8_t out[HASH_LEN])
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != HASH_LEN)
		return false;
	memcpy(out, sqlite3_column_blob(st, col), HASH_LEN);
	return true;
}

static bool column_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	if (sqlite3_column_type(st, col) != SQLITE_TEXT || s == NULL ||
	    (size_t)sqlite3_column_bytes(st, col) >= size)
		return false;
	snprintf(out, size, "%s", (const char *)s);
	return true;
}

static enum sluice_rc anchor_read(sqlite3 *db, const char *path, struct anchor *a,
                                  struct sluice_error *err)
{
	sqlite3_stmt *st = NULL;
	char format[64];
	enum sluice_rc rc = db_prepare(db, path,
	                               "SELECT format, first_length, first_hash, last_seq, "
	                               "last_offset, last_length, last_hash, transfers, checkpoints, "
	                               "verified_seq, verified_offset, verified_length, "
	                               "verified_hash, key_id, verified_time FROM anchor",
	                               &st, err);
	if (rc != SLUICE_OK)
		return rc;
	memset(a, 0, sizeof(*a));
	int step = sqlite3_step(st);
	const uint64_t big = (uint64_t)INT64_MAX / 2;
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = db_fail(err, db, step, path, "reading the anchor");
	} else if (step != SQLITE_ROW || !column_text(st, 0, format, sizeof(format)) ||
	           strcmp(format, AUDITINDEX_FORMAT) != 0 ||
	           !column_u64(st, 1, LOG_LINE_MAX, &a->first.length) ||
	           !column_hash(st, 2, a->first.hash) || !column_u64(st, 3, big, &a->last.seq) ||
	           !column_u64(st, 4, big, &a->last.offset) ||
	           !column_u64(st, 5, LOG_LINE_MAX, &a->last.length) ||
	           !column_hash(st, 6, a->last.hash) || !column_u64(st, 7, big, &a->transfers) ||
	           !column_u64(st, 8, big, &a->checkpoints) ||
	           !column_u64(st, 9, big, &a->verified.seq) ||
	           !column_u64(st, 10, big, &a->verified.offset) ||
	           !column_u64(st, 11, LOG_LINE_MAX, &a->verified.length) ||
	           !column_hash(st, 12, a->verified.hash) ||
	           !column_text(st, 13, a->key_id, sizeof(a->key_id)) ||
	           !column_text(st, 14, a->verified_time, sizeof(a->verified_time)) ||
	           a->last.seq < 1 || a->verified.seq < 1 || a->verified.seq > a->last.seq ||
	           a->verified.offset > a->last.offset ||
	           a->transfers + a->checkpoints != a->last.seq || sqlite3_step(st) != SQLITE_DONE) {
		rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.corrupt", path, 0, 0,
		                    "the index is damaged or not a Sluice audit index (its anchor "
		                    "is missing, damaged or of another format than "
		                    AUDITINDEX_FORMAT "): " REBUILD_HINT);
	}
	a->first.seq = 1;
	sqlite3_finalize(st);
	return rc;
}

static void bind_pos(sqlite3_stmt *st, int first_col, const struct line_pos *p)
{
	sqlite3_bind_int64(st, first_col, (sqlite3_int64)p->offset);
	sqlite3_bind_int64(st, first_col + 1, (sqlite3_int64)p->length);
	sqlite3_bind_blob(st, first_col + 2, p->hash, HASH_LEN, SQLITE_STATIC);
}

static enum sluice_rc anchor_write(sqlite3 *db, const char *path, const struct anchor *a,
                                   struct sluice_error *err)
{
	sqlite3_stmt *st = NULL;
	enum sluice_rc rc = db_prepare(
		db, path,
		"INSERT OR REPLACE INTO anchor (one, format, first_length, first_hash, last_seq, "
		"last_offset, last_length, last_hash, transfers, checkpoints, verified_seq, "
		"verified_offset, verified_length, verified_hash, key_id, verified_time) "
		"VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
		&st, err);
	if (rc != SLUICE_OK)
		return rc;
	sqlite3_bind_text(st, 1, AUDITINDEX_FORMAT, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->first.length);
	sqlite3_bind_blob(st, 3, a->first.hash, HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)a->last.seq);
	bind_pos(st, 5, &a->last);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->transfers);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)a->checkpoints);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)a->verified.seq);
	bind_pos(st, 11, &a->verified);
	sqlite3_bind_text(st, 14, a->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, a->verified_time, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step != SQLITE_DONE)
		rc = db_fail(err, db, step, path, "writing the anchor");
	sqlite3_finalize(st);
	return rc;
}

/* Reads line `p` back from the log (its bytes and the newline after them) into *buf. 0, or -1
 * when the log does not hold that many bytes there (errno EIO) or cannot be read. */
static int read_line_at(int fd, const struct line_pos *p, char **buf, size_t *cap)
{
	size_t want = (size_t)p->length + 1, got = 0;
	if (want + 1 > *cap) {
		*cap = want + 1;
		*buf = xrealloc(*buf, *cap);
	}
	while (got < want) {
		ssize_t n = pread(fd, *buf + got, want - got, (off_t)(p->offset + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)n;
	}
	(*buf)[want] = '\0';
	return 0;
}

/* Whether the log holds, at p's offset, a line of p's length ending in a newline whose SHA-256
 * is p's hash. */
static bool line_matches(int fd, const struct line_pos *p, char **buf, size_t *cap)
{
	uint8_t h[HASH_LEN];
	if (read_line_at(fd, p, buf, cap) != 0 || (*buf)[p->length] != '\n')
		return false;
	SHA256((const unsigned char *)*buf, p->length, h);
	return memcmp(h, p->hash, HASH_LEN) == 0;
}

/* The O(1) check that an index belongs to this log: the log is at least as long as what the
 * index covers, and its first line, its last verified checkpoint and the last line indexed are
 * where the index says, with the same hashes. */
static enum sluice_rc anchor_check(struct auditindex *ix, uint64_t log_size,
                                   struct sluice_error *err)
{
	const struct anchor *a = &ix->anchor;
	const char *why = NULL;
	if (log_size < anchor_bytes(a))
		why = "the log is shorter than the part indexed (truncated, or replaced)";
	else if (!line_matches(ix->log_fd, &a->first, &ix->line, &ix->line_cap))
		why = "its first line differs (another log?)";
	else if (!line_matches(ix->log_fd, &a->verified, &ix->line, &ix->line_cap))
		why = "the verified checkpoint is not where the index says";
	else if (!line_matches(ix->log_fd, &a->last, &ix->line, &ix->line_cap))
		why = "the last line indexed is not where the index says (lines before it changed "
		      "length, or the log was replaced)";
	if (why == NULL)
		return SLUICE_OK;
	return sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.mismatch", ix->index_path, 0, 0,
	                      "the index does not match the log %s: %s; " REBUILD_HINT,
	                      ix->log_path, why);
}

/* ---- ingesting lines --------------------------------------------------------------------- */

struct inserters {
	sqlite3_stmt *transfer, *position, *transfer_id, *checkpoint, *rule;
	sqlite3_stmt *name_find, *name_add;
	json_t *names;            /* name -> id, so that each is looked up once per ingest */
	uint64_t seq;             /* the record whose rules are being added */
	const char *time;
	bool failed;
	int step;
};

static void inserters_free(struct inserters *ins)
{
	sqlite3_finalize(ins->transfer);
	sqlite3_finalize(ins->position);
	sqlite3_finalize(ins->transfer_id);
	sqlite3_finalize(ins->checkpoint);
	sqlite3_finalize(ins->rule);
	sqlite3_finalize(ins->name_find);
	sqlite3_finalize(ins->name_add);
	json_decref(ins->names);
	memset(ins, 0, sizeof(*ins));
}

static enum sluice_rc inserters_new(sqlite3 *db, const char *path, struct inserters *ins,
                                    struct sluice_error *err)
{
	static const struct {
		size_t at;
		const char *sql;
	} statements[] = {
		{ offsetof(struct inserters, transfer),
		  "INSERT INTO transfers (seq, time, from_id, to_id, decision_id, redacted, "
		  "reason_rule_id, policy_id, policy_version) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" },
		{ offsetof(struct inserters, position),
		  "INSERT INTO positions (seq, offset, length, hash) VALUES (?1, ?2, ?3, ?4)" },
		{ offsetof(struct inserters, transfer_id),
		  "INSERT OR IGNORE INTO transfer_ids (transfer_id, seq) VALUES (?1, ?2)" },
		{ offsetof(struct inserters, checkpoint),
		  "INSERT INTO checkpoints (seq, offset, length, hash, records) "
		  "VALUES (?1, ?2, ?3, ?4, ?5)" },
		{ offsetof(struct inserters, rule),
		  "INSERT INTO rules (kind, rule_id, time, seq) VALUES (?1, ?2, ?3, ?4)" },
		{ offsetof(struct inserters, name_find), "SELECT id FROM names WHERE name = ?1" },
		{ offsetof(struct inserters, name_add), "INSERT INTO names (name) VALUES (?1)" },
	};
	enum sluice_rc rc = SLUICE_OK;
	memset(ins, 0, sizeof(*ins));
	for (size_t i = 0; rc == SLUICE_OK && i < COUNT_OF(statements); i++)
		rc = db_prepare(db, path, statements[i].sql,
		                (sqlite3_stmt **)((char *)ins + statements[i].at), err);
	ins->names = json_object();
	if (rc != SLUICE_OK)
		inserters_free(ins);
	return rc;
}

static bool run(sqlite3_stmt *st, int *step)
{
	*step = sqlite3_step(st);
	sqlite3_reset(st);
	return *step == SQLITE_DONE;
}

/* The id of `name` in the names table, added when new; 0 (never an id) on failure. */
static sqlite3_int64 name_id(struct inserters *ins, const char *name)
{
	json_t *cached = json_object_get(ins->names, name);
	if (cached != NULL)
		return json_integer_value(cached);
	sqlite3_int64 id = 0;
	sqlite3_bind_text(ins->name_find, 1, name, -1, SQLITE_STATIC);
	ins->step = sqlite3_step(ins->name_find);
	if (ins->step == SQLITE_ROW)
		id = sqlite3_column_int64(ins->name_find, 0);
	sqlite3_reset(ins->name_find);
	if (ins->step == SQLITE_DONE) {
		sqlite3_bind_text(ins->name_add, 1, name, -1, SQLITE_STATIC);
		if (run(ins->name_add, &ins->step))
			id = sqlite3_last_insert_rowid(sqlite3_db_handle(ins->name_add));
	}
	if (id > 0)
		json_object_set_new(ins->names, name, json_integer(id));
	return id;
}

static void insert_rule(void *arg, enum audit_rule_kind kind, const char *rule)
{
	struct inserters *ins = arg;
	sqlite3_int64 id;
	if (ins->failed)
		return;
	if ((id = name_id(ins, rule)) == 0) {
		ins->failed = true;
		return;
	}
	sqlite3_bind_int(ins->rule, 1, (int)kind);
	sqlite3_bind_int64(ins->rule, 2, id);
	sqlite3_bind_text(ins->rule, 3, ins->time, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins->rule, 4, (sqlite3_int64)ins->seq);
	ins->failed = !run(ins->rule, &ins->step);
}

/* Binds the id of `name` (NULL for none); false when it cannot be had. */
static bool bind_name(struct inserters *ins, sqlite3_stmt *st, int col, const char *name)
{
	if (name == NULL)
		return sqlite3_bind_null(st, col) == SQLITE_OK;
	sqlite3_int64 id = name_id(ins, name);
	return id > 0 && sqlite3_bind_int64(st, col, id) == SQLITE_OK;
}

/* Adds one parsed line at `p`; false with ins->step on an SQLite failure. */
static bool insert_line(struct inserters *ins, const struct line_pos *p, const struct audit_line *l,
                        const struct audit_record_view *v)
{
	sqlite3_stmt *st = l->type == AUDIT_LINE_TRANSFER ? ins->position : ins->checkpoint;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)p->seq);
	bind_pos(st, 2, p);
	if (l->type == AUDIT_LINE_CHECKPOINT) {
		sqlite3_bind_int64(st, 5, (sqlite3_int64)l->records);
		return run(st, &ins->step);
	}
	if (!run(st, &ins->step))
		return false;
	st = ins->transfer;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)p->seq);
	sqlite3_bind_text(st, 2, v->time, -1, SQLITE_STATIC);
	if (!bind_name(ins, st, 3, v->from) || !bind_name(ins, st, 4, v->to) ||
	    !bind_name(ins, st, 5, v->decision) || !bind_name(ins, st, 7, v->reason_rule) ||
	    !bind_name(ins, st, 8, v->policy_id))
		return false;
	sqlite3_bind_int(st, 6, v->redacted ? 1 : 0);
	if (v->has_policy_version)
		sqlite3_bind_int64(st, 9, v->policy_version);
	else
		sqlite3_bind_null(st, 9);
	if (!run(st, &ins->step))
		return false;
	sqlite3_bind_text(ins->transfer_id, 1, v->transfer_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins->transfer_id, 2, (sqlite3_int64)p->seq);
	if (!run(ins->transfer_id, &ins->step))
		return false;
	ins->seq = p->seq;
	ins->time = v->time;
	ins->failed = false;
	audit_record_each_rule(l->record, insert_rule, ins);
	return !ins->failed;
}

static bool hex_to_hash(const char *hex, uint8_t out[HASH_LEN])
{
	for (size_t i = 0; i < HASH_LEN; i++) {
		unsigned v = 0;
		for (size_t k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return false;
		}
		out[i] = (uint8_t)v;
	}
	return true;
}

/* Adds every complete line of the log after the anchor's last line (from its first line for a
 * new index, whose anchor is all zeros), each checked to continue the chain: seq one more than
 * the line before, prev its hash, a checkpoint's record count right. A last line without a
 * newline (a writer's write in progress, or torn) is left for later. */
static enum sluice_rc ingest(struct auditindex *ix, struct sluice_error *err)
{
	struct anchor *a = &ix->anchor;
	struct inserters ins;
	struct audit_line l = {0};
	struct audit_record_view view;
	const char *line;
	size_t len;
	uint64_t start = a->last.seq == 0 ? 0 : anchor_bytes(a), offset;
	bool newline;
	char why[200];
	enum audit_line_next got;
	enum sluice_rc rc = inserters_new(ix->db, ix->index_path, &ins, err);

	if (rc != SLUICE_OK)
		return rc;
	if (lseek(ix->log_fd, (off_t)start, SEEK_SET) < 0) {
		inserters_free(&ins);
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.read", ix->log_path, 0, 0,
		                      "cannot read the audit log: %s", strerror(errno));
	}
	struct audit_line_reader *r = audit_line_reader_new(ix->log_fd, start, LOG_LINE_MAX);
	while ((got = audit_line_next(r, &line, &len, &offset, &newline)) == AUDIT_LINE_OK &&
	       newline) {
		struct line_pos p = { a->last.seq + 1, offset, len, {0} };
		uint8_t prev[HASH_LEN];
		SHA256((const unsigned char *)line, len, p.hash);
		if (!audit_line_parse(line, len, &l, why, sizeof(why)) ||
		    (l.type == AUDIT_LINE_TRANSFER && !audit_record_view(l.record, &view))) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.chain", ix->log_path,
			                    (unsigned)p.seq, 0,
			                    "line %" PRIu64 " (byte %" PRIu64 ") is not an audit line "
			                    "(%s): run sluice audit verify",
			                    p.seq, offset, l.obj == NULL ? why : "a malformed record");
			break;
		}
		if (l.seq != p.seq || !hex_to_hash(l.prev, prev) ||
		    (p.seq == 1 ? memcmp(prev, (uint8_t[HASH_LEN]){0}, HASH_LEN) != 0
		                : memcmp(prev, a->last.hash, HASH_LEN) != 0) ||
		    (l.type == AUDIT_LINE_CHECKPOINT && l.records != a->transfers)) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.chain", ix->log_path,
			                    (unsigned)p.seq, 0,
			                    "line %" PRIu64 " (byte %" PRIu64 ") does not continue the "
			                    "chain of the lines before it (seq, prev or record count): "
			                    "run sluice audit verify; then " REBUILD_HINT,
			                    p.seq, offset);
			break;
		}
		if (!insert_line(&ins, &p, &l, &view)) {
			rc = db_fail(err, ix->db, ins.step, ix->index_path, "adding a line");
			break;
		}
		if (p.seq == 1)
			a->first = p;
		a->last = p;
		if (l.type == AUDIT_LINE_TRANSFER)
			a->transfers++;
		else
			a->checkpoints++;
		ix->status.added++;
		audit_line_free(&l);
	}
	audit_line_free(&l);
	if (rc == SLUICE_OK && got == AUDIT_LINE_IO)
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.read", ix->log_path, 0, 0,
		                    "cannot read the audit log: %s", strerror(errno));
	else if (rc == SLUICE_OK && got == AUDIT_LINE_TOO_LONG)
		rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.chain", ix->log_path, 0, 0,
		                    "line %" PRIu64 " is longer than %u bytes: run sluice audit verify",
		                    a->last.seq + 1, LOG_LINE_MAX);
	audit_line_reader_free(r);
	inserters_free(&ins);
	return rc;
}

/* ---- opening ----------------------------------------------------------------------------- */

static void index_free(struct auditindex *ix)
{
	if (ix == NULL)
		return;
	sqlite3_close(ix->db);
	if (ix->log_fd >= 0)
		close(ix->log_fd);
	free(ix->index_path);
	free(ix->log_path);
	free(ix->line);
	free(ix);
}

void auditindex_close(struct auditindex *ix)
{
	index_free(ix);
}

const struct auditindex_status *auditindex_status(const struct auditindex *ix)
{
	return &ix->status;
}

static struct auditindex *index_new(const char *log_path, const char *index_path)
{
	struct auditindex *ix = xcalloc(1, sizeof(*ix));
	ix->log_fd = -1;
	ix->log_path = xstrdup(log_path);
	ix->index_path = xstrdup(index_path);
	return ix;
}

static enum sluice_rc log_open(struct auditindex *ix, uint64_t *size, struct sluice_error *err)
{
	struct stat st;
	ix->log_fd = open(ix->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (ix->log_fd < 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", ix->log_path, 0, 0,
		                      "cannot open the audit log: %s", strerror(errno));
	if (fstat(ix->log_fd, &st) != 0 || !S_ISREG(st.st_mode))
		return sluice_fail_at(err, SLUICE_ERR_IO, "io.open", ix->log_path, 0, 0,
		                      "the audit log is not a regular file");
	*size = (uint64_t)st.st_size;
	return SLUICE_OK;
}

static uint64_t log_size_now(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Brings an open index up to date under a write transaction, when the log has grown. */
static enum sluice_rc catch_up(struct auditindex *ix, struct sluice_error *err)
{
	enum sluice_rc rc = db_exec(ix->db, ix->index_path, "BEGIN IMMEDIATE", err);
	if (rc != SLUICE_OK) {
		if (err != NULL && err->rc == SLUICE_ERR_IO)
			snprintf(err->message, sizeof(err->message),
			         "the index is behind the log and cannot be brought up to date (%s): "
			         "run sluice audit index as a user who may write it",
			         sqlite3_errmsg(ix->db));
		return rc;
	}
	/* Another process may have extended it meanwhile: start again from what it holds now. */
	rc = anchor_read(ix->db, ix->index_path, &ix->anchor, err);
	if (rc == SLUICE_OK)
		rc = anchor_check(ix, log_size_now(ix->log_fd), err);
	if (rc == SLUICE_OK)
		rc = ingest(ix, err);
	if (rc == SLUICE_OK && ix->status.added > 0)
		rc = anchor_write(ix->db, ix->index_path, &ix->anchor, err);
	if (rc == SLUICE_OK)
		rc = db_exec(ix->db, ix->index_path, "COMMIT", err);
	else
		(void)sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Opens an existing index of the log ix->log_fd and checks it; catches up when the log grew. */
static enum sluice_rc open_existing(struct auditindex *ix, uint64_t log_size,
                                    struct sluice_error *err)
{
	struct stat st;
	enum sluice_rc rc;

	/* SQLite would create a missing file; an index is only ever created by auditindex_build. */
	if (lstat(ix->index_path, &st) != 0)
		return sluice_fail_at(err, SLUICE_ERR_IO, "index.open", ix->index_path, 0, 0,
		                      "cannot open the index: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sluice_fail_at(err, SLUICE_ERR_IO, "index.open", ix->index_path, 0, 0,
		                      "the index is not a regular file");
	rc = db_open(ix->index_path, SQLITE_OPEN_READWRITE, &ix->db, err);
	if (rc == SLUICE_OK)
		rc = schema_check(ix->db, ix->index_path, err);
	if (rc == SLUICE_OK)
		rc = anchor_read(ix->db, ix->index_path, &ix->anchor, err);
	if (rc == SLUICE_OK)
		rc = anchor_check(ix, log_size, err);
	if (rc == SLUICE_OK && log_size > anchor_bytes(&ix->anchor))
		rc = catch_up(ix, err);
	if (rc == SLUICE_OK)
		status_from_anchor(&ix->status, &ix->anchor);
	return rc;
}

enum sluice_rc auditindex_open(const char *log_path, const char *index_path,
                               struct auditindex **out, struct sluice_error *err)
{
	struct auditindex *ix = index_new(log_path, index_path);
	uint64_t size = 0;
	enum sluice_rc rc = log_open(ix, &size, err);
	*out = NULL;
	if (rc == SLUICE_OK)
		rc = open_existing(ix, size, err);
	if (rc == SLUICE_OK) {
		*out = ix;
		ix = NULL;
	}
	index_free(ix);
	return rc;
}

/* ---- building ---------------------------------------------------------------------------- */

static void now_utc(char out[32])
{
	struct tm tm;
	time_t now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "unknown");
}

/* Verifies the log through the descriptor the index will read (so both see the same file,
 * not whatever the name points to by then). *verified_seq: the last checkpoint's line. */
static enum sluice_rc verify_log(struct auditindex *ix, EVP_PKEY *pub, uint64_t *verified_seq,
                                 struct auditlog_verify_result *vres, struct sluice_error *err)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", ix->log_fd);
	enum sluice_rc rc = auditlog_verify(access(self, R_OK) == 0 ? self : ix->log_path, pub,
	                                    vres, err);
	if (rc == SLUICE_OK) {
		*verified_seq = vres->lines;
		return SLUICE_OK;
	}
	/* A log a writer still holds open ends with records not yet under a checkpoint: they
	 * chain (the verifier read them all), only their signature is still to come. */
	if (rc == SLUICE_ERR_VERIFY && err != NULL && strcmp(err->rule, "audit.unsigned-tail") == 0 &&
	    vres->bad_line > 1) {
		*verified_seq = vres->bad_line - 1;
		vres->bad_line = 0;
		vres->why[0] = '\0';
		sluice_error_clear(err);
		return SLUICE_OK;
	}
	if (rc == SLUICE_ERR_VERIFY && err != NULL && strcmp(err->rule, "audit.unsigned-tail") == 0)
		return sluice_fail_at(err, SLUICE_ERR_VERIFY, "audit.unsigned-tail", ix->log_path,
		                      1, 0, "the log has no signed checkpoint yet: nothing to anchor "
		                            "an index to");
	return rc;
}

/* Sets the anchor's verified checkpoint to line `seq`, which the index holds. */
static enum sluice_rc anchor_set_verified(struct auditindex *ix, uint64_t seq, EVP_PKEY *pub,
                                          struct sluice_error *err)
{
	sqlite3_stmt *st = NULL;
	enum sluice_rc rc = db_prepare(ix->db, ix->index_path,
	                               "SELECT offset, length, hash FROM checkpoints WHERE seq = ?1",
	                               &st, err);
	if (rc != SLUICE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	struct line_pos p = { seq, 0, 0, {0} };
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW || !column_u64(st, 0, anchor_bytes(&ix->anchor), &p.offset) ||
	    !column_u64(st, 1, LOG_LINE_MAX, &p.length) || !column_hash(st, 2, p.hash))
		rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.mismatch", ix->index_path, 0, 0,
		                    "the verified checkpoint (line %" PRIu64 ") is not in the index: "
		                    "the log changed while it was being indexed?", seq);
	sqlite3_finalize(st);
	if (rc != SLUICE_OK)
		return rc;
	ix->anchor.verified = p;
	now_utc(ix->anchor.verified_time);
	return key_id_hex(pub, ix->anchor.key_id, err);
}

static enum sluice_rc build_new(struct auditindex *ix, EVP_PKEY *pub, uint64_t verified_seq,
                                struct sluice_error *err)
{
	enum sluice_rc rc;
	size_t n = strlen(ix->index_path);
	char *tmp = xmalloc(n + 16);
	int fd;

	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", ix->index_path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", ix->index_path, 0, 0,
		                    "cannot create the index: %s", strerror(errno));
		free(tmp);
		return rc;
	}
	/* Like the log itself: the index holds the same names and decisions. */
	if (fchmod(fd, 0640) != 0) {
		rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", tmp, 0, 0, "chmod: %s",
		                    strerror(errno));
		goto out;
	}
	rc = db_open(tmp, SQLITE_OPEN_READWRITE, &ix->db, err);
	/* A new file is only renamed into place once complete, and fsynced below: its journal
	 * need not reach the disk (defensive mode forbids none at all). */
	if (rc == SLUICE_OK)
		rc = db_exec(ix->db, tmp, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; "
		                          "BEGIN", err);
	for (size_t i = 0; rc == SLUICE_OK && i < COUNT_OF(schema_tables); i++)
		rc = db_exec(ix->db, tmp, schema_tables[i].sql, err);
	memset(&ix->anchor, 0, sizeof(ix->anchor));
	if (rc == SLUICE_OK)
		rc = ingest(ix, err);
	if (rc == SLUICE_OK && ix->anchor.last.seq < verified_seq)
		rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.mismatch", ix->log_path, 0, 0,
		                    "the log changed while it was being indexed");
	for (size_t i = 0; rc == SLUICE_OK && i < COUNT_OF(schema_indexes); i++)
		if (schema_indexes[i].sql != NULL)
			rc = db_exec(ix->db, tmp, schema_indexes[i].sql, err);
	if (rc == SLUICE_OK)
		rc = anchor_set_verified(ix, verified_seq, pub, err);
	if (rc == SLUICE_OK)
		rc = anchor_write(ix->db, tmp, &ix->anchor, err);
	/* Table statistics let the planner pick the narrowest index when several filters apply.
	 * Sampled ones (analysis_limit) were measured to mislead it: a query of 37 records took
	 * 1.15 s over a million through the decision index instead of 0.02 s through the flow
	 * index. The whole ANALYZE costs about 2 s per million records. */
	if (rc == SLUICE_OK)
		rc = db_exec(ix->db, tmp, "COMMIT; ANALYZE", err);
	if (rc == SLUICE_OK) {
		sqlite3_close(ix->db);
		ix->db = NULL;
		if (fsync(fd) != 0 || rename(tmp, ix->index_path) != 0)
			rc = sluice_fail_at(err, SLUICE_ERR_IO, "io.write", ix->index_path, 0, 0,
			                    "cannot put the index in place: %s", strerror(errno));
		else
			path_fsync_parent(ix->index_path);
	}
out:
	close(fd);
	if (rc != SLUICE_OK) {
		sqlite3_close(ix->db);
		ix->db = NULL;
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

enum sluice_rc auditindex_build(const char *log_path, const char *index_path, EVP_PKEY *pub,
                                bool rebuild, struct auditindex_status *status,
                                struct auditlog_verify_result *vres, struct sluice_error *err)
{
	struct auditindex *ix = index_new(log_path, index_path);
	struct stat st;
	uint64_t size = 0, verified_seq = 0;
	enum sluice_rc rc = log_open(ix, &size, err);

	memset(status, 0, sizeof(*status));
	if (rc == SLUICE_OK)
		rc = verify_log(ix, pub, &verified_seq, vres, err);
	if (rc != SLUICE_OK)
		goto out;
	if (!rebuild && lstat(index_path, &st) == 0) {
		rc = open_existing(ix, log_size_now(ix->log_fd), err);
		if (rc == SLUICE_OK && verified_seq > ix->anchor.verified.seq) {
			rc = db_exec(ix->db, index_path, "BEGIN IMMEDIATE", err);
			if (rc == SLUICE_OK)
				rc = anchor_set_verified(ix, verified_seq, pub, err);
			if (rc == SLUICE_OK)
				rc = anchor_write(ix->db, index_path, &ix->anchor, err);
			if (rc == SLUICE_OK)
				rc = db_exec(ix->db, index_path, "COMMIT", err);
		}
	} else {
		rc = build_new(ix, pub, verified_seq, err);
	}
	if (rc == SLUICE_OK) {
		uint64_t added = ix->status.added;
		status_from_anchor(&ix->status, &ix->anchor);
		ix->status.added = added;
		*status = ix->status;
	}
out:
	index_free(ix);
	return rc;
}

/* ---- queries ----------------------------------------------------------------------------- */

enum sluice_rc auditindex_query(struct auditindex *ix, const struct audit_filter *f,
                                auditindex_record_fn each, void *arg, struct sluice_error *err)
{
	/* Fixed SQL fragments, chosen by which filters are set; every value is bound. */
	char sql[1536] = "SELECT t.seq, p.offset, p.length, p.hash FROM transfers t "
	                 "JOIN positions p ON p.seq = t.seq WHERE 1";
	const char *bound[12];
	int nbound = 0;
	sqlite3_stmt *st = NULL;
	struct audit_line l = {0};
	struct audit_record_view view;
	enum sluice_rc rc;
	int step;

	const char *since = f->since[0] != '\0' ? f->since : NULL;
	const char *until = f->until[0] != '\0' ? f->until : NULL;
#define ADD_TEXT_FILTER(value, fragment)       \
	do {                                       \
		if ((value) != NULL) {                 \
			strcat(sql, fragment);             \
			bound[nbound++] = (value);         \
		}                                      \
	} while (0)
	/* A name the index has never seen has no id: the subquery is NULL and nothing matches. */
	ADD_TEXT_FILTER(f->from, " AND t.from_id = (SELECT id FROM names WHERE name = ?)");
	ADD_TEXT_FILTER(f->to, " AND t.to_id = (SELECT id FROM names WHERE name = ?)");
	ADD_TEXT_FILTER(f->decision, " AND t.decision_id = (SELECT id FROM names WHERE name = ?)");
	ADD_TEXT_FILTER(f->policy_id, " AND t.policy_id = (SELECT id FROM names WHERE name = ?)");
	ADD_TEXT_FILTER(f->transfer_id,
	                " AND t.seq IN (SELECT seq FROM transfer_ids WHERE transfer_id = ?)");
	ADD_TEXT_FILTER(since, " AND t.time >= ?");
	ADD_TEXT_FILTER(until, " AND t.time <= ?");
	if (f->rule != NULL) {
		/* The time bounds again, inside: the rule's rows are then one key range. */
		ADD_TEXT_FILTER(f->rule, " AND t.seq IN (SELECT seq FROM rules WHERE kind IN (0, 1, 2) "
		                         "AND rule_id = (SELECT id FROM names WHERE name = ?)");
		ADD_TEXT_FILTER(since, " AND time >= ?");
		ADD_TEXT_FILTER(until, " AND time <= ?");
		strcat(sql, ")");
	}
#undef ADD_TEXT_FILTER
	if (f->has_policy_version)
		strcat(sql, " AND t.policy_version = ?");
	strcat(sql, " ORDER BY t.seq");
	rc = db_prepare(ix->db, ix->index_path, sql, &st, err);
	if (rc != SLUICE_OK)
		return rc;
	for (int i = 0; i < nbound; i++)
		sqlite3_bind_text(st, i + 1, bound[i], -1, SQLITE_STATIC);
	if (f->has_policy_version)
		sqlite3_bind_int64(st, nbound + 1, f->policy_version);

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct line_pos p = { 0, 0, 0, {0} };
		char why[200];
		bool ok = column_u64(st, 0, ix->anchor.last.seq, &p.seq) &&
		          column_u64(st, 1, ix->anchor.last.offset, &p.offset) &&
		          column_u64(st, 2, LOG_LINE_MAX, &p.length) && column_hash(st, 3, p.hash) &&
		          line_matches(ix->log_fd, &p, &ix->line, &ix->line_cap);
		ok = ok && audit_line_parse(ix->line, p.length, &l, why, sizeof(why)) &&
		     l.type == AUDIT_LINE_TRANSFER && l.seq == p.seq &&
		     audit_record_view(l.record, &view) && audit_filter_match(f, l.record, &view);
		if (!ok) {
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "index.mismatch", ix->index_path, 0,
			                    0, "the index does not match the log %s at line %" PRIu64
			                       ": the line there is not the record the index "
			                       "describes (run sluice audit verify; then "
			                       REBUILD_HINT ")",
			                    ix->log_path, p.seq);
			break;
		}
		each(l.record, &view, arg);
		audit_line_free(&l);
	}
	audit_line_free(&l);
	if (rc == SLUICE_OK && step != SQLITE_DONE)
		rc = db_fail(err, ix->db, step, ix->index_path, "querying");
	sqlite3_finalize(st);
	return rc;
}

static const char *column_string(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, col)
	                                                   : NULL;
}

enum sluice_rc auditindex_stats(struct auditindex *ix, const struct auditindex_stats_callbacks *cb,
                                struct sluice_error *err)
{
	sqlite3_stmt *st = NULL;
	enum sluice_rc rc;
	int step;

	rc = db_prepare(ix->db, ix->index_path,
	                "SELECT f.name, t.name, d.name, g.redacted, r.name, p.name, g.policy_version, "
	                "g.n FROM (SELECT from_id, to_id, decision_id, redacted, reason_rule_id, "
	                "policy_id, policy_version, count(*) AS n FROM transfers GROUP BY from_id, "
	                "to_id, decision_id, redacted, reason_rule_id, policy_id, policy_version) g "
	                "JOIN names f ON f.id = g.from_id JOIN names t ON t.id = g.to_id "
	                "JOIN names d ON d.id = g.decision_id "
	                "LEFT JOIN names r ON r.id = g.reason_rule_id "
	                "LEFT JOIN names p ON p.id = g.policy_id",
	                &st, err);
	if (rc != SLUICE_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct auditindex_group g = {
			column_string(st, 0), column_string(st, 1), column_string(st, 2),
			column_string(st, 4), column_string(st, 5),
			sqlite3_column_type(st, 6) == SQLITE_INTEGER, sqlite3_column_int64(st, 6),
			sqlite3_column_int64(st, 3) != 0, 0,
		};
		if (g.from == NULL || g.to == NULL || g.decision == NULL ||
		    !column_u64(st, 7, ix->anchor.transfers, &g.count)) {
			step = SQLITE_CORRUPT;
			break;
		}
		cb->group(cb->arg, &g);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(err, ix->db, step, ix->index_path, "counting");

	rc = db_prepare(ix->db, ix->index_path,
	                "SELECT g.kind, n.name, g.n FROM (SELECT kind, rule_id, count(*) AS n "
	                "FROM rules WHERE kind IN (1, 2) GROUP BY kind, rule_id) g "
	                "JOIN names n ON n.id = g.rule_id",
	                &st, err);
	if (rc != SLUICE_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rule = column_string(st, 1);
		uint64_t kind = 0, count = 0;
		if (rule == NULL || !column_u64(st, 0, AUDIT_RULE_REDACTION, &kind) ||
		    !column_u64(st, 2, ix->anchor.transfers, &count)) {
			step = SQLITE_CORRUPT;
			break;
		}
		cb->rule(cb->arg, (enum audit_rule_kind)kind, rule, count);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(err, ix->db, step, ix->index_path, "counting rules");

	/* Two statements, so that each is one step down the time index. */
	char *period[2] = { NULL, NULL };
	static const char *const ends[2] = {
		"SELECT min(time) FROM transfers WHERE time > ''",
		"SELECT max(time) FROM transfers",
	};
	for (size_t i = 0; i < 2; i++) {
		rc = db_prepare(ix->db, ix->index_path, ends[i], &st, err);
		if (rc != SLUICE_OK)
			return rc;
		step = sqlite3_step(st);
		const char *t = step == SQLITE_ROW ? column_string(st, 0) : NULL;
		period[i] = xstrdup(t != NULL ? t : "");
		sqlite3_finalize(st);
		if (step != SQLITE_ROW) {
			rc = db_fail(err, ix->db, step, ix->index_path, "reading the period");
			break;
		}
	}
	if (rc == SLUICE_OK)
		cb->period(cb->arg, period[0], period[1]);
	free(period[0]);
	free(period[1]);
	return rc;
}
