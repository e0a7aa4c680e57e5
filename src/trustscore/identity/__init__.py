"""Identity: deciding which records belong to which subject.

Furnishers name subjects by identity fields (national ID or registration code, names, birth
date, address); :func:`link_files` links each row to a subject — deterministically on a valid ID,
probabilistically with a Splink (Fellegi–Sunter) model trained on the store's own profiles, with
pairs between two match-weight thresholds held for clerical review — and ingests the records.
Identity fields stay in :class:`IdentityStore`, apart from the records; every link is in the
ledger with its evidence. :func:`export_links` writes every stored record's link for measurement.
"""

from __future__ import annotations

from trustscore.identity._cluster import Clustering, Edge, Profile, cluster
from trustscore.identity._export import export_links
from trustscore.identity._link import DEFAULT_LOWER, DEFAULT_UPPER, LinkResult, link_files
from trustscore.identity._store import IdentityStore

__all__ = [
    "DEFAULT_LOWER",
    "DEFAULT_UPPER",
    "Clustering",
    "Edge",
    "IdentityStore",
    "LinkResult",
    "Profile",
    "cluster",
    "export_links",
    "link_files",
]
