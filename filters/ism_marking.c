#include "ism_marking.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vocabularies (ODNI IC-ISM V10 CVE files, in their order) ---- */

static const char *const ism_country_codes[] = {
#include "ism_country_codes.inc"
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}
#define IN_LIST(list, s) in_list((list), COUNT(list), (s))

static const char *const field_attrs[ISM_FIELD_COUNT] = {
	"classification", "ownerProducer", "nonUSControls", "SCIcontrols", "SARIdentifier",
	"atomicEnergyMarkings", "FGIsourceOpen", "FGIsourceProtected", "disseminationControls",
	"releasableTo", "displayOnlyTo", "nonICmarkings",
};

/* The CVE file of each field, for messages. */
static const char *const field_cve[ISM_FIELD_COUNT] = {
	"CVEnumISMClassificationAll", "CVEnumISMOwnerProducer", "CVEnumISMNonUSControls",
	"CVEnumISMSCIControls", "CVEnumISMSAR", "CVEnumISMAtomicEnergyMarkings",
	"CVEnumISMFGIOpen", "CVEnumISMFGIProtected", "CVEnumISMDissem", "CVEnumISMRelTo",
	"CVEnumISMRelTo", "CVEnumISMNonIC",
};

/* ISM rule refusing a value outside the vocabulary (00253-00267), and one refusing values
 * out of CVE order (NULL: no order rule). */
static const char *const field_vocab_rule[ISM_FIELD_COUNT] = {
	"00254", "00263", "00262", "00267", "00266", "00253", "00259", "00260", "00258", "00265",
	"00257", "00261",
};
static const char *const field_order_rule[ISM_FIELD_COUNT] = {
	NULL, "00100", NULL, "00042", "00121", "00178", "00095", "00096", "00026", "00041",
	"00167", "00035",
};

/* Classifications, lowest first (U < R < C < S < TS). */
static const char *const level_tokens[] = { "U", "R", "C", "S", "TS" };
static const char *const level_names[] = {
	"UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET",
};
static const char *const nato_portion_levels[] = { "NU", "NR", "NC", "NS", "CTS" };
enum { LEVEL_U, LEVEL_R, LEVEL_C, LEVEL_S, LEVEL_TS };

/* Token vocabularies in CVE order. "re:" entries are the CVE's regular expressions. */
static const char *const vocab_non_us[] = { "ATOMAL", "BOHEMIA", "BALK" };
static const char *const vocab_sci[] = {
	"EL", "EL-EU", "EL-NK", "HCS", "KDK", "KDK-BLFH", "KDK-IDIT", "KDK-KAND",
	"re:KDK-BLFH-[A-Z0-9]{1,6}", "re:KDK-IDIT-[A-Z0-9]{1,6}", "re:KDK-KAND-[A-Z0-9]{1,6}",
	"RSV", "re:RSV-[A-Z0-9]{3}", "SI", "SI-G", "re:SI-G-[A-Z]{4}", "re:SI-[A-Z]{3}",
	"re:SI-[A-Z]{3}-[A-Z]{4}", "TK",
};
static const char *const vocab_sar[] = { "re:[A-Z0-9_-]{1,100}" };
static const char *const vocab_aea[] = {
	"RD", "RD-CNWDI", "re:RD-SG-(14|15|18|20)", "FRD", "re:FRD-SG-(14|15|18|20)", "DCNI", "UCNI",
	"TFNI",
};
static const char *const vocab_dissem[] = {
	"RS", "FOUO", "OC", "IMC", "NF", "PR", "REL", "RELIDO", "EYES", "DSEN", "FISA",
	"DISPLAYONLY",
};
static const char *const vocab_non_ic[] = {
	"DS", "XD", "ND", "SBU", "SBU-NF", "LES", "LES-NF", "SSI", "re:ACCM-[A-Z0-9_-]{1,61}", "NNPI",
};

struct vocab {
	const char *const *v;
	size_t n;
};

static struct vocab field_vocab(enum ism_field f)
{
	switch (f) {
	case ISM_NON_US_CONTROLS: return (struct vocab){ vocab_non_us, COUNT(vocab_non_us) };
	case ISM_SCI_CONTROLS: return (struct vocab){ vocab_sci, COUNT(vocab_sci) };
	case ISM_SAR_IDENTIFIER: return (struct vocab){ vocab_sar, COUNT(vocab_sar) };
	case ISM_ATOMIC_ENERGY: return (struct vocab){ vocab_aea, COUNT(vocab_aea) };
	case ISM_DISSEMINATION: return (struct vocab){ vocab_dissem, COUNT(vocab_dissem) };
	case ISM_NON_IC: return (struct vocab){ vocab_non_ic, COUNT(vocab_non_ic) };
	default: return (struct vocab){ NULL, 0 };
	}
}

static bool is_country_field(enum ism_field f)
{
	return f == ISM_OWNER_PRODUCER || f == ISM_FGI_OPEN || f == ISM_FGI_PROTECTED ||
	       f == ISM_RELEASABLE_TO || f == ISM_DISPLAY_ONLY_TO;
}

/* Whether `tok` is the whole-string match of a vocabulary entry. The compiled expressions are
 * kept for the life of the process (a dozen of them). */
