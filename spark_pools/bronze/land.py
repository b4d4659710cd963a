"""Land one source's new files into its bronze Delta table.

Every line of every new file ends in exactly one place: a bronze row (all contract columns as the text
received, columns the contract does not know in `_rescued_data`), or a row of `bronze/_rejects` with the raw
text and the reason (broken CSV line, invalid UTF-8, broken JSON). A file already landed (same path, size and
modification time, per the `_ops/bronze_files` registry) is skipped, so landing twice adds nothing.

No Python runs per row: parsing is Spark SQL (`from_csv`, `from_json`), so it scales out on a pool.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, Observation, Row, SparkSession
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
LINEAGE_SCHEMA = ("_rescued_data string, _source_system string, _source_file string, _delivery_date date, "
                  "_ingest_ts timestamp, _load_id string")
DELIVERY_STAMP = re.compile(r"(\d{8})\.\w+$")  # a delivery file's name ends in its date: ..._20260503.csv
FILE_SCHEMA = "_source_file string, _delivery_date date"  # what bronze knows of a file before reading its lines


class SchemaDriftError(RuntimeError):
    """A file carries more unknown columns than bronze can rescue; it is not landed at all."""


def bronze_schema(source: Source) -> str:
    """A source's bronze table: every contract column as the text received, then the lineage (what `_land` writes)."""
    return ", ".join(f"{name} string" for name in source.column_names) + ", " + LINEAGE_SCHEMA


def bronze_columns(source: Source) -> list[str]:
    """The bronze table's column names, in order."""
    return [column.split(" ")[0] for column in bronze_schema(source).split(", ")]


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
        with measured(spark, "bronze", source.name) as metrics:
            depth = source.landed_path.count("/") + 1
            found = lake.hadoop_files(spark, f"{root}/{pattern(source, None if up_to else delivery)}")
            if up_to and delivery is not None:
                found = [f for f in found if _delivered_by(f[0], delivery)]
            new = [(p, size, mod) for p, size, mod in found
                   if (source.name, _relative(p, depth), size, mod) not in known]
            if not new:
                return metrics, [], []
            rejected = _land(spark, settings, source, [p for p, _, _ in new], sum(size for _, size, _ in new), depth,
                             load_id, metrics)
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


def _land(spark: SparkSession, settings: Settings, source: Source, paths: list[str], text_bytes: int, depth: int,
          load_id: str, metrics: Metrics) -> list[dict]:
    """Append the good rows; return the rejects (few) for one shared commit.

    The files are parsed once: the write of the good rows also counts the lines and gathers the rejects, as
    metrics Spark observes while it writes (a CSV source first reads its header lines, one per file). What was
    read is counted from the lines, what was written from the Delta commit's own metrics and what was rejected
    from the rejects: three independent counts. A day's few files (at most `small_commits.DRIVER_TEXT_BYTES`) are
    appended from the driver with delta-rs, the rest by Spark's writer; the lineage values of the load are added
    to the rows there, not written into the code Spark generates for the parse."""
    target = lake.table_path(settings, "bronze", source.name)
    landed = [_relative(path, depth) for path in paths]
    if source.landed_format == "csv":
        header_lines = _lines(spark, paths, depth).where(_is_header(source)).select("_source_file", "value").collect()
        headers, widths, drifted = _headers(spark, source, landed, header_lines)
        # Files with columns the contract does not know are read apart: only their lines take the rescue path.
        groups: dict[bool, list[str]] = {False: [], True: []}
        for path, file in zip(paths, landed, strict=True):
            groups[file in drifted].append(path)
        parsed = reduce(DataFrame.unionByName, [
            _parse_csv(source, _lines(spark, files, depth), headers, widths, rescue)
            for rescue, files in groups.items() if files])
    else:
        delivered = spark.createDataFrame([(file, delivery_date(file)) for file in landed], FILE_SCHEMA)
        parsed = _parse_json(source, _lines(spark, paths, depth)).join(F.broadcast(delivered), "_source_file", "left")
    lineage = {"_source_system": source.system, "_ingest_ts": datetime.now(UTC), "_load_id": load_id}
    reject = F.struct(
        F.lit(source.name).alias("source"), "_source_file",
        F.decode(F.col("value").cast("binary"), "UTF-8").alias("raw_text"),
        F.base64(F.col("value").cast("binary")).alias("raw_base64"), F.col("_reason").alias("reason"),
        F.date_format("_delivery_date", "yyyy-MM-dd").alias("_delivery_date"))
    read = Observation(f"bronze {source.name}")
    observed = parsed.observe(read, F.count(F.lit(1)).alias("lines"), F.to_json(
        F.collect_list(F.when(F.col("_reason").isNotNull(), reject)), {"ignoreNullFields": "false"}).alias("rejects"))
    good = observed.where(F.col("_reason").isNull()).select(*source.column_names, "_rescued_data", "_source_file",
                                                            "_delivery_date")
    before = lake.version(spark, target)
    if not small_commits.append_small(target, good, text_bytes, small_commits.DRIVER_TEXT_BYTES, lineage):
        lake.write(good.select(*[F.lit(lineage[name]).alias(name) if name in lineage else F.col(name)
                                 for name in bronze_columns(source)]), target, "append")
    rejects = [_typed_reject(row, lineage) for row in json.loads(read.get["rejects"])]
    metrics.rows_read = read.get["lines"]
    metrics.rows_written = lake.committed_rows(spark, target, before)
    metrics.rows_rejected = len(rejects)
    return rejects


