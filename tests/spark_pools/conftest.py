"""The local Spark session every Spark test shares (one JVM per test run)."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from retail.settings import load_settings
from spark_pools.session import get_spark


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    return get_spark(load_settings("local"))
