"""The Power BI project (PBIP) as a release step: the semantic model (TMDL), then the report (PBIR) bound to it,
published to the environment's Power BI / Fabric workspace through the Fabric REST items API.

What is sent. An item's definition is its documented parts (the item-definition articles on learn.microsoft.com:
`definition.pbism` + `definition/**` (+ `model.bim`, `diagramLayout.json`) for a semantic model; `definition.pbir`
+ `definition/**` (+ `report.json`, `StaticResources/**`, `CustomVisuals/**`, ...) for a report), each a path
relative to the item folder with its bytes in base64. `.pbi/` (local settings, `cache.abf`) and `.platform` are
never sent; any other file in the folder is left out (and logged).

Per environment. The model's data source is `Sql.Database(SqlEndpoint, SqlDatabase)` with the two as model
parameters (M expressions `expression SqlEndpoint = "..." meta [IsParameterQuery=true, ...]`). Git holds dev's
values; the step writes the environment's `sql_pool.endpoint` and `sql_pool.database` into the uploaded copy (the
working tree is never written). A parameter that is missing or not a text literal, or a Git value of a parameter
left as a literal anywhere else in the model (a partition written against the dev endpoint directly), fails the
release before any request (`InvalidReleaseError`, exit code 2).

The report. `definition.pbir` references the model `byPath` (`../Retail.SemanticModel`) in Git; the Fabric REST
API only takes `byConnection`. The uploaded copy references the published model by id the way fabric-cicd
rewrites it (`_items/_report.py`): `$schema` definitionProperties 1.0.0 (the 2.0.0 schema allows nothing but a
`connectionString` in `byConnection`: microsoft/fabric-cicd#436), `pbiModelDatabaseName` = the model's id,
`connectionType` `pbiServiceXmlaStyleLive`, `pbiModelVirtualServerName` `sobe_wowvirtualserver`, and a
`connectionString` naming the workspace and model (the PBIP report-folder article lists it as required).

Create or update. An item is found by type and display name (the `.platform` file's `metadata.displayName`, else
the folder name without `.SemanticModel` / `.Report`): none -> `POST /v1/workspaces/{ws}/semanticModels|reports`,
one -> `POST .../{id}/updateDefinition`. A create answered `ItemDisplayNameAlreadyInUse` (a retried create whose
first attempt landed, or a concurrent release) looks the item up again and updates it, so a re-run never makes a
duplicate. Every definition is sent again on each run: the service returns its own normalisation of TMDL from
getDefinition, so comparing first would not say "unchanged" reliably.

Transport. azure-core's pipeline: `BearerTokenCredentialPolicy` for `https://api.fabric.microsoft.com/.default`
and its `RetryPolicy` (6 tries, exponential backoff, `Retry-After` honoured, POST included: updateDefinition is
idempotent and a repeated create ends in the lookup above) on 408/429/5xx and dropped connections. Long-running
operations (202 + `x-ms-operation-id`) are polled at `GET /v1/operations/{id}` every `poll_interval` seconds
(their `Retry-After`, 20-30 s, is not waited for) until `Succeeded` (then `GET .../result` for a create's item) or
`Failed` (raised with the service's errorCode and message) or the deadline.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy
from azure.core.rest import HttpRequest, HttpResponse

from deploy.constants import (
    OPERATION_TIMEOUT_S,
    POLL_INTERVAL_S,
    SDK_RETRY_BACKOFF_FACTOR,
    SDK_RETRY_BACKOFF_MAX,
    SDK_RETRY_TOTAL,
)
from deploy.deployer import InvalidReleaseError
from deploy.endpoint import OperationFailedError, OperationTimeoutError
from retail.paths import PROJECT_ROOT
from retail.settings import Settings

log = logging.getLogger("deploy")

FABRIC_ENDPOINT = "https://api.fabric.microsoft.com"
FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"
XMLA_ROOT = "powerbi://api.powerbi.com/v1.0/myorg"  # the workspace's XMLA address, in a report's connection string
PBIR_SCHEMA = "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json"
SEMANTIC_MODEL_DIR = PROJECT_ROOT / "semantic_model" / "Retail.SemanticModel"
REPORT_DIR = PROJECT_ROOT / "semantic_model" / "Retail.Report"
PARAMETERS = ("SqlEndpoint", "SqlDatabase")  # model parameter -> sql_pool.endpoint, sql_pool.database
_IN_PROGRESS = {"notstarted", "running"}


@dataclass(frozen=True)
class ItemKind:
    type: str  # the Fabric item type
    collection: str  # its REST collection
    suffix: str  # its PBIP folder suffix
    head: str  # the part every definition of it needs
    parts: tuple[str, ...]  # documented parts: file names, or folders ending in "/"


SEMANTIC_MODEL = ItemKind("SemanticModel", "semanticModels", ".SemanticModel", "definition.pbism",
                          ("definition.pbism", "definition/", "model.bim", "diagramLayout.json", "Copilot/"))
REPORT = ItemKind("Report", "reports", ".Report", "definition.pbir",
                  ("definition.pbir", "definition/", "report.json", "StaticResources/", "CustomVisuals/",
                   "semanticModelDiagramLayout.json", "mobileState.json"))


class FabricError(RuntimeError):
    """Fabric answered a request with an error (after the retry policy gave up, for transient ones)."""

    def __init__(self, what: str, status: int, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{what}: {status} {code}: {message}" + (f" (request id {request_id})" if request_id else ""))
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


# -- the release: what is read from Git and sent ----------------------------------------------------------------------
@dataclass(frozen=True)
class ItemSource:
    """One PBIP item folder as it will be sent."""

    kind: ItemKind
    folder: Path
    display_name: str
    description: str | None
    parts: dict[str, bytes]  # path relative to the folder (posix) -> bytes

    def definition(self) -> dict[str, Any]:
        return {"parts": [{"path": path, "payload": base64.b64encode(data).decode("ascii"),
                           "payloadType": "InlineBase64"} for path, data in sorted(self.parts.items())]}

    def with_part(self, path: str, data: bytes) -> ItemSource:
        return replace(self, parts={**self.parts, path: data})


@dataclass(frozen=True)
class Release:
    """Everything `publish_powerbi` sends, read and checked before the first request."""

    environment: str
    workspace_id: str
    workspace_name: str
    model: ItemSource
    report: ItemSource | None
    parameters: dict[str, str]  # the values written into the model (parameter -> value)


def read_item(folder: Path, kind: ItemKind) -> tuple[ItemSource | None, list[str]]:
    """The documented definition parts of a PBIP item folder, and the problems that stop it being sent."""
    if not folder.is_dir():
        return None, [f"{folder}: no {kind.type} folder here"]
    problems: list[str] = []
    parts: dict[str, bytes] = {}
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder).as_posix()
        if not file.is_file() or relative.startswith(".pbi/") or relative == ".platform":
            continue
        if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in kind.parts):
            parts[relative] = file.read_bytes()
        else:
            log.info("%s: %s is not a %s definition part; not sent", folder.name, relative, kind.type)
    if kind.head not in parts:
        problems.append(f"{folder}: {kind.head} is missing")
    if kind is SEMANTIC_MODEL and "model.bim" not in parts and not any(
            p.startswith("definition/") and p.endswith(".tmdl") for p in parts):
        problems.append(f"{folder}: neither definition/*.tmdl nor model.bim")
    if kind is REPORT and "report.json" not in parts and "definition/report.json" not in parts:
        problems.append(f"{folder}: neither definition/report.json (PBIR) nor report.json (PBIR-Legacy)")
    name, description = folder.name.removesuffix(kind.suffix), None
    platform = folder / ".platform"
    if platform.is_file():
        try:
            metadata = json.loads(platform.read_text(encoding="utf-8-sig")).get("metadata") or {}
            name, description = metadata.get("displayName") or name, metadata.get("description") or None
        except (ValueError, AttributeError):
            problems.append(f"{platform}: not valid JSON")
    return ItemSource(kind, folder, name, description, parts), problems


# `expression <name> = <value>` at the start of a line; names may be quoted ('...' or "...").
_EXPRESSION = re.compile(r"^(?P<head>[ \t]*expression[ \t]+(?P<name>'(?:[^']|'')+'|\"(?:[^\"]|\"\")+\"|[^\s=]+)"
                         r"[ \t]*=[ \t]*)(?P<rest>.*?)(?P<eol>\r?\n?)$")
_TEXT = re.compile(r"^(?P<indent>[ \t]*)\"(?P<value>(?:[^\"]|\"\")*)\"(?P<tail>.*?)(?P<eol>\r?\n?)$")


def _unquote_name(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        return name[1:-1].replace(name[0] * 2, name[0])
    return name


def m_text(value: str) -> str:
    """An M text literal."""
    return '"' + value.replace('"', '""') + '"'


def set_parameters(parts: dict[str, bytes], values: dict[str, str]) -> tuple[dict[str, bytes], dict[str, str],
                                                                              list[str]]:
    """Write each model parameter's default value (a text parameter: `expression Name = "value" meta [...]`, the
    literal on the same line or, for a multi-line expression, the next one) into the model's top-level TMDL files
    (`definition/expressions.tmdl`; older TMDL keeps expressions in `model.tmdl`).

    Returns (parts with the values written, the values Git held, problems)."""
    files = sorted((p for p in parts if re.fullmatch(r"definition/[^/]+\.tmdl", p)),
                   key=lambda p: (p != "definition/expressions.tmdl", p))
    found: dict[str, list[str]] = {name: [] for name in values}
    old: dict[str, str] = {}
    problems: list[str] = []
    updated = dict(parts)
    for path in files:
        lines = parts[path].decode("utf-8-sig").splitlines(keepends=True)
        changed = False
        for index, line in enumerate(lines):
            match = _EXPRESSION.match(line)
            name = _unquote_name(match["name"]) if match else None
            if name not in values:
                continue
            found[name].append(path)
            if match["rest"].strip():  # the value on the expression's own line
                text = _TEXT.match(match["rest"] + match["eol"])
                target = index
                if text is not None:
                    old[name] = text["value"].replace('""', '"')
                    lines[index] = f"{match['head']}{m_text(values[name])}{text['tail']}{text['eol']}"
            else:  # a multi-line expression: its first indented line
                target = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
                text = _TEXT.match(lines[target]) if target is not None else None
                if text is not None:
                    old[name] = text["value"].replace('""', '"')
                    lines[target] = f"{text['indent']}{m_text(values[name])}{text['tail']}{text['eol']}"
            if text is None:
                problems.append(f"{path}: expression {name} is not a text parameter (its value is no \"...\" literal)")
                continue
            changed = True
            log.debug("%s line %d: %s = %r", path, target + 1, name, values[name])
        if changed:
            updated[path] = "".join(lines).encode("utf-8")
    for name, paths in found.items():
        if not paths:
            problems.append(f"model parameter {name} is not defined (no `expression {name} = \"...\"` in "
                            "definition/expressions.tmdl): the model cannot be bound to this environment's SQL pool")
        elif len(paths) > 1:
            problems.append(f"model parameter {name} is defined {len(paths)} times ({', '.join(paths)})")
    return updated, old, problems


def leftover_literals(parts: dict[str, bytes], old: dict[str, str], new: dict[str, str]) -> list[str]:
    """A Git value of a parameter that differs in this environment, still written as a literal somewhere in the
    model after the parameters were set: a partition or expression that names the dev SQL endpoint directly."""
    problems = []
    for name, value in old.items():
        if not value or value == new.get(name):
            continue
        literal = m_text(value)
        for path, data in sorted(parts.items()):
            if path.endswith(".tmdl") and literal in data.decode("utf-8-sig", errors="replace"):
                problems.append(f"{path} still holds {name}'s Git value {literal} as a literal: use the parameter "
                                f"(Sql.Database({', '.join(PARAMETERS)})) so each environment rebinds")
    return problems


def check_report_reference(report: ItemSource, model_dir: Path) -> list[str]:
    """Problems with `definition.pbir` that rebinding it would hide: not JSON, or a `byPath` to another model."""
    data = report.parts.get("definition.pbir")
    if data is None:
        return []
    try:
        pbir = json.loads(data.decode("utf-8-sig"))
    except ValueError as error:
        return [f"{report.folder}/definition.pbir: not valid JSON ({error})"]
    reference = pbir.get("datasetReference") if isinstance(pbir, dict) else None
    by_path = reference.get("byPath") if isinstance(reference, dict) else None
    if isinstance(by_path, dict):
        target = (report.folder / str(by_path.get("path", ""))).resolve()
        if target != model_dir.resolve():
            return [f"{report.folder}/definition.pbir references the model at {by_path.get('path')!r}, not the "
                    f"model being published ({model_dir.name})"]
    elif not (isinstance(reference, dict) and isinstance(reference.get("byConnection"), dict)):
        return [f"{report.folder}/definition.pbir: datasetReference has neither byPath nor byConnection"]
    return []


def bind_report(pbir: bytes, model_id: str, model_name: str, workspace_name: str) -> bytes:
    """`definition.pbir` referencing the published model `byConnection` (fabric-cicd's shape, see the module
    docstring); every other property of the file is kept."""
    data = json.loads(pbir.decode("utf-8-sig"))
    catalog = f'"{model_name.replace(chr(34), chr(34) * 2)}"' if re.search(r'[;"]', model_name) else model_name
    connection = (f'Data Source="{XMLA_ROOT}/{workspace_name.replace(chr(34), chr(34) * 2)}";'
                  f"Initial Catalog={catalog};Integrated Security=ClaimsToken;semanticmodelid={model_id}")
    data["$schema"] = PBIR_SCHEMA
    data.setdefault("version", "4.0")
    data["datasetReference"] = {"byConnection": {
        "connectionString": connection,
        "pbiServiceModelId": None,
        "pbiModelVirtualServerName": "sobe_wowvirtualserver",
        "pbiModelDatabaseName": model_id,
        "name": "EntityDataSource",
        "connectionType": "pbiServiceXmlaStyleLive",
    }}
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def prepare(settings: Settings, model_dir: Path = SEMANTIC_MODEL_DIR, report_dir: Path | None = REPORT_DIR
            ) -> Release:
    """Read and check everything to send; InvalidReleaseError lists every problem (nothing has been sent)."""
    problems: list[str] = []
    if settings.powerbi is None:
        problems.append(f"environment {settings.name}: no [powerbi] section (workspace, workspace_id)")
    if settings.sql_pool.engine != "synapse":
        problems.append(f"environment {settings.name}: sql_pool.engine is {settings.sql_pool.engine}; the semantic "
                        "model's DirectQuery source is a dedicated SQL pool")
    values = {"SqlEndpoint": settings.sql_pool.endpoint, "SqlDatabase": settings.sql_pool.database}
    model, found = read_item(model_dir, SEMANTIC_MODEL)
    problems += found
    if model is not None:
        parts, old, found = set_parameters(model.parts, values)
        problems += found + leftover_literals(parts, old, values)
        model = replace(model, parts=parts)
    report = None
    if report_dir is not None:
        report, found = read_item(report_dir, REPORT)
        problems += found
        if report is not None:
            problems += check_report_reference(report, model_dir)
    if problems or model is None or settings.powerbi is None:
        raise InvalidReleaseError(problems)
    return Release(settings.name, settings.powerbi.workspace_id, settings.powerbi.workspace, model, report, values)


def validate_powerbi(settings: Settings, model_dir: Path = SEMANTIC_MODEL_DIR, report_dir: Path | None = REPORT_DIR
                     ) -> list[str]:
    """The problems `publish_powerbi` would refuse to start with (for `retail deploy validate`); no request."""
    try:
        prepare(settings, model_dir, report_dir)
    except InvalidReleaseError as error:
        return error.problems
    return []


# -- the Fabric REST API ----------------------------------------------------------------------------------------------
class _RetryPolicy(RetryPolicy):
    """azure-core's retry policy, also for POST (updateDefinition is idempotent; a repeated create is caught)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._method_whitelist = frozenset(self._method_whitelist | {"POST"})