def _typed_reject(row: dict, lineage: dict[str, object]) -> dict:
    """A reject as observed (JSON: the date as text) with its date typed and the load's time and id."""
    delivery = row["_delivery_date"]
    return {**row, "_delivery_date": date.fromisoformat(delivery) if delivery else None,
            "_ingest_ts": lineage["_ingest_ts"], "_load_id": lineage["_load_id"]}


def _lines(spark: SparkSession, paths: list[str], depth: int) -> DataFrame:
    """The files' lines, each with the file it came from (relative to the landing root)."""
    file = F.substring_index(F.col("_metadata.file_path"), "/", -depth)
    return spark.read.text(paths).select("value", file.alias("_source_file"))


def delivery_date(path: str) -> date | None:
    """The yyyymmdd a delivery file's name ends in; None for a file without one (stores.csv) or with an impossible
    date. Worked out once per file in the driver and joined to its lines: per line, the regex and date parse cost
    more than the CSV parse itself (5.4 M POS lines: 44 s against 20 s)."""
    match = DELIVERY_STAMP.search(path)
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date() if match else None
    except ValueError:
        return None


def _delivered_by(path: str, delivery: date) -> bool:
    """Files without a delivery date in their name (stores.csv) always qualify."""
    match = DELIVERY_STAMP.search(path)
    return match is None or match.group(1) <= delivery.strftime("%Y%m%d")


def _relative(path: str, depth: int) -> str:
    return "/".join(path.split("/")[-depth:])


def _valid_utf8(value: Column) -> Column:
    """Spark keeps a line's bytes as read; decoding them through Java shows whether they were UTF-8."""
    return F.decode(value.cast("binary"), "UTF-8") == value


def _is_header(source: Source) -> Column:
    """A CSV file's header line has the contract's first column name as one of its fields, wherever the file puts
    it (the split only runs on the rare lines holding that text)."""
    first, value = source.column_names[0], F.col("value")
    return F.when(F.instr(value, first) > 0, F.array_contains(F.split(value, ","), first)).otherwise(False)


def _headers(spark: SparkSession, source: Source, files: list[str],
             header_lines: list[Row]) -> tuple[DataFrame, list[int], set[str]]:
    """One row per file: its delivery date, its header's column names, where each contract column sits in it
    (1-based, 0 where the file lacks it) and where the columns the contract does not know sit (NULL for a file
    without a header line); worked out once per file, not per line. With it, the header widths found and the files
    with unknown columns. Fails loudly on a file wider than bronze can rescue."""
    contract = list(source.column_names)
    by_file = {line["_source_file"]: line["value"].split(",") for line in header_lines}
    extra_at = {file: [i + 1 for i, name in enumerate(names) if name not in contract]
                for file, names in by_file.items()}
    widths = sorted({len(names) for names in by_file.values()})
    widest = max(widths, default=0)
    if widest > len(contract) + MAX_EXTRA_COLUMNS:
        raise SchemaDriftError(f"{source.name}: a file has {widest} columns; the contract knows "
                               f"{len(contract)} and bronze rescues at most {MAX_EXTRA_COLUMNS} more")
    frame = spark.createDataFrame(
        [(file, delivery_date(file), names, names and [names.index(c) + 1 if c in names else 0 for c in contract],
          extra_at.get(file)) for file in files for names in [by_file.get(file)]],
        f"{FILE_SCHEMA}, _header array<string>, _at array<int>, _extra_at array<int>")
    return frame, widths, {file for file, extra in extra_at.items() if extra}


def _parse_csv(source: Source, lines: DataFrame, headers: DataFrame, widths: list[int], rescue: bool) -> DataFrame:
    """One record per line. The header line of each file names its columns; contract columns are matched by
    name, so reordered columns are fine, and with `rescue` the extra ones are kept in `_rescued_data`. Each line
    is parsed with exactly as many fields as its file's header has: a schema of another width makes Spark's CSV
    parser take its slow malformed-record path on every line (`widths`: those found)."""
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
    # The line is parsed once, at its file's width (`_csv<width>`), into an array, and every field is taken from
    # it with `get` (NULL where the file lacks the column), never inside a CASE: Spark computes an expression the
    # fields share once per row only where no field computes it conditionally (5.4 M lines: 40 s against 64 s).
    data = data.withColumns({f"_csv{w}": F.when(F.size("_header") == w, F.from_csv(
        "value", ", ".join(f"c{i} string" for i in range(w)), {"mode": "PERMISSIVE"})) for w in widths})
    values = F.lit(None).cast("array<string>")
    for w in widths:
        values = F.when(F.size("_header") == w, F.array(*[F.col(f"_csv{w}")[f"c{i}"] for i in range(w)])) \
            .otherwise(values)
    data = data.withColumns({"_reason": reason, "_values": values})
    columns = [F.get("_values", F.col("_at")[j] - 1).alias(name) for j, name in enumerate(source.column_names)]
    rescued = (F.to_json(F.map_from_arrays(F.transform("_extra_at", lambda i: F.get("_header", i - 1)),
                                           F.transform("_extra_at", lambda i: F.get("_values", i - 1))))
               if rescue else F.lit(None).cast("string"))
    return data.select("value", "_source_file", "_delivery_date", "_reason", *columns, rescued.alias("_rescued_data"))


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
