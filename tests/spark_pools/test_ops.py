"""The data-quality gate between the lake and the SQL pool; the metrics and labels of each table's build."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from spark_pools.ops import ConservationError, QualityGateError, labelled, measured, quality_gate
from spark_pools.parallel import run_all
from tests.spark_pools.scenario import Scenario

pytestmark = pytest.mark.spark


def test_the_gate_passes_a_load_within_the_limit_and_holds_one_beyond_it(medallion: Scenario) -> None:
    load_id = medallion.runs[-1].load_id
    shares = quality_gate(medallion.full, load_id, spark=medallion.spark, limit=1.0)
    assert shares and all(0.0 <= share <= 1.0 for share in shares.values())
    worst = max(shares, key=shares.get)
    assert shares[worst] > 0  # the scenario injects defects at twenty times the usual rates
    with pytest.raises(QualityGateError, match=worst):
        quality_gate(medallion.full, load_id, spark=medallion.spark, limit=shares[worst] / 2)


def test_the_gate_holds_a_load_whose_jobs_did_not_all_run(medallion: Scenario) -> None:
    with pytest.raises(QualityGateError, match="no bronze, gold, silver metrics"):
        quality_gate(medallion.full, "no-such-load", spark=medallion.spark)


def _jobs(spark: SparkSession, label: str | None) -> set[int]:
    return set(spark.sparkContext.statusTracker().getJobIdsForGroup(label))


def test_each_tables_spark_jobs_carry_its_label_even_side_by_side(spark: SparkSession) -> None:
    before = {label: _jobs(spark, label) for label in ("gold/a", "gold/b", None)}

    def build(table: str, rows: int) -> int:
        with measured(spark, "gold", table) as metrics:
            metrics.rows_read = metrics.rows_written = spark.range(rows).count()
            assert spark.sparkContext.getLocalProperty("spark.job.description") == f"gold/{table}"
        return metrics.rows_written

    assert run_all([lambda: build("a", 3), lambda: build("b", 5)], 2) == [3, 5]
    spark.range(1).count()  # after the blocks, a job carries no label
    new = {label: _jobs(spark, label) - jobs for label, jobs in before.items()}
    assert new["gold/a"] and new["gold/b"] and new[None]
    assert not new["gold/a"] & new["gold/b"] and max(new["gold/a"] | new["gold/b"]) < max(new[None])


def test_a_label_restores_the_one_before_it_even_when_the_block_fails(spark: SparkSession) -> None:
    with labelled(spark, "silver/outer"):
        with pytest.raises(ValueError, match="broken"), measured(spark, "silver", "inner"):
            raise ValueError("a broken build")
        assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") == "silver/outer"
        with pytest.raises(ConservationError), measured(spark, "silver", "inner") as metrics:
            metrics.rows_read = 1  # read one row, accounted for none
        assert spark.sparkContext.getLocalProperty("spark.job.description") == "silver/outer"
    assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") is None
