/* The negative control of scripts/check-hardening.sh: tests/CMakeLists.txt builds this program
 * without PIE, RELRO, BIND_NOW, stack protector or FORTIFY, with an executable stack and an
 * RPATH, and `check-hardening.sh --expect-weak` must find every one of those missing. A check
 * that cannot fail here would pass anything. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char copy[64];
	/* A local array and a copy of unknown length: what the stack protector and FORTIFY would
	 * instrument if they were on. */
	snprintf(copy, sizeof(copy), "%s", argc > 1 ? argv[1] : "weak");
	memcpy(copy, argv[0], strlen(argv[0]) < sizeof(copy) ? strlen(argv[0]) : sizeof(copy));
	return puts(copy) < 0;
}