static bool entry_matches(const char *entry, const char *tok)
{
	static struct {
		const char *entry;
		regex_t re;
	} cache[16];
	static size_t ncache;
	size_t i;

	if (strncmp(entry, "re:", 3) != 0)
		return strcmp(entry, tok) == 0;
	for (i = 0; i < ncache && cache[i].entry != entry; i++)
		;
	if (i == ncache) {
		char anchored[128];
		if (ncache == sizeof(cache) / sizeof(cache[0]))
			SLUICE_BUG("IC-ISM vocabulary pattern cache too small");
		snprintf(anchored, sizeof(anchored), "^(%s)$", entry + 3);
		if (regcomp(&cache[i].re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
			SLUICE_BUG("IC-ISM vocabulary pattern does not compile");
		cache[i].entry = entry;
		ncache++;
	}
	return regexec(&cache[i].re, tok, 0, NULL, 0) == 0;
}

/* CVE position of a country code: FGI, then USA first where the list says so, trigraphs,
 * then tetragraphs (each alphabetical by strcmp afterwards). */
static int country_rank(enum ism_field f, const char *tok)
{
	if (strcmp(tok, "FGI") == 0)
		return 0;
	if (strcmp(tok, "USA") == 0 && (f == ISM_RELEASABLE_TO || f == ISM_DISPLAY_ONLY_TO))
		return 1;
	return strlen(tok) <= 3 ? 2 : 3;
}

/* Index of the first vocabulary entry `tok` matches, or the vocabulary's size. */
static size_t vocab_rank(enum ism_field f, const char *tok)
{
	struct vocab v = field_vocab(f);
	for (size_t i = 0; i < v.n; i++)
		if (entry_matches(v.v[i], tok))
			return i;
	return v.n;
}

/* Position of `tok` in the field's CVE order (ties broken by rank_compare). */
static size_t token_rank(enum ism_field f, const char *tok)
{
	return is_country_field(f) ? (size_t)country_rank(f, tok) : vocab_rank(f, tok);
}

/* <0, 0, >0 as `a` comes before, with, or after `b` in the field's CVE order: countries
 * alphabetical within their group, equal vocabulary entries (patterns) in any order. */
static int rank_compare(enum ism_field f, size_t ra, const char *a, size_t rb, const char *b)
{
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return is_country_field(f) ? strcmp(a, b) : 0;
}

static int cve_compare(enum ism_field f, const char *a, const char *b)
{
	return rank_compare(f, token_rank(f, a), a, token_rank(f, b), b);
}

void ism_tokens_sort(enum ism_field f, const char **v, size_t n)
{
	size_t *rank = xcalloc(n ? n : 1, sizeof(*rank));
	for (size_t i = 0; i < n; i++)
		rank[i] = token_rank(f, v[i]);
	for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and n is a handful */
		const char *x = v[i];
		size_t rx = rank[i], j = i;
		while (j > 0 && rank_compare(f, rank[j - 1], v[j - 1], rx, x) > 0) {
			v[j] = v[j - 1];
			rank[j] = rank[j - 1];
			j--;
		}
		v[j] = x;
		rank[j] = rx;
	}
	free(rank);
}

bool ism_country_code_known(const char *code)
{
	return IN_LIST(ism_country_codes, code);
}

static bool value_known(enum ism_field f, const char *tok)
{
	switch (f) {
	case ISM_CLASSIFICATION: return IN_LIST(level_tokens, tok);
	case ISM_OWNER_PRODUCER: return strcmp(tok, "FGI") == 0 || ism_country_code_known(tok);
	case ISM_RELEASABLE_TO:
	case ISM_DISPLAY_ONLY_TO: return ism_country_code_known(tok);
	case ISM_FGI_OPEN: return strcmp(tok, "USA") != 0 && ism_country_code_known(tok);
	case ISM_FGI_PROTECTED:
		return strcmp(tok, "FGI") == 0 ||
		       (strcmp(tok, "USA") != 0 && ism_country_code_known(tok));
	default: return vocab_rank(f, tok) < field_vocab(f).n;
	}
}

/* ---- attributes ---- */

/* Free-text ism attributes: not markings, so redaction applies to them. */
static const char *const ism_text_attrs[] = {
	"classifiedBy", "derivativelyClassifiedBy", "classificationReason", "derivedFrom",
	"compilationReason", "declassEvent", "noticeReason", "unregisteredNoticeType",
};
/* The classification-authority attributes an UNCLASSIFIED element may not carry (00016). */
static const char *const ism_authority_attrs[] = {
	"classificationReason", "classifiedBy", "derivativelyClassifiedBy", "declassDate",
	"declassEvent", "declassException", "derivedFrom",
};
/* Other ism attributes that are known and carried along unchanged. */
static const char *const ism_other_attrs[] = {
	"resourceElement", "excludeFromRollup", "createDate", "compliesWith", "DESVersion",
	"ISMCATCESVersion", "declassDate", "declassException", "noticeType", "noticeDate",
	"externalNotice", "pocType", "hasApproximateMarkings", "joint",
};

const char *ism_field_attribute(enum ism_field f)
{
	return field_attrs[f];
}

bool ism_attribute_is_marking(const xmlChar *name)
{
	return !IN_LIST(ism_text_attrs, (const char *)name);
}

bool ism_attribute_known(const char *name)
{
	return IN_LIST(ism_text_attrs, name) || IN_LIST(ism_other_attrs, name) ||
	       IN_LIST(field_attrs, name);
}

bool ism_attr_in_ns(xmlAttrPtr a)
{
	return a->ns != NULL && a->ns->href != NULL &&
	       strcmp((const char *)a->ns->href, ISM_NS) == 0;
}

bool ism_element_is_marked(xmlNodePtr n)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (ism_attr_in_ns(a))
			return true;
	return false;
}

char *ism_attr_get(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ISM_NS);
	if (v == NULL)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t ism_tokens_split(const char *value, struct ism_tokens *out)
{
	size_t added = 0;
	const char *p = value;
	while (*p) {
		while (is_xml_space(*p))
			p++;
		const char *s = p;
		while (*p && !is_xml_space(*p))
			p++;
		if (p > s) {
			out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->v[out->n++] = xstrndup(s, (size_t)(p - s));
			added++;
		}
	}
	return added;
}

void ism_tokens_free(struct ism_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static bool token_matches(const char *tok, const char *pattern)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(tok, pattern, n - 1) == 0;
	return strcmp(tok, pattern) == 0;
}

bool ism_tokens_match(const struct ism_tokens *t, const char *pattern)
{
	for (size_t i = 0; i < t->n; i++)
		if (token_matches(t->v[i], pattern))
			return true;
	return false;
}

void ism_attrs_read(xmlNodePtr n, struct ism_attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->element = (const char *)n->name;
	out->line = (unsigned)xmlGetLineNo(n);
	for (int f = 0; f < ISM_FIELD_COUNT; f++) {
		char *v = ism_attr_get(n, field_attrs[f]);
		if (v == NULL)
			continue;
		out->present[f] = true;
		ism_tokens_split(v, &out->f[f]);
		free(v);
	}
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		if (!ism_attr_in_ns(a))
			continue;
		if (IN_LIST(ism_authority_attrs, (const char *)a->name))
			out->has_authority = true;
		if (out->unknown_attribute == NULL && !ism_attribute_known((const char *)a->name))
			out->unknown_attribute = xstrdup((const char *)a->name);
	}
}

void ism_attrs_free(struct ism_attrs *a)
{
	if (a == NULL)
		return;
	for (int f = 0; f < ISM_FIELD_COUNT; f++)
		ism_tokens_free(&a->f[f]);
	free(a->unknown_attribute);
	memset(a, 0, sizeof(*a));
}

/* Index into level_tokens of the element's classification, or -1. */
static int attrs_level(const struct ism_attrs *a)
{
	if (a->f[ISM_CLASSIFICATION].n != 1)
		return -1;
	for (size_t i = 0; i < COUNT(level_tokens); i++)
		if (strcmp(level_tokens[i], a->f[ISM_CLASSIFICATION].v[0]) == 0)
			return (int)i;
	return -1;
}

/* ---- a growing string ---- */

struct mstr {
	char *s;
	size_t len, cap;
};

static void ms_addn(struct mstr *m, const char *p, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		m->cap = (m->len + n + 1) * 2;
		m->s = xrealloc(m->s, m->cap);
	}
	memcpy(m->s + m->len, p, n);
	m->len += n;
	m->s[m->len] = '\0';
}

