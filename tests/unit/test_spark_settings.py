"""Where ``--engine spark`` runs comes from the settings, checked before any JVM starts."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore import engines
from trustscore.cli import app
from trustscore.exceptions import EngineError
from trustscore.pipeline import read_table
from trustscore.settings import Settings, get_settings


@pytest.mark.parametrize(
    "master",
    ["local", "local[*]", "local[3]", "local[2,4]", "spark://10.1.2.3:7077",
     "k8s://https://kube:443", "yarn", "sc://connect:15002"],
)  # fmt: skip
def test_master_urls_spark_takes_are_accepted(master: str) -> None:
    assert Settings(spark_master=master, _env_file=None).spark_master == master


@pytest.mark.parametrize("master", ["", "local[0]", "local[x]", "spark:/h:1", "mesos://h:5050"])
def test_other_masters_are_refused_with_the_setting_named(master: str) -> None:
    with pytest.raises(ValueError, match=r"TRUSTSCORE_SPARK_MASTER must be .*got"):
        Settings(spark_master=master, _env_file=None)
    with pytest.raises(EngineError, match="The Spark master must be"):
        engines.spark_session(master or "nonsense")


def test_spark_conf_is_read_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTSCORE_SPARK_MASTER", "spark://h:7077")
    monkeypatch.setenv("TRUSTSCORE_SPARK_CONF", '{"spark.executor.memory": "8g"}')
    s = Settings(_env_file=None)
    assert (s.spark_master, s.spark_conf) == ("spark://h:7077", {"spark.executor.memory": "8g"})
    assert Settings(_env_file=None, spark_master="local[*]").spark_conf == s.spark_conf


def test_the_project_conf_and_where_it_applies() -> None:
    local = engines.spark_conf("local[3]", {"spark.sql.session.timeZone": "Asia/Shanghai"})
    assert local["spark.sql.shuffle.partitions"] == "6"
    assert local["spark.driver.extraJavaOptions"] == "-XX:-DontCompileHugeMethods"
    assert local["spark.sql.codegen.hugeMethodLimit"] == "8000"
    assert local["spark.sql.session.timeZone"] == "Asia/Shanghai"  # the caller's wins
    cluster = engines.spark_conf("spark://h:7077")
    assert "spark.sql.shuffle.partitions" not in cluster  # a cluster keeps Spark's own
    assert cluster["spark.executor.extraJavaOptions"] == "-XX:-DontCompileHugeMethods"
    # Spark Connect: the server's JVMs are not ours to start, so no static setting is sent
    remote = engines.spark_conf("sc://h:15002")
    assert not any(k.startswith(("spark.driver.", "spark.executor.", "spark.ui.")) for k in remote)
    assert remote["spark.sql.session.timeZone"] == "UTC"


def test_cli_refuses_a_master_for_another_engine_and_a_bad_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    args = ["features", "--as-of", "2024-12-31", "--store", str(tmp_path)]
    out = runner.invoke(app, [*args, "--spark-master", "local[2]"])
    assert out.exit_code == 1
    assert "--spark-master applies only with --engine spark" in out.output
    out = runner.invoke(app, [*args, "--engine", "spark", "--spark-master", "spark//x"])
    assert out.exit_code == 1
    assert "The Spark master must be" in out.output
    monkeypatch.setenv("TRUSTSCORE_SPARK_MASTER", "spark//nohost")
    get_settings.cache_clear()
    try:
        out = runner.invoke(app, [*args, "--engine", "spark"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1
    assert "TRUSTSCORE_SPARK_MASTER" in out.output
    assert out.output.startswith("error: TRUSTSCORE_SPARK_MASTER must be")
    assert "'spark//nohost'" in out.output
    assert "Traceback" not in out.output


def test_a_folder_of_spark_part_files_reads_as_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "features.parquet"
    folder.mkdir()
    first = pa.table({"subject_id": ["a", "b"], "x": [1.0, None]})
    second = pa.table({"subject_id": ["c"], "x": [3.0]})
    pq.write_table(first, folder / "part-0.parquet")
    pq.write_table(second, folder / "part-1.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.parquet.crc").write_bytes(b"\x00\x01")
    assert read_table(folder).to_pydict() == {"subject_id": ["a", "b", "c"], "x": [1.0, None, 3.0]}
