/*
 * `sluice audit head | prove | check-proof | consistency` (issue 6): the audit log as an RFC
 * 6962 transparency log. `head` prints the latest signed tree head (a checkpoint line) for a
 * witness to keep; `prove` writes an inclusion proof for a receipt's record; `consistency`
 * proves that a newer head extends an older one; `check-proof` verifies either proof with
 * nothing but the gateway's public key (audit/proof.h; docs/OVERSIGHT.md).
 *
 * Everything read here may be hostile (logs, receipts, heads and proofs handed over by
 * others): each file is read with a size bound and parsed strictly; what is printed from it
 * is restricted to printable ASCII.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "canonical_json.h"
#include "commands.h"
#include "fileio.h"
#include "keys.h"
#include "merkle.h"
#include "proof.h"
#include "receipt.h"
#include "treehead.h"

#define RECEIPT_FILE_MAX (16u * 1024 * 1024)

static const char usage[] =
	"usage: sluice audit head [--pub PUBKEY] LOG\n"
	"       sluice audit prove --receipt RECEIPT [--head STH] [-o PROOF] LOG\n"
	"       sluice audit check-proof --pub PUBKEY [--receipt RECEIPT] PROOF\n"
	"       sluice audit consistency --pub PUBKEY [-o PROOF] OLD_STH NEW_STH LOG\n"
	"\n"
	"The audit log is an RFC 6962 Merkle tree of its transfer records; every checkpoint is a\n"
	"signed tree head (STH). head prints the latest one (keep it: you are a witness). prove\n"
	"writes a proof that the receipt's record is in the log under the latest head (or under\n"
	"--head STH). consistency checks the log against both heads and writes a proof that\n"
	"NEW_STH extends OLD_STH. check-proof verifies either proof with the public key only;\n"
	"with --receipt, also that the receipt is signed and is about the proven record.\n"
	"Proofs go to standard output unless -o is given.\n"
	"Exit: 0 valid, 1 invalid or not provable (saying why), 64 usage, 65 a malformed\n"
	"receipt, tree head or proof file, 74 I/O.\n";

/* ---- helpers ------------------------------------------------------------------------------- */

