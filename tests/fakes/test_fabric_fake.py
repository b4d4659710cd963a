"""The Fabric items fake follows the published contract (see tests/fakes/fabric.py for the sources): driven here with
plain `requests`, as any client would."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.fabric import SCOPE, FakeFabric
from tests.fakes.synapse import token_for

WS = "22222222-2222-2222-2222-222222222222"
TMDL = {"definition.pbism": '{"version": "4.2", "settings": {}}',
        "definition/model.tmdl": "model Model\n\tculture: en-US\n",
        "definition/expressions.tmdl": 'expression SqlEndpoint = "x" meta [IsParameterQuery=true]\n'}
PBIR_V1 = "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json"
PBIR_V2 = "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/2.0.0/schema.json"


def definition(files: dict[str, str]) -> dict[str, Any]:
    return {"parts": [{"path": p, "payload": base64.b64encode(v.encode()).decode(), "payloadType": "InlineBase64"}
                      for p, v in files.items()]}


def report_files(reference: dict[str, Any], schema: str = PBIR_V1, pages: bool = True) -> dict[str, str]:
    files = {"definition.pbir": json.dumps({"$schema": schema, "version": "4.0", "datasetReference": reference}),
             "definition/report.json": "{}", "definition/version.json": '{"version": "2.0.0"}'}
    if pages:
        files["definition/pages/p1/page.json"] = '{"name": "p1"}'
    return files


def by_connection(model_id: str) -> dict[str, Any]:
    return {"byConnection": {"connectionString": None, "pbiServiceModelId": None,
                             "pbiModelVirtualServerName": "sobe_wowvirtualserver", "pbiModelDatabaseName": model_id,
                             "name": "EntityDataSource", "connectionType": "pbiServiceXmlaStyleLive"}}


class Api:
    """Raw calls to the fake with its token."""

    def __init__(self, fake: FakeFabric) -> None:
        self.fake = fake

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        url = path if "://" in path else f"{self.fake.endpoint}{path}"
        headers = kwargs.pop("headers", self.fake.auth_headers())
        return requests.request(method, url, json=body, headers=headers, timeout=10, **kwargs)

    def wait(self, response: requests.Response) -> requests.Response:
        """Poll an operation to its end (as a client following `x-ms-operation-id`)."""
        assert response.status_code == 202, response.text
        operation = response.headers["x-ms-operation-id"]
        while True:
            state = self("GET", f"/v1/operations/{operation}")
            assert state.status_code == 200
            if state.json()["status"] not in ("Running", "NotStarted"):
                return state


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeFabric]:
    with FakeFabric(tmp_path, poll_count=1) as server:
        yield server


@pytest.fixture
def api(fake: FakeFabric) -> Api:
    return Api(fake)


def test_a_create_is_a_long_running_operation_whose_result_is_the_item(fake: FakeFabric, api: Api) -> None:
    assert api("GET", f"/v1/workspaces/{WS}/semanticModels").json() == {"value": []}
    created = api("POST", f"/v1/workspaces/{WS}/semanticModels",
                  {"displayName": "Retail", "description": "d", "definition": definition(TMDL)})
    assert created.status_code == 202 and not created.content
    operation = created.headers["x-ms-operation-id"]
    assert created.headers["Location"] == f"{fake.endpoint}/v1/operations/{operation}"
    assert created.headers["Retry-After"] == "20"
    assert api("GET", f"/v1/operations/{operation}/result").status_code == 400  # not done yet
    running = api("GET", f"/v1/operations/{operation}")
    assert running.json()["status"] == "Running" and running.headers["Location"].endswith(operation)
    done = api("GET", f"/v1/operations/{operation}")
    assert done.json()["status"] == "Succeeded"
    assert done.headers["Location"] == f"{fake.endpoint}/v1/operations/{operation}/result"
    item = api("GET", done.headers["Location"]).json()
    assert set(item) == {"id", "type", "displayName", "description", "workspaceId"}
    assert (item["type"], item["displayName"], item["workspaceId"]) == ("SemanticModel", "Retail", WS)
    assert api("GET", f"/v1/workspaces/{WS}/semanticModels").json()["value"] == [item]
    assert api("GET", f"/v1/workspaces/{WS}/semanticModels/{item['id']}").json() == item
    stored = fake.item("SemanticModel", "Retail", WS)
    assert stored.text("definition/expressions.tmdl") == TMDL["definition/expressions.tmdl"]
    assert stored.definitions == 1 and [c.action for c in fake.changes] == ["create"]


def test_without_polling_a_create_answers_201_and_an_update_200(fake: FakeFabric, api: Api) -> None:
    fake.poll_count = 0
    created = api("POST", f"/v1/workspaces/{WS}/semanticModels", {"displayName": "M", "definition": definition(TMDL)})
    assert created.status_code == 201 and created.json()["displayName"] == "M"
    model_id = created.json()["id"]
    updated = api("POST", f"/v1/workspaces/{WS}/semanticModels/{model_id}/updateDefinition",
                  {"definition": definition({**TMDL, "definition/model.tmdl": "model Model\n"})})
    assert updated.status_code == 200 and not updated.content
    assert fake.item("SemanticModel", "M").text("definition/model.tmdl") == "model Model\n"


def test_update_definition_replaces_the_parts_and_has_no_result(fake: FakeFabric, api: Api) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    answer = api("POST", f"/v1/workspaces/{WS}/semanticModels/{model.id}/updateDefinition",
                 {"definition": definition({"definition.pbism": "{}", "definition/model.tmdl": "model M\n"})})
    done = api.wait(answer)
    assert done.json()["status"] == "Succeeded" and "Location" not in done.headers
    assert api("GET", f"/v1/operations/{answer.headers['x-ms-operation-id']}/result").status_code == 400
    assert sorted(model.parts) == ["definition.pbism", "definition/model.tmdl"] and model.definitions == 2
    assert len(fake.items("SemanticModel")) == 1


def test_update_metadata_needs_a_platform_part(fake: FakeFabric, api: Api) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    answer = api("POST", f"/v1/workspaces/{WS}/semanticModels/{model.id}/updateDefinition",
                 {"definition": definition(TMDL)}, params={"updateMetadata": "true"})
    assert answer.status_code == 400 and answer.json()["errorCode"] == "InvalidInput"
    platform = json.dumps({"metadata": {"type": "SemanticModel", "displayName": "Retail v2"}})
    api.wait(api("POST", f"/v1/workspaces/{WS}/semanticModels/{model.id}/updateDefinition",
                 {"definition": definition({**TMDL, ".platform": platform})}, params={"updateMetadata": "true"}))
    assert model.display_name == "Retail v2" and ".platform" not in model.parts


def test_a_taken_display_name_is_400_item_display_name_already_in_use(fake: FakeFabric, api: Api) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    body = {"displayName": "Retail", "definition": definition(TMDL)}
    again = api("POST", f"/v1/workspaces/{WS}/semanticModels", body)
    assert again.status_code == 400
    assert again.json()["errorCode"] == again.headers["x-ms-public-api-error-code"] == "ItemDisplayNameAlreadyInUse"
    assert set(again.json()) == {"requestId", "errorCode", "message"}
    report = api("POST", f"/v1/workspaces/{WS}/reports",  # names are unique per item type
                 {"displayName": "Retail", "definition": definition(report_files(by_connection(model.id)))})
    assert api.wait(report).json()["status"] == "Succeeded"
    fake.reserve_name(WS, "SemanticModel", "Old")
    reserved = api("POST", f"/v1/workspaces/{WS}/semanticModels", {**body, "displayName": "Old"})
    assert reserved.json()["errorCode"] == "ItemDisplayNameNotAvailableYet"


def test_lists_are_paged_with_a_continuation_token(fake: FakeFabric, api: Api) -> None:
    fake.page_size = 2
    names = {fake.seed(WS, "SemanticModel", f"m{i}", TMDL).display_name for i in range(5)}
    fake.seed(WS, "Report", "r", {})
    seen, page, pages = [], api("GET", f"/v1/workspaces/{WS}/semanticModels").json(), 1
    while True:
        seen += [item["displayName"] for item in page["value"]]
        if not page.get("continuationToken"):
            break
        assert page["continuationUri"].endswith(f"continuationToken={page['continuationToken']}")
        by_token = api("GET", f"/v1/workspaces/{WS}/semanticModels",
                       params={"continuationToken": page["continuationToken"]}).json()
        page, pages = api("GET", page["continuationUri"]).json(), pages + 1
        assert by_token == page
    assert pages == 3 and sorted(seen) == sorted(names)


def test_definitions_are_checked_as_the_service_checks_them(fake: FakeFabric, api: Api) -> None:
    def create(body: dict[str, Any]) -> requests.Response:
        return api("POST", f"/v1/workspaces/{WS}/semanticModels", {"displayName": "M", **body})

    leading_slash = definition({f"/{p}": v for p, v in TMDL.items()})  # Analysis-Services#259
    missing = create({"definition": leading_slash})
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "MissingDefinitionParts")
    assert "Neither 'model.bim' nor anything with 'definition/*.tmdl' were found." in missing.json()["message"]
    assert create({"definition": definition({"definition/model.tmdl": "m"})}).json()["errorCode"] == (
        "MissingDefinitionParts")
    corrupted = {"parts": [{"path": "definition.pbism", "payload": "***", "payloadType": "InlineBase64"}]}
    assert create({"definition": corrupted}).json()["errorCode"] == "CorruptedPayload"
    surface = {"parts": [{"path": "definition.pbism", "payload": "e30=", "payloadType": "SurfaceFormat"}]}
    assert create({"definition": surface}).json()["errorCode"] == "InvalidInput"
    assert create({}).json()["errorCode"] == "InvalidInput"  # a semantic model requires a definition
    assert create({"definition": definition(TMDL), "description": "x" * 257}).json()["errorCode"] == "InvalidInput"
    assert fake.items() == [] and fake.changes == []


@pytest.mark.parametrize("reference, schema, error", [
    ({"byPath": {"path": "../Retail.SemanticModel"}}, PBIR_V2, "byPath"),
    ({"byPath": None, "byConnection": None}, PBIR_V1, "Either byPath or byConnection must be populated"),
    ("model", PBIR_V2, "the schema does not allow additional properties"),  # 1.0.0's object, 2.0.0's schema
])
def test_a_report_must_reference_its_model_by_connection(fake: FakeFabric, api: Api, reference: Any, schema: str,
                                                         error: str) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    reference = by_connection(model.id) if reference == "model" else reference
    body = {"displayName": "Retail", "definition": definition(report_files(reference, schema))}
    failed = api.wait(api("POST", f"/v1/workspaces/{WS}/reports", body)).json()  # async: a failed operation
    assert failed["status"] == "Failed" and failed["error"]["errorCode"] == "Workload_FailedToParseFile"
    assert error in failed["error"]["message"]
    fake.failure_mode = "sync"
    refused = api("POST", f"/v1/workspaces/{WS}/reports", body)
    assert refused.status_code == 400 and refused.json()["errorCode"] == "Workload_FailedToParseFile"
    assert fake.items("Report") == []


def test_a_report_by_connection_is_accepted_and_may_use_either_schema(fake: FakeFabric, api: Api) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    fake.poll_count = 0
    v1 = api("POST", f"/v1/workspaces/{WS}/reports",
             {"displayName": "A", "definition": definition(report_files(by_connection(model.id)))})
    v2 = api("POST", f"/v1/workspaces/{WS}/reports", {"displayName": "B", "definition": definition(report_files(
        {"byConnection": {"connectionString": f"Data Source=x;semanticmodelid={model.id}"}}, PBIR_V2))})
    assert (v1.status_code, v2.status_code) == (201, 201)
    assert fake.item("Report", "A").json("definition.pbir")["datasetReference"] == by_connection(model.id)
    no_pages = api("POST", f"/v1/workspaces/{WS}/reports",
                   {"displayName": "C", "definition": definition(report_files(by_connection(model.id), pages=False))})
    assert no_pages.json()["errorCode"] == "Report_Import_FailedToImportReport"  # terraform-provider-fabric#617


def test_strict_references_need_the_model_in_the_workspace(fake: FakeFabric, api: Api) -> None:
    fake.strict_references, fake.failure_mode = True, "sync"
    missing = "00000000-0000-0000-0000-000000000000"
    body = {"displayName": "R", "definition": definition(report_files(by_connection(missing)))}
    assert api("POST", f"/v1/workspaces/{WS}/reports", body).json()["errorCode"] == "Workload_FailedToParseFile"


def test_get_definition_returns_the_stored_parts(fake: FakeFabric, api: Api) -> None:
    model = fake.seed(WS, "SemanticModel", "Retail", TMDL)
    answer = api("POST", f"/v1/workspaces/{WS}/semanticModels/{model.id}/getDefinition")
    api.wait(answer)
    parts = api("GET", f"/v1/operations/{answer.headers['x-ms-operation-id']}/result").json()["definition"]["parts"]
    assert {p["path"]: base64.b64decode(p["payload"]).decode() for p in parts} == TMDL


def test_requests_need_a_fabric_token(fake: FakeFabric, api: Api) -> None:
    assert api("GET", f"/v1/workspaces/{WS}/reports", headers={}).status_code == 401
    synapse = {"Authorization": f"Bearer {token_for('https://dev.azuresynapse.net/.default')}"}
    answer = api("GET", f"/v1/workspaces/{WS}/reports", headers=synapse)
    assert answer.status_code == 401 and answer.json()["errorCode"] == "Unauthorized"
    assert fake.credential.scopes[-1] == (SCOPE,)


def test_unknown_items_workspaces_and_operations_are_404(tmp_path: Path) -> None:
    with FakeFabric(tmp_path, workspaces=[WS]) as fake:
        api = Api(fake)
        assert api("GET", f"/v1/workspaces/{WS}/semanticModels/nope").json()["errorCode"] == "ItemNotFound"
        other = api("GET", "/v1/workspaces/33333333-3333-3333-3333-333333333333/semanticModels")
        assert other.status_code == 404 and other.json()["errorCode"] == "WorkspaceNotFound"
        assert api("GET", "/v1/operations/nope").status_code == 404


def test_injected_throttling_answers_429_with_retry_after_then_serves(fake: FakeFabric, api: Api) -> None:
    fake.inject(429, count=1, retry_after=7, methods=("POST",), path_prefix=f"/v1/workspaces/{WS}/semanticModels")
    body = {"displayName": "Retail", "definition": definition(TMDL)}
    throttled = api("POST", f"/v1/workspaces/{WS}/semanticModels", body)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json()["errorCode"] == "RequestBlocked" and fake.items() == []
    assert api("POST", f"/v1/workspaces/{WS}/semanticModels", body).status_code == 202
    assert [r.status for r in fake.requests] == [429, 202]
    assert fake.calls("POST") == [("POST", f"/v1/workspaces/{WS}/semanticModels")] * 2
