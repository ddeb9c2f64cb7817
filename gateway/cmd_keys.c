#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "devpki.h"
#include "keys.h"

static const char keygen_usage[] =
	"usage: sluice keygen [-o PREFIX]\n"
	"\n"
	"Writes a new Ed25519 key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub\n"
	"(SubjectPublicKeyInfo PEM), and prints the key id (SHA-256 of the public key's DER).\n"
	"PREFIX defaults to sluice-signing. Existing files are never overwritten.\n";

static const char certs_usage[] =
	"usage: sluice certs init-dev DIR [DOMAIN...]\n"
	"\n"
	"Makes a development PKI in DIR: a self-signed Ed25519 CA (ca.pem, ca.key), the gateway's\n"
	"signing pair (gateway-signing.key, gateway-signing.pub) and, per DOMAIN, a TLS\n"
	"certificate and key signed by the CA (DOMAIN.pem, DOMAIN.key). For development and\n"
	"demonstrations only. Existing files are never overwritten.\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = "sluice-signing";
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': prefix = optarg; break;
		case 'h': fputs(keygen_usage, stdout); return 0;
		default:
			return usage_error(keygen_usage, "unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error(keygen_usage, "unexpected argument '%s'", argv[optind]);

	size_t n = strlen(prefix) + 5;
	char *priv = xmalloc(n), *pub = xmalloc(n);
	snprintf(priv, n, "%s.key", prefix);
	snprintf(pub, n, "%s.pub", prefix);
	struct sluice_error err;
	EVP_PKEY *key = NULL;
	char id[SHA256_HEX_LEN];
	enum sluice_rc rc = key_generate(priv, pub, &err);
	if (rc == SLUICE_OK)
		rc = key_load_public(pub, &key, &err);
	if (rc == SLUICE_OK)
		rc = key_id_hex(key, id, &err);
	if (rc == SLUICE_OK)
		printf("wrote %s and %s\nkey id %s\n", priv, pub, id);
	else
		sluice_error_print("sluice keygen", &err);
	EVP_PKEY_free(key);
	free(priv);
	free(pub);
	return sluice_rc_exit_code(rc);
}

int cmd_certs(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(certs_usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "init-dev") != 0)
		return usage_error(certs_usage, argc < 2 ? "no certs subcommand given"
		                                         : "unknown certs subcommand");
	if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(certs_usage, stdout);
		return 0;
	}
	if (argc < 3 || argv[2][0] == '-')
		return usage_error(certs_usage, "certs init-dev needs a folder");

	struct sluice_error err;
	enum sluice_rc rc = devpki_init(argv[2], (const char *const *)argv + 3, (size_t)(argc - 3),
	                                &err);
	if (rc != SLUICE_OK) {
		sluice_error_print("sluice certs", &err);
		return sluice_rc_exit_code(rc);
	}
	printf("development PKI written to %s (NOT FOR PRODUCTION)\n", argv[2]);
	return 0;
}
