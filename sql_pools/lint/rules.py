"""The rule catalogue: what the linter checks, as data. Each rule names its check (`checks.py`) and carries the
explanation a DBA reads under every finding: what goes wrong on a dedicated pool and what to do instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from retail.findings import Severity
from sql_pools.lint import checks
from sql_pools.lint.model import Project


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    explanation: str
    check: Callable[[Project], Iterable[checks.Hit]]


RULES: tuple[Rule, ...] = (
    Rule("SYN001", "fact-not-hash-distributed", Severity.ERROR,
         "A fact table holds billions of rows. ROUND_ROBIN spreads them evenly but places no row by key, so every "
         "join or aggregation on the fact shuffles it between the 60 distributions (a ShuffleMove or BroadcastMove "
         "in the plan); REPLICATE copies all of it to every compute node. Distribute a fact by HASH on a "
         "high-cardinality, NOT NULL column that its largest joins and GROUP BYs use.",
         checks.fact_not_hashed),
    Rule("SYN002", "poor-hash-column", Severity.WARNING,
         "The hash column decides which of the 60 distributions stores each row, and a query is as slow as its "
         "fullest distribution. A date (or date key) puts a day's load and a day's queries on one distribution; "
         "a bit column has two values; NULLs all hash alike; a key of a small dimension (fewer than 600 rows, 10 "
         "per distribution, by the projected row counts) leaves distributions empty and others hot. Hash on a "
         "NOT NULL column with many evenly spread values, such as product_key; check skew with "
         "DBCC PDW_SHOWSPACEUSED.",
         checks.poor_hash_column),
    Rule("SYN003", "dimension-replication-size", Severity.WARNING,
         "A REPLICATE table keeps a full copy on every compute node, so joins to it move no data; that pays while "
         "the table is small (under 2 GB) and costs rebuild time and storage beyond. The size is estimated as "
         "projected rows × row width, the width summed from the declared types: fixed types at their storage "
         "size (int 4, bigint 8, date 3, datetime2 8, decimal 5 to 17 by precision, ...), variable-length types "
         "at half their declared length plus 2 bytes (a (max) type at half of 8,000), 8 bytes for an untyped "
         "CTAS expression, plus 7 bytes of row overhead. Replicate a dimension under 2 GB; HASH-distribute one "
         "over it on its key. A dimension without a projected row count is not judged.",
         checks.dimension_replication),
    Rule("SYN004", "staging-not-round-robin-heap", Severity.WARNING,
         "Staging tables are loaded in bulk, read once in full and truncated. A ROUND_ROBIN HEAP loads fastest: "
         "no hashing of each row to its distribution and no columnstore compression (a columnstore also needs "
         "about a million rows per distribution to compress well). Create staging tables WITH (DISTRIBUTION = "
         "ROUND_ROBIN, HEAP).",
         checks.staging_layout),
    Rule("SYN005", "unsupported-on-dedicated-pool", Severity.ERROR,
         "A dedicated SQL pool has no triggers, sequences or computed columns, no FOREIGN KEY constraints (not even "
         "NOT ENFORCED) and no unique indexes; it accepts PRIMARY KEY and UNIQUE only as NONCLUSTERED ... NOT "
         "ENFORCED, which the optimizer trusts without checking. The deployment fails on these statements. Keep "
         "keys NONCLUSTERED NOT ENFORCED and make the load procedures guarantee uniqueness; use IDENTITY or a "
         "ROW_NUMBER() offset instead of a sequence; compute derived columns in the load or in a view.",
         checks.unsupported_features),
    Rule("SYN006", "merge-limits", Severity.ERROR,
         "A dedicated pool runs MERGE only within its limits: a MERGE with a WHEN NOT MATCHED [BY TARGET] insert "
         "must target a HASH-distributed table, and the target cannot have an IDENTITY column. Otherwise the "
         "statement fails when the procedure runs, not when it is deployed. Hash-distribute the target, or "
         "replace the MERGE by UPDATE and INSERT ... WHERE NOT EXISTS (or a CTAS and RENAME OBJECT swap).",
         checks.merge_limits),
    Rule("SYN007", "join-type-mismatch", Severity.WARNING,
         "Two columns joined with `=` whose declared types differ (type, length or precision) are compared after "
         "an implicit conversion: the rows no longer meet on their hash distribution, so the pool shuffles one "
         "side, and statistics and segment elimination stop helping. Declare a key with the same type in every "
         "table that holds it.",
         checks.join_type_mismatch),
    Rule("SYN008", "region-table-without-row-filter", Severity.ERROR,
         "Row-level security restricts each reader to their regions through the security policy's FILTER "
         "predicates. A table in dbo holding region or store_key rows that no FILTER predicate covers shows every "
         "region to every reader, through ad-hoc queries and DirectQuery alike. Add a FILTER (and BLOCK) predicate "
         "on it to the security policy.",
         checks.unsecured_tables),
    Rule("SYN009", "max-column-in-fact", Severity.WARNING,
         "The pool sizes data-movement buffers and memory grants by a row's declared width, so a (max) column makes "
         "every shuffle, sort and load of the fact reserve room for the longest possible value; long values are "
         "also stored off-row as LOB pages, outside the columnstore's compressed segments. Over billions of fact "
         "rows that is slow. Declare the longest length the data holds (NVARCHAR(200), ...), or keep long text in "
         "a separate table keyed like the fact.",
         checks.fact_max_columns),
)
