/*
 * Signed tree heads (treehead.h): the checkpoint lines of the audit log, parsed strictly
 * wherever they come from (the log, a witness's file, a proof file, the auditor asking the
 * signer for a signature).
 */
#include "treehead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canonical_json.h"
#include "fileio.h"
#include "keys.h"

static bool is_hex64(const char *s)
{
	merkle_hash ignored;
	return merkle_hash_parse(s, ignored);
}

static bool get_count(const json_t *obj, const char *name, uint64_t *out)
{
	const json_t *v = json_object_get(obj, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool tree_head_from_json(json_t *obj, bool signed_head, struct tree_head *head, char *why,
                         size_t whylen)
{
	static const char *const members[] = {
		"frontier", "key_id", "prev", "records", "recovered_torn_line", "root", "seq",
		"signature", "time", "type", NULL};
	const char *stranger = NULL, *type;
	const json_t *frontier, *torn;

	memset(head, 0, sizeof(*head));
	if (!json_is_object(obj)) {
		snprintf(why, whylen, "a tree head is a JSON object");
		return false;
	}
	if (!json_only_members(obj, members, &stranger)) {
		snprintf(why, whylen, "unexpected member \"%.64s\" in a checkpoint", stranger);
		return false;
	}
	type = json_string_value(json_object_get(obj, "type"));
	if (type == NULL || strcmp(type, "checkpoint") != 0) {
		snprintf(why, whylen, "not a checkpoint (\"type\" is not \"checkpoint\")");
		return false;
	}
	head->key_id = json_string_value(json_object_get(obj, "key_id"));
	head->time = json_string_value(json_object_get(obj, "time"));
	head->signature = json_string_value(json_object_get(obj, "signature"));
	torn = json_object_get(obj, "recovered_torn_line");
	if (!is_hex64(head->key_id) || !get_count(obj, "records", &head->tree_size) ||
	    head->time == NULL || (signed_head && head->signature == NULL) ||
	    (!signed_head && json_object_get(obj, "signature") != NULL) ||
	    (torn != NULL && !json_is_true(torn))) {
		snprintf(why, whylen, "a checkpoint needs key_id (hex SHA-256), records (integer), "
		                      "%stime (strings)",
		         signed_head ? "signature and " : "");
		goto fail;
	}
	if (!get_count(obj, "seq", &head->seq) || head->seq < 1) {
		snprintf(why, whylen, "\"seq\" is missing or not a positive integer");
		goto fail;
	}
	if (!is_hex64(json_string_value(json_object_get(obj, "prev")))) {
		snprintf(why, whylen, "\"prev\" is missing or not a lowercase hex SHA-256");
		goto fail;
	}
	if (!merkle_hash_parse(json_string_value(json_object_get(obj, "root")), head->root)) {
		snprintf(why, whylen, "a checkpoint needs a root (hex SHA-256): it is not a signed "
		                      "tree head");
		goto fail;
	}
	frontier = json_object_get(obj, "frontier");
	if (!json_is_array(frontier) || json_array_size(frontier) > MERKLE_MAX_PATH) {
		snprintf(why, whylen, "\"frontier\" is missing or not an array of at most %d hashes",
		         MERKLE_MAX_PATH);
		goto fail;
	}
	head->frontier.size = head->tree_size;
	head->frontier.count = (unsigned)json_array_size(frontier);
	for (unsigned i = 0; i < head->frontier.count; i++) {
		if (!merkle_hash_parse(json_string_value(json_array_get(frontier, i)),
		                       head->frontier.node[i])) {
			snprintf(why, whylen, "frontier hash %u is not a lowercase hex SHA-256", i + 1);
			goto fail;
		}
	}
	head->json = json_incref(obj);
	return true;
fail:
	memset(head, 0, sizeof(*head));
	return false;
}

bool tree_head_frontier_ok(const struct tree_head *head, char *why, size_t whylen)
{
	struct merkle_frontier check;
	merkle_hash root;

	if (!merkle_frontier_set(&check, head->tree_size, head->frontier.node,
	                         head->frontier.count)) {
		snprintf(why, whylen, "the frontier has %u hashes, but a tree of %llu records has %d",
		         head->frontier.count, (unsigned long long)head->tree_size,
		         __builtin_popcountll(head->tree_size));
		return false;
	}
	merkle_frontier_root(&check, root);
	if (memcmp(root, head->root, MERKLE_HASH_LEN) != 0) {
		snprintf(why, whylen, "the frontier does not lead to the root");
		return false;
	}
	return true;
}

enum sluice_rc tree_head_parse(const uint8_t *text, size_t len, struct tree_head *head,
                               struct sluice_error *err)
{
	json_error_t jerr;
	json_t *obj;
	char why[256];
	bool ok;

	memset(head, 0, sizeof(*head));
	if (len > TREE_HEAD_MAX_BYTES)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "head.size",
		                   "%zu bytes, over the limit of %u: not a tree head", len,
		                   TREE_HEAD_MAX_BYTES);
	obj = json_loadb(text != NULL ? (const char *)text : "", len, JSON_REJECT_DUPLICATES,
	                 &jerr);
	if (obj == NULL)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "head.json",
		                   "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		                   jerr.column);
	ok = tree_head_from_json(obj, true, head, why, sizeof(why)) &&
	     tree_head_frontier_ok(head, why, sizeof(why));
	json_decref(obj);
	if (!ok)
		tree_head_free(head);
	if (!ok)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "head.form",
		                   "not a signed tree head: %s", why);
	return SLUICE_OK;
}

