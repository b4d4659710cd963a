"""Benchmark: the streaming job on one machine, against a real local Kafka broker.

Starts a private broker, runs the streaming job (1 s trigger, the local environment's settings) in this
process, and feeds it from a producer process: a warm-up, then each rate in turn for the same duration.
End-to-end latency per event = the moment its micro-batch's gold positions were committed (the stream
metrics' `visible_at`) minus the event's own timestamp (set by the producer when it created the event).
Prints sustained throughput and p50/p95 latency per rate (target: p95 ≤ 5 s at 1,000 events/s) and writes
them to bench/results/streaming.json.

    .venv/bin/python bench/streaming.py [--rates 1000 5000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCE = "import sys; from retail.settings import Settings; from pipelines.sources.events import produce; " \
          "r = produce(Settings.model_validate_json(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), " \
          "int(sys.argv[4])); print(r.sent, r.failed, round(r.seconds, 2))"


def _produce(settings_json: str, rate: float, seconds: float, seed: int) -> tuple[int, int, float]:
    done = subprocess.run([sys.executable, "-c", PRODUCE, settings_json, str(rate), str(seconds), str(seed)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"the producer failed at {rate:,} events/s:\n{done.stderr}")
    sent, failed, took = done.stdout.split()
    return int(sent), int(failed), float(took)


def _alive(runner: threading.Thread) -> bool:
    if not runner.is_alive():
        raise SystemExit("the streaming job stopped before the benchmark ended (see the log above)")
    return True


def main() -> None:
    from pyspark.sql import functions as F

    from retail.broker import LocalBroker
    from retail.settings import load_settings
    from spark_pools import lake
    from spark_pools.session import get_spark
    from spark_pools.streaming.job import SILVER_QUERY, STREAM_METRICS, StreamJob, path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench-stream")
    args = parser.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    broker = LocalBroker(args.out / "broker")
    broker.start()
    try:
        settings = broker.bind(load_settings("local")).with_lake(args.out / "lake", args.out / "landing")
        spark = get_spark(settings)
        job = StreamJob(settings, spark)
        runner = threading.Thread(target=job.run, daemon=True)
        runner.start()
        warmup, _, _ = _produce(settings.model_dump_json(), args.rates[0], args.warmup, 1)
        while _alive(runner) and job.run_info.rows.get(SILVER_QUERY, 0) < warmup:
            time.sleep(1)  # the first micro-batches start the JVM's code paths cold: measure after them
        time.sleep(5)
        phases = []
        for i, rate in enumerate(args.rates):
            started = datetime.now(UTC).replace(tzinfo=None)
            sent, failed, took = _produce(settings.model_dump_json(), rate, args.seconds, 10 + i)
            phases.append({"rate": rate, "sent": sent, "failed": failed, "produce_s": took, "start": started,
                           "end": datetime.now(UTC).replace(tzinfo=None)})
            while _alive(runner) and job.run_info.rows.get(SILVER_QUERY, 0) < warmup + sum(p["sent"] for p in phases):
                time.sleep(1)  # let the job drain before the next rate
        job.stop()
        runner.join()

        silver = lake.read(spark, path(settings, "events_silver"))
        metrics = lake.read(spark, lake.table_path(settings, "_ops", STREAM_METRICS)) \
            .where(f"query = '{SILVER_QUERY}'").select(F.col("batch_id").alias("_batch_id"), "visible_at")
        latency = silver.join(metrics, "_batch_id").select(
            "event_ts", (F.col("visible_at").cast("double") - F.col("event_ts").cast("double")).alias("latency_s"))
        results = []
        for phase in phases:
            window = latency.where(F.col("event_ts").between(F.lit(phase["start"]), F.lit(phase["end"])))
            row = window.agg(F.count(F.lit(1)).alias("events"),
                             F.percentile_approx("latency_s", [0.5, 0.95, 0.99], 10000).alias("p"),
                             F.max("latency_s").alias("max")).first()
            span = (phase["end"] - phase["start"]).total_seconds()
            results.append({"rate": phase["rate"], "sent": phase["sent"], "failed": phase["failed"],
                            "visible_in_gold": row["events"], "throughput_per_s": round(row["events"] / span, 1),
                            "p50_s": round(row["p"][0], 2), "p95_s": round(row["p"][1], 2),
                            "p99_s": round(row["p"][2], 2), "max_s": round(row["max"], 2)})
    finally:
        broker.stop()

    print(f"{'rate/s':>8} {'sent':>8} {'in gold':>8} {'thru/s':>8} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7}")
    for r in results:
        print(f"{r['rate']:>8,} {r['sent']:>8,} {r['visible_in_gold']:>8,} {r['throughput_per_s']:>8,.0f} "
              f"{r['p50_s']:>7.2f} {r['p95_s']:>7.2f} {r['p99_s']:>7.2f} {r['max_s']:>7.2f}")
    target = next((r for r in results if r["rate"] == 1000), None)
    if target:
        print(f"p95 at 1,000 events/s: {target['p95_s']:.2f} s (target ≤ 5 s)")
    out = ROOT / "bench" / "results" / "streaming.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured": datetime.now(UTC).isoformat(), "trigger_s": 1.0, "phases": results},
                              indent=2))


if __name__ == "__main__":
    main()
