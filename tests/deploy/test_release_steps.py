"""Release steps beyond artifacts, each on its own: the wheel built and uploaded as a workspace package, the job
entry files and the catalog written to the lake, the SQL pool migrations run.

The fake Synapse has no library operations and there is no fake of ADLS Gen2, so these tests serve the two REST
contracts from small handlers here (as the swagger files describe them: library create / append with the append
position / flush; DFS create with `?resource=file`, append, flush). They test the steps' requests and logic, not
the real services. The SQL step runs against a recording DB-API connection: it proves the wiring (settings,
token credential, scripts in order, history), not T-SQL on a pool.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from deploy.endpoint import Endpoint
from deploy.steps.lake import LakeLocation, upload_release_files
from deploy.steps.package import build_wheel, chunks, upload_library
from deploy.steps.sql import run_migrations
from retail.settings import load_settings
from sql_pools.project import ScriptKind, project_scripts
from tests.deploy.test_deploy_fixtures import FAST
from tests.fakes.https import FakeHttpsServer, Request, Response
from tests.fakes.synapse import FakeCredential, token_for


class Libraries:
    """Workspace packages as the data plane's library operations treat them."""

    def __init__(self) -> None:
        self.files: dict[str, bytearray] = {}
        self.flushed: set[str] = set()
        self.log: list[tuple[str, str, str]] = []
        self.lose_next_append_answer = False

    def __call__(self, request: Request) -> Response:
        assert request.headers.get("Authorization") == f"Bearer {token_for('https://dev.azuresynapse.net/.default')}"
        parts = [p for p in request.path.split("/") if p]
        name = parts[1]
        comp = (request.query.get("comp") or [""])[0]
        self.log.append((request.method, "/".join(parts[2:]) or comp or "library", name))
        if request.method == "GET":
            return Response(200, {"name": name, "properties": {}}) if name in self.files else Response(
                404, {"error": {"code": "LibraryNotFound", "message": name}})
        if request.method == "DELETE":
            self.files.pop(name, None)
            self.flushed.discard(name)
            return Response(200, {"name": name})
        if request.method == "PUT" and comp == "appendblock":
            position = int(request.headers.get("x-ms-blob-condition-appendpos", "-1"))
            if position != len(self.files[name]):
                return Response(412, {"error": {"code": "AppendPositionConditionNotMet", "message": "position"}})
            self.files[name] += request.body
            if self.lose_next_append_answer:
                self.lose_next_append_answer = False
                return Response(503, {"error": {"code": "ServiceUnavailable", "message": "answer lost"}})
            return Response(201)
        if request.method == "PUT":
            self.files[name] = bytearray()
            return Response(200, {"name": name})
        if request.method == "POST" and parts[-1] == "flush":
            self.flushed.add(name)
            return Response(200, {"name": name})
        return Response(405)


@pytest.fixture
def libraries(tmp_path: Path, monkeypatch):
    handler = Libraries()
    with FakeHttpsServer(handler, tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.certificate))
        endpoint = Endpoint(server.url, FakeCredential(), **FAST)
        yield handler, endpoint
        endpoint.close()


def test_chunks_cover_the_file_in_order() -> None:
    assert chunks(b"abcdefg", 3) == [(0, b"abc"), (3, b"def"), (6, b"g")]
    assert chunks(b"", 3) == [(0, b"")]


def test_a_wheel_is_uploaded_in_chunks_and_flushed(libraries, tmp_path: Path) -> None:
    handler, endpoint = libraries
    wheel = tmp_path / "retail_synapse_platform-0.1.0-py3-none-any.whl"
    wheel.write_bytes(bytes(range(256)) * 40)  # 10 240 bytes
    upload = upload_library(endpoint, wheel, chunk_size=4096)
    assert (upload.status, upload.chunks, upload.size) == ("uploaded", 3, 10240)
    assert bytes(handler.files[wheel.name]) == wheel.read_bytes() and wheel.name in handler.flushed
    assert [step for _, step, _ in handler.log] == ["library", "library", "appendblock", "appendblock",
                                                    "appendblock", "flush"]


def test_a_package_already_there_is_kept_unless_replaced(libraries, tmp_path: Path) -> None:
    handler, endpoint = libraries
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"first")
    upload_library(endpoint, wheel)
    wheel.write_bytes(b"second")
    assert upload_library(endpoint, wheel).status == "exists"
    assert bytes(handler.files[wheel.name]) == b"first"
    assert upload_library(endpoint, wheel, replace=True).status == "replaced"
    assert bytes(handler.files[wheel.name]) == b"second"


