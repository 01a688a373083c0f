"""Reading a request body that is evidence: streamed, within the size limit, held once."""

from __future__ import annotations

import io

from fastapi import Request


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
