"""Wire schemas of the audit log and the published signing keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.audit.checkpoint import verifier_key
from app.audit.log import ConsistencyProof, Entry, InclusionProof, SignedCheckpoint
from app.signing import ALGORITHM, KeyPurpose, PublicKey
from app.wire import OutputModel

HexHash = str


class PublicKeyOut(OutputModel):
    key_id: str = Field(description="Hex SHA-256 of the DER SubjectPublicKeyInfo.")
    algorithm: str = Field(examples=["ed25519"])
    public_key_pem: str
    purposes: list[KeyPurpose] = Field(
        description="What the key signs: audit-checkpoints (the audit log's checkpoints), "
        "verification-summaries (the deploy gate's VSAs). Accept a key only for these."
    )
    note_key_name: str | None = Field(
        description="Name under which the key signs checkpoint notes; null for a key that "
        "signs no checkpoints."
    )
    note_verifier_key: str | None = Field(
        description="The key as signed-note verifiers take it: name+hex key ID+base64 key; "
        "null for a key that signs no checkpoints."
    )


class KeysOut(OutputModel):
    keys: list[PublicKeyOut]

    @classmethod
    def of(cls, service_key: PublicKey, vsa_key: PublicKey, origin: str) -> KeysOut:
        """The service key first; the summaries' key after it when it is another key."""
        audit = KeyPurpose.AUDIT_CHECKPOINTS
        summaries = KeyPurpose.VERIFICATION_SUMMARIES
        if vsa_key.key_id == service_key.key_id:
            return cls(keys=[_published(service_key, [audit, summaries], origin)])
        return cls(
            keys=[_published(service_key, [audit], origin), _published(vsa_key, [summaries], None)]
        )


def _published(key: PublicKey, purposes: list[KeyPurpose], origin: str | None) -> PublicKeyOut:
    """``key`` as /v1/keys lists it; ``origin`` names the checkpoints it signs, if any."""
    return PublicKeyOut(
        key_id=key.key_id,
        algorithm=ALGORITHM,
        public_key_pem=key.pem,
        purposes=purposes,
        note_key_name=origin,
        note_verifier_key=verifier_key(origin, key) if origin is not None else None,
    )


class CheckpointOut(OutputModel):
    origin: str
    tree_size: int
    root_hash: HexHash
    signed_note: str = Field(description="The checkpoint as a C2SP signed note.")

    @classmethod
    def of(cls, signed: SignedCheckpoint) -> CheckpointOut:
        return cls(
            origin=signed.checkpoint.origin,
            tree_size=signed.checkpoint.size,
            root_hash=signed.checkpoint.root.hex(),
            signed_note=signed.note,
        )


class EntryOut(OutputModel):
    index: int
    leaf: str = Field(description="The exact canonical JSON (RFC 8785) text that was hashed.")
    leaf_hash: HexHash = Field(description="SHA-256(0x00 || leaf), hex.")
    checkpoint_signature: str = Field(
        description="Signature line value of the checkpoint at size index + 1, signed on append."
    )

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(
            index=entry.index,
            leaf=entry.leaf,
            leaf_hash=entry.leaf_hash.hex(),
            checkpoint_signature=entry.checkpoint_signature,
        )


class EntriesOut(OutputModel):
    tree_size: int
    entries: list[EntryOut]
    next: int | None = Field(description="The `start` of the next page; null at the end.")


class EntriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int = Field(default=0, ge=0, description="Index of the first entry.")
    limit: int = Field(default=100, description="Page size; values outside 1..1000 are clamped.")


class InclusionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, description="Index of the leaf.")
    tree_size: int | None = Field(
        default=None, ge=1, description="Size of the tree; the current size when absent."
    )


class ConsistencyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: int = Field(ge=1, description="Size of the older tree.")
    second: int | None = Field(
        default=None, ge=1, description="Size of the newer tree; the current size when absent."
    )


class InclusionOut(OutputModel):
    index: int
    tree_size: int
    leaf_hash: HexHash
    hashes: list[HexHash] = Field(description="RFC 6962 audit path, leaf to root.")
    root_hash: HexHash

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionOut:
        return cls(
            index=proof.index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            hashes=[value.hex() for value in proof.hashes],
            root_hash=proof.root.hex(),
        )


class ConsistencyOut(OutputModel):
    first: int
    second: int
    hashes: list[HexHash] = Field(description="RFC 6962 consistency proof.")
    first_root_hash: HexHash
    second_root_hash: HexHash

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyOut:
        return cls(
            first=proof.first,
            second=proof.second,
            hashes=[value.hex() for value in proof.hashes],
            first_root_hash=proof.first_root.hex(),
            second_root_hash=proof.second_root.hex(),
        )
