/*
 * The sharing policy (SPEC section 4) in memory, and its strict loader.
 *
 * A policy is written by administrators, but it is still parsed as untrusted text: the loader
 * refuses unknown keys, duplicate keys, aliases, tags, wrong types and unknown references, each
 * with file:line:column (STYLE.md 12). Once loaded, a policy is immutable.
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_error.h"
#include "strset.h"

enum caveat_action {
	CAVEAT_INFORMATIVE, /* {}: no access effect of its own */
	CAVEAT_REQUIRES,    /* {requires: [...]}: destination must hold every value */
	CAVEAT_REFUSE,      /* {action: refuse}: a report carrying it anywhere is refused whole */
	CAVEAT_WITHHOLD,    /* {action: withhold}: portions carrying it are withheld */
};

struct policy_caveat {
	char *token;
	enum caveat_action action;
	struct strset requires; /* for CAVEAT_REQUIRES */
	unsigned line;          /* of its token in the policy file */
};

struct spif;
struct spif_clearance;

/* A marking scheme given by a SPIF (profile stanag4774): `scheme: {spif: FILE}` (named "") or
 * one of `schemes: {NAME: {spif: FILE}}`. The SPIF is loaded with the policy and lives as long
 * as it (filters/spif.h). */
struct policy_scheme {
	char *name;
	char *written;        /* the SPIF's path as written in the policy */
	char *path;           /* resolved against the policy's folder */
	char sha256_hex[65];  /* of the SPIF file's bytes: part of the bundle digest */
	struct spif *spif;
	unsigned line;
};

struct policy_domain {
	char *name;
	/* How the domain labels its reports and reads its clearance: "ism", "tlp" or
	 * "stanag4774" (the policy's `profile` unless the domain names its own). */
	const char *profile;
	const struct classification_scheme *scheme; /* the classification list of `clearance` */
	const struct policy_scheme *spif_scheme;    /* stanag4774: the SPIF of its labels */
	struct spif_clearance *spif_clearance;      /* stanag4774: clearance + holds, resolved */
	int clearance; /* level in the domain's classification scheme */
	struct strset holds; /* with, for TLP, "tlp-org:O", "tlp-community:C", "tlp-client-of:O" */
	char *organisation;  /* TLP membership (profile tlp): NULL when not declared */
	struct strset communities;
	struct strset clients_of;
	unsigned line; /* of its name in the policy file */
};

enum portions_mode { PORTIONS_REDACT, PORTIONS_REFUSE };
enum marker_kind { MARKER_WITHHELD, MARKER_NONE };

enum pattern_kind { PATTERN_EMAIL, PATTERN_PHONE, PATTERN_PASSPORT, PATTERN_IBAN, PATTERN_CUSTOM };

struct policy_pattern {
	enum pattern_kind kind;
	char *name;  /* "email", ..., or the custom detector's name */
	char *regex; /* custom only: PCRE2 syntax, checked at load time */
};

struct policy_wordlist {
	char *path;    /* as written in the policy */
	char **words;  /* one word or phrase each, trimmed; '#' comment lines and blanks skipped */
	size_t nwords;
	char sha256_hex[65]; /* of the list file's bytes */
};

struct policy_flow {
	char *from;
	char **to;
	size_t nto;
	enum portions_mode portions;
	enum marker_kind marker;
	struct policy_wordlist *wordlists;
	size_t nwordlists;
	struct policy_pattern *patterns;
	size_t npatterns;
	char *replace_with; /* default "[REDACTED]" */
	bool signed_binding; /* `binding: signed-4778`: the release carries a signed ADatP-4778
	                        binding of its new banner label (stanag4774 only) */
	unsigned binding_line;
	unsigned line;      /* where the flow's mapping starts in the policy file */
};

struct policy_limits {
	uint64_t max_bytes; /* default 4 MiB */
	uint32_t max_depth; /* default 64 */
	uint64_t max_nodes; /* default 200000 */
};

struct policy {
	char *path;        /* the file (or name) it was loaded from */
	char *id;
	long version;
	char *profile;     /* "ism", "tlp" or "stanag4774": the default of every domain */
	char *schema_path; /* resolved against the policy's folder, or NULL */
	char *schema_written; /* as written in the policy, or NULL */
	char schema_sha256_hex[65];
	struct policy_limits limits;
	unsigned limits_line; /* of `limits:` in the policy file, 0 when absent (defaults) */
	struct policy_caveat *caveats;
	size_t ncaveats;
	struct policy_domain *domains;
	size_t ndomains;
	struct policy_flow *flows;
	size_t nflows;
	struct policy_scheme *schemes; /* `scheme:` first (name ""), then `schemes:` */
	size_t nschemes;
	uint8_t sha256[32];  /* of the policy file's bytes */
	char sha256_hex[65];
	/* SHA-256 over everything that decides what the policy does: the policy file and every
	 * word list and schema it names (see policy_bundle_digest in policy_load.c). A word list
	 * edited without a new version still changes this digest. */
	char bundle_sha256_hex[65];
	/* Key ids (64 hex) of the administrators whose signatures on the signed bundle the policy
	 * came from verified (gateway/policy_bundle.h), sorted; none for a plain policy file. Set
	 * by whoever verified the bundle; every record names them. */
	char **signers;
	size_t nsigners;
};

/* Bounds of the loader: a policy file and each word list it names are read up to these sizes;
 * YAML collections nest at most POLICY_MAX_NESTING deep. */
#define POLICY_FILE_MAX_BYTES (1024u * 1024u)
#define POLICY_WORDLIST_MAX_BYTES (1024u * 1024u)
#define POLICY_MAX_NESTING 16
#define POLICY_SCHEMA_MAX_BYTES (16u * 1024u * 1024u)

/* Loads and checks the policy file at `path`; on success *out is a new policy (policy_free).
 * Word-list files and the schema resolve against the policy's folder. Every error is
 * SLUICE_ERR_POLICY (exit 78) with a stable rule and, for the policy's content,
 * file:line:column in `err`; an unreadable policy file is a policy error too ("policy.read"):
 * the policy cannot be used. A policy file writable by group or others is refused
 * ("policy.permissions"), as is one over POLICY_FILE_MAX_BYTES ("policy.too-large"). */
enum sluice_rc policy_load(const char *path, struct policy **out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Parses a policy from `len` bytes of memory (the fuzz target's entry, and policy_load's
 * second half). `name` is the file named in error messages and stored as `path`; word-list
 * paths and the schema resolve against `base_dir`. `sha256` is the digest of these bytes.
 * Same errors as policy_load, without the file checks. */
enum sluice_rc policy_load_buffer(const char *name, const uint8_t *data, size_t len,
                                  const char *base_dir, struct policy **out,
                                  struct sluice_error *err) SLUICE_MUST_CHECK;
/* Frees everything the policy owns; NULL is fine. */
void policy_free(struct policy *p);

/* The SPIF scheme called `name` ("" for `scheme:`), or NULL. */
const struct policy_scheme *policy_scheme_find(const struct policy *p, const char *name);
/* The domain called `name`, or NULL. */
const struct policy_domain *policy_domain_find(const struct policy *p, const char *name);
/* The caveat rule for `token`, or NULL when the policy declares none. */
const struct policy_caveat *policy_caveat_find(const struct policy *p, const char *token);
/* The first flow from `from` whose `to` names `to`, or NULL (default deny). */
const struct policy_flow *policy_flow_find(const struct policy *p, const char *from,
                                           const char *to);

#endif
