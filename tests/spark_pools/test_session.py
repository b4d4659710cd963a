"""The session factory, for real: a local JVM with Delta and the Kafka source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from retail.settings import load_settings
from spark_pools.session import (
    KAFKA_SOURCE_CLASS,
    STARTUP_CONF,
    NoPoolSessionError,
    auto_driver_memory,
    auto_shuffle_partitions,
    cpu_quota,
    get_spark,
    local_conf,
    usable_cores,
)

pytestmark = pytest.mark.spark


def test_delta_table_round_trip(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "orders")
    spark.createDataFrame([(1, "S001", 2.5), (2, "S002", 4.0)], "id int, store string, amount double") \
        .write.format("delta").save(path)
    spark.createDataFrame([(3, "S001", 1.5)], "id int, store string, amount double") \
        .write.format("delta").mode("append").save(path)
    back = spark.read.format("delta").load(path)
    assert sorted(r.id for r in back.collect()) == [1, 2, 3]
    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").collect()
    assert [h.operation for h in sorted(history, key=lambda h: h.version)] == ["WRITE", "WRITE"]
    assert spark.read.format("delta").option("versionAsOf", 0).load(path).count() == 2


def test_kafka_source_is_on_the_classpath(spark: SparkSession) -> None:
    jvm = spark.sparkContext._jvm
    loader = jvm.Thread.currentThread().getContextClassLoader()
    assert jvm.java.lang.Class.forName(KAFKA_SOURCE_CLASS, True, loader).getName() == KAFKA_SOURCE_CLASS
    # The data source resolves by its short name, as the streaming job will use it.
    lookup = jvm.org.apache.spark.sql.execution.datasources.DataSource.lookupDataSource("kafka", spark._jsparkSession
                                                                                         .sessionState().conf())
    assert lookup.getName() == KAFKA_SOURCE_CLASS


def test_local_session_is_configured_for_this_machine(spark: SparkSession) -> None:
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.master") == "local[*]"
    assert conf.get("spark.ui.enabled") == "false"
    # The start-up value: other test modules may set a runtime value on this shared session.
    assert conf.get("spark.sql.shuffle.partitions") == str(auto_shuffle_partitions("local[*]"))
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert "DeltaSparkSessionExtension" in spark.conf.get("spark.sql.extensions")
    assert conf.get("spark.driver.memory") == auto_driver_memory()
    assert all(conf.get(key) == value for key, value in STARTUP_CONF.items())


def test_the_spark_pool_starts_with_the_same_confs(project_root: Path) -> None:
    """Start-up confs cannot be set on a pool's running session: the pool's configuration file states them."""
    pool = json.loads((project_root / "spark_pools" / "pools" / "sparkretail.json").read_text(encoding="utf-8"))
    config = pool["properties"]["sparkConfigProperties"]
    assert config["configurationType"] == "File"
    lines = [line.split(None, 1) for line in config["content"].splitlines() if line.strip()]
    assert {key: value.strip() for key, value in lines} == STARTUP_CONF


def test_get_spark_returns_the_same_session(spark: SparkSession) -> None:
    assert get_spark(load_settings("local")) is spark


def test_on_a_pool_the_session_is_taken_as_it_is(spark: SparkSession) -> None:
    """A Synapse environment applies only its session-level confs to the pool's session."""
    jars_before = spark.sparkContext.getConf().get("spark.jars")
    pool_session = get_spark(load_settings("dev"))
    assert pool_session is spark
    assert spark.conf.get("spark.microsoft.delta.optimizeWrite.enabled") == "true"
    assert spark.sparkContext.getConf().get("spark.jars") == jars_before
    spark.conf.unset("spark.microsoft.delta.optimizeWrite.enabled")
    spark.conf.unset("spark.microsoft.delta.optimizeWrite.binSize")


def test_a_synapse_environment_without_a_pool_session_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    with pytest.raises(NoPoolSessionError, match="Synapse Spark pool 'sparkretail'"):
        get_spark(load_settings("dev"))


def test_shuffle_partitions_are_two_per_core_of_the_local_master() -> None:
    assert auto_shuffle_partitions("local[*]", cores=2) == 4
    assert auto_shuffle_partitions("local[*]", cores=8) == 16
    assert auto_shuffle_partitions("local[3]") == 6
    assert auto_shuffle_partitions("local[2,4]") == 4  # with a task retry count
    assert auto_shuffle_partitions("local") == 2
    with pytest.raises(ValueError, match="not a local master"):
        auto_shuffle_partitions("spark://host:7077")


def test_a_cgroup_cpu_quota_is_read_from_either_cgroup_version(tmp_path: Path) -> None:
    assert cpu_quota(tmp_path) is None  # no cgroup controller mounted
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(tmp_path) is None
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(tmp_path) == 1.5
    v1 = tmp_path / "v1" / "cpu,cpuacct"
    v1.mkdir(parents=True)
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(tmp_path / "v1") is None
    (v1 / "cpu.cfs_quota_us").write_text("50000\n")
    assert cpu_quota(tmp_path / "v1") == 0.5


def test_a_cpu_quota_caps_the_cores_counted_rounding_up(tmp_path: Path) -> None:
    unlimited = usable_cores(tmp_path)
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert usable_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text(f"{unlimited * 100000 - 1} 100000\n")
    assert usable_cores(tmp_path) == unlimited
    (tmp_path / "cpu.max").write_text(f"{unlimited * 300000} 100000\n")  # a quota above the CPU set: the set
    assert usable_cores(tmp_path) == unlimited


def test_the_cores_counted_are_those_the_jvm_gives_local_star(spark: SparkSession) -> None:
    assert usable_cores() == spark.sparkContext._jvm.java.lang.Runtime.getRuntime().availableProcessors()


def test_a_fixed_shuffle_partition_count_is_used_as_given() -> None:
    settings = load_settings("local")
    fixed = settings.model_copy(update={"spark": settings.spark.model_copy(update={"shuffle_partitions": 3})})
    conf = local_conf(fixed)
    assert conf["spark.sql.shuffle.partitions"] == conf["spark.default.parallelism"] == "3"
    assert local_conf(settings)["spark.sql.shuffle.partitions"] == str(auto_shuffle_partitions("local[*]"))


def test_driver_memory_is_a_share_of_the_machine() -> None:
    gib = 2**30
    assert auto_driver_memory(24 * gib) == "8g"
    assert auto_driver_memory(2 * gib) == "1g"
    assert auto_driver_memory(128 * gib) == "12g"


def test_without_maven_spark_resolves_the_packages_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_SPARK_JARS", "packages")
    conf = local_conf(load_settings("local"))
    assert "spark.jars" not in conf
    assert "io.delta:delta-spark_2.12:3.2.1" in conf["spark.jars.packages"]
