"""Rows per distribution per partition at projected volume, against the columnstore's 1 M rows guideline.

Each partition receives the share of the local rows its range holds under the DDL's boundaries (RANGE RIGHT: a
boundary value belongs to the partition on its right; RANGE LEFT, the default: to the one on its left; NULLs to
the first partition), times the projected rows, spread over the 60 distributions. That assumes production spans
the same partitions as the sample; when the sample fills only some, the report also says what spreading the
projected rows over all of them would give.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import duckdb
import pyarrow as pa

from sql_pools.advisor.limits import DISTRIBUTIONS, ROWS_PER_DISTRIBUTION_PARTITION
from sql_pools.dialect.expressions import PartitionRangeProperty

_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class PartitionLoad:
    number: int  # 1-based, as $PARTITION and sys.partitions number them
    range: str  # e.g. "20260101 <= date_key < 20260201"
    local_rows: int
    projected_rows: int
    rows_per_distribution: float

    @property
    def large_enough(self) -> bool:
        return self.rows_per_distribution >= ROWS_PER_DISTRIBUTION_PARTITION


def _boundary(value: Any, kind: pa.DataType) -> Any:
    """A boundary literal as a value comparable with the column's."""
    if pa.types.is_integer(kind):
        return int(value)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return float(value)
    if pa.types.is_date(kind):
        return date.fromisoformat(str(value)[:10])
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(str(value))
    return str(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return float(value) if not isinstance(value, int | float | str | date) else value


def partition_loads(connection: duckdb.DuckDBPyConnection, table: pa.Table, partition: PartitionRangeProperty,
                    projected_total: int) -> list[PartitionLoad] | None:
    """One load per partition (boundaries + 1 of them), or None when the table has no such column."""
    column = partition.this.name
    if column not in table.column_names:
        return None
    kind = table.schema.field(column).type
    bounds = [_comparable(_boundary(b.to_py(), kind)) for b in partition.expressions]
    right = (partition.args.get("side") or "LEFT").upper() == "RIGHT"
    local = [0] * (len(bounds) + 1)
    quoted = '"' + column.replace('"', '""') + '"'
    for value, rows in connection.execute(f"SELECT {quoted}, count(*) FROM t GROUP BY 1").fetchall():
        if value is None:
            local[0] += rows
        else:
            value = _comparable(value)
            local[bisect_right(bounds, value) if right else bisect_left(bounds, value)] += rows
    total = table.num_rows
    loads = []
    for index, rows in enumerate(local):
        projected = round(projected_total * rows / total) if total else 0
        loads.append(PartitionLoad(index + 1, _range_text(column, bounds, index, right), rows, projected,
                                   projected / DISTRIBUTIONS))
    return loads


def _range_text(column: str, bounds: list[Any], index: int, right: bool) -> str:
    low, high = ("<=", "<") if right else ("<", "<=")
    lower = f"{bounds[index - 1]} {low} " if index > 0 else ""
    upper = f" {high} {bounds[index]}" if index < len(bounds) else ""
    return f"{lower}{column}{upper}"


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and 19000101 <= value <= 99991231:  # an int yyyymmdd date key
        try:
            return date(value // 10000, value // 100 % 100, value % 100)
        except ValueError:
            return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def months_per_partition(partition: PartitionRangeProperty) -> float | None:
    """The typical span of one bounded partition in months (median over the boundaries), when they are dates."""
    dates = [_as_date(b.to_py()) for b in partition.expressions]
    if len(dates) < 2 or any(d is None for d in dates):
        return None
    spans = []
    for earlier, later in pairwise(dates):
        if earlier.day == later.day:  # calendar months exactly: 1 for monthly, 3 for quarterly
            spans.append((later.year - earlier.year) * 12 + later.month - earlier.month)
        else:
            spans.append((later - earlier).days / _DAYS_PER_MONTH)
    return statistics.median(spans)


def median_load(loads: list[PartitionLoad]) -> float:
    """The median rows per distribution over the partitions the sample puts rows in."""
    return statistics.median([p.rows_per_distribution for p in loads if p.local_rows] or [0.0])


def coarser(load: float, partition: PartitionRangeProperty) -> str:
    """The partition size at which `load` rows per distribution per partition would reach the guideline:
    months per partition for date boundaries, else how many partitions to merge."""
    if load <= 0:
        return "no partitioning: the sample puts no rows in any partition"
    months = months_per_partition(partition)
    if months is None or months <= 0:
        factor = math.ceil(ROWS_PER_DISTRIBUTION_PARTITION / load - 1e-9)
        return f"merge every {factor} partitions into one (~{millions(load * factor)} per distribution)"
    per_month = load / months
    needed = math.ceil(ROWS_PER_DISTRIBUTION_PARTITION / per_month - 1e-9)
    if needed > 12:
        return (f"no partitioning (or multi-year partitions): even a year holds only {millions(per_month * 12)} "
                f"per distribution, {needed} months would reach 1 M")
    span, name = next((m, n) for m, n in ((1, "monthly"), (3, "quarterly"), (6, "half-yearly"), (12, "yearly"))
                      if needed <= m)
    holds = f"{span} month{'s' if span > 1 else ''} hold {millions(per_month * span)} per distribution"
    if needed == span:
        return f"{name} partitions ({holds})"
    return f"{name} partitions ({needed} months would reach 1 M rows per distribution; {holds})"


def millions(rows: float) -> str:
    return f"{rows / 1e6:.2f} M rows"
