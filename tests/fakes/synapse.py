"""A local HTTPS fake of the Synapse workspace data plane (artifacts), driven by the real `ArtifactsClient`.

It follows the REST contract in Azure/azure-rest-api-specs,
`specification/synapse/data-plane/Microsoft.Synapse/stable/2020-12-01/` (`artifacts.json`, `datasets.json`,
`dataflows.json`, `credential.json` and their `examples/`), and what public deployers observed of the service
where the contract is silent:

- `PUT /{collection}/{name}` answers 202 Accepted with an absolute `Location` to
  `/operationResults/{id}?api-version=2020-12-01` and a body `{"operationId": ...}` (the shape
  Azure/Synapse-workspace-deployment relies on). Polling that URL answers 202 `{"status": "InProgress"}`
  `poll_count` times, then 200 with the resource `{id, name, type, etag, properties}`
  (examples `*_Create.json`). With `poll_count=0` the PUT answers 200 with the resource at once (the contract
  allows both). `azure-core`'s `LROBasePolling` picks its `LocationPolling` for this: 202 means "in progress",
  anything else 2xx means done and the last body is the result; a `Retry-After` on a 202 overrides the caller's
  `polling_interval`, so the fake sends none unless `lro_retry_after` is set.
- `DELETE /{collection}/{name}`: 202 + `Location` as above, the operation ends in 200 with no body; 204 when the
  artifact does not exist (`*_Delete.json` lists 200, 202 and 204).
- `GET /{collection}/{name}`: 200 (304 on a matching `If-None-Match`) or 404; `GET /{collection}`: `{"value": [...],
  "nextLink": ...}` in pages of `page_size`; the `nextLink` is absolute and carries `api-version`, because the SDK's
  pager requests it as it is. `SecureString` values come back masked as `**********` (the `SecureString`
  definition in `artifacts.json`; `LinkedServices_Get.json`); `state` keeps what was sent.
- Triggers: `POST /triggers/{name}/start|stop` answer 200 with no body, the only response the contract lists (the SDK
  raises on anything else); `runtimeState` (read-only in the contract) is `Stopped` on creation and follows
  start/stop. `POST .../getEventSubscriptionStatus`, `.../subscribeToEvents`, `.../unsubscribeFromEvents` answer
  200 `{"triggerName", "status"}` (`Triggers_GetEventSubscriptionStatus.json`).
- Errors use the contract's `CloudError` body `{"error": {"code", "message", "target"?}}`:
  `BadRequest` (a PUT without `properties`, without a property the contract marks required, e.g. a linked
  service's `type` or a dataset's `linkedServiceName`, or without the body `name` the notebook and SQL script
  resource definitions require, or with a name outside the contract's pattern; the service's own wording is not
  public), `TriggerEnabledCannotUpdate` (PUT on a started trigger; code and message as the service reports them, see
  Azure/Synapse-workspace-deployment#46), `TriggerEnabledCannotDelete` (DELETE of a started trigger; no public
  record of the real code, named by analogy), `DeleteDataFactoryResourceOrchestrationError` with "The document
  cannot be deleted since it is referenced by X." (DELETE of a referenced artifact; as reported in
  Azure/Synapse-workspace-deployment#56), `NotFound`, `PreconditionFailed` (If-Match),
  `MissingApiVersionParameter` / `InvalidApiVersionParameter` (ARM's codes; the Synapse data plane documents
  none), `Unauthorized`, and for injected faults `TooManyRequests`, `InternalServerError`, `ServiceUnavailable`.
  With `failure_mode="sync"` (default) a rejected PUT/DELETE answers 400 at once, which the SDK raises as
  `HttpResponseError` with the code in its message. With `failure_mode="async"` it answers 202 like any other and
  the operation ends in 200 `{"status": "Failed", "error": {...}}`, which is what Synapse-workspace-deployment
  observed from the real service; `LocationPolling` then reports success with an empty resource, so a deployer
  that must not miss such failures has to check the result (`name`/`properties`) or poll the raw operation itself.
- References: any `{"referenceName": "<name>", "type": "<X>Reference"}` inside an artifact's properties, for the
  collections the fake holds (linked service, dataset, pipeline, trigger, notebook, spark job definition, data flow,
  credential): a dataset's linked service, a Key Vault secret's `store`, a pipeline's datasets, notebooks, spark job
  definitions, data flows and child pipelines, a trigger's pipelines. A DELETE of a referenced artifact fails; a
  PUT whose references do not exist is accepted unless `strict_references` is set (the contract does not say the
  service checks them; with it set the PUT fails with `BadRequest` "...invalid reference 'X'.", ADF's wording).
- Every request needs `api-version` (only 2020-12-01 by default) and `Authorization: Bearer <token>` where the token
  is the one `FakeCredential` issues for `https://dev.azuresynapse.net/.default`; 400 / 401 otherwise.

Usage in a test::

    from tests.fakes.synapse import FakeSynapse

    def test_apply(tmp_path):
        with FakeSynapse(tmp_path, poll_count=1) as fake:       # sets REQUESTS_CA_BUNDLE until the block ends
            client = fake.client(polling_interval=0.1)           # ArtifactsClient(fake.credential, fake.endpoint)
            ...                                                   # or hand fake.endpoint / fake.credential to code
            assert fake.writes() == 3
            assert ("PUT", "/pipelines/pl_daily") in fake.calls()

and from `bench/` (no pytest; the folder defaults to a temporary one)::

    with FakeSynapse(latency_s=0.2) as fake:
        deploy(endpoint=fake.endpoint, credential=fake.credential, ...)
        print(fake.writes(), len(fake.requests))

While the block runs `REQUESTS_CA_BUNDLE` points at the fake's self-signed certificate, so other HTTPS calls made
through `requests` in the same process fail verification; the previous value is restored on exit.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, unquote

from azure.core.credentials import AccessToken

from tests.fakes.https import FakeHttpsServer, FakeService, Fault, Request, Response, header, methods_of

SCOPE = "https://dev.azuresynapse.net/.default"
API_VERSION = "2020-12-01"
MASK = "**********"


@dataclass(frozen=True)
class Collection:
    """One artifact collection: its URL segment (as the SDK writes it), resource type and reference type."""

    path: str
    resource_type: str
    reference_type: str | None
    label: str
    folder: str  # the Synapse Git folder of the same artifacts
    required: tuple[str, ...] = ()  # properties the contract marks required
    name_required: bool = False  # the contract's resource definition requires `name` in the body


# Resource types as the contract's examples write them (`Notebooks` is capitalised in `Notebooks_Get.json`).
COLLECTIONS: dict[str, Collection] = {c.path: c for c in (
    Collection("linkedservices", "Microsoft.Synapse/workspaces/linkedservices", "LinkedServiceReference",
               "linked service", "linkedService", ("type",)),
    Collection("datasets", "Microsoft.Synapse/workspaces/datasets", "DatasetReference", "dataset", "dataset",
               ("type", "linkedServiceName")),
    Collection("pipelines", "Microsoft.Synapse/workspaces/pipelines", "PipelineReference", "pipeline", "pipeline"),
    Collection("triggers", "Microsoft.Synapse/workspaces/triggers", "TriggerReference", "trigger", "trigger",
               ("type",)),
    Collection("notebooks", "Microsoft.Synapse/workspaces/Notebooks", "NotebookReference", "notebook", "notebook",
               ("metadata", "nbformat", "nbformat_minor", "cells"), name_required=True),
    Collection("sparkJobDefinitions", "Microsoft.Synapse/workspaces/sparkjobdefinitions",
               "SparkJobDefinitionReference", "spark job definition", "sparkJobDefinition",
               ("targetBigDataPool", "jobProperties")),
    Collection("sqlScripts", "Microsoft.Synapse/workspaces/sqlscripts", None, "SQL script", "sqlscript",
               ("content",), name_required=True),
    Collection("dataflows", "Microsoft.Synapse/workspaces/dataflows", "DataFlowReference", "data flow", "dataflow",
               ("type",)),
    Collection("credentials", "Microsoft.Synapse/workspaces/credentials", "CredentialReference", "credential",
               "credential", ("type",)),
)}
_BY_LOWER = {name.lower(): name for name in COLLECTIONS}
_BY_REFERENCE = {c.reference_type: c.path for c in COLLECTIONS.values() if c.reference_type}

# Name patterns from the contract's path parameters (`datasetName` etc.; `credentialName` in credential.json).
_NAME = re.compile(r"^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$")
_CREDENTIAL_NAME = re.compile(r"^([_A-Za-z0-9]|([_A-Za-z0-9][-_A-Za-z0-9]{0,125}[_A-Za-z0-9]))$")

_FAULT_CODES = {408: "RequestTimeout", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
                503: "ServiceUnavailable", 504: "GatewayTimeout"}


def token_for(*scopes: str) -> str:
    return "fake-synapse-token:" + " ".join(scopes)


class FakeCredential:
    """A `TokenCredential` for tests: any scope gets a token, the fake accepts only the Synapse one."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(token_for(*scopes), int(time.time()) + 3600)


