/*
 * libFuzzer target for the SPIF loader (filters/spif.c): any bytes must either load into a
 * consistent model or fail with SLUICE_ERR_POLICY and a spif.* rule, without a crash, a leak or
 * unbounded work. A loaded SPIF is then driven through everything that reads the model: the
 * lookups, the SPIF's rules, display markings in two languages, the label model and an access
 * check, on a label holding its lowest classification and (up to 64 of) its categories.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"
#include "spif.h"
#include "stanag4774.h"
#include "xml_intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_model(const struct spif *s)
{
	if (s->nclasses == 0 || s->scheme.count != s->nclasses)
		abort();
	for (size_t i = 0; i < s->nclasses; i++) {
		const struct spif_classification *c = s->by_level[i];
		if (c->level != i || spif_class_by_name(s, c->name) != c ||
		    spif_class_by_lacv(s, c->lacv) != c ||
		    classification_level(&s->scheme, c->name) != (int)i)
			abort();
		if (i > 0 && s->by_level[i - 1]->hierarchy >= c->hierarchy)
			abort();
	}
	for (size_t i = 0; i < s->ncategories; i++) {
		const struct spif_category *c = s->by_ordinal[i];
		const struct spif_tag_set *set = c->tag->set;
		if (c->ordinal != i || spif_tag_set_by_name(s, set->name) != set ||
		    spif_tag_set_by_id(s, set->id) != set ||
		    spif_category_by_name(set, spif_tag_label_type(c->tag->type), c->name) != c ||
		    spif_category_by_lacv(set, c->tag->type, c->lacv) != c)
			abort();
	}
}

static void drive(const struct spif *s)
{
	struct spif_label l;
	struct spif_clearance c;
	struct sluice_error err;
	struct label model;

	memset(&l, 0, sizeof(l));
	l.spif = s;
	l.cls = s->by_level[0];
	for (size_t i = 0; i < s->ncategories && i < 64; i++)
		spif_label_add(&l, s->by_ordinal[i]);
	(void)spif_label_check(&l, &err);
	free(spif_label_marking(&l, "", SPIF_LOC_PAGE_BOTTOM));
	free(spif_label_marking(&l, "fr-CA", SPIF_LOC_PAGE_TOP));
	spif_label_to_label(&l, &model);
	label_free(&model);

	memset(&c, 0, sizeof(c));
	c.spif = s;
	c.levels = calloc(s->nclasses, sizeof(*c.levels));
	c.levels[s->nclasses - 1] = true;
	if (spif_access_check(&l, &c, &err) == SLUICE_OK && s->nclasses > 1)
		abort(); /* the lowest classification is not in that clearance */
	free(spif_clearance_marking(&c, "fr"));
	free(c.levels);
	spif_label_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct spif *s = NULL;
	struct sluice_error err;

	if (!initialised) {
		xml_intake_init();
		initialised = 1;
	}
	sluice_error_clear(&err);
	enum sluice_rc rc = spif_load_buffer(data, size, "fuzz.spif", &s, &err);
	if (rc != SLUICE_OK) {
		if (s != NULL || (rc != SLUICE_ERR_POLICY && rc != SLUICE_ERR_INTERNAL) ||
		    strncmp(err.rule, "spif.", 5) != 0)
			abort();
		return 0;
	}
	check_model(s);
	drive(s);
	spif_free(s);
	return 0;
}
