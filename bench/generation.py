"""Benchmark: synthetic source generation at `demo` and `bench` scale.

Each scale runs in its own process so its peak memory is its own. Prints sales lines per second, all records
per second, bytes written and peak resident memory; writes the same numbers to bench/results/generation.json.

    .venv/bin/python bench/generation.py [--scales demo,bench] [--out data/bench]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pipelines.sources.generate import generate
out, scale = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
result = generate(out, scale, seed=7)
seconds = time.perf_counter() - started
records = sum(c.get("lines", 0) for name, c in result.manifest["sources"].items() if name != "all")
size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
print(json.dumps({"scale": scale, "seconds": round(seconds, 2), "sales_lines": result.sales_lines,
                  "records": records, "bytes": size,
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def run(scale: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(out / scale), scale], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["sales_lines_per_s"] = round(result["sales_lines"] / result["seconds"])
    result["records_per_s"] = round(result["records"] / result["seconds"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="demo,bench")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench")
    args = parser.parse_args()
    results = []
    print(f"{'scale':<6} {'seconds':>8} {'sales lines':>12} {'lines/s':>9} {'all records':>12} {'records/s':>10} "
          f"{'MiB written':>11} {'peak RSS MiB':>12}")
    for scale in args.scales.split(","):
        r = run(scale, args.out)
        results.append(r)
        print(f"{r['scale']:<6} {r['seconds']:>8.1f} {r['sales_lines']:>12,} {r['sales_lines_per_s']:>9,} "
              f"{r['records']:>12,} {r['records_per_s']:>10,} {r['bytes'] / 2**20:>11.0f} {r['peak_rss_mib']:>12.0f}")
    target = ROOT / "bench" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "generation.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
