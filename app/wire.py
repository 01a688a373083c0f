"""Building blocks shared by the wire (API) schemas of every domain."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# No C0/C1 control characters (NUL included: PostgreSQL refuses it in text).
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


class InputModel(BaseModel):
    """Base of request bodies: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutputModel(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(from_attributes=True)
