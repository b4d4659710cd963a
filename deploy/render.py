"""The plan and the apply's progress for people (a table) and for CI (`--json`)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from deploy.apply import Outcome
from deploy.plan import Action, Plan

STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red", Action.UNCHANGED: "dim",
         Action.ORPHAN: "magenta"}
SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.UNCHANGED: "=", Action.ORPHAN: "?"}


def plan_table(plan: Plan, console: Console, *, diffs: bool = False, show_unchanged: bool = True) -> None:
    table = Table(title=f"Plan for {plan.environment} ({plan.endpoint}); filter: {plan.selection.describe()}",
                  title_justify="left")
    for column in ("", "action", "type", "name", "level", "hash"):
        table.add_column(column, no_wrap=True)
    for change in plan.changes:
        if change.action is Action.UNCHANGED and not show_unchanged:
            continue
        style = STYLE[change.action]
        table.add_row(SYMBOL[change.action], change.action.value, change.kind, change.name, str(change.level),
                      change.digest or "", style=style)
    console.print(table)
    for step in plan.stop:
        note = "then started again" if step.name in plan.restart else "not started again (deleted)"
        console.print(f"[yellow]trigger {step.name}[/]: stopped first ({step.reason}); {note}")
    for step in plan.start:
        console.print(f"[green]trigger {step.name}[/]: started after the apply ({step.reason})")
    counts = plan.counts()
    summary = ", ".join(f"{n} {action}" for action, n in counts.items() if n)
    console.print(f"{summary or 'nothing'}"
                  + ("" if plan.delete_orphans or not counts["orphan"] else
                     " (orphans are kept; --delete-orphans deletes them)"))
    if diffs:
        for change in plan.of(Action.UPDATE):
            console.print(f"\n[bold]{change.kind} {change.name}[/]")
            console.print(change.diff(), markup=False, highlight=False)
    for problem in plan.problems:
        console.print(f"[red]problem:[/] {problem}", markup=True, highlight=False)


def plan_json(plan: Plan, *, diffs: bool = False, outcome: Outcome | None = None) -> str:
    document: dict[str, Any] = plan.to_dict(diffs=diffs)
    if outcome is not None:
        document["outcome"] = outcome.to_dict()
    return json.dumps(document, indent=2)
