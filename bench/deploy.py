"""Benchmark: `retail deploy apply` of about 100 artifacts against the fake Synapse data plane with 200 ms per
request, in parallel (8 writes in flight per dependency level) and one at a time, and a plan with no change.

The release is the committed workspace plus generated datasets and pipelines (pipelines that look up their
dataset, in ExecutePipeline chains of five) up to about 100 artifacts, released to `test` with its real overrides.
Polling runs at the deployer's default of 1 s; the fake answers "in progress" once per operation, so a write is
PUT + poll + 1 s + poll. Prints both times, the ratio (target >= 4x) and the no-change plan's time; writes
bench/results/deploy.json.

    .venv/bin/python bench/deploy.py [--latency 0.2] [--parallel 8] [--target 100]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.deployer import Deployer  # noqa: E402
from deploy.live import read_live  # noqa: E402
from deploy.plan import build_plan  # noqa: E402
from deploy.validate import POOLS, WORKSPACE  # noqa: E402
from retail.settings import load_settings  # noqa: E402
from tests.fakes.synapse import FakeSynapse  # noqa: E402

CHAIN = 5  # generated pipelines call the previous one, in chains of this length


def build_workspace(folder: Path, target: int) -> int:
    """The committed workspace plus generated datasets and pipelines: about `target` artifacts in all."""
    shutil.copytree(WORKSPACE, folder)
    existing = sum(1 for kind in folder.iterdir() if kind.is_dir() and kind.name != "integrationRuntime"
                   for _ in kind.glob("*.json"))
    pairs = max(0, (target - existing) // 2)
    dataset = json.loads((folder / "dataset" / "ds_lake_parquet.json").read_text())
    for index in range(pairs):
        copy_ = copy.deepcopy(dataset)
        copy_["name"] = f"ds_bench_{index:03d}"
        copy_["properties"]["description"] = f"Generated copy {index} for the deploy benchmark."
        (folder / "dataset" / f"ds_bench_{index:03d}.json").write_text(json.dumps(copy_, indent=4))
        activities = [{"name": "lookup", "type": "Lookup", "dependsOn": [], "userProperties": [],
                       "policy": {"timeout": "0.00:10:00", "retry": 1, "retryIntervalInSeconds": 30},
                       "typeProperties": {
                           "source": {"type": "ParquetSource", "storeSettings": {"type": "AzureBlobFSReadSettings",
                                                                                 "recursive": True}},
                           "dataset": {"referenceName": copy_["name"], "type": "DatasetReference",
                                       "parameters": {"folder": f"exports/bench_{index:03d}"}},
                           "firstRowOnly": True}}]
        if index % CHAIN:
            activities.append({"name": "run_previous", "type": "ExecutePipeline", "userProperties": [],
                               "dependsOn": [{"activity": "lookup", "dependencyConditions": ["Succeeded"]}],
                               "typeProperties": {"pipeline": {"referenceName": f"pl_bench_{index - 1:03d}",
                                                               "type": "PipelineReference"},
                                                  "waitOnCompletion": True}})
        pipeline = {"name": f"pl_bench_{index:03d}", "properties": {"activities": activities, "annotations": []}}
        (folder / "pipeline" / f"pl_bench_{index:03d}.json").write_text(json.dumps(pipeline, indent=4))
    return existing + 2 * pairs


def run(latency: float, parallel: int, target: int) -> dict[str, object]:
    settings = load_settings("test")
    dev = load_settings("dev")
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as temp:
        workspace = Path(temp) / "workspace"
        artifacts = build_workspace(workspace, target)

        def deployer(fake: FakeSynapse, workers: int) -> Deployer:
            return Deployer(settings, root=workspace, pools=POOLS, endpoint=fake.endpoint,
                            credential=fake.credential, source_settings=dev, parallel=workers)

        results: dict[str, object] = {"artifacts": artifacts, "latency_s": latency,
                                      "poll_interval_s": settings.deploy.poll_interval_seconds}
        for label, workers in (("parallel", parallel), ("sequential", 1)):
            with FakeSynapse(latency_s=latency, poll_count=1) as fake, deployer(fake, workers) as release:
                plan = release.plan()
                began = time.perf_counter()
                _, outcome = release.apply(plan=plan)
                seconds = time.perf_counter() - began
                assert outcome.ok, outcome.failed
                writes = fake.writes()
                print(f"apply, {label} ({workers}): {seconds:6.1f} s for {writes} writes "
                      f"in {len(plan.write_levels())} levels of {[len(g) for g in plan.write_levels()]}")
                results[f"apply_{label}_s"] = round(seconds, 2)
                results[f"writes_{label}"] = writes
                if label == "parallel":
                    began = time.perf_counter()
                    again = release.plan()
                    results["plan_no_change_s"] = round(time.perf_counter() - began, 2)
                    release_only = release.release()
                    began = time.perf_counter()
                    live = read_live(release.endpoint(), workers)
                    build_plan(release_only, live, fake.endpoint)
                    results["plan_no_change_read_and_compare_s"] = round(time.perf_counter() - began, 2)
                    assert not again.has_work, "a plan right after apply must be all unchanged"
                    before = fake.writes()
                    release.apply()
                    results["second_apply_writes"] = fake.writes() - before
                    print(f"no-change plan: {results['plan_no_change_s']} s (validation included; reading and "
                          f"comparing {results['plan_no_change_read_and_compare_s']} s); second apply wrote "
                          f"{results['second_apply_writes']}")
        ratio = results["apply_sequential_s"] / results["apply_parallel_s"]  # type: ignore[operator]
        results["speedup"] = round(ratio, 2)
        results["target_speedup"] = 4.0
        results["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
        print(f"speedup: {ratio:.1f}x (target >= 4x)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the fake takes per request")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--target", type=int, default=100, help="about this many artifacts")
    args = parser.parse_args()
    results = run(args.latency, args.parallel, args.target)
    out = ROOT / "bench" / "results" / "deploy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
