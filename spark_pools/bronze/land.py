"""Land one source's new files into its bronze Delta table.

Every line of every new file ends in exactly one place: a bronze row (all contract columns as the text
received, columns the contract does not know in `_rescued_data`), or a row of `bronze/_rejects` with the raw
text and the reason (broken CSV line, invalid UTF-8, broken JSON). A file already landed (same path, size and
modification time, per the `_ops/bronze_files` registry) is skipped, so landing twice adds nothing.

No Python runs per row: parsing is Spark SQL (`from_csv`, `from_json`), so it scales out on a pool.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from pyspark.sql import Column, DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from pipelines.catalog import Source
from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.ops import Metrics, measured
from spark_pools.parallel import run_all

MAX_EXTRA_COLUMNS = 16  # columns a CSV file may carry beyond its contract before the load fails loudly
REJECTS = "_rejects"
REGISTRY = "bronze_files"
REJECT_SCHEMA = ("source string, _source_file string, raw_text string, raw_base64 string, reason string, "
                 "_delivery_date date, _ingest_ts timestamp, _load_id string")
REGISTRY_SCHEMA = "source string, file string, size long, modified long, _load_id string, landed_ts timestamp"


class SchemaDriftError(RuntimeError):
    """A file carries more unknown columns than bronze can rescue; it is not landed at all."""


def pattern(source: Source, delivery: date | None) -> str:
    """The glob of a source's files for one delivery date, or for every date."""
    if delivery is None:
        return source.landed_path.replace("{date}", "*").replace("{yyyymmdd}", "*").replace("{store}", "*")
    return source.landed_path.format(date=delivery.isoformat(), yyyymmdd=delivery.strftime("%Y%m%d"), store="*")


def land_sources(spark: SparkSession, settings: Settings, sources: list[Source], delivery: date | None,
                 load_id: str, up_to: bool = False) -> list[Metrics]:
    """Land the new files of each source: those of one delivery date, or with `up_to` every delivery up to
    that date (every delivery when the date is None). One metrics row per source."""
    root = lake.landing(settings)
    registry_path = lake.table_path(settings, "_ops", REGISTRY)
    known = {(r["source"], r["file"], r["size"], r["modified"])
             for r in small_commits.read_rows(registry_path, ("source", "file", "size", "modified"))}

    def one(source: Source) -> tuple[Metrics, list[dict], list[dict]]:
        with measured("bronze", source.name) as metrics:
            depth = source.landed_path.count("/") + 1
            found = lake.hadoop_files(spark, f"{root}/{pattern(source, None if up_to else delivery)}")
            if up_to and delivery is not None:
                found = [f for f in found if _delivered_by(f[0], delivery)]
            new = [(p, size, mod) for p, size, mod in found
                   if (source.name, _relative(p, depth), size, mod) not in known]
            if not new:
                return metrics, [], []
            rejected = _land(spark, settings, source, [p for p, _, _ in new], depth, load_id, metrics)
        landed_ts = datetime.now(UTC)
        return metrics, rejected, [{"source": source.name, "file": _relative(p, depth), "size": size, "modified": mod,
                                    "_load_id": load_id, "landed_ts": landed_ts} for p, size, mod in new]

    outcomes = run_all([lambda s=s: one(s) for s in sources], settings.spark.parallel_jobs)
    # Rejects and the files landed (thousands of rows at most) are committed once for all sources, from the driver.
    rejects = [row for _, rows, _ in outcomes for row in rows]
    if rejects:
        small_commits.write_rows(spark, lake.table_path(settings, "bronze", REJECTS), REJECT_SCHEMA, rejects)
    landed = [f for _, _, files in outcomes for f in files]
    if landed:
        small_commits.write_rows(spark, registry_path, REGISTRY_SCHEMA, landed)
    return [m for m, _, _ in outcomes]


