"""The dedicated SQL pool advisor: is each served table's distribution and partitioning right at production volume?

For every gold table the warehouse serves (`sql_pools.gold.SERVED`) that has local gold data and a
`CREATE TABLE` in the database project, it reads the local gold snapshot (a sample of production), scales it to
`sql_pool.projected_rows`, and reports:

* distribution skew, (max - min) / max rows over the 60 distributions, of the hash column: on the local sample
  and at projected volume (the model is documented in `sql_pools/advisor/columns.py`: Synapse's hash function is
  not published, so the figure measures the value distribution: heavy hitters, NULLs and unknown members pile on
  one distribution as they would in the pool, and fewer than 60 values leave distributions empty);
* the best 3 other columns to hash on;
* rows per distribution per partition against the 1 M rows columnstore guideline, and a coarser period if needed;
* replicated tables' projected size against the 2 GB limit (and dimensions that should be replicated);
* recommendations in plain words.

The thresholds live in `sql_pools/advisor/limits.py`.
"""

from __future__ import annotations

from sql_pools.advisor.columns import ColumnSkew, distribution_counts, skew
from sql_pools.advisor.limits import (
    DISTRIBUTIONS,
    REPLICATE_LIMIT_BYTES,
    ROWS_PER_DISTRIBUTION_PARTITION,
    SKEW_THRESHOLD,
)
from sql_pools.advisor.partitions import PartitionLoad, millions
from sql_pools.advisor.table import TableAdvice, advise_table, percent, size, values
from sql_pools.gold import SERVED, GoldMissingError, read_gold
from sql_pools.project import ScriptKind, created_tables, project_scripts

__all__ = ["DISTRIBUTIONS", "REPLICATE_LIMIT_BYTES", "ROWS_PER_DISTRIBUTION_PARTITION", "SKEW_THRESHOLD",
           "ColumnSkew", "PartitionLoad", "TableAdvice", "advise", "advise_table", "distribution_counts",
           "format_advice", "skew"]


def advise(settings) -> list[TableAdvice]:
    """Advice for every served table with local gold data and a `CREATE TABLE dbo.<name>` in the project's
    versioned migrations (where tables are created; repeatable scripts hold views and procedures), in serving
    order (dimensions, facts, marts)."""
    tables = created_tables(project_scripts(kinds=(ScriptKind.VERSIONED,)))
    advice = []
    for name in SERVED:
        create = tables.get(f"dbo.{name}")
        if create is None:
            continue
        try:
            data = read_gold(settings, name)
        except GoldMissingError:
            continue
        advice.append(advise_table(name, data, create, settings.sql_pool.projected_rows))
    return advice


def format_advice(advice: list[TableAdvice]) -> str:
    """A text report: per table its figures, then its recommendations."""
    if not advice:
        return "No tables to advise on: the advisor needs local gold data (`retail batch run --full`) and the " \
               "tables' DDL in sql_pools/database/."
    blocks = []
    for table in advice:
        lines = [f"{table.table}  {table.distribution}  {table.local_rows:,} local rows -> "
                 f"{table.projected_rows:,} projected, ~{size(table.projected_bytes)}"]
        if table.current is not None:
            c = table.current
            lines.append(f"  skew of {c.column}: local {percent(c.local_skew)}, projected {percent(c.projected_skew)}"
                         f" ({values(c.projected_distinct)}, largest distribution {percent(c.largest_share)}, "
                         f"NULL {percent(c.null_share)}, unknown -1/-2 {percent(c.unknown_share)})")
        if table.alternatives:
            lines.append("  alternatives: " + "; ".join(
                f"{a.column} {percent(a.projected_skew)} ({values(a.projected_distinct)}, NULL/unknown "
                f"{percent(a.null_share + a.unknown_share)})" for a in table.alternatives))
        if table.partitions is not None:
            filled = [p for p in table.partitions if p.local_rows]
            lines.append(f"  partitions: {len(table.partitions)}, {len(filled)} filled by the sample: " + ", ".join(
                f"#{p.number} {millions(p.rows_per_distribution)}/distribution" for p in filled))
        lines.extend(f"  - {sentence}" for sentence in table.recommendations)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
