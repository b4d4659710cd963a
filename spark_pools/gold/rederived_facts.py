"""The facts whose rows are re-derived whole per document (an order's lines, a feedback) from the driver: an
incremental run MERGEs only the documents its silver loads changed (`rederive`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from deltalake.exceptions import DeltaError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.gold import derived, star
from spark_pools.gold.derived import gold_path
from spark_pools.ops import Metrics, measured
from spark_pools.silver.build import silver_path
from spark_pools.silver.entities import BY_NAME


@dataclass(frozen=True)
class RederivedFact:
    """A fact whose rows an incremental run re-derives only for the documents (an order, a feedback) its silver
    loads changed, and MERGEs from the driver (`rederive`)."""
    name: str
    entities: tuple[str, ...]  # the silver entities it reads, in the order `derive` takes them
    rows_entity: str  # the one of them whose records become its rows
    document: str  # the column a document's rows share, in every entity: what is re-derived together
    key: tuple[str, ...]
    dimensions: tuple[str, ...]  # its keys that may be on an unknown member
    derive: Callable[..., DataFrame]  # (each entity's rows, in order, then the dimensions) -> the fact's rows
    # Documents a load changes besides those it holds: (settings, each other entity's records in the pending loads,
    # their document and key, what the fact was built from) -> their `document` column, or None when only a
    # rebuild will do.
    also: Callable[[Settings, dict[str, pa.Table], dict[str, object]], pa.Table | None] | None = None


def _receipts_moved(settings: Settings, sent: dict[str, pa.Table], built_from: dict[str, object]) -> pa.Table | None:
    """For each receipt sent again, the order it was against in the receipts the order lines fact was built from: a
    receipt moved to another order leaves the first one. None when the fact does not say which receipts it was
    built from, or they are gone (VACUUM)."""
    was = built_from.get("silver/receipts")
    if not isinstance(was, int):
        return None
    try:
        return small_commits.read_table(silver_path(settings, "receipts"), ("po_number",), was,
                                        ("receipt_id", sent["receipts"].column("receipt_id").to_pylist()))
    except (DeltaError, OSError):
        return None


ORDER_LINES = RederivedFact("fact_purchase_order_line", ("purchase_orders", "purchase_order_lines", "receipts"),
                            "purchase_order_lines", "po_number", ("po_number", "line_number"),
                            ("store_key", "product_key", "supplier_key"), star.fact_purchase_order_line,
                            _receipts_moved)
FEEDBACK = RederivedFact("fact_feedback", ("feedback",), "feedback", "feedback_id", ("feedback_id",),
                         ("store_key", "product_key", "customer_key"), star.fact_feedback)
REDERIVED = (ORDER_LINES, FEEDBACK)


def rederive(spark: SparkSession, settings: Settings, fact: RederivedFact, dims: dict[str, DataFrame],
             pending: dict[str, list[str]], full: bool) -> Metrics:
    """A fact of which an incremental run re-derives and MERGEs from the driver only the rows of the documents its
    silver loads changed (`_documents_changed`); a day that changes none commits nothing.

    Its commit keeps the versions of the silver entities it was built from. It is rebuilt whole by a full run, when
    it does not exist yet, when what it was built from can no longer be told, or when those documents have more rows
    than the driver MERGEs (`small_commits.DRIVER_ROWS`)."""
    path = gold_path(settings, fact.name)
    silver = [derived.read_silver(spark, settings, name) for name in fact.entities]
    inputs = derived.inputs(spark, settings, tuple(f"silver/{name}" for name in fact.entities))
    with measured(spark, "gold", fact.name) as m:
        before, commit = lake.last_commit(spark, path)
        built_from = json.loads(commit.get("userMetadata") or "{}")
        changed = None if full or before < 0 else _documents_changed(settings, fact, pending, built_from)
        if changed == ([], 0):
            return m
        merged = False
        if changed is not None:
            documents, count = changed
            # Joined, not an IN list: the first run after a full load may find every document changed.
            touched = F.broadcast(spark.createDataFrame([(d,) for d in documents], f"{fact.document} string"))
            rows = fact.derive(*(frame.join(touched, fact.document, "left_semi") for frame in silver), dims)
            condition = " AND ".join(f"t.{k} = s.{k}" for k in fact.key)
            merged = small_commits.merge_small(path, rows, count, condition, user_metadata=inputs)
        if not merged:
            derived.write(fact.derive(*silver, dims), settings, fact.name, inputs=inputs)
        m.rows_read = m.rows_written = lake.committed_rows(spark, path, before)
    return m


def _documents_changed(settings: Settings, fact: RederivedFact, pending: dict[str, list[str]],
                       built_from: dict[str, object]) -> tuple[list[str], int] | None:
    """The documents whose rows in the fact the pending silver loads may change, and how many rows they have,
    found in the driver with delta-rs (no Spark job): documents with a record in the loads, those the fact's own
    rule adds (`RederivedFact.also`), and those with a row on an unknown member whose code the dimension now knows
    (`star.resolvable_rows`). None when only a rebuild will do (the fact's rule cannot tell)."""
    sent = {name: small_commits.read_table(silver_path(settings, name), tuple(dict.fromkeys(
        (fact.document, *BY_NAME[name].key))), where=("_load_id", pending[name]))
        for name in fact.entities if name != fact.rows_entity}
    also = fact.also(settings, sent, built_from) if fact.also is not None else pa.table({fact.document: []})
    if also is None:
        return None
    codes = tuple(star.BY_KEY[key].code for key in fact.dimensions)
    held = small_commits.read_table(gold_path(settings, fact.name), (fact.document, *fact.dimensions, *codes))
    resolvable = star.resolvable_rows(held, fact.dimensions, {
        dim.name: small_commits.read_table(gold_path(settings, dim.name), (dim.key, dim.code))
        for dim in (star.BY_KEY[key] for key in fact.dimensions)})
    rows = small_commits.read_table(silver_path(settings, fact.rows_entity), (fact.document, "_load_id"))
    loaded = small_commits.rows_among(rows, "_load_id", pending[fact.rows_entity])
    documents = sorted({d for table in (loaded, *sent.values(), also, resolvable)
                        for d in table.column(fact.document).to_pylist()})
    return documents, small_commits.rows_among(rows, fact.document, documents).num_rows
