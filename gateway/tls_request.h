/*
 * The checks the mutual-TLS listener (gateway/proc_tls.c) makes on what a client sends and on
 * the certificate it presents, and the forwarder's reading of a destination's answer, kept out of the event loop so that they are pure functions over
 * bytes: unit-tested (tests/unit/test_tls_request.c) and fuzzed (fuzz/fuzz_tls_query.c) without
 * a socket, a handshake or a sandbox.
 *
 * SECURITY: the query is written by the client and nothing reads it before this; its values
 * become a spool folder (`to`) and a file name (`name`), so they must pass spool_name_ok
 * (gateway/spool.h) after percent-decoding, never before. The CN was checked by the client
 * CA's signature, not by us: the agency chose it, and it is logged and compared, so it is
 * bounded and free of control characters (no forged log lines). A refusal leaves nothing
 * allocated, and nothing here reads past the length it was given.
 */
#ifndef SLUICE_GATEWAY_TLS_REQUEST_H
#define SLUICE_GATEWAY_TLS_REQUEST_H

#include <stddef.h>

#define TLS_CN_MAX 64     /* bytes of UTF-8 in a client certificate's subject CN */
#define TLS_DOMAIN_MAX 63 /* bytes in a source or destination domain named over TLS: it becomes
                             spool folder names and log lines, so it stays a DNS label's size */

/* The query of `POST /v1/reports?QUERY` (NULL when the request had none): `to` exactly once, a
 * domain-like name (spool_name_ok, at most TLS_DOMAIN_MAX bytes); `name` at most once, a spool
 * file name (spool_name_ok: A-Z a-z 0-9 . _ -, not starting with a dot, at most 200 bytes) that
 * only names the delivered file; nothing else; no "%00" (libevent would cut the value there).
 * Values are percent-decoded by libevent ('+' is a space) before they are checked, so what is checked is what is used;
 * keys are not decoded. Returns 0 with *to (and *name, or NULL) new strings the caller frees,
 * or -1 with both NULL. */
int tls_query_parse(const char *query, char **to, char **name);

/* Whether the `n` bytes at `utf8` (ASN1_STRING_to_UTF8's answer: n < 0 on failure, when utf8
 * may be NULL) may be a client's subject CN: 1 to TLS_CN_MAX bytes, none below 0x20 nor 0x7f
 * (which also refuses an embedded NUL). 1 or 0. */
int tls_cn_ok(const unsigned char *utf8, int n);

/* The forwarder's reading of a destination's answer (gateway/proc_forward.c), which is all it
 * interprets of it: the status code of "HTTP/1.0 DDD" or "HTTP/1.1 DDD" at the start of the
 * `len` bytes at `buf` (followed by a space or CR), 100 to 599; 0 when the answer does not
 * start so. */
int http_answer_status(const char *buf, size_t len);

#define HTTP_REASON_MAX 100
/* The status line from the code on ("404 Not Found"), for a log line or a .reason file: at
 * most HTTP_REASON_MAX bytes and outlen - 1, every byte outside printable ASCII replaced by
 * '?' (a destination cannot forge log lines). Always NUL-terminates when outlen > 0. */
void http_answer_reason(const char *buf, size_t len, char *out, size_t outlen);

#endif