class FabricClient:
    """The Fabric items API of one tenant (`https://api.fabric.microsoft.com`, or a fake's URL in tests)."""

    def __init__(self, credential: TokenCredential, endpoint: str = FABRIC_ENDPOINT, *,
                 poll_interval: float = POLL_INTERVAL_S, operation_timeout: float = OPERATION_TIMEOUT_S,
                 retry_total: int = SDK_RETRY_TOTAL, retry_backoff_factor: float = SDK_RETRY_BACKOFF_FACTOR,
                 retry_backoff_max: float = SDK_RETRY_BACKOFF_MAX, **client_kwargs: Any) -> None:
        self.url = endpoint.rstrip("/")
        self.poll_interval, self.operation_timeout = poll_interval, operation_timeout
        policies = [HeadersPolicy({"Accept": "application/json"}),
                    _RetryPolicy(retry_total=retry_total, retry_backoff_factor=retry_backoff_factor,
                                 retry_backoff_max=retry_backoff_max),
                    BearerTokenCredentialPolicy(credential, FABRIC_SCOPE)]
        self._client = PipelineClient(self.url, policies=policies, **client_kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> FabricClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, what: str, method: str, url: str, body: Any = None, params: dict[str, str] | None = None
             ) -> HttpResponse:
        """One request through the pipeline (token, retries); FabricError on >= 400."""
        request = HttpRequest(method, url if "://" in url else f"{self.url}{url}", json=body, params=params or {})
        response = self._client.send_request(request)
        if response.status_code >= 400:
            error = _json(response)
            error = error if isinstance(error, dict) else {}
            code = error.get("errorCode") or response.headers.get("x-ms-public-api-error-code") or "Error"
            raise FabricError(what, response.status_code, code, str(error.get("message") or response.text()[:300]),
                              error.get("requestId") or response.headers.get("requestId"))
        return response

    def list_items(self, workspace_id: str, kind: ItemKind) -> list[dict[str, Any]]:
        """Every item of one type in the workspace (paged by continuationToken)."""
        items: list[dict[str, Any]] = []
        url, params = f"/v1/workspaces/{workspace_id}/{kind.collection}", {}
        while True:
            page = _json(self.send(f"list {kind.collection}", "GET", url, params=params)) or {}
            items.extend(page.get("value") or [])
            token = page.get("continuationToken")
            if not token:
                return items
            if page.get("continuationUri"):
                url, params = page["continuationUri"], {}
            else:
                params = {"continuationToken": token}

    def find(self, workspace_id: str, kind: ItemKind, display_name: str) -> dict[str, Any] | None:
        found = [i for i in self.list_items(workspace_id, kind) if i.get("displayName") == display_name]
        if len(found) > 1:
            raise FabricError(f"find {kind.type} {display_name!r}", 409, "AmbiguousDisplayName",
                              f"{len(found)} items of that name in workspace {workspace_id}")
        return found[0] if found else None

    def create(self, workspace_id: str, kind: ItemKind, body: dict[str, Any]) -> dict[str, Any]:
        what = f"create {kind.type} {body.get('displayName')!r}"
        response = self.send(what, "POST", f"/v1/workspaces/{workspace_id}/{kind.collection}", body)
        item = self._finish(what, response, result=True)
        if not isinstance(item, dict) or not item.get("id"):
            raise OperationFailedError(f"{what}: the operation ended without the item: {str(item)[:300]}")
        return item

    def update_definition(self, workspace_id: str, kind: ItemKind, item_id: str, definition: dict[str, Any]) -> None:
        what = f"update {kind.type} {item_id} definition"
        url = f"/v1/workspaces/{workspace_id}/{kind.collection}/{item_id}/updateDefinition"
        self._finish(what, self.send(what, "POST", url, {"definition": definition}), result=False)

    def _finish(self, what: str, response: HttpResponse, *, result: bool) -> Any:
        """The outcome of a request that may have started a long-running operation (202): polled every
        `poll_interval` s; with `result` the operation's result (`GET /v1/operations/{id}/result`)."""
        if response.status_code != 202:
            return _json(response)
        operation = response.headers.get("x-ms-operation-id") or (response.headers.get("Location") or "").rstrip(
            "/").rsplit("/", 1)[-1]
        if not operation:
            raise OperationFailedError(f"{what}: 202 without x-ms-operation-id or Location")
        deadline = time.monotonic() + self.operation_timeout
        while True:
            time.sleep(self.poll_interval)
            state = _json(self.send(f"{what} (operation {operation})", "GET", f"/v1/operations/{operation}")) or {}
            status = str(state.get("status", ""))
            if status == "Succeeded":
                break
            if status.lower() not in _IN_PROGRESS:  # Failed, Undefined
                error = state.get("error") or {}
                raise OperationFailedError(f"{what}: operation {operation} {status or 'ended'}: "
                                           f"{error.get('errorCode', 'Failed')}: {error.get('message', '')}")
            if time.monotonic() > deadline:
                raise OperationTimeoutError(f"{what}: operation {operation} still running after "
                                            f"{self.operation_timeout:g} s")
        if not result:
            return None
        return _json(self.send(f"{what} (result)", "GET", f"/v1/operations/{operation}/result"))


