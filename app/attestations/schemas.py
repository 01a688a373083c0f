"""Wire schemas of service policies."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from app.attestations.policy import MAX_IDENTITIES, AllowedIdentity
from app.wire import InputModel, OutputModel


class PolicyUpdate(InputModel):
    """Fields to change; absent fields keep their current value."""

    identities: list[AllowedIdentity] | None = Field(
        default=None,
        max_length=MAX_IDENTITIES,
        description=(
            "Replaces the allowed identities. A signer is accepted when it matches any one "
            "of them; an empty list accepts nobody. Absent: the identities are kept."
        ),
    )

    @field_validator("identities")
    @classmethod
    def _identities_listed_once(cls, value: list[AllowedIdentity] | None) -> list[AllowedIdentity]:
        # Runs only when the field is given, so the error is located at body.identities.
        if value is None:
            raise ValueError("identities cannot be null: send [] to accept no signer")
        first_at: dict[AllowedIdentity, int] = {}
        for index, identity in enumerate(value):
            earlier = first_at.setdefault(identity, index)
            if earlier != index:
                raise ValueError(f"identities[{index}] repeats identities[{earlier}]")
        return value


class PolicyOut(OutputModel):
    """The policy in force for a service."""

    service: str
    version: int = Field(
        ge=0,
        description=(
            "1, 2, … for stored versions, one more on every change. 0: no version is stored "
            "and the default for the service's repository applies: a GitHub repository's "
            "own Actions workflows, on any other host no signer at all."
        ),
    )
    digest: str = Field(
        description=(
            "sha256 of the RFC 8785 canonical JSON of the policy (absent constraints left "
            "out); receipts name the policy they were verified against by this digest."
        ),
        examples=["sha256:" + "0" * 64],
    )
    identities: list[AllowedIdentity] = Field(
        description="A signer is accepted when it matches any one of these; none: nobody."
    )
    created_at: datetime | None = Field(
        description="When this version was stored; null for version 0."
    )
    created_by: str | None = Field(
        description="Name of the token (or operator) that stored it; null for version 0."
    )
