/*
 * The release filter: everything that happens to one untrusted report, in the sandboxed
 * filter process. Parse (xml_intake), read markings (profile), refuse on `action: refuse`
 * caveats, check each portion against the destination, withhold or refuse, check content
 * outside portions against the banner, redact words and patterns, re-mark the banner, check
 * the new banner against the destination, serialise.
 *
 * It reads only memory it is given and returns only a result structure: the trusted parent
 * turns that into a signed receipt and an audit record.
 */
#ifndef SLUICE_RELEASE_H
#define SLUICE_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "redact.h"
#include "sluice_error.h"

#define SLUICE_WITHHELD_NS "urn:sluice:guard:1"

struct release_request {
	const struct policy *policy;
	const struct policy_flow *flow;
	const struct policy_domain *destination;
	const struct redactor *redactor;
	void *schema; /* xmlSchemaPtr compiled before the sandbox, or NULL */
	bool explain; /* fill release_result's portions and banner_before (`policy explain` and
	                 the other dry runs); releases leave it false and skip that work */
	/* A flow with `binding: signed-4778`: the binding certificate (DER), its algorithm
	 * (enum s4778_sig_alg) and the placeholder the trusted parent will replace by the
	 * signature. Without a certificate (dry runs) no binding is made. */
	const uint8_t *binding_cert;
	size_t binding_cert_len;
	int binding_alg;
	const char *binding_placeholder;
};

enum release_decision {
	RELEASE_RELEASED = 0, /* possibly redacted */
	RELEASE_REFUSED = 1,  /* by policy: nothing released */
	RELEASE_INVALID = 2,  /* invalid or hostile report */
	RELEASE_ERROR = 3,    /* internal error */
};

struct release_removal {
	char *location;
	unsigned line;
	char *rule;
};

struct release_redaction {
	char *location;
	char *rule;
	unsigned count;
};

/* One portion as the filter saw it, for `sluice policy explain`: never any of its content. */
struct release_portion {
	char *location;  /* e.g. "/IntelReport/Assessment" */
	unsigned line;
	char *label;     /* its marking as people write it: "S//NF", "TLP:AMBER" */
	bool withheld;   /* withheld from the destination (with what it contains) */
};

struct release_result {
	enum release_decision decision;
	struct sluice_error error;     /* why, when not released */
	struct release_removal *removals;
	size_t nremovals;
	struct release_redaction *redactions;
	size_t nredactions;
	uint8_t *output;               /* the released report, when released */
	size_t outlen;
	char *banner;                  /* the recomputed banner summary, when released: as the
	                                  destination reads it (its own policy's marking) */
	char *source_banner;           /* the same banner in the source's policy, when the flow
	                                  crossed into an equivalent policy (stanag4774), else NULL */
	char *banner_before;           /* the report's banner as submitted, once it was read
	                                  (only for an `explain` request) */
	struct release_portion *portions; /* every portion, in document order, once read (only
	                                     for an `explain` request) */
	size_t nportions;
	uint8_t *signed_info;          /* a signed ADatP-4778 binding: the canonical SignedInfo the
	                                  parent signs (filters/s4778_binding.h), else NULL */
	size_t signed_info_len;
};

void release_result_init(struct release_result *r);
void release_result_free(struct release_result *r);
void release_result_add_removal(struct release_result *r, const char *location, unsigned line,
                                const char *rule);
void release_result_add_redaction(struct release_result *r, const char *location,
                                  const char *rule, unsigned count);
void release_result_add_portion(struct release_result *r, const char *location, unsigned line,
                                const char *label, bool withheld);

/* Runs the whole filter on `report`. Always fills `out`. */
void release_filter(const struct release_request *req, const uint8_t *report, size_t len,
                    struct release_result *out);

/* The exit-code class of a decision. */
enum sluice_rc release_decision_rc(enum release_decision d);
const char *release_decision_name(enum release_decision d);

/* Compiles the XSD at `path` before the sandbox starts: local files next to it only, never
 * the network. The result is an xmlSchemaPtr. */
enum sluice_rc release_schema_load(const char *path, void **schema, struct sluice_error *err)
	SLUICE_MUST_CHECK;
void release_schema_free(void *schema);

#endif
