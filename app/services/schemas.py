"""Wire schemas of the services registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from app.pagination import Page
from app.services.names import (
    REPOSITORY_MAX,
    SERVICE_NAME_MAX,
    SERVICE_NAME_PATTERN,
    normalize_repository,
)
from app.wire import PRINTABLE_PATTERN, InputModel, OutputModel

ServiceName = Annotated[
    str,
    StringConstraints(max_length=SERVICE_NAME_MAX, pattern=SERVICE_NAME_PATTERN),
    Field(description="Lower-case slug: a-z, 0-9 and inner hyphens, at most 63 characters."),
]
RepositoryUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REPOSITORY_MAX, pattern=PRINTABLE_PATTERN),
    AfterValidator(normalize_repository),
    Field(
        description="https URL of the source repository; stored without a trailing / or .git.",
        examples=["https://github.com/acme/payments"],
    ),
]
Owner = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE_PATTERN),
    Field(description="The team or person responsible for the service."),
]


class ServiceCreate(InputModel):
    name: ServiceName
    repository: RepositoryUrl
    owner: Owner | None = None


class ServiceUpdate(InputModel):
    """Fields to change; absent fields keep their value, ``owner: null`` clears the owner."""

    repository: RepositoryUrl | None = None
    owner: Owner | None = None

    @field_validator("repository")
    @classmethod
    def _repository_not_null(cls, value: str | None) -> str:
        # Runs only when the field is given (not for the default), so the
        # error is located at body.repository rather than at the whole body.
        if value is None:
            raise ValueError("repository cannot be removed, only changed")
        return value


class ServiceOut(OutputModel):
    name: str
    repository: str
    owner: str | None
    created_at: datetime
    updated_at: datetime


class ServicePage(Page[ServiceOut]):
    """One page of services in name order."""
