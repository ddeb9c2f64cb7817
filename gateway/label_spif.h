/*
 * The STANAG 4774 side of `sluice label` (gateway/cmd_label.c): labels and clearances judged
 * against an XML SPIF. Implemented with the SPIF loader (filters/label_spif.c, declared there
 * in filters/spif_files.h with the same signatures); this header is what the command needs
 * and no more. Both read files on the trusted side through the hardened XML intake.
 */
#ifndef SLUICE_LABEL_SPIF_H
#define SLUICE_LABEL_SPIF_H

#include <stdio.h>

#include "sluice_error.h"

/* `sluice label show --spif SPIF FILE`: the label's display marking as one line on `out`.
 * Returns the exit code: 0, 65 invalid label, 78 invalid SPIF, 74 I/O; `err` says why. */
int label_spif_show(const char *spif_path, const char *label_file, FILE *out,
                    struct sluice_error *err);

/* `sluice label check --spif SPIF --clearance CLEARANCE FILE` (CLEARANCE: a clearance file).
 * Returns 0 when the clearance may see the label, 1 when it may not (`err` says why), 65
 * invalid label, 78 invalid SPIF or clearance, 74 I/O. */
int label_spif_check(const char *spif_path, const char *clearance, const char *label_file,
                     struct sluice_error *err);

#endif
