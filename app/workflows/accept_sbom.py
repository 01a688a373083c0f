"""Accept an SBOM upload: store it for the service, then refresh the service's maturity.

::

    may the token write to the service? -> store the SBOM (app.sboms.ingest)
      -> a new SBOM: the maturity snapshot after it, and how it moved

A refusal at any step before the refresh is recorded as the upload's rejection.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.artifacts.uploads import Upload
from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.auth.credentials import Principal
from app.collector import collector_paused
from app.sboms.ingest import store_sbom
from app.workflows.intake import Accepted, rejections_recorded, writable_service
from app.workflows.recheck import refresh_with_change
from app.workflows.schemas import SbomOut


def accept_sbom(
    trail: AuditTrail,
    principal: Principal,
    upload: Upload,
    *,
    trust_roots: Sequence[TrustRoot],
) -> Accepted[SbomOut]:
    """Store ``upload`` (or find it stored) and record it; refusals are audited."""
    # The collector stays off for the whole upload, not only while the document is
    # parsed: objects made while it is off still count towards its next run, and a
    # collection at the first allocation after a pause walks every one of them still
    # alive (~50 ms for 10,000 components). Everything the upload builds is freed
    # when ``store_sbom`` returns, inside the pause, so no such collection follows it.
    with collector_paused(), rejections_recorded("sbom", upload):
        service = writable_service(trail.session, principal, upload)
        stored = store_sbom(trail, service, upload)
    if not stored.created:
        return Accepted(SbomOut.of(stored.sbom), created=False)
    delta = refresh_with_change(
        trail, service, trigger=Action.SBOM_ACCEPTED, trust_roots=trust_roots
    )
    return Accepted(SbomOut.of(stored.sbom, delta), created=True)
