"""Storage of the OpenVEX statements of verified attestations, one row a statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime
from app.sboms.models import BigId

STATUS_MAX = 32


class VexStatement(Base):
    """One statement of the OpenVEX document an attestation carried (``openvex.Statement``).

    Written once when the attestation is accepted (or by migration 0014 for those
    stored before); whether it counts is the attestation's latest receipt's to say.
    """

    __tablename__ = "vex_statements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attestation_id: Mapped[int] = mapped_column(ForeignKey("attestations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # its index in the document's statements
    vulnerability: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(STATUS_MAX))
    justification: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    # Product.to_json of each product; null: the attestation's subjects.
    products: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
