"""Where each Delta table lives in the lake, and the few table operations every layer shares.

Layout under the environment's lake root: `bronze/<source>`, `silver/<entity>`, `silver/_quarantine/<entity>`,
`gold/<table>`, `_ops/<table>`. Tables are addressed by path (no metastore needed locally; on Synapse the same
paths can be registered in the lake database).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings


def root(settings: Settings) -> str:
    lake = settings.lake.root
    return lake if lake.startswith("abfss://") else str(settings.local_path(lake))


def landing(settings: Settings) -> str:
    value = settings.lake.landing
    return value if value.startswith("abfss://") else str(settings.local_path(value))


def table_path(settings: Settings, layer: str, name: str) -> str:
    return f"{root(settings)}/{layer}/{name}"


def exists(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path)


def read(spark: SparkSession, path: str) -> DataFrame:
    return spark.read.format("delta").load(path)


def read_or_empty(spark: SparkSession, path: str, schema: str) -> DataFrame:
    return read(spark, path) if exists(spark, path) else spark.createDataFrame([], schema)


def version(spark: SparkSession, path: str) -> int:
    """The table's latest version, -1 when there is no table yet."""
    from delta.tables import DeltaTable

    if not exists(spark, path):
        return -1
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


def committed_rows(spark: SparkSession, path: str, before: int) -> int:
    """Rows the table's commit after version `before` took in, read from Delta's own operation metrics (a
    MERGE's source rows, a write's output rows): a count independent of the job's. 0 when nothing was
    committed."""
    from delta.tables import DeltaTable

    if not exists(spark, path):
        return 0
    last = DeltaTable.forPath(spark, path).history(1).select("version", "operationMetrics").first()
    if last[0] <= before:
        return 0
    return int(last[1].get("numSourceRows", last[1].get("numOutputRows", 0)))


def hadoop_files(spark: SparkSession, pattern: str) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of the files matching a glob, through Hadoop's FileSystem so the same
    call lists a local folder and an ADLS Gen2 container."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(pattern)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    statuses = fs.globStatus(path) or []
    return sorted((str(s.getPath().toUri().getPath() if s.getPath().toUri().getScheme() == "file"
                       else s.getPath().toString()), int(s.getLen()), int(s.getModificationTime()))
                  for s in statuses if s.isFile())
