/* libFuzzer: the parent's parser of the filter's answer (the message crossing the sandbox
 * boundary). */
#include <stddef.h>
#include <stdint.h>

#include "filter_ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct release_result r;
	struct sluice_error err;
	(void)filter_ipc_decode(data, size, 1 << 20, &r, &err);
	release_result_free(&r);
	return 0;
}