/* A copy of `s` fit for a terminal: printable ASCII, at most n-1 characters. */
static const char *printable(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s != NULL && s[i] != '\0' && i + 1 < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

static int fail_with(const char *prog, const struct sluice_error *err)
{
	sluice_error_print(prog, err);
	return sluice_rc_exit_code(err->rc);
}

/* Writes `obj` as canonical JSON and a newline to `path`, or to standard output. */
static enum sluice_rc write_json(const json_t *obj, const char *path, struct sluice_error *err)
{
	char *text = json_canonical(obj);
	enum sluice_rc rc = SLUICE_OK;
	if (text == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "proof.encode", "cannot encode JSON");
	size_t n = strlen(text);
	char *line = xmalloc(n + 1);
	memcpy(line, text, n);
	line[n] = '\n';
	if (path != NULL)
		rc = file_write_atomic(path, line, n + 1, 0644, err);
	else if (fwrite(line, 1, n + 1, stdout) != n + 1 || fflush(stdout) != 0)
		rc = sluice_fail(err, SLUICE_ERR_IO, "io.write", "cannot write to standard output");
	free(line);
	free(text);
	return rc;
}

/* Writes a freshly built proof (NULL: it could not be built) and says what it proves, on
 * standard output when the proof went to a file, else on standard error. The exit code. */
static int emit_proof(const char *prog, json_t *proof, const char *out, const char *summary)
{
	struct sluice_error err;
	if (proof == NULL) {
		sluice_fail(&err, SLUICE_ERR_INTERNAL, "proof.encode", "cannot build the proof");
		return fail_with(prog, &err);
	}
	if (write_json(proof, out, &err) != SLUICE_OK)
		return fail_with(prog, &err);
	fprintf(out != NULL ? stdout : stderr, "%s\n", summary);
	return 0;
}

int audit_scan_failure(const char *prog, const char *log, enum sluice_rc rc,
                       const struct auditlog_verify_result *res, const struct sluice_error *err,
                       char *const *head_files, size_t nheads)
{
	const char *file = res->bad_witness > 0 && res->bad_witness <= nheads
	                           ? head_files[res->bad_witness - 1]
	                           : "?";
	if (rc == SLUICE_ERR_VERIFY && res->bad_witness > 0) {
		printf("audit log NOT consistent with witness head %zu (%s): %s\n", res->bad_witness,
		       file, res->why);
		fprintf(stderr, "%s: %s: %s (witness head %zu is %s)\n", prog, log, res->why,
		        res->bad_witness, file);
		return 1;
	}
	if (rc == SLUICE_ERR_VERIFY && res->bad_line > 0) {
		printf("audit log NOT intact: first bad record at line %zu: %s\n", res->bad_line,
		       res->why);
		fprintf(stderr, "%s: %s: line %zu: %s\n", prog, log, res->bad_line, res->why);
		return 1;
	}
	return fail_with(prog, err);
}

/* Loads the witness heads named on the command line. */
static enum sluice_rc load_heads(char *const *files, size_t n, struct tree_head *heads,
                                 struct sluice_error *err)
{
	for (size_t i = 0; i < n; i++) {
		enum sluice_rc rc = tree_head_load(files[i], &heads[i], err);
		if (rc != SLUICE_OK) {
			while (i-- > 0)
				tree_head_free(&heads[i]);
			return rc;
		}
	}
	return SLUICE_OK;
}

static void free_heads(struct tree_head *heads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tree_head_free(&heads[i]);
}

enum sluice_rc audit_load_witness_heads(char *const *files, size_t n, struct tree_head **out,
                                        struct sluice_error *err)
{
	struct tree_head *heads = xcalloc(n ? n : 1, sizeof(*heads));
	enum sluice_rc rc = load_heads(files, n, heads, err);
	if (rc != SLUICE_OK) {
		free(heads);
		heads = NULL;
	}
	*out = heads;
	return rc;
}

void audit_free_witness_heads(struct tree_head *heads, size_t n)
{
	if (heads == NULL)
		return;
	free_heads(heads, n);
	free(heads);
}

/* The record of a receipt file, and its "log" leaf index when it has one; the signature is
 * not checked here (check-proof --receipt does that). SLUICE_ERR_INVALID_REPORT when it is
 * not a receipt. */
static enum sluice_rc read_receipt_record(const char *path, json_t **record, bool *has_index,
                                          uint64_t *index, struct sluice_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *root = NULL;
	enum sluice_rc rc;

	*record = NULL;
	*has_index = false;
	rc = file_read_bounded(path, RECEIPT_FILE_MAX, SLUICE_ERR_INVALID_REPORT, &text, &len, err);
	if (rc != SLUICE_OK)
		return rc;
	root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	json_t *rec = json_object_get(root, "record");
	if (!json_is_object(root) || !json_is_object(rec)) {
		json_decref(root);
		return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "receipt.form", path, 0, 0,
		                      "not a receipt (a JSON object with a \"record\" object)");
	}
	json_t *leaf = json_object_get(json_object_get(root, "log"), "leaf_index");
	if (json_is_integer(leaf) && json_integer_value(leaf) >= 0) {
		*has_index = true;
		*index = (uint64_t)json_integer_value(leaf);
	}
	*record = json_incref(rec);
	json_decref(root);
	return SLUICE_OK;
}

static void describe_head(const struct tree_head *h, char *out, size_t n)
{
	char root[2 * MERKLE_HASH_LEN + 1], time[40];
	merkle_hash_hex(h->root, root);
	snprintf(out, n, "the tree of %llu records with root %.16s..., signed at %s (line %llu)",
	         (unsigned long long)h->tree_size, root, printable(h->time, time, sizeof(time)),
	         (unsigned long long)h->seq);
}

/* ---- head ---------------------------------------------------------------------------------- */