class LoggedRequest(NamedTuple):
    method: str
    path: str
    time: float  # time.monotonic() when the request arrived
    status: int | None  # None when the fake dropped the connection
    query: dict[str, list[str]]


class Change(NamedTuple):
    """A state change: `action` is `put`, `delete`, `start` or `stop`."""

    action: str
    collection: str
    name: str
    time: float


@dataclass
class _Operation:
    polls_left: int
    final: Response


class _DropConnection(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside the handler: the server then closes the socket without answering."""


class _Server(FakeHttpsServer):
    """`FakeHttpsServer` that closes the connection, silently, when the handler raises `_DropConnection`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        server = self._server
        report = server.handle_error

        def handle_error(request: object, client_address: object) -> None:
            if not isinstance(sys.exc_info()[1], _DropConnection):
                report(request, client_address)

        server.handle_error = handle_error  # socketserver then shuts the socket down without a response


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           target: str | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if target:
        body["target"] = target
    return Response(status, {"error": body}, headers or {})


def _masked(value: Any) -> Any:
    """A copy with every SecureString value replaced by asterisks, as the service answers GET and list."""
    if isinstance(value, dict):
        if value.get("type") == "SecureString" and "value" in value:
            return {**{k: _masked(v) for k, v in value.items()}, "value": MASK}
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def references(properties: Any) -> Iterator[tuple[str, str]]:
    """(collection, name) of every artifact reference (`{"referenceName": ..., "type": "...Reference"}`) inside."""
    if isinstance(properties, dict):
        name, kind = properties.get("referenceName"), properties.get("type")
        if isinstance(name, str) and kind in _BY_REFERENCE:
            yield _BY_REFERENCE[kind], name
        for value in properties.values():
            yield from references(value)
    elif isinstance(properties, list):
        for value in properties:
            yield from references(value)


class FakeSynapse(FakeService):
    """The Synapse data plane for one workspace, on https://127.0.0.1:<port>. See the module docstring.

    Attributes tests may set at any time: `latency_s` (sleep per request, outside the lock, so parallel requests
    overlap), `poll_count` (202 answers of an operation before it ends), `page_size`, `failure_mode`,
    `lro_retry_after`, `strict_references` (reject a PUT whose references do not exist; off by default because the
    contract does not say the service checks them).
    Attributes tests read: `state` (collection -> name -> resource as stored, secrets unmasked), `requests`
    (`LoggedRequest`s in order of completion), `changes` (`Change`s in order), `credential`, `endpoint`.
    """

    def __init__(self, folder: Path | None = None, *, poll_count: int = 1, page_size: int = 50,
                 latency_s: float = 0.0, failure_mode: Literal["sync", "async"] = "sync",
                 lro_retry_after: float | None = None, strict_references: bool = False,
                 workspace: str = "retail-fake", api_versions: Iterable[str] = (API_VERSION,)) -> None:
        self.poll_count, self.page_size, self.latency_s = poll_count, page_size, latency_s
        self.failure_mode, self.lro_retry_after = failure_mode, lro_retry_after
        self.strict_references, self.workspace = strict_references, workspace
        self.api_versions = tuple(api_versions)
        self.credential = FakeCredential()
        self.state: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
        self.requests: list[LoggedRequest] = []
        self.changes: list[Change] = []
        self._subscribed: set[str] = set()
        self._operations: dict[str, _Operation] = {}
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._start_server(self._handle, folder, "fake-synapse-", _Server)

    def client(self, **kwargs: Any) -> Any:
        """A real `ArtifactsClient` on this fake; keyword arguments go to it (e.g. `polling_interval=0.1`)."""
        from azure.synapse.artifacts import ArtifactsClient

        return ArtifactsClient(self.credential, self.endpoint, **kwargs)

    def auth_headers(self) -> dict[str, str]:
        """Headers for raw REST calls (e.g. credentials, which have no SDK operation)."""
        return {"Authorization": f"Bearer {self.credential.get_token(SCOPE).token}"}

    # -- test controls ---------------------------------------------------------------------------------------------
    def inject(self, status: int = 429, count: int = 1, retry_after: float | None = 1,
               methods: Iterable[str] | None = ("PUT",), path_prefix: str | None = None) -> None:
        """Answer the next `count` matching requests with `status` (and `Retry-After` unless None), unprocessed."""
        with self._lock:
            self._faults.append(Fault(status, count, retry_after, methods_of(methods), path_prefix))

    def drop_connections(self, count: int = 1, methods: Iterable[str] | None = ("PUT",),
                         path_prefix: str | None = None, after: bool = False) -> None:
        """Close the connection of the next `count` matching requests without a response. With `after=True` the
        request is applied first, as when a response is lost on the way back."""
        with self._lock:
            self._faults.append(Fault(None, count, None, methods_of(methods), path_prefix, after))

    def writes(self) -> int:
        """State-changing requests applied: PUTs (each one stores a new etag), DELETEs of existing artifacts,
        and trigger start/stop that changed `runtimeState`."""
        with self._lock:
            return len(self.changes)

    def seed(self, collection: str, name: str, properties: dict[str, Any], runtime_state: str = "Stopped") -> None:
        """Put an artifact in place without a request (not counted by `writes()`)."""
        with self._lock:
            self._store(COLLECTIONS[collection], name, copy.deepcopy(properties), runtime_state)

    def seed_workspace(self, root: Path) -> None:
        """Seed every artifact of a Synapse Git root folder (`linkedService/*.json`, `pipeline/*.json`, ...)."""
        for collection in COLLECTIONS.values():
            for file in sorted((root / collection.folder).glob("*.json")):
                document = json.loads(file.read_text(encoding="utf-8"))
                self.seed(collection.path, document.get("name", file.stem), document["properties"],
                          document["properties"].get("runtimeState", "Stopped"))

    # -- the service -----------------------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        arrived = time.monotonic()
        if self.latency_s:
            time.sleep(self.latency_s)
        path = unquote(request.path)
        status: int | None = None
        try:
            with self._lock:
                fault = next((f for f in self._faults if f.matches(request.method, path)), None)
                if fault is not None:
                    fault.count -= 1
                if fault is not None and fault.status is None and not fault.after:
                    raise _DropConnection
                if fault is not None and fault.status is not None:
                    headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
                    response = _error(fault.status, _FAULT_CODES.get(fault.status, "Error"),
                                      f"Injected fault {fault.status}.", headers)
                else:
                    response = self._serve(request, path)
                if fault is not None and fault.after:
                    raise _DropConnection
            status = response.status
            response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
            return response
        finally:
            with self._lock:
                self.requests.append(LoggedRequest(request.method, path, arrived, status, request.query))

    def _serve(self, request: Request, path: str) -> Response:
        versions = request.query.get("api-version")
        if not versions or not versions[0]:
            return _error(400, "MissingApiVersionParameter",
                          "The api-version query parameter (?api-version=) is required for all requests.")
        if versions[0] not in self.api_versions:
            return _error(400, "InvalidApiVersionParameter",
                          f"The api-version '{versions[0]}' is invalid. The supported versions are "
                          f"'{', '.join(self.api_versions)}'.")
        if header(request, "Authorization") != f"Bearer {token_for(SCOPE)}":
            return _error(401, "Unauthorized", f"A bearer token for {SCOPE} is required.")
        parts = [p for p in path.split("/") if p]
        method = request.method
        if len(parts) == 2 and parts[0].lower() == "operationresults" and method == "GET":
            return self._operation_status(parts[1])
        if len(parts) == 1 and parts[0].lower() == "notebookssummary" and method == "GET":
            return self._list(COLLECTIONS["notebooks"], request)
        collection = COLLECTIONS.get(_BY_LOWER.get(parts[0].lower(), "")) if parts else None
        if collection is None:
            return _error(404, "NotFound", f"No such resource: {path}")
        if len(parts) == 1:
            return self._list(collection, request) if method == "GET" else _not_allowed(method, path)
        name = parts[1]
        if len(parts) == 2:
            if method == "GET":
                return self._get(collection, name, request)
            if method == "PUT":
                return self._put(collection, name, request)
            if method == "DELETE":
                return self._delete(collection, name)
            return _not_allowed(method, path)
        if len(parts) == 3 and collection.path == "triggers" and method == "POST":
            return self._trigger_action(name, parts[2])
        return _error(404, "NotFound", f"No such resource: {path}")

    # -- artifacts -------------------------------------------------------------------------------------------------
    def _resource(self, collection: Collection, name: str) -> dict[str, Any]:
        return _masked(self.state[collection.path][name])

    def _id(self, collection: Collection, name: str) -> str:
        return (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-{self.workspace}/providers/"
                f"Microsoft.Synapse/workspaces/{self.workspace}/{collection.path.lower()}/{name}")

    def _store(self, collection: Collection, name: str, properties: dict[str, Any], runtime_state: str) -> None:
        if collection.path == "triggers":
            properties["runtimeState"] = runtime_state
        self.state[collection.path][name] = {"id": self._id(collection, name), "name": name,
                                             "type": collection.resource_type, "etag": str(uuid.uuid4()),
                                             "properties": properties}

    def _not_found(self, collection: Collection, name: str) -> Response:
        return _error(404, "NotFound", f"The {collection.label} '{name}' was not found.",
                      target=self._id(collection, name))

    def _get(self, collection: Collection, name: str, request: Request) -> Response:
        stored = self.state[collection.path].get(name)
        if stored is None:
            return self._not_found(collection, name)
        if header(request, "If-None-Match") in ("*", stored["etag"]):
            return Response(304)
        return Response(200, self._resource(collection, name), {"ETag": stored["etag"]})

    def _list(self, collection: Collection, request: Request) -> Response:
        names = sorted(self.state[collection.path])
        token = (request.query.get("continuationToken") or [""])[0]
        if token:
            last = base64.urlsafe_b64decode(token.encode()).decode()
            names = [n for n in names if n > last]
        page = names[:max(1, self.page_size)]
        body: dict[str, Any] = {"value": [self._resource(collection, n) for n in page]}
        if len(names) > len(page):
            next_token = base64.urlsafe_b64encode(page[-1].encode()).decode()
            body["nextLink"] = (f"{self.endpoint}{request.path}?api-version={quote(self.api_versions[0])}"
                                f"&continuationToken={quote(next_token)}")
        return Response(200, body)

    def _put(self, collection: Collection, name: str, request: Request) -> Response:
        pattern = _CREDENTIAL_NAME if collection.path == "credentials" else _NAME
        if not pattern.match(name) or len(name) > 260:
            return _error(400, "BadRequest", f"The {collection.label} name '{name}' is invalid.")
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return _error(400, "BadRequest", "The request body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return _error(400, "BadRequest", f"The {collection.label} definition must have 'properties'.")
        missing = [key for key in collection.required if body["properties"].get(key) is None]
        if collection.name_required and not body.get("name"):
            missing.insert(0, "name (of the resource)")
        if missing:
            return _error(400, "BadRequest", f"The {collection.label} '{name}' misses required properties: "
                                             f"{', '.join(missing)}.", target=self._id(collection, name))
        stored = self.state[collection.path].get(name)
        if_match = header(request, "If-Match")
        if if_match and if_match != "*" and (stored is None or stored["etag"] != if_match):
            return _error(412, "PreconditionFailed", f"The etag '{if_match}' does not match the {collection.label}.")
        state = "Stopped"
        if stored is not None and collection.path == "triggers":
            state = stored["properties"].get("runtimeState", "Stopped")
        if state == "Started":
            return self._reject(_error(400, "TriggerEnabledCannotUpdate",
                                       "Cannot update enabled Trigger; the trigger needs to be disabled first.",
                                       target=self._id(collection, name)))
        if self.strict_references:
            dangling = [n for c, n in references(body["properties"]) if n not in self.state[c]]
            if dangling:
                return self._reject(_error(400, "BadRequest",
                                           "The document creation or update failed because of invalid reference "
                                           f"'{dangling[0]}'.", target=self._id(collection, name)))
        self._store(collection, name, body["properties"], state)
        self.changes.append(Change("put", collection.path, name, time.monotonic()))
        return self._accepted(Response(200, self._resource(collection, name)))

    def _delete(self, collection: Collection, name: str) -> Response:
        stored = self.state[collection.path].get(name)
        if stored is None:
            return Response(204)
        if stored["properties"].get("runtimeState") == "Started" and collection.path == "triggers":
            return self._reject(_error(400, "TriggerEnabledCannotDelete",
                                       "Cannot delete enabled Trigger; the trigger needs to be disabled first.",
                                       target=self._id(collection, name)))
        referrers = sorted(other for path, artifacts in self.state.items() for other, resource in artifacts.items()
                           if (path, other) != (collection.path, name)
                           and (collection.path, name) in set(references(resource["properties"])))
        if referrers:
            return self._reject(_error(400, "DeleteDataFactoryResourceOrchestrationError",
                                       f"The document cannot be deleted since it is referenced by {referrers[0]}.",
                                       target=self._id(collection, name)))
        del self.state[collection.path][name]
        if collection.path == "triggers":
            self._subscribed.discard(name)
        self.changes.append(Change("delete", collection.path, name, time.monotonic()))
        return self._accepted(Response(200))

    def _trigger_action(self, name: str, action: str) -> Response:
        triggers = COLLECTIONS["triggers"]
        stored = self.state["triggers"].get(name)
        if stored is None:
            return self._not_found(triggers, name)
        action = action.lower()
        if action in ("start", "stop"):
            wanted = "Started" if action == "start" else "Stopped"
            if stored["properties"].get("runtimeState") != wanted:
                stored["properties"]["runtimeState"] = wanted
                self.changes.append(Change(action, "triggers", name, time.monotonic()))
            return Response(200)
        if action == "subscribetoevents":
            self._subscribed.add(name)
        elif action == "unsubscribefromevents":
            self._subscribed.discard(name)
        if action in ("subscribetoevents", "unsubscribefromevents", "geteventsubscriptionstatus"):
            return Response(200, {"triggerName": name, "status": "Enabled" if name in self._subscribed else "Disabled"})
        return _error(404, "NotFound", f"No such trigger action: {action}")

    # -- long-running operations -----------------------------------------------------------------------------------
    def _accepted(self, final: Response) -> Response:
        """Start an operation that ends in `final`; with poll_count 0 answer `final` at once."""
        if self.poll_count <= 0:
            return final
        operation_id = str(uuid.uuid4())
        self._operations[operation_id] = _Operation(self.poll_count, final)
        return Response(202, {"operationId": operation_id}, self._lro_headers(operation_id))

    def _reject(self, error: Response) -> Response:
        if self.failure_mode == "sync" or self.poll_count <= 0:
            return error
        return self._accepted(Response(200, {"status": "Failed", **(error.body or {})}))

    def _lro_headers(self, operation_id: str) -> dict[str, str]:
        headers = {"Location": f"{self.endpoint}/operationResults/{operation_id}?api-version={API_VERSION}"}
        if self.lro_retry_after is not None:
            headers["Retry-After"] = _seconds(self.lro_retry_after)
        return headers

    def _operation_status(self, operation_id: str) -> Response:
        operation = self._operations.get(operation_id)
        if operation is None:
            return _error(404, "NotFound", f"The operation '{operation_id}' was not found.")
        if operation.polls_left > 0:
            operation.polls_left -= 1
            return Response(202, {"status": "InProgress"}, self._lro_headers(operation_id))
        return Response(operation.final.status, copy.deepcopy(operation.final.body), dict(operation.final.headers))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _not_allowed(method: str, path: str) -> Response:
    return _error(405, "MethodNotAllowed", f"{method} is not supported on {path}.")
