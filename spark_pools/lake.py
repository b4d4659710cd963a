"""Where each Delta table lives in the lake, and the few table operations every layer shares.

Layout under the environment's lake root: `bronze/<source>`, `silver/<entity>`, `silver/_quarantine/<entity>`,
`gold/<table>`, `gold/_unresolved/<fact>`, `_ops/<table>`. Tables are addressed by path (no metastore needed
locally; on Synapse the same paths can be registered in the lake database).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from py4j.java_gateway import JavaClass
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from retail.settings import Settings

# Delta computes min/max/null-count statistics on the first 32 columns of every file it writes. On the wide string
# tables of bronze and silver that costs more than writing the rows (measured on 1.3 M bronze rows: a copy takes
# 17.4 s with them, 7.3 s without), while the platform filters on few columns: the load id (silver and gold take
# in the loads they have not seen yet), the delivery date and the columns a table is Z-ordered by
# (`maintenance.py`; Z-ordering needs their statistics). Tables are created with statistics on those alone: a table
# property, so every later write follows it, delta-rs commits included.
STATS_COLUMNS = ("_load_id", "_delivery_date")
# A checkpoint every 10 commits: Spark's default, a table property so that delta-rs follows it too (its own default
# is 100). The driver's small commits (`small_commits.py`) are most of some tables' commits, and a reader rebuilds
# a table's state from its last checkpoint and the commits after it.
CHECKPOINT_INTERVAL = "10"


def root(settings: Settings) -> str:
    lake = settings.lake.root
    return lake if lake.startswith("abfss://") else str(settings.local_path(lake))


def landing(settings: Settings) -> str:
    value = settings.lake.landing
    return value if value.startswith("abfss://") else str(settings.local_path(value))


def table_path(settings: Settings, layer: str, name: str) -> str:
    return f"{root(settings)}/{layer}/{name}"


def exists(spark: SparkSession, path: str) -> bool:
    return version(spark, path) >= 0


def read(spark: SparkSession, path: str) -> DataFrame:
    return spark.read.format("delta").load(path)


def read_or_empty(spark: SparkSession, path: str, schema: str) -> DataFrame:
    return read(spark, path) if exists(spark, path) else spark.createDataFrame([], schema)


def write(frame: DataFrame, path: str, mode: str, partition: str | None = None, stats: Sequence[str] = (),
          **options: str) -> None:
    """Write a frame to a Delta table. A table this creates keeps statistics on the lineage columns it has and on
    `stats` (its Z-order columns, and any other column whose statistics are read); one with none of them keeps
    row counts only."""
    stats = [c for c in STATS_COLUMNS if c in frame.columns] + list(stats)
    writer = frame.write.format("delta").mode(mode).options(**options) \
        .option("delta.checkpointInterval", CHECKPOINT_INTERVAL)
    if stats:
        writer = writer.option("delta.dataSkippingStatsColumns", ",".join(stats))
    else:
        writer = writer.option("delta.dataSkippingNumIndexedCols", "0")
    (writer.partitionBy(partition) if partition else writer).save(path)


def create(spark: SparkSession, path: str, schema: str | StructType, partition: str | None = None) -> None:
    """Create an empty table with this schema unless one is there (safe to repeat)."""
    if not exists(spark, path):
        write(spark.createDataFrame([], schema), path, "ignore", partition)


def version(spark: SparkSession, path: str) -> int:
    """The table's latest version, -1 when there is no table yet: the highest commit file in `_delta_log/`.

    Read from the log's file names (Delta protocol: `_delta_log/<20-digit version>.json`) rather than
    `DeltaTable.history()`, which runs a Spark job per call; the jobs call this before and after every write."""
    commits = hadoop_files(spark, f"{path}/_delta_log/{'[0-9]' * 20}.json")
    return int(commits[-1][0].rsplit("/", 1)[1].split(".")[0]) if commits else -1


def partition_columns(spark: SparkSession, path: str) -> list[str]:
    """The table's Delta partition columns (from its metadata, not its data)."""
    return list(spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()["partitionColumns"])


def last_commit(spark: SparkSession, path: str) -> tuple[int, dict]:
    """(version, commitInfo) of the table's latest commit; (-1, {}) when there is no table."""
    current = version(spark, path)
    if current < 0:
        return current, {}
    text = read_text(spark, f"{path}/_delta_log/{current:020d}.json")
    infos = [json.loads(line)["commitInfo"] for line in text.splitlines() if '"commitInfo"' in line]
    return current, infos[0] if infos else {}


