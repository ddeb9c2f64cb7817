/*
 * The signed ADatP-4778 binding a `stanag4774` flow may put on a released report
 * (`binding: signed-4778` in the policy; docs/LABELS.md): an mb:BindingInformation, last child
 * of the root, whose MetadataBinding binds the re-marked banner label to the whole document
 * (DataReference URI=""), and an XML signature (ADatP-4778.2 profile: exclusive C14N, SHA-384
 * digests, ECDSA-SHA256 or RSA-SHA256, the signer's certificate in KeyInfo) over two
 * references: the MetadataBinding (the label with its reference list) and the document minus
 * the BindingInformation (the enveloped-BDO XPath transform).
 *
 * Privilege separation: the filter process, which holds no key, builds all of it and leaves
 * `placeholder` (a random token the trusted parent chose) as the SignatureValue; it returns the
 * canonical SignedInfo bytes. The parent signs those bytes with the binding key and puts the
 * signature where the placeholder stands, without parsing the report (gateway/binding_sign.h).
 * The same trust as the receipt: the parent signs what the filter produced.
 */
#ifndef SLUICE_S4778_BINDING_H
#define SLUICE_S4778_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "sluice_error.h"

#define S4778_NAMESPACE "urn:nato:stanag:4778:bindinginformation:1:0"
#define XMLDSIG_NAMESPACE "http://www.w3.org/2000/09/xmldsig#"
#define S4778_BINDING_ID "sluice-binding"

enum s4778_sig_alg { S4778_ECDSA_SHA256 = 1, S4778_RSA_SHA256 = 2 };

/* A placeholder is this many hex characters. */
#define S4778_PLACEHOLDER_LEN 64

/* Appends the binding of `label` (the banner's label element, copied) to the root of `doc` and
 * returns in *signed_info the exclusive canonical form of its SignedInfo (the bytes to sign).
 * `cert_der` is the binding certificate (KeyInfo/X509Data). */
enum sluice_rc s4778_bind(xmlDocPtr doc, xmlNodePtr label, const uint8_t *cert_der,
                          size_t certlen, enum s4778_sig_alg alg, const char *placeholder,
                          uint8_t **signed_info, size_t *signed_info_len,
                          struct sluice_error *err) SLUICE_MUST_CHECK;

#endif
