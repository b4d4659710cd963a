"""A local HTTPS fake of the Fabric REST items API for semantic models and reports (what `retail deploy powerbi`
publishes), on the shared `FakeHttpsServer`.

It follows the published contract (learn.microsoft.com/rest/api/fabric: `semanticmodel/items/*`, `report/items/*`,
`core/long-running-operations/*`, `articles/long-running-operation`, `articles/pagination`, `articles/throttling`,
`articles/item-management/definitions/{semantic-model,report}-definition`) and, where it is silent, what public
clients observed from the service (microsoft/fabric-cicd `_fabric_endpoint.py` and `_items/_report.py`; issues
microsoft/fabric-cicd#388, #436, microsoft/Analysis-Services#259, #286, #327, microsoft/terraform-provider-fabric#247,
#617):

- `GET /v1/workspaces/{ws}/semanticModels|reports`: `{"value": [{id, type, displayName, description, workspaceId}],
  "continuationToken", "continuationUri"}` in pages of `page_size`; the last page has neither (query parameter
  `continuationToken` asks for the next page). `GET .../{id}` answers the item or 404 `ItemNotFound`.
- `POST /v1/workspaces/{ws}/semanticModels|reports` (create, "requires a definition"): body `{displayName,
  description?, definition: {parts: [{path, payload, payloadType: "InlineBase64"}]}}`. Answers 202 Accepted with
  `Location: {endpoint}/v1/operations/{id}`, `x-ms-operation-id` and `Retry-After` (`lro_retry_after`, 20 s like the
  docs' example), no body; with `poll_count=0` it answers 201 Created with the item at once (the contract lists both).
- `POST .../{id}/updateDefinition[?updateMetadata=true]`: 202 as above, or 200 with no body when `poll_count=0`.
  `updateMetadata=true` without a `.platform` part is 400 `InvalidInput` (as reported publicly). Without it a
  `.platform` part is ignored, so the display name never changes through this call.
- `POST .../{id}/getDefinition`: an operation whose result is `{"definition": {"parts": [...]}}`.
- `GET /v1/operations/{id}`: 200 `{status, createdTimeUtc, lastUpdatedTimeUtc, percentComplete}` with `status`
  `Running` `poll_count` times, then `Succeeded` (or `Failed` with `error: {errorCode, message}`). While running the
  answer carries `Location` (itself), `x-ms-operation-id` and `Retry-After`; once succeeded `Location` points to
  `/v1/operations/{id}/result` only when the operation has a result (create, getDefinition; not updateDefinition:
  fabric-cicd's "if location not included in operation success call, no body is expected"). `GET .../result`
  answers the item (create) or the definition (getDefinition).
- Errors are the contract's `ErrorResponse` `{requestId, errorCode, message}` with the code also in the
  `x-ms-public-api-error-code` header (which fabric-cicd branches on):
  - `ItemDisplayNameAlreadyInUse`: **400** (not 409) on a create whose displayName is taken by an item of the same
    type in the workspace (fabric-cicd handles it as 400 + header; the service renamed the "name reserved after a
    delete" case to `ItemDisplayNameNotAvailableYet`, fabric-cicd#388, which `reserve_name` simulates). A report and
    a semantic model may share a name.
  - `MissingDefinitionParts` 400: a semantic model without `definition.pbism`, or with neither `model.bim` nor
    `definition/*.tmdl` ("Neither 'model.bim' nor anything with 'definition/*.tmdl' were found.", verbatim from
    Analysis-Services#259: part paths with a leading `/` end here too); a report without `definition.pbir` or without
    `report.json` / `definition/report.json` (wording by analogy).
  - `InvalidInput` 400 (missing displayName or definition, description over 256 characters, duplicate part paths,
    `payloadType` other than `InlineBase64`); `CorruptedPayload` 400 (a payload that is not base64).
  - `Workload_FailedToParseFile` for a `definition.pbir` the service cannot read: neither reference populated
    ("Either byPath or byConnection must be populated in 'definition.pbir'.", Analysis-Services#327); a `byPath`
    reference (the report-definition article: "Fabric REST API only supports byConnection references"; the
    service's wording is not public); a `byConnection` with properties the declared `$schema` does not allow
    (definitionProperties 2.0.0 allows only a string `connectionString`, fabric-cicd#436). And
    `Report_Import_FailedToImportReport` "Definition contains no pages." for a PBIR report without pages
    (terraform-provider-fabric#617). Public reports show these as a failed long-running operation ("LRO API
    Error"): `failure_mode="async"` (default) answers 202 and the operation ends `Failed`; `failure_mode="sync"`
    answers 400 at once.
  - `Unauthorized` 401 without `Authorization: Bearer <token>` for `https://api.fabric.microsoft.com/.default`
    (the `FakeCredential` of tests.fakes.synapse issues it); `WorkspaceNotFound` / `OperationNotFound` 404 (named by
    analogy); injected faults: 429 `RequestBlocked` (the code the service is seen to use; not in the docs) with
    `Retry-After`, 5xx `InternalServerError` / `ServiceUnavailable` ...
- With `strict_references=True` a report whose `byConnection` names no semantic model of the workspace (by
  `pbiModelDatabaseName` or `semanticmodelid=` in the connection string) fails `Workload_FailedToParseFile`; off
  by default because the contract does not say the service checks it.

An item is stored when the request is accepted (its operation only reports); `state` keeps the decoded parts.

Usage::

    with FakeFabric(tmp_path, poll_count=1) as fake:    # sets REQUESTS_CA_BUNDLE until the block ends
        publish(endpoint=fake.endpoint, credential=fake.credential, ...)
        model = fake.item("SemanticModel", "Retail")
        assert 'SqlEndpoint = "synw-retail-test' in model.text("definition/expressions.tmdl")
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, unquote

from tests.fakes.https import FakeService, Fault, Request, Response, header, methods_of
from tests.fakes.synapse import FakeCredential, token_for

SCOPE = "https://api.fabric.microsoft.com/.default"
COLLECTIONS = {"semanticmodels": "SemanticModel", "reports": "Report"}  # URL segment (lower case) -> item type
PBIR_V2 = "definitionProperties/2.0.0/"
_FAULT_CODES = {408: "RequestTimeout", 429: "RequestBlocked", 500: "InternalServerError", 502: "BadGateway",
                503: "ServiceUnavailable", 504: "GatewayTimeout"}
_MODEL_ID_IN_CONNECTION = re.compile(r"semanticmodelid\s*=\s*([0-9a-fA-F-]{36})", re.IGNORECASE)


@dataclass
class FabricItem:
    """One item as the fake holds it: metadata and its definition parts, decoded."""

    id: str
    type: str  # "SemanticModel" or "Report"
    display_name: str
    description: str
    workspace_id: str
    parts: dict[str, bytes] = field(default_factory=dict)
    definitions: int = 1  # definitions stored: 1 by the create, one more per updateDefinition

    def text(self, path: str) -> str:
        return self.parts[path].decode("utf-8-sig")

    def json(self, path: str) -> Any:
        return json.loads(self.text(path))

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "displayName": self.display_name, "description": self.description,
                "workspaceId": self.workspace_id}


class LoggedRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    time: float  # time.monotonic() when it arrived
    body: Any  # the JSON body, if any


class Change(NamedTuple):
    action: str  # "create" or "updateDefinition"
    type: str
    display_name: str
    id: str


@dataclass
class _Operation:
    polls_left: int
    error: dict[str, str] | None  # ends Failed with this, or Succeeded
    result: Any  # the /result body; None when the operation has none
    created: str


class DefinitionError(Exception):
    """A definition the service refuses: `code`, `message`, and whether it is found during the operation."""

    def __init__(self, code: str, message: str, *, workload: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.workload = code, message, workload


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4())
    return Response(status, {"requestId": request_id, "errorCode": code, "message": message},
                    {"x-ms-public-api-error-code": code, "requestId": request_id, **(headers or {})})


class FakeFabric(FakeService):
    """The Fabric items API for semantic models and reports on https://127.0.0.1:<port>. See the module docstring.

    Attributes tests may set at any time: `poll_count` (`Running` answers before an operation ends), `page_size`,
    `latency_s` (sleep per request, outside the lock), `lro_retry_after`, `failure_mode`, `strict_references`.
    Attributes tests read: `state` (workspace id -> item id -> `FabricItem`), `requests` (`LoggedRequest`s),
    `changes` (`Change`s), `credential`, `endpoint`, `certificate`.
    """

    def __init__(self, folder: Path | None = None, *, workspaces: Iterable[str] | None = None, poll_count: int = 1,
                 page_size: int = 100, latency_s: float = 0.0, lro_retry_after: float = 20,
                 failure_mode: Literal["sync", "async"] = "async", strict_references: bool = False) -> None:
        self.poll_count, self.page_size, self.latency_s = poll_count, page_size, latency_s
        self.lro_retry_after, self.failure_mode = lro_retry_after, failure_mode
        self.strict_references = strict_references
        self.workspaces = None if workspaces is None else set(workspaces)  # None: any workspace id exists
        self.credential = FakeCredential()
        self.state: dict[str, dict[str, FabricItem]] = {}
        self.requests: list[LoggedRequest] = []
        self.changes: list[Change] = []
        self._reserved: set[tuple[str, str, str]] = set()
        self._operations: dict[str, _Operation] = {}
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._start_server(self._handle, folder, "fake-fabric-")

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential.get_token(SCOPE).token}"}

    # -- test controls ---------------------------------------------------------------------------------------------
    def inject(self, status: int = 429, count: int = 1, retry_after: float | None = 1,
               methods: Iterable[str] | None = ("POST",), path_prefix: str | None = None) -> None:
        """Answer the next `count` matching requests with `status` (and `Retry-After` unless None), unprocessed."""
        with self._lock:
            self._faults.append(Fault(status, count, retry_after, methods_of(methods), path_prefix))

    def reserve_name(self, workspace: str, item_type: str, display_name: str) -> None:
        """A name the service holds back (recently deleted item): creates fail `ItemDisplayNameNotAvailableYet`."""
        with self._lock:
            self._reserved.add((workspace, item_type, display_name))

    def seed(self, workspace: str, item_type: str, display_name: str, parts: dict[str, bytes | str] | None = None,
             description: str = "") -> FabricItem:
        """Put an item in place without a request (not in `changes`)."""
        with self._lock:
            item = FabricItem(str(uuid.uuid4()), item_type, display_name, description, workspace,
                              {p: v.encode() if isinstance(v, str) else v for p, v in (parts or {}).items()})
            self.state.setdefault(workspace, {})[item.id] = item
            return item

    def items(self, item_type: str | None = None, workspace: str | None = None) -> list[FabricItem]:
        with self._lock:
            return [item for ws, items in self.state.items() if workspace in (None, ws)
                    for item in items.values() if item_type in (None, item.type)]

    def item(self, item_type: str, display_name: str, workspace: str | None = None) -> FabricItem:
        """The one item of that type and name (AssertionError when there is none or more than one)."""
        found = [i for i in self.items(item_type, workspace) if i.display_name == display_name]
        assert len(found) == 1, f"{len(found)} {item_type} items named {display_name!r}"
        return found[0]

    # -- the service -----------------------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        arrived = time.monotonic()
        if self.latency_s:
            time.sleep(self.latency_s)
        path = unquote(request.path)
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = request.body
        with self._lock:
            fault = next((f for f in self._faults if f.matches(request.method, path)), None)
            if fault is not None:
                fault.count -= 1
                headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
                response = _error(fault.status, _FAULT_CODES.get(fault.status, "UnknownError"),
                                  f"Injected fault {fault.status}.", headers)
            else:
                response = self._serve(request, path, body)
            self.requests.append(LoggedRequest(request.method, path, request.query, response.status, arrived, body))
        return response

    def _serve(self, request: Request, path: str, body: Any) -> Response:
        if header(request, "Authorization") != f"Bearer {token_for(SCOPE)}":
            return _error(401, "Unauthorized", f"A bearer token for {SCOPE} is required.")
        parts = [p for p in path.split("/") if p]
        method = request.method
        if len(parts) < 2 or parts[0] != "v1":
            return _error(404, "EntityNotFound", f"No such API: {path}")
        if parts[1] == "operations" and method == "GET" and len(parts) in (3, 4):
            if len(parts) == 4 and parts[3] != "result":
                return _error(404, "EntityNotFound", f"No such API: {path}")
            return self._operation(parts[2], result=len(parts) == 4)
        if parts[1] != "workspaces" or len(parts) < 4 or parts[3].lower() not in COLLECTIONS:
            return _error(404, "EntityNotFound", f"No such API: {path}")
        workspace, item_type = parts[2], COLLECTIONS[parts[3].lower()]
        if self.workspaces is not None and workspace not in self.workspaces:
            return _error(404, "WorkspaceNotFound", f"The workspace '{workspace}' was not found.")
        items = self.state.setdefault(workspace, {})
        if len(parts) == 4:
            if method == "GET":
                return self._list(workspace, item_type, request, path)
            if method == "POST":
                return self._create(workspace, item_type, body)
            return _error(405, "MethodNotAllowed", f"{method} is not supported on {path}.")
        item = items.get(parts[4])
        if item is None or item.type != item_type:
            return _error(404, "ItemNotFound", f"The requested item '{parts[4]}' was not found.")
        if len(parts) == 5 and method == "GET":
            return Response(200, item.resource())
        if len(parts) == 5 and method == "DELETE":
            del items[item.id]
            return Response(200)
        if len(parts) == 6 and method == "POST" and parts[5] == "updateDefinition":
            metadata = (request.query.get("updateMetadata") or ["false"])[0].lower() == "true"
            return self._update_definition(item, body, metadata)
        if len(parts) == 6 and method == "POST" and parts[5] == "getDefinition":
            definition = {"parts": [{"path": p, "payload": base64.b64encode(v).decode(), "payloadType": "InlineBase64"}
                                    for p, v in sorted(item.parts.items())]}
            return self._accepted({"definition": definition}, status_now=200)
        return _error(404, "EntityNotFound", f"No such API: {path}")

    def _list(self, workspace: str, item_type: str, request: Request, path: str) -> Response:
        items = sorted((i for i in self.state[workspace].values() if i.type == item_type), key=lambda i: i.id)
        token = (request.query.get("continuationToken") or [""])[0]
        if token:
            last = base64.urlsafe_b64decode(token.encode()).decode()
            items = [i for i in items if i.id > last]
        page = items[:max(1, self.page_size)]
        answer: dict[str, Any] = {"value": [i.resource() for i in page]}
        if len(items) > len(page):
            token = base64.urlsafe_b64encode(page[-1].id.encode()).decode()
            answer["continuationToken"] = token
            answer["continuationUri"] = f"{self.endpoint}{path}?continuationToken={quote(token)}"
        return Response(200, answer)

    def _create(self, workspace: str, item_type: str, body: Any) -> Response:
        if not isinstance(body, dict):
            return _error(400, "InvalidInput", "The request body must be a JSON object.")
        name, description = body.get("displayName"), body.get("description") or ""
        if not isinstance(name, str) or not name.strip():
            return _error(400, "InvalidInput", "The displayName field is required.")
        if not isinstance(description, str) or len(description) > 256:
            return _error(400, "InvalidInput", "The description must be a string of at most 256 characters.")
        if body.get("definition") is None:
            return _error(400, "InvalidInput", f"Creating a {item_type} requires a definition.")
        parts, failure = self._definition(body["definition"], item_type, workspace)
        if failure is not None and not failure.workload:
            return _error(400, failure.code, failure.message)
        if any(i.display_name == name and i.type == item_type for i in self.state[workspace].values()):
            return _error(400, "ItemDisplayNameAlreadyInUse", f"Requested '{name}' is already in use.")
        if (workspace, item_type, name) in self._reserved:
            return _error(400, "ItemDisplayNameNotAvailableYet", f"Requested '{name}' is not available yet.")
        if failure is not None:  # the content is read while the item is provisioned
            return self._reject(failure)
        parts.pop(".platform", None)
        item = FabricItem(str(uuid.uuid4()), item_type, name, description, workspace, parts)
        self.state[workspace][item.id] = item
        self.changes.append(Change("create", item_type, name, item.id))
        return self._accepted(item.resource(), status_now=201)

    def _update_definition(self, item: FabricItem, body: Any, metadata: bool) -> Response:
        if not isinstance(body, dict) or body.get("definition") is None:
            return _error(400, "InvalidInput", "The definition field is required.")
        parts, failure = self._definition(body["definition"], item.type, item.workspace_id)
        if failure is not None and not failure.workload:
            return _error(400, failure.code, failure.message)
        if failure is not None:  # read while the operation runs
            return self._reject(failure)
        platform = parts.pop(".platform", None)
        if metadata and platform is None:
            return _error(400, "InvalidInput", "UpdateMetadata is true but .platform file was not provided")
        if metadata and platform is not None:
            try:
                meta = json.loads(platform).get("metadata") or {}
            except ValueError:
                failure = DefinitionError("Workload_FailedToParseFile", "Cannot read '.platform'.", workload=True)
                return self._reject(failure)
            item.display_name = meta.get("displayName") or item.display_name
            item.description = meta.get("description", item.description)
        item.parts, item.definitions = parts, item.definitions + 1
        self.changes.append(Change("updateDefinition", item.type, item.display_name, item.id))
        return self._accepted(None, status_now=200)

    # -- definitions -----------------------------------------------------------------------------------------------
    def _definition(self, definition: Any, item_type: str, workspace: str
                    ) -> tuple[dict[str, bytes], DefinitionError | None]:
        """(parts, None), or what the service refuses: checked at once, or (`workload`) while the operation runs."""
        try:
            return self._parts(definition, item_type, workspace), None
        except DefinitionError as error:
            return {}, error

    def _parts(self, definition: Any, item_type: str, workspace: str) -> dict[str, bytes]:
        """The decoded parts of a definition, checked as the service checks them; raises DefinitionError."""
        if not isinstance(definition, dict) or not isinstance(definition.get("parts"), list):
            raise DefinitionError("InvalidInput", "The definition must have a 'parts' list.")
        parts: dict[str, bytes] = {}
        for part in definition["parts"]:
            if not isinstance(part, dict) or not isinstance(part.get("path"), str) or "payload" not in part:
                raise DefinitionError("InvalidInput", "Each definition part needs 'path', 'payload' and 'payloadType'.")
            if part.get("payloadType") != "InlineBase64":
                raise DefinitionError("InvalidInput", f"Unsupported payloadType '{part.get('payloadType')}'.")
            if part["path"] in parts:
                raise DefinitionError("InvalidInput", f"The part '{part['path']}' appears more than once.")
            try:
                parts[part["path"]] = base64.b64decode(str(part["payload"]), validate=True)
            except (binascii.Error, ValueError):
                raise DefinitionError("CorruptedPayload", "The provided payload is corrupted.") from None
        if item_type == "SemanticModel":
            _check_model(parts)
        else:
            self._check_report(parts, workspace)
        return parts

    def _check_report(self, parts: dict[str, bytes], workspace: str) -> None:
        if "definition.pbir" not in parts:
            raise DefinitionError("MissingDefinitionParts", "'definition.pbir' was not found.")
        pbir_format = "definition/report.json" in parts
        if not pbir_format and "report.json" not in parts:
            raise DefinitionError("MissingDefinitionParts",
                                  "Neither 'report.json' nor 'definition/report.json' were found.")
        model_id = _report_model(parts["definition.pbir"])
        if pbir_format and not any(p.startswith("definition/pages/") and p.endswith("/page.json") for p in parts):
            raise DefinitionError("Report_Import_FailedToImportReport",
                                  "Error while reading ReportDefinition. Definition contains no pages.", workload=True)
        if self.strict_references and not any(i.id == model_id and i.type == "SemanticModel"
                                               for i in self.state.get(workspace, {}).values()):
            raise DefinitionError("Workload_FailedToParseFile", f"The semantic model '{model_id}' the report "
                                  "references was not found in the workspace.", workload=True)

    # -- long-running operations -----------------------------------------------------------------------------------
    def _reject(self, error: DefinitionError) -> Response:
        if error.workload and self.failure_mode == "async" and self.poll_count > 0:
            operation = self._start(None, {"errorCode": error.code, "message": error.message})
            return Response(202, None, self._lro_headers(operation))
        return _error(400, error.code, error.message)

    def _accepted(self, result: Any, *, status_now: int) -> Response:
        if self.poll_count <= 0:
            return Response(status_now, result)
        return Response(202, None, self._lro_headers(self._start(result, None)))

    def _start(self, result: Any, error: dict[str, str] | None) -> str:
        operation_id = str(uuid.uuid4())
        self._operations[operation_id] = _Operation(self.poll_count, error, result, _now())
        return operation_id

    def _lro_headers(self, operation_id: str, suffix: str = "") -> dict[str, str]:
        return {"Location": f"{self.endpoint}/v1/operations/{operation_id}{suffix}", "x-ms-operation-id": operation_id,
                "Retry-After": _seconds(self.lro_retry_after)}

    def _operation(self, operation_id: str, *, result: bool) -> Response:
        operation = self._operations.get(operation_id)
        if operation is None:
            return _error(404, "OperationNotFound", f"The operation '{operation_id}' was not found.")
        if result:
            if operation.polls_left > 0 or operation.error is not None or operation.result is None:
                return _error(400, "OperationHasNoResult", f"The operation '{operation_id}' has no result.")
            return Response(200, operation.result)
        state: dict[str, Any] = {"createdTimeUtc": operation.created, "lastUpdatedTimeUtc": _now()}
        if operation.polls_left > 0:
            operation.polls_left -= 1
            return Response(200, {"status": "Running", **state, "percentComplete": 50},
                            self._lro_headers(operation_id))
        if operation.error is not None:
            return Response(200, {"status": "Failed", **state, "percentComplete": 100, "error": operation.error},
                            {"x-ms-operation-id": operation_id})
        headers = {"x-ms-operation-id": operation_id}
        if operation.result is not None:
            headers["Location"] = f"{self.endpoint}/v1/operations/{operation_id}/result"
        return Response(200, {"status": "Succeeded", **state, "percentComplete": 100}, headers)


def _check_model(parts: dict[str, bytes]) -> None:
    tmdl = any(p.startswith("definition/") and p.endswith(".tmdl") for p in parts)
    if not tmdl and "model.bim" not in parts:  # checked first: Analysis-Services#259 sent '/definition.pbism' too
        raise DefinitionError("MissingDefinitionParts",
                              "Neither 'model.bim' nor anything with 'definition/*.tmdl' were found.")
    if "definition.pbism" not in parts:
        raise DefinitionError("MissingDefinitionParts", "'definition.pbism' was not found.")


def _report_model(pbir: bytes) -> str | None:
    """The semantic model id a `definition.pbir` references by connection; DefinitionError when the service could
    not read it."""

    def fail(reason: str) -> DefinitionError:
        return DefinitionError("Workload_FailedToParseFile", f"Cannot read 'definition.pbir'. {reason}", workload=True)

    try:
        data = json.loads(pbir.decode("utf-8-sig"))
    except ValueError:
        raise fail("The file is not valid JSON.") from None
    reference = data.get("datasetReference") if isinstance(data, dict) else None
    if not isinstance(reference, dict) or not (reference.get("byPath") or reference.get("byConnection")):
        raise fail("Either byPath or byConnection must be populated in 'definition.pbir'.")
    if reference.get("byPath"):
        raise fail("'byPath' references are not supported when publishing through the Fabric REST API; "
                   "use 'byConnection'.")
    connection = reference["byConnection"]
    if not isinstance(connection, dict):
        raise fail("'datasetReference.byConnection' must be an object.")
    if PBIR_V2 in str(data.get("$schema", "")):
        extra = sorted(set(connection) - {"connectionString"})
        if extra:
            raise fail(f"'definition.pbir': Property '{extra[0]}' has not been defined and the schema does not "
                       f"allow additional properties. Path 'datasetReference.byConnection.{extra[0]}'.")
        if not isinstance(connection.get("connectionString"), str):
            raise fail("Invalid type. Expected String but got Null. Path 'datasetReference.byConnection."
                       "connectionString'.")
    match = _MODEL_ID_IN_CONNECTION.search(str(connection.get("connectionString") or ""))
    return connection.get("pbiModelDatabaseName") or (match.group(1) if match else None)
