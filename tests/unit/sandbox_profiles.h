/* The sandboxes of gateway/sandbox.h by name, for the tests that go through all of them
 * (sandbox_golden.c, test_sandbox_proofs.c). A new profile must be added to both lists below:
 * the switch has no default, so the build (-Werror -Wswitch) fails until it is named. */
#ifndef SLUICE_TEST_SANDBOX_PROFILES_H
#define SLUICE_TEST_SANDBOX_PROFILES_H

#include "sandbox.h"

static const enum sandbox_profile every_sandbox_profile[] = {
	SANDBOX_WORKER,      SANDBOX_IPC,     SANDBOX_AUDITOR, SANDBOX_SPOOL_READ,
	SANDBOX_SPOOL_WRITE, SANDBOX_FORWARD, SANDBOX_RELP, SANDBOX_NET,
};
#define SANDBOX_PROFILE_COUNT (sizeof(every_sandbox_profile) / sizeof(every_sandbox_profile[0]))

/* The name of a profile's golden file (tests/fixtures/seccomp/NAME.txt); the report filter of
 * `sluice release` (sandbox_enter, no profile) is "filter". */
static inline const char *sandbox_profile_name(enum sandbox_profile profile)
{
	switch (profile) {
	case SANDBOX_WORKER: return "worker";
	case SANDBOX_IPC: return "ipc";
	case SANDBOX_AUDITOR: return "auditor";
	case SANDBOX_SPOOL_READ: return "spool-read";
	case SANDBOX_SPOOL_WRITE: return "spool-write";
	case SANDBOX_FORWARD: return "forward";
	case SANDBOX_RELP: return "relp";
	case SANDBOX_NET: return "net";
	}
	return "unknown";
}

#endif
