/*
 * Proof files (proof.h): built by `sluice audit prove` / `consistency` from the log, and
 * parsed and verified by `sluice audit check-proof` from a file that may come from anyone.
 */
#include "proof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canonical_json.h"

/* ---- writing ------------------------------------------------------------------------------- */

static json_t *path_json(const merkle_hash *path, size_t pathlen)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < pathlen; i++) {
		char hex[2 * MERKLE_HASH_LEN + 1];
		merkle_hash_hex(path[i], hex);
		if (json_array_append_new(a, json_string(hex)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

/* (json_object_set_new releases the value even when it fails, and refuses a NULL object or
 * value, so the chains below neither leak nor dereference NULL.) */
json_t *audit_proof_inclusion_json(const struct tree_head *head, uint64_t leaf_index,
                                   const json_t *record, const merkle_hash *path,
                                   size_t pathlen)
{
	json_t *p = json_object();
	if (json_object_set_new(p, "leaf_index", json_integer((json_int_t)leaf_index)) != 0 ||
	    json_object_set_new(p, "path", path_json(path, pathlen)) != 0 ||
	    json_object_set_new(p, "record", json_deep_copy(record)) != 0 ||
	    json_object_set_new(p, "sluice_proof", json_integer(1)) != 0 ||
	    json_object_set_new(p, "tree_head", json_deep_copy(head->json)) != 0 ||
	    json_object_set_new(p, "type", json_string("inclusion")) != 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

json_t *audit_proof_consistency_json(const struct tree_head *old_head,
                                     const struct tree_head *new_head, const merkle_hash *path,
                                     size_t pathlen)
{
	json_t *p = json_object();
	if (json_object_set_new(p, "new_head", json_deep_copy(new_head->json)) != 0 ||
	    json_object_set_new(p, "old_head", json_deep_copy(old_head->json)) != 0 ||
	    json_object_set_new(p, "path", path_json(path, pathlen)) != 0 ||
	    json_object_set_new(p, "sluice_proof", json_integer(1)) != 0 ||
	    json_object_set_new(p, "type", json_string("consistency")) != 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* ---- reading ------------------------------------------------------------------------------- */

#define MALFORMED(...) sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "proof.form", __VA_ARGS__)

static enum sluice_rc parse_path(const json_t *a, struct audit_proof *proof,
                                 struct sluice_error *err)
{
	if (!json_is_array(a))
		return MALFORMED("\"path\" is missing or not an array");
	if (json_array_size(a) > MERKLE_MAX_PATH)
		return MALFORMED("\"path\" has %zu hashes; no path is longer than %d",
		                 json_array_size(a), MERKLE_MAX_PATH);
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!merkle_hash_parse(json_string_value(json_array_get(a, i)), proof->path[i]))
			return MALFORMED("path hash %zu is not 64 lowercase hex digits", i + 1);
	proof->pathlen = json_array_size(a);
	return SLUICE_OK;
}

static enum sluice_rc parse_head(json_t *obj, const char *name, struct tree_head *head,
                                 struct sluice_error *err)
{
	char why[256];
	if (!tree_head_from_json(obj, true, head, why, sizeof(why)))
		return MALFORMED("\"%s\" is not a signed tree head: %s", name, why);
	return SLUICE_OK;
}

enum sluice_rc audit_proof_parse(const uint8_t *text, size_t len, struct audit_proof *proof,
                                 struct sluice_error *err)
{
	static const char *const inclusion_members[] = {"leaf_index", "path", "record",
	                                                "sluice_proof", "tree_head", "type", NULL};
	static const char *const consistency_members[] = {"new_head", "old_head", "path",
	                                                  "sluice_proof", "type", NULL};
	enum sluice_rc rc = SLUICE_OK;
	json_error_t jerr;
	json_t *root;
	const json_t *v;
	const char *type, *stranger = NULL;

	memset(proof, 0, sizeof(*proof));
	if (len > AUDIT_PROOF_MAX_BYTES)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "proof.size",
		                   "%zu bytes, over the limit of %u: not a proof", len,
		                   AUDIT_PROOF_MAX_BYTES);
	root = json_loadb(text != NULL ? (const char *)text : "", len, JSON_REJECT_DUPLICATES,
	                  &jerr);
	if (root == NULL)
		return sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "proof.json",
		                   "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		                   jerr.column);
	if (!json_is_object(root)) {
		rc = MALFORMED("a proof is a JSON object");
		goto out;
	}
	v = json_object_get(root, "sluice_proof");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "proof.version",
		                 "not a Sluice proof of a version this program knows "
		                 "(\"sluice_proof\": 1)");
		goto out;
	}
	type = json_string_value(json_object_get(root, "type"));
	if (type != NULL && strcmp(type, "inclusion") == 0) {
		proof->type = AUDIT_PROOF_INCLUSION;
		if (!json_only_members(root, inclusion_members, &stranger)) {
			rc = MALFORMED("unexpected member \"%.64s\" in an inclusion proof", stranger);
			goto out;
		}
		v = json_object_get(root, "leaf_index");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rc = MALFORMED("\"leaf_index\" is missing or not a non-negative integer");
			goto out;
		}
		proof->leaf_index = (uint64_t)json_integer_value(v);
		v = json_object_get(root, "record");
		if (!json_is_object(v)) {
			rc = MALFORMED("\"record\" is missing or not an object");
			goto out;
		}
		proof->record = json_incref((json_t *)v);
		rc = parse_head(json_object_get(root, "tree_head"), "tree_head", &proof->head, err);
	} else if (type != NULL && strcmp(type, "consistency") == 0) {
		proof->type = AUDIT_PROOF_CONSISTENCY;
		if (!json_only_members(root, consistency_members, &stranger)) {
			rc = MALFORMED("unexpected member \"%.64s\" in a consistency proof", stranger);
			goto out;
		}
		rc = parse_head(json_object_get(root, "old_head"), "old_head", &proof->old_head,
		                err);
		if (rc == SLUICE_OK)
			rc = parse_head(json_object_get(root, "new_head"), "new_head", &proof->head,
			                err);
	} else {
		rc = MALFORMED("\"type\" is not \"inclusion\" or \"consistency\"");
		goto out;
	}
	if (rc == SLUICE_OK)
		rc = parse_path(json_object_get(root, "path"), proof, err);
out:
	json_decref(root);
	if (rc != SLUICE_OK)
		audit_proof_free(proof);
	return rc;
}

/* ---- verifying ----------------------------------------------------------------------------- */

static enum sluice_rc check_head(const struct tree_head *head, const char *name, EVP_PKEY *pub,
                                 struct sluice_error *err)
{
	char why[300];
	if (!tree_head_signature_ok(head, pub, why, sizeof(why)) ||
	    !tree_head_frontier_ok(head, why, sizeof(why)))
		return sluice_fail(err, SLUICE_ERR_VERIFY, "proof.head-signature",
		                   "the %s (tree_size %llu) is not a good signed tree head: %s", name,
		                   (unsigned long long)head->tree_size, why);
	return SLUICE_OK;
}

enum sluice_rc audit_proof_verify(const struct audit_proof *proof, EVP_PKEY *pub,
                                  struct sluice_error *err)
{
	enum merkle_verdict v;
	merkle_hash leaf;
	char root[2 * MERKLE_HASH_LEN + 1];
	enum sluice_rc rc;

	if (proof->type == AUDIT_PROOF_INCLUSION) {
		rc = check_head(&proof->head, "tree head", pub, err);
		if (rc != SLUICE_OK)
			return rc;
		if (!audit_record_leaf_hash(proof->record, leaf))
			return sluice_fail(err, SLUICE_ERR_INTERNAL, "proof.encode",
			                   "cannot re-serialise the record");
		v = merkle_verify_inclusion(leaf, proof->leaf_index, proof->head.tree_size,
		                            proof->path, proof->pathlen, proof->head.root);
		if (v == MERKLE_OK)
			return SLUICE_OK;
		merkle_hash_hex(proof->head.root, root);
		if (v == MERKLE_PATH_LENGTH)
			return sluice_fail(err, SLUICE_ERR_VERIFY, "proof.inclusion",
			                   "%s: leaf %llu of a tree of %llu records needs %zu hashes, the "
			                   "proof has %zu",
			                   merkle_verdict_str(v), (unsigned long long)proof->leaf_index,
			                   (unsigned long long)proof->head.tree_size,
			                   merkle_inclusion_path_length(proof->leaf_index,
			                                                proof->head.tree_size),
			                   proof->pathlen);
		return sluice_fail(err, SLUICE_ERR_VERIFY, "proof.inclusion",
		                   "the record is not leaf %llu of the tree of %llu records with root "
		                   "%s: %s (the record, its index or the path was changed)",
		                   (unsigned long long)proof->leaf_index,
		                   (unsigned long long)proof->head.tree_size, root,
		                   merkle_verdict_str(v));
	}
	rc = check_head(&proof->old_head, "older tree head", pub, err);
	if (rc == SLUICE_OK)
		rc = check_head(&proof->head, "newer tree head", pub, err);
	if (rc != SLUICE_OK)
		return rc;
	v = merkle_verify_consistency(proof->old_head.tree_size, proof->head.tree_size,
	                              proof->old_head.root, proof->head.root, proof->path,
	                              proof->pathlen);
	if (v == MERKLE_OK)
		return SLUICE_OK;
	if (proof->old_head.tree_size == proof->head.tree_size && v == MERKLE_ROOT_MISMATCH)
		return sluice_fail(err, SLUICE_ERR_VERIFY, "proof.consistency",
		                   "forked: two signed tree heads of the same size %llu with "
		                   "different roots",
		                   (unsigned long long)proof->head.tree_size);
	return sluice_fail(err, SLUICE_ERR_VERIFY, "proof.consistency",
	                   "the tree of %llu records is not shown to extend the tree of %llu "
	                   "records: %s (a forked or rewritten log, or a changed proof)",
	                   (unsigned long long)proof->head.tree_size,
	                   (unsigned long long)proof->old_head.tree_size, merkle_verdict_str(v));
}

void audit_proof_free(struct audit_proof *proof)
{
	if (proof == NULL)
		return;
	tree_head_free(&proof->head);
	tree_head_free(&proof->old_head);
	json_decref(proof->record);
	memset(proof, 0, sizeof(*proof));
}