def _json(response: HttpResponse) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


# -- the step ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedItem:
    type: str  # "SemanticModel" or "Report"
    display_name: str
    id: str
    action: str  # "created" or "updated"
    parts: int
    seconds: float


@dataclass(frozen=True)
class PublishResult:
    environment: str
    workspace_id: str
    parameters: dict[str, str]  # the model parameters as published
    model: PublishedItem
    report: PublishedItem | None

    @property
    def items(self) -> list[PublishedItem]:
        return [self.model] + ([self.report] if self.report else [])


def publish(client: FabricClient, workspace_id: str, source: ItemSource) -> PublishedItem:
    """Create the item, or update the definition of the one of that type and display name."""
    started = time.monotonic()
    definition = source.definition()
    existing = client.find(workspace_id, source.kind, source.display_name)
    if existing is None:
        body: dict[str, Any] = {"displayName": source.display_name, "definition": definition}
        if source.description:
            body["description"] = source.description[:256]
        try:
            item = client.create(workspace_id, source.kind, body)
            return PublishedItem(source.kind.type, source.display_name, item["id"], "created", len(source.parts),
                                 time.monotonic() - started)
        except FabricError as error:
            if error.code != "ItemDisplayNameAlreadyInUse":
                raise
            existing = client.find(workspace_id, source.kind, source.display_name)
            if existing is None:
                raise
            log.warning("%s %r exists after all (a create repeated?): updating it", source.kind.type,
                        source.display_name)
    client.update_definition(workspace_id, source.kind, existing["id"], definition)
    return PublishedItem(source.kind.type, source.display_name, existing["id"], "updated", len(source.parts),
                         time.monotonic() - started)


