from pathlib import Path

import pytest

from retail import jars


def test_artifact_names_drop_the_version() -> None:
    assert jars.artifact_name(Path("kafka-clients-3.4.1.jar")) == "kafka-clients"
    assert jars.artifact_name(Path("delta-spark_2.12-3.2.1.jar")) == "delta-spark_2.12"
    assert jars.artifact_name(Path("netty-codec-4.1.105.Final.jar")) == "netty-codec"


def test_pom_lists_every_coordinate() -> None:
    pom = jars._pom(("a.b:c_2.12:1.0", "d:e:2"))
    assert "<groupId>a.b</groupId><artifactId>c_2.12</artifactId><version>1.0</version>" in pom
    assert "<groupId>d</groupId><artifactId>e</artifactId><version>2</version>" in pom


def test_spark_jar_set_holds_delta_and_kafka_but_nothing_pyspark_ships() -> None:
    names = {jars.artifact_name(j) for j in jars.jars("spark")}
    assert {"delta-spark_2.12", "delta-storage", "spark-sql-kafka-0-10_2.12", "kafka-clients"} <= names
    assert not names & jars.pyspark_jar_names()


def test_broker_jar_set_can_start_a_kraft_broker() -> None:
    names = {jars.artifact_name(j) for j in jars.jars("broker")}
    assert {"kafka_2.13", "kafka-raft", "kafka-metadata", "kafka-storage", "scala-library"} <= names


def test_fetch_is_a_no_op_when_current() -> None:
    assert jars.is_current("spark")
    before = {j.name: j.stat().st_mtime_ns for j in jars.jars("spark")}
    jars.fetch("spark")
    assert {j.name: j.stat().st_mtime_ns for j in jars.jars("spark")} == before


def test_missing_cache_says_how_to_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_CACHE_DIR", str(tmp_path))
    assert not jars.is_current("spark")
    with pytest.raises(jars.JarFetchError, match="make setup"):
        jars.jars("spark")


def test_changed_coordinates_make_the_cache_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_CACHE_DIR", str(tmp_path))
    folder = jars.jar_dir("spark")
    folder.mkdir(parents=True)
    (folder / "x-1.jar").write_bytes(b"")
    (folder / ".coordinates").write_text("an older set\n")
    assert not jars.is_current("spark")
