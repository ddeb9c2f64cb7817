/*
 * The `ism` marking profile (SPEC section 3): US IC-ISM attributes in namespace
 * urn:us:gov:ic:ism. The element with ism:resourceElement="true" carries the banner; every
 * other element with ism:classification is a portion. Each marking is read into the label
 * model (filters/label.h) using the policy's caveat declarations, so that an unknown
 * classification, country code, caveat token or attribute fails closed.
 */
#ifndef SLUICE_ISM_PROFILE_H
#define SLUICE_ISM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "ism_marking.h"
#include "label.h"
#include "policy.h"
#include "sluice_error.h"
#include "strset.h"

/* The IC-ISM attributes whose space-separated tokens Sluice interprets. */
enum ism_token_attr {
	ISM_ATTR_SCI,          /* SCIcontrols: caveat tokens */
	ISM_ATTR_SAR,          /* SARIdentifier: caveat tokens */
	ISM_ATTR_AEA,          /* atomicEnergyMarkings: caveat tokens */
	ISM_ATTR_DISSEM,       /* disseminationControls: caveat tokens */
	ISM_ATTR_NONIC,        /* nonICmarkings: caveat tokens */
	ISM_ATTR_NONUS,        /* nonUSControls: caveat tokens */
	ISM_ATTR_FGI_OPEN,     /* FGIsourceOpen: country codes, carried along */
	ISM_ATTR_FGI_PROTECTED,/* FGIsourceProtected: country codes or FGI, carried along */
	ISM_ATTR_DISPLAY_ONLY, /* displayOnlyTo: country codes */
	ISM_TOKEN_ATTR_COUNT
};

/* One marking: the banner or a portion. */
struct ism_marking {
	xmlNodePtr node;
	unsigned line;
	int level;
	bool excluded;                 /* ism:excludeFromRollup="true" */
	bool has_releasable_to;        /* ism:releasableTo was present */
	struct strset owner_producer;
	struct strset releasable_to;
	struct strset tokens[ISM_TOKEN_ATTR_COUNT];
	struct label label;            /* the marking in the label model */
	int parent;                    /* index of the nearest enclosing portion, or -1 */
};

struct ism_document {
	struct ism_marking banner;
	struct ism_marking *portions;  /* in document order */
	size_t nportions;
};

/* Reads and checks every marking of `doc` under `pol` (caveats, scheme). Refuses (65) a
 * missing or repeated banner, a malformed or unknown value, an ism attribute on an element
 * without ism:classification, and a banner that does not dominate its portions. */
enum sluice_rc ism_document_read(xmlDocPtr doc, const struct policy *pol,
                                 struct ism_document *out, struct sluice_error *err)
	SLUICE_MUST_CHECK;
void ism_document_free(struct ism_document *d);

/* The tokens of `m` whose caveat declares `action` (e.g. every CAVEAT_REFUSE token). */
bool ism_marking_has_action(const struct ism_marking *m, const struct policy *pol,
                            enum caveat_action action, const char **token);

/* Recomputes the banner from the markings in `kept` (portions that remain and, when content
 * outside portions remains, the original banner) and rewrites the banner element's ism
 * attributes: classification = highest, dissemination controls, SCI and other controls =
 * union, releasableTo = intersection (REL only when every classified contributor carried an
 * explicit releasableTo and the intersection is not empty; never with NF). `banner_out`
 * receives the recomputed label; `summary` the new banner's portion mark without parentheses
 * (filters/ism_marking.h, ISM_MARK_SHORT), such as "C//REL TO USA, FRA". */
void ism_remark(struct ism_document *d, const struct ism_marking *const *kept, size_t nkept,
                const struct policy *pol, struct label *banner_out, char **summary);

#endif