static void ms_add(struct mstr *m, const char *s)
{
	ms_addn(m, s, strlen(s));
}

/* Adds `sep` unless the string is still empty. */
static void ms_sep(struct mstr *m, const char *sep)
{
	if (m->len > 0)
		ms_add(m, sep);
}

/* Adds `n` bytes of `s`, with every '_' written as a space when `underscores` (SAR and ACCM
 * names: the CVE notes say the rendering restores the spaces). */
static void ms_add_spaced(struct mstr *m, const char *s, size_t n, bool underscores)
{
	for (size_t i = 0; i < n; i++)
		ms_addn(m, underscores && s[i] == '_' ? " " : &s[i], 1);
}

static char *ms_take(struct mstr *m)
{
	char *s = m->s != NULL ? m->s : xstrdup("");
	m->s = NULL;
	m->len = m->cap = 0;
	return s;
}

/* ---- rendering ---- */

/* The field's tokens in CVE order (a new array of pointers into `a`). */
static const char **sorted_tokens(const struct ism_attrs *a, enum ism_field f)
{
	const char **v = xcalloc(a->f[f].n ? a->f[f].n : 1, sizeof(*v));
	for (size_t i = 0; i < a->f[f].n; i++)
		v[i] = a->f[f].v[i];
	ism_tokens_sort(f, v, a->f[f].n);
	return v;
}

static void add_joined(struct mstr *m, const struct ism_attrs *a, enum ism_field f,
                       const char *sep)
{
	const char **v = sorted_tokens(a, f);
	for (size_t i = 0; i < a->f[f].n; i++) {
		if (i > 0)
			ms_add(m, sep);
		ms_add(m, v[i]);
	}
	free(v);
}

/* Length of the first '-'-separated part of `s` (of all of it when there is none). */
static size_t part_len(const char *s)
{
	const char *d = strchr(s, '-');
	return d != NULL ? (size_t)(d - s) : strlen(s);
}

/* Control systems (SCI) or programs (SAR) with their compartments and sub-compartments:
 * "SI SI-G SI-G-ABCD TK" -> "SI-G ABCD/TK", "RSV RSV-ABC RSV-DEF" -> "RSV-ABC-DEF". */
static void add_compartmented(struct mstr *m, const char **v, size_t n, bool underscores)
{
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		size_t sl = part_len(v[i]);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = part_len(v[j]) == sl && strncmp(v[j], v[i], sl) == 0;
		if (seen)
			continue;
		if (!first)
			ms_add(m, "/");
		first = false;
		ms_add_spaced(m, v[i], sl, underscores);
		/* compartments of this system, in order of first appearance */
		for (size_t k = i; k < n; k++) {
			if (part_len(v[k]) != sl || strncmp(v[k], v[i], sl) != 0 || v[k][sl] != '-')
				continue;
			const char *comp = v[k] + sl + 1;
			size_t cl = part_len(comp);
			bool dup = false;
			for (size_t j = i; j < k && !dup; j++)
				dup = strncmp(v[j], v[k], sl + 1 + cl) == 0 &&
				      (v[j][sl + 1 + cl] == '\0' || v[j][sl + 1 + cl] == '-');
			if (dup)
				continue;
			ms_add(m, "-");
			ms_add_spaced(m, comp, cl, underscores);
			for (size_t l = k; l < n; l++)
				if (strncmp(v[l], v[k], sl + 1 + cl) == 0 && v[l][sl + 1 + cl] == '-') {
					ms_add(m, " ");
					ms_add_spaced(m, v[l] + sl + 2 + cl, strlen(v[l] + sl + 2 + cl),
					              underscores);
				}
		}
	}
}

static void add_compartmented_field(struct mstr *m, const struct ism_attrs *a, enum ism_field f)
{
	const char **v = sorted_tokens(a, f);
	add_compartmented(m, v, a->f[f].n, f == ISM_SAR_IDENTIFIER);
	free(v);
}

/* RD or FRD with CNWDI and SIGMA numbers: "RD-CNWDI-SIGMA 14 20" (banner), "RD-CNWDI-SG 14 20"
 * (portion). */
static void add_atomic_family(struct mstr *m, const char **v, size_t n, const char *family,
                              bool banner)
{
	char cnwdi[16], sigma[16];
	snprintf(cnwdi, sizeof(cnwdi), "%s-CNWDI", family);
	snprintf(sigma, sizeof(sigma), "%s-SG-", family);
	ms_sep(m, "/");
	ms_add(m, family);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], cnwdi) == 0)
			ms_add(m, "-CNWDI");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(v[i], sigma, strlen(sigma)) != 0)
			continue;
		if (first)
			ms_add(m, banner ? "-SIGMA" : "-SG");
		first = false;
		ms_add(m, " ");
		ms_add(m, v[i] + strlen(sigma));
	}
}

static bool in_atomic_family(const char *tok, const char *family)
{
	size_t n = strlen(family);
	return strncmp(tok, family, n) == 0 &&
	       (tok[n] == '\0' || strcmp(tok + n, "-CNWDI") == 0 || strncmp(tok + n, "-SG-", 4) == 0);
}

static void add_atomic(struct mstr *m, const struct ism_attrs *a, bool banner)
{
	const char **v = sorted_tokens(a, ISM_ATOMIC_ENERGY);
	size_t n = a->f[ISM_ATOMIC_ENERGY].n;
	bool rd = false, frd = false;
	for (size_t i = 0; i < n; i++) {
		if (in_atomic_family(v[i], "RD")) {
			if (!rd)
				add_atomic_family(m, v, n, "RD", banner);
			rd = true;
		} else if (in_atomic_family(v[i], "FRD")) {
			if (!frd)
				add_atomic_family(m, v, n, "FRD", banner);
			frd = true;
		} else {
			ms_sep(m, "/");
			if (banner && strcmp(v[i], "DCNI") == 0)
				ms_add(m, "DOD UCNI");
			else if (banner && strcmp(v[i], "UCNI") == 0)
				ms_add(m, "DOE UCNI");
			else
				ms_add(m, v[i]);
		}
	}
	free(v);
}

/* Foreign government information inside a US (or US joint) marking; a foreign owner's own
 * marking says FGI in its classification part instead ("//FGI SECRET", "//GBR SECRET"). */
static void add_fgi(struct mstr *m, const struct ism_attrs *a)
{
	if (!ism_tokens_match(&a->f[ISM_OWNER_PRODUCER], "USA"))
		return;
	if (a->f[ISM_FGI_PROTECTED].n > 0) {
		ms_add(m, "FGI"); /* a protected source is never named */
	} else if (a->f[ISM_FGI_OPEN].n > 0) {
		ms_add(m, "FGI ");
		add_joined(m, a, ISM_FGI_OPEN, " ");
	}
}

