"""Where each Delta table lives in the lake, and the few table operations every layer shares.

Layout under the environment's lake root: `bronze/<source>`, `silver/<entity>`, `silver/_quarantine/<entity>`,
`gold/<table>`, `_ops/<table>`. Tables are addressed by path (no metastore needed locally; on Synapse the same
paths can be registered in the lake database).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings

LINEAGE = ("_source_system", "_source_file", "_ingest_ts", "_load_id")


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
