/*
 * Signer: the only process that can read the gateway's signing key and its ADatP-4778 binding
 * key.
 *
 *   hostile data: records, checkpoints and SignedInfo elements to sign (from the router and
 *                 the auditor)
 *   privilege:    the signing key and the binding key (when configured), in memory only; no
 *                 files, no network (SANDBOX_IPC)
 *   may open:     the key files and the binding certificate, once, before its sandbox; then
 *                 nothing
 *   peers:        the supervisor (control: new router sockets), the auditor, the router
 *
 * It answers a closed list of requests (STYLE.md 3): the router's SIGN_RECORD, whose body must
 * be the canonical JSON of a transfer record (receipt_sign_json checks its whole form), the
 * router's SIGN_BINDING, whose body must be a canonical XML-DSig SignedInfo
 * (binding_signed_info_ok) and which needs a binding key, and the auditor's SIGN_CHECKPOINT,
 * whose body must be an unsigned checkpoint naming this key. A request of the right peer whose
 * body is refused is answered MSG_FAIL; any other request, or one from the wrong peer, ends
 * that peer's connection.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auditlog.h"
#include "binding_sign.h"
#include "config.h"
#include "daemon.h"
#include "keys.h"
#include "msg.h"
#include "receipt.h"
#include "sandbox.h"

#define SIGNER_MAX_PEERS 16

struct peer {
	int fd;
	uint32_t role;
};

static void answer_fail(int fd, uint64_t id, const char *why)
{
	if (msg_send(fd, MSG_FAIL, id, why, strlen(why), -1) != 0)
		daemon_log(LOG_WARNING, "signer", "cannot answer a peer: %s", strerror(errno));
}

/* What the signer holds. */
struct signer_keys {
	EVP_PKEY *key;
	char key_id[65];
	struct binding_signer binding; /* binding.key NULL: no binding key configured */
};

static void signer_keys_free(struct signer_keys *k)
{
	EVP_PKEY_free(k->key); /* OpenSSL clears private key material when it frees it */
	binding_signer_free(&k->binding);
	k->key = NULL;
}

/* The router's SIGN_BINDING: a SignedInfo in, its base64 SignatureValue out. */
static bool serve_sign_binding(const struct signer_keys *k, struct peer *p, struct msg *m)
{
	struct sluice_error err;
	char *signature_b64 = NULL;
	if (k->binding.key == NULL) {
		daemon_log(LOG_ERR, "signer", "refused to sign a binding: no binding key configured");
		answer_fail(p->fd, m->id, "no binding key configured (binding-key, binding-cert)");
		return true;
	}
	if (binding_signature(&k->binding, m->body.data, m->body.len, &signature_b64, &err) !=
	    SLUICE_OK) {
		daemon_log(LOG_ERR, "signer", "refused to sign a binding: %s", err.message);
		answer_fail(p->fd, m->id, err.message);
		return true;
	}
	int r = msg_send(p->fd, MSG_BINDING_SIGNATURE, m->id, signature_b64, strlen(signature_b64),
	                 -1);
	free(signature_b64);
	return r == 0;
}

/* Serves one request; false ends the peer's connection. */
static bool serve(const struct signer_keys *k, struct peer *p, struct msg *m)
{
	struct sluice_error err;
	EVP_PKEY *key = k->key;
	const char *key_id = k->key_id;
	if (p->role == ROLE_ROUTER && m->type == MSG_SIGN_RECORD) {
		char *receipt = NULL;
		size_t len = 0;
		if (receipt_sign_json(m->body.data, m->body.len, key, key_id, &receipt, &len,
		                      &err) != SLUICE_OK) {
			daemon_log(LOG_ERR, "signer", "refused to sign a record: %s", err.message);
			answer_fail(p->fd, m->id, err.message);
			return true;
		}
		int r = msg_send(p->fd, MSG_RECEIPT, m->id, receipt, len, -1);
		free(receipt);
		return r == 0;
	}
	if (p->role == ROLE_AUDITOR && m->type == MSG_SIGN_CHECKPOINT) {
		char why[128];
		uint8_t sig[64];
		if (!auditlog_checkpoint_payload_ok((const char *)m->body.data, m->body.len, key_id, why,
		                                    sizeof(why))) {
			daemon_log(LOG_ERR, "signer", "refused to sign a checkpoint: %s", why);
			answer_fail(p->fd, m->id, why);
			return true;
		}
		if (signature_sign(key, m->body.data, m->body.len, sig, &err) != SLUICE_OK) {
			answer_fail(p->fd, m->id, err.message);
			return true;
		}
		return msg_send(p->fd, MSG_SIGNATURE, m->id, sig, sizeof(sig), -1) == 0;
	}
	if (p->role == ROLE_ROUTER && m->type == MSG_SIGN_BINDING)
		return serve_sign_binding(k, p, m);
	daemon_log(LOG_ERR, "signer", "request %u from a peer of role %u is not on the list",
	           m->type, p->role);
	return false;
}

