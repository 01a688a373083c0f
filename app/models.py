"""Registry of every ORM model module, so Alembic sees the whole schema."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "app.auth.models",
    "app.services.models",
    "app.audit.models",
    "app.blobs.models",
    "app.policy.models",
    "app.artifacts.models",
    "app.sboms.models",
    "app.attestations.models",
    "app.provenance.models",
    "app.vulnerabilities.models",
    "app.scoring.models",
)


def load_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
