/* libFuzzer: the policy bundle parser (gateway/policy_bundle.h). A bundle arrives from
 * whoever prepared it and is parsed before any signature is checked: any bytes must be refused
 * with a "bundle.*" rule or give a bundle whose paths are safe and whose files match their
 * digests, and re-encoding a parsed bundle must parse again to the same files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "policy_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_bundle b, again;
	struct sluice_error err;
	if (policy_bundle_parse(data, size, &b, &err) != SLUICE_OK) {
		if (strncmp(err.rule, "bundle.", 7) != 0)
			abort();
		return 0;
	}
	if (b.nfiles == 0 || b.files[0].path[0] == '/')
		abort();
	char *json = policy_bundle_json(&b);
	if (policy_bundle_parse((const uint8_t *)json, strlen(json), &again, &err) != SLUICE_OK ||
	    again.nfiles != b.nfiles || again.nsigs != b.nsigs)
		abort();
	for (size_t i = 0; i < b.nfiles; i++)
		if (again.files[i].len != b.files[i].len ||
		    memcmp(again.files[i].data, b.files[i].data, b.files[i].len) != 0)
			abort();
	free(json);
	policy_bundle_free(&again);
	policy_bundle_free(&b);
	return 0;
}
