"""The one Spark session every job uses.

Locally: `local[*]` with Delta Lake's SQL extension and catalog, the Kafka source on the classpath, two shuffle
partitions per core, driver memory sized for the machine and the UI off. On a Synapse pool the pool already owns
the session (its jars, memory, catalog): we take it as it is and only apply the environment's session-level confs.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import psutil
from pyspark.sql import SparkSession

from retail.jars import jars
from retail.paths import cache_dir
from retail.settings import Settings
from retail.versions import SPARK_PACKAGES

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
KAFKA_SOURCE_CLASS = "org.apache.spark.sql.kafka010.KafkaSourceProvider"
# Session confs every environment gets: small frames reach the driver as Arrow (spark_pools/small_commits.py).
COMMON_CONF = {"spark.sql.execution.arrow.pyspark.enabled": "true"}
# Confs every environment's JVM starts with (a running session cannot change them): the local session sets them,
# and the Spark pool's configuration file (spark_pools/pools/sparkretail.json) states the same; a test keeps the two
# in step. Spark keeps the classes it generates for a query's code in a cache of 100 by default; one incremental
# batch runs some 2,000 distinct ones, so every run compiled them all again, and the JVM compiled those again
# (bench: 2,000 classes loaded and 59 s of JIT time in a warm 65 s run). Ten thousand hold a day's batch.
STARTUP_CONF = {"spark.sql.codegen.cache.maxEntries": "10000"}
CGROUP_ROOT = Path("/sys/fs/cgroup")


class NoPoolSessionError(RuntimeError):
    """A Synapse environment was asked for a session where no Synapse pool session exists."""


def auto_driver_memory(total_bytes: int | None = None) -> str:
    """A third of the machine's memory, between 1 and 12 GiB: room for Python, the broker and DuckDB beside it."""
    total = total_bytes if total_bytes is not None else psutil.virtual_memory().total
    gib = max(1, min(12, total // 3 // 2**30))
    return f"{gib}g"


def auto_shuffle_partitions(master: str, cores: int | None = None) -> int:
    """Two shuffle partitions per core the local master runs on (`local[N]`, or every core for `local[*]`).

    A daily incremental run shuffles little data through some 500 small jobs, where every partition is a task of
    fixed cost; the full run needs enough partitions to keep every core busy past skew. Measured on 2 cores
    (`bench/medallion.py`, back to back): 8 partitions gave 275 s full and 58.5 s incremental, 4 gave 266 s and
    46.3 s; 2 made the full run slower."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master)
    if found is None:
        raise ValueError(f"not a local master: {master!r}")
    threads = found.group(1)
    if threads is None:
        return 2
    return 2 * (int(threads) if threads != "*" else cores or usable_cores())


def usable_cores(cgroup_root: Path = CGROUP_ROOT) -> int:
    """The cores `local[*]` runs on, counted as the JVM counts them: those this process may run on (a container's
    CPU set, not the host's count), fewer under a CPU quota (a container's `--cpus`), rounded up."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota(cgroup_root)
    return max(1, min(cores, math.ceil(quota))) if quota is not None else cores


def cpu_quota(cgroup_root: Path = CGROUP_ROOT) -> float | None:
    """The CPUs a quota allows this process's cgroup (cgroup v2's `cpu.max`, or v1's CFS quota over its period),
    None when there is none. Read where a container sees its own cgroup: at the root of the cgroup mount."""
    v2 = cgroup_root / "cpu.max"
    if v2.is_file():
        quota, _, period = v2.read_text().partition(" ")
        return None if quota == "max" else int(quota) / int(period)
    for controller in ("cpu", "cpu,cpuacct"):
        v1 = cgroup_root / controller
        if (v1 / "cpu.cfs_quota_us").is_file():
            quota = int((v1 / "cpu.cfs_quota_us").read_text())
            return None if quota < 0 else quota / int((v1 / "cpu.cfs_period_us").read_text())
    return None


def local_conf(settings: Settings) -> dict[str, str]:
    """The confs a local session starts with; everything here is decided before the JVM starts."""
    spark = settings.spark
    state = cache_dir() / "spark"
    shuffle = str(auto_shuffle_partitions(spark.master) if spark.shuffle_partitions == "auto"
                  else spark.shuffle_partitions)
    conf = {
        **STARTUP_CONF,
        "spark.master": spark.master,
        "spark.app.name": f"retail-{settings.name}",
        "spark.driver.memory": auto_driver_memory() if spark.driver_memory == "auto" else spark.driver_memory,
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.shuffle.partitions": shuffle,
        "spark.default.parallelism": shuffle,
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(state / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={state / 'derby'}",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # Delta rebuilds a table's state from its log with this many tasks; the default (50) is for clusters. A local
        # table's log is small, and a day's run rebuilds some 75 states: one task each (silver-only and gold-only
        # incremental runs alternated on 2 cores: 21.3-24.8 s and 29.9-30.2 s, against 25.3-26.2 s and 33.4-33.6 s
        # with two).
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.sql.adaptive.enabled": "true",
        # Bronze reads a day's files by explicit path; listing hundreds of local files needs no Spark job.
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
        # VACUUM lists a table's files with this many tasks a job; the default (10,000) made it 30 s a small table.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": shuffle,
    }
    if os.environ.get("RETAIL_SPARK_JARS") == "packages":
        # Fallback for machines without Maven: Spark resolves the same coordinates through Ivy at start-up.
        conf["spark.jars.packages"] = ",".join(SPARK_PACKAGES)
        conf["spark.jars.ivy"] = str(cache_dir() / "ivy")
    else:
        conf["spark.jars"] = ",".join(str(j) for j in jars("spark"))
    return conf


def get_spark(settings: Settings) -> SparkSession:
    """The session for this environment: a configured local one, or the Synapse pool's own."""
    if settings.is_local:
        session = SparkSession.getActiveSession()
        if session is None:
            builder = SparkSession.builder
            for key, value in local_conf(settings).items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
            session.sparkContext.setLogLevel("WARN")
    else:
        session = SparkSession.getActiveSession()
        if session is None:
            raise NoPoolSessionError(
                f"environment {settings.name} runs on the Synapse Spark pool {settings.spark.pool!r}; "
                "no pool session is active in this process (use the local environment on a laptop)"
            )
    for key, value in {**COMMON_CONF, **settings.spark.session_conf}.items():
        session.conf.set(key, value)
    return session
