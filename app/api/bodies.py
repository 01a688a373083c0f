"""Reading a request body that is evidence: streamed, within the size limit, held once."""

from __future__ import annotations

import io

from fastapi import Request

from app.api.middleware import BodyTooLargeError
from app.artifacts.uploads import Upload
from app.errors import PayloadTooLarge
from app.workflows.intake import EvidenceKind, rejected


async def read_body(request: Request) -> bytes:
    """The body as it streams in, held once.

    ``Request.body`` keeps every chunk until it joins them, so a large body costs
    twice its size at that moment. A ``BytesIO`` grows one buffer in place, and its
    ``getvalue`` hands that buffer over as ``bytes`` without copying it. The body
    limit is enforced by the middleware while the body streams
    (``BodyTooLargeError``).
    """
    buffer = io.BytesIO()
    async for chunk in request.stream():
        buffer.write(chunk)
    return buffer.getvalue()


async def read_evidence(
    request: Request, kind: EvidenceKind, service: str, artifact: str | None
) -> Upload:
    """A piece of evidence for ``service`` as received, its body read after the token check.

    The body limit is enforced while it streams; evidence cut off there is a
    rejection like any other, recorded in the audit log.
    """
    content_type = request.headers.get("content-type")
    try:
        body = await read_body(request)
    except BodyTooLargeError as error:
        cut_off = Upload(service, artifact, content_type, b"")
        raise rejected(PayloadTooLarge(str(error.detail)), kind, cut_off, read=False) from None
    return Upload(service, artifact, content_type, body)
