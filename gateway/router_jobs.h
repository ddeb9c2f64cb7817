/*
 * The router's jobs (gateway/proc_router.c): one per report between its submission and its
 * answer, in a fixed table of slots, and the rule that orders them for the workers.
 *
 *   hostile data: none (the fields are filled by the router from checked submissions)
 *   may use:      the C library; s4778_binding.h for the placeholder's length
 */
#ifndef SLUICE_ROUTER_JOBS_H
#define SLUICE_ROUTER_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s4778_binding.h"

#define ROUTER_MAX_WORKERS 64
#define ROUTER_MAX_JOBS 256
#define ROUTER_ATTEMPTS 2

struct job {
	bool used;
	uint64_t intake_id;
	int origin; /* the intake that submitted it (spool or TLS), which gets the answer */
	char source[64], destination[64], name[256], input_sha256[65], transfer_id[37];
	uint32_t flags;
	uint8_t *report;
	size_t len;
	size_t flow;
	int attempts;
	int worker; /* -1 while queued */
	uint64_t arrival; /* queued jobs go to workers oldest first (dispatch) */
	/* The SignatureValue placeholder of this attempt's binding (a fresh one each time the
	 * report is sent to a worker), empty when the flow has no signed binding. */
	char placeholder[S4778_PLACEHOLDER_LEN + 1];
};

/* The slot of the queued job (used, no worker) that arrived first, or -1 when none waits. A
 * report sent back to the queue by a worker's death keeps its arrival. Slots are reused lowest
 * first, so taking the lowest queued slot instead let new reports overtake old ones: with 16
 * keep-alive TLS clients some waited seconds while the median was 8 ms (docs/PERFORMANCE.md).
 * tests/unit/test_router_jobs.c. */
int router_oldest_queued(const struct job *jobs, size_t n);

#endif
