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
	"usage: sluice certs init-dev DIR [AGENCY...]\n"
	"       sluice certs revoke DIR NAME\n"
	"       sluice certs refresh-crl DIR\n"
	"\n"
	"init-dev makes a development PKI in DIR (created 0700): a self-signed Ed25519 CA\n"
	"(ca.pem, ca.key), its empty CRL (ca.crl, 30 days), the gateway's TLS server certificate\n"
	"(gateway-server.pem/.key: CN sluice-gateway, localhost, 127.0.0.1, ::1), its TLS client\n"
	"certificate for forwarding (gateway-client.pem/.key), the gateway's signing pair\n"
	"(gateway-signing.key/.pub), per AGENCY a TLS client certificate with CN AGENCY\n"
	"(AGENCY.pem/.key), and serials.txt naming every serial the CA issued. Private keys are\n"
	"0600. Existing files are never overwritten.\n"
	"\n"
	"revoke adds NAME's certificate (an AGENCY, gateway-server or gateway-client) to\n"
	"DIR/ca.crl, keeping earlier revocations, and replaces the file atomically; then send\n"
	"SIGHUP to sluiced so that it reloads the CRL. An unknown name or a second revocation is\n"
	"refused (exit 64).\n"
	"\n"
	"refresh-crl re-signs DIR/ca.crl with the same entries for another 30 days (a CRL past\n"
	"its next update makes every client certificate fail).\n"
	"\n"
	"For development and demonstrations only: see docs/PKI.md for a real agency CA.\n";

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

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cmd_certs(int argc, char **argv)
{
	if (argc >= 2 && is_help(argv[1])) {
		fputs(certs_usage, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error(certs_usage, "no certs subcommand given");
	const char *sub = argv[1];
	if (strcmp(sub, "init-dev") != 0 && strcmp(sub, "revoke") != 0 &&
	    strcmp(sub, "refresh-crl") != 0)
		return usage_error(certs_usage, "unknown certs subcommand '%s'", sub);
	for (int i = 2; i < argc; i++)
		if (is_help(argv[i])) {
			fputs(certs_usage, stdout);
			return 0;
		}
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error(certs_usage, "unknown option '%s'", argv[i]);
	if (argc < 3)
		return usage_error(certs_usage, "certs %s needs a folder", sub);

	struct sluice_error err;
	enum sluice_rc rc;
	const char *dir = argv[2];
	if (strcmp(sub, "init-dev") == 0) {
		rc = devpki_init(dir, (const char *const *)argv + 3, (size_t)(argc - 3), &err);
		if (rc == SLUICE_OK)
			printf("development PKI written to %s (NOT FOR PRODUCTION)\n", dir);
	} else if (strcmp(sub, "revoke") == 0) {
		if (argc != 4)
			return usage_error(certs_usage, "certs revoke needs a folder and one name");
		rc = devpki_revoke(dir, argv[3], &err);
		if (rc == SLUICE_OK)
			printf("revoked %s: %s/ca.crl rewritten; "
			       "send SIGHUP to sluiced to reload it\n",
			       argv[3], dir);
	} else {
		if (argc != 3)
			return usage_error(certs_usage, "certs refresh-crl takes only a folder");
		rc = devpki_refresh_crl(dir, &err);
		if (rc == SLUICE_OK)
			printf("%s/ca.crl re-signed for 30 days; "
			       "send SIGHUP to sluiced to reload it\n",
			       dir);
	}
	if (rc != SLUICE_OK)
		sluice_error_print("sluice certs", &err);
	return sluice_rc_exit_code(rc);
}
