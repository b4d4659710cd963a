"""The data-quality gate between the lake and the SQL pool."""

from __future__ import annotations

import pytest

from spark_pools.ops import QualityGateError, quality_gate
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