/* Banner and portion words of dissemination controls and non-IC markings (NULL: the token). */
static const char *const dissem_names[][3] = {
	{ "RS", "RSEN", NULL },       { "OC", "ORCON", NULL },  { "OC-USGOV", "ORCON-USGOV", NULL },
	{ "IMC", "IMCON", NULL },     { "NF", "NOFORN", NULL }, { "PR", "PROPIN", NULL },
	{ "DSEN", "DEA SENSITIVE", NULL },
};
static const char *const non_ic_names[][3] = {
	{ "DS", "LIMDIS", NULL },     { "XD", "EXDIS", NULL },  { "ND", "NODIS", NULL },
	{ "SBU-NF", "SBU NOFORN", NULL }, { "LES-NF", "LES NOFORN", NULL },
};

static void add_named(struct mstr *m, const char *const (*names)[3], size_t n, const char *tok,
                      bool banner)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i][0], tok) == 0) {
			ms_add(m, banner ? names[i][1] : names[i][0]);
			return;
		}
	if (strncmp(tok, "ACCM-", 5) == 0)
		ms_add_spaced(m, tok + 5, strlen(tok + 5), true);
	else
		ms_add(m, tok);
}

static void add_dissem(struct mstr *m, const struct ism_attrs *a, bool banner)
{
	const char **v = sorted_tokens(a, ISM_DISSEMINATION);
	for (size_t i = 0; i < a->f[ISM_DISSEMINATION].n; i++) {
		ms_sep(m, "/");
		if (strcmp(v[i], "REL") == 0) {
			ms_add(m, "REL TO ");
			add_joined(m, a, ISM_RELEASABLE_TO, ", ");
		} else if (strcmp(v[i], "EYES") == 0) {
			add_joined(m, a, ISM_RELEASABLE_TO, "/");
			ms_add(m, " EYES ONLY");
		} else if (strcmp(v[i], "DISPLAYONLY") == 0) {
			ms_add(m, "DISPLAY ONLY ");
			add_joined(m, a, ISM_DISPLAY_ONLY_TO, ", ");
		} else {
			add_named(m, dissem_names, COUNT(dissem_names), v[i], banner);
		}
	}
	free(v);
}

static void add_non_ic(struct mstr *m, const struct ism_attrs *a, bool banner)
{
	const char **v = sorted_tokens(a, ISM_NON_IC);
	for (size_t i = 0; i < a->f[ISM_NON_IC].n; i++) {
		ms_sep(m, "/");
		add_named(m, non_ic_names, COUNT(non_ic_names), v[i], banner);
	}
	free(v);
}

/* "SECRET" / "S"; "//NATO SECRET" / "//NS"; "//DEU SECRET" / "//DEU S";
 * "//JOINT SECRET DEU USA" / "//JOINT S DEU USA". */
static void add_classification(struct mstr *m, const struct ism_attrs *a, bool banner)
{
	int level = attrs_level(a);
	const struct ism_tokens *own = &a->f[ISM_OWNER_PRODUCER];
	const char *raw = a->f[ISM_CLASSIFICATION].n > 0 ? a->f[ISM_CLASSIFICATION].v[0] : "";
	const char *cls = level < 0 ? raw : banner ? level_names[level] : level_tokens[level];

	if (own->n == 0 || (own->n == 1 && strcmp(own->v[0], "USA") == 0)) {
		ms_add(m, cls);
	} else if (own->n == 1 && strcmp(own->v[0], "NATO") == 0) {
		ms_add(m, "//");
		if (level < 0) {
			ms_add(m, "NATO ");
			ms_add(m, cls);
		} else if (!banner) {
			ms_add(m, nato_portion_levels[level]);
		} else {
			ms_add(m, level == LEVEL_TS ? "COSMIC " : "NATO ");
			ms_add(m, cls);
		}
	} else if (own->n == 1) {
		ms_add(m, "//");
		ms_add(m, own->v[0]);
		ms_add(m, " ");
		ms_add(m, cls);
	} else {
		ms_add(m, "//JOINT ");
		ms_add(m, cls);
		for (size_t i = 0; i < own->n; i++) {
			ms_add(m, " ");
			ms_add(m, own->v[i]);
		}
	}
}

char *ism_marking_string(const struct ism_attrs *a, enum ism_mark_style style)
{
	bool banner = style == ISM_MARK_BANNER;
	struct mstr out = { NULL, 0, 0 };

	if (style == ISM_MARK_PORTION)
		ms_add(&out, "(");
	add_classification(&out, a, banner);
	/* The categories after the classification, each introduced by "//". */
	for (int part = 0; part < 7; part++) {
		struct mstr seg = { NULL, 0, 0 };
		switch (part) {
		case 0: add_joined(&seg, a, ISM_NON_US_CONTROLS, "/"); break;
		case 1: add_compartmented_field(&seg, a, ISM_SCI_CONTROLS); break;
		case 2:
			if (a->f[ISM_SAR_IDENTIFIER].n > 0) {
				ms_add(&seg, "SAR-");
				add_compartmented_field(&seg, a, ISM_SAR_IDENTIFIER);
			}
			break;
		case 3: add_atomic(&seg, a, banner); break;
		case 4: add_fgi(&seg, a); break;
		case 5: add_dissem(&seg, a, banner); break;
		default: add_non_ic(&seg, a, banner); break;
		}
		if (seg.len > 0) {
			ms_add(&out, "//");
			ms_add(&out, seg.s);
		}
		free(seg.s);
	}
	if (style == ISM_MARK_PORTION)
		ms_add(&out, ")");
	return ms_take(&out);
}

/* ---- checks ---- */

static enum sluice_rc refuse(struct sluice_error *err, const struct ism_attrs *a,
                             const char *rule, const char *ism_id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum sluice_rc refuse(struct sluice_error *err, const struct ism_attrs *a,
                             const char *rule, const char *ism_id, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, rule, NULL, a->line, 0,
	                      "element <%s>: %s (ISM-ID-%s)", a->element, what, ism_id);
}

