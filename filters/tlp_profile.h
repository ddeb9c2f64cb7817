/*
 * The `tlp` marking profile (SPEC section 3): FIRST TLP 2.0, CLEAR < GREEN < AMBER <
 * AMBER+STRICT < RED, on the document and on portions (docs/LABELS.md for administrators).
 *
 * TLP has no XML encoding of its own; Sluice reads one attribute, `tlp:label`, in the namespace
 * TLP_NS, whose value is a TLP label as FIRST writes it ("TLP:AMBER+STRICT"). The root element
 * must carry it (the banner); every other element carrying it is a portion, and a portion
 * inside a portion belongs to it. Content outside portions carries the banner.
 *
 * What a TLP label lets through depends on who shared it, so each marking is read into the
 * label model (filters/label.h) against the *source* domain's membership declared in the
 * policy (organisation, communities, clients-of):
 *   CLEAR         no restriction
 *   AMBER+STRICT  PERMISSIVE "tlp-audience": the source's organisation
 *   AMBER         the same, and the organisation's clients
 *   GREEN         the same, and the source's communities
 *   RED           RESTRICTIVE "tlp-red": held by nobody (and the release filter refuses a
 *                 RED document whole): it never crosses a gateway
 * and the destination holds "tlp-org:O", "tlp-community:C" and "tlp-client-of:O" values
 * (policy/policy_load.c). A source that declares no organisation or community shares nothing
 * above CLEAR: fail closed.
 *
 * The markings are kept in the ism profile's structures (filters/ism_profile.h), which the
 * release filter walks; only the label and the tree position of each are filled.
 */
#ifndef SLUICE_TLP_PROFILE_H
#define SLUICE_TLP_PROFILE_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "ism_profile.h"
#include "label.h"
#include "policy.h"
#include "sluice_error.h"

#define TLP_NS "https://www.first.org/tlp/"

/* Reads and checks every TLP marking of `doc`. Refuses (65): no tlp:label on the root, a value
 * that is not a TLP 2.0 label (TLP:WHITE is named as TLP 1.0's CLEAR), any other attribute in
 * TLP_NS, and a banner below one of its portions. */
enum sluice_rc tlp_document_read(xmlDocPtr doc, const struct policy *pol,
                                 const struct policy_domain *source, struct ism_document *out,
                                 struct sluice_error *err) SLUICE_MUST_CHECK;

/* The label of TLP level `level` (an index in the "tlp" scheme) shared by `source`. */
void tlp_label(struct label *out, const char *policy_id, int level,
               const struct policy_domain *source);

/* The banner after redaction: the highest level among `kept` (CLEAR when none), written back
 * to the root's tlp:label; `banner_out` gets its label, `summary` its text ("TLP:GREEN"). */
void tlp_remark(struct ism_document *d, const struct ism_marking *const *kept, size_t nkept,
                const struct policy *pol, const struct policy_domain *source,
                struct label *banner_out, char **summary);

/* Whether `a` is the TLP marking attribute (redaction leaves it alone). */
bool tlp_attribute_is_marking(xmlAttrPtr a);

#endif
