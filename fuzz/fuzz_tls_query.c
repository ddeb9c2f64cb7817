/*
 * libFuzzer target for the TLS listener's query parser (gateway/tls_request.c, through
 * libevent's evhttp_parse_query_str and percent-decoder): the query is the first thing a client
 * controls once its certificate is accepted, and its values become a spool folder and a file
 * name. Any bytes must either be refused with both results NULL, or give a `to` and an optional
 * `name` that keep the spool's name rules, without a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "tls_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* evhttp gives the listener the query as a C string: it ends at the first NUL here too */
	char *query = malloc(size + 1);
	if (query == NULL)
		return 0;
	memcpy(query, data, size);
	query[size] = '\0';

	char *to = NULL, *name = NULL;
	if (tls_query_parse(query, &to, &name) == 0) {
		if (to == NULL || strlen(to) > TLS_DOMAIN_MAX || !spool_name_ok(to) ||
		    (name != NULL && !spool_name_ok(name)))
			abort();
	} else if (to != NULL || name != NULL) {
		abort();
	}
	free(to);
	free(name);
	free(query);
	return 0;
}
