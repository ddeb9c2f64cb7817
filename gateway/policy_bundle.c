#include "policy_bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "canonical_json.h"
#include "fileio.h"
#include "keys.h"
#include "policy.h"

static const char signed_prefix[] = "sluice-policy-bundle-v1\n";

void policy_bundle_free(struct policy_bundle *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].path);
		free(b->files[i].data);
	}
	free(b->files);
	free(b->sigs);
	free(b->policy_id);
	memset(b, 0, sizeof(*b));
}

/* A path a bundle may name: relative, no "..", no empty segment, printable ASCII. */
static bool safe_path(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 255 || p[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '\\')
			return false;
	const char *seg = p;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		if (len == 0 || (len == 2 && seg[0] == '.' && seg[1] == '.') ||
		    (len == 1 && seg[0] == '.'))
			return false;
		if (slash == NULL)
			return true;
		seg = slash + 1;
	}
}

static enum sluice_rc add_file(struct policy_bundle *b, const char *base_dir, const char *path,
                               struct sluice_error *err)
{
	if (!safe_path(path))
		return sluice_fail(err, SLUICE_ERR_POLICY, "bundle.path",
		                   "the policy references '%s': a bundle holds only files beside the "
		                   "policy (a relative path without '..')", path);
	for (size_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i].path, path) == 0)
			return SLUICE_OK; /* one word list used by several flows */
	char *full = path_join(base_dir, path);
	uint8_t *data;
	size_t len;
	enum sluice_rc rc = file_read_bounded(full, POLICY_BUNDLE_MAX_BYTES, SLUICE_ERR_POLICY,
	                                      &data, &len, err);
	free(full);
	if (rc != SLUICE_OK)
		return rc;
	if (b->nfiles == POLICY_BUNDLE_MAX_FILES) {
		free(data);
		return sluice_fail(err, SLUICE_ERR_POLICY, "bundle.too-many-files",
		                   "a bundle holds at most %u files", POLICY_BUNDLE_MAX_FILES);
	}
	b->files = xrealloc(b->files, (b->nfiles + 1) * sizeof(*b->files));
	b->files[b->nfiles++] = (struct bundle_file){ xstrdup(path), data, len };
	return SLUICE_OK;
}

enum sluice_rc policy_bundle_make(const char *policy_path, struct policy_bundle *out,
                                  struct sluice_error *err)
{
	struct policy *p = NULL;
	memset(out, 0, sizeof(*out));
	enum sluice_rc rc = policy_load(policy_path, &p, err);
	if (rc != SLUICE_OK)
		return rc;
	char *base = path_dirname(policy_path);
	const char *slash = strrchr(policy_path, '/');
	const char *name = slash ? slash + 1 : policy_path;
	out->policy_id = xstrdup(p->id);
	out->policy_version = p->version;
	snprintf(out->bundle_sha256, sizeof(out->bundle_sha256), "%s", p->bundle_sha256_hex);
	rc = add_file(out, base, name, err);
	for (size_t f = 0; rc == SLUICE_OK && f < p->nflows; f++)
		for (size_t w = 0; rc == SLUICE_OK && w < p->flows[f].nwordlists; w++)
			rc = add_file(out, base, p->flows[f].wordlists[w].path, err);
	if (rc == SLUICE_OK && p->schema_written != NULL)
		rc = add_file(out, base, p->schema_written, err);
	for (size_t i = 0; rc == SLUICE_OK && i < p->nschemes; i++)
		rc = add_file(out, base, p->schemes[i].written, err);
	free(base);
	policy_free(p);
	if (rc != SLUICE_OK)
		policy_bundle_free(out);
	return rc;
}

/* The bundle without its signatures, as jansson builds it. */
static json_t *unsigned_json(const struct policy_bundle *b)
{
	json_t *files = json_array();
	for (size_t i = 0; i < b->nfiles; i++) {
		char sha[65];
		sha256_hex(b->files[i].data, b->files[i].len, sha);
		char *b64 = base64_encode(b->files[i].data, b->files[i].len);
		json_array_append_new(files, json_pack("{s:s, s:s, s:s}", "path", b->files[i].path,
		                                       "sha256", sha, "base64", b64));
		free(b64);
	}
	return json_pack("{s:i, s:s, s:I, s:s, s:o}", "sluice_policy_bundle", 1, "policy_id",
	                 b->policy_id, "policy_version", (json_int_t)b->policy_version,
	                 "bundle_sha256", b->bundle_sha256, "files", files);
}