/* The attribute's value as written (tokens joined by spaces), for messages. */
static const char *value_of(const struct ism_attrs *a, enum ism_field f, char *buf, size_t len)
{
	buf[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < a->f[f].n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", a->f[f].v[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

#define LV(l) (1u << (l))
#define CST (LV(LEVEL_C) | LV(LEVEL_S) | LV(LEVEL_TS))
#define ST (LV(LEVEL_S) | LV(LEVEL_TS))

/* A control that needs one of the classifications in `levels`. */
static const struct {
	enum ism_field field;
	const char *token; /* trailing '*': prefix */
	unsigned levels;
	const char *ism_id;
	bool portion_only;
} level_rules[] = {
	{ ISM_DISSEMINATION, "OC", CST, "00028", false },
	{ ISM_DISSEMINATION, "EYES", CST, "00028", false },
	{ ISM_DISSEMINATION, "FOUO", LV(LEVEL_U), "00030", false },
	{ ISM_DISSEMINATION, "IMC", ST, "00107", false },
	{ ISM_DISSEMINATION, "RS", ST, "00164", false },
	{ ISM_SCI_CONTROLS, "SI", CST, "00043", false },
	{ ISM_SCI_CONTROLS, "SI-G*", LV(LEVEL_TS), "00044", false },
	{ ISM_SCI_CONTROLS, "TK", ST, "00047", false },
	{ ISM_SCI_CONTROLS, "HCS", CST, "00048", false },
	{ ISM_SCI_CONTROLS, "KDK", ST, "00122", false },
	{ ISM_SCI_CONTROLS, "RSV", ST, "00242", false },
	{ ISM_ATOMIC_ENERGY, "RD-SG-*", CST, "00173", false },
	{ ISM_ATOMIC_ENERGY, "FRD-SG-*", CST, "00173", false },
	{ ISM_ATOMIC_ENERGY, "RD", CST, "00174", false },
	{ ISM_ATOMIC_ENERGY, "FRD", CST, "00174", false },
	{ ISM_ATOMIC_ENERGY, "TFNI", CST, "00174", false },
	{ ISM_ATOMIC_ENERGY, "RD-CNWDI", ST, "00175", false },
	{ ISM_ATOMIC_ENERGY, "UCNI", LV(LEVEL_U), "00181", true },
	{ ISM_ATOMIC_ENERGY, "DCNI", LV(LEVEL_U), "00181", true },
	{ ISM_NON_IC, "SBU", LV(LEVEL_U), "00037", false },
	{ ISM_NON_IC, "SBU-NF", LV(LEVEL_U), "00037", false },
};

/* A control that needs another one ("*" alone: any value of the other attribute). */
static const struct {
	enum ism_field field;
	const char *token;
	enum ism_field needs_field;
	const char *needs;
	const char *ism_id;
	bool portion_only;
} requires_rules[] = {
	{ ISM_DISSEMINATION, "REL", ISM_RELEASABLE_TO, "*", "00031", false },
	{ ISM_DISSEMINATION, "EYES", ISM_RELEASABLE_TO, "*", "00031", false },
	{ ISM_DISSEMINATION, "DISPLAYONLY", ISM_DISPLAY_ONLY_TO, "*", "00213", false },
	{ ISM_SCI_CONTROLS, "SI-G*", ISM_DISSEMINATION, "OC", "00045", false },
	{ ISM_SCI_CONTROLS, "HCS", ISM_DISSEMINATION, "NF", "00049", false },
	{ ISM_SCI_CONTROLS, "KDK", ISM_DISSEMINATION, "NF", "00123", false },
	{ ISM_SCI_CONTROLS, "SI-G-*", ISM_SCI_CONTROLS, "SI-G", "00186", false },
	{ ISM_SCI_CONTROLS, "SI-G", ISM_SCI_CONTROLS, "SI", "00187", false },
	{ ISM_SCI_CONTROLS, "RSV-*", ISM_SCI_CONTROLS, "RSV", "00241", false },
	{ ISM_SCI_CONTROLS, "RSV", ISM_SCI_CONTROLS, "RSV-*", "00243", false },
	{ ISM_SCI_CONTROLS, "EL*", ISM_SCI_CONTROLS, "SI", "00301", false },
	{ ISM_SCI_CONTROLS, "KDK-BLFH*", ISM_SCI_CONTROLS, "KDK", "00304", false },
	{ ISM_SCI_CONTROLS, "KDK-IDIT*", ISM_SCI_CONTROLS, "KDK", "00305", false },
	{ ISM_SCI_CONTROLS, "KDK-KAND*", ISM_SCI_CONTROLS, "KDK", "00306", false },
	{ ISM_SCI_CONTROLS, "KDK-BLFH-*", ISM_SCI_CONTROLS, "KDK-BLFH", "00307", false },
	{ ISM_SCI_CONTROLS, "KDK-IDIT-*", ISM_SCI_CONTROLS, "KDK-IDIT", "00308", false },
	{ ISM_SCI_CONTROLS, "KDK-KAND-*", ISM_SCI_CONTROLS, "KDK-KAND", "00309", false },
	{ ISM_SCI_CONTROLS, "EL-EU", ISM_SCI_CONTROLS, "EL", "00310", false },
	{ ISM_SCI_CONTROLS, "EL-NK", ISM_SCI_CONTROLS, "EL", "00311", false },
	{ ISM_ATOMIC_ENERGY, "RD-SG-*", ISM_ATOMIC_ENERGY, "RD", "00183", false },
	{ ISM_ATOMIC_ENERGY, "FRD-SG-*", ISM_ATOMIC_ENERGY, "FRD", "00184", false },
	{ ISM_ATOMIC_ENERGY, "RD-CNWDI", ISM_ATOMIC_ENERGY, "RD", "00185", false },
	{ ISM_NON_IC, "ND", ISM_DISSEMINATION, "NF", "00313", false },
	{ ISM_NON_IC, "XD", ISM_DISSEMINATION, "NF", "00314", false },
	{ ISM_OWNER_PRODUCER, "FGI", ISM_FGI_PROTECTED, "FGI", "00219", true },
};

/* Controls of which an element may carry at most one. */
static const struct {
	enum ism_field field;
	const char *tokens[3];
	const char *ism_id;
} exclusive_rules[] = {
	{ ISM_DISSEMINATION, { "REL", "EYES", "NF" }, "00033" },
	{ ISM_DISSEMINATION, { "DISPLAYONLY", "RELIDO", "NF" }, "00169" },
	{ ISM_NON_IC, { "XD", "ND", NULL }, "00038" },
	{ ISM_NON_IC, { "LES", "LES-NF", NULL }, "00148" },
};

static void level_list(unsigned levels, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int l = LEVEL_TS; l >= LEVEL_U; l--)
		if (levels & LV(l)) {
			size_t used = strlen(buf);
			snprintf(buf + used, len - used, "%s%s", used ? ", " : "", level_tokens[l]);
		}
}

/* Syntax and vocabulary: rules that hold in every document. */
static enum sluice_rc check_values(const struct ism_attrs *a, struct sluice_error *err)
{
	char buf[256], buf2[256];

	if (a->unknown_attribute != NULL)
		return refuse(err, a, "ism.unknown-attribute", "00125",
		              "unknown attribute ism:%s", a->unknown_attribute);
	for (int f = 0; f < ISM_FIELD_COUNT; f++)
		if (a->present[f] && a->f[f].n == 0)
			return refuse(err, a, "ism.empty-value", "00002", "ism:%s is empty",
			              field_attrs[f]);
	if (!a->present[ISM_CLASSIFICATION])
		return refuse(err, a, "ism.missing-classification", "00012",
		              "ism markings without ism:classification");
	if (!a->present[ISM_OWNER_PRODUCER])
		return refuse(err, a, "ism.missing-owner-producer", "00012",
		              "ism markings without ism:ownerProducer");
	if (attrs_level(a) < 0)
		return refuse(err, a, "ism.unknown-classification", "00254",
		              "ism:classification value '%s' is not one of U, R, C, S, TS",
		              value_of(a, ISM_CLASSIFICATION, buf, sizeof(buf)));
	for (int f = 0; f < ISM_FIELD_COUNT; f++) {
		const struct ism_tokens *t = &a->f[f];
		for (size_t i = 0; i < t->n; i++) {
			for (size_t j = 0; j < i; j++)
				if (strcmp(t->v[i], t->v[j]) == 0)
					return refuse(err, a, "ism.duplicate-value", "00236",
					              "ism:%s names '%s' twice", field_attrs[f], t->v[i]);
			if (!value_known((enum ism_field)f, t->v[i]))
				return refuse(err, a,
				              is_country_field((enum ism_field)f) ? "ism.unknown-country"
				                                                   : "ism.unknown-value",
				              field_vocab_rule[f],
				              "ism:%s value '%s' is not in the IC-ISM V10 vocabulary (%s)",
				              field_attrs[f], t->v[i], field_cve[f]);
		}
	}
	if (a->f[ISM_RELEASABLE_TO].n == 1)
		return refuse(err, a, "ism.releasable-to-single", "00319",
		              "ism:releasableTo '%s' names a single country",
		              a->f[ISM_RELEASABLE_TO].v[0]);
	if (a->f[ISM_NON_US_CONTROLS].n > 0 &&
	    !(a->f[ISM_OWNER_PRODUCER].n == 1 && strcmp(a->f[ISM_OWNER_PRODUCER].v[0], "NATO") == 0))
		return refuse(err, a, "ism.non-us-controls-owner", "00163",
		              "ism:nonUSControls '%s' needs ism:ownerProducer NATO, not '%s'",
		              value_of(a, ISM_NON_US_CONTROLS, buf, sizeof(buf)),
		              value_of(a, ISM_OWNER_PRODUCER, buf2, sizeof(buf2)));
	return SLUICE_OK;
}

/* The CAPCO rules (ISM_CAPCO_RESOURCE). */
static enum sluice_rc check_capco(const struct ism_attrs *a, bool as_banner,
                                  struct sluice_error *err)
{
	char buf[256], levels[32];
	int level = attrs_level(a);
	const struct ism_tokens *own = &a->f[ISM_OWNER_PRODUCER];
	const struct ism_tokens *dissem = &a->f[ISM_DISSEMINATION];

	for (int f = 0; f < ISM_FIELD_COUNT; f++) {
		const struct ism_tokens *t = &a->f[f];
		for (size_t i = 1; field_order_rule[f] != NULL && i < t->n; i++)
			if (cve_compare((enum ism_field)f, t->v[i - 1], t->v[i]) > 0)
				return refuse(err, a, "ism.order", field_order_rule[f],
				              "ism:%s '%s': '%s' must come before '%s' (the order of %s)",
				              field_attrs[f], value_of(a, (enum ism_field)f, buf, sizeof(buf)),
				              t->v[i], t->v[i - 1], field_cve[f]);
	}
	if (ism_tokens_match(own, "USA") && level == LEVEL_R)
		return refuse(err, a, "ism.us-classification", "00040",
		              "ism:ownerProducer '%s' includes USA, whose classifications are U, C, "
		              "S and TS, not R", value_of(a, ISM_OWNER_PRODUCER, buf, sizeof(buf)));
	if (ism_tokens_match(own, "FGI") && own->n > 1)
		return refuse(err, a, "ism.fgi-alone", "00099",
		              "ism:ownerProducer '%s': FGI must be the only value",
		              value_of(a, ISM_OWNER_PRODUCER, buf, sizeof(buf)));
	if (ism_tokens_match(&a->f[ISM_FGI_PROTECTED], "FGI") && a->f[ISM_FGI_PROTECTED].n > 1)
		return refuse(err, a, "ism.fgi-alone", "00217",
		              "ism:FGIsourceProtected '%s': FGI must be the only value",
		              value_of(a, ISM_FGI_PROTECTED, buf, sizeof(buf)));
	if (a->f[ISM_RELEASABLE_TO].n > 0 && strcmp(a->f[ISM_RELEASABLE_TO].v[0], "USA") != 0)
		return refuse(err, a, "ism.releasable-to-usa-first", "00214",
		              "ism:releasableTo '%s' must start with USA",
		              value_of(a, ISM_RELEASABLE_TO, buf, sizeof(buf)));
	for (size_t r = 0; r < COUNT(exclusive_rules); r++) {
		const struct ism_tokens *t = &a->f[exclusive_rules[r].field];
		const char *const *x = exclusive_rules[r].tokens;
		int n = 0;
		for (int k = 0; k < 3 && x[k] != NULL; k++)
			n += ism_tokens_match(t, x[k]);
		if (n > 1)
			return refuse(err, a, "ism.exclusive", exclusive_rules[r].ism_id,
			              "ism:%s '%s': %s%s%s and %s are mutually exclusive",
			              field_attrs[exclusive_rules[r].field],
			              value_of(a, exclusive_rules[r].field, buf, sizeof(buf)), x[0],
			              x[2] ? ", " : "", x[2] ? x[1] : "", x[2] ? x[2] : x[1]);
	}
	for (size_t r = 0; r < COUNT(requires_rules); r++) {
		if (requires_rules[r].portion_only && as_banner)
			continue;
		if (ism_tokens_match(&a->f[requires_rules[r].field], requires_rules[r].token) &&
		    !ism_tokens_match(&a->f[requires_rules[r].needs_field], requires_rules[r].needs))
			return refuse(err, a, "ism.requires", requires_rules[r].ism_id,
			              "ism:%s '%s' requires ism:%s%s%s",
			              field_attrs[requires_rules[r].field],
			              value_of(a, requires_rules[r].field, buf, sizeof(buf)),
			              field_attrs[requires_rules[r].needs_field],
			              strcmp(requires_rules[r].needs, "*") == 0 ? "" : " with ",
			              strcmp(requires_rules[r].needs, "*") == 0 ? ""
			                                                      : requires_rules[r].needs);
	}
	if (a->present[ISM_RELEASABLE_TO] && !ism_tokens_match(dissem, "REL") &&
	    !ism_tokens_match(dissem, "EYES"))
		return refuse(err, a, "ism.requires", "00032",
		              "ism:releasableTo is given but ism:disseminationControls has neither "
		              "REL nor EYES");
	for (size_t r = 0; r < COUNT(level_rules); r++) {
		if (level_rules[r].portion_only && as_banner)
			continue;
		if (ism_tokens_match(&a->f[level_rules[r].field], level_rules[r].token) &&
		    !(level_rules[r].levels & LV(level))) {
			level_list(level_rules[r].levels, levels, sizeof(levels));
			return refuse(err, a, "ism.classification-level", level_rules[r].ism_id,
			              "ism:%s '%s' needs classification %s, not %s",
			              field_attrs[level_rules[r].field],
			              value_of(a, level_rules[r].field, buf, sizeof(buf)), levels,
			              level_tokens[level]);
		}
	}
	if (level == LEVEL_U && (a->has_authority || a->present[ISM_SCI_CONTROLS] ||
	                         a->present[ISM_SAR_IDENTIFIER]))
		return refuse(err, a, "ism.unclassified-forbidden", "00016",
		              "an UNCLASSIFIED element may not carry SCI controls, SAR identifiers or "
		              "classification authority attributes");
	if (!as_banner && ism_tokens_match(own, "USA") &&
	    (a->f[ISM_FGI_OPEN].n > 0 || a->f[ISM_FGI_PROTECTED].n > 0) &&
	    (ism_tokens_match(dissem, "RELIDO") || ism_tokens_match(dissem, "DISPLAYONLY")))
		return refuse(err, a, "ism.exclusive", a->f[ISM_FGI_OPEN].n > 0 ? "00233" : "00234",
		              "ism:disseminationControls '%s': RELIDO and DISPLAYONLY are not allowed "
		              "on foreign government information",
		              value_of(a, ISM_DISSEMINATION, buf, sizeof(buf)));
	return SLUICE_OK;
}

enum sluice_rc ism_attrs_check(const struct ism_attrs *a, bool as_banner, bool capco,
                               struct sluice_error *err)
{
	enum sluice_rc rc = check_values(a, err);
	if (rc == SLUICE_OK && capco)
		rc = check_capco(a, as_banner, err);
	return rc;
}

/* ---- roll-up ---- */

/* Tokens a contributing portion passes to the banner (formats.md 2.3). */
static const struct {
	enum ism_field field;
	const char *token; /* "*": every token of the field */
	const char *ism_id;
	bool unclassified_banner_only;
} rollup_rules[] = {
	{ ISM_SCI_CONTROLS, "*", "00060", false },   { ISM_DISSEMINATION, "OC", "00067", false },
	{ ISM_DISSEMINATION, "IMC", "00068", false }, { ISM_DISSEMINATION, "NF", "00070", false },
	{ ISM_DISSEMINATION, "PR", "00071", false },  { ISM_DISSEMINATION, "DSEN", "00080", false },
	{ ISM_DISSEMINATION, "FISA", "00081", false }, { ISM_DISSEMINATION, "RS", "00165", false },
	{ ISM_ATOMIC_ENERGY, "RD", "00072", false },  { ISM_ATOMIC_ENERGY, "RD-CNWDI", "00073", false },
	{ ISM_ATOMIC_ENERGY, "RD-SG-*", "00074", false }, { ISM_ATOMIC_ENERGY, "FRD", "00075", false },
	{ ISM_ATOMIC_ENERGY, "FRD-SG-*", "00077", false },
	{ ISM_ATOMIC_ENERGY, "DCNI", "00078", true }, { ISM_ATOMIC_ENERGY, "UCNI", "00079", true },
	{ ISM_ATOMIC_ENERGY, "TFNI", "00298", false }, { ISM_NON_IC, "DS", "00084", false },
	{ ISM_NON_IC, "ND", "00086", false },
};

static enum sluice_rc not_dominating(struct sluice_error *err, const struct ism_attrs *b,
                                     const struct ism_attrs *p, const char *ism_id,
                                     const char *what)
{
	return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-not-dominating", NULL,
	                      p->line, 0,
	                      "the banner <%s> (line %u) does not dominate the portion <%s>: %s "
	                      "(ISM-ID-%s)", b->element, b->line, p->element, what, ism_id);
}

