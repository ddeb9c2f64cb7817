#include "canonical_json.h"

#include <string.h>

char *json_canonical(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

bool json_only_members(const json_t *obj, const char *const *allowed, const char **stranger)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		bool known = false;
		(void)v;
		for (size_t i = 0; allowed[i] != NULL && !known; i++)
			known = strcmp(allowed[i], k) == 0;
		if (!known) {
			*stranger = k;
			return false;
		}
	}
	return true;
}
