#include "s4778_binding.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/evp.h>

#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_SHA384 "http://www.w3.org/2001/04/xmldsig-more#sha384"
#define ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"
#define ENVELOPED_BDO_XPATH "not(ancestor-or-self::mb:BindingInformation)"

static bool base64(const uint8_t *p, size_t n, char **out)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	*out = malloc(cap);
	if (*out == NULL)
		return false;
	int w = EVP_EncodeBlock((unsigned char *)*out, p, (int)n);
	return w >= 0 && (size_t)w < cap;
}

/* ---- the node-sets of the two references -------------------------------------------------- */

struct node_set {
	xmlNodePtr apex;     /* with `inside`: the subtree of apex; else: all but apex's subtree */
	bool inside;
};

static bool below(xmlNodePtr n, xmlNodePtr apex)
{
	for (; n != NULL; n = n->parent)
		if (n == apex)
			return true;
	return false;
}

/* libxml2's C14N asks node by node; a namespace node comes as an xmlNs with its element as
 * `parent`, an attribute with its element as its own parent. */
static int visible(void *arg, xmlNodePtr node, xmlNodePtr parent)
{
	const struct node_set *set = arg;
	xmlNodePtr at = node != NULL && node->type == XML_NAMESPACE_DECL ? parent : node;
	if (at == NULL)
		return set->inside ? 0 : 1;
	if (at->type == XML_COMMENT_NODE)
		return 0; /* same-document references exclude comments */
	bool in = below(at, set->apex);
	return set->inside ? in : !in;
}

static enum sluice_rc canonical(xmlDocPtr doc, const struct node_set *set, uint8_t **out,
                                size_t *outlen, struct sluice_error *err)
{
	xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
	if (buf == NULL)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.c14n", "out of memory");
	int r = xmlC14NExecute(doc, visible, (void *)set, XML_C14N_EXCLUSIVE_1_0, NULL, 0, buf);
	if (r < 0) {
		xmlOutputBufferClose(buf);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.c14n",
		                   "exclusive canonicalisation failed");
	}
	size_t n = xmlOutputBufferGetSize(buf);
	*out = malloc(n + 1);
	if (*out == NULL) {
		xmlOutputBufferClose(buf);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.c14n", "out of memory");
	}
	memcpy(*out, xmlOutputBufferGetContent(buf), n);
	(*out)[n] = 0;
	*outlen = n;
	xmlOutputBufferClose(buf);
	return SLUICE_OK;
}

static enum sluice_rc digest_b64(xmlDocPtr doc, const struct node_set *set, char **out,
                                 struct sluice_error *err)
{
	uint8_t *c = NULL, md[48];
	size_t n = 0;
	unsigned mdlen = 0;
	enum sluice_rc rc = canonical(doc, set, &c, &n, err);
	if (rc != SLUICE_OK)
		return rc;
	bool ok = EVP_Digest(c, n, md, &mdlen, EVP_sha384(), NULL) == 1 && mdlen == 48 &&
	          base64(md, mdlen, out);
	free(c);
	if (!ok)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.digest", "SHA-384 failed");
	return SLUICE_OK;
}

/* ---- building the binding ----------------------------------------------------------------- */

static xmlNodePtr algorithm(xmlNodePtr parent, xmlNsPtr ds, const char *name, const char *alg)
{
	xmlNodePtr n = xmlNewChild(parent, ds, (const xmlChar *)name, NULL);
	xmlNewProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)alg);
	return n;
}

static xmlNodePtr reference(xmlNodePtr signed_info, xmlNsPtr ds, xmlNsPtr mb, const char *uri,
                            bool enveloped_bdo)
{
	xmlNodePtr ref = xmlNewChild(signed_info, ds, (const xmlChar *)"Reference", NULL);
	xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)uri);
	xmlNodePtr transforms = xmlNewChild(ref, ds, (const xmlChar *)"Transforms", NULL);
	if (enveloped_bdo) {
		xmlNodePtr t = algorithm(transforms, ds, "Transform", ALG_XPATH);
		xmlNodePtr xp = xmlNewTextChild(t, ds, (const xmlChar *)"XPath",
		                                (const xmlChar *)ENVELOPED_BDO_XPATH);
		/* The expression's prefix must be declared where it is evaluated. */
		xmlNewNs(xp, mb->href, mb->prefix);
	}
	algorithm(transforms, ds, "Transform", ALG_EXC_C14N);
	algorithm(ref, ds, "DigestMethod", ALG_SHA384);
	return ref;
}

