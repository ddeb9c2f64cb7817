/*
 * The `sluice` subcommands. Each takes argc/argv starting at its own name, prints --help,
 * and returns a process exit code (SPEC section 5).
 */
#ifndef SLUICE_COMMANDS_H
#define SLUICE_COMMANDS_H

int cmd_release(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_audit_query(int argc, char **argv); /* audit query | stats | index */
int cmd_policy(int argc, char **argv);
int cmd_policy_bundle(int argc, char **argv); /* policy bundle | sign | verify */
int cmd_policy_diff(int argc, char **argv);   /* policy diff */
int cmd_keygen(int argc, char **argv);
int cmd_certs(int argc, char **argv);
int cmd_label(int argc, char **argv);

/* Prints "sluice: MESSAGE" and the usage hint to stderr; returns 64. */
int usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
