/* libFuzzer: the loader of `sluice policy test` cases files (gateway/policy_cases.c). A cases
 * file is written by an administrator but may come from anyone's merge request: any bytes must
 * be refused with a "cases.*" or YAML rule, or load into cases that each name a from, a to and
 * at least one expectation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_cases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_cases *c = NULL;
	struct sluice_error err;
	if (policy_cases_load_buffer("fuzz.yaml", data, size, "/nonexistent", &c, &err) !=
	    SLUICE_OK) {
		if (c != NULL || err.rule[0] == '\0')
			abort();
		return 0;
	}
	policy_cases_free(c);
	return 0;
}
