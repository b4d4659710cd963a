"""The dedicated pool advisor on small constructed tables: skew figures, the projected model, alternatives,
partition sizing, replicate size and the report. No lake, no Spark."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pyarrow as pa
import pytest
import sqlglot

import sql_pools.advise as advise_module
from sql_pools.advise import (
    DISTRIBUTIONS,
    REPLICATE_LIMIT_BYTES,
    ROWS_PER_DISTRIBUTION_PARTITION,
    SKEW_THRESHOLD,
    advise,
    advise_table,
    distribution_counts,
    format_advice,
    skew,
)
from sql_pools.advisor.columns import candidate_columns, chance_skew
from sql_pools.dialect import Synapse
from sql_pools.gold import GoldMissingError


def ddl(table: str, columns: str, options: str) -> sqlglot.exp.Create:
    return sqlglot.parse_one(f"CREATE TABLE dbo.{table} ({columns}) WITH ({options})", read=Synapse)


def test_skew_is_max_minus_min_over_max() -> None:
    assert skew([10, 8, 5] + [0] * 57) == 1.0  # (10 - 0) / 10
    assert skew([100] * 59 + [120]) == pytest.approx((120 - 100) / 120)  # 0.1667, not (120-100)/100
    assert skew([7] * 60) == 0.0
    assert skew([0] * 60) == 0.0  # an empty table is not skewed
    assert skew([]) == 0.0


def test_distribution_counts_puts_every_row_somewhere_and_all_nulls_on_one_distribution() -> None:
    values = list(range(1_000))
    with_nulls = pa.table({"k": pa.array([*values, *[None] * 37], pa.int64())})
    counts = distribution_counts(with_nulls, "k")
    assert len(counts) == DISTRIBUTIONS and sum(counts) == with_nulls.num_rows
    without = distribution_counts(pa.table({"k": pa.array(values, pa.int64())}), "k")
    assert [c - w for c, w in zip(counts, without, strict=True) if c != w] == [37]  # the NULLs, together
    assert sum(distribution_counts(with_nulls, "k", distributions=7)) == with_nulls.num_rows
    two = pa.table({"a": [1, 2, 3, 1], "b": ["x", "y", "z", "x"]})
    assert sum(distribution_counts(two, ["a", "b"])) == 4 and max(distribution_counts(two, ["a", "b"])) >= 2
    # the advice's local skew is exactly skew() of these counts
    advice = advise_table("fact_x", with_nulls, ddl("fact_x", "k BIGINT", "DISTRIBUTION = HASH(k)"), {})
    assert advice.local_skew == skew(counts)


def test_a_heavy_hitter_is_flagged_and_an_even_join_key_recommended() -> None:
    rows = 4_000
    store = [7] * 2_000 + [100 + i % 200 for i in range(2_000)]  # one store holds half the rows
    data = pa.table({
        "store_key": pa.array(store, pa.int64()),
        "product_key": pa.array([i % 1_000 for i in range(rows)], pa.int64()),
        "order_id": [f"O{i:06d}" for i in range(rows)],  # unique: grows with the rows
        "date_key": pa.array([20260101 + i % 28 for i in range(rows)], pa.int32()),
    })
    create = ddl("fact_x", "store_key BIGINT, product_key BIGINT, order_id NVARCHAR(10), date_key INT",
                 "DISTRIBUTION = HASH(store_key)")
    projected = {"fact_x": 400_000_000, "dim_product": 10_000_000}
    advice = advise_table("fact_x", data, create, projected)
    assert advice.hash_column == "store_key" and advice.distribution == "HASH(store_key)"
    assert advice.current.skewed and advice.projected_skew >= 0.5
    assert advice.current.largest_share >= 0.5  # the heavy hitter stays heavy at projected volume
    assert [a.column for a in advice.alternatives][:2] == ["product_key", "order_id"]  # join key first when close
    assert "date_key" not in [a.column for a in advice.alternatives]
    assert not advice.alternatives[0].skewed
    assert advice.alternatives[0].projected_distinct == 10_000_000  # dim_product's projected rows
    assert advice.alternatives[1].projected_distinct == 400_000_000  # an identifier grows with the rows
    text = " ".join(advice.recommendations)
    assert "HASH(store_key) is skewed" in text and "consider HASH(product_key)" in text

    # it stays heavy when the column gains values the sample lacks (dim_store at 5,000 stores)
    wider = advise_table("fact_x", data, create, {**projected, "dim_store": 5_000})
    assert wider.current.projected_distinct == 5_000 and wider.current.largest_share >= 0.5


def test_a_low_cardinality_column_leaves_distributions_empty_at_any_volume() -> None:
    data = pa.table({"channel_key": pa.array([i % 5 for i in range(10_000)], pa.int64()),
                     "line_id": [f"L{i}" for i in range(10_000)]})
    create = ddl("fact_x", "channel_key BIGINT, line_id NVARCHAR(10)", "DISTRIBUTION = HASH(channel_key)")
    for projected in ({"fact_x": 10_000_000_000}, {"fact_x": 10_000_000_000, "dim_channel": 5}):
        advice = advise_table("fact_x", data, create, projected)
        assert advice.current.projected_distinct == 5
        assert advice.projected_skew == 1.0 and advice.local_skew == 1.0
        assert "only 5 distinct values" in " ".join(advice.recommendations)
        assert advice.alternatives[0].column == "line_id" and not advice.alternatives[0].skewed


def test_unseen_values_spread_evenly_and_hashing_few_values_is_uneven_by_chance() -> None:
    # 40 products in the sample, 50,000 in production: the values' weights project almost no skew, but hashing
    # 50,000 values into 60 distributions leaves ~833 ± 29 per distribution: ~15 % apart.
    data = pa.table({"product_key": pa.array([i % 40 for i in range(2_000)], pa.int64())})
    create = ddl("fact_x", "product_key BIGINT", "DISTRIBUTION = HASH(product_key)")
    current = advise_table("fact_x", data, create, {"fact_x": 10**9, "dim_product": 50_000}).current
    assert current.local_skew == 1.0  # 40 values cannot fill 60 distributions: the sample's size, not the column
    assert current.projected_distinct == 50_000 and current.model_skew < 0.01
    assert current.projected_skew == current.chance_skew == pytest.approx(chance_skew(50_000))
    # the chance figure matches actually hashing that many distinct values
    unique = pa.table({"k": pa.array(range(50_000), pa.int64())})
    assert skew(distribution_counts(unique, "k")) == pytest.approx(chance_skew(50_000), abs=0.05)
    assert chance_skew(59) == 1.0 and chance_skew(5_000_000) < 0.02 < chance_skew(500_000) < SKEW_THRESHOLD


def test_unknown_members_keep_their_share_in_facts_but_are_single_rows_in_a_dimension() -> None:
    fact = pa.table({"customer_key": pa.array([-2 if i % 10 < 3 else i for i in range(3_000)], pa.int64())})
    create = ddl("fact_x", "customer_key BIGINT", "DISTRIBUTION = HASH(customer_key)")
    current = advise_table("fact_x", fact, create, {"fact_x": 10**9, "dim_customer": 5_000_000}).current
    assert current.unknown_share == pytest.approx(0.3) and current.largest_share >= 0.3 and current.skewed
    dim = pa.table({"customer_key": pa.array([-1, -2, *range(1, 999)], pa.int64())})
    create = ddl("dim_customer", "customer_key BIGINT", "DISTRIBUTION = HASH(customer_key)")
    current = advise_table("dim_customer", dim, create, {"dim_customer": 5_000_000}).current
    assert current.projected_distinct == 5_000_000 and not current.skewed


def _months(rows_per_month: int) -> pa.Table:
    keys = [20260000 + month * 100 + 1 + i % 28 for month in range(1, 4) for i in range(rows_per_month)]
    return pa.table({"date_key": pa.array(keys, pa.int32()),
                     "product_key": pa.array(range(len(keys)), pa.int64())})


MONTHLY = ("DISTRIBUTION = HASH(product_key), CLUSTERED COLUMNSTORE INDEX, "
           "PARTITION (date_key RANGE {side} FOR VALUES (20260101, 20260201, 20260301, 20260401))")


def test_partitions_at_projected_volume() -> None:
    data = _months(100)  # January, February, March 2026: 100 rows each
    create = ddl("fact_x", "date_key INT, product_key BIGINT", MONTHLY.format(side="RIGHT"))
    advice = advise_table("fact_x", data, create, {"fact_x": 600_000_000})
    assert [p.local_rows for p in advice.partitions] == [0, 100, 100, 100, 0]
    assert advice.partitions[1].range == "20260101 <= date_key < 20260201"
    filled = [p for p in advice.partitions if p.local_rows]
    assert [p.projected_rows for p in filled] == [200_000_000] * 3
    assert all(p.rows_per_distribution == pytest.approx(3_333_333.33, abs=1) and p.large_enough for p in filled)
    assert any("partitions on date_key are fine" in r for r in advice.recommendations)

    small = advise_table("fact_x", data, create, {"fact_x": 60_000_000})
    filled = [p for p in small.partitions if p.local_rows]
    assert all(p.rows_per_distribution == pytest.approx(333_333.33, abs=1) for p in filled)
    assert not any(p.large_enough for p in filled)
    sentence = next(r for r in small.recommendations if "partitions on date_key" in r)
    assert "too fine" in sentence and "quarterly partitions (3 months" in sentence


def test_partition_boundaries_follow_range_right_and_left() -> None:
    data = pa.table({"date_key": pa.array([20251231, 20260101, 20260115, 20260201, None], pa.int32()),
                     "product_key": pa.array(range(5), pa.int64())})
    right = ddl("fact_x", "date_key INT, product_key BIGINT", MONTHLY.format(side="RIGHT"))
    left = ddl("fact_x", "date_key INT, product_key BIGINT", MONTHLY.format(side="LEFT"))
    # RIGHT: a boundary starts the partition on its right; LEFT: it ends the one on its left; NULL: partition 1
    assert [p.local_rows for p in advise_table("fact_x", data, right, {}).partitions] == [2, 2, 1, 0, 0]
    assert [p.local_rows for p in advise_table("fact_x", data, left, {}).partitions] == [3, 2, 0, 0, 0]


def test_yearly_or_no_partitions_when_even_quarters_are_too_small() -> None:
    create = ddl("fact_x", "date_key INT, product_key BIGINT", MONTHLY.format(side="RIGHT"))
    yearly = advise_table("fact_x", _months(100), create, {"fact_x": 30_000_000})  # 0.17 M per month
    assert "half-yearly partitions (6 months" in " ".join(yearly.recommendations)
    none = advise_table("fact_x", _months(100), create, {"fact_x": 3_000_000})
    assert "no partitioning" in " ".join(none.recommendations)


def _customers(rows: int) -> pa.Table:
    return pa.table({"customer_key": pa.array(range(1, rows + 1), pa.int64()),
                     "customer_id": [f"C{i:07d}" for i in range(rows)],
                     "profile": ["x" * 400] * rows})


def test_a_replicated_table_over_2_gb_gets_a_hash_recommendation() -> None:
    data = _customers(1_000)
    create = ddl("dim_customer", "customer_key BIGINT, customer_id NVARCHAR(8), profile NVARCHAR(400)",
                 "DISTRIBUTION = REPLICATE, CLUSTERED COLUMNSTORE INDEX")
    big = advise_table("dim_customer", data, create, {"dim_customer": 50_000_000})
    assert big.projected_bytes == round(50_000_000 * data.nbytes / 1_000) > REPLICATE_LIMIT_BYTES
    assert big.hash_column is None and big.projected_skew is None
    assert "REPLICATE is too large" in big.recommendations[0] and "HASH(customer_key)" in big.recommendations[0]
    small = advise_table("dim_customer", data, create, {"dim_customer": 100_000})
    assert small.projected_bytes < REPLICATE_LIMIT_BYTES and "REPLICATE is fine" in small.recommendations[0]


def test_a_small_distributed_dimension_is_told_to_replicate() -> None:
    create = ddl("dim_customer", "customer_key BIGINT, customer_id NVARCHAR(8), profile NVARCHAR(400)",
                 "DISTRIBUTION = ROUND_ROBIN")
    advice = advise_table("dim_customer", _customers(1_000), create, {"dim_customer": 100_000})
    assert any("REPLICATE it" in r for r in advice.recommendations)
    no_options = sqlglot.parse_one("CREATE TABLE dbo.fact_x (customer_key BIGINT)", read=Synapse)
    assert advise_table("fact_x", _customers(10), no_options, {}).distribution == "ROUND_ROBIN"  # the default


def test_candidates_leave_out_dates_booleans_decimals_timestamps_and_measures() -> None:
    schema = pa.schema([("sales_line_id", pa.string()), ("date_key", pa.int32()), ("order_date_key", pa.int32()),
                        ("store_key", pa.int64()), ("sale_month", pa.string()), ("is_on_time", pa.bool_()),
                        ("net_amount", pa.decimal128(14, 2)), ("sale_ts", pa.timestamp("us")),
                        ("quantity", pa.int32()), ("rating", pa.float64()), ("count_date", pa.date32()),
                        ("po_number", pa.string()), ("line_number", pa.int32())])
    assert candidate_columns(schema) == ["sales_line_id", "store_key", "po_number", "line_number"]


def test_format_advice_names_each_table_and_its_recommendations() -> None:
    fact = pa.table({"product_key": pa.array([i % 40 for i in range(2_000)], pa.int64()),
                     "amount": pa.array([Decimal("1.50")] * 2_000, pa.decimal128(12, 2)),
                     "sold_on": pa.array([dt.date(2026, 1, 5)] * 2_000, pa.date32())})
    advice = [
        advise_table("fact_x", fact, ddl("fact_x", "product_key BIGINT", "DISTRIBUTION = HASH(product_key)"),
                     {"fact_x": 10**9, "dim_product": 10_000_000}),
        advise_table("dim_customer", _customers(100), ddl("dim_customer", "customer_key BIGINT",
                                                          "DISTRIBUTION = REPLICATE"), {}),
    ]
    report = format_advice(advice)
    for table in advice:
        assert table.table in report and table.recommendations
        for sentence in table.recommendations:
            assert sentence in report
    assert "HASH(product_key) is fine" in report and "REPLICATE is fine" in report
    assert "No tables" in format_advice([])


def test_advise_covers_served_tables_with_both_data_and_ddl(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = {"dbo.dim_customer": ddl("dim_customer", "customer_key BIGINT", "DISTRIBUTION = REPLICATE"),
              "dbo.fact_sales": ddl("fact_sales", "product_key BIGINT", "DISTRIBUTION = HASH(product_key)"),
              "stg.dim_store": ddl("dim_store", "store_key BIGINT", "DISTRIBUTION = ROUND_ROBIN")}
    gold = {"dim_customer": _customers(50), "dim_store": pa.table({"store_key": [1, 2]}),
            "fact_sales": pa.table({"product_key": pa.array(range(100), pa.int64())})}

    def read_gold(_settings: object, name: str) -> pa.Table:
        if name not in gold:
            raise GoldMissingError(name)
        return gold[name]

    monkeypatch.setattr(advise_module, "project_scripts", lambda **_: [])
    monkeypatch.setattr(advise_module, "created_tables", lambda _scripts: tables)
    monkeypatch.setattr(advise_module, "read_gold", read_gold)
    settings = SimpleNamespace(sql_pool=SimpleNamespace(projected_rows={"fact_sales": 10**9}))
    advice = advise(settings)
    assert [a.table for a in advice] == ["dim_customer", "fact_sales"]  # serving order; stg.* is not served
    assert advice[1].projected_rows == 10**9 and advice[0].projected_rows == 50  # unprojected: local rows
    assert ROWS_PER_DISTRIBUTION_PARTITION == 1_000_000 and DISTRIBUTIONS == 60
