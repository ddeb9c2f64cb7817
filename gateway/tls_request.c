#include "tls_request.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sluice_error.h"
#include "spool.h"

int tls_query_parse(const char *query, char **to, char **name)
{
	struct evkeyvalq params;
	int nto = 0, nname = 0, other = 0;
	*to = *name = NULL;
	TAILQ_INIT(&params);
	/* libevent decodes "%00" into a NUL that silently cuts the value short: what the client
	 * wrote would not be what is used, so refuse it. */
	if (query == NULL || strstr(query, "%00") != NULL ||
	    evhttp_parse_query_str(query, &params) != 0) {
		evhttp_clear_headers(&params);
		return -1;
	}
	/* Count every key before judging: a repeated or unknown one refuses the whole query, so
	 * no ordering of parameters can slip a second `to` past the first. */
	for (struct evkeyval *kv = TAILQ_FIRST(&params); kv != NULL; kv = TAILQ_NEXT(kv, next)) {
		if (strcmp(kv->key, "to") == 0 && nto++ == 0)
			*to = xstrdup(kv->value);
		else if (strcmp(kv->key, "name") == 0 && nname++ == 0)
			*name = xstrdup(kv->value);
		else
			other++;
	}
	evhttp_clear_headers(&params);
	if (nto == 1 && other == 0 && strlen(*to) <= TLS_DOMAIN_MAX && spool_name_ok(*to) &&
	    (*name == NULL || spool_name_ok(*name)))
		return 0;
	free(*to);
	free(*name);
	*to = *name = NULL;
	return -1;
}

int tls_cn_ok(const unsigned char *utf8, int n)
{
	if (utf8 == NULL || n <= 0 || n > TLS_CN_MAX)
		return 0;
	for (int k = 0; k < n; k++)
		if (utf8[k] < 0x20 || utf8[k] == 0x7f)
			return 0;
	return 1;
}

int http_answer_status(const char *buf, size_t len)
{
	/* "HTTP/1.x DDD" then a space (a reason phrase) or CR (none). */
	if (len < 13 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
	    buf[8] != ' ' || (buf[12] != ' ' && buf[12] != '\r'))
		return 0;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
		code = code * 10 + (buf[i] - '0');
	}
	return code >= 100 && code <= 599 ? code : 0;
}

void http_answer_reason(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	if (outlen == 0)
		return;
	/* from the code to the end of the status line, printable ASCII only */
	for (size_t i = 9; i < len && buf[i] != '\r' && buf[i] != '\n' && n + 1 < outlen &&
	                   n < HTTP_REASON_MAX;
	     i++) {
		unsigned char c = (unsigned char)buf[i];
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}