static int audit_head(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL;
	struct sluice_error err;
	struct tree_head head;
	uint64_t after = 0;
	EVP_PKEY *key = NULL;
	char why[300], what[200];
	int c, code = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error(usage, "one LOG is required");
	if (pub != NULL && key_load_public(pub, &key, &err) != SLUICE_OK)
		return fail_with("sluice audit head", &err);
	if (auditlog_last_head(argv[optind], &head, &after, &err) != SLUICE_OK) {
		EVP_PKEY_free(key);
		return fail_with("sluice audit head", &err);
	}
	if (key != NULL && !tree_head_signature_ok(&head, key, why, sizeof(why))) {
		fprintf(stderr, "sluice audit head: %s: the last checkpoint: %s\n", argv[optind], why);
		code = 1;
	} else if (write_json(head.json, NULL, &err) != SLUICE_OK) {
		code = fail_with("sluice audit head", &err);
	} else {
		describe_head(&head, what, sizeof(what));
		fprintf(stderr, "signed tree head: %s; %llu records after it not yet covered\n",
		        what, (unsigned long long)after);
	}
	tree_head_free(&head);
	EVP_PKEY_free(key);
	return code;
}

/* ---- prove --------------------------------------------------------------------------------- */

/* The leaf index of `leaf` among the log's leaves: the receipt's hint when it is right,
 * otherwise the first match. False when the log does not hold it. */
static bool find_leaf(const struct auditlog_tree *tree, const merkle_hash leaf, bool has_hint,
                      uint64_t hint, uint64_t *index)
{
	if (has_hint && hint < tree->nleaves &&
	    memcmp(tree->leaves[hint], leaf, MERKLE_HASH_LEN) == 0) {
		*index = hint;
		return true;
	}
	for (uint64_t i = 0; i < tree->nleaves; i++)
		if (memcmp(tree->leaves[i], leaf, MERKLE_HASH_LEN) == 0) {
			*index = i;
			return true;
		}
	return false;
}

static int audit_prove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "receipt", required_argument, NULL, 'r' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char prog[] = "sluice audit prove";
	const char *receipt_path = NULL, *out = NULL;
	char *head_file = NULL;
	struct sluice_error err;
	struct auditlog_verify_result res;
	struct auditlog_tree tree = {0};
	struct tree_head given = {0};
	const struct tree_head *head;
	json_t *record = NULL, *proof = NULL;
	merkle_hash leaf, path[MERKLE_MAX_PATH];
	bool has_hint = false;
	uint64_t hint = 0, index = 0;
	char id[64], what[200], summary[400];
	int c, code = 1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': receipt_path = optarg; break;
		case 'H': head_file = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (receipt_path == NULL || optind != argc - 1)
		return usage_error(usage, "--receipt RECEIPT and one LOG are required");
	const char *log = argv[optind];

	if (read_receipt_record(receipt_path, &record, &has_hint, &hint, &err) != SLUICE_OK ||
	    (head_file != NULL && tree_head_load(head_file, &given, &err) != SLUICE_OK)) {
		code = fail_with(prog, &err);
		goto out;
	}
	printable(json_string_value(json_object_get(record, "transfer_id")), id, sizeof(id));
	/* No key here: the chain, the records and every checkpoint's tree are checked; the
	 * signatures are check-proof's to verify. A --head must be the log's tree at its size. */
	struct auditlog_scan_options opt = { .allow_unsigned_tail = true,
		                             .witness = head_file != NULL ? &given : NULL,
		                             .nwitness = head_file != NULL ? 1 : 0 };
	enum sluice_rc rc = auditlog_scan(log, &opt, &res, &tree, &err);
	if (rc != SLUICE_OK) {
		code = audit_scan_failure(prog, log, rc, &res, &err, &head_file, 1);
		goto out;
	}
	head = head_file != NULL ? &given : tree.has_head ? &tree.last_head : NULL;
	if (head == NULL) {
		fprintf(stderr, "%s: %s: the log has no signed tree head yet: nothing to prove "
		                "against\n", prog, log);
		goto out;
	}
	if (!audit_record_leaf_hash(record, leaf) || !find_leaf(&tree, leaf, has_hint, hint, &index)) {
		fprintf(stderr, "%s: %s does not hold the record of receipt %s (transfer %s): it was "
		                "not logged here, or logged differently\n",
		        prog, log, receipt_path, id);
		goto out;
	}
	if (index >= head->tree_size) {
		fprintf(stderr, "%s: transfer %s is leaf %llu, logged after the tree head of %llu "
		                "records: a head covering it is written when the writer closes the "
		                "log, or within checkpoint-seconds (sluiced); try again then\n",
		        prog, id, (unsigned long long)index, (unsigned long long)head->tree_size);
		goto out;
	}
	if (has_hint && hint != index)
		fprintf(stderr, "%s: note: the receipt says leaf %llu, but its record is leaf %llu\n",
		        prog, (unsigned long long)hint, (unsigned long long)index);
	size_t pathlen = merkle_inclusion_path(tree.leaves, head->tree_size, index, path);
	if (merkle_verify_inclusion(leaf, index, head->tree_size, path, pathlen, head->root) !=
	    MERKLE_OK)
		SLUICE_BUG("an inclusion proof built from the log does not verify");
	proof = audit_proof_inclusion_json(head, index, record, path, pathlen);
	describe_head(head, what, sizeof(what));
	snprintf(summary, sizeof(summary), "inclusion proof: transfer %s is leaf %llu of %s", id,
	         (unsigned long long)index, what);
	code = emit_proof(prog, proof, out, summary);
