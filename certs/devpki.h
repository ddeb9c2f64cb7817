/*
 * A development PKI for trying Sluice out (`sluice certs init-dev DIR`): NOT FOR PRODUCTION.
 *
 * devpki_init creates `dir` (mode 0700) when it is missing and writes into it, refusing to
 * overwrite any file that is already there (it checks every name before writing anything, and
 * removes what it wrote when it fails half-way):
 *
 *   ca.key, ca.pem              self-signed Ed25519 X.509 v3 CA, CN "Sluice development CA -
 *                               NOT FOR PRODUCTION", basicConstraints critical CA:TRUE,
 *                               keyUsage critical keyCertSign, cRLSign; 365 days
 *   gateway-signing.key, .pub   the Ed25519 pair that signs receipts and audit checkpoints
 *   NAME.key, NAME.pem          for each name: an Ed25519 leaf signed by the CA, CN=NAME,
 *                               SAN DNS:NAME, DNS:localhost, IP:127.0.0.1, extendedKeyUsage
 *                               serverAuth, clientAuth; 365 days
 *   README.txt                  says that these are development keys only
 *
 * Private keys (*.key) have mode 0600, everything else 0644. Names must match
 * [a-z0-9][a-z0-9._-]{0,62} and must not be "ca" or "gateway-signing" or repeat.
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

/* true when `name` may name a development certificate ([a-z0-9][a-z0-9._-]{0,62}). */
bool devpki_name_ok(const char *name);

#endif
