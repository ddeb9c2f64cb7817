/* libFuzzer: the release filter under the stanag4774 profile (embedded ADatP-4774 labels read
 * against a SPIF, access, roll-up, re-marking, translation into an equivalent policy) on
 * arbitrary bytes, with the project's test SPIFs (tests/fixtures/stanag4774). */
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
	"profile: stanag4774\n"
	"limits: {max-bytes: 1MiB, max-depth: 32, max-nodes: 20000}\n"
	"scheme: {spif: example-spif.xml}\n"
	"schemes:\n"
	"  other: {spif: other-spif.xml}\n"
	"domains:\n"
	"  a: {clearance: SECRET, holds: ['Releasable To: ALPHA', 'Special Handling: KEYSTONE']}\n"
	"  b: {clearance: CONFIDENTIAL, holds: ['Releasable To: ALPHA']}\n"
	"  c: {scheme: other, clearance: SEALED, holds: ['Audience: A', 'Caveats: K']}\n"
	"flows:\n"
	"  - from: a\n"
	"    to: [b, c]\n"
	"    portions: redact\n"
	"    redact:\n"
	"      patterns: [email]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *pol;
	static struct redactor *red;
	struct sluice_error err;
	if (pol == NULL) {
		xml_intake_init();
		if (policy_load_buffer("fuzz.yaml", (const uint8_t *)policy_yaml,
		                       sizeof(policy_yaml) - 1, SLUICE_FUZZ_SPIF_DIR, &pol,
		                       &err) != SLUICE_OK ||
		    redactor_new(&pol->flows[0], &red, &err) != SLUICE_OK)
			abort();
	}
	/* The length picks the destination: same SPIF, or the equivalent policy. */
	const char *to = (size & 1) ? "c" : "b";
	struct release_request req = { .policy = pol, .flow = &pol->flows[0],
	                               .destination = policy_domain_find(pol, to), .redactor = red,
	                               .explain = true };
	struct release_result r;
	release_filter(&req, data, size, &r);
	if (r.decision == RELEASE_RELEASED && (r.output == NULL || r.banner == NULL))
		abort(); /* a release always has output and a banner */
	if (r.source_banner != NULL && strcmp(to, "c") != 0)
		abort(); /* two banners only across policies */
	release_result_free(&r);
	return 0;
}
