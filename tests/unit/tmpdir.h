/*
 * Removing the temporary folder a unit test made with mkdtemp, whatever the code under test
 * left in it. Header-only, so that every test binary keeps to its one source file.
 */
#ifndef SLUICE_TESTS_TMPDIR_H
#define SLUICE_TESTS_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int tmpdir_remove_one(const char *path, const struct stat *st, int flag,
                                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes `dir` and everything below it, depth first and without following links (a test
 * that planted a link must not make the clean-up delete its target). 0, or -1. */
static inline int tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