def _land(spark: SparkSession, settings: Settings, source: Source, paths: list[str], depth: int, load_id: str,
          metrics: Metrics) -> list[dict]:
    """Append the good rows; return the rejects (few, already collected) for one shared commit.

    The files are read once (cached as lines) and then scanned three times: the header lines (one per file,
    collected), the data lines (counted, with the rejects collected) and the good rows (written). What was read
    is counted from the lines, what was written from the Delta commit's own metrics and what was rejected from
    the rejects: three independent counts."""
    lines = (spark.read.text(paths)
             .select("value", F.array_join(F.slice(F.split(F.col("_metadata.file_path"), "/"), -depth, depth), "/")
                     .alias("_source_file"))).persist()
    target = lake.table_path(settings, "bronze", source.name)
    try:
        if source.landed_format == "csv":
            header_lines = lines.where(_is_header(source)).select("_source_file", "value").collect()
            parsed = _parse_csv(source, lines, *_headers(spark, source, header_lines))
        else:
            parsed = _parse_json(source, lines)
        parsed = parsed.withColumns({
            "_delivery_date": F.to_date(F.regexp_extract("_source_file", r"(\d{8})\.\w+$", 1), "yyyyMMdd"),
            "_ingest_ts": F.current_timestamp(),
            "_load_id": F.lit(load_id),
        })
        reject = F.struct(
            F.lit(source.name).alias("source"), "_source_file",
            F.decode(F.col("value").cast("binary"), "UTF-8").alias("raw_text"),
            F.base64(F.col("value").cast("binary")).alias("raw_base64"), F.col("_reason").alias("reason"),
            "_delivery_date", "_ingest_ts", "_load_id")
        read = parsed.agg(F.count(F.lit(1)).alias("lines"),
                          F.collect_list(F.when(F.col("_reason").isNotNull(), reject)).alias("rejects")).first()
        before = lake.version(spark, target)
        lake.write(parsed.where(F.col("_reason").isNull()).select(
            *[F.col(c) for c in source.column_names], "_rescued_data", F.lit(source.system).alias("_source_system"),
            "_source_file", "_delivery_date", "_ingest_ts", "_load_id",
        ), target, "append")
    finally:
        lines.unpersist()
    metrics.rows_read = read["lines"]
    metrics.rows_written = lake.committed_rows(spark, target, before)
    metrics.rows_rejected = len(read["rejects"])
    return [row.asDict() for row in read["rejects"]]


def _delivered_by(path: str, delivery: date) -> bool:
    """A file's delivery date is the yyyymmdd in its name; files without one (stores.csv) always qualify."""
    match = re.search(r"(\d{8})\.\w+$", path)
    return match is None or match.group(1) <= delivery.strftime("%Y%m%d")


def _relative(path: str, depth: int) -> str:
    return "/".join(path.split("/")[-depth:])


def _valid_utf8(value: Column) -> Column:
    """Spark keeps a line's bytes as read; decoding them through Java shows whether they were UTF-8."""
    return F.decode(value.cast("binary"), "UTF-8") == value


def _is_header(source: Source) -> Column:
    """A CSV file's header line starts with the contract's first column name."""
    first = source.column_names[0]
    return F.col("value").startswith(f"{first},") | (F.col("value") == first)


def _headers(spark: SparkSession, source: Source, header_lines: list[Row]) -> tuple[DataFrame, list[int]]:
    """One row per file: its header's column names, where each contract column sits in it (1-based, 0 where the
    file lacks it) and where the columns the contract does not know sit; worked out once per file, not per line.
    With it, the header widths found. Fails loudly on a file wider than bronze can rescue."""
    contract = list(source.column_names)
    by_file = {line["_source_file"]: line["value"].split(",") for line in header_lines}
    widths = sorted({len(names) for names in by_file.values()})
    widest = max(widths, default=0)
    if widest > len(contract) + MAX_EXTRA_COLUMNS:
        raise SchemaDriftError(f"{source.name}: a file has {widest} columns; the contract knows "
                               f"{len(contract)} and bronze rescues at most {MAX_EXTRA_COLUMNS} more")
    frame = spark.createDataFrame(
        [(file, names, [names.index(c) + 1 if c in names else 0 for c in contract],
          [i + 1 for i, name in enumerate(names) if name not in contract]) for file, names in by_file.items()],
        "_source_file string, _header array<string>, _at array<int>, _extra_at array<int>")
    return frame, widths


