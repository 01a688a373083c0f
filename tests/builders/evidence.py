"""Evidence as a use case receives it: an ``Upload`` of an SBOM document or a Sigstore bundle.

The route reads the query and the body into an ``Upload``; these build the same
value for a test that calls ``accept_sbom`` or ``accept_bundle`` directly.
"""

from __future__ import annotations

from app.artifacts.uploads import Upload
from tests.builders.services import SERVICE
from tests.sboms.uploads import DIGEST_A
from tests.sigstore_local import BuiltBundle

CYCLONEDX_JSON = "application/vnd.cyclonedx+json"


def sbom_upload(
    body: bytes,
    *,
    service: str = SERVICE,
    artifact: str | None = DIGEST_A,
    content_type: str | None = CYCLONEDX_JSON,
) -> Upload:
    """An SBOM for ``artifact`` of ``service``, sent as ``content_type``."""
    return Upload(service, artifact, content_type, body)


def bundle_upload(
    bundle: BuiltBundle, *, service: str = SERVICE, artifact: str | None = None
) -> Upload:
    """A bundle from the local test Sigstore, sent with its own media type."""
    return Upload(service, artifact, bundle.version.value, bundle.content)
