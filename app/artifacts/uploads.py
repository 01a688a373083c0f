"""A piece of evidence as a pipeline sent it: the service and artifact it is for, its bytes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from app.digests import content_digest

# A Content-Type longer than this is not kept; the format's own media type is.
MEDIA_TYPE_MAX = 255


@dataclass(frozen=True)
class Upload:
    """One SBOM or Sigstore bundle as the route received it."""

    service: str
    artifact: str | None  # normalised digest from the query, if given
    content_type: str | None
    body: bytes

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` of the bytes: the evidence's identity."""
        return content_digest(self.body)

    def media_type(self, default: str) -> str:
        """The Content-Type as sent, or ``default`` (the format's own) when absent or too long."""
        sent = (self.content_type or "").strip()
        if sent and len(sent) <= MEDIA_TYPE_MAX:
            return sent
        return default