def _parse_csv(source: Source, lines: DataFrame, headers: DataFrame, widths: list[int]) -> DataFrame:
    """One record per line. The header line of each file names its columns; contract columns are matched by
    name, so reordered columns are fine and extra ones are rescued. Each line is parsed with exactly as many
    fields as its file's header has: a schema of another width makes Spark's CSV parser take its slow
    malformed-record path on every line (`widths`: those found)."""
    data = lines.where(~_is_header(source) & (F.col("value") != "")).join(F.broadcast(headers), "_source_file",
                                                                          "left")
    # Fields on the line: its commas plus one, quoted text (which may hold commas) removed first; the regex only
    # runs on lines with a quote.
    value = F.col("value")
    unquoted = F.when(F.instr(value, '"') > 0, F.regexp_replace(value, '"[^"]*"', "")).otherwise(value)
    tokens = F.octet_length(unquoted) - F.octet_length(F.replace(unquoted, F.lit(","), F.lit(""))) + 1
    reason = (F.when(~_valid_utf8(F.col("value")), F.lit("invalid UTF-8"))
              .when(F.col("_header").isNull(), F.lit("no header line in the file"))
              .when(tokens != F.size("_header"),
                    F.format_string("malformed CSV line: %d fields, the header has %d", tokens, F.size("_header"))))
    # One parse per line into its own column (`_csv<width>`): the fields are read from that column, so the
    # parser runs once per line, not once per field.
    data = data.withColumns({f"_csv{w}": F.when(F.size("_header") == w, F.from_csv(
        "value", ", ".join(f"c{i} string" for i in range(w)), {"mode": "PERMISSIVE"})) for w in widths})
    values = F.lit(None).cast("array<string>")
    for w in widths:
        values = F.when(F.size("_header") == w, F.array(*[F.col(f"_csv{w}")[f"c{i}"] for i in range(w)])) \
            .otherwise(values)
    data = data.withColumns({"_reason": reason, "_values": values})
    at = F.col("_at")
    columns = [F.when(at[j] > 0, F.element_at("_values", at[j])).alias(name)
               for j, name in enumerate(source.column_names)]
    rescued = F.to_json(F.map_from_arrays(F.transform("_extra_at", lambda i: F.element_at("_header", i)),
                                          F.transform("_extra_at", lambda i: F.element_at("_values", i))))
    # Lines of files with unknown columns take the (slower, interpreted) rescue path; the others never touch it.
    drifted = F.size("_extra_at") > 0
    return data.where(~drifted).select("value", "_source_file", "_reason", *columns,
                                       F.lit(None).cast("string").alias("_rescued_data")) \
        .unionByName(data.where(drifted).select("value", "_source_file", "_reason", *columns,
                                                rescued.alias("_rescued_data")))


def _parse_json(source: Source, lines: DataFrame) -> DataFrame:
    """One JSON document per line; top-level fields are kept as their raw JSON text."""
    doc = F.from_json("value", "map<string,string>")
    data = lines.where(F.col("value") != "").withColumn("_m", doc)
    reason = (F.when(~_valid_utf8(F.col("value")), F.lit("invalid UTF-8"))
              .when(F.col("_m").isNull(), F.lit("malformed JSON")))
    known = F.lit(list(source.column_names))
    extra = F.map_filter("_m", lambda k, _: ~F.array_contains(known, k))
    return data.select(
        "value", "_source_file", reason.alias("_reason"),
        *[F.col("_m")[name].alias(name) for name in source.column_names],
        F.when(F.size(extra) > 0, F.to_json(extra)).alias("_rescued_data"))
