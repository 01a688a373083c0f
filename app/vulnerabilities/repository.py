"""SQL for the VEX statements of attestations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from app.vulnerabilities.findings import AttestedStatement
from app.vulnerabilities.models import VexStatement
from app.vulnerabilities.openvex import (
    Statement,
    VexStatus,
    products_from_json,
    statement_row,
)

_STATEMENTS = cast(Table, VexStatement.__table__)


class VexRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attestation_id: int, statements: Sequence[Statement]) -> None:
        """The statements of one attestation, in document order, in one statement."""
        if statements:
            self.session.connection().execute(
                insert(_STATEMENTS),
                [
                    statement_row(attestation_id, index, statement)
                    for index, statement in enumerate(statements)
                ],
            )

    def of_attestations(self, attestation_ids: Collection[int]) -> list[AttestedStatement]:
        """Every statement of these attestations."""
        if not attestation_ids:
            return []
        rows = self.session.scalars(
            select(VexStatement)
            .where(VexStatement.attestation_id.in_(sorted(attestation_ids)))
            .order_by(VexStatement.id)
        )
        return [
            AttestedStatement(
                row.attestation_id,
                row.position,
                Statement(
                    vulnerability=row.vulnerability,
                    aliases=tuple(row.aliases),
                    status=cast(VexStatus, row.status),
                    justification=row.justification,
                    timestamp=row.timestamp,
                    products=products_from_json(row.products),
                ),
            )
            for row in rows
        ]