uint8_t *policy_bundle_signed_bytes(const struct policy_bundle *b, size_t *len)
{
	json_t *j = unsigned_json(b);
	char *canon = j ? json_canonical(j) : NULL;
	json_decref(j);
	if (canon == NULL)
		SLUICE_BUG("cannot encode a policy bundle");
	size_t n = strlen(canon), p = sizeof(signed_prefix) - 1;
	uint8_t *out = xmalloc(p + n);
	memcpy(out, signed_prefix, p);
	memcpy(out + p, canon, n);
	free(canon);
	*len = p + n;
	return out;
}

char *policy_bundle_json(const struct policy_bundle *b)
{
	json_t *j = unsigned_json(b);
	json_t *sigs = json_array();
	for (size_t i = 0; i < b->nsigs; i++) {
		char *s = base64_encode(b->sigs[i].sig, 64);
		json_array_append_new(sigs, json_pack("{s:s, s:s, s:s}", "key_id", b->sigs[i].key_id,
		                                      "alg", "ed25519", "signature", s));
		free(s);
	}
	json_object_set_new(j, "signatures", sigs);
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL)
		SLUICE_BUG("cannot encode a policy bundle");
	size_t n = strlen(text);
	char *out = xmalloc(n + 2);
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(text);
	return out;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

