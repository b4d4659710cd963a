"""One table's advice: its DDL's distribution and partitions against the gold data scaled to projected volume."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from sql_pools.advisor.columns import ColumnSkew, candidate_columns, column_skew, connect, rank
from sql_pools.advisor.limits import (
    DISTRIBUTIONS,
    REPLICATE_LIMIT_BYTES,
    ROWS_PER_DISTRIBUTION_PARTITION,
    SKEW_THRESHOLD,
)
from sql_pools.advisor.partitions import PartitionLoad, coarser, median_load, millions, partition_loads
from sql_pools.dialect import physical_options
from sql_pools.dialect.expressions import ClusteredIndexProperty, DistributionProperty, PartitionRangeProperty


@dataclass(frozen=True)
class TableAdvice:
    table: str
    distribution: str  # as the DDL says: "HASH(product_key)", "REPLICATE", "ROUND_ROBIN"
    hash_column: str | None
    local_rows: int
    projected_rows: int
    local_skew: float | None  # of the hash column, on the local sample
    projected_skew: float | None  # of the hash column, at projected volume
    alternatives: list[ColumnSkew]  # the best 3 other columns to hash on
    partitions: list[PartitionLoad] | None  # None: not partitioned
    projected_bytes: int
    recommendations: list[str]
    current: ColumnSkew | None = None  # the hash column's full figures


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def values(count: int) -> str:
    return f"{count:,} value{'s' if count != 1 else ''}"


def size(nbytes: float) -> str:
    unit, scale = next((u, s) for u, s in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024), ("bytes", 1))
                       if nbytes >= s or s == 1)
    return f"{nbytes / scale:.1f} {unit}"


def advise_table(name: str, data: pa.Table, create: exp.Create | None, projected_rows: dict[str, int]) -> TableAdvice:
    """The table's advice. `projected_rows` maps table names to production rows (a table missing from it is
    sized at its local rows). Sizes are Arrow's uncompressed bytes scaled to projected rows: larger than the
    pool's compressed columnstore, so the replicate check errs towards caution."""
    options = physical_options(create) if create is not None else []
    distribution = next((o for o in options if isinstance(o, DistributionProperty)), None)
    partition = next((o for o in options if isinstance(o, PartitionRangeProperty)), None)
    kind = str(distribution.args["kind"]).upper() if distribution else "ROUND_ROBIN"  # the pool's default
    hash_columns = [c.name for c in distribution.expressions] if kind == "HASH" else []
    rows = data.num_rows
    projected = projected_rows.get(name, rows)
    projected_bytes = round(projected * data.nbytes / rows) if rows else 0
    connection = connect(data)
    missing = [c for c in hash_columns if c not in data.column_names]
    current = column_skew(connection, data, hash_columns, projected, projected_rows) \
        if hash_columns and not missing else None
    alternatives = rank([column_skew(connection, data, c, projected, projected_rows)
                         for c in candidate_columns(data.schema) if c not in hash_columns])[:3]
    loads = partition_loads(connection, data, partition, projected) if partition is not None else None
    text = f"HASH({', '.join(hash_columns)})" if hash_columns else kind
    recommendations = [f"{name}: {sentence}" for sentence in [
        *([] if create is not None else ["no CREATE TABLE in the database project: sized as the pool's default "
                                         "ROUND_ROBIN"]),
        *_distribution(name, text, kind, missing, current, alternatives, projected_bytes, rows),
        *_partitions(partition, loads, projected, columnstore=not any(
            isinstance(o, ClusteredIndexProperty | exp.HeapProperty) for o in options)),
    ]]
    return TableAdvice(
        table=name, distribution=text, hash_column=", ".join(hash_columns) or None, local_rows=rows,
        projected_rows=projected, local_skew=current.local_skew if current else None,
        projected_skew=current.projected_skew if current else None, alternatives=alternatives,
        partitions=loads, projected_bytes=projected_bytes, recommendations=recommendations, current=current)


