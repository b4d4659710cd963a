"""Driver-side commits into an `abfss://` lake, as a Synapse pool makes them: delta-rs' own Azure client, with the
pool's storage token (a stand-in `notebookutils`), against a fake Blob Storage account at the HTTP level."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError
from pyspark.sql import SparkSession

from spark_pools import small_commits
from tests.fakes.blob_storage import FakeBlobStorage

TOKEN = "pool-storage-token"
LAKE = "abfss://lake@stretaildev.dfs.core.windows.net"
SCHEMA = pa.schema([("id", pa.int64()), ("month", pa.string()), ("amount", pa.float64())])


@dataclass
class Adls:
    storage: FakeBlobStorage
    audiences: list[str]  # what the pool's token service was asked for

    def create(self, name: str, rows: list[dict], partition: str | None = None) -> str:
        """A table at `silver/<name>` in the account, made with delta-rs: no Spark write reaches the fake (on a pool
        Spark creates the lake's tables; the commits under test follow)."""
        path = f"{LAKE}/silver/{name}"
        write_deltalake(path, pa.Table.from_pylist(rows, SCHEMA), partition_by=partition,
                        storage_options=small_commits.storage_options(path))
        return path


@pytest.fixture
def adls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Adls]:
    audiences: list[str] = []

    def get_token(audience: str) -> str:
        audiences.append(audience)
        return TOKEN

    pool = SimpleNamespace(mssparkutils=SimpleNamespace(credentials=SimpleNamespace(getToken=get_token)))
    monkeypatch.setitem(sys.modules, "notebookutils", pool)
    with FakeBlobStorage(TOKEN) as storage:
        # delta-rs' Azure client reads these from the environment: the fake's plain-HTTP endpoint for the account's.
        monkeypatch.setenv("AZURE_STORAGE_ENDPOINT", storage.endpoint)
        monkeypatch.setenv("AZURE_ALLOW_HTTP", "true")
        yield Adls(storage, audiences)


def test_an_abfss_path_is_reached_with_the_pools_storage_token(adls: Adls) -> None:
    assert small_commits.storage_options(f"{LAKE}/x") == {"bearer_token": TOKEN}
    assert adls.audiences == ["Storage"]
    assert small_commits.storage_options("/local/lake/x") == {}


def test_appends_are_committed_once_and_read_back(adls: Adls) -> None:
    path = adls.create("appended", [{"id": 1, "month": "2026-05", "amount": 1.5}])
    assert small_commits.append(path, [{"id": 2, "month": "2026-05", "amount": 2.5}], once=("bronze", 7))
    assert not small_commits.append(path, [{"id": 2, "month": "2026-05", "amount": 2.5}], once=("bronze", 7))
    assert sorted(r["id"] for r in small_commits.read_rows(path, ("id",))) == [1, 2]
    assert small_commits.row_count(path) == 2
    assert small_commits.column_range(path, "id") == (1, 2)
    # The log in the account: the creation and the one append; the repeated append committed nothing.
    log = adls.storage.names("lake", "silver/appended/_delta_log/")
    assert [name.rsplit("/", 1)[1] for name in log if name.endswith(".json")] == [f"{v:020d}.json" for v in (0, 1)]


def test_a_days_bronze_rows_appended_from_a_spark_frame_with_the_loads_constants(spark: SparkSession,
                                                                                 adls: Adls) -> None:
    """Bronze's driver append: the frame's rows, the columns it lacks from `constants`; none into a missing table."""
    path = adls.create("landed", [{"id": 1, "month": "2026-05", "amount": 1.0}])
    day = spark.createDataFrame([(2, 2.0), (3, 3.0)], "id long, amount double")
    assert small_commits.append_small(path, day, 2, small_commits.DRIVER_ROWS, constants={"month": "2026-06"})
    rows = {r["id"]: (r["month"], r["amount"]) for r in small_commits.read_rows(path, ("id", "month", "amount"))}
    assert rows == {1: ("2026-05", 1.0), 2: ("2026-06", 2.0), 3: ("2026-06", 3.0)}
    assert not small_commits.append_small(f"{LAKE}/silver/missing", day, 2, small_commits.DRIVER_ROWS,
                                          constants={"month": "2026-06"})
    assert adls.storage.names("lake", "silver/missing/") == []


def test_a_merge_and_a_partial_overwrite_from_a_spark_frame(spark: SparkSession, adls: Adls) -> None:
    path = adls.create("merged", [{"id": 1, "month": "2026-04", "amount": 1.0},
                                  {"id": 2, "month": "2026-05", "amount": 2.0}], partition="month")
    columns = "id long, month string, amount double"
    incoming = spark.createDataFrame([(2, "2026-05", 20.0), (3, "2026-05", 3.0)], columns)
    assert small_commits.merge_small(path, incoming, 2, "t.id = s.id AND t.month IN ('2026-05')",
                                     partition="month", values=["2026-05"])
    merged = {r["id"]: (r["month"], r["amount"]) for r in small_commits.read_rows(path, ("id", "month", "amount"))}
    assert merged == {1: ("2026-04", 1.0), 2: ("2026-05", 20.0), 3: ("2026-05", 3.0)}
    assert small_commits.touched_rows(path, "month", ["2026-05"]) == 2

    replacement = spark.createDataFrame([(4, "2026-05", 4.0)], columns)
    assert small_commits.overwrite_small(path, replacement, '{"built_from": 1}', "month = '2026-05'", "month",
                                         ["2026-05"])
    rows = {r["id"]: r["month"] for r in small_commits.read_rows(path, ("id", "month"))}
    assert rows == {1: "2026-04", 4: "2026-05"}
    assert small_commits.partition_values(path, "month") == {"2026-04", "2026-05"}
    assert small_commits.table(path).history(1)[0]["userMetadata"] == '{"built_from": 1}'


def test_a_merge_from_a_stale_read_fails_instead_of_writing_over_a_concurrent_commit(adls: Adls) -> None:
    """Two writers read version 0; the second's MERGE finds version 1 committed meanwhile and stops loudly (the
    caller re-runs it), leaving the first commit's rows as they are."""
    path = adls.create("raced", [{"id": 1, "month": "2026-05", "amount": 1.0}])
    first, second = small_commits.table(path), small_commits.table(path)

    def merge(table: DeltaTable, row: dict) -> None:
        table.merge(pa.Table.from_pylist([row], SCHEMA), "t.id = s.id", source_alias="s",
                    target_alias="t").when_not_matched_insert_all().execute()

    merge(first, {"id": 2, "month": "2026-05", "amount": 2.0})
    with pytest.raises(CommitFailedError, match="concurrent"):
        merge(second, {"id": 3, "month": "2026-05", "amount": 3.0})
    assert small_commits.table(path).version() == 1
    assert sorted(r["id"] for r in small_commits.read_rows(path, ("id",))) == [1, 2]


def test_a_token_the_account_refuses_is_an_error(adls: Adls, monkeypatch: pytest.MonkeyPatch) -> None:
    path = adls.create("refused", [{"id": 1, "month": "2026-05", "amount": 1.0}])
    monkeypatch.setattr(sys.modules["notebookutils"].mssparkutils.credentials, "getToken", lambda _: "expired")
    with pytest.raises(OSError, match=r"(?i)403|auth|forbidden"):
        DeltaTable(path, storage_options=small_commits.storage_options(path)).version()