enum sluice_rc ism_rollup_check(const struct ism_attrs *b, const struct ism_attrs *p,
                                bool capco, struct sluice_error *err)
{
	char what[320];
	int bl = attrs_level(b), pl = attrs_level(p);

	if (bl < 0 || pl < 0)
		SLUICE_BUG("roll-up of markings that were not checked");
	if (bl < pl) {
		snprintf(what, sizeof(what), "the banner is %s, the portion %s", level_tokens[bl],
		         level_tokens[pl]);
		return not_dominating(err, b, p,
		                      bl == LEVEL_U ? "00056" : bl == LEVEL_C ? "00058"
		                      : bl == LEVEL_S ? "00059" : "00318", what);
	}
	if (!capco)
		return SLUICE_OK;
	for (size_t r = 0; r < COUNT(rollup_rules); r++) {
		const struct ism_tokens *pt = &p->f[rollup_rules[r].field];
		if (rollup_rules[r].unclassified_banner_only && bl != LEVEL_U)
			continue;
		for (size_t i = 0; i < pt->n; i++) {
			if (strcmp(rollup_rules[r].token, "*") != 0 &&
			    !token_matches(pt->v[i], rollup_rules[r].token))
				continue;
			if (!ism_tokens_match(&b->f[rollup_rules[r].field], pt->v[i])) {
				snprintf(what, sizeof(what), "it carries %s '%s', the banner does not",
				         field_attrs[rollup_rules[r].field], pt->v[i]);
				return not_dominating(err, b, p, rollup_rules[r].ism_id, what);
			}
		}
	}
	if (ism_tokens_match(&p->f[ISM_NON_IC], "XD") && !ism_tokens_match(&b->f[ISM_NON_IC], "XD") &&
	    !ism_tokens_match(&b->f[ISM_NON_IC], "ND"))
		return not_dominating(err, b, p, "00085", "it carries nonICmarkings 'XD', the banner "
		                      "neither XD nor ND");
	if (p->f[ISM_FGI_PROTECTED].n > 0 && b->f[ISM_FGI_PROTECTED].n == 0)
		return not_dominating(err, b, p, "00065", "it carries FGIsourceProtected, the banner "
		                      "does not");
	if (p->f[ISM_FGI_OPEN].n > 0 && b->f[ISM_FGI_OPEN].n == 0 && b->f[ISM_FGI_PROTECTED].n == 0)
		return not_dominating(err, b, p, "00064", "it carries FGIsourceOpen, the banner "
		                      "neither FGIsourceOpen nor FGIsourceProtected");
	if (b->f[ISM_RELEASABLE_TO].n > 0 && pl > LEVEL_U) {
		if (p->f[ISM_RELEASABLE_TO].n == 0)
			return not_dominating(err, b, p, "00088", "the banner is releasable to other "
			                      "countries, the classified portion is not");
		for (size_t i = 0; i < b->f[ISM_RELEASABLE_TO].n; i++)
			if (!ism_tokens_match(&p->f[ISM_RELEASABLE_TO], b->f[ISM_RELEASABLE_TO].v[i])) {
				snprintf(what, sizeof(what), "the banner is releasable to %s, the portion "
				         "is not", b->f[ISM_RELEASABLE_TO].v[i]);
				return not_dominating(err, b, p, "00320", what);
			}
	}
	return SLUICE_OK;
}

