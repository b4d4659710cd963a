"""The star schema's rules that run in two engines: which fact rows resolve from an unknown member."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from spark_pools.gold.star import NOT_APPLICABLE, UNKNOWN, now_resolvable, resolvable_rows

pytestmark = pytest.mark.spark
KEYS = ("store_key", "product_key")
ROWS = [  # line, store key and code, product key and code
    ("L1", UNKNOWN, "S2", 7, "P1"),              # its store is known by now: resolves
    ("L2", UNKNOWN, "S3", 7, "P1"),              # its store is still unknown
    ("L3", 5, "S1", UNKNOWN, "P2"),              # its product is known by now: resolves
    ("L4", UNKNOWN, None, NOT_APPLICABLE, None),  # no codes at all: never resolves
    ("L5", UNKNOWN, "S9", 7, "P1"),              # S9 is only the code of the dimension's unknown member
    ("L6", 5, "S1", 7, "P1"),                    # resolved already
    ("L7", UNKNOWN, "S2", UNKNOWN, "P3"),        # both unknown, the store is known by now: resolves
]
FACT = "line string, store_key bigint, store_code string, product_key bigint, sku string"
STORES = [(UNKNOWN, "S9"), (NOT_APPLICABLE, None), (5, "S1"), (6, "S2")]
PRODUCTS = [(UNKNOWN, None), (7, "P1"), (8, "P2")]


def test_the_driver_finds_the_rows_that_resolve_as_spark_does(spark: SparkSession) -> None:
    dims = {"dim_store": spark.createDataFrame(STORES, "store_key bigint, store_code string"),
            "dim_product": spark.createDataFrame(PRODUCTS, "product_key bigint, sku string")}
    by_spark = {r.line for r in now_resolvable(spark.createDataFrame(ROWS, FACT), KEYS, dims).collect()}
    arrow = {name: pa.Table.from_pandas(frame.toPandas(), preserve_index=False) for name, frame in dims.items()}
    names = ("line", "store_key", "store_code", "product_key", "sku")
    rows = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in ROWS])
    by_driver = set(resolvable_rows(rows, KEYS, arrow).column("line").to_pylist())
    assert by_spark == by_driver == {"L1", "L3", "L7"}
