"""Benchmark: the medallion batch on one machine.

Generates the sources (or reuses them), runs a full bronze→gold load of every day but the last in a fresh Spark
session, then the last day incrementally in the same session (about 1 % of the data at `bench` scale). The I/O
floor, a plain copy of the same bronze tables into Delta, runs in a session of its own, twice: the first copy
starts from a fresh JVM as the full load did (like for like), the second runs in the JVM the first warmed up (the
floor at its lowest). Prints rows read and written and rows/s per layer (over its wall-clock time), peak memory
of the batch (driver JVM + Python), the full-run / copy ratios (target ≤ 3×) and the incremental / full ratio
(target ≤ 10 %), and for each run and the fresh JVM's copy the driver JVM's CPU, JIT compiler and garbage collector
time and the classes it loaded (where the time goes besides the work itself), the Spark jobs each layer ran, and the
incremental run's slowest tables; writes them to bench/results/medallion.json.

    .venv/bin/python bench/medallion.py [--scale bench] [--reuse]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


class PeakMemory:
    """Polls the resident memory of this process and its children (the Spark JVM)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += child.memory_info().rss
            self.peak = max(self.peak, rss)
            time.sleep(0.5)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def jvm_counters(spark: object) -> dict[str, float]:
    """The Spark driver JVM's CPU time, JIT compiler time, garbage collector time and classes loaded, so far."""
    jvm = spark.sparkContext._jvm
    management = jvm.java.lang.management.ManagementFactory
    cpu = psutil.Process(jvm.java.lang.ProcessHandle.current().pid()).cpu_times()
    return {"cpu_seconds": cpu.user + cpu.system,
            "jit_seconds": management.getCompilationMXBean().getTotalCompilationTime() / 1000,
            "gc_seconds": sum(gc.getCollectionTime() for gc in management.getGarbageCollectorMXBeans()) / 1000,
            "classes_loaded": management.getClassLoadingMXBean().getTotalLoadedClassCount()}


def spark_jobs(spark: object, labels: Iterable[str] = ()) -> int:
    """How many Spark jobs this session has started: one more than the newest job's id (ids count up from 0). Read
    from the jobs the status store still holds, the newest ones, unlabelled or labelled with one of `labels` (the
    tables measured so far: `ops.labelled`)."""
    tracker = spark.sparkContext.statusTracker()
    return max((job for group in (None, *labels) for job in tracker.getJobIdsForGroup(group)), default=-1) + 1


def jobs_by_table(spark: object, labels: Iterable[str], since: int) -> dict[str, int]:
    """The Spark jobs each table's build started from job `since` on (the jobs labelled with it)."""
    tracker = spark.sparkContext.statusTracker()
    return {label: sum(job >= since for job in tracker.getJobIdsForGroup(label)) for label in labels}


def copy_bronze(spark: object, lake_root: Path, out: Path) -> float:
    """Seconds to copy every bronze table as it is into a new Delta table under `out`: the I/O floor. Written as the
    layers write (`lake.write`: statistics on the lineage columns only), so the floor pays no cost they avoid."""
    from spark_pools import lake

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    for source in sorted(p.name for p in (lake_root / "bronze").iterdir()):
        lake.write(lake.read(spark, str(lake_root / "bronze" / source)), str(out / source), "overwrite")
    return time.perf_counter() - started


