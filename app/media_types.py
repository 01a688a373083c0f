"""Content-Type headers taken apart (RFC 9110 media types). Pure."""

from __future__ import annotations

import re

# RFC 9110 token and quoted-string, enough to take parameters apart.
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAMETER = re.compile(rf"\s*;\s*({_TCHARS})\s*=\s*({_TCHARS}|\"(?:[^\"\\]|\\.)*\")\s*", re.ASCII)
_ESSENCE = re.compile(rf"\s*({_TCHARS}/{_TCHARS})\s*", re.ASCII)


class MediaTypeError(ValueError):
    """Why a Content-Type is not a media type; the message is a reason for a client."""


def parse_media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """(lower-case essence, parameters by lower-case name) of a Content-Type.

    Quoted parameter values are unquoted; a later parameter of the same name wins.
    """
    if not content_type or not content_type.strip():
        raise MediaTypeError("a Content-Type is required")
    essence_match = _ESSENCE.match(content_type)
    if essence_match is None:
        raise MediaTypeError("the Content-Type is not a media type")
    parameters: dict[str, str] = {}
    position = essence_match.end()
    while position < len(content_type):
        match = _PARAMETER.match(content_type, position)
        if match is None:
            raise MediaTypeError("the Content-Type has malformed parameters")
        value = match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        parameters[match.group(1).lower()] = value
        position = match.end()
    return essence_match.group(1).lower(), parameters