def _distribution(name: str, text: str, kind: str, missing: list[str], current: ColumnSkew | None,
                  alternatives: list[ColumnSkew], projected_bytes: int, rows: int) -> list[str]:
    best = alternatives[0] if alternatives else None
    hash_best = f"HASH({best.column}) (projected skew {percent(best.projected_skew)}, " \
                f"{values(best.projected_distinct)})" if best else "HASH on a column with many evenly used values"
    small = projected_bytes <= REPLICATE_LIMIT_BYTES
    replicate = f"a dimension of ~{size(projected_bytes)} projected (under 2 GB): REPLICATE it, so joins to it " \
                f"need no data movement"
    if kind == "REPLICATE":
        if small:
            return [f"REPLICATE is fine: ~{size(projected_bytes)} projected, under the 2 GB limit"]
        return [f"REPLICATE is too large: ~{size(projected_bytes)} projected, over the 2 GB limit (every compute "
                f"node caches a full copy and rebuilds it after each load): distribute it with {hash_best}"]
    sentences = []
    if kind == "HASH" and missing:
        sentences.append(f"{text} names {', '.join(missing)}, which the gold table does not have: the DDL and the "
                         f"gold table disagree")
    elif kind == "HASH" and current is not None:
        sample = f"local sample {percent(current.local_skew)} over {rows:,} rows"
        if current.local_skew >= SKEW_THRESHOLD and not current.skewed:
            sample += " (a small sample leaves distributions empty by its size alone, not the column)"
        if not current.skewed:
            sentences.append(f"{text} is fine: projected skew {percent(current.projected_skew)} over "
                             f"{values(current.projected_distinct)}, largest distribution "
                             f"{percent(current.largest_share)} of rows; {sample}")
        else:
            sentences.append(f"{text} is skewed: projected skew {percent(current.projected_skew)} (>= "
                             f"{percent(SKEW_THRESHOLD)}): {'; '.join(_why(current))}; {sample}")
            sentences.append(_instead(current, alternatives))
    elif kind == "ROUND_ROBIN" and not (name.startswith("dim_") and small):
        if best is not None and not best.skewed:
            sentences.append(f"ROUND_ROBIN spreads rows evenly, but every join on it moves data: {hash_best} "
                             f"would spread almost as evenly and keep joins on {best.column} local")
        else:
            sentences.append("ROUND_ROBIN is fine: no column spreads evenly enough to hash on"
                             + (f" (best: {hash_best})" if best else ""))
    if name.startswith("dim_") and small:
        sentences.append(replicate)
    return sentences


def _why(column: ColumnSkew) -> list[str]:
    reasons = []
    special = column.null_share + column.unknown_share
    if column.projected_distinct < DISTRIBUTIONS:
        reasons.append(f"only {column.projected_distinct:,} distinct values for {DISTRIBUTIONS} distributions, "
                       f"so {DISTRIBUTIONS - column.projected_distinct} stay empty")
    if special > SKEW_THRESHOLD / DISTRIBUTIONS:  # enough to lift one distribution 10 % over an even share
        reasons.append(f"{percent(special)} of rows are NULL ({percent(column.null_share)}) or unknown members "
                       f"-1/-2 ({percent(column.unknown_share)}), each value wholly on one distribution")
    if column.chance_skew >= SKEW_THRESHOLD and column.projected_distinct >= DISTRIBUTIONS:
        reasons.append(f"{column.projected_distinct:,} values are too few to hash evenly: "
                       f"~{column.projected_distinct / DISTRIBUTIONS:,.0f} per distribution differ by "
                       f"~{percent(column.chance_skew)} by chance alone")
    if not reasons or column.largest_share > 2 / DISTRIBUTIONS:
        reasons.append(f"the fullest distribution holds {percent(column.largest_share)} of rows (even: "
                       f"{percent(1 / DISTRIBUTIONS)})")
    return reasons


def _instead(current: ColumnSkew, alternatives: list[ColumnSkew]) -> str:
    better = [a for a in alternatives if a.projected_skew < current.projected_skew]
    if not better:
        return f"no other column spreads better: keep HASH({current.column}) for co-located joins, or use " \
               f"ROUND_ROBIN if the skew costs more than the joins save"
    best = better[0]
    sentence = (f"consider HASH({best.column}): projected skew {percent(best.projected_skew)}, "
                f"{values(best.projected_distinct)}, {percent(best.null_share + best.unknown_share)} NULL or unknown")
    if current.is_key and not best.is_key:
        sentence += (f"; it is not a join key, so joins on {current.column} would move data: weigh that "
                     f"against the skew")
    return sentence


def _partitions(partition: PartitionRangeProperty | None, loads: list[PartitionLoad] | None, projected: int,
                columnstore: bool) -> list[str]:
    if partition is None:
        return []
    column = partition.this.name
    if loads is None:
        return [f"partitioned on {column}, which the gold table does not have: the DDL and the gold table disagree"]
    filled = [p for p in loads if p.local_rows]
    if not filled:
        return [f"partitions on {column}: the sample has no rows to size them by"]
    load = median_load(loads)
    where = (f"the {len(filled)} of {len(loads)} partitions the sample fills hold a median {millions(load)} per "
             f"distribution at projected volume")
    guideline = "" if columnstore else " (a guideline for columnstore; this table is not one, so it matters less)"
    if load < ROWS_PER_DISTRIBUTION_PARTITION:
        return [f"partitions on {column} are too fine: {where}, under the 1 M rows a columnstore rowgroup needs"
                f"{guideline}: use {coarser(load, partition)}"]
    sentence = f"partitions on {column} are fine: {where} (>= 1 M rows per distribution)"
    even = projected / len(loads) / DISTRIBUTIONS
    if len(filled) < len(loads) and even < ROWS_PER_DISTRIBUTION_PARTITION:
        sentence += (f"; but if production fills all {len(loads)} partitions evenly, each holds only "
                     f"{millions(even)} per distribution: then use {coarser(even, partition)}")
    return [sentence + guideline]