def floor(lake_root: Path, out: Path) -> dict[str, float]:
    """The copy (into `out`/copy) in a Spark session of its own: first in a fresh JVM, then again in the JVM that
    copy warmed up."""
    command = [sys.executable, __file__, "--floor-of", str(lake_root), "--out", str(out)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # its log goes to ours
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from pipelines.copy_database import copy_tables
    from pipelines.sources.generate import generate
    from retail.settings import load_settings
    from spark_pools.jobs import BatchRun, new_load_id, run_bronze, run_gold, run_silver
    from spark_pools.session import get_spark

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="bench")
    parser.add_argument("--reuse", action="store_true", help="keep sources generated by an earlier run")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench-medallion")
    parser.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)  # the copy's own session (see `floor`)
    args = parser.parse_args()
    if args.floor_of:
        floor_spark = get_spark(load_settings("local"))  # tables are addressed by path
        before = jvm_counters(floor_spark)  # counted over the copies, as over the runs: not the JVM's start
        cold = copy_bronze(floor_spark, args.floor_of, args.out / "copy")
        after = jvm_counters(floor_spark)
        warm = copy_bronze(floor_spark, args.floor_of, args.out / "copy")
        print(json.dumps({"cold": round(cold, 1), "warm": round(warm, 1)}
                         | {f"copy_jvm_{key}": round(after[key] - before[key], 1) for key in after}))
        return
    landing, lake_root = args.out / "landing", args.out / "lake"
    manifest = landing / "manifest.json"
    if not (args.reuse and manifest.exists()):
        generate(landing, args.scale, seed=7)
    shutil.rmtree(landing / "_control", ignore_errors=True)  # start the watermarks afresh
    shutil.rmtree(landing / "supplier" / "extract", ignore_errors=True)
    shutil.rmtree(lake_root, ignore_errors=True)
    end = date.fromisoformat(json.loads(manifest.read_text())["generator"]["end_date"])
    settings = load_settings("local").with_lake(lake_root, landing)
    spark = get_spark(settings)

    def layered(load_date: date, full: bool) -> tuple[BatchRun, dict[str, float]]:
        """The daily batch, layer by layer, with each layer's wall-clock time; the JVM's counters go to results."""
        run = BatchRun(new_load_id(load_date, full), load_date, "full" if full else "incremental")
        before = jvm_counters(spark)
        seconds = {}
        for layer, job in (("bronze", run_bronze), ("silver", run_silver), ("gold", run_gold)):
            started, jobs = time.perf_counter(), spark_jobs(spark, labels)
            job(settings, load_date, full, spark, run)
            seconds[layer] = time.perf_counter() - started
            labels.update(f"{m.job}/{m.entity}" for m in run.metrics)
            results[f"{run.mode}_{layer}_spark_jobs"] = spark_jobs(spark, labels) - jobs
            print(f"{run.mode} {layer}: {seconds[layer]:.1f} s", flush=True)  # progress on long runs
        after = jvm_counters(spark)
        results.update({f"{run.mode}_jvm_{key}": round(after[key] - before[key], 1) for key in after})
        return run, seconds

    results: dict[str, object] = {"scale": args.scale}
    labels: set[str] = set()
    with PeakMemory() as memory:
        copy_tables(landing, end - timedelta(days=1))
        started = time.perf_counter()
        full, layer_seconds = layered(end - timedelta(days=1), full=True)
        results["full_seconds"] = round(time.perf_counter() - started, 1)
        copy_tables(landing, end)
        started, first_job = time.perf_counter(), spark_jobs(spark, labels)
        incremental, incremental_layers = layered(end, full=False)
        by_table = jobs_by_table(spark, labels, first_job)
        results["incremental_seconds"] = round(time.perf_counter() - started, 1)
    spark.stop()
    copy = floor(lake_root, args.out)
    results["copy_seconds"], results["warm_copy_seconds"] = copy.pop("cold"), copy.pop("warm")
    results |= copy  # the fresh JVM's counters over its copy
    print(f"copy: {results['copy_seconds']} s in a fresh JVM, {results['warm_copy_seconds']} s warm", flush=True)
    for layer, seconds in layer_seconds.items():
        rows = sum(m.rows_read for m in full.metrics if m.job == layer)
        results[f"{layer}_rows"] = rows
        results[f"{layer}_rows_written"] = sum(m.rows_written for m in full.metrics if m.job == layer)
        results[f"{layer}_seconds"] = round(seconds, 1)
        results[f"{layer}_rows_per_s"] = round(rows / seconds)
        results[f"incremental_{layer}_seconds"] = round(incremental_layers[layer], 1)
    results["incremental_bronze_rows"] = sum(m.rows_read for m in incremental.metrics if m.job == "bronze")
    # Where a day's run goes: tables of one layer run side by side, so their times overlap.
    slowest = sorted(incremental.metrics, key=lambda m: m.duration_s, reverse=True)[:12]
    results["incremental_slowest_tables"] = {f"{m.job}/{m.entity}": round(m.duration_s, 1) for m in slowest}
    # Where a day's fixed cost goes: the Spark jobs each table's build started (the rest ran between tables).
    results["incremental_jobs_by_table"] = dict(sorted(by_table.items(), key=lambda item: -item[1])[:12])
    results["incremental_jobs_between_tables"] = sum(
        results[f"incremental_{layer}_spark_jobs"] for layer in layer_seconds) - sum(by_table.values())
    results["full_to_copy_ratio"] = round(results["full_seconds"] / results["copy_seconds"], 2)
    results["full_to_warm_copy_ratio"] = round(results["full_seconds"] / results["warm_copy_seconds"], 2)
    results["incremental_to_full_ratio"] = round(results["incremental_seconds"] / results["full_seconds"], 3)
    results["peak_memory_mib"] = round(memory.peak / 2**20)
    for key, value in results.items():
        print(f"{key:>28}: {value}")
    target = ROOT / "bench" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "medallion.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
