"""Signed checkpoints of the audit tree, the Ed25519 key that signs them, and witness files.

A checkpoint (a *signed tree head* in RFC 9162's words) states the tree's size and root at a
moment, signed with an Ed25519 key kept in a file outside the database (``trustscore audit
keygen``; the path comes from settings). Checkpoints are stored in the ledger and copied out to
*witness files* (``trustscore audit checkpoint --out FILE``): one JSON object a line, held by
someone the operator does not control. Whoever rewrites the database, even recomputing every
hash, cannot make the new tree consistent with a root a witness holds, nor sign a new one
without the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from trustscore.exceptions import AuditChainError, EngineError, LedgerError
from trustscore.ledger._audit import _HEAD_ID, decode_frontier
from trustscore.ledger._checks import moment
from trustscore.ledger._merkle import frontier_root
from trustscore.ledger._tables import AuditCheckpointRow, AuditHeadRow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from trustscore.ledger._db import Ledger

__all__ = [
    "Checkpoint",
    "SigningKey",
    "audit_checkpoints",
    "generate_signing_key",
    "latest_checkpoint",
    "load_signing_key",
    "read_witness",
    "sign_checkpoint",
    "write_witness",
]

_FORMAT: Final = "trustscore audit checkpoint v1"


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:  # pragma: no cover - a dependency of trustscore
        msg = "Signed audit checkpoints need cryptography: pip install 'cryptography>=43'."
        raise EngineError(msg) from exc
    return ed25519


def key_id_of(public_key_hex: str) -> str:
    """The id of a public key: the first 16 hex digits of SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


