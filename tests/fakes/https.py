"""A local HTTPS server for faking Azure endpoints at the HTTP level, so the real Azure SDK clients (their
authentication, retries and serialisation) run unchanged against it.

The certificate is self-signed and made per server; point the SDK's `requests` transport at it with
`REQUESTS_CA_BUNDLE`. A server can answer for a DNS name under `.fake.test` (the SDK checks names, e.g. a Key
Vault challenge's resource against the vault's host): `resolve_fake_names` maps those names to 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


FAKE_DOMAIN = ".fake.test"


def resolve_fake_names(monkeypatch: object) -> None:
    """Make every `*.fake.test` name resolve to 127.0.0.1 for this test (a pytest MonkeyPatch)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if isinstance(host, str) and host.endswith(FAKE_DOMAIN):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def self_signed_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1, localhost and `host`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost"), x509.DNSName(host)]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fake-cert.pem", folder / "fake-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Listener(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connection attempts when an SDK client runs requests in parallel
    # (each HTTP/1.0 request is a new connection); the kernel then retries them a second later.
    request_queue_size = 128


class FakeHttpsServer:
    """Serves `handler` on https://127.0.0.1:<free port> in a background thread; records every request."""

    def __init__(self, handler: Handler, folder: Path, host: str = "localhost") -> None:
        self.handler, self.host = handler, host
        self.requests: list[Request] = []
        self.certificate, key = self_signed_certificate(folder, host)
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, url.path, parse_qs(url.query), dict(self.headers.items()),
                                  self.rfile.read(length) if length else b"")
                fake.requests.append(request)
                response = fake.handler(request)
                body = b"" if response.body is None else json.dumps(response.body).encode()
                self.send_response(response.status)
                for header, value in {"Content-Type": "application/json", **response.headers}.items():
                    self.send_header(header, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve  # noqa: N815

            def log_message(self, *_: object) -> None:  # keep test output quiet
                pass

        self._server = _Listener(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        # shutdown waits for the serving loop's next poll: 50 ms instead of socketserver's 0.5 s per fake
        self._thread = threading.Thread(target=lambda: self._server.serve_forever(poll_interval=0.05), daemon=True)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self._server.server_address[1]}"

    def __enter__(self) -> FakeHttpsServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def header(request: Request, name: str) -> str | None:
    """A request header by name, case-insensitively (as HTTP names are)."""
    lower = name.lower()
    return next((value for key, value in request.headers.items() if key.lower() == lower), None)


def methods_of(methods: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if methods is None else tuple(m.upper() for m in methods)


@dataclass
class Fault:
    """An injected failure for the next `count` matching requests: an error `status` (with `Retry-After` unless
    None), or with status None a dropped connection (`after`: the request is applied first, a lost response)."""

    status: int | None
    count: int
    retry_after: float | None
    methods: tuple[str, ...] | None
    path_prefix: str | None
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.count > 0 and (self.methods is None or method in self.methods)
                and (self.path_prefix is None or path.startswith(self.path_prefix)))


class _Logged(Protocol):
    method: str
    path: str


class FakeService:
    """What every fake Azure service shares: its HTTPS server (its certificate in a temporary folder unless given
    one), `REQUESTS_CA_BUNDLE` pointed at that certificate while the fake runs (so the SDK's `requests` transport
    trusts it), and the log of the requests it answered (`requests`, under `_lock`)."""

    requests: list[_Logged]
    _lock: threading.RLock

    def _start_server(self, handler: Handler, folder: Path | None, prefix: str,
                      server: type[FakeHttpsServer] = FakeHttpsServer) -> None:
        self._tmp = None if folder is not None else tempfile.TemporaryDirectory(prefix=prefix)
        self._https = server(handler, Path(folder or self._tmp.name), host="localhost")
        self.endpoint = f"https://127.0.0.1:{urlsplit(self._https.url).port}"
        self._previous_bundle: str | None = None

    def __enter__(self) -> Self:
        self._https.__enter__()
        self._previous_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(self._https.certificate)
        return self

    def __exit__(self, *_: object) -> None:
        if self._previous_bundle is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = self._previous_bundle
        self._https.__exit__()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def certificate(self) -> Path:
        return self._https.certificate

    def calls(self, method: str | None = None, path_prefix: str = "") -> list[tuple[str, str]]:
        """(method, path) of the logged requests, optionally filtered."""
        with self._lock:
            return [(r.method, r.path) for r in self.requests
                    if method in (None, r.method) and r.path.startswith(path_prefix)]