static enum sluice_rc bad(struct sluice_error *err, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum sluice_rc bad(struct sluice_error *err, const char *rule, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sluice_fail(err, SLUICE_ERR_POLICY, rule, "malformed policy bundle: %s", msg);
}

static enum sluice_rc parse_file(json_t *jf, size_t i, struct policy_bundle *out,
                                 struct sluice_error *err)
{
	static const char *const members[] = { "path", "sha256", "base64", NULL };
	const char *stranger = NULL, *path, *sha, *b64;
	if (!json_is_object(jf) || !json_only_members(jf, members, &stranger) ||
	    json_unpack(jf, "{s:s, s:s, s:s}", "path", &path, "sha256", &sha, "base64", &b64) != 0)
		return bad(err, "bundle.form", "file %zu must be {path, sha256, base64}%s%s", i,
		           stranger ? ", not " : "", stranger ? stranger : "");
	if (!safe_path(path))
		return bad(err, "bundle.path", "file %zu has an unsafe path", i);
	for (size_t k = 0; k < out->nfiles; k++)
		if (strcmp(out->files[k].path, path) == 0)
			return bad(err, "bundle.path", "'%s' is in the bundle twice", path);
	uint8_t *data;
	size_t len;
	if (base64_decode(b64, &data, &len) != 0)
		return bad(err, "bundle.form", "'%s' is not valid base64", path);
	char got[65];
	sha256_hex(data, len, got);
	if (!is_hex64(sha) || strcmp(got, sha) != 0) {
		free(data);
		return sluice_fail(err, SLUICE_ERR_VERIFY, "bundle.digest",
		                   "policy bundle: the bytes of '%s' do not match its sha256", path);
	}
	out->files[out->nfiles++] = (struct bundle_file){ xstrdup(path), data, len };
	return SLUICE_OK;
}

enum sluice_rc policy_bundle_parse(const uint8_t *data, size_t len, struct policy_bundle *out,
                                   struct sluice_error *err)
{
	static const char *const members[] = { "sluice_policy_bundle", "policy_id",
		                               "policy_version", "bundle_sha256", "files",
		                               "signatures", NULL };
	memset(out, 0, sizeof(*out));
	if (len > POLICY_BUNDLE_MAX_BYTES)
		return bad(err, "bundle.too-large", "over %u bytes", POLICY_BUNDLE_MAX_BYTES);
	json_error_t je;
	json_t *j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return bad(err, "bundle.json", "line %d: %s", je.line, je.text);
	enum sluice_rc rc = SLUICE_OK;
	const char *stranger = NULL, *id, *bsha;
	json_int_t version, format;
	json_t *files, *sigs;
	if (!json_is_object(j) || !json_only_members(j, members, &stranger) ||
	    json_unpack(j, "{s:I, s:s, s:I, s:s, s:o, s:o}", "sluice_policy_bundle", &format,
	                "policy_id", &id, "policy_version", &version, "bundle_sha256", &bsha,
	                "files", &files, "signatures", &sigs) != 0) {
		rc = bad(err, "bundle.form", "it must be an object with sluice_policy_bundle, policy_id, "
		         "policy_version, bundle_sha256, files and signatures%s%s",
		         stranger ? ", not " : "", stranger ? stranger : "");
		goto out;
	}
	if (format != 1) {
		rc = bad(err, "bundle.version", "format %lld is not 1", (long long)format);
		goto out;
	}
	if (!is_hex64(bsha) || !json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > POLICY_BUNDLE_MAX_FILES || !json_is_array(sigs) ||
	    json_array_size(sigs) > POLICY_BUNDLE_MAX_SIGNATURES) {
		rc = bad(err, "bundle.form", "bundle_sha256, files (1 to %u) or signatures (at most %u) "
		         "are not as they must be", POLICY_BUNDLE_MAX_FILES,
		         POLICY_BUNDLE_MAX_SIGNATURES);
		goto out;
	}
	out->policy_id = xstrdup(id);
	out->policy_version = (long)version;
	snprintf(out->bundle_sha256, sizeof(out->bundle_sha256), "%s", bsha);
	out->files = xcalloc(json_array_size(files), sizeof(*out->files));
	for (size_t i = 0; rc == SLUICE_OK && i < json_array_size(files); i++)
		rc = parse_file(json_array_get(files, i), i, out, err);
	out->sigs = xcalloc(json_array_size(sigs) ? json_array_size(sigs) : 1, sizeof(*out->sigs));
	for (size_t i = 0; rc == SLUICE_OK && i < json_array_size(sigs); i++) {
		static const char *const sm[] = { "key_id", "alg", "signature", NULL };
		json_t *js = json_array_get(sigs, i);
		const char *kid, *alg, *sig;
		uint8_t *raw = NULL;
		size_t rawlen = 0;
		if (!json_is_object(js) || !json_only_members(js, sm, &stranger) ||
		    json_unpack(js, "{s:s, s:s, s:s}", "key_id", &kid, "alg", &alg, "signature",
		                &sig) != 0 ||
		    !is_hex64(kid) || strcmp(alg, "ed25519") != 0 || base64_decode(sig, &raw, &rawlen) ||
		    rawlen != 64) {
			free(raw);
			rc = bad(err, "bundle.form", "signature %zu must be {key_id (64 hex), alg "
			         "\"ed25519\", signature (64 bytes, base64)}", i);
			break;
		}
		struct bundle_signature *s = &out->sigs[out->nsigs++];
		snprintf(s->key_id, sizeof(s->key_id), "%s", kid);
		memcpy(s->sig, raw, 64);
		free(raw);
	}
out:
	json_decref(j);
	if (rc != SLUICE_OK)
		policy_bundle_free(out);
	return rc;
}

enum sluice_rc policy_bundle_sign(struct policy_bundle *b, const char *key_path,
                                  char key_id[65], struct sluice_error *err)
{
	EVP_PKEY *key = NULL;
	enum sluice_rc rc = key_load_private(key_path, &key, err);
	if (rc == SLUICE_OK)
		rc = key_id_hex(key, key_id, err);
	for (size_t i = 0; rc == SLUICE_OK && i < b->nsigs; i++)
		if (strcmp(b->sigs[i].key_id, key_id) == 0)
			rc = sluice_fail(err, SLUICE_ERR_VERIFY, "bundle.signed-twice",
			                 "key %.16s already signed this bundle: the two-person rule needs "
			                 "another administrator's key", key_id);
	if (rc == SLUICE_OK && b->nsigs == POLICY_BUNDLE_MAX_SIGNATURES)
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "bundle.too-many-signatures",
		                 "a bundle holds at most %u signatures", POLICY_BUNDLE_MAX_SIGNATURES);
	if (rc == SLUICE_OK) {
		size_t len;
		uint8_t *msg = policy_bundle_signed_bytes(b, &len);
		b->sigs = xrealloc(b->sigs, (b->nsigs + 1) * sizeof(*b->sigs));
		struct bundle_signature *s = &b->sigs[b->nsigs];
		memset(s, 0, sizeof(*s));
		snprintf(s->key_id, sizeof(s->key_id), "%s", key_id);
		rc = signature_sign(key, msg, len, s->sig, err);
		if (rc == SLUICE_OK)
			b->nsigs++;
		free(msg);
	}
	EVP_PKEY_free(key);
	return rc;
}

struct admin {
	char key_id[65];
	char *name;
	EVP_PKEY *pub;
};

