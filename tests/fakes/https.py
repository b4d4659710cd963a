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
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
