/*
 * A development PKI for trying Sluice out (`sluice certs init-dev DIR`): NOT FOR PRODUCTION.
 * docs/PKI.md says how to use a real agency CA instead.
 *
 * devpki_init creates `dir` (mode 0700) when it is missing and writes into it, refusing to
 * overwrite any file that is already there (it checks every name before writing anything, and
 * removes what it wrote when it fails half-way). Every key is Ed25519; every certificate is
 * X.509 v3, valid 365 days, with a random 159-bit serial:
 *
 *   README.txt                  says that these are development keys only
 *   ca.key, ca.pem              self-signed CA, CN "Sluice development CA - NOT FOR
 *                               PRODUCTION", basicConstraints critical CA:TRUE, keyUsage
 *                               critical keyCertSign, cRLSign
 *   gateway-signing.key, .pub   the pair that signs receipts and audit checkpoints
 *   gateway-server.key, .pem    the gateway's TLS server certificate: CN "sluice-gateway",
 *                               SAN DNS:localhost, DNS:sluice-gateway, IP:127.0.0.1, IP:::1,
 *                               extendedKeyUsage serverAuth only
 *   gateway-client.key, .pem    the gateway's TLS client certificate (forwarding to agencies):
 *                               CN "sluice-gateway", SAN DNS:sluice-gateway, clientAuth only
 *   NAME.key, NAME.pem          for each name: an agency's TLS client certificate, CN=NAME,
 *                               SAN DNS:NAME, extendedKeyUsage clientAuth only
 *   ca.crl                      a v2 CRL signed by the CA: CRL number 1, nextUpdate in 30
 *                               days, no entries
 *   serials.txt                 one line "SERIAL NAME" (uppercase hex, as `openssl x509
 *                               -serial` prints it) per certificate the CA issued
 *
 * Leaves carry basicConstraints critical CA:FALSE and keyUsage critical digitalSignature.
 * Private keys (*.key) have mode 0600, everything else 0644. Names must match
 * [a-z0-9][a-z0-9._-]{0,62}, must not repeat, and must not be "ca", "gateway-signing",
 * "gateway-server", "gateway-client" or "sluice-gateway".
 * Errors: SLUICE_ERR_USAGE for a bad name ("devpki.name"), SLUICE_ERR_IO for an existing file
 * ("key.exists") or an I/O failure, SLUICE_ERR_INTERNAL when OpenSSL fails ("devpki.x509").
 */
#ifndef SLUICE_DEVPKI_H
#define SLUICE_DEVPKI_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice_error.h"

enum sluice_rc devpki_init(const char *dir, const char *const *names, size_t nnames,
                           struct sluice_error *err) SLUICE_MUST_CHECK;

/*
 * Revokes NAME's certificate: looks its serial up in DIR/serials.txt and replaces DIR/ca.crl
 * (atomically: temporary file, fsync, rename; mode 0644) with a CRL signed by DIR/ca.key that
 * keeps every earlier entry, adds this serial (revocation date now), has a CRL number one
 * above the old one and a new 30-day window. Runs under an exclusive flock on DIR, so
 * concurrent runs do not lose each other's revocations. ca.crl is left untouched on any
 * failure.
 * Errors: a bad name "devpki.name", a name the CA never issued "devpki.unknown", a serial
 * already on the CRL "devpki.already-revoked" (all SLUICE_ERR_USAGE); a malformed serials.txt
 * "devpki.serials", a ca.pem/ca.crl that is not PEM "devpki.pem", a ca.key that is not
 * ca.pem's "devpki.ca", a ca.crl not signed by ca.pem "devpki.crl" (SLUICE_ERR_POLICY);
 * missing or unwritable files SLUICE_ERR_IO.
 */
enum sluice_rc devpki_revoke(const char *dir, const char *name, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Re-issues DIR/ca.crl as devpki_revoke does, with the same entries and nothing added: a new
 * CRL number and a new 30-day window. A relying party that checks CRLs refuses every
 * certificate once the CRL's nextUpdate has passed, so run this (e.g. weekly from cron) on a
 * development PKI that lives longer than a month. Same errors as devpki_revoke. */
enum sluice_rc devpki_refresh_crl(const char *dir, struct sluice_error *err) SLUICE_MUST_CHECK;

/* true when `name` may name a development certificate ([a-z0-9][a-z0-9._-]{0,62}). */
bool devpki_name_ok(const char *name);

#endif
