"""Signed audit checkpoints from a thread of the service, while entries are added.

``Settings.audit_checkpoint_interval_s > 0`` turns it on: every interval the thread signs the
tree as it is (one short write transaction; nothing when no entry was added since) with the key
in ``Settings.audit_key_file``. A witness fetches the latest with ``GET /v1/audit/checkpoint``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from trustscore import ledger as lg

__all__ = ["CheckpointSigner"]

logger = logging.getLogger(__name__)


class CheckpointSigner:
    """Signs a checkpoint of ``ledger`` every ``interval_s`` seconds until :meth:`stop`.

    The key is loaded when the signer is built, so a missing key fails the start of the
    service, not a thread later.
    """

    def __init__(self, ledger: lg.Ledger, key_file: Path, interval_s: float) -> None:
        self.ledger = ledger
        self.key = lg.load_signing_key(key_file)
        self.interval_s = interval_s
        self.signed = 0
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> None:
        """Start signing."""
        self._thread.start()

    def stop(self) -> None:
        """Sign the tree once more, as it is at shutdown, and end the thread."""
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            stopping = self._halt.wait(self.interval_s)
            try:
                lg.sign_checkpoint(self.ledger, self.key)
                self.signed += 1
            except Exception:  # the next interval tries again; requests never depend on it
                logger.exception("Signing an audit checkpoint failed")
            if stopping:
                return