def checkpoint_message(tree_size: int, root_hash: str, at: dt.datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    stamp = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return f"{_FORMAT}\n{tree_size}\n{root_hash}\n{stamp}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the audit tree had ``tree_size`` leaves and ``root_hash`` at ``at``.

    ``public_key`` (hex of the 32 raw Ed25519 bytes) is the key that signed it; ``key_id``
    names it. :meth:`signature_ok` checks the signature.
    """

    tree_size: int
    root_hash: str
    at: dt.datetime
    key_id: str
    public_key: str
    signature: str

    def signature_ok(self) -> bool:
        """Whether ``signature`` is this checkpoint's, made by ``public_key``."""
        ed25519 = _crypto()
        try:
            key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            key.verify(
                bytes.fromhex(self.signature),
                checkpoint_message(self.tree_size, self.root_hash, self.at),
            )
        except Exception:
            return False
        return key_id_of(self.public_key) == self.key_id

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as one JSON object (a witness file's line)."""
        out = asdict(self)
        out["at"] = self.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return out

    @classmethod
    def from_json(cls, value: Any, *, where: str = "checkpoint") -> Checkpoint:
        """A checkpoint from :meth:`to_json`'s form; a malformed one raises ``LedgerError``."""
        try:
            at = dt.datetime.fromisoformat(value["at"])
            if at.tzinfo is None:
                raise ValueError("a checkpoint's time must carry its UTC offset")
            made = cls(
                int(value["tree_size"]), str(value["root_hash"]), at.astimezone(dt.UTC),
                str(value["key_id"]), str(value["public_key"]), str(value["signature"]),
            )  # fmt: skip
            bytes.fromhex(made.root_hash)
        except (KeyError, TypeError, ValueError) as exc:
            msg = (
                f"{where} is not a trustscore checkpoint ({exc!r}); it needs tree_size, "
                "root_hash, at, key_id, public_key and signature, as `trustscore audit "
                "checkpoint --out` writes them."
            )
            raise LedgerError(msg, file=where) from exc
        return made


class SigningKey:
    """An Ed25519 private key that signs checkpoints (see :func:`load_signing_key`)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives import serialization

        self._key = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key: Final = raw.hex()
        self.key_id: Final = key_id_of(self.public_key)

    def sign(self, message: bytes) -> str:
        """The hex Ed25519 signature of ``message``."""
        return bytes(self._key.sign(message)).hex()


def generate_signing_key(path: Path) -> SigningKey:
    """Write a new Ed25519 private key to ``path`` (PEM, PKCS#8, mode 0600); never overwrites."""
    from cryptography.hazmat.primitives import serialization

    key = _crypto().Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        msg = (
            f"The signing key file {path} exists already; a new key would orphan the "
            "checkpoints it signed. Move it away first if you really mean to replace it."
        )
        raise LedgerError(msg, file=str(path)) from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return SigningKey(key)


def load_signing_key(path: Path) -> SigningKey:
    """The Ed25519 key in ``path``; a missing or malformed file raises ``LedgerError``."""
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        msg = (
            f"There is no audit signing key at {path}. Create one with `trustscore audit "
            "keygen` (or set TRUSTSCORE_AUDIT_KEY_FILE to where it is)."
        )
        raise LedgerError(msg, file=str(path)) from None
    except (ValueError, TypeError) as exc:
        msg = (
            f"{path} is not an unencrypted PEM private key ({exc}); use `trustscore audit keygen`."
        )
        raise LedgerError(msg, file=str(path)) from exc
    if not isinstance(key, _crypto().Ed25519PrivateKey):
        msg = f"{path} holds a {type(key).__name__}, not an Ed25519 key."
        raise LedgerError(msg, file=str(path))
    return SigningKey(key)


def _checkpoint(row: AuditCheckpointRow) -> Checkpoint:
    return Checkpoint(
        row.tree_size, row.root_hash, row.at, row.key_id, row.public_key, row.signature
    )


def sign_checkpoint(
    ledger: Ledger, key: SigningKey, *, now: dt.datetime | None = None
) -> Checkpoint:
    """Sign the tree as it is now and store the checkpoint; the latest one if nothing changed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from trustscore.ledger import Ledger, audit_append
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> key = generate_signing_key(pathlib.Path(tempfile.mkdtemp()) / "audit.key")
    >>> _ = audit_append(ledger, "ops", "note", {})
    >>> cp = sign_checkpoint(ledger, key)
    >>> (cp.tree_size, cp.signature_ok(), sign_checkpoint(ledger, key) == cp)
    (1, True, True)
    """
    at = moment(now)
    with ledger.transaction() as session:
        head = session.scalars(
            select(AuditHeadRow).where(AuditHeadRow.head_id == _HEAD_ID).with_for_update()
        ).one_or_none()
        if head is None:
            msg = "The ledger has no audit head: run Ledger.upgrade() first."
            raise AuditChainError(msg)
        root = frontier_root(decode_frontier(head.frontier or "")).hex()
        last = session.scalars(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.checkpoint_id.desc()).limit(1)
        ).one_or_none()
        if last is not None and (last.tree_size, last.root_hash, last.key_id) == (
            head.seq,
            root,
            key.key_id,
        ):
            return _checkpoint(last)
        signature = key.sign(checkpoint_message(head.seq, root, at))
        row = AuditCheckpointRow(
            tree_size=head.seq, root_hash=root, at=at, key_id=key.key_id,
            public_key=key.public_key, signature=signature,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return _checkpoint(row)


def audit_checkpoints(ledger: Ledger) -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    with ledger.reading() as session:
        rows = session.scalars(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.checkpoint_id)
        )
        return [_checkpoint(r) for r in rows]


def latest_checkpoint(ledger: Ledger) -> Checkpoint | None:
    """The latest stored checkpoint, or None before the first."""
    with ledger.reading() as session:
        row = session.scalars(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.checkpoint_id.desc()).limit(1)
        ).one_or_none()
        return None if row is None else _checkpoint(row)


def read_witness(path: Path) -> list[Checkpoint]:
    """The checkpoints in a witness file (one JSON object a line, blank lines skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        msg = f"Cannot read the witness file {path}: {exc.strerror or exc}."
        raise LedgerError(msg, file=str(path)) from exc
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{where} is not JSON ({exc.msg}); a witness file holds one checkpoint a line."
            raise LedgerError(msg, file=str(path), line=number) from exc
        out.append(Checkpoint.from_json(value, where=where))
    return out


def write_witness(path: Path, checkpoint: Checkpoint) -> bool:
    """Append ``checkpoint`` to the witness file ``path``; False if it holds it already."""
    held = read_witness(path) if path.exists() else []
    if checkpoint in held:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(checkpoint.to_json(), sort_keys=True) + "\n")
    return True
