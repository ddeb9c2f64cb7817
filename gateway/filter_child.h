/*
 * The filter process: the only process that parses report bytes.
 *
 *   hostile data: the report (read from a pipe after the sandbox is up)
 *   privilege:    none; seccomp allows read/write on inherited pipes, memory, exit
 *   may open:     nothing (no files, no sockets, no programs)
 *   peers:        its parent only, one message each way (gateway/filter_ipc.h)
 *
 * filter_run() is the parent's side: fork, feed, read the answer, reap.
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

/* Runs the release filter over `report` in a fresh sandboxed child. Always fills `out`: when
 * the child dies, overruns its limits or answers nonsense, the decision is "invalid" (a report
 * that makes the parser misbehave is hostile) or "error", never "released". */
/* `purge`, when not NULL, runs in the child right after fork and before the sandbox: it must
 * free and wipe whatever the child inherited but must not hold (the signing key), after
 * OpenSMTPD's purge_config. */
typedef void (*filter_purge_fn)(void *arg);

void filter_run(const struct release_request *req, const uint8_t *report, size_t len,
                filter_purge_fn purge, void *purge_arg, struct release_result *out);

#endif