/* ---- the marked elements of a document ---- */

struct walk {
	struct ism_elements *out;
	size_t cap;
};

static enum sluice_rc walk_elements(xmlNodePtr n, int parent, struct walk *w,
                                    struct sluice_error *err)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		/* A reader takes `ism:` for IC-ISM; bound elsewhere, `ism:classification="TS"` would
		 * look like a marking that Sluice (which reads namespaces, not prefixes) does not see. */
		for (xmlNsPtr ns = n->nsDef; ns != NULL; ns = ns->next)
			if (ns->prefix != NULL && xmlStrEqual(ns->prefix, BAD_CAST "ism") &&
			    !xmlStrEqual(ns->href, BAD_CAST ISM_NS))
				return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.prefix-rebound",
				                      NULL, (unsigned)xmlGetLineNo(n), 0,
				                      "the prefix ism is bound to a namespace other than "
				                      ISM_NS " (line %ld)", xmlGetLineNo(n));
		int here = parent;
		char *res = ism_attr_get(n, "resourceElement");
		bool is_banner = res != NULL && strcmp(res, "true") == 0;
		if (res != NULL && !is_banner && strcmp(res, "false") != 0) {
			enum sluice_rc rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.malformed",
			                                   NULL, (unsigned)xmlGetLineNo(n), 0,
			                                   "element <%s>: ism:resourceElement value '%s' "
			                                   "is not true or false", (const char *)n->name,
			                                   res);
			free(res);
			return rc;
		}
		free(res);
		if (is_banner) {
			if (w->out->banner != NULL)
				return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-repeated",
				                      NULL, (unsigned)xmlGetLineNo(n), 0,
				                      "element <%s> is a second ism:resourceElement "
				                      "(the banner is at line %ld)", (const char *)n->name,
				                      xmlGetLineNo(w->out->banner));
			if (parent >= 0)
				return sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.banner-in-portion",
				                      NULL, (unsigned)xmlGetLineNo(n), 0,
				                      "the banner element <%s> is inside a portion",
				                      (const char *)n->name);
			w->out->banner = n;
		} else if (ism_element_is_marked(n)) {
			struct ism_elements *e = w->out;
			if (e->nportions == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 16;
				e->portions = xrealloc(e->portions, w->cap * sizeof(*e->portions));
				e->parent = xrealloc(e->parent, w->cap * sizeof(*e->parent));
			}
			e->portions[e->nportions] = n;
			e->parent[e->nportions] = parent;
			here = (int)e->nportions++;
		}
		enum sluice_rc rc = walk_elements(n->children, here, w, err);
		if (rc != SLUICE_OK)
			return rc;
	}
	return SLUICE_OK;
}

