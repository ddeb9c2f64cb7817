/*
 * Clearances, and labels written the same way, in the XML format of the reference
 * implementation (surevine/spiffing, namespace http://surevine.com/xmlns/spiffy), the format of
 * the clearances in its conformance table:
 *
 *   <clearance xmlns="http://surevine.com/xmlns/spiffy">
 *     <policy id="1.3.26.1.3.1"/>                     the SPIF's securityPolicyId@id
 *     <classification lacv="1"/> ...                  every classification it may see
 *     <tag type="enumeratedPermissive" id="1.3.26.1.4.2" lacv="826"/> ...
 *   </clearance>                                      (tag set id, tag type, category lacv)
 *
 * A <label> in that namespace has the same children with exactly one <classification>.
 * Element text is a comment for people and is ignored. docs/LABELS.md.
 */
#ifndef SLUICE_CLEARANCE_H
#define SLUICE_CLEARANCE_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "sluice_error.h"
#include "spif.h"
#include "stanag4774.h"

#define SPIFFY_NAMESPACE "http://surevine.com/xmlns/spiffy"

/* Is `node` a <clearance> / <label> element in that namespace? */
bool clearance_is_element(xmlNodePtr node);
bool spiffy_label_is_element(xmlNodePtr node);

/* Reads a clearance for `spif`. A clearance is configuration: errors are SLUICE_ERR_POLICY
 * with a clearance.* rule (unknown policy, classification or category, bad element). */
enum sluice_rc clearance_parse(xmlNodePtr node, const struct spif *spif,
                               struct spif_clearance *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* Reads a label in the same format. Errors are SLUICE_ERR_INVALID_REPORT with the
 * stanag4774.* rules of labels (unknown-policy, unknown-classification, unknown-value, ...). */
enum sluice_rc spiffy_label_parse(xmlNodePtr node, const struct spif *spif,
                                  struct spif_label *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

#endif
