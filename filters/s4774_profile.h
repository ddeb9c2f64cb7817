/*
 * The `stanag4774` marking profile (SPEC section 3): reports whose portions carry embedded
 * ADatP-4774 labels, checked against the SPIF of the source domain (docs/LABELS.md).
 *
 * Where labels sit: a label element (slab:originatorConfidentialityLabel, or the legacy
 * slab:ConfidentialityLabel) labels the element that contains it, as ADatP-4778 says of
 * embedded metadata (children inherit their parent's label unless they carry their own); or an
 * ADatP-4778 BindingInformation in the report binds it to an element (DataReference URI=""
 * for the root, "#x" for the element whose Id, id, ID or xml:id is x). The root element's label
 * is the banner and is required; every other labelled element is a portion. An element with
 * several labels (embedded and bound) is refused unless they are the same label. alternativeConfidentialityLabel elements are the
 * sender's claims about other policies: they decide nothing, and the guard drops them on
 * release (it writes its own when a flow crosses into an equivalent policy).
 *
 * Every label is resolved against the source's SPIF and checked against the SPIF's rules; the
 * banner must dominate every portion. Failures are SLUICE_ERR_INVALID_REPORT (65) with a
 * stanag4774.* rule and the line of the label.
 *
 * The markings are kept in the ism profile's structures (filters/ism_profile.h), which the
 * release filter walks, with the SPIF labels beside them.
 */
#ifndef SLUICE_S4774_PROFILE_H
#define SLUICE_S4774_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "ism_profile.h"
#include "policy.h"
#include "sluice_error.h"
#include "stanag4774.h"

/* The SPIF labels of a document, parallel to its ism_document. */
struct s4774_labels {
	struct spif_label banner;
	struct spif_label *portions; /* nportions of the ism_document */
	size_t n;
	xmlNodePtr banner_element;   /* the root's label element */
	xmlNodePtr *portion_elements;
};

/* Reads every label of `doc` under the SPIF of `source` (a stanag4774 domain). */
enum sluice_rc s4774_document_read(xmlDocPtr doc, const struct policy_domain *source,
                                   struct ism_document *out, struct s4774_labels *labels,
                                   struct sluice_error *err) SLUICE_MUST_CHECK;
void s4774_labels_free(struct s4774_labels *labels);

/* Whether `node` is a label element of the profile (not content: never redacted, never
 * counted as content outside portions). */
bool s4774_is_marking_element(xmlNodePtr node);

/* The roll-up of SPEC section 2 on SPIF labels: highest classification; RESTRICTIVE and
 * INFORMATIVE categories united; PERMISSIVE categories intersected per tag set over the labels
 * that carry that tag set. With n == 0: the lowest classification that is not obsolete, no
 * categories. SLUICE_ERR_REFUSED ("banner.no-releasability") when an intersection is empty:
 * the labels together are releasable to no one, which a label cannot say. */
enum sluice_rc spif_label_rollup(const struct spif *spif, const struct spif_label *const *in,
                                 size_t n, struct spif_label *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;

/* A new label element of `kind` for `label` in `doc`, in namespace `ns` (the element it
 * replaces keeps its prefix), created now (CreationDateTime in UTC). */
xmlNodePtr s4774_label_element(xmlDocPtr doc, xmlNsPtr ns, enum s4774_kind kind,
                               const struct spif_label *label);

/* Labels an ADatP-4778 binding of the report gave the banner or a kept portion (not removed[i])
 * are embedded in their element, as its first child, before the bindings go. */
void s4774_embed_bound_labels(struct ism_document *d, struct s4774_labels *l,
                              const bool *removed);

/* Removes every ADatP-4778 BindingInformation below `root`: a sender's binding cannot survive
 * redaction and re-marking (its signature would no longer verify). */
void s4774_drop_bindings(xmlNodePtr root);

/* Removes every alternativeConfidentialityLabel from the tree below `node`. */
void s4774_drop_alternatives(xmlNodePtr node);

#endif