def committed_rows(spark: SparkSession, path: str, before: int) -> int:
    """Rows the table's commit after version `before` took in, read from Delta's own operation metrics (a
    MERGE's source rows, a write's output rows less those a replaceWhere copied from the files it rewrote): a
    count independent of the job's. 0 when nothing was committed."""
    current, info = last_commit(spark, path)
    if current <= before:
        return 0
    metrics = info.get("operationMetrics", {})
    for source_rows in ("numSourceRows", "num_source_rows"):  # Spark's name, delta-rs's
        if source_rows in metrics:
            return int(metrics[source_rows])
    if "num_added_rows" in metrics:  # a delta-rs write
        return int(metrics["num_added_rows"])
    return int(metrics.get("numOutputRows", 0)) - int(metrics.get("numCopiedRows", 0))


def _java_class(spark: SparkSession, name: str) -> JavaClass:
    """A JVM class by its full name, in one step. py4j resolves `jvm.org.apache.hadoop.fs.Path` a dot at a time,
    and each step that is not a class (`org`, `org.apache`, ...) is a failed class lookup through every jar on the
    class path: 1.2 ms a call instead of 0.14 ms, for the Delta log reads every table write makes."""
    return JavaClass(name, spark.sparkContext._gateway._gateway_client)


def _filesystem(spark: SparkSession, path: str) -> tuple[object, object]:
    """(Hadoop Path, its FileSystem) as py4j proxies."""
    hadoop_path = _java_class(spark, "org.apache.hadoop.fs.Path")(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def read_text(spark: SparkSession, path: str) -> str:
    """A small file's text through Hadoop's FileSystem (local folder or ADLS Gen2 alike), without a Spark job."""
    hadoop_path, fs = _filesystem(spark, path)
    stream = fs.open(hadoop_path)
    try:
        return _java_class(spark, "org.apache.commons.io.IOUtils").toString(stream, "UTF-8")
    finally:
        stream.close()


def delta_tables(spark: SparkSession, settings: Settings) -> list[str]:
    """Every Delta table under the lake root (`<layer>/<table>` and `<layer>/_<group>/<table>`): the folders that
    hold a `_delta_log`, found through Hadoop's FileSystem (a local folder and an ADLS Gen2 container alike)."""
    logs = [log for depth in ("*/*", "*/*/*") for log, _ in folders(spark, f"{root(settings)}/{depth}/_delta_log")]
    return sorted(log.removesuffix("/_delta_log") for log in logs)


def folders(spark: SparkSession, pattern: str) -> list[tuple[str, int]]:
    """(path, modification time in ms) of the folders matching a glob, through Hadoop's FileSystem."""
    path, fs = _filesystem(spark, pattern)
    return sorted((_local_or_url(s.getPath()), int(s.getModificationTime()))
                  for s in fs.globStatus(path) or [] if s.isDirectory())


def delete(spark: SparkSession, path: str) -> None:
    """Delete a folder and everything under it."""
    hadoop_path, fs = _filesystem(spark, path)
    fs.delete(hadoop_path, True)


def _local_or_url(path: object) -> str:
    """A Hadoop Path as this module writes paths: a plain path for the local file system, the URL otherwise."""
    return str(path.toUri().getPath() if path.toUri().getScheme() == "file" else path.toString())


def current_files(spark: SparkSession, path: str) -> set[str]:
    """The data files the table's latest version references, as `hadoop_files` names them."""
    path_class, uri_class = _java_class(spark, "org.apache.hadoop.fs.Path"), _java_class(spark, "java.net.URI")
    return {_local_or_url(path_class(uri_class(uri))) for uri in read(spark, path).inputFiles()}


def files_under(spark: SparkSession, path: str) -> tuple[list[tuple[str, int]], list[str]]:
    """((path, modification time in ms) of every file, the empty folders) under a table's folder, leaving out its
    log and hidden names (starting with a dot: Hadoop's checksum files); VACUUM looks at the same files."""
    root_path, fs = _filesystem(spark, path)
    files: list[tuple[str, int]] = []
    empty: list[str] = []
    pending = [root_path]
    while pending:
        folder = pending.pop()
        children = [s for s in fs.listStatus(folder) if not s.getPath().getName().startswith(".")
                    and s.getPath().getName() != "_delta_log"]
        if not children and folder is not root_path:
            empty.append(_local_or_url(folder))
        for status in children:
            if status.isDirectory():
                pending.append(status.getPath())
            else:
                files.append((_local_or_url(status.getPath()), int(status.getModificationTime())))
    return files, empty


def hadoop_files(spark: SparkSession, pattern: str) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of the files matching a glob, through Hadoop's FileSystem so the same
    call lists a local folder and an ADLS Gen2 container."""
    path, fs = _filesystem(spark, pattern)
    statuses = fs.globStatus(path) or []
    return sorted((_local_or_url(s.getPath()), int(s.getLen()), int(s.getModificationTime()))
                  for s in statuses if s.isFile())
