"""Benchmark: the dashboard queries on the local warehouse.

Builds a gold lake at `demo` scale (or reuses one), builds the DuckDB warehouse from the project's T-SQL, checks
that its KPI views agree with the Spark marts, then runs each dashboard query (T-SQL, as Power BI's DirectQuery
would send it to the pool, transpiled once) 1 + N times on one read-only connection. Prints the build time and
p50 / p95 per query and over all; writes bench/results/warehouse.json.

    .venv/bin/python bench/warehouse.py [--scale demo] [--runs 30] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the report pages ask for: one query per visual, written against the reporting views (the Power BI contract).
DASHBOARD = {
    "sales by region and category, last 28 days": """
        SELECT s.region, p.category, SUM(f.net_amount) AS net_sales, SUM(f.gross_margin) AS margin,
               COUNT(DISTINCT f.document_id) AS transactions
        FROM rpt.fact_sales AS f
        JOIN rpt.dim_date AS d ON d.date_key = f.date_key
        JOIN rpt.dim_store AS s ON s.store_key = f.store_key
        JOIN rpt.dim_product AS p ON p.product_key = f.product_key
        WHERE d.[date] > DATEADD(DAY, -28, (SELECT MAX(d2.[date]) FROM rpt.fact_sales AS f2
                                             JOIN rpt.dim_date AS d2 ON d2.date_key = f2.date_key))
        GROUP BY s.region, p.category""",
    "daily net sales by channel": """
        SELECT d.[date], c.channel_group, SUM(f.net_amount) AS net_sales
        FROM rpt.fact_sales AS f
        JOIN rpt.dim_date AS d ON d.date_key = f.date_key
        JOIN rpt.dim_channel AS c ON c.channel_key = f.channel_key
        GROUP BY d.[date], c.channel_group""",
    "category trend for one region (KPI view)": """
        SELECT sd.date_key, sd.category, SUM(sd.net_amount) AS net_sales, SUM(sd.units) AS units
        FROM rpt.sales_daily AS sd
        JOIN rpt.dim_store AS s ON s.store_key = sd.store_key
        WHERE s.region = 'North'
        GROUP BY sd.date_key, sd.category""",
    "replenishment list (inventory position)": """
        SELECT TOP 50 s.store_name, p.sku, ip.on_hand_quantity, ip.reorder_point, ip.days_of_supply,
               ip.recommended_order_quantity
        FROM rpt.inventory_position AS ip
        JOIN rpt.dim_store AS s ON s.store_key = ip.store_key
        JOIN rpt.dim_product AS p ON p.product_key = ip.product_key
        WHERE ip.below_reorder_point = 1
        ORDER BY ip.recommended_order_quantity DESC""",
    "GMROI and sell-through by category": """
        SELECT p.category, SUM(sp.gross_margin) AS margin, AVG(sp.gmroi) AS gmroi,
               AVG(sp.sell_through) AS sell_through
        FROM rpt.stock_performance AS sp
        JOIN rpt.dim_product AS p ON p.product_key = sp.product_key
        GROUP BY p.category""",
    "supplier OTIF and fill rate": """
        SELECT su.supplier_name, sp.otif_rate, sp.fill_rate, sp.average_lead_time_days
        FROM rpt.supplier_performance AS sp
        JOIN rpt.dim_supplier AS su ON su.supplier_key = sp.supplier_key""",
    "customer segments": """
        SELECT segment, COUNT(*) AS customers, SUM(monetary) AS monetary
        FROM rpt.customer_rfm
        GROUP BY segment""",
    "feedback by store": """
        SELECT s.store_name, SUM(fs.responses) AS responses, AVG(fs.average_rating) AS rating
        FROM rpt.feedback_summary AS fs
        JOIN rpt.dim_store AS s ON s.store_key = fs.store_key
        GROUP BY s.store_name""",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    from pipelines.copy_database import copy_tables
    from pipelines.sources.generate import generate
    from retail.settings import load_settings
    from spark_pools.jobs import run_batch
    from spark_pools.session import get_spark
    from sql_pools import reconcile, warehouse
    from sql_pools.dialect import to_duckdb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the gold lake built by an earlier run")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench-warehouse")
    args = parser.parse_args()
    landing, lake_root, database = args.out / "landing", args.out / "lake", args.out / "warehouse" / "retail.duckdb"
    settings = load_settings("local").with_lake(lake_root, landing).with_warehouse(database)
    if not (args.reuse and (lake_root / "gold").is_dir()):
        shutil.rmtree(args.out, ignore_errors=True)
        generate(landing, args.scale, seed=7)
        copy_tables(landing)
        started = time.perf_counter()
        run_batch(settings, None, full=True, spark=get_spark(settings))
        print(f"gold lake built in {time.perf_counter() - started:.0f} s", flush=True)
    shutil.rmtree(database.parent, ignore_errors=True)
    report = warehouse.build(settings)
    results: dict[str, object] = {"scale": args.scale, "runs": args.runs, "build_seconds": round(report.seconds, 2),
                                  "fact_sales_rows": next(t.rows for t in report.tables if t.table == "fact_sales")}
    timings: dict[str, list[float]] = {}
    with warehouse.connect(report.path, read_only=True) as connection:
        results["kpi_views_agree"] = all(not r.differences for r in reconcile.reconcile(connection))
        for name, text in DASHBOARD.items():
            sql = to_duckdb(text)[0]
            connection.execute(sql).fetchall()  # warm-up: the first read pulls the table from disk
            timings[name] = []
            for _ in range(args.runs):
                started = time.perf_counter()
                connection.execute(sql).fetchall()
                timings[name].append((time.perf_counter() - started) * 1000)
    results["queries_ms"] = {name: {"p50": round(percentile(t, 0.5), 1), "p95": round(percentile(t, 0.95), 1)}
                             for name, t in timings.items()}
    every = [value for t in timings.values() for value in t]
    results["all_p50_ms"], results["all_p95_ms"] = round(percentile(every, 0.5), 1), round(percentile(every, 0.95), 1)
    print(f"warehouse build: {results['build_seconds']} s ({results['fact_sales_rows']:,} sales lines); "
          f"KPI views agree with the marts: {results['kpi_views_agree']}")
    for name, figures in results["queries_ms"].items():
        print(f"{name:>45}: p50 {figures['p50']:7.1f} ms   p95 {figures['p95']:7.1f} ms")
    print(f"{'all dashboard queries':>45}: p50 {results['all_p50_ms']:7.1f} ms   p95 {results['all_p95_ms']:7.1f} ms")
    target = ROOT / "bench" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "warehouse.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
