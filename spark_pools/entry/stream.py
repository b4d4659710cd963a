"""Main file of the `sjd_events_stream` Spark job definition: the real-time job, until the job is stopped.

    spark-submit stream.py --env prod [--seconds N]
"""

from __future__ import annotations

import argparse

from spark_pools.jobs import run_stream


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=("local", "dev", "test", "prod"))
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: run on)")
    args = parser.parse_args(argv)
    run_stream(args.env, seconds=args.seconds)


if __name__ == "__main__":
    main()