out:
	json_decref(proof);
	json_decref(record);
	tree_head_free(&given);
	auditlog_tree_free(&tree);
	return code;
}

/* ---- check-proof --------------------------------------------------------------------------- */

/* check-proof --receipt: the receipt is signed by `key` and is about the proven record. */
static enum sluice_rc receipt_matches(const char *path, EVP_PKEY *key,
                                      const struct audit_proof *proof, struct sluice_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	json_t *record = NULL;
	char *a = NULL, *b = NULL;
	enum sluice_rc rc;

	rc = file_read_bounded(path, RECEIPT_FILE_MAX, SLUICE_ERR_VERIFY, &text, &len, err);
	if (rc == SLUICE_OK)
		rc = receipt_verify(text, len, key, NULL, 0, &record, err);
	if (rc == SLUICE_OK) {
		a = json_canonical(record);
		b = json_canonical(proof->record);
		if (a == NULL || b == NULL || strcmp(a, b) != 0)
			rc = sluice_fail_at(err, SLUICE_ERR_VERIFY, "proof.receipt", path, 0, 0,
			                    "the proof is about another record than this receipt's");
	}
	if (rc != SLUICE_OK && err->file[0] == '\0')
		snprintf(err->file, sizeof(err->file), "%s", path);
	free(a);
	free(b);
	free(text);
	json_decref(record);
	return rc;
}

static int audit_check_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "receipt", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char prog[] = "sluice audit check-proof";
	const char *pub = NULL, *receipt_path = NULL;
	struct sluice_error err;
	struct audit_proof proof = {0};
	EVP_PKEY *key = NULL;
	uint8_t *text = NULL;
	size_t len = 0;
	char what[200], old_what[200], kid[70], s[4][80];
	int c, code;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'r': receipt_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (pub == NULL || optind != argc - 1)
		return usage_error(usage, "--pub PUBKEY and one PROOF are required");
	const char *file = argv[optind];

	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = file_read_bounded(file, AUDIT_PROOF_MAX_BYTES, SLUICE_ERR_INVALID_REPORT, &text,
		                       &len, &err);
	if (rc == SLUICE_OK) {
		rc = audit_proof_parse(text, len, &proof, &err);
		if (rc != SLUICE_OK)
			snprintf(err.file, sizeof(err.file), "%s", file);
	}
	if (rc == SLUICE_OK && receipt_path != NULL && proof.type != AUDIT_PROOF_INCLUSION) {
		code = usage_error(usage, "--receipt goes with an inclusion proof, and %s is a "
		                          "consistency proof", file);
		goto out;
	}
	if (rc != SLUICE_OK) {
		code = fail_with(prog, &err);
		goto out;
	}
	rc = audit_proof_verify(&proof, key, &err);
	if (rc == SLUICE_OK && receipt_path != NULL)
		rc = receipt_matches(receipt_path, key, &proof, &err);
	if (rc != SLUICE_OK) {
		if (rc == SLUICE_ERR_VERIFY)
			printf("proof NOT valid: %s\n", err.message);
		code = fail_with(prog, &err);
		goto out;
	}
	describe_head(&proof.head, what, sizeof(what));
	printable(proof.head.key_id, kid, sizeof(kid));
	if (proof.type == AUDIT_PROOF_INCLUSION) {
		const json_t *r = proof.record;
		printf("inclusion proof valid: transfer %s (%s, %s -> %s) is leaf %llu of the "
		       "audit log: %s by key %.16s...%s\n",
		       printable(json_string_value(json_object_get(r, "transfer_id")), s[0], 80),
		       printable(json_string_value(json_object_get(r, "decision")), s[1], 80),
		       printable(json_string_value(json_object_get(r, "from")), s[2], 80),
		       printable(json_string_value(json_object_get(r, "to")), s[3], 80),
		       (unsigned long long)proof.leaf_index, what, kid,
		       receipt_path != NULL ? "; the receipt is signed and names this record" : "");
	} else {
		describe_head(&proof.old_head, old_what, sizeof(old_what));
		printf("consistency proof valid: %s extends %s (key %.16s...)\n", what, old_what, kid);
	}
	code = 0;