/* The trusted administrators: every *.pub file in `dir`. */
static enum sluice_rc load_admins(const char *dir, struct admin **out, size_t *n,
                                  struct sluice_error *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return sluice_fail(err, SLUICE_ERR_IO, "bundle.admins",
		                   "cannot read the administrators' keys in %s", dir);
	struct dirent *e;
	enum sluice_rc rc = SLUICE_OK;
	while (rc == SLUICE_OK && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".pub") != 0 || e->d_name[0] == '.')
			continue;
		char *path = path_join(dir, e->d_name);
		struct admin a = { "", xstrndup(e->d_name, len - 4), NULL };
		rc = key_load_public(path, &a.pub, err);
		if (rc == SLUICE_OK)
			rc = key_id_hex(a.pub, a.key_id, err);
		free(path);
		if (rc != SLUICE_OK) {
			EVP_PKEY_free(a.pub);
			free(a.name);
			break;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = a;
	}
	closedir(d);
	if (rc == SLUICE_OK && *n == 0)
		rc = sluice_fail(err, SLUICE_ERR_POLICY, "bundle.admins",
		                 "no administrator key (*.pub) in %s", dir);
	return rc;
}

static void appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static enum sluice_rc verify(const struct policy_bundle *b, const char *admins_dir,
                             unsigned required, char *report, size_t reportlen, char ***signers,
                             size_t *nsigners, struct sluice_error *err);

enum sluice_rc policy_bundle_verify(const struct policy_bundle *b, const char *admins_dir,
                                    unsigned required, char *report, size_t reportlen,
                                    struct sluice_error *err)
{
	return verify(b, admins_dir, required, report, reportlen, NULL, NULL, err);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum sluice_rc policy_bundle_verify_signers(const struct policy_bundle *b,
                                            const char *admins_dir, unsigned required,
                                            char ***signers, size_t *nsigners,
                                            struct sluice_error *err)
{
	*signers = NULL;
	*nsigners = 0;
	enum sluice_rc rc = verify(b, admins_dir, required, NULL, 0, signers, nsigners, err);
	if (rc == SLUICE_OK && *nsigners > 1)
		qsort(*signers, *nsigners, sizeof(**signers), by_string);
	return rc;
}

static enum sluice_rc verify(const struct policy_bundle *b, const char *admins_dir,
                             unsigned required, char *report, size_t reportlen, char ***signers,
                             size_t *nsigners, struct sluice_error *err)
{
	struct admin *admins;
	size_t nadmins;
	enum sluice_rc rc = load_admins(admins_dir, &admins, &nadmins, err);
	if (rc != SLUICE_OK)
		return rc;
	char local[1];
	if (report == NULL) {
		report = local;
		reportlen = sizeof(local);
	}
	report[0] = '\0';
	size_t len;
	uint8_t *msg = policy_bundle_signed_bytes(b, &len);
	bool *counted = xcalloc(nadmins ? nadmins : 1, sizeof(*counted));
	unsigned good = 0, untrusted = 0, invalid = 0, repeated = 0;
	char who[512] = "";
	for (size_t i = 0; i < b->nsigs; i++) {
		const struct bundle_signature *s = &b->sigs[i];
		size_t a = 0;
		while (a < nadmins && strcmp(admins[a].key_id, s->key_id) != 0)
			a++;
		if (a == nadmins) {
			untrusted++;
			appendf(report, reportlen, "  signature %zu: key %.16s is not a trusted "
			        "administrator's\n", i + 1, s->key_id);
		} else if (!signature_verify(admins[a].pub, msg, len, s->sig, 64)) {
			invalid++;
			appendf(report, reportlen, "  signature %zu: by %s, does NOT verify (the bundle "
			        "changed after signing, or the signature is forged)\n", i + 1,
			        admins[a].name);
		} else if (counted[a]) {
			repeated++;
			appendf(report, reportlen, "  signature %zu: by %s again, counted once\n", i + 1,
			        admins[a].name);
		} else {
			counted[a] = true;
			good++;
			if (signers != NULL) {
				*signers = xrealloc(*signers, (*nsigners + 1) * sizeof(**signers));
				(*signers)[(*nsigners)++] = xstrdup(s->key_id);
			}
			appendf(report, reportlen, "  signature %zu: by %s (key %.16s), valid\n", i + 1,
			        admins[a].name, s->key_id);
			appendf(who, sizeof(who), "%s%s", who[0] ? ", " : "", admins[a].name);
		}
	}
	if (good < required)
		rc = sluice_fail(err, SLUICE_ERR_VERIFY, "bundle.signatures",
		                 "policy %s version %ld has %u valid signature%s of trusted "
		                 "administrators%s%s%s, %u required (%u untrusted, %u invalid, %u "
		                 "repeated)", b->policy_id, b->policy_version, good, good == 1 ? "" : "s",
		                 good ? " (" : "", who, good ? ")" : "", required, untrusted, invalid,
		                 repeated);
	if (rc != SLUICE_OK && signers != NULL) {
		for (size_t i = 0; i < *nsigners; i++)
			free((*signers)[i]);
		free(*signers);
		*signers = NULL;
		*nsigners = 0;
	}
	free(counted);
	free(msg);
	for (size_t a = 0; a < nadmins; a++) {
		EVP_PKEY_free(admins[a].pub);
		free(admins[a].name);
	}
	free(admins);
	return rc;
}

/* mkdir -p of the folders of `rel` below `dir`, 0700. */
static int make_parents(const char *dir, const char *rel)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	for (char *p = path + strlen(dir) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return 0;
}

enum sluice_rc policy_bundle_unpack(const struct policy_bundle *b, char *dir, size_t dirlen,
                                    char *policy_path, size_t pathlen, struct sluice_error *err)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, dirlen, "%s/sluice-policy.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= dirlen || mkdtemp(dir) == NULL)
		return sluice_fail(err, SLUICE_ERR_IO, "bundle.unpack",
		                   "cannot make a private folder to unpack the policy bundle: %s",
		                   strerror(errno));
	for (size_t i = 0; i < b->nfiles; i++) {
		char path[4096];
		n = snprintf(path, sizeof(path), "%s/%s", dir, b->files[i].path);
		int fd = -1;
		if (n > 0 && (size_t)n < sizeof(path) && make_parents(dir, b->files[i].path) == 0)
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		int ok = fd >= 0 && fd_write_all(fd, b->files[i].data, b->files[i].len) == 0;
		if (fd >= 0)
			close(fd);
		if (!ok) {
			int e = errno;
			policy_bundle_unpacked_remove(b, dir);
			return sluice_fail(err, SLUICE_ERR_IO, "bundle.unpack",
			                   "cannot unpack '%s' of the policy bundle: %s", b->files[i].path,
			                   strerror(e));
		}
	}
	n = snprintf(policy_path, pathlen, "%s/%s", dir, b->files[0].path);
	if (n < 0 || (size_t)n >= pathlen) {
		policy_bundle_unpacked_remove(b, dir);
		return sluice_fail(err, SLUICE_ERR_IO, "bundle.unpack", "path too long");
	}
	return SLUICE_OK;
}

