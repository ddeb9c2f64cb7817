/*
 * libFuzzer target for the daemon's configuration loader (gateway/config.c, through the strict
 * YAML layer policy/yaml_strict.c): any bytes must either load into a configuration that keeps
 * every documented bound, or fail with SLUICE_ERR_POLICY and a "config.*" rule, without a
 * crash, a leak or unbounded work. The loader opens no file from memory, so nothing is read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every path is resolved against the absolute base folder, or was absolute already. */
static void check_path(const char *path)
{
	if (path == NULL || path[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_error err;
	struct sluiced_config *c = NULL;

	sluice_error_clear(&err);
	enum sluice_rc rc = sluiced_config_load_buffer("fuzz.yaml", data, size, "/srv/gw", &c, &err);
	if (rc != SLUICE_OK) {
		/* Every failure is a configuration error with a rule (memory exhaustion aside). */
		if (c != NULL || (rc != SLUICE_ERR_POLICY && rc != SLUICE_ERR_INTERNAL) ||
		    (rc == SLUICE_ERR_POLICY && strncmp(err.rule, "config.", 7) != 0))
			abort();
		return 0;
	}
	check_path(c->policy);
	check_path(c->signing_key);
	if ((c->binding_key == NULL) != (c->binding_cert == NULL))
		abort(); /* both or neither */
	if (c->binding_key != NULL) {
		check_path(c->binding_key);
		check_path(c->binding_cert);
	}
	check_path(c->audit_log);
	check_path(c->spool);
	if (c->workers < 1 || c->workers > SLUICED_WORKERS_MAX || c->checkpoint_interval < 1 ||
	    c->checkpoint_interval > SLUICED_CHECKPOINT_INTERVAL_MAX)
		abort();
	if (c->user != NULL && (c->user[0] == '\0' || strcmp(c->user, "root") == 0))
		abort();
	if (c->tls != NULL) {
		if (c->tls->listen_host == NULL || c->tls->listen_host[0] == '\0' ||
		    c->tls->listen_port < 1 || c->tls->listen_port > 65535)
			abort();
		check_path(c->tls->certificate);
		check_path(c->tls->key);
		check_path(c->tls->client_ca);
		if (c->tls->crl != NULL)
			check_path(c->tls->crl);
		for (size_t i = 0; i < c->tls->nclients; i++)
			if (c->tls->clients[i].subject_cn[0] == '\0' ||
			    c->tls->clients[i].domain[0] == '\0')
				abort();
	}
	for (size_t i = 0; i < c->nforwards; i++) {
		const struct sluiced_forward *f = &c->forwards[i];
		if (f->domain[0] == '\0' || strncmp(f->url, "https://", 8) != 0)
			abort();
		check_path(f->ca);
		check_path(f->certificate);
		check_path(f->key);
	}
	sluiced_config_free(c);
	return 0;
}
