/* libFuzzer: the hardened XML intake on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "xml_intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	static const struct xml_limits lim = { 1 << 20, 64, 50000 };
	if (!initialised) {
		xml_intake_init();
		initialised = 1;
	}
	xmlDocPtr doc = NULL;
	struct sluice_error err;
	if (xml_intake_parse(data, size, &lim, &doc, &err) == SLUICE_OK) {
		(void)xml_strip_comments_and_pis(doc);
		xmlFreeDoc(doc);
	}
	return 0;
}
