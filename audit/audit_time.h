/*
 * Times in the audit log: records carry RFC 3339 UTC times (YYYY-MM-DDTHH:MM:SSZ), which compare
 * as strings in time order; oversight commands take --since/--until as such a time or a date.
 * Shared by every reader of the log (audit/auditrecord.c defines them).
 */
#ifndef SLUICE_AUDIT_TIME_H
#define SLUICE_AUDIT_TIME_H

#include <stdbool.h>

/* Whether `t` is a time as records carry it: YYYY-MM-DDTHH:MM:SSZ. */
bool audit_time_valid(const char *t);

/* A time bound from the command line: a full RFC 3339 UTC time as given, or a date widened to
 * the day's start (end = false) or end (23:59:59Z). False when it is neither. `out` holds at
 * least 21 bytes. */
bool audit_time_bound(const char *text, bool end, char *out);

#endif
