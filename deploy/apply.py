"""Carrying out a plan: stop the triggers it names, write level by level (in parallel within a level, at most
`parallel` at once), delete orphans dependents first, then start the triggers again.

A level runs to its end even when one of its writes fails (the others are independent), but the next level does
not start: its artifacts may depend on the failed one. Whatever happens, every trigger this apply stopped is
started again (a failed trigger update leaves the old definition, which was running before), so the workspace
is never left with its schedules off; a re-run then plans only what is still different and converges.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from deploy.endpoint import Endpoint
from deploy.plan import Action, Change, Plan

Key = tuple[str, str]
Report = Callable[[str, str, str, float, str | None], None]  # (step, type, name, seconds, error)


@dataclass
class Outcome:
    done: list[tuple[str, str, str]] = field(default_factory=list)  # (step, type, name)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (step, type, name, error)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "seconds": round(self.seconds, 3),
                "done": [{"step": s, "type": k, "name": n} for s, k, n in self.done],
                "failed": [{"step": s, "type": k, "name": n, "error": e} for s, k, n, e in self.failed]}


def _quiet(step: str, kind: str, name: str, seconds: float, error: str | None) -> None:
    pass


def apply_plan(plan: Plan, endpoint: Endpoint, parallel: int = 8, report: Report = _quiet) -> Outcome:
    """Carry out `plan` against `endpoint`. Never raises for a failed operation: it is in the outcome."""
    outcome = Outcome()
    began = time.monotonic()
    stopped: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="apply") as pool:

        def run_all(step: str, items: list[tuple[str, str]], work: Callable[[str, str], None]) -> bool:
            def one(item: tuple[str, str]) -> tuple[tuple[str, str], float, str | None]:
                start = time.monotonic()
                try:
                    work(*item)
                    return item, time.monotonic() - start, None
                except Exception as error:
                    text = " ".join(str(error).split())[:500]
                    return item, time.monotonic() - start, f"{type(error).__name__}: {text}"

            ok = True
            for future in as_completed([pool.submit(one, item) for item in items]):
                (kind, name), seconds, error = future.result()
                report(step, kind, name, seconds, error)
                if error is None:
                    outcome.done.append((step, kind, name))
                else:
                    outcome.failed.append((step, kind, name, error))
                    ok = False
            return ok

        def stop(kind: str, name: str) -> None:
            endpoint.stop_trigger(name)
            stopped.append(name)

        try:
            if not run_all("stop", [("trigger", step.name) for step in plan.stop], stop):
                return outcome
            for group in plan.write_levels():
                if not run_all("write", [c.key for c in group], _writer(endpoint, group)):
                    return outcome
            for group in plan.delete_levels():
                if not run_all("delete", [c.key for c in group], lambda kind, name: endpoint.delete(kind, name)):
                    return outcome
            run_all("start", [("trigger", step.name) for step in plan.start],
                    lambda _kind, name: endpoint.start_trigger(name))
        finally:
            deleted = {name for step, kind, name in outcome.done if step == "delete" and kind == "trigger"}
            again = [name for name in plan.restart if name in stopped and name not in deleted]
            run_all("restart", [("trigger", name) for name in again], lambda _kind, name: endpoint.start_trigger(name))
            outcome.seconds = time.monotonic() - began
    return outcome


def _writer(endpoint: Endpoint, group: list[Change]) -> Callable[[str, str], None]:
    bodies = {change.key: change.body for change in group if change.action in (Action.CREATE, Action.UPDATE)}

    def write(kind: str, name: str) -> None:
        body = bodies[(kind, name)]
        assert body is not None
        endpoint.upsert(kind, name, body)

    return write
