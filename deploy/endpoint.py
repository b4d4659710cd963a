"""One Synapse workspace's data plane, with the retries a release needs.

Two layers. The SDK's own retry policy (configured here: total, backoff factor, Retry-After honoured, POST
included since start/stop/flush are safe to repeat) retries each HTTP request on 408/429/5xx and dropped
connections. Around it, `run` retries a whole operation, request and polling, when that is not enough: the
polling ran past its deadline, a connection dropped mid-poll more often than the SDK allows, the SDK gave up on
a 429/5xx. Writes are idempotent PUTs and deletes treat "not found" as done, so repeating them is safe.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
import requests.adapters
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest, HttpResponse
from azure.synapse.artifacts import ArtifactsClient

from deploy import constants as c
from deploy.publishers import PUBLISHERS, Publisher

log = logging.getLogger("deploy")
T = TypeVar("T")
_IN_PROGRESS = {"inprogress", "running", "accepted", "notstarted", "queued", "creating", "updating", "deleting"}


class OperationTimeoutError(Exception):
    """A long-running operation was still running at its deadline (retried: writes are idempotent)."""


class OperationFailedError(Exception):
    """The service reported the operation as failed (not retried: the same input would fail again)."""


class _RetryPolicy(RetryPolicy):
    """The SDK's retry policy, also for POST: starting, stopping or flushing twice is harmless."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._method_whitelist = frozenset(self._method_whitelist | {"POST"})


def is_transient(error: BaseException) -> bool:
    """Worth running the operation again: timeouts, dropped connections, throttling, server errors."""
    if isinstance(error, OperationTimeoutError | ServiceRequestError | ServiceResponseError | IncompleteReadError):
        return True
    return isinstance(error, HttpResponseError) and error.status_code in c.RETRYABLE_STATUS