enum sluice_rc tree_head_load(const char *path, struct tree_head *head, struct sluice_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	enum sluice_rc rc;

	memset(head, 0, sizeof(*head));
	rc = file_read_bounded(path, TREE_HEAD_MAX_BYTES, SLUICE_ERR_INVALID_REPORT, &text, &len,
	                       err);
	if (rc == SLUICE_OK)
		rc = tree_head_parse(text, len, head, err);
	if (rc != SLUICE_OK && err->file[0] == '\0')
		snprintf(err->file, sizeof(err->file), "%s", path);
	free(text);
	return rc;
}

char *tree_head_payload(const json_t *obj)
{
	json_t *copy = json_copy((json_t *)obj);
	char *s = NULL;
	if (copy != NULL) {
		json_object_del(copy, "signature");
		s = json_canonical(copy);
	}
	json_decref(copy);
	return s;
}

bool tree_head_signature_ok(const struct tree_head *head, EVP_PKEY *pub, char *why,
                            size_t whylen)
{
	struct sluice_error err;
	char want[SHA256_HEX_LEN];
	uint8_t *sig = NULL;
	size_t siglen = 0;
	char *payload;
	bool good;

	if (key_id_hex(pub, want, &err) != SLUICE_OK) {
		snprintf(why, whylen, "%s", err.message);
		return false;
	}
	if (head->key_id == NULL || strcmp(head->key_id, want) != 0) {
		snprintf(why, whylen, "signed by an unknown key %s (expected %s)",
		         head->key_id != NULL ? head->key_id : "(none)", want);
		return false;
	}
	payload = tree_head_payload(head->json);
	good = payload != NULL && head->signature != NULL &&
	       base64_decode(head->signature, &sig, &siglen) == 0 &&
	       signature_verify(pub, payload, strlen(payload), sig, siglen);
	free(payload);
	free(sig);
	if (!good)
		snprintf(why, whylen, "bad signature (the tree head was altered or not signed by "
		                      "key %s)",
		         want);
	return good;
}

void tree_head_free(struct tree_head *head)
{
	if (head == NULL)
		return;
	json_decref(head->json);
	memset(head, 0, sizeof(*head));
}

bool audit_record_leaf_hash(const json_t *record, merkle_hash out)
{
	char *canon = json_canonical(record);
	if (canon == NULL)
		return false;
	merkle_leaf_hash(canon, strlen(canon), out);
	free(canon);
	return true;
}
