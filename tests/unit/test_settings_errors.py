"""A ``TRUSTSCORE_*`` value that does not parse is one clear line naming the variable, on every
command: it reached "internal error ... this is a bug" (exit 70) outside ``--engine spark``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.exceptions import SettingsError
from trustscore.settings import get_settings, load_settings


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TRUSTSCORE_RATE_LIMIT_PER_S", "abc", "TRUSTSCORE_RATE_LIMIT_PER_S='abc' is not valid: "
                                               "Input should be a valid number"),
        ("TRUSTSCORE_PORT", "70000", "TRUSTSCORE_PORT='70000' is not valid: Input should be less"),
        ("TRUSTSCORE_WORKERS", "0", "TRUSTSCORE_WORKERS='0' is not valid"),
        ("TRUSTSCORE_LOG_LEVEL", "loud", "TRUSTSCORE_LOG_LEVEL='loud' is not valid"),
        ("TRUSTSCORE_CONSENT_CATEGORIES", "[rent", "TRUSTSCORE_CONSENT_CATEGORIES is not valid"),
        ("TRUSTSCORE_CONSENT_CATEGORIES", '["gym"]', "TRUSTSCORE_CONSENT_CATEGORIES='gym' is not"),
        ("TRUSTSCORE_SPARK_CONF", "{", "TRUSTSCORE_SPARK_CONF is not valid JSON"),
        ("TRUSTSCORE_SPARK_MASTER", "mesos://h", "TRUSTSCORE_SPARK_MASTER must be a Spark master"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_named_with_its_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(says)
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(tmp_path))
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1, out.output
    assert out.output.startswith(f"error: {says}")
    assert "internal error" not in out.output
    assert "Traceback" not in out.output
    assert not (tmp_path / "ledger.sqlite").exists()  # nothing was written


def test_overrides_take_precedence_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", "/elsewhere")
    assert load_settings(workspace=Path("/here")).workspace == Path("/here")
    assert load_settings().workspace == Path("/elsewhere")
