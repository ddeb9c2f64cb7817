/*
 * The `sluice` subcommands. Each takes argc/argv starting at its own name, prints --help,
 * and returns a process exit code (SPEC section 5).
 */
#ifndef SLUICE_COMMANDS_H
#define SLUICE_COMMANDS_H

#include <stddef.h>

#include "sluice_error.h"

int cmd_release(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_audit_query(int argc, char **argv); /* audit query | stats | index */
int cmd_audit_report(int argc, char **argv); /* audit report */
int cmd_audit_export(int argc, char **argv); /* audit export */
int cmd_audit_proof(int argc, char **argv); /* audit head | prove | check-proof | consistency */
int cmd_policy(int argc, char **argv);
int cmd_policy_bundle(int argc, char **argv); /* policy bundle | sign | verify */
int cmd_policy_diff(int argc, char **argv);   /* policy diff */
int cmd_keygen(int argc, char **argv);
int cmd_certs(int argc, char **argv);
int cmd_label(int argc, char **argv);

/* For `sluice audit verify --head` (gateway/cmd_audit_proof.c): loads witness tree head
 * files (free with audit_free_witness_heads); prints what a failed auditlog_scan found,
 * naming the witness head's file, and returns the exit code. */
struct tree_head;
struct auditlog_verify_result;
enum sluice_rc audit_load_witness_heads(char *const *files, size_t n, struct tree_head **out,
                                        struct sluice_error *err) SLUICE_MUST_CHECK;
void audit_free_witness_heads(struct tree_head *heads, size_t n);
int audit_scan_failure(const char *prog, const char *log, enum sluice_rc rc,
                       const struct auditlog_verify_result *res, const struct sluice_error *err,
                       char *const *head_files, size_t nheads);

/* Prints "sluice: MESSAGE" and the usage hint to stderr; returns 64. */
int usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
