/*
 * libFuzzer target for the forwarder's reading of a destination's answer
 * (gateway/tls_request.c: http_answer_status, http_answer_reason). A destination is another
 * network's server: whatever it answers must give a status of 0 or 100..599 and a reason of
 * printable ASCII within its bounds, never a read past the answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so that ASan sees any read past the answer */
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	int code = http_answer_status(buf, size);
	if (code != 0 && (code < 100 || code > 599))
		abort();
	char reason[HTTP_REASON_MAX + 1];
	http_answer_reason(buf, size, reason, sizeof(reason));
	size_t n = strlen(reason);
	if (n > HTTP_REASON_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			abort();
	char tiny[4];
	http_answer_reason(buf, size, tiny, sizeof(tiny));
	if (strlen(tiny) > 3)
		abort();
	free(buf);
	return 0;
}
