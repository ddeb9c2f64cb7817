/*
 * libFuzzer target for the strict policy loader: any bytes must either load into a policy or
 * fail with SLUICE_ERR_POLICY and a rule, without a crash, a leak or unbounded work. Word
 * lists and schemas resolve against a folder that does not exist, so the target reads no
 * files (an absolute path in the input is still refused or read within its 1 MiB bound).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_error err;
	struct policy *p = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = policy_load_buffer("fuzz.yaml", data, size, "/nonexistent", &p, &err);
	if (rc != SLUICE_OK) {
		/* Every failure is a policy error with a rule (memory exhaustion aside). */
		if (p != NULL || (rc != SLUICE_ERR_POLICY && rc != SLUICE_ERR_INTERNAL) ||
		    err.rule[0] == '\0')
			abort();
		return 0;
	}
	/* A loaded policy is consistent: every flow names known domains. */
	for (size_t i = 0; i < p->nflows; i++) {
		const struct policy_flow *f = &p->flows[i];
		if (policy_domain_find(p, f->from) == NULL || f->nto == 0)
			abort();
		for (size_t k = 0; k < f->nto; k++)
			if (policy_domain_find(p, f->to[k]) == NULL ||
			    policy_flow_find(p, f->from, f->to[k]) != f)
				abort();
	}
	for (size_t i = 0; i < p->ncaveats; i++)
		if (policy_caveat_find(p, p->caveats[i].token) != &p->caveats[i])
			abort();
	policy_free(p);
	return 0;
}