out:
	audit_proof_free(&proof);
	free(text);
	EVP_PKEY_free(key);
	return code;
}

/* ---- consistency --------------------------------------------------------------------------- */

static int audit_consistency(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char prog[] = "sluice audit consistency";
	const char *pub = NULL, *out = NULL;
	struct sluice_error err;
	struct auditlog_verify_result res;
	struct auditlog_tree tree = {0};
	struct tree_head heads[2] = {{0}, {0}};
	EVP_PKEY *key = NULL;
	json_t *proof = NULL;
	merkle_hash path[MERKLE_MAX_PATH];
	size_t pathlen = 0;
	char old_what[200], new_what[200], summary[500];
	int c, code = 1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (pub == NULL || optind != argc - 3)
		return usage_error(usage, "--pub PUBKEY, OLD_STH, NEW_STH and LOG are required");
	char *const *files = argv + optind;
	const char *log = argv[optind + 2];

	enum sluice_rc rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = load_heads(files, 2, heads, &err);
	if (rc != SLUICE_OK) {
		EVP_PKEY_free(key);
		return fail_with(prog, &err);
	}
	if (heads[0].tree_size > heads[1].tree_size) {
		code = usage_error(usage, "%s (%llu records) is newer than %s (%llu records): give "
		                          "the older head first",
		                   files[0], (unsigned long long)heads[0].tree_size, files[1],
		                   (unsigned long long)heads[1].tree_size);
		goto out;
	}
	/* The log against both heads: signatures, then each head's root at its size (a fork is
	 * named at the record where the log's tree stops matching), then its length. */
	struct auditlog_scan_options opt = { .pub = key, .allow_unsigned_tail = true,
		                             .witness = heads, .nwitness = 2 };
	rc = auditlog_scan(log, &opt, &res, &tree, &err);
	if (rc != SLUICE_OK) {
		code = audit_scan_failure(prog, log, rc, &res, &err, files, 2);
		goto out;
	}
	if (heads[0].tree_size > 0 && heads[0].tree_size < heads[1].tree_size)
		pathlen = merkle_consistency_proof(tree.leaves, heads[0].tree_size,
		                                   heads[1].tree_size, path);
	if (merkle_verify_consistency(heads[0].tree_size, heads[1].tree_size, heads[0].root,
	                              heads[1].root, path, pathlen) != MERKLE_OK)
		SLUICE_BUG("a consistency proof built from the log does not verify");
	proof = audit_proof_consistency_json(&heads[0], &heads[1], path, pathlen);
	describe_head(&heads[0], old_what, sizeof(old_what));
	describe_head(&heads[1], new_what, sizeof(new_what));
	snprintf(summary, sizeof(summary), "consistent: %s extends %s; the log matches both",
	         new_what, old_what);
	code = emit_proof(prog, proof, out, summary);
out:
	json_decref(proof);
	free_heads(heads, 2);
	auditlog_tree_free(&tree);
	EVP_PKEY_free(key);
	return code;
}

int cmd_audit_proof(int argc, char **argv)
{
	if (strcmp(argv[0], "head") == 0)
		return audit_head(argc, argv);
	if (strcmp(argv[0], "prove") == 0)
		return audit_prove(argc, argv);
	if (strcmp(argv[0], "check-proof") == 0)
		return audit_check_proof(argc, argv);
	if (strcmp(argv[0], "consistency") == 0)
		return audit_consistency(argc, argv);
	return usage_error(usage, "unknown audit subcommand '%s'", argv[0]);
}