enum sluice_rc ism_elements_find(xmlDocPtr doc, struct ism_elements *out,
                                 struct sluice_error *err)
{
	struct walk w = { out, 0 };
	memset(out, 0, sizeof(*out));
	enum sluice_rc rc = walk_elements(doc->children, -1, &w, err);
	if (rc == SLUICE_OK && out->banner == NULL)
		rc = sluice_fail(err, SLUICE_ERR_INVALID_REPORT, "ism.no-banner",
		                 "no element carries ism:resourceElement=\"true\" (the banner)");
	if (rc != SLUICE_OK)
		ism_elements_free(out);
	return rc;
}

void ism_elements_free(struct ism_elements *e)
{
	if (e == NULL)
		return;
	free(e->portions);
	free(e->parent);
	memset(e, 0, sizeof(*e));
}

/* ---- a whole document ---- */

static enum sluice_rc read_exclusion(xmlNodePtr n, bool *excluded, struct sluice_error *err)
{
	char *v = ism_attr_get(n, "excludeFromRollup");
	enum sluice_rc rc = SLUICE_OK;
	*excluded = v != NULL && strcmp(v, "true") == 0;
	if (v != NULL && !*excluded && strcmp(v, "false") != 0)
		rc = sluice_fail_at(err, SLUICE_ERR_INVALID_REPORT, "ism.malformed", NULL,
		                    (unsigned)xmlGetLineNo(n), 0,
		                    "element <%s>: ism:excludeFromRollup value '%s' is not true or "
		                    "false (ISM-ID-00282)", (const char *)n->name, v);
	free(v);
	return rc;
}

enum sluice_rc ism_document_markings(xmlDocPtr doc, char **text, struct sluice_error *err)
{
	struct ism_elements e;
	struct ism_attrs banner, *portions = NULL;
	size_t nread = 0;
	struct mstr out = { NULL, 0, 0 };

	*text = NULL;
	memset(&banner, 0, sizeof(banner));
	enum sluice_rc rc = ism_elements_find(doc, &e, err);
	if (rc != SLUICE_OK)
		return rc;
	ism_attrs_read(e.banner, &banner);
	bool capco = ism_tokens_match(&banner.f[ISM_OWNER_PRODUCER], "USA");
	rc = ism_attrs_check(&banner, true, capco, err);
	portions = xcalloc(e.nportions, sizeof(*portions));
	for (; rc == SLUICE_OK && nread < e.nportions; nread++) {
		bool excluded = false;
		ism_attrs_read(e.portions[nread], &portions[nread]);
		rc = ism_attrs_check(&portions[nread], false, capco, err);
		if (rc == SLUICE_OK)
			rc = read_exclusion(e.portions[nread], &excluded, err);
		if (rc == SLUICE_OK && !excluded)
			rc = ism_rollup_check(&banner, &portions[nread], capco, err);
	}
	if (rc != SLUICE_OK)
		goto out;
	for (size_t i = 0; i <= e.nportions; i++) {
		char *line = i == 0 ? ism_marking_string(&banner, ISM_MARK_BANNER)
		                    : ism_marking_string(&portions[i - 1], ISM_MARK_PORTION);
		ms_add(&out, line);
		ms_add(&out, "\n");
		free(line);
	}
	*text = ms_take(&out);
out:
	for (size_t i = 0; i < nread; i++)
		ism_attrs_free(&portions[i]);
	free(portions);
	ism_attrs_free(&banner);
	ism_elements_free(&e);
	return rc;
}
