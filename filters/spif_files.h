/*
 * Labels, clearances and SPIFs read from files, for the administration commands
 * (`sluice label show --spif`, `sluice label check --spif --clearance`) and the conformance
 * tests. This is the trusted side: these functions open files; the sandboxed filter never
 * calls them. Implemented in label_spif.c.
 */
#ifndef SLUICE_SPIF_FILES_H
#define SLUICE_SPIF_FILES_H

#include <stdio.h>

#include "sluice_error.h"
#include "spif.h"
#include "stanag4774.h"

/* The largest label file and clearance file read. */
#define SPIF_LABEL_MAX_BYTES (4u << 20)
#define SPIF_CLEARANCE_MAX_BYTES (1u << 20)

/* Reads the label of `path` (an ADatP-4774 label element, a document holding one, or a label
 * in the clearance format of clearance.h), resolves it against `spif` and checks the SPIF's
 * rules. 65 (SLUICE_ERR_INVALID_REPORT) for a bad label, SLUICE_ERR_IO when unreadable; the
 * error names `path`. */
enum sluice_rc spif_label_load_file(const struct spif *spif, const char *path,
                                    struct spif_label *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Reads the clearance file `path` (clearance.h). SLUICE_ERR_POLICY with clearance.* rules,
 * SLUICE_ERR_IO when unreadable. */
enum sluice_rc spif_clearance_load_file(const struct spif *spif, const char *path,
                                        struct spif_clearance *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* `sluice label show --spif SPIF FILE`: the label's display marking (default language, page
 * banner) as one line on `out`. Returns the exit code: 0, 65 invalid label, 78 bad SPIF, 74 I/O.
 * (Also declared, with the same signature, for the command in gateway/label_spif.h.) */
int label_spif_show(const char *spif_path, const char *label_file, FILE *out,
                    struct sluice_error *err);

/* `sluice label check --spif SPIF --clearance C FILE`: `clearance` is the path of a clearance
 * file (clearance.h). Returns 0 when the clearance may see the label, 1 when it may not (`err`
 * then says why, rule stanag4774.access-*), 65 invalid label, 78 bad SPIF or clearance, 74 I/O.
 */
int label_spif_check(const char *spif_path, const char *clearance, const char *label_file,
                     struct sluice_error *err);

#endif
