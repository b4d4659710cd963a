"""Applies against the fake Synapse: what the issue's "Done means" asks, one test each, plus the failure modes a
release meets (throttling, dropped connections, polling past its deadline, an operation that fails after 202)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy import cli
from deploy.constants import Exit
from deploy.endpoint import Endpoint, OperationFailedError
from deploy.filters import Selection
from deploy.graph import dependencies
from deploy.plan import Action
from tests.deploy.test_deploy_fixtures import (
    FAST,
    artifacts,
    deployer,
    edit,
    fake_synapse,
    settings_for,
    write_workspace,
)

COLLECTION = {"linkedservices": "linkedService", "datasets": "dataset", "notebooks": "notebook",
              "sparkJobDefinitions": "sparkJobDefinition", "pipelines": "pipeline", "triggers": "trigger",
              "sqlScripts": "sqlscript", "dataflows": "dataflow", "credentials": "credential"}


@pytest.fixture
def fake(tmp_path: Path):
    with fake_synapse(tmp_path, poll_count=1) as server:
        yield server


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws")


def _changes(fake, since: int = 0) -> list[tuple[str, str, str]]:
    return [(c.action, COLLECTION[c.collection], c.name) for c in fake.changes[since:]]


def _start(fake, *names: str) -> None:
    for name in names:
        fake.state["triggers"][name]["properties"]["runtimeState"] = "Started"


def _runtime(fake, name: str) -> str:
    return fake.state["triggers"][name]["properties"]["runtimeState"]


def test_first_apply_creates_everything_in_dependency_order(fake, root) -> None:
    with deployer(root, fake) as release:
        _, outcome = release.apply()
    assert outcome.ok, outcome.failed
    puts = _changes(fake)
    assert {action for action, _, _ in puts} == {"put"} and len(puts) == 12
    finished = {(kind, name): change.time for change, (_, kind, name) in zip(fake.changes, puts, strict=True)}
    started = {}
    for request in fake.requests:
        if request.method == "PUT":
            kind, name = COLLECTION[request.path.split("/")[1]], request.path.split("/")[2]
            started.setdefault((kind, name), request.time)
    for file, document in artifacts().items():
        key = (file.split("/")[0], document["name"])
        for dep in dependencies(key[0], document):
            assert finished[dep] <= started[key], f"{key} was sent before {dep} was there"
    stored = fake.state["linkedservices"]["ls_lake"]["properties"]["parameters"]["storageAccountName"]
    assert stored["defaultValue"] == "stretailtest"  # the test environment's value, not Git's
    assert fake.state["pipelines"]["pl_child"]["properties"]["parameters"]["env"]["defaultValue"] == "test"


def test_a_second_apply_writes_nothing(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        writes, seen = fake.writes(), len(fake.requests)
        plan, outcome = release.apply()
    assert fake.writes() == writes
    assert {r.method for r in fake.requests[seen:]} == {"GET"}
    assert outcome.ok and outcome.done == [] and not plan.has_work


def test_changing_one_pipeline_updates_only_it_and_cycles_only_its_trigger(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        _start(fake, "tr_parent", "tr_other")
        since = len(fake.changes)
        edit(root, "pipeline/pl_other.json", lambda d: d["properties"].update(description="changed"))
        _, outcome = release.apply()
    assert outcome.ok
    assert _changes(fake, since) == [("stop", "trigger", "tr_other"), ("put", "pipeline", "pl_other"),
                                     ("start", "trigger", "tr_other")]
    assert _runtime(fake, "tr_parent") == "Started" and _runtime(fake, "tr_other") == "Started"


def test_a_trigger_whose_definition_changes_is_stopped_updated_and_started(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        _start(fake, "tr_parent")
        since = len(fake.changes)
        edit(root, "trigger/tr_parent.json",
             lambda d: d["properties"]["typeProperties"]["recurrence"]["schedule"].update(hours=[7]))
        _, outcome = release.apply()
    assert outcome.ok, outcome.failed  # without the stop the service answers TriggerEnabledCannotUpdate
    assert _changes(fake, since) == [("stop", "trigger", "tr_parent"), ("put", "trigger", "tr_parent"),
                                     ("start", "trigger", "tr_parent")]


def test_only_triggers_that_were_started_are_started_again(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        _start(fake, "tr_parent")  # tr_other stays stopped
        since = len(fake.changes)
        for name in ("pl_parent", "pl_other"):
            edit(root, f"pipeline/{name}.json", lambda d: d["properties"].update(description="changed"))
        _, outcome = release.apply()
    assert outcome.ok
    assert sorted(_changes(fake, since)) == [("put", "pipeline", "pl_other"), ("put", "pipeline", "pl_parent"),
                                             ("start", "trigger", "tr_parent"), ("stop", "trigger", "tr_parent")]
    assert _runtime(fake, "tr_other") == "Stopped"


def test_the_environment_starts_the_triggers_it_names(fake, root) -> None:
    with deployer(root, fake, settings_for(start_triggers=["tr_parent"])) as release:
        _, outcome = release.apply()
        assert outcome.ok and _runtime(fake, "tr_parent") == "Started" and _runtime(fake, "tr_other") == "Stopped"
        writes = fake.writes()
        release.apply()
    assert fake.writes() == writes  # already started: nothing to do


def test_injected_429s_are_survived_honouring_retry_after(fake, root) -> None:
    fake.inject(status=429, count=6, retry_after=0.3, methods=("PUT", "GET"))
    began = time.monotonic()
    with deployer(root, fake) as release:
        _, outcome = release.apply()
        assert outcome.ok, outcome.failed
        assert release.plan().of(Action.CREATE, Action.UPDATE) == []
    throttled = [r for r in fake.requests if r.status == 429]
    assert len(throttled) == 6
    assert time.monotonic() - began >= 0.3  # the SDK waited as told, not its own (shorter) backoff


def test_5xx_answers_are_retried(fake, root) -> None:
    fake.inject(status=503, count=2, retry_after=None, methods=("PUT",))
    fake.inject(status=500, count=1, retry_after=None, methods=("GET",), path_prefix="/operationResults")
    with deployer(root, fake) as release:
        _, outcome = release.apply()
    assert outcome.ok, outcome.failed
    assert len(fake.state["pipelines"]) == 3


def test_dropped_connections_are_survived(fake, root) -> None:
    fake.drop_connections(count=3, methods=("PUT",))
    fake.drop_connections(count=2, methods=("PUT",), after=True)  # applied, but the answer is lost
    fake.drop_connections(count=2, methods=("GET",), path_prefix="/operationResults")
    with deployer(root, fake) as release:
        _, outcome = release.apply()
        assert outcome.ok, outcome.failed
        assert release.plan().of(Action.CREATE, Action.UPDATE) == []
    assert len([r for r in fake.requests if r.status is None]) == 7


def test_polling_past_the_deadline_is_retried(fake, root) -> None:
    fake.poll_count = 1000  # the first writes never finish in time ...

    def recover() -> None:
        time.sleep(0.6)
        fake.poll_count = 1  # ... then the service is back to normal

    threading.Thread(target=recover, daemon=True).start()
    with deployer(root, fake, operation_timeout=0.3, backoff=0.3) as release:
        _, outcome = release.apply()
        assert outcome.ok, outcome.failed
        assert release.plan().of(Action.CREATE, Action.UPDATE) == []


def test_a_failed_apply_stops_at_its_level_restores_triggers_and_a_rerun_converges(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        _start(fake, "tr_parent", "tr_other")
        for file in ("dataset/ds_table.json", "pipeline/pl_child.json", "pipeline/pl_parent.json"):
            edit(root, file, lambda d: d["properties"].update(description="release 2"))
        fake.inject(status=400, count=1, retry_after=None, methods=("PUT",), path_prefix="/pipelines/pl_child")
        since = len(fake.changes)
        _, failed = release.apply()
        assert not failed.ok
        assert [(s, k, n) for s, k, n, _ in failed.failed] == [("write", "pipeline", "pl_child")]
        assert _changes(fake, since) == [("stop", "trigger", "tr_parent"), ("put", "dataset", "ds_table"),
                                         ("start", "trigger", "tr_parent")]  # pl_parent (next level) not sent
        assert _runtime(fake, "tr_parent") == "Started"  # left as it was found
        since = len(fake.changes)
        _, rerun = release.apply()
        assert rerun.ok
        assert _changes(fake, since) == [("stop", "trigger", "tr_parent"), ("put", "pipeline", "pl_child"),
                                         ("put", "pipeline", "pl_parent"), ("start", "trigger", "tr_parent")]
        writes = fake.writes()
        release.apply()
    assert fake.writes() == writes


def test_orphans_go_only_with_the_flag_dependents_first_and_never_outside_the_filter(fake, root) -> None:
    fake.seed("linkedservices", "ls_old", {"type": "AzureBlobFS", "typeProperties": {"url": "https://x"}})
    fake.seed("datasets", "ds_old", {"type": "Parquet", "linkedServiceName": {
        "referenceName": "ls_old", "type": "LinkedServiceReference"}})
    fake.seed("pipelines", "pl_old", {"activities": [{"name": "l", "type": "Lookup", "typeProperties": {
        "dataset": {"referenceName": "ds_old", "type": "DatasetReference"}}}]})
    fake.seed("pipelines", "pl_old_caller", {"activities": [{"name": "c", "type": "ExecutePipeline",
                                                              "typeProperties": {"pipeline": {
                                                                  "referenceName": "pl_old",
                                                                  "type": "PipelineReference"}}}]})
    fake.seed("triggers", "tr_old", {"type": "ScheduleTrigger", "pipelines": [
        {"pipelineReference": {"referenceName": "pl_old_caller", "type": "PipelineReference"}}]},
        runtime_state="Started")
    fake.seed("notebooks", "nb_keep", {"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": []})
    with deployer(root, fake) as release:
        release.apply()
        assert len(fake.state["pipelines"]) == 5  # kept without the flag
        since = len(fake.changes)
        _, outcome = release.apply(Selection.parse(exclude=["notebook:*"]), delete_orphans=True)
    assert outcome.ok, outcome.failed
    assert _changes(fake, since) == [("stop", "trigger", "tr_old"), ("delete", "trigger", "tr_old"),
                                     ("delete", "pipeline", "pl_old_caller"), ("delete", "pipeline", "pl_old"),
                                     ("delete", "dataset", "ds_old"), ("delete", "linkedService", "ls_old")]
    assert "nb_keep" in fake.state["notebooks"]  # an orphan outside the filter


def test_writes_run_in_parallel_within_a_level_and_never_beyond_the_bound(fake, tmp_path, monkeypatch) -> None:
    docs = artifacts()
    for index in range(12):  # twelve independent datasets on one linked service: one level
        docs[f"dataset/ds_copy_{index}.json"] = {**docs["dataset/ds_files.json"], "name": f"ds_copy_{index}"}
    root = write_workspace(tmp_path / "many", docs)
    active, peak, lock = [0], [0], threading.Lock()
    upsert = Endpoint.upsert

    def counting(self, kind, name, data):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.05)
            return upsert(self, kind, name, data)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(Endpoint, "upsert", counting)
    with deployer(root, fake, parallel=3) as release:
        _, outcome = release.apply()
    assert outcome.ok
    assert peak[0] == 3


def test_an_operation_that_fails_after_202_is_reported_not_missed(tmp_path) -> None:
    with fake_synapse(tmp_path, poll_count=1, failure_mode="async") as fake:
        fake.seed("triggers", "tr_on", {"type": "ScheduleTrigger", "pipelines": []}, runtime_state="Started")
        endpoint = Endpoint(fake.endpoint, fake.credential, **FAST)
        with pytest.raises(OperationFailedError, match="TriggerEnabledCannotUpdate"):
            endpoint.upsert("trigger", "tr_on", {"name": "tr_on", "properties": {
                "type": "ScheduleTrigger", "typeProperties": {"recurrence": {"frequency": "Day", "interval": 1}}}})
        fake.seed("linkedservices", "ls_used", {"type": "AzureBlobFS", "typeProperties": {"url": "https://x"}})
        fake.seed("datasets", "ds_user", {"type": "Parquet", "linkedServiceName": {
            "referenceName": "ls_used", "type": "LinkedServiceReference"}})
        with pytest.raises(OperationFailedError, match="DeleteDataFactoryResourceOrchestrationError"):
            endpoint.delete("linkedService", "ls_used")
        endpoint.close()


def test_credentials_go_through_raw_rest(fake) -> None:
    endpoint = Endpoint(fake.endpoint, fake.credential, **FAST)
    endpoint.upsert("credential", "cred_mi", {"name": "cred_mi", "properties": {"type": "ManagedIdentity"}})
    assert fake.state["credentials"]["cred_mi"]["properties"] == {"type": "ManagedIdentity"}
    assert [item["name"] for item in endpoint.list(_publisher("credential"))] == ["cred_mi"]
    endpoint.delete("credential", "cred_mi")
    endpoint.delete("credential", "cred_mi")  # gone already: fine
    assert fake.state["credentials"] == {}
    endpoint.close()


def _publisher(kind: str):
    from deploy.publishers import PUBLISHERS

    return PUBLISHERS[kind]


def test_listing_follows_pages(tmp_path) -> None:
    with fake_synapse(tmp_path, page_size=2) as fake:
        for index in range(5):
            fake.seed("pipelines", f"pl_{index}", {"activities": []})
        endpoint = Endpoint(fake.endpoint, fake.credential, **FAST)
        assert [item["name"] for item in endpoint.list(_publisher("pipeline"))] == [f"pl_{i}" for i in range(5)]
        endpoint.close()


# -- the CLI's exit codes ----------------------------------------------------------------------------------------
def test_cli_apply_exit_codes(fake, root, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_deployer", lambda env, **options: deployer(
        root, fake, **{k: v for k, v in options.items() if v is not None}))
    dry = CliRunner().invoke(cli.deploy, ["apply", "--env", "test", "--dry-run"])
    assert dry.exit_code == Exit.DONE and fake.writes() == 0
    fake.inject(status=400, count=1, retry_after=None, methods=("PUT",), path_prefix="/linkedservices/ls_kv")
    failed = CliRunner().invoke(cli.deploy, ["apply", "--env", "test", "--parallel", "2"])
    assert failed.exit_code == Exit.FAILED, failed.output
    assert "✗ write linkedService ls_kv" in failed.stderr
    done = CliRunner().invoke(cli.deploy, ["apply", "--env", "test", "--json"])
    assert done.exit_code == Exit.DONE, done.output
    report = json.loads(done.stdout)
    assert report["outcome"]["ok"] is True and report["counts"]["create"] >= 1
    again = CliRunner().invoke(cli.deploy, ["apply", "--env", "test"])
    assert again.exit_code == Exit.DONE and "nothing to do" in again.stdout
    fake.seed("datasets", "ds_keep", {"type": "Parquet", "linkedServiceName": {
        "referenceName": "ls_gone", "type": "LinkedServiceReference"}})
    fake.seed("linkedservices", "ls_gone", {"type": "AzureBlobFS", "typeProperties": {"url": "https://x"}})
    invalid = CliRunner().invoke(cli.deploy, ["apply", "--env", "test", "--include", "linkedService:*",
                                              "--delete-orphans"])
    assert invalid.exit_code == Exit.INVALID and "cannot delete linkedService ls_gone" in invalid.stderr
