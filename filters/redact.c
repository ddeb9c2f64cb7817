#define PCRE2_CODE_UNIT_WIDTH 8
#include "redact.h"

#include <stdio.h>

#include <pcre2.h>

/* Options every custom detector is compiled with: UTF-8 text, Unicode classes, and no
 * empty-match loops in callers because matches must be non-empty (checked at match time). */
#define CUSTOM_REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP)

int redact_regex_check(const char *regex, char *why, size_t whylen)
{
	int errcode = 0;
	PCRE2_SIZE erroffset = 0;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	                                 CUSTOM_REGEX_OPTIONS, &errcode, &erroffset, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		snprintf(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)erroffset);
		return -1;
	}
	pcre2_code_free(code);
	return 0;
}
