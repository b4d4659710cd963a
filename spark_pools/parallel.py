"""Run independent Spark jobs concurrently from driver threads (Spark schedules them side by side)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_all(tasks: list[Callable[[], T]], workers: int) -> list[T]:
    """Results in task order; the first failure is raised after every started task has finished."""
    if workers <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retail-job") as pool:
        futures = [pool.submit(task) for task in tasks]
        return [f.result() for f in futures]
