"""The package's public names: what __all__ promises is importable, and nothing else leaks."""

from __future__ import annotations

import importlib

import pytest

import trustscore


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical."""
    rank = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return rank, name


PACKAGES = [
    "trustscore.decisions",
    "trustscore.features",
    "trustscore.ledger",
    "trustscore.model",
    "trustscore.monitoring",
    "trustscore.pipeline",
    "trustscore.records",
    "trustscore.reports",
    "trustscore.scoring",
    "trustscore.synth",
]


def test_top_level_all_is_sorted_and_resolves() -> None:
    assert trustscore.__all__ == sorted(trustscore.__all__, key=_isort_key)
    for name in trustscore.__all__:
        assert getattr(trustscore, name) is not None, name


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = trustscore.nope  # type: ignore[attr-defined]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_is_sorted_and_complete(package: str) -> None:
    mod = importlib.import_module(package)
    exported = mod.__all__
    assert list(exported) == sorted(exported, key=_isort_key), f"{package}.__all__ is not sorted"
    for name in exported:
        assert hasattr(mod, name), f"{package}.{name} is in __all__ but missing"
    public = {
        n
        for n in vars(mod)
        if not n.startswith("_") and not isinstance(getattr(mod, n), type(importlib))
    } - {"annotations"}
    assert public <= set(exported), (
        f"{package} exports names outside __all__: {public - set(exported)}"
    )
