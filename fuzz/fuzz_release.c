/* libFuzzer: the whole release filter (intake, ism profile, decisions, redaction, re-marking)
 * on arbitrary bytes, under a fixed policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release.h"
#include "xml_intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_yaml[] =
	"sluice-policy: 1\n"
	"id: fuzz\n"
	"version: 1\n"
	"profile: ism\n"
	"limits: {max-bytes: 1MiB, max-depth: 32, max-nodes: 20000}\n"
	"caveats:\n"
	"  NF: {requires: [USA]}\n"
	"  LES: {requires: [LES]}\n"
	"  OC: {action: refuse}\n"
	"  PR: {action: withhold}\n"
	"  REL: {}\n"
	"  FOUO: {}\n"
	"domains:\n"
	"  a: {clearance: TS, holds: [USA, LES]}\n"
	"  b: {clearance: C, holds: [USA, FRA]}\n"
	"flows:\n"
	"  - from: a\n"
	"    to: b\n"
	"    portions: redact\n"
	"    redact:\n"
	"      patterns: [email, phone, passport, iban]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *pol;
	static struct redactor *red;
	struct sluice_error err;
	if (pol == NULL) {
		xml_intake_init();
		if (policy_load_buffer("fuzz.yaml", (const uint8_t *)policy_yaml,
		                       sizeof(policy_yaml) - 1, "/nonexistent", &pol, &err) != SLUICE_OK ||
		    redactor_new(&pol->flows[0], &red, &err) != SLUICE_OK)
			abort();
	}
	/* explain: also the per-portion view of `policy explain` */
	struct release_request req = { .policy = pol, .flow = &pol->flows[0],
	                               .destination = policy_domain_find(pol, "b"), .redactor = red,
	                               .explain = true };
	struct release_result r;
	release_filter(&req, data, size, &r);
	if (r.decision == RELEASE_RELEASED && r.output == NULL)
		abort(); /* a release always has output */
	release_result_free(&r);
	return 0;
}
