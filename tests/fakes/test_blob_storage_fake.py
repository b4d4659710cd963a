"""The Blob Storage fake's REST contract, in raw HTTP: what delta-rs relies on beyond what its calls show."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.fakes.blob_storage import FakeBlobStorage

TOKEN = "storage-token"


@pytest.fixture(scope="module")
def storage() -> Iterator[FakeBlobStorage]:
    with FakeBlobStorage(TOKEN) as fake:
        yield fake


def _call(storage: FakeBlobStorage, method: str, path: str, body: bytes | None = None,
          token: str = TOKEN, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(f"{storage.endpoint}{path}", data=body, method=method,
                                     headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_a_blob_created_only_if_absent_is_created_once(storage: FakeBlobStorage) -> None:
    """How a Delta commit claims its version: the second writer of a log entry gets 409, the first one's bytes stay."""
    claim = {"If-None-Match": "*"}
    assert _call(storage, "PUT", "/lake/t/_delta_log/00000000000000000001.json", b"first", **claim)[0] == 201
    status, _, headers = _call(storage, "PUT", "/lake/t/_delta_log/00000000000000000001.json", b"second", **claim)
    assert (status, headers["x-ms-error-code"]) == (409, "BlobAlreadyExists")
    assert _call(storage, "GET", "/lake/t/_delta_log/00000000000000000001.json")[1] == b"first"


def test_ranges_listing_and_refusals(storage: FakeBlobStorage) -> None:
    assert _call(storage, "PUT", "/lake/r/part-0.parquet", b"0123456789")[0] == 201
    status, body, headers = _call(storage, "GET", "/lake/r/part-0.parquet", Range="bytes=2-5")
    assert (status, body, headers["Content-Range"]) == (206, b"2345", "bytes 2-5/10")
    assert storage.names("lake", "r/") == ["r/part-0.parquet"]
    assert _call(storage, "GET", "/lake/r/missing")[0] == 404
    status, _, headers = _call(storage, "GET", "/lake/r/part-0.parquet", token="someone-else")
    assert (status, headers["x-ms-error-code"]) == (403, "AuthenticationFailed")
