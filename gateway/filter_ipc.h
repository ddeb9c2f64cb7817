/*
 * The message the sandboxed filter sends back to its parent: one release_result, versioned,
 * every length bounded, parsed to the last byte (STYLE.md 4). The parent treats it as hostile:
 * a message that is malformed in any way is a failed filter, never a partial result.
 *
 *   u32 magic "SLF1"
 *   u32 decision (0 released, 1 refused, 2 invalid, 3 error)
 *   str rule, str message, u32 line                (why, when not released)
 *   u32 n, then n × (str location, u32 line, str rule)      removals
 *   u32 n, then n × (str location, str rule, u32 count)     redactions
 *   str banner
 *   str output                                     (empty unless released)
 *
 * str = u32 length + bytes, no NUL inside.
 */
#ifndef SLUICE_FILTER_IPC_H
#define SLUICE_FILTER_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "release.h"
#include "sbuf.h"
#include "sluice_error.h"

#define FILTER_IPC_MAGIC 0x534c4633u /* "SLF3": with the portions, the banner before, the
                                        banner in the source's policy and the SignedInfo of
                                        an ADatP-4778 binding */
#define FILTER_IPC_MAX_STRING 4096
#define FILTER_IPC_MAX_ENTRIES 1000000

/* Serialises `r` into `b` (whose max must allow the output). 0 or -1 when it does not fit. */
int filter_ipc_encode(const struct release_result *r, struct sbuf *b) SLUICE_MUST_CHECK;

/* Parses a whole message; `max_output` bounds the released report. SLUICE_ERR_INTERNAL with
 * a message when anything is off. */
enum sluice_rc filter_ipc_decode(const uint8_t *p, size_t len, size_t max_output,
                                 struct release_result *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
