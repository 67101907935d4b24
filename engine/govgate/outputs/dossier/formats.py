"""The identifiers a dossier carries and `verify` looks for: schemas, attachment names, the XMP
namespace and properties of the recorded digests, and the PDF variant."""

from __future__ import annotations

DOSSIER_SCHEMA = "govgate/dossier/v1"
MANIFEST_SCHEMA = "govgate/dossier-manifest/v1"
RESULT_ATTACHMENT = "govgate-result.json"
MANIFEST_ATTACHMENT = "govgate-evidence-manifest.json"
#: XMP namespace of the digests recorded in the PDF (described by a PDF/A extension schema).
XMP_NAMESPACE = "https://govgate.dev/ns/dossier/1.0/"
XMP_PREFIX = "govgate"
#: XMP property holding each attachment's digest.
XMP_DIGEST_PROPERTIES = {RESULT_ATTACHMENT: "resultDigest", MANIFEST_ATTACHMENT: "manifestDigest"}
PDF_VARIANT = "pdf/a-3b"
