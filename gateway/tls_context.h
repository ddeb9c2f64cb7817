/*
 * The mutual-TLS material of the daemon's listener, and the OpenSSL server context made from
 * it (issue 3; docs/CONFIG.md `tls`, docs/PKI.md).
 *
 * The supervisor reads the certificate, key, client CA and CRL files into memory at start-up,
 * while it may still read root-only files, and again on SIGHUP; it builds a context once to
 * check them (so that `sluiced -t` and a reload refuse a bad key or an unusable CRL). The TLS
 * process inherits the bytes and builds its context from memory: it never opens a file, so a
 * restart after a crash needs no privilege, and a CRL replaced on disk takes effect on SIGHUP.
 *
 * SECURITY: the key's bytes are wiped when freed. The files are the administrator's, but the
 * CRL and CA are parsed by OpenSSL as they would be from a peer: bounded in size.
 */
#ifndef SLUICE_GATEWAY_TLS_CONTEXT_H
#define SLUICE_GATEWAY_TLS_CONTEXT_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "config.h"
#include "sluice_error.h"

#define TLS_FILE_MAX_BYTES (1024u * 1024u) /* a certificate chain, key, CA bundle or CRL */

struct tls_file {
	char *path; /* as configured, for messages */
	unsigned char *pem;
	size_t len;
};

struct tls_material {
	struct tls_file certificate, key, client_ca, crl; /* crl.pem NULL when none; client_ca
	                                                     is the server's CA when forwarding */
};

/* Reads the four files `t` names. SLUICE_ERR_POLICY ("config.tls") naming the file on failure;
 * nothing is kept then. */
enum sluice_rc tls_material_load(const struct sluiced_tls *t, struct tls_material *out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;
/* The same for a `forward` entry: its client certificate and key, and in `client_ca` the CA
 * that must have issued the destination's server certificate (no CRL). */
enum sluice_rc tls_forward_material_load(const struct sluiced_forward *f,
                                         struct tls_material *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
/* Wipes the key and frees everything; safe on a zeroed struct. */
void tls_material_free(struct tls_material *m);

/* A server context that requires a client certificate issued by the client CA (checked
 * against the CRL when there is one), TLS 1.2 or 1.3 with forward-secret AEAD suites only, no
 * compression, renegotiation, tickets or session cache (every connection is a full handshake,
 * so a reloaded CRL applies to all). `verify_cb` (may be NULL) sees each verification result.
 * SLUICE_ERR_POLICY ("config.tls") naming the file at fault. *crl_stale is set when the CRL is
 * past its next update (every client of that CA is then refused: the caller logs it). */
enum sluice_rc tls_server_context_new(const struct tls_material *m,
                                      int (*verify_cb)(int, X509_STORE_CTX *), SSL_CTX **out,
                                      int *crl_stale, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* A client context for forwarding: presents the certificate and key, requires a server
 * certificate issued by `client_ca` alone (the system's trust store is not used), TLS 1.2 or
 * 1.3 with the same suites as the server. The caller names the host it expects (SSL_set1_host
 * or an IP check) per connection. SLUICE_ERR_POLICY ("config.tls") naming the file at fault. */
enum sluice_rc tls_client_context_new(const struct tls_material *m, SSL_CTX **out,
                                      struct sluice_error *err) SLUICE_MUST_CHECK;

/* Makes a client connection require a server certificate that names `host`: an IP address
 * SAN for an address, else the DNS name (sent as SNI too). 1, or 0 when OpenSSL refused. */
int tls_client_expect_host(SSL *ssl, const char *host);

/* SSL_write of all `len` bytes; 0, or -1 when the connection failed. */
int tls_write_all(SSL *ssl, const void *data, size_t len);

#endif
