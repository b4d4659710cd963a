"""Real-time events from bronze to silver: parse the JSON the tills and stock rooms sent (the contract is
`pipelines.catalog.EVENT_COLUMNS`), type it, and check it with rules that are data, as in batch.

Every field is first read as text, so a rule can tell "missing" from "did not parse" from "out of range";
the batch sales rules that apply to a till event (price range, single currency) are the same objects, except
that a stream quarantines a foreign currency instead of stopping: one bad till must not halt every store.
"""

from __future__ import annotations

from dataclasses import replace

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.catalog import EVENT_COLUMNS, EVENT_SCHEMA_VERSION, EVENT_TYPES
from spark_pools.silver.entities import OWNER_STORES, SALES_LINES
from spark_pools.silver.rules import Rule, evaluate, mandatory, numeric

BRONZE_SCHEMA = ("topic string, partition int, offset long, kafka_ts timestamp, key string, value string, "
                 "_ingest_ts timestamp")
TYPED = {c.name: c.type for c in EVENT_COLUMNS if c.type != "string"}
EVENT_NAMES = "(" + ", ".join(f"'{name}'" for name in EVENT_TYPES) + ")"
STOCK_SIGN = "CASE event_type " + " ".join(f"WHEN '{t.name}' THEN {t.stock_sign}" for t in EVENT_TYPES.values()) \
    + " END"
_QUANTITY_RANGES = {"sale": (1, 1000), "return": (1, 1000), "adjustment": (-1000, 1000), "delivery": (1, 100_000)}
_batch_rule = {r.name: r for r in SALES_LINES.rules}

RULES: tuple[Rule, ...] = (
    Rule("is_json_object", "_is_object", "quarantine", OWNER_STORES, "the message is one JSON object"),
    Rule("schema_version_supported", f"schema_version = {EVENT_SCHEMA_VERSION}", "quarantine", OWNER_STORES,
         f"the event follows contract version {EVENT_SCHEMA_VERSION}"),
    mandatory(*(f"{c.name}_text" if c.name in TYPED else c.name for c in EVENT_COLUMNS
                if c.required and c.name != "schema_version"), owner=OWNER_STORES),
    numeric(*(name for name in TYPED if name != "schema_version"), owner=OWNER_STORES),
    Rule("event_type_known", f"event_type IN {EVENT_NAMES}", "quarantine", OWNER_STORES),
    Rule("quantity_in_range",
         "CASE event_type " + " ".join(f"WHEN '{kind}' THEN quantity BETWEEN {low} AND {high} AND quantity <> 0"
                                       for kind, (low, high) in _QUANTITY_RANGES.items()) + " ELSE TRUE END",
         "quarantine", OWNER_STORES, "a stock event moves a plausible, non-zero number of units"),
    Rule("rating_in_range", "event_type <> 'feedback' OR rating BETWEEN 1 AND 5", "quarantine", OWNER_STORES,
         "feedback rates 1 to 5 stars"),
    _batch_rule["price_in_range"],
    replace(_batch_rule["single_currency"], action="quarantine"),
)


def conform(bronze: DataFrame) -> DataFrame:
    """Bronze rows (one Kafka message each) → typed events with `_dq_failed` / `_dq_warnings`, plus
    `dedup_key`: the event id, or for a message without one its Kafka coordinates (never merged with another)."""
    # Parsed once, as a map of field → text: a JSON object parses, while broken JSON, an array, a bare value or an
    # empty message gives null.
    parsed = bronze.withColumn("_fields", F.from_json("value", "map<string,string>")) \
        .withColumn("_is_object", F.col("_fields").isNotNull())
    texts = {c.name: F.col("_fields")[c.name] for c in EVENT_COLUMNS}
    frame = parsed.withColumns({f"{name}_text" if name in TYPED else name: text for name, text in texts.items()}) \
        .drop("_fields")
    frame = frame.withColumns({name: F.expr(f"try_cast({name}_text AS {type_})") for name, type_ in TYPED.items()})
    frame = frame.withColumns({
        "event_date": F.to_date("event_ts"),
        "stock_change": F.expr(f"coalesce(quantity, 0) * coalesce({STOCK_SIGN}, 0)"),
        "dedup_key": F.coalesce("event_id", F.concat_ws(":", F.lit("kafka"), "topic", "partition", "offset")),
    })
    return evaluate(frame, RULES)
