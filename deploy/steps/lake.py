"""Release files in the lake: the Spark job definitions' main files (`sjd_events_stream` runs
`{lake.root}/_jobs/spark_pools/entry/stream.py`), the source catalog the ingestion pipeline looks up
(`_control/source_catalog.json` in the landing container) and a watermark seed for each database source that has
none yet (written only if absent: an existing one is the pipeline's state).

`azure-storage-file-datalake` is not a dependency of the project, so this speaks the ADLS Gen2 REST API
(create with `?resource=file`, `?action=append`, `?action=flush`) through azure-core's pipeline: the same
authentication (Entra token for storage) and retry policy as the SDKs.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy
from azure.core.rest import HttpRequest

from deploy.constants import (
    DFS_ENDPOINT_TEMPLATE,
    JOBS_FOLDER,
    SDK_RETRY_BACKOFF_FACTOR,
    SDK_RETRY_TOTAL,
    STORAGE_SCOPE,
)
from retail.paths import PROJECT_ROOT
from retail.settings import Settings

DFS_VERSION = "2021-08-06"
ENTRY_FOLDER = PROJECT_ROOT / "spark_pools" / "entry"
_ABFSS = re.compile(r"^abfss://(?P<container>[^@]+)@(?P<account>[^.]+)\.dfs\.core\.windows\.net(?P<path>/.*)?$")


@dataclass(frozen=True)
class LakeLocation:
    account: str
    container: str
    prefix: str  # folder inside the container, without slashes at either end ("" for the root)

    @classmethod
    def parse(cls, url: str) -> LakeLocation:
        match = _ABFSS.match(url)
        if not match:
            raise ValueError(f"{url!r} is not abfss://<container>@<account>.dfs.core.windows.net[/path]")
        return cls(match["account"], match["container"], (match["path"] or "").strip("/"))

    def path(self, relative: str) -> str:
        return "/".join(part for part in (self.prefix, relative.strip("/")) if part)


class LakeClient:
    """Files in one storage account's ADLS Gen2 endpoint."""

    def __init__(self, account: str, credential: TokenCredential, *, endpoint: str | None = None,
                 **client_kwargs: Any) -> None:
        self.url = (endpoint or DFS_ENDPOINT_TEMPLATE.format(account=account)).rstrip("/")
        policies = [HeadersPolicy({"x-ms-version": DFS_VERSION}),
                    RetryPolicy(retry_total=SDK_RETRY_TOTAL, retry_backoff_factor=SDK_RETRY_BACKOFF_FACTOR),
                    BearerTokenCredentialPolicy(credential, STORAGE_SCOPE)]
        self._client = PipelineClient(self.url, policies=policies, **client_kwargs)

    def close(self) -> None:
        self._client.close()

    def write(self, container: str, path: str, data: bytes, *, only_if_absent: bool = False) -> bool:
        """Create (or replace) a file with `data`; False when `only_if_absent` and it already exists."""
        target = f"{self.url}/{container}/{path}"
        headers = {"If-None-Match": "*"} if only_if_absent else {}
        try:
            self._send("PUT", target, {"resource": "file"}, headers=headers)
        except ResourceExistsError:
            return False
        if data:
            self._send("PATCH", target, {"action": "append", "position": "0"}, content=data)
        self._send("PATCH", target, {"action": "flush", "position": str(len(data))})
        return True

    def _send(self, method: str, url: str, params: dict[str, str], *, headers: dict[str, str] | None = None,
              content: bytes | None = None) -> None:
        request = HttpRequest(method, url, params=params, headers=headers or {}, content=content)
        response = self._client.send_request(request)
        if response.status_code == 409 and (headers or {}).get("If-None-Match") == "*":
            raise ResourceExistsError(response=response)
        if response.status_code >= 400:
            raise HttpResponseError(response=response)


@dataclass
class Uploaded:
    written: list[str]
    kept: list[str]  # watermark seeds already there


def upload_release_files(settings: Settings, credential: TokenCredential, *, entries: Path = ENTRY_FOLDER,
                         endpoint: str | None = None, **client_kwargs: Any) -> Uploaded:
    """Job entry files to `{lake.root}/_jobs/spark_pools/entry/`, the catalog and the missing watermark seeds
    to the landing container. Re-running rewrites the entry files and the catalog (they are the release's) and
    never a watermark."""
    from pipelines.catalog_export import CATALOG_FILE, WATERMARK_FOLDER, write_catalog, write_watermark_seeds

    lake = LakeLocation.parse(settings.lake.root)
    landing = LakeLocation.parse(settings.lake.landing)
    result = Uploaded([], [])
    clients: dict[str, LakeClient] = {}

    def client(account: str) -> LakeClient:
        if account not in clients:
            clients[account] = LakeClient(account, credential, endpoint=endpoint, **client_kwargs)
        return clients[account]

    try:
        for file in sorted(entries.glob("*.py")):
            if file.name == "__init__.py":
                continue
            path = lake.path(f"{JOBS_FOLDER}/spark_pools/entry/{file.name}")
            client(lake.account).write(lake.container, path, file.read_bytes())
            result.written.append(f"{lake.container}/{path}")
        with tempfile.TemporaryDirectory(prefix="retail-release-") as temp:
            catalog = write_catalog(Path(temp) / "catalog.json")
            path = landing.path(CATALOG_FILE)
            client(landing.account).write(landing.container, path, catalog.read_bytes())
            result.written.append(f"{landing.container}/{path}")
            for seed in write_watermark_seeds(Path(temp) / "watermarks"):
                path = landing.path(f"{WATERMARK_FOLDER}/{seed.name}")
                fresh = client(landing.account).write(landing.container, path, seed.read_bytes(), only_if_absent=True)
                (result.written if fresh else result.kept).append(f"{landing.container}/{path}")
    finally:
        for each in clients.values():
            each.close()
    return result