void signer_main(const struct daemon_ctx *d, int ctl, int auditor)
{
	struct sluice_error err;
	static struct signer_keys keys;
	char why[256];
	struct peer peers[SIGNER_MAX_PEERS];
	size_t npeers = 0;

	prctl(PR_SET_NAME, "sluiced-signer", 0, 0, 0); /* for ps, pgrep and the tests */
	if (key_load_private(d->cfg->signing_key, &keys.key, &err) != SLUICE_OK ||
	    key_id_hex(keys.key, keys.key_id, &err) != SLUICE_OK)
		daemon_fatal("signer", "%s: %s", d->cfg->signing_key, err.message);
	if (d->cfg->binding_key != NULL &&
	    binding_signer_load(d->cfg->binding_key, d->cfg->binding_cert, &keys.binding, &err) !=
	            SLUICE_OK) {
		/* A key `sluiced -t` would refuse: the supervisor exits 78 with this message. */
		char text[sizeof(err.message) + sizeof(err.file) + sizeof(err.rule) + 16];
		snprintf(text, sizeof(text), "%s: %s [%s]", err.file[0] ? err.file : d->cfg->binding_key,
		         err.message, err.rule);
		signer_keys_free(&keys);
		answer_fail(ctl, 0, text);
		_exit(78);
	}
	/* The auditor names the signing key in its checkpoints, and the workers put the binding
	 * certificate in the bindings they build: the supervisor passes both on. The certificate
	 * comes from here, read with the key it was checked against, so a certificate replaced
	 * on disk in between cannot reach the workers. */
	struct sbuf id;
	sbuf_init(&id, 4096 + keys.binding.cert_len);
	if (sbuf_put_string(&id, keys.key_id, 64) ||
	    sbuf_put_u32(&id, keys.binding.key != NULL ? (uint32_t)keys.binding.alg : 0) ||
	    sbuf_put_string(&id, keys.binding.cert_der, keys.binding.cert_len) ||
	    msg_send_sbuf(ctl, MSG_KEY_ID, 0, &id) != 0)
		daemon_fatal("signer", "cannot report the key id: %s", strerror(errno));
	sbuf_free(&id);
	daemon_drop_privileges(d, "signer");
	int keep[2] = { ctl, auditor };
	if (sandbox_enter_profile(SANDBOX_IPC, keep, 2, why, sizeof(why)) != 0)
		daemon_fatal("signer", "%s", why);
	peers[npeers++] = (struct peer){ auditor, ROLE_AUDITOR };
	for (;;) {
		struct pollfd pfd[SIGNER_MAX_PEERS + 1];
		pfd[0] = (struct pollfd){ ctl, POLLIN, 0 };
		for (size_t i = 0; i < npeers; i++)
			pfd[i + 1] = (struct pollfd){ peers[i].fd, POLLIN, 0 };
		if (poll(pfd, npeers + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			daemon_fatal("signer", "poll: %s", strerror(errno));
		}
		if (pfd[0].revents) {
			struct msg m;
			int r = msg_recv(ctl, &m, 64, &err);
			if (r <= 0) {
				signer_keys_free(&keys);
				_exit(0);
			}
			uint32_t role;
			if (m.type != MSG_NEW_PEER || m.fd < 0 || sbuf_get_u32(&m.body, &role) ||
			    role != ROLE_ROUTER || npeers == SIGNER_MAX_PEERS)
				daemon_fatal("signer", "bad control message");
			peers[npeers++] = (struct peer){ m.fd, role };
			m.fd = -1;
			msg_free(&m);
		}
		for (size_t i = 0; i < npeers; i++) {
			if (!pfd[i + 1].revents)
				continue;
			struct msg m;
			int r = msg_recv(peers[i].fd, &m, RECEIPT_MAX_RECORD_BYTES, &err);
			bool keep_peer = r > 0 && serve(&keys, &peers[i], &m);
			if (r > 0)
				msg_free(&m);
			if (!keep_peer) {
				if (peers[i].role == ROLE_AUDITOR) {
					/* it stops first on shutdown; if it crashed, the supervisor stops all */
					signer_keys_free(&keys);
					_exit(0);
				}
				close(peers[i].fd);
				peers[i] = peers[--npeers];
				break; /* the poll set changed */
			}
		}
	}
}
