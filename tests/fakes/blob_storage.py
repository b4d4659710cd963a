"""A fake Azure Blob Storage account (ADLS Gen2's blob endpoint): the part of the Blob service REST API that
delta-rs' object store calls, so the driver's Delta commits (`spark_pools/small_commits.py`) run unchanged
against an `abfss://` lake.

Operations (https://learn.microsoft.com/rest/api/storageservices/blob-service-rest-api), those delta-rs calls to
read and commit: List Blobs (prefix, marker, startFrom), Get Blob (whole, or a byte range) and Put Blob (with
`If-None-Match: *`, how a Delta commit claims its version: 409 when the blob is there). Requests are path-style
(`/<container>/<blob>`) and must carry the bearer token the fake was made with; anything else is 403, as the
service answers a wrong token.

The fake serves from a process of its own: some delta-rs calls (`DeltaTable.is_deltatable`) keep Python's global
interpreter lock while they wait for the network, so a server thread in the test's process could never answer.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

API_VERSION = "2023-11-03"


@dataclass(frozen=True)
class Blob:
    data: bytes
    etag: str
    modified: datetime

    @classmethod
    def of(cls, data: bytes) -> Blob:
        return cls(data, f'"0x{hashlib.md5(data + str(datetime.now(UTC)).encode()).hexdigest()[:16].upper()}"',
                   datetime.now(UTC).replace(microsecond=0))

    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Last-Modified": format_datetime(self.modified, usegmt=True),
                "x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def _error(status: int, code: str) -> Reply:
    body = f"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
    return Reply(status, {"x-ms-error-code": code, "Content-Type": "application/xml"}, body.encode())


class _Listener(ThreadingHTTPServer):
    # HTTP/1.0: a connection per request (a client's pooled connection is never left to a stopped fake), so the
    # client's parallel requests need more than socketserver's default backlog of 5.
    request_queue_size = 128


class Store:
    """Blobs held in memory per (container, name), and the REST operations on them."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.blobs: dict[tuple[str, str], Blob] = {}
        self._lock = threading.Lock()

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(target)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        container, _, name = unquote(url.path).lstrip("/").partition("/")
        with self._lock:
            if headers.get("authorization") != f"Bearer {self.token}":
                return _error(403, "AuthenticationFailed")
            if not name:
                if method == "GET" and query.get("comp") == "list":
                    return self._list(container, query)
                return _error(400, "UnsupportedHttpVerb")
            if method == "GET":
                return self._get((container, name), headers)
            if method == "PUT":
                return self._put((container, name), headers, body)
        return _error(405, "UnsupportedHttpVerb")

    def _get(self, key: tuple[str, str], headers: dict[str, str]) -> Reply:
        blob = self.blobs.get(key)
        if blob is None:
            return _error(404, "BlobNotFound")
        ranged = headers.get("range") or headers.get("x-ms-range")
        if not ranged:
            return Reply(200, blob.headers(), blob.data)
        first, _, last = ranged.removeprefix("bytes=").partition("-")
        start, end = int(first), min(int(last) if last else len(blob.data) - 1, len(blob.data) - 1)
        if start >= len(blob.data):
            return _error(416, "InvalidRange")
        part = blob.data[start:end + 1]
        return Reply(206, {**blob.headers(), "Content-Range": f"bytes {start}-{end}/{len(blob.data)}"}, part)

    def _put(self, key: tuple[str, str], headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("if-none-match") == "*" and key in self.blobs:
            return _error(409, "BlobAlreadyExists")
        blob = self.blobs[key] = Blob.of(body)
        return Reply(201, blob.headers())

    def _list(self, container: str, query: dict[str, str]) -> Reply:
        prefix = query.get("prefix", "")
        after = query.get("marker") or query.get("startFrom") or ""
        names = sorted(name for c, name in self.blobs if c == container and name.startswith(prefix) and name >= after)
        blobs = []
        for name in names:
            blob = self.blobs[(container, name)]
            blobs.append(
                f"<Blob><Name>{escape(name)}</Name><Properties>"
                f"<Last-Modified>{format_datetime(blob.modified, usegmt=True)}</Last-Modified>"
                f"<Etag>{escape(blob.etag)}</Etag><Content-Length>{len(blob.data)}</Content-Length>"
                f"<Content-Type>application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType>"
                f"</Properties></Blob>")
        xml = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ContainerName=\"{escape(container)}\">"
               f"<Prefix>{escape(prefix)}</Prefix><Blobs>{''.join(blobs)}</Blobs><NextMarker/>"
               f"</EnumerationResults>")
        return Reply(200, {"Content-Type": "application/xml"}, xml.encode())


def _serve(token: str, ports: multiprocessing.connection.Connection) -> None:
    store = Store(token)

    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = store.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(reply.status)
            for name, value in {"x-ms-version": API_VERSION, **reply.headers,
                                "Content-Length": str(len(reply.body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_PUT = _serve  # noqa: N815

        def log_message(self, *_: object) -> None:
            pass

    server = _Listener(("127.0.0.1", 0), _Handler)
    ports.send(server.server_address[1])
    server.serve_forever(poll_interval=0.05)


class FakeBlobStorage:
    """A storage account answering at `endpoint` (plain HTTP) while in its `with` block."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._ports, child = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.get_context("spawn").Process(target=_serve, args=(token, child), daemon=True)
        self.endpoint = ""

    def __enter__(self) -> FakeBlobStorage:
        self._process.start()
        self.endpoint = f"http://127.0.0.1:{self._ports.recv()}"
        return self

    def __exit__(self, *_: object) -> None:
        self._process.terminate()
        self._process.join()

    def names(self, container: str, prefix: str = "") -> list[str]:
        """The container's blob names under `prefix`, listed through the REST API as a client would."""
        request = urllib.request.Request(f"{self.endpoint}/{container}?restype=container&comp=list&prefix={prefix}",
                                         headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request) as listed:
            return [name.text or "" for name in ElementTree.parse(listed).iter("Name")]