void policy_bundle_unpacked_remove(const struct policy_bundle *b, const char *dir)
{
	char path[4096];
	for (size_t i = 0; i < b->nfiles; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, b->files[i].path) >= (int)sizeof(path))
			continue;
		(void)unlink(path);
		/* and the folders it made, deepest first; rmdir leaves non-empty ones */
		for (char *slash = strrchr(path, '/'); slash != NULL && slash > path + strlen(dir);
		     slash = strrchr(path, '/')) {
			*slash = '\0';
			(void)rmdir(path);
		}
	}
	(void)rmdir(dir);
}

void policy_bundle_free_signers(char **signers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(signers[i]);
	free(signers);
}

enum sluice_rc policy_bundle_open_verified(const char *path, const char *admins_dir,
                                           unsigned required, struct policy_bundle *b,
                                           char *dir, size_t dirlen, char *policy_file,
                                           size_t filelen, char ***signers, size_t *nsigners,
                                           struct sluice_error *err)
{
	uint8_t *data;
	size_t len;
	*signers = NULL;
	*nsigners = 0;
	enum sluice_rc rc = file_read_bounded(path, POLICY_BUNDLE_MAX_BYTES, SLUICE_ERR_POLICY,
	                                      &data, &len, err);
	if (rc != SLUICE_OK)
		return rc;
	rc = policy_bundle_parse(data, len, b, err);
	free(data);
	if (rc == SLUICE_OK)
		rc = policy_bundle_verify_signers(b, admins_dir, required, signers, nsigners, err);
	if (rc == SLUICE_OK)
		rc = policy_bundle_unpack(b, dir, dirlen, policy_file, filelen, err);
	if (rc != SLUICE_OK) {
		policy_bundle_free(b);
		policy_bundle_free_signers(*signers, *nsigners);
		*signers = NULL;
		*nsigners = 0;
	}
	return rc;
}