def publish_powerbi(settings: Settings, credential: TokenCredential, *, endpoint: str = FABRIC_ENDPOINT,
                    model_dir: Path = SEMANTIC_MODEL_DIR, report_dir: Path | None = REPORT_DIR,
                    poll_interval: float = POLL_INTERVAL_S, **client_kwargs: Any) -> PublishResult:
    """Publish the semantic model with this environment's SQL pool as its source, then the report bound to it
    (`report_dir=None`: the model only). Everything is read and checked first: InvalidReleaseError before any
    request; FabricError / OperationFailedError / OperationTimeoutError when Fabric refuses or fails. Safe to re-run:
    items are found by name and updated."""
    release = prepare(settings, model_dir, report_dir)
    with FabricClient(credential, endpoint, poll_interval=poll_interval, **client_kwargs) as client:
        model = publish(client, release.workspace_id, release.model)
        log.info("%s semantic model %r (%s)", model.action, model.display_name, model.id)
        report = None
        if release.report is not None:
            pbir = bind_report(release.report.parts["definition.pbir"], model.id, model.display_name,
                               release.workspace_name)
            report = publish(client, release.workspace_id, release.report.with_part("definition.pbir", pbir))
            log.info("%s report %r (%s)", report.action, report.display_name, report.id)
    return PublishResult(release.environment, release.workspace_id, release.parameters, model, report)