enum sluice_rc s4778_bind(xmlDocPtr doc, xmlNodePtr label, const uint8_t *cert_der,
                          size_t certlen, enum s4778_sig_alg alg, const char *placeholder,
                          uint8_t **signed_info, size_t *signed_info_len,
                          struct sluice_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *cert_b64 = NULL, *d1 = NULL, *d2 = NULL;
	enum sluice_rc rc;

	*signed_info = NULL;
	*signed_info_len = 0;
	if (root == NULL || label == NULL || placeholder == NULL ||
	    strlen(placeholder) != S4778_PLACEHOLDER_LEN)
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.input",
		                   "nothing to bind, or no placeholder for the signature");
	if (!base64(cert_der, certlen, &cert_b64)) {
		free(cert_b64);
		return sluice_fail(err, SLUICE_ERR_INTERNAL, "binding.cert", "out of memory");
	}
	xmlNodePtr bi = xmlNewDocNode(doc, NULL, (const xmlChar *)"BindingInformation", NULL);
	xmlNsPtr mb = xmlNewNs(bi, (const xmlChar *)S4778_NAMESPACE, (const xmlChar *)"mb");
	xmlSetNs(bi, mb);
	xmlAddChild(root, bi);
	/* ds:Signature comes first in a BindingInformation (the ADatP-4778 schema). */
	xmlNodePtr sig = xmlNewChild(bi, NULL, (const xmlChar *)"Signature", NULL);
	xmlNsPtr ds = xmlNewNs(sig, (const xmlChar *)XMLDSIG_NAMESPACE, (const xmlChar *)"ds");
	xmlSetNs(sig, ds);
	xmlNodePtr si = xmlNewChild(sig, ds, (const xmlChar *)"SignedInfo", NULL);
	algorithm(si, ds, "CanonicalizationMethod", ALG_EXC_C14N);
	algorithm(si, ds, "SignatureMethod",
	          alg == S4778_RSA_SHA256 ? ALG_RSA_SHA256 : ALG_ECDSA_SHA256);
	xmlNodePtr ref_binding = reference(si, ds, mb, "#" S4778_BINDING_ID, false);
	xmlNodePtr ref_document = reference(si, ds, mb, "", true);
	xmlNewTextChild(sig, ds, (const xmlChar *)"SignatureValue", (const xmlChar *)placeholder);
	xmlNodePtr ki = xmlNewChild(sig, ds, (const xmlChar *)"KeyInfo", NULL);
	xmlNodePtr x509 = xmlNewChild(ki, ds, (const xmlChar *)"X509Data", NULL);
	xmlNewTextChild(x509, ds, (const xmlChar *)"X509Certificate", (const xmlChar *)cert_b64);

	xmlNodePtr container = xmlNewChild(bi, mb, (const xmlChar *)"MetadataBindingContainer", NULL);
	xmlNodePtr binding = xmlNewChild(container, mb, (const xmlChar *)"MetadataBinding", NULL);
	xmlNewProp(binding, (const xmlChar *)"Id", (const xmlChar *)S4778_BINDING_ID);
	xmlNodePtr metadata = xmlNewChild(binding, mb, (const xmlChar *)"Metadata", NULL);
	xmlNodePtr copy = xmlDocCopyNode(label, doc, 1);
	xmlAddChild(metadata, copy);
	/* The copy keeps the namespace declarations it used in its old place. */
	xmlReconciliateNs(doc, copy);
	xmlNodePtr dref = xmlNewChild(binding, mb, (const xmlChar *)"DataReference", NULL);
	xmlNewProp(dref, (const xmlChar *)"URI", (const xmlChar *)"");

	struct node_set binding_set = { binding, true };
	struct node_set document_set = { bi, false };
	struct node_set signed_info_set = { si, true };
	rc = digest_b64(doc, &binding_set, &d1, err);
	if (rc == SLUICE_OK)
		rc = digest_b64(doc, &document_set, &d2, err);
	if (rc == SLUICE_OK) {
		xmlNewTextChild(ref_binding, ds, (const xmlChar *)"DigestValue", (const xmlChar *)d1);
		xmlNewTextChild(ref_document, ds, (const xmlChar *)"DigestValue", (const xmlChar *)d2);
		rc = canonical(doc, &signed_info_set, signed_info, signed_info_len, err);
	}
	free(cert_b64);
	free(d1);
	free(d2);
	return rc;
}
