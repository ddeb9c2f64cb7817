/*
 * The filter process: the only process that parses report bytes.
 *
 *   hostile data: the report (read from a pipe after the sandbox is up)
 *   privilege:    none; seccomp allows read/write on inherited pipes, memory, exit
 *   may open:     nothing (no files, no sockets, no programs)
 *   peers:        its parent only, one request and one answer at a time (gateway/filter_ipc.h)
 *
 * filter_run() is the parent's side for one report: fork, feed, read the answer, reap.
 * A filter_worker keeps one such child for many reports (`sluice release --batch`): the same
 * sandbox, entered once, answering one framed request after another; see filter_worker_run.
 */
#ifndef SLUICE_FILTER_CHILD_H
#define SLUICE_FILTER_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include "release.h"
#include "sluice_error.h"

/* Limits of the filter process. */
#define FILTER_ADDRESS_SPACE (1024ull * 1024 * 1024)
#define FILTER_CPU_SECONDS 10
#define FILTER_WALL_SECONDS 30
/* A reused child (filter_worker) is retired after this many reports, or as soon as the CPU
 * time of its whole life reaches FILTER_REUSE_CPU_SECONDS: its RLIMIT_CPU is
 * FILTER_CPU_SECONDS + FILTER_REUSE_CPU_SECONDS, so that every report it takes still has at
 * least FILTER_CPU_SECONDS (and at most that plus FILTER_REUSE_CPU_SECONDS) before SIGXCPU. */
#define FILTER_REUSE_REPORTS 1000
#define FILTER_REUSE_CPU_SECONDS 2

/* Runs the release filter over `report` in a fresh sandboxed child. Always fills `out`: when
 * the child dies, overruns its limits or answers nonsense, the decision is "invalid" (a report
 * that makes the parser misbehave is hostile) or "error", never "released". */
/* `purge`, when not NULL, runs in the child right after fork and before the sandbox: it must
 * free and wipe whatever the child inherited but must not hold (the signing key), after
 * OpenSMTPD's purge_config. */
typedef void (*filter_purge_fn)(void *arg);

void filter_run(const struct release_request *req, const uint8_t *report, size_t len,
                filter_purge_fn purge, void *purge_arg, struct release_result *out);

/* A sandboxed filter child kept across reports of one source (`sluice release --batch`). The
 * parent enforces the wall-clock limit on each report; a child that dies, overruns or answers
 * nonsense is killed, the report decided as filter_run decides it, and the next report gets a
 * fresh child, as does a report for another flow or destination than the child was forked
 * for. The child keeps nothing of a report once it has answered it (the report and the answer
 * are wiped and freed, the filter's state is per report). */
struct filter_worker;
struct filter_worker *filter_worker_new(void);
/* As filter_run, with the worker's child (started, with `purge`, when there is none). */
void filter_worker_run(struct filter_worker *w, const struct release_request *req,
                       const uint8_t *report, size_t len, filter_purge_fn purge, void *purge_arg,
                       struct release_result *out);
/* Kills the child, if any, and frees. NULL is fine. */
void filter_worker_free(struct filter_worker *w);

#endif
