"""The problems an SBOM upload can run into before anything is stored::

    UnsupportedMediaType
    └── SbomUnsupportedFormat       415 sbom-unsupported-format
    BadRequest
    └── SbomMalformed               400 sbom-malformed
    InvalidRequest
    ├── SbomSchemaInvalid           422 sbom-schema-invalid
    └── SbomUnsupportedVersion      422 sbom-unsupported-version

``reasons`` say what exactly is wrong: the parser's message for a malformed
document, "<location>: <message>" for each of the first schema violations.
"""

from __future__ import annotations

from app.errors import AppError, BadRequest, InvalidRequest, UnsupportedMediaType


class SbomUnsupportedFormat(UnsupportedMediaType):
    slug = "sbom-unsupported-format"
    title = "Unsupported SBOM format"


class SbomMalformed(BadRequest):
    slug = "sbom-malformed"
    title = "SBOM is not well-formed"


class SbomSchemaInvalid(InvalidRequest):
    slug = "sbom-schema-invalid"
    title = "SBOM does not match its schema"


class SbomUnsupportedVersion(InvalidRequest):
    slug = "sbom-unsupported-version"
    title = "Unsupported SBOM specification version"


# What a route that takes an SBOM declares, for problem_responses(*SBOM_PROBLEMS).
SBOM_PROBLEMS: tuple[type[AppError], ...] = (
    SbomUnsupportedFormat,
    SbomMalformed,
    SbomSchemaInvalid,
    SbomUnsupportedVersion,
)
