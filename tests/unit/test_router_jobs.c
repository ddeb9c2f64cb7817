/* The router serves queued reports oldest first (gateway/router_jobs.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router_jobs.h"

static struct job jobs[ROUTER_MAX_JOBS];
static uint64_t arrivals;

/* What the router's on_submit does: the lowest free slot, the next arrival number. */
static int submit(void)
{
	for (int k = 0; k < ROUTER_MAX_JOBS; k++)
		if (!jobs[k].used) {
			memset(&jobs[k], 0, sizeof(jobs[k]));
			jobs[k].used = true;
			jobs[k].worker = -1;
			jobs[k].arrival = ++arrivals;
			return k;
		}
	fail_msg("no free slot");
	return -1;
}

static int setup(void **state)
{
	(void)state;
	memset(jobs, 0, sizeof(jobs));
	arrivals = 0;
	return 0;
}

static void test_nothing_queued(void **state)
{
	(void)state;
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), -1);
	int k = submit();
	jobs[k].worker = 0; /* in a worker: not queued */
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), -1);
}

/* B1 in the worker (slot 0), B2 and S3 wait (slots 1, 2); B1 is done and frees slot 0; B2 goes
 * to the worker; S4 arrives and takes slot 0. S3 must come before S4 (the lowest slot would
 * have been S4's). */
static void test_reused_slot_does_not_overtake(void **state)
{
	(void)state;
	int b1 = submit(), b2 = submit(), s3 = submit();
	assert_int_equal(b1, 0);
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), b1);
	jobs[b1].worker = 0;
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), b2);
	jobs[b1].used = false; /* B1 finished */
	jobs[b2].worker = 0;
	int s4 = submit();
	assert_int_equal(s4, 0);
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), s3);
	jobs[b2].used = false;
	jobs[s3].worker = 0;
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), s4);
}

/* A report whose worker died goes back to the queue with its arrival: it comes before reports
 * that arrived after it, wherever their slots are. */
static void test_requeued_keeps_its_place(void **state)
{
	(void)state;
	int a = submit(), b = submit(), c = submit();
	jobs[a].worker = 0;
	jobs[b].worker = 1;
	jobs[a].used = false; /* a finished; its slot is reused */
	int d = submit();
	assert_int_equal(d, a);
	jobs[b].worker = -1; /* b's worker died */
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), b);
	jobs[b].worker = 0;
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), c);
	jobs[c].worker = 1;
	assert_int_equal(router_oldest_queued(jobs, ROUTER_MAX_JOBS), d);
}

/* Many reports through two workers with slots freed in a scrambled order: the order in which
 * they reach a worker is their arrival order. */
static void test_arrival_order_under_churn(void **state)
{
	(void)state;
	uint64_t last = 0;
	unsigned seed = 3;
	int in_worker[2] = { -1, -1 };
	for (int round = 0; round < 5000; round++) {
		int n = rand_r(&seed) % 4;
		for (int i = 0; i < n; i++) {
			int used = 0;
			for (int k = 0; k < ROUTER_MAX_JOBS; k++)
				used += jobs[k].used;
			if (used < ROUTER_MAX_JOBS - 2)
				submit();
		}
		int w = rand_r(&seed) % 2;
		if (in_worker[w] >= 0) {
			jobs[in_worker[w]].used = false;
			in_worker[w] = -1;
		}
		int k = router_oldest_queued(jobs, ROUTER_MAX_JOBS);
		if (k >= 0) {
			assert_true(jobs[k].arrival > last);
			last = jobs[k].arrival;
			jobs[k].worker = w;
			in_worker[w] = k;
		}
	}
	assert_true(last > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nothing_queued, setup),
		cmocka_unit_test_setup(test_reused_slot_does_not_overtake, setup),
		cmocka_unit_test_setup(test_requeued_keeps_its_place, setup),
		cmocka_unit_test_setup(test_arrival_order_under_churn, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
