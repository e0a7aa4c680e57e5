"""``trustscore audit``: the signing key, signed checkpoints for witnesses, and verification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import fail, guarded
from trustscore.cli._ops import _ledger

audit_app = typer.Typer(
    help="The tamper-evident audit log: a hash chain and a Merkle tree with signed checkpoints.",
    no_args_is_help=True,
)


@audit_app.command("keygen")
def audit_keygen() -> None:
    """Create the Ed25519 key that signs checkpoints (TRUSTSCORE_AUDIT_KEY_FILE)."""
    from trustscore.ledger import generate_signing_key
    from trustscore.settings import get_settings

    def run() -> None:
        path = get_settings().audit_key_file
        key = generate_signing_key(path)
        typer.echo(f"signing key {key.key_id} written to {path} (mode 0600)")
        typer.echo(f"public key (give it to witnesses): {key.public_key}")

    guarded(run)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        list[Path] | None,
        typer.Option("--out", help="A witness file to append the checkpoint to (repeatable)."),
    ] = None,
) -> None:
    """Sign the audit tree as it is now and append the checkpoint to witness files."""
    from trustscore.ledger import load_signing_key, sign_checkpoint, write_witness
    from trustscore.settings import get_settings

    def run() -> None:
        key = load_signing_key(get_settings().audit_key_file)
        cp = sign_checkpoint(_ledger(), key)
        typer.echo(
            f"checkpoint: {cp.tree_size:,} entries, root {cp.root_hash}, signed by {cp.key_id} "
            f"at {cp.at.isoformat()}"
        )
        for path in out or ():
            added = write_witness(path, cp)
            typer.echo(f"{'appended to' if added else 'already in'} {path}")

    guarded(run)


@audit_app.command("verify")
def audit_verify(
    witness: Annotated[
        list[Path] | None,
        typer.Option("--witness", help="A witness file of checkpoints kept elsewhere."),
    ] = None,
) -> None:
    """Recompute the log; check it against checkpoints, witness files and the tables it covers.

    Exits 1 naming what fails: an edited entry, a log rewritten since a checkpoint, or a row
    of a registered table (a client's role, a dispute, ...) edited behind the log.
    """
    from trustscore.ledger import audit_verify as verify
    from trustscore.ledger import load_signing_key, read_witness
    from trustscore.settings import get_settings

    def run() -> None:
        held = [cp for path in witness or () for cp in read_witness(path)]
        key_file = get_settings().audit_key_file
        trusted = [load_signing_key(key_file).public_key] if key_file.is_file() else None
        result = verify(_ledger(), witnesses=held, trusted_keys=trusted)
        if not result.ok:
            where = "" if result.first_bad_seq is None else f" at entry {result.first_bad_seq}"
            raise fail(f"the audit log does not verify{where}: {result.reason}")
        typer.echo(
            f"audit chain verified: {result.n_entries:,} entries, head {result.head_hash}; "
            f"tree root {result.root_hash}; {result.checkpoints_checked} stored and "
            f"{result.witnessed_checked} witnessed checkpoint(s), {result.rows_checked} "
            "committed row(s) checked"
        )

    guarded(run)
