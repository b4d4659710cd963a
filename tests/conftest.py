"""Shared fixtures: generated sources at `tiny` scale, and a real local Kafka broker, made once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.sources.defects import DefectRates
from pipelines.sources.generate import GenerationResult, generate
from retail.broker import LocalBroker

# Twenty times the default rates: every defect type shows up even in a tiny world.
DEFECTIVE = DefectRates.scaled(20)


@pytest.fixture(scope="session")
def defective_sources(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    return generate(tmp_path_factory.mktemp("defective"), "tiny", seed=11, rates=DEFECTIVE, days=10)


@pytest.fixture(scope="session")
def clean_sources(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    """Four weeks with no defects at all, for shape and consistency checks."""
    return generate(tmp_path_factory.mktemp("clean"), "tiny", seed=3, rates=DefectRates.scaled(0), days=28)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A Kafka broker with state of its own; tests that need private topics name their own."""
    local = LocalBroker(tmp_path_factory.mktemp("broker"))
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def medallion(tmp_path_factory: pytest.TempPathFactory):  # -> tests.spark_pools.scenario.Scenario
    """The medallion scenario (five Spark loads into three tiny lakes), built once: the medallion tests check it,
    the warehouse tests serve its gold."""
    from tests.spark_pools.scenario import build_scenario  # Spark is imported only by tests that need it

    return build_scenario(tmp_path_factory)
