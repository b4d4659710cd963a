"""The medallion batch for real, on `tiny` data with the defect manifest.

One scenario (tests/spark_pools/scenario.py), built once per session: lake INC loads everything up to day L in
a full run, then day L+1 incrementally, then day L+1 again; lake INC_SPARK is INC after day L, then day L+1 with
every MERGE and rewrite through Spark; lake FULL loads everything up to day L+1 in one full run. Day L is the
first sale of a product whose master data arrives on day L+1 (a late-arriving dimension), and a till sends a sale
of day L-1 again on day L+1 with its time corrected to the day before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines import catalog
from retail.secrets import resolve
from retail.settings import Settings
from spark_pools import lake
from spark_pools.gold.incremental_facts import FACTS, SALES, kept_unresolved, unresolved_path
from spark_pools.gold.mart_updates import STOCK_BY_MONTH
from spark_pools.gold.star import UNKNOWN, with_unknown_code
from tests.pipelines.sources import oracle
from tests.spark_pools.scenario import GOLD, Scenario, checksums, tables, versions

pytestmark = pytest.mark.spark

SOURCE_ENTITY = {"pos_sales": "sales_lines", "ecommerce_orders": "sales_lines", "inventory_counts": "inventory_counts",
                 "inventory_movements": "inventory_movements", "feedback": "feedback", "receipts": "receipts",
                 "purchase_order_lines": "purchase_order_lines"}
EXPECTED_RULES = {"missing_mandatory": {"mandatory_present"}, "wrong_type": {"values_parse"},
                  "future_timestamp": {"not_in_future"},
                  "out_of_range": {"quantity_in_range", "price_in_range", "on_hand_in_range", "rating_in_range",
                                   "quantity_ordered_in_range", "quantity_received_in_range"}}


@pytest.fixture
def scenario(medallion: Scenario) -> Scenario:
    return medallion


def _read(s: Scenario, settings: Settings, layer: str, name: str) -> DataFrame:
    return lake.read(s.spark, lake.table_path(settings, layer, name))


def test_counts_conserve_at_every_layer(scenario: Scenario) -> None:
    for run in scenario.runs:
        for m in run.metrics:
            assert m.rows_read == m.rows_written + m.rows_quarantined + m.rows_deduplicated + m.rows_rejected, m
    recorded = _read(scenario, scenario.full, "_ops", "run_metrics")
    assert recorded.where("rows_read != rows_written + rows_quarantined + rows_deduplicated + rows_rejected") \
        .count() == 0
    assert {r.job for r in recorded.select("job").distinct().collect()} == {"bronze", "silver", "gold"}


def test_bronze_reads_every_line_delivered(scenario: Scenario) -> None:
    """Bronze accounts for every data line of every file up to the last load date, rejects included."""
    landed = {m.entity: m for m in scenario.runs[-1].metrics if m.job == "bronze"}
    root = scenario.landing
    for source in ("pos_sales", "ecommerce_orders", "feedback", "inventory_counts"):
        spec = catalog.SOURCES[source]
        paths = [p for p in root.glob(spec.path.replace("{date}", "*").replace("{store}", "*")
                                      .replace("{yyyymmdd}", "*")) if p.parent.name <= "2026-01-10"]
        header = 1 if spec.format == "csv" else 0
        lines = sum(p.read_bytes().count(b"\n") - header for p in paths)
        assert landed[source].rows_read == lines, source


def test_every_injected_defect_lands_with_the_right_reason(scenario: Scenario) -> None:
    s, full = scenario, scenario.full
    rejects = _read(s, full, "bronze", "_rejects").select("source", "raw_text", "reason").collect()
    quarantine = {e: {r.business_key: set(r.failed_rules) for r in
                      _read(s, full, "silver", f"_quarantine/{e}").collect()}
                  for e in set(SOURCE_ENTITY.values())}
    last = date(2026, 1, 10)
    checked = 0
    for name, info in s.manifest["defects"].items():
        for rec in info["records"]:
            if rec["file"] != catalog.SUPPLIER_DB and oracle.delivery_date(rec["file"]) > last:
                continue
            source, rid = rec["source"], rec["record_id"]
            if name in ("malformed", "invalid_utf8"):
                marker = (rid.split("/")[0] + "," + rid.split("/")[1] + ",") if source == "pos_sales" else f'"{rid}"'
                reasons = [r.reason for r in rejects if r.source == source and marker in r.raw_text]
                assert reasons, (name, rec)
                assert ("invalid UTF-8" if name == "invalid_utf8" else "malformed") in reasons[0], reasons
                checked += 1
            elif name in EXPECTED_RULES:
                entity = SOURCE_ENTITY[source]
                keys = _business_keys(source, rid, quarantine[entity])
                assert keys, (name, rec)
                for key in keys:
                    assert quarantine[entity][key] & EXPECTED_RULES[name], (name, rec, quarantine[entity][key])
                checked += 1
    assert checked >= 20


def _business_keys(source: str, rid: str, quarantined: dict[str, set[str]]) -> list[str]:
    if source == "pos_sales":
        txn, line = rid.split("/")
        return [k for k in (f"POS|{txn}|{line}",) if k in quarantined]
    if source == "ecommerce_orders":
        return [k for k in quarantined if k.startswith(f"ECOM|{rid}|")]
    if source in ("inventory_counts", "purchase_order_lines"):
        return [k for k in (rid.replace("/", "|"),) if k in quarantined]
    return [k for k in (rid,) if k in quarantined]


def test_no_clean_sales_line_is_lost(scenario: Scenario) -> None:
    """Silver holds exactly the clean till and web lines delivered (per an independent reading of the files)."""
    root, last = scenario.landing, "2026-01-10"
    stores, skus = oracle.reference(root)
    expected = set()
    for path in sorted(root.glob("pos/*/*.csv")):
        if path.parent.name > last:
            continue
        rel = str(path.relative_to(root))
        verdicts = oracle.classify_csv(root, rel, stores, skus)
        lines = path.read_bytes().split(b"\n")
        for number, verdict in verdicts.items():
            if verdict in (None, "late_arrival", "unknown_code", "duplicate"):
                txn, line = lines[number - 1].decode().split(",")[:2]
                expected.add(f"POS|{txn}|{line}")
    for path in sorted(root.glob("ecommerce/*/*.jsonl")):
        if path.parent.name > last:
            continue
        rel = str(path.relative_to(root))
        docs = path.read_bytes().split(b"\n")
        for number, verdict in oracle.classify_jsonl(root, rel, skus).items():
            if verdict in ("malformed", "invalid_utf8", "missing_mandatory", "future_timestamp"):
                continue  # the whole order is out; other defects touch one line only
            doc = json.loads(docs[number - 1])
            expected |= {f"ECOM|{doc['order_id']}|{i['line_number']}" for i in doc["items"]
                         if 1 <= i["quantity"] <= 100 and 0 < i["unit_price"] < 10_000}
    silver = {r.sales_line_id for r in _read(scenario, scenario.full, "silver", "sales_lines")
              .select("sales_line_id").collect()}
    assert silver == expected


def test_duplicates_are_removed_and_counted(scenario: Scenario) -> None:
    lines = _read(scenario, scenario.full, "silver", "sales_lines")
    assert lines.groupBy("sales_line_id").count().where("count > 1").count() == 0
    dedup = sum(m.rows_deduplicated for m in scenario.runs[-1].metrics if m.entity == "sales_lines")
    dups = [r for r in scenario.manifest["defects"]["duplicate"]["records"]
            if r["source"] == "pos_sales" and oracle.delivery_date(r["file"]) <= date(2026, 1, 10)]
    assert dups and dedup >= len(dups)


def test_schema_drift_is_rescued_in_bronze(scenario: Scenario) -> None:
    drifted = {r["file"] for r in scenario.manifest["defects"]["schema_drift"]["records"]}
    bronze = _read(scenario, scenario.full, "bronze", "pos_sales")
    rescued = bronze.where(F.col("_rescued_data").isNotNull())
    files = {r._source_file for r in rescued.select("_source_file").distinct().collect()}
    assert files and files <= drifted
    assert all('"loyalty_points"' in r._rescued_data for r in rescued.limit(20).collect())


def test_unknown_codes_keep_their_facts_on_the_unknown_member(scenario: Scenario) -> None:
    sales = _read(scenario, scenario.full, "gold", "fact_sales")
    unknown = sales.where((F.col("sku") == "P99999") | (F.col("store_code") == "S999"))
    assert unknown.count() > 0
    assert unknown.where((F.col("product_key") != UNKNOWN) & (F.col("store_key") != UNKNOWN)).count() == 0
    warnings = _read(scenario, scenario.full, "silver", "sales_lines").where(F.size("_dq_warnings") > 0)
    assert warnings.count() == unknown.count()


def test_late_arriving_product_resolves_on_the_next_run(scenario: Scenario) -> None:
    assert scenario.unresolved_after_day_l > 0
    sales = _read(scenario, scenario.inc, "gold", "fact_sales").where(F.col("sku") == scenario.late_sku)
    assert sales.where(F.col("product_key") == UNKNOWN).count() == 0
    assert sales.where(F.col("cost_amount").isNull()).count() == 0
    assert sales.count() >= scenario.unresolved_after_day_l


def test_each_fact_keeps_its_unresolved_rows_beside_it(scenario: Scenario) -> None:
    """gold/_unresolved/<fact> holds exactly the fact's rows on an unknown member with a code, kept from the fact's
    current version: after a full load (lake FULL) and after MERGEs (lake INC, which the late product's rows left)."""
    spark = scenario.spark
    for settings in (scenario.inc, scenario.full):
        for fact in FACTS:
            path = lake.table_path(settings, "gold", fact.name)
            kept = lake.read(spark, unresolved_path(settings, fact))
            expected = with_unknown_code(lake.read(spark, path), fact.keys_to_resolve) \
                .select(*fact.unresolved_columns)
            assert kept.exceptAll(expected).isEmpty() and expected.exceptAll(kept).isEmpty(), fact.name
            assert kept_unresolved(spark, settings, fact, lake.version(spark, path)) is not None
            # Kept from another version of the fact (a run failed between the commits): the fact is scanned instead.
            assert kept_unresolved(spark, settings, fact, lake.version(spark, path) - 1) is None
    sales = lake.read(spark, unresolved_path(scenario.inc, SALES))
    assert sales.where(F.col("sku") == "P99999").count() > 0
    assert sales.where(F.col("sku") == scenario.late_sku).count() == 0


def test_running_the_same_load_twice_changes_nothing(scenario: Scenario) -> None:
    assert checksums(scenario.spark, scenario.inc) == scenario.before_rerun
    assert all(m.rows_read == 0 for m in scenario.runs[2].metrics)
    # Nothing new in: not one silver or gold table gets a new commit (gold skips tables whose inputs are unchanged).
    assert versions(scenario.spark, scenario.inc) == scenario.versions_before_rerun


def test_a_sale_sent_again_with_its_date_corrected_moves_to_that_day(scenario: Scenario) -> None:
    """Silver keeps the later version, and gold's fact moves the sale to the corrected day, whether both versions
    came in one load (FULL) or the correction came in the next (INC, INC_SPARK; their daily sales mart then
    recomputes both days, as the comparison with FULL below checks)."""
    day = scenario.day_l - timedelta(days=2)
    for settings in (scenario.inc, scenario.inc_spark, scenario.full):
        line = _read(scenario, settings, "silver", "sales_lines").where(F.col("sales_line_id") == scenario.corrected)
        assert [r.sale_ts.date() for r in line.select("sale_ts").collect()] == [day]
        fact = _read(scenario, settings, "gold", "fact_sales").where(F.col("sales_line_id") == scenario.corrected)
        assert [r.date_key for r in fact.select("date_key").collect()] == [int(f"{day:%Y%m%d}")]


@pytest.mark.parametrize("lake_name", ["inc", "inc_spark"])
def test_incremental_day_equals_a_full_recompute(scenario: Scenario, lake_name: str) -> None:
    """Whether the small tables' MERGEs and rewrites were made from the driver (INC) or by Spark (INC_SPARK)."""
    inc, full = checksums(scenario.spark, getattr(scenario, lake_name)), checksums(scenario.spark, scenario.full)
    assert set(inc) == set(full)
    differing = {name for name in inc if inc[name] != full[name]}
    assert not differing, {name: (inc[name], full[name]) for name in differing}


def test_small_tables_are_merged_and_rewritten_from_the_driver_unless_too_large(scenario: Scenario) -> None:
    def engines(settings: Settings) -> set[str]:
        return {lake.last_commit(scenario.spark, lake.table_path(settings, *name.split("/")))[1]["engineInfo"]
                .split("/")[0].split(":")[0] for name in ("silver/customers", "silver/sales_lines", "gold/fact_sales",
                                            "gold/dim_product", "gold/mart_customer_rfm", "gold/mart_sales_daily",
                                            f"gold/{STOCK_BY_MONTH}")}

    assert engines(scenario.inc) == {"delta-rs"}
    assert engines(scenario.inc_spark) == {"Apache-Spark"}


def test_no_clear_pii_past_silver(scenario: Scenario) -> None:
    customers = _read(scenario, scenario.full, "silver", "customers")
    assert not {"email", "phone"} & set(customers.columns)
    key = resolve(scenario.full, "pii_hash_key")
    row = customers.where("email_hash IS NOT NULL").select("customer_id", "email_hash").first()
    source = _read(scenario, scenario.full, "bronze", "customers").where(F.col("customer_id") == row.customer_id) \
        .select("email").first()
    expected = hmac.new(key.encode(), source.email.strip().lower().encode(), hashlib.sha256).hexdigest()
    assert row.email_hash == expected
    for name in GOLD:
        columns = set(_read(scenario, scenario.full, "gold", name).columns)
        assert not columns & {"email", "phone", "first_name", "last_name", "name"}, name


def test_silver_merge_prunes_to_the_months_touched(scenario: Scenario) -> None:
    from delta.tables import DeltaTable

    history = DeltaTable.forPath(scenario.spark, lake.table_path(scenario.inc_spark, "silver", "sales_lines")) \
        .history()
    merge = history.where("operation = 'MERGE'").orderBy(F.desc("version")).first()
    predicate = merge.operationParameters["predicate"]
    assert "sale_month" in predicate and "2026-01" in predicate  # one month: Spark writes it as an equality
    _, commit = lake.last_commit(scenario.spark, lake.table_path(scenario.inc, "silver", "sales_lines"))
    predicate = commit["operationParameters"]["mergePredicate"]  # the same MERGE from the driver
    assert commit["operation"] == "MERGE" and "t.sale_month = '2026-01'" in predicate
    assert [f.partition for f in FACTS] == ["sale_month", "count_month", "movement_month"]


@pytest.mark.parametrize("lake_name, predicate", [("inc", "month = '2026-01'"), ("inc_spark", "month IN ('2026-01')")])
def test_the_incremental_day_recomputes_only_its_month_of_the_stock_sums(scenario: Scenario, lake_name: str,
                                                                         predicate: str) -> None:
    """Rewritten from the driver or by Spark, which each write the condition their own way."""
    settings = getattr(scenario, lake_name)
    commit = lake.last_commit(scenario.spark, lake.table_path(settings, "gold", STOCK_BY_MONTH))[1]
    assert commit["operationParameters"]["predicate"] == predicate
    days = lake.last_commit(scenario.spark, lake.table_path(settings, "gold", "mart_sales_daily"))[1]
    assert days["operationParameters"]["predicate"].startswith("date_key")  # its changed days only


def test_maintenance_optimizes_and_vacuums_only_what_it_can_delete(scenario: Scenario) -> None:
    from delta.tables import DeltaTable

    from spark_pools.maintenance import run_maintenance

    spark, settings = scenario.spark, scenario.full
    probe = lake.table_path(settings, "gold", "maintenance_probe")
    week_ago = time.time() - 8 * 24 * 3600
    try:
        frame = spark.range(50).withColumnRenamed("id", "n")
        lake.write(frame, probe, "overwrite")
        replaced = lake.current_files(spark, probe)
        lake.write(frame, probe, "overwrite")
        orphan = Path(probe) / "part-orphan.parquet"  # left by a write that failed before its commit
        orphan.write_bytes(b"not committed")
        for file in [*replaced, str(orphan)]:
            os.utime(file, (week_ago, week_ago))
        current = lake.current_files(spark, probe)

        report = run_maintenance(settings, spark=spark)

        assert report.vacuumed == ["gold/maintenance_probe"]
        # The orphan is gone; the replaced files stay: they left the table today, whatever their age.
        assert {file for file, _ in lake.files_under(spark, probe)[0]} == current | replaced
        assert lake.read(spark, probe).count() == 50
        # Everything else is younger than the retention: nothing VACUUM could delete, so it does not run.
        assert set(tables(settings)) | {"gold/mart_stock_performance", "bronze/pos_sales", "_ops/run_metrics"} \
            <= {name.replace("silver/_quarantine/", "quarantine/") for name in report.nothing_to_vacuum}
    finally:
        lake.delete(spark, probe)

    def operations(layer: str, name: str) -> list[str]:
        history = DeltaTable.forPath(spark, lake.table_path(settings, layer, name)).history()
        return [r.operation for r in history.orderBy("version").collect()]

    assert "gold/fact_sales" in report.optimized and "gold/mart_customer_rfm" not in report.optimized
    assert "OPTIMIZE" in operations("gold", "fact_sales") and "VACUUM END" not in operations("gold", "fact_sales")
    sales = lake.table_path(settings, "gold", "fact_sales")  # the files OPTIMIZE replaced stay for time travel
    assert {file for file, _ in lake.files_under(spark, sales)[0]} > lake.current_files(spark, sales)
    history = DeltaTable.forPath(spark, sales).history()
    optimize = history.where("operation = 'OPTIMIZE'").first()
    assert "store_key" in optimize.operationParameters["zOrderBy"]
    with pytest.raises(ValueError, match="retention below"):
        run_maintenance(settings, retention_hours=1, spark=spark)
