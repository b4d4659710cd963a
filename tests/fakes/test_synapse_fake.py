"""The Synapse data-plane fake, driven by the real `ArtifactsClient` (and raw REST where the SDK has no operation).

Note the SDK's two calling conventions: `linked_service`, `dataset`, `trigger`, `spark_job_definition` and
`data_flow` take the inner properties model (`LinkedService`, ...) and wrap it themselves; `pipeline`, `notebook` and
`sql_script` take the resource model (or raw JSON bytes).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.synapse.artifacts import ArtifactsClient
from azure.synapse.artifacts import models as m

from tests.fakes.synapse import MASK, SCOPE, FakeSynapse

WORKSPACE = Path(__file__).resolve().parents[2] / "workspace"
POLL = 0.1

DATA_FLOW = {"name": "df_orders", "properties": {
    "type": "MappingDataFlow",
    "typeProperties": {"sources": [{"name": "orders", "dataset": {"referenceName": "ds_ecommerce_orders",
                                                                  "type": "DatasetReference"}}],
                       "sinks": [], "transformations": [], "script": "source() ~> orders"}}}

# collection, SDK operation group (attribute and method suffix), Git document, resource model,
# whether the SDK takes the inner properties model instead of the resource
CASES = [
    ("linkedservices", "linked_service", "linkedService/ls_key_vault", m.LinkedServiceResource, True),
    ("datasets", "dataset", "dataset/ds_control_catalog", m.DatasetResource, True),
    ("pipelines", "pipeline", "pipeline/pl_daily", m.PipelineResource, False),
    ("triggers", "trigger", "trigger/tr_daily_0500", m.TriggerResource, True),
    ("notebooks", "notebook", "notebook/nb_quality_gate", m.NotebookResource, False),
    ("sparkJobDefinitions", "spark_job_definition", "sparkJobDefinition/sjd_events_stream",
     m.SparkJobDefinitionResource, True),
    ("sqlScripts", "sql_script", "sqlscript/dba_requests", m.SqlScriptResource, False),
    ("dataflows", "data_flow", None, m.DataFlowResource, True),
]


def document(path: str | None) -> dict[str, Any]:
    return DATA_FLOW if path is None else json.loads((WORKSPACE / f"{path}.json").read_text(encoding="utf-8"))


def sdk_body(model: type, inner: bool, doc: dict[str, Any]) -> Any:
    resource = model.deserialize(doc)
    return resource.properties if inner else resource


def create(client: ArtifactsClient, group: str, name: str, body: Any) -> Any:
    return getattr(getattr(client, group), f"begin_create_or_update_{group}")(name, body).result()


def pipeline(client: ArtifactsClient, name: str = "pl_daily") -> Any:
    doc = {**document("pipeline/pl_daily"), "name": name}
    return client.pipeline.begin_create_or_update_pipeline(name, m.PipelineResource.deserialize(doc)).result()


def trigger_properties() -> m.Trigger:
    return m.TriggerResource.deserialize(document("trigger/tr_daily_0500")).properties


def statuses(fake: FakeSynapse, method: str, path_prefix: str) -> list[int | None]:
    return [r.status for r in fake.requests if r.method == method and r.path.startswith(path_prefix)]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeSynapse]:
    with FakeSynapse(tmp_path) as server:
        yield server


@pytest.fixture
def client(fake: FakeSynapse) -> ArtifactsClient:
    return fake.client(polling_interval=POLL)


@pytest.mark.parametrize(("collection", "group", "path", "model", "inner"), CASES, ids=[c[0] for c in CASES])
def test_each_artifact_type_is_created_read_listed_and_deleted_through_the_sdk(
        fake: FakeSynapse, client: ArtifactsClient, collection: str, group: str, path: str | None, model: type,
        inner: bool) -> None:
    doc = document(path)
    name = doc["name"]
    operations = getattr(client, group)

    created = create(client, group, name, sdk_body(model, inner, doc))
    stored = fake.state[collection][name]
    assert (created.name, created.etag, created.type) == (name, stored["etag"], stored["type"])
    assert stored["type"].lower() == f"microsoft.synapse/workspaces/{collection.lower()}"
    assert stored["properties"]["type" if "type" in doc["properties"] else next(iter(doc["properties"]))]
    # PUT answers 202 + Location; the operation answers 202 once (poll_count=1), then 200 with the resource.
    assert [(r.method, r.path.split("/")[1], r.status) for r in fake.requests] == [
        ("PUT", collection, 202), ("GET", "operationResults", 202), ("GET", "operationResults", 200)]

    got = getattr(operations, f"get_{group}")(name)
    assert (got.name, got.etag) == (name, stored["etag"])
    assert [item.name for item in getattr(operations, f"get_{group}s_by_workspace")()] == [name]

    assert getattr(operations, f"begin_delete_{group}")(name).result() is None
    assert fake.state[collection] == {}
    with pytest.raises(ResourceNotFoundError):
        getattr(operations, f"get_{group}")(name)
    getattr(operations, f"begin_delete_{group}")(name).result()  # deleting what is gone: 204, no error
    assert statuses(fake, "DELETE", f"/{collection}/") == [202, 204]
    assert fake.writes() == 2


def test_credentials_work_over_raw_rest(fake: FakeSynapse) -> None:
    doc = document("credential/WorkspaceSystemIdentity")
    url = f"{fake.endpoint}/credentials/{doc['name']}?api-version=2020-12-01"
    put = requests.put(url, json=doc, headers=fake.auth_headers(), timeout=10)
    assert put.status_code == 202 and put.json()["operationId"]
    status = put.headers["Location"]
    assert requests.get(status, headers=fake.auth_headers(), timeout=10).status_code == 202
    done = requests.get(status, headers=fake.auth_headers(), timeout=10)
    assert done.status_code == 200
    assert done.json()["type"] == "Microsoft.Synapse/workspaces/credentials"
    assert done.json()["properties"] == {"type": "ManagedIdentity"}

    listed = requests.get(f"{fake.endpoint}/credentials?api-version=2020-12-01", headers=fake.auth_headers(),
                          timeout=10).json()
    assert [c["name"] for c in listed["value"]] == ["WorkspaceSystemIdentity"] and "nextLink" not in listed
    deleted = requests.delete(url, headers=fake.auth_headers(), timeout=10)
    assert deleted.status_code == 202
    requests.get(deleted.headers["Location"], headers=fake.auth_headers(), timeout=10)
    assert requests.get(deleted.headers["Location"], headers=fake.auth_headers(), timeout=10).status_code == 200
    assert fake.state["credentials"] == {}


def test_polling_follows_the_callers_interval_and_poll_count(tmp_path: Path) -> None:
    with FakeSynapse(tmp_path, poll_count=3) as fake:
        started = time.monotonic()
        pipeline(fake.client(polling_interval=POLL))
        elapsed = time.monotonic() - started
        assert statuses(fake, "GET", "/operationResults/") == [202, 202, 202, 200]
        assert 3 * POLL <= elapsed < 1.5  # the first poll is immediate, then one interval per 202

        # No Retry-After on the 202s unless asked for: it would override the caller's polling_interval.
        url = f"{fake.endpoint}/pipelines/pl_raw?api-version=2020-12-01"
        raw = requests.put(url, json={"properties": {}}, headers=fake.auth_headers(), timeout=10)
        assert raw.status_code == 202 and "Retry-After" not in raw.headers
        fake.lro_retry_after = 2
        assert requests.put(url, json={"properties": {}}, headers=fake.auth_headers(),
                            timeout=10).headers["Retry-After"] == "2"

        fake.poll_count = 0  # the contract's other answer: 200 with the resource at once
        fake.requests.clear()
        assert pipeline(fake.client(polling_interval=POLL), "pl_sync").name == "pl_sync"
        assert [(r.method, r.status) for r in fake.requests] == [("PUT", 200)]


def test_a_missing_artifact_is_a_404_in_the_contracts_error_shape(fake: FakeSynapse, client: ArtifactsClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        client.pipeline.get_pipeline("pl_missing")
    assert raised.value.status_code == 404 and "NotFound" in str(raised.value)
    body = requests.get(f"{fake.endpoint}/pipelines/pl_missing?api-version=2020-12-01", headers=fake.auth_headers(),
                        timeout=10).json()
    assert body["error"]["code"] == "NotFound" and "pl_missing" in body["error"]["message"]


def test_deleting_a_referenced_artifact_fails_until_its_referrers_are_gone(fake: FakeSynapse,
                                                                           client: ArtifactsClient) -> None:
    ls = document("linkedService/ls_adls_lake")
    create(client, "linked_service", "ls_adls_lake", sdk_body(m.LinkedServiceResource, True, ls))
    ds = document("dataset/ds_control_catalog")  # linkedServiceName: ls_adls_lake
    create(client, "dataset", "ds_control_catalog", sdk_body(m.DatasetResource, True, ds))

    with pytest.raises(HttpResponseError) as raised:
        client.linked_service.begin_delete_linked_service("ls_adls_lake").result()
    assert raised.value.status_code == 400
    assert raised.value.error.code == "DeleteDataFactoryResourceOrchestrationError"
    assert "referenced by ds_control_catalog" in raised.value.error.message
    assert "ls_adls_lake" in fake.state["linkedservices"]

    pipeline(client)  # pl_daily
    client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
    with pytest.raises(HttpResponseError, match="referenced by tr_daily_0500"):
        client.pipeline.begin_delete_pipeline("pl_daily").result()

    client.dataset.begin_delete_dataset("ds_control_catalog").result()
    client.linked_service.begin_delete_linked_service("ls_adls_lake").result()
    assert fake.state["linkedservices"] == {} and fake.state["datasets"] == {}


def test_a_started_trigger_cannot_be_updated_or_deleted_until_it_is_stopped(fake: FakeSynapse,
                                                                            client: ArtifactsClient) -> None:
    pipeline(client)
    client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
    assert client.trigger.get_trigger("tr_daily_0500").properties.runtime_state == "Stopped"

    client.trigger.begin_start_trigger("tr_daily_0500").result()
    assert client.trigger.get_trigger("tr_daily_0500").properties.runtime_state == "Started"
    etag = fake.state["triggers"]["tr_daily_0500"]["etag"]
    with pytest.raises(HttpResponseError) as raised:
        client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
    assert raised.value.status_code == 400 and "TriggerEnabledCannotUpdate" in str(raised.value)
    with pytest.raises(HttpResponseError, match="TriggerEnabledCannotDelete"):
        client.trigger.begin_delete_trigger("tr_daily_0500").result()
    assert fake.state["triggers"]["tr_daily_0500"]["etag"] == etag

    client.trigger.begin_stop_trigger("tr_daily_0500").result()
    updated = client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
    assert updated.properties.runtime_state == "Stopped" and updated.etag != etag
    client.trigger.begin_start_trigger("tr_daily_0500").result()
    assert client.trigger.get_event_subscription_status("tr_daily_0500").status == "Disabled"
    assert [c.action for c in fake.changes] == ["put", "put", "start", "stop", "put", "start"]
    assert fake.writes() == 6


def test_an_injected_429_is_retried_after_its_retry_after(fake: FakeSynapse, client: ArtifactsClient) -> None:
    fake.inject(status=429, count=1, retry_after=1, methods=("PUT",))
    pipeline(client)
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [429, 202]
    assert puts[1].time - puts[0].time >= 0.9  # the SDK's retry policy waited for Retry-After
    assert fake.writes() == 1


def test_injected_server_errors_on_polls_and_posts_are_retried(fake: FakeSynapse, client: ArtifactsClient) -> None:
    fake.inject(status=503, count=1, retry_after=None, methods=("GET",), path_prefix="/operationResults")
    pipeline(client)
    assert statuses(fake, "GET", "/operationResults/") == [503, 202, 200]
    client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
    fake.inject(status=500, count=1, retry_after=None, methods=("POST",), path_prefix="/triggers/")
    client.trigger.begin_start_trigger("tr_daily_0500").result()
    assert statuses(fake, "POST", "/triggers/tr_daily_0500/start") == [500, 200]


def test_a_dropped_connection_is_retried(fake: FakeSynapse, client: ArtifactsClient) -> None:
    fake.drop_connections(count=1, methods=("PUT",))
    pipeline(client)
    assert statuses(fake, "PUT", "/pipelines/") == [None, 202]
    assert fake.writes() == 1

    fake.drop_connections(count=1, methods=("PUT",), after=True)  # applied, then the response is lost
    pipeline(client, "pl_again")
    assert statuses(fake, "PUT", "/pipelines/pl_again") == [None, 202]
    assert fake.writes() == 3 and "pl_again" in fake.state["pipelines"]


def test_lists_are_paged_with_next_links(tmp_path: Path) -> None:
    with FakeSynapse(tmp_path, page_size=2) as fake:
        for index in range(5):
            fake.seed("linkedservices", f"ls_{index}", {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "x"}})
        names = [ls.name for ls in fake.client().linked_service.get_linked_services_by_workspace()]
        assert names == [f"ls_{index}" for index in range(5)]
        assert fake.calls("GET") == [("GET", "/linkedservices")] * 3
        assert all(r.query["api-version"] == ["2020-12-01"] for r in fake.requests)
        assert fake.writes() == 0  # seeding is not a write


def test_requests_need_the_api_version_and_a_synapse_token(fake: FakeSynapse, client: ArtifactsClient) -> None:
    base = f"{fake.endpoint}/pipelines"
    missing = requests.get(base, headers=fake.auth_headers(), timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    other = requests.get(f"{base}?api-version=2019-06-01-preview", headers=fake.auth_headers(), timeout=10)
    assert other.status_code == 400 and other.json()["error"]["code"] == "InvalidApiVersionParameter"
    anonymous = requests.get(f"{base}?api-version=2020-12-01", timeout=10)
    assert anonymous.status_code == 401
    list(client.pipeline.get_pipelines_by_workspace())
    assert (SCOPE,) in fake.credential.scopes


def test_etags_answer_if_none_match_and_if_match(fake: FakeSynapse, client: ArtifactsClient) -> None:
    etag = pipeline(client).etag
    url = f"{fake.endpoint}/pipelines/pl_daily?api-version=2020-12-01"
    assert requests.get(url, headers={**fake.auth_headers(), "If-None-Match": etag}, timeout=10).status_code == 304
    stale = requests.put(url, json={"properties": {}}, headers={**fake.auth_headers(), "If-Match": "stale"},
                         timeout=10)
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "PreconditionFailed"


def test_parallel_writes_overlap_under_latency(tmp_path: Path) -> None:
    with FakeSynapse(tmp_path, latency_s=0.2) as fake:
        client = fake.client(polling_interval=POLL)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda index: pipeline(client, f"pl_{index}"), range(8)))
        elapsed = time.monotonic() - started
        assert sorted(fake.state["pipelines"]) == [f"pl_{index}" for index in range(8)]
        assert fake.writes() == 8
        assert elapsed < 2.5  # one after the other: 8 x (3 requests x 0.2 s + 0.1 s) = 5.6 s


def test_secure_strings_are_masked_on_read(fake: FakeSynapse, client: ArtifactsClient) -> None:
    secret = {"type": "SecureString", "value": "DefaultEndpointsProtocol=https;AccountKey=abc"}
    doc = {"name": "ls_blob",
           "properties": {"type": "AzureBlobStorage", "typeProperties": {"connectionString": secret}}}
    create(client, "linked_service", "ls_blob", sdk_body(m.LinkedServiceResource, True, doc))
    assert client.linked_service.get_linked_service("ls_blob").properties.connection_string["value"] == MASK
    assert fake.state["linkedservices"]["ls_blob"]["properties"]["typeProperties"]["connectionString"] == secret


def test_a_body_missing_what_the_contract_requires_is_rejected(fake: FakeSynapse, client: ArtifactsClient) -> None:
    resource = m.LinkedServiceResource.deserialize(document("linkedService/ls_key_vault"))
    with pytest.raises(HttpResponseError, match="misses required properties: type"):
        # The SDK wants the inner LinkedService; given the resource it sends {"properties": {"properties": ...}}.
        client.linked_service.begin_create_or_update_linked_service("ls_key_vault", resource).result()
    assert fake.state["linkedservices"] == {} and fake.writes() == 0


def test_dangling_references_are_accepted_unless_strict(tmp_path: Path) -> None:
    ds = sdk_body(m.DatasetResource, True, document("dataset/ds_control_catalog"))  # ls_adls_lake does not exist
    with FakeSynapse(tmp_path) as fake:
        create(fake.client(polling_interval=POLL), "dataset", "ds_control_catalog", ds)
        assert "ds_control_catalog" in fake.state["datasets"]
        fake.strict_references = True
        with pytest.raises(HttpResponseError, match="invalid reference 'ls_adls_lake'"):
            create(fake.client(polling_interval=POLL), "dataset", "ds_other", ds)


def test_async_failures_end_the_operation_as_failed_which_the_sdk_poller_does_not_raise(tmp_path: Path) -> None:
    with FakeSynapse(tmp_path, failure_mode="async") as fake:
        client = fake.client(polling_interval=POLL)
        pipeline(client)
        client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
        client.trigger.begin_start_trigger("tr_daily_0500").result()
        etag = fake.state["triggers"]["tr_daily_0500"]["etag"]

        result = client.trigger.begin_create_or_update_trigger("tr_daily_0500", trigger_properties()).result()
        assert result.name is None and result.properties is None  # LocationPolling saw 200 and called it done
        assert fake.state["triggers"]["tr_daily_0500"]["etag"] == etag  # nothing was written

        put = requests.put(f"{fake.endpoint}/triggers/tr_daily_0500?api-version=2020-12-01",
                           json=document("trigger/tr_daily_0500"), headers=fake.auth_headers(), timeout=10)
        assert put.status_code == 202
        requests.get(put.headers["Location"], headers=fake.auth_headers(), timeout=10)
        outcome = requests.get(put.headers["Location"], headers=fake.auth_headers(), timeout=10).json()
        assert outcome["status"] == "Failed" and outcome["error"]["code"] == "TriggerEnabledCannotUpdate"


def test_the_ca_bundle_is_set_only_while_the_fake_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/previous-bundle.pem")
    with FakeSynapse(tmp_path) as fake:
        assert os.environ["REQUESTS_CA_BUNDLE"] == str(fake.certificate)
    assert os.environ["REQUESTS_CA_BUNDLE"] == "/etc/previous-bundle.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with FakeSynapse():  # no folder: a temporary one, as from bench/
        pass
    assert "REQUESTS_CA_BUNDLE" not in os.environ
