/*
 * Shared by the STANAG 4774 unit tests: paths into tests/fixtures/stanag4774 (found through
 * SLUICE_FIXTURES) and loading a SPIF from there.
 */
#ifndef SLUICE_TEST_STANAG4774_FIXTURES_H
#define SLUICE_TEST_STANAG4774_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spif.h"

static char fixtures[1024]; /* $SLUICE_FIXTURES/stanag4774 */

/* Sets `fixtures` from the environment; -1 (with a message) when SLUICE_FIXTURES is not set. */
static int fixtures_init(const char *test)
{
	const char *base = getenv("SLUICE_FIXTURES");
	if (base == NULL) {
		fprintf(stderr, "%s: set SLUICE_FIXTURES to tests/fixtures\n", test);
		return -1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s/stanag4774", base);
	return 0;
}

/* $SLUICE_FIXTURES/stanag4774/REL, a new string. */
static char *fixture(const char *rel)
{
	size_t n = strlen(fixtures) + strlen(rel) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", fixtures, rel);
	return p;
}

/* The SPIF at fixture `rel`, or NULL (the error printed). */
static struct spif *fixture_spif(const char *rel)
{
	struct sluice_error err;
	struct spif *s = NULL;
	char *p = fixture(rel);
	if (spif_load_file(p, &s, &err) != SLUICE_OK)
		fprintf(stderr, "%s:%u: %s [%s]\n", err.file, err.line, err.message, err.rule);
	free(p);
	return s;
}

#endif