class Endpoint:
    """The data plane of one workspace (`https://{workspace}.dev.azuresynapse.net`, or a fake's URL in tests)."""

    def __init__(self, url: str, credential: TokenCredential, *, poll_interval: float = c.POLL_INTERVAL_S,
                 retry_total: int = c.SDK_RETRY_TOTAL, retry_backoff_factor: float = c.SDK_RETRY_BACKOFF_FACTOR,
                 retry_backoff_max: float = c.SDK_RETRY_BACKOFF_MAX, attempts: int = c.OPERATION_ATTEMPTS,
                 backoff: float = c.OPERATION_BACKOFF_S, operation_timeout: float = c.OPERATION_TIMEOUT_S,
                 read_timeout: float = c.READ_TIMEOUT_S, **client_kwargs: Any) -> None:
        self.url = url.rstrip("/")
        self.poll_interval = poll_interval
        self.attempts, self.backoff, self.operation_timeout = attempts, backoff, operation_timeout
        retry = _RetryPolicy(retry_total=retry_total, retry_backoff_factor=retry_backoff_factor,
                             retry_backoff_max=retry_backoff_max)
        if "transport" not in client_kwargs:  # requests' default pool keeps 10 connections: fewer than 32 threads
            session = requests.Session()
            session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=c.MAX_PARALLEL + 8))
            client_kwargs["transport"] = RequestsTransport(session=session, session_owner=True,
                                                           read_timeout=read_timeout)
        self.client = ArtifactsClient(credential, self.url, polling_interval=poll_interval, retry_policy=retry,
                                      **client_kwargs)
        for name in ("azure", "azure.synapse.artifacts"):  # request logs and "no mapping" model warnings
            logging.getLogger(name).setLevel(logging.ERROR)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- one operation, retried whole -------------------------------------------------------------------------
    def run(self, what: str, operation: Callable[[], T]) -> T:
        """`operation()` to its end (an LROPoller is waited for), retried with backoff while the failure is
        transient; the last error is raised with `what` in the log."""
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                outcome = operation()
                if isinstance(outcome, LROPoller):
                    result = outcome.result(timeout=self.operation_timeout)
                    if not outcome.done():
                        raise OperationTimeoutError(f"{what}: still running after {self.operation_timeout:g} s")
                    return result
                return outcome
            except Exception as error:
                if attempt == self.attempts or not is_transient(error):
                    raise
                wait = max(delay * (0.75 + random.random() / 2), _retry_after(error))
                log.warning("%s: %s (attempt %d of %d, again in %.1f s)", what, _short(error), attempt,
                            self.attempts, wait)
                time.sleep(wait)
                delay *= 2
        raise AssertionError("unreachable")

    # -- artifacts ----------------------------------------------------------------------------------------------
    def _ops(self, publisher: Publisher) -> Any:
        return getattr(self.client, publisher.operations or "")

    def list(self, publisher: Publisher) -> list[dict[str, Any]]:
        """Every live artifact of one type as the service's raw JSON (the SDK's list operation pages; its
        models would drop what they do not know, so the pages' JSON is kept through a response hook)."""
        if not publisher.via_sdk:
            return self.run(f"list {publisher.collection}", lambda: self._raw_list(publisher.collection))
        pages: list[dict[str, Any]] = []

        def hook(response: Any) -> None:
            if response.http_response.status_code == 200:
                pages.append(_body(response.http_response) or {})

        def read() -> list[dict[str, Any]]:
            pages.clear()
            for _ in getattr(self._ops(publisher), publisher.list)(raw_response_hook=hook):
                pass
            return [item for page in pages for item in page.get("value") or []]

        return self.run(f"list {publisher.collection}", read)

    def upsert(self, kind: str, name: str, data: dict[str, Any]) -> None:
        """Create or update one artifact and wait until the service has it."""
        publisher = PUBLISHERS[kind]
        what = f"write {kind} {name}"
        if not publisher.via_sdk:
            self.run(what, lambda: self._raw_lro("PUT", f"/{publisher.collection}/{name}", data))
            return
        body = publisher.sdk_body(data)
        result = self.run(what, lambda: getattr(self._ops(publisher), publisher.create)(name, body, cls=_raw))
        _check(what, result, expect_resource=True)

    def delete(self, kind: str, name: str) -> None:
        """Delete one artifact; one already gone counts as deleted (a retried delete finds it gone)."""
        publisher = PUBLISHERS[kind]

        what = f"delete {kind} {name}"

        def delete() -> Any:
            try:
                if not publisher.via_sdk:
                    return self._raw_lro("DELETE", f"/{publisher.collection}/{name}", None)
                poller = getattr(self._ops(publisher), publisher.delete)(name, cls=_raw)
                result = poller.result(timeout=self.operation_timeout)
                if not poller.done():
                    raise OperationTimeoutError(f"{what}: still running after {self.operation_timeout:g} s")
                return result
            except ResourceNotFoundError:
                return None

        _check(what, self.run(what, delete))

    def start_trigger(self, name: str) -> None:
        what = f"start trigger {name}"
        _check(what, self.run(what, lambda: self.client.trigger.begin_start_trigger(name, cls=_raw)))

    def stop_trigger(self, name: str) -> None:
        what = f"stop trigger {name}"
        _check(what, self.run(what, lambda: self.client.trigger.begin_stop_trigger(name, cls=_raw)))

    # -- raw REST, for what the SDK has no operation for (credentials) -----------------------------------------
    def raw(self, method: str, path: str, body: Any = None) -> HttpResponse:
        """One request through the SDK's pipeline (authentication, retry policy); raises on >= 400."""
        request = HttpRequest(method, path if "://" in path else f"{self.url}{path}",
                              params={} if "api-version=" in path else {"api-version": c.API_VERSION},
                              json=body)
        response = self.client._send_request(request)  # the SDK's documented escape hatch (dpcodegen)
        if response.status_code == 404:
            raise ResourceNotFoundError(response=response)
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return response

    def _raw_list(self, collection: str) -> list[dict[str, Any]]:
        items, path = [], f"/{collection}"
        while path:
            page = self.raw("GET", path).json() or {}
            items.extend(page.get("value") or [])
            path = page.get("nextLink")
        return items

    def _raw_lro(self, method: str, path: str, body: Any) -> Any:
        """A raw request, then its Location polled every `poll_interval` until the service says done."""
        response = self.raw(method, path, body)
        deadline = time.monotonic() + self.operation_timeout
        while response.status_code == 202 or _status(response) in _IN_PROGRESS:
            location = response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")
            if not location:
                break
            if time.monotonic() > deadline:
                raise OperationTimeoutError(f"{method} {path}: still running after {self.operation_timeout:g} s")
            time.sleep(float(response.headers.get("Retry-After") or self.poll_interval))
            response = self.raw("GET", location)
        result = _body(response)
        _check(f"{method} {path}", result, expect_resource=method == "PUT")
        return result


def _body(response: Any) -> Any:
    """The JSON of a response (the SDK's legacy responses have `text()` only), or None when there is none."""
    try:
        text = response.text()
    except TypeError:  # azure.core.rest responses: `text` is a property
        text = response.text
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _raw(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    """`cls` for SDK operations: the final response's JSON instead of a model (which would hide a failure)."""
    return _body(pipeline_response.http_response)


def _status(response: Any) -> str:
    body = _body(response)
    return str(body.get("status", "")).lower() if isinstance(body, dict) else ""


def _check(what: str, result: Any, *, expect_resource: bool = False) -> None:
    """Raise OperationFailedError when a finished operation reports failure. The service can accept a write (202),
    then end its operation in 200 `{"status": "Failed", "error": ...}`, which the SDK's polling reports as
    success with an empty resource."""
    failed = isinstance(result, dict) and str(result.get("status", "")).lower() in {"failed", "canceled", "cancelled"}
    if failed or (expect_resource and not (isinstance(result, dict) and isinstance(result.get("properties"), dict))):
        error = result.get("error") if isinstance(result, dict) else None
        if isinstance(error, dict):
            raise OperationFailedError(f"{what}: {error.get('code', 'Failed')}: {error.get('message', '')}")
        raise OperationFailedError(f"{what}: the operation ended without the resource: {str(result)[:300]}")


def _retry_after(error: BaseException) -> float:
    """The seconds a throttled answer asked to wait (0 when it did not say)."""
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"
