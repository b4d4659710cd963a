"""How a hash column spreads a table over the 60 distributions: in the local sample and at projected volume.

Synapse's internal hash function is not published, so the figures stand for the *value distribution* of the
column, not for the exact distribution each row lands on: a row goes to `hash(value) % 60` (DuckDB's stable
hash), NULLs all go to one distribution (0). What decides skew in the pool is the same here: a heavy-hitter value,
the NULLs and each unknown member (-1/-2) sit wholly on one distribution, and a column with fewer than 60 values
leaves distributions empty.

The projected model (rows at production volume, deterministic):

* NULL and unknown-member rows keep their share of rows: each is one value at any volume. Except where the
  column is unique in the sample (a dimension's key): there each unknown member is one row like any other.
* Heavy hitters (a value at least HEAVY_FACTOR times as frequent as the average value: a default
  customer, a house brand) keep their share of rows too, on the distribution they hash to.
* The ordinary values keep their weight relative to each other and land where they hash. When the projected
  number of ordinary values K is larger than the k the sample holds, the sample's values carry k/K of the
  ordinary rows and the K - k values the sample has not seen carry the rest, each an average value, spread
  evenly over the distributions. With K = k every value simply keeps its share of rows.
* K: for `x_key`, the projected rows of `dim_x` (a key takes at most its dimension's members); for an
  identifier (unique in the sample, or distinct values >= half the rows of a sample of >= 1,000 rows) the
  distinct count grows with the rows; otherwise the local distinct count (a code list: channel, category).
* Hashing K values puts ~K/60 on each distribution only on average: with few values per distribution, chance
  alone leaves them uneven (500 values: ~90 % skew; 50,000: ~15 %; 5 M: ~1.6 %). When the sample lacks values,
  the projected skew is the larger of the model's and this chance skew, 2 z sigma / (mu + z sigma) with
  mu = K/60, sigma = sqrt(K (1/60)(59/60)) and z the expected extreme of 60 normal draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sql_pools.advisor.limits import (
    CLOSE_SKEW,
    DISTRIBUTIONS,
    EXPECTED_MAX_Z,
    HEAVY_FACTOR,
    IDENTIFIER_MIN_ROWS,
    IDENTIFIER_RATIO,
    SKEW_THRESHOLD,
    UNKNOWN_MEMBERS,
)

_DATE_LIKE = re.compile(r"(^|_)(date|month|year|quarter|week|day|ts|time)(_key)?$")
_KEY_LIKE_INTEGER = re.compile(r"_(key|id|number|code|no)$")


def skew(rows_per_distribution: Sequence[float]) -> float:
    """(max - min) / max over the distributions: 0 is perfectly even, 1 means one is empty while others are not.
    0.0 for an empty table."""
    largest = max(rows_per_distribution, default=0)
    return 0.0 if largest <= 0 else (largest - min(rows_per_distribution)) / largest


@dataclass(frozen=True)
class ColumnSkew:
    """One hash column candidate. Shares are of all rows; `largest_share` is the projected fullest distribution
    (1/60 = 1.7 % is perfectly even)."""

    column: str
    local_distinct: int
    projected_distinct: int
    null_share: float
    unknown_share: float
    largest_share: float
    local_skew: float  # on the local sample, as hashed
    projected_skew: float  # at projected volume: the larger of the next two
    model_skew: float  # from the values' weights alone (unseen values spread evenly)
    chance_skew: float  # what hashing only so many (non-heavy) values leaves uneven by chance

    @property
    def skewed(self) -> bool:
        return self.projected_skew >= SKEW_THRESHOLD

    @property
    def is_key(self) -> bool:
        return self.column.endswith("_key")


def connect(table: pa.Table) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.register("t", table)
    return connection


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _profile(connection: duckdb.DuckDBPyConnection, table: pa.Table, columns: Sequence[str],
             distributions: int) -> list[tuple[int, str, int, int]]:
    """(distribution, kind, rows, distinct values), kind 'null', 'unknown', 'heavy' (a value at least
    HEAVY_FACTOR times as frequent as the average value) or 'value'. A value hashes to exactly one
    distribution, so the distinct counts add up over distributions."""
    quoted = [_quote(c) for c in columns]
    all_null = " AND ".join(f"{c} IS NULL" for c in quoted)
    special = " AND ".join(
        f"({q} IS NULL OR {q} IN {UNKNOWN_MEMBERS})" if pa.types.is_integer(table.schema.field(c).type)
        else f"{q} IS NULL" for c, q in zip(columns, quoted, strict=True))
    return connection.execute(f"""
        WITH v AS (SELECT {', '.join(quoted)}, count(*) AS n FROM t GROUP BY ALL),
             m AS (SELECT avg(n) AS mean FROM v WHERE NOT ({special}))
        SELECT CASE WHEN {all_null} THEN 0 ELSE hash({', '.join(quoted)}) % {distributions} END::INTEGER,
               CASE WHEN {all_null} THEN 'null' WHEN {special} THEN 'unknown'
                    WHEN n >= {HEAVY_FACTOR} * m.mean THEN 'heavy' ELSE 'value' END,
               sum(n)::BIGINT, count(*)
        FROM v, m GROUP BY ALL""").fetchall()


def distribution_counts(table: pa.Table, column: str | Sequence[str], distributions: int = DISTRIBUTIONS) -> list[int]:
    """Rows per distribution when the table is hashed on the column(s): `hash(value) % distributions`, NULLs on
    distribution 0 (the pool's own hash differs, the piling up of equal values does not)."""
    columns = [column] if isinstance(column, str) else list(column)
    counts = [0] * distributions
    for distribution, _, rows, _ in _profile(connect(table), table, columns, distributions):
        counts[distribution] += rows
    return counts


def chance_skew(values: int, distributions: int = DISTRIBUTIONS) -> float:
    """The skew hashing `values` equally frequent values gives by chance alone (1.0 below one per distribution)."""
    if values < distributions:
        return 1.0
    p = 1 / distributions
    mean, sigma = values * p, math.sqrt(values * p * (1 - p))
    return min(1.0, 2 * EXPECTED_MAX_Z * sigma / (mean + EXPECTED_MAX_Z * sigma))


def _chance_fullest(values: int, distributions: int = DISTRIBUTIONS) -> float:
    """The fullest distribution's expected share of rows when `values` equal values are hashed."""
    if values < distributions:
        return 1 / values if values else 0.0
    p = 1 / distributions
    return min(1.0, (values * p + EXPECTED_MAX_Z * math.sqrt(values * p * (1 - p))) / values)


def projected_distinct(columns: Sequence[str], local: int, local_rows: int, projected: float,
                       projected_rows: dict[str, int]) -> int:
    """Distinct values at projected volume (see the module docstring); never fewer than the sample has, never
    more than the projected rows."""
    if local == 0:
        return 0
    estimate: float = local
    dimension = f"dim_{columns[0].removesuffix('_key')}"
    if len(columns) == 1 and columns[0].endswith("_key") and dimension in projected_rows:
        estimate = projected_rows[dimension]
    elif local == local_rows or (local_rows >= IDENTIFIER_MIN_ROWS and local >= IDENTIFIER_RATIO * local_rows):
        estimate = local * projected / local_rows
    return round(min(max(local, estimate), max(local, projected)))


def column_skew(connection: duckdb.DuckDBPyConnection, table: pa.Table, column: str | Sequence[str],
                projected_total: int, projected_rows: dict[str, int]) -> ColumnSkew:
    """The column's figures in the sample and at `projected_total` rows (the model: the module docstring)."""
    columns = [column] if isinstance(column, str) else list(column)
    profile = _profile(connection, table, columns, DISTRIBUTIONS)
    rows = table.num_rows
    if rows and sum(distinct for *_, distinct in profile) == rows:
        # every value once (a dimension's key): the unknown members are single rows, ordinary values
        profile = [(d, "value", count, distinct) for d, _, count, distinct in profile]
    scale = projected_total / rows if rows else 0.0
    rows_of = {kind: sum(r for _, k, r, _ in profile if k == kind) for kind in ("null", "unknown", "heavy", "value")}
    distinct_of = {kind: sum(n for _, k, _, n in profile if k == kind) for kind in ("heavy", "value")}
    seen = distinct_of["heavy"] + distinct_of["value"]
    values = projected_distinct(columns, seen, rows_of["heavy"] + rows_of["value"],
                                (rows_of["heavy"] + rows_of["value"]) * scale, projected_rows)
    # Ordinary values: the sample's carry seen/total of their rows, the unseen the rest, evenly spread.
    ordinary, seen_ordinary = values - distinct_of["heavy"], distinct_of["value"]
    carried = seen_ordinary / ordinary if ordinary else 1.0
    projected = [0.0] * DISTRIBUTIONS
    local = [0] * DISTRIBUTIONS
    for distribution, kind, count, _ in profile:
        local[distribution] += count
        projected[distribution] += count * scale * (carried if kind == "value" else 1.0)
    unseen = rows_of["value"] * scale * (1 - carried) / DISTRIBUTIONS
    projected = [p + unseen for p in projected]
    chance = chance_skew(ordinary) if ordinary > seen_ordinary else 0.0
    total = sum(projected)
    return ColumnSkew(
        column=", ".join(columns),
        local_distinct=seen,
        projected_distinct=values,
        null_share=rows_of["null"] / rows if rows else 0.0,
        unknown_share=rows_of["unknown"] / rows if rows else 0.0,
        largest_share=max(max(projected) / total if total else 0.0,
                          _chance_fullest(ordinary) * rows_of["value"] / rows if chance else 0.0),
        local_skew=skew(local),
        projected_skew=max(skew(projected), chance),
        model_skew=skew(projected),
        chance_skew=chance,
    )


def candidate_columns(schema: pa.Schema) -> list[str]:
    """Columns worth hashing on: integer keys and identifiers, strings. Dates and date keys (a day's load lands
    on one distribution), booleans, decimals, floats, timestamps and integer measures are left out."""
    candidates = []
    for field in schema:
        if _DATE_LIKE.search(field.name):
            continue
        if (pa.types.is_integer(field.type) and _KEY_LIKE_INTEGER.search(field.name)) or \
                pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            candidates.append(field.name)
    return candidates


def rank(candidates: list[ColumnSkew]) -> list[ColumnSkew]:
    """Best first by projected skew; among those within CLOSE_SKEW of the best, join keys (`*_key`) first."""
    best = min((c.projected_skew for c in candidates), default=0.0)
    return sorted(candidates, key=lambda c: (c.projected_skew > best + CLOSE_SKEW, not c.is_key,
                                             c.projected_skew, c.column))
