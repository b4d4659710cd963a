"""KPI reconciliation: the warehouse's reporting views against the Spark gold marts loaded beside them.

The marts are computed by Spark from the lake (spark_pools/gold/kpis.py); the `rpt` views recompute the same
KPIs from the facts in T-SQL. Two independent computations of one definition: any difference is a bug in
one of them, or a definition that drifted. Run after every warehouse build (`retail warehouse check`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class KpiPair:
    mart: str  # dbo table loaded from gold
    view: str  # rpt view computed in the warehouse
    keys: tuple[str, ...]
    values: tuple[str, ...]


PAIRS = (
    KpiPair("mart_sales_daily", "sales_daily", ("date_key", "store_key", "category"),
            ("units", "gross_amount", "discount_amount", "net_amount", "cost_amount", "gross_margin", "transactions",
             "lines")),
    KpiPair("mart_supplier_performance", "supplier_performance", ("supplier_key",),
            ("lines_due", "lines_on_time", "lines_in_full", "otif_rate", "units_ordered", "units_received",
             "fill_rate", "average_lead_time_days")),
    KpiPair("mart_feedback", "feedback_summary", ("product_key", "store_key"),
            ("responses", "average_rating", "positive_share", "negative_share")),
    KpiPair("mart_stock_performance", "stock_performance", ("store_key", "product_key"),
            ("units_sold", "net_amount", "cost_of_goods_sold", "gross_margin", "average_on_hand",
             "average_inventory_cost", "opening_on_hand", "units_received", "stock_turnover", "gmroi",
             "sell_through")),
    KpiPair("mart_inventory_position", "inventory_position", ("store_key", "product_key"),
            ("date_key", "on_hand_quantity", "on_order", "avg_daily_demand", "demand_sd", "lead_time_days",
             "lead_time_sd", "safety_stock", "reorder_point", "days_of_supply", "recommended_order_quantity",
             "below_reorder_point")),
    KpiPair("mart_customer_rfm", "customer_rfm", ("customer_key",),
            ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment")),
)
# Spark keeps a decimal average at 6 places (decimal(27,6)) and divides by that rounded value; the views divide
# doubles. The two agree to about 1e-8 relative; a formula difference shows up far above 1e-6.
RELATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Difference:
    kpi: str
    key: tuple
    column: str
    mart: object
    view: object


@dataclass(frozen=True)
class Reconciliation:
    kpi: str
    rows: int
    differences: list[Difference]


def reconcile(connection: duckdb.DuckDBPyConnection, pairs: tuple[KpiPair, ...] = PAIRS) -> list[Reconciliation]:
    return [_reconcile(connection, pair) for pair in pairs]


def _reconcile(connection: duckdb.DuckDBPyConnection, pair: KpiPair) -> Reconciliation:
    columns = ", ".join((*pair.keys, *pair.values))
    mart = _rows(connection, f"SELECT {columns} FROM dbo.{pair.mart}", len(pair.keys))
    view = _rows(connection, f"SELECT {columns} FROM rpt.{pair.view}", len(pair.keys))
    differences = [Difference(pair.view, key, "(row)", "present" if key in mart else "missing",
                              "present" if key in view else "missing")
                   for key in sorted(mart.keys() ^ view.keys(), key=repr)]
    for key in sorted(mart.keys() & view.keys(), key=repr):
        for column, left, right in zip(pair.values, mart[key], view[key], strict=True):
            if not _same(left, right):
                differences.append(Difference(pair.view, key, column, left, right))
    return Reconciliation(pair.view, len(mart), differences)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, keys: int) -> dict[tuple, tuple]:
    rows = connection.execute(sql).fetchall()
    result = {row[:keys]: row[keys:] for row in rows}
    if len(result) != len(rows):
        raise ValueError(f"duplicate keys in: {sql}")
    return result


def _same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool) or isinstance(left, str):
        return left == right
    a, b = float(left), float(right)
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b), 1.0)