def test_an_append_whose_answer_was_lost_is_not_appended_twice(libraries, tmp_path: Path) -> None:
    handler, endpoint = libraries
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"0123456789")
    handler.lose_next_append_answer = True
    upload_library(endpoint, wheel, chunk_size=4)
    assert bytes(handler.files[wheel.name]) == b"0123456789"


def test_the_project_wheel_holds_the_spark_code(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    assert wheel.name.startswith("retail_synapse_platform-") and wheel.suffix == ".whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "spark_pools/entry/stream.py" in names and "retail/settings.py" in names
    assert not any("__pycache__" in name for name in names)


class DataLake:
    """ADLS Gen2 files as the DFS REST API treats them."""

    def __init__(self) -> None:
        self.files: dict[str, bytearray] = {}
        self.flushed: dict[str, int] = {}

    def __call__(self, request: Request) -> Response:
        assert request.headers.get("Authorization") == f"Bearer {token_for('https://storage.azure.com/.default')}"
        assert request.headers.get("x-ms-version")
        path = request.path.lstrip("/")
        query = {key: values[0] for key, values in request.query.items()}
        if request.method == "PUT" and query.get("resource") == "file":
            if request.headers.get("If-None-Match") == "*" and path in self.files:
                return Response(409, {"error": {"code": "PathAlreadyExists", "message": path}})
            self.files[path] = bytearray()
            return Response(201)
        if request.method == "PATCH" and query.get("action") == "append":
            assert int(query["position"]) == len(self.files[path])
            self.files[path] += request.body
            return Response(202)
        if request.method == "PATCH" and query.get("action") == "flush":
            assert int(query["position"]) == len(self.files[path])
            self.flushed[path] = int(query["position"])
            return Response(200)
        return Response(405)


def test_entries_catalog_and_seeds_go_to_the_lake_and_seeds_are_never_overwritten(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    lake = DataLake()
    settings = load_settings("test")
    with FakeHttpsServer(lake, tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.certificate))
        first = upload_release_files(settings, FakeCredential(), endpoint=server.url)
        lake.files["landing/" + first.written[-1].split("/", 1)[1]][:] = b'{"watermark": "2026-05-01"}'
        second = upload_release_files(settings, FakeCredential(), endpoint=server.url)
    entry = Path(__file__).resolve().parents[2] / "spark_pools" / "entry" / "stream.py"
    assert bytes(lake.files["lake/_jobs/spark_pools/entry/stream.py"]) == entry.read_bytes()
    assert "landing/_control/source_catalog.json" in lake.flushed
    seeds = [path for path in first.written if "/_control/watermarks/" in path]
    assert seeds and second.kept == seeds  # the pipeline's state stays
    assert bytes(lake.files["landing/" + seeds[-1].split("/", 1)[1]]) == b'{"watermark": "2026-05-01"}'


def test_lake_locations_read_abfss_urls() -> None:
    location = LakeLocation.parse("abfss://lake@stretailtest.dfs.core.windows.net/sub/folder/")
    assert location == LakeLocation("stretailtest", "lake", "sub/folder")
    assert location.path("_jobs/x.py") == "sub/folder/_jobs/x.py"
    with pytest.raises(ValueError, match="not abfss"):
        LakeLocation.parse("https://stretailtest.blob.core.windows.net/lake")


class RecordingConnection:
    """A DB-API-like connection that records statements and holds an empty migration history."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.closed = False

    def execute(self, sql: str, *params: object) -> RecordingConnection:
        self.statements.append(sql)
        return self

    def fetchall(self) -> list[tuple]:
        return []

    def close(self) -> None:
        self.closed = True


def test_the_sql_step_migrates_the_environments_pool() -> None:
    connection, seen = RecordingConnection(), []

    def connect(endpoint: str, database: str, credential: object) -> RecordingConnection:
        seen.append((endpoint, database))
        return connection

    report = run_migrations(load_settings("test"), FakeCredential(), connect=connect)
    scripts = project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE))
    assert seen == [("synw-retail-test.sql.azuresynapse.net", "sqlpool_retail")]
    assert report.applied == [script.path.name for script in scripts]
    assert sum(s.startswith("INSERT INTO dbo.schema_migrations") for s in connection.statements) == len(scripts)
    assert connection.closed


def test_the_sql_step_refuses_the_local_warehouse() -> None:
    with pytest.raises(ValueError, match="retail warehouse build"):
        run_migrations(load_settings("local"), FakeCredential(), connect=lambda *a: RecordingConnection())
