/* The order in which queued reports go to the workers (gateway/router_jobs.h). */
#include "router_jobs.h"

int router_oldest_queued(const struct job *jobs, size_t n)
{
	int best = -1;
	for (size_t k = 0; k < n; k++) {
		const struct job *j = &jobs[k];
		if (j->used && j->worker < 0 && (best < 0 || j->arrival < jobs[best].arrival))
			best = (int)k;
	}
	return best;
}
