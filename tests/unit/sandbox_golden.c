/* The seccomp filters as reviewed text (STYLE.md 6): every sandbox's filter, built by the same
 * code that loads it (gateway/sandbox.c), exported as libseccomp pseudo filter code and compared
 * with the golden copy in tests/fixtures/seccomp/NAME.txt. A change to a filter, deliberate or
 * not, fails this test until the golden copy is regenerated and the difference reviewed:
 *
 *   sandbox_golden --check DIR   exit 0 when every filter equals DIR/NAME.txt, 1 otherwise
 *   sandbox_golden --write DIR   regenerates DIR/NAME.txt
 *
 * The golden copies are of production builds on x86_64: sanitizer builds allow extra syscalls,
 * SLUICE_SECCOMP_TRAP builds trap instead of killing, and the code names each architecture's
 * syscall numbers, so elsewhere --check skips (exit 77). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_profiles.h"

#define SKIP_EXIT 77

/* The filter of `profile` (or of the report filter when `profile` is NULL) as a string the
 * caller frees; NULL on error. */
static char *export_filter(const enum sandbox_profile *profile)
{
	FILE *f = tmpfile();
	char *text = NULL;
	if (f == NULL)
		return NULL;
	int rc = profile == NULL ? sandbox_filter_export_pfc(fileno(f))
	                         : sandbox_profile_export_pfc(*profile, fileno(f));
	long len = rc == 0 ? lseek(fileno(f), 0, SEEK_END) : -1;
	if (len >= 0 && (text = calloc(1, (size_t)len + 1)) != NULL &&
	    pread(fileno(f), text, (size_t)len, 0) != len) {
		free(text);
		text = NULL;
	}
	if (rc != 0)
		fprintf(stderr, "sandbox_golden: seccomp_export_pfc: %s\n", strerror(-rc));
	fclose(f);
	return text;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = calloc(1, (size_t)len + 1)) != NULL && fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/* Prints the first line where `want` and `got` differ, numbered from 1. */
static void report_first_difference(const char *name, const char *want, const char *got)
{
	unsigned line = 1;
	while (*want != '\0' && *want == *got) {
		if (*want == '\n')
			line++;
		want++;
		got++;
	}
	while (line > 1 && want[-1] != '\n') { /* back to the start of the line */
		want--;
		got--;
	}
	fprintf(stderr, "  %s.txt line %u:\n    golden: %.*s\n    now:    %.*s\n", name, line,
	        (int)strcspn(want, "\n"), want, (int)strcspn(got, "\n"), got);
}

/* One filter: check against or write DIR/NAME.txt. Returns 0 when it matches (or was written). */
static int one_filter(const char *dir, const char *name, const enum sandbox_profile *profile,
                      int write_it)
{
	char path[4096];
	char *now = export_filter(profile);
	int bad = 1;
	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	if (now == NULL) {
		fprintf(stderr, "%s: cannot export the filter\n", name);
	} else if (write_it) {
		FILE *f = fopen(path, "wb");
		bad = f == NULL || fputs(now, f) < 0;
		if (f != NULL && fclose(f) != 0)
			bad = 1;
		printf("%s %s\n", bad ? "could not write" : "wrote", path);
	} else {
		char *golden = read_file(path);
		if (golden == NULL) {
			fprintf(stderr, "%s: no golden copy at %s\n", name, path);
		} else if (strcmp(golden, now) != 0) {
			fprintf(stderr, "%s: the filter differs from its golden copy\n", name);
			report_first_difference(name, golden, now);
		} else {
			bad = 0;
			printf("%s: the filter equals %s\n", name, path);
		}
		free(golden);
	}
	free(now);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "--check") != 0 && strcmp(argv[1], "--write") != 0)) {
		fprintf(stderr, "usage: sandbox_golden --check|--write DIR\n");
		return 64;
	}
	int write_it = strcmp(argv[1], "--write") == 0;
#if defined(SLUICE_SANITIZED) || defined(SLUICE_SECCOMP_TRAP) || !defined(__x86_64__)
	fprintf(stderr, "sandbox_golden: this build's filters are not the production x86_64 ones "
	                "(sanitizer or trap build, or another architecture): nothing to compare\n");
	return SKIP_EXIT;
#endif
	int failures = one_filter(argv[2], "filter", NULL, write_it);
	for (size_t i = 0; i < SANDBOX_PROFILE_COUNT; i++)
		failures += one_filter(argv[2], sandbox_profile_name(every_sandbox_profile[i]),
		                       &every_sandbox_profile[i], write_it);
	if (failures != 0 && !write_it)
		fprintf(stderr, "\n%d filter(s) changed. If the change is deliberate, regenerate with\n"
		                "  build/tests/sandbox_golden --write tests/fixtures/seccomp\n"
		                "review `git diff tests/fixtures/seccomp`, and say why in "
		                "docs/ARCHITECTURE.md (tests/fixtures/seccomp/README.md).\n",
		        failures);
	return failures == 0 ? 0 : 1;
}
