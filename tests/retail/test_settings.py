from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from retail.settings import ENVIRONMENTS, ENVIRONMENTS_DIR, Kind, SettingsError, StreamingAuth, load_settings


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def _local_text() -> str:
    return (ENVIRONMENTS_DIR / "local.toml").read_text()


def _dev_text() -> str:
    return (ENVIRONMENTS_DIR / "dev.toml").read_text()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_file_loads(env: str) -> None:
    settings = load_settings(env)
    assert settings.name == env
    assert settings.is_local == (env == "local")


def test_local_is_embedded_and_cloud_environments_point_at_azure() -> None:
    local = load_settings("local")
    assert local.environment.kind is Kind.LOCAL
    assert not local.lake.is_cloud()
    assert local.streaming.auth is StreamingAuth.PLAINTEXT
    assert local.sql_pool.engine == "duckdb"
    for env in ("dev", "test", "prod"):
        cloud = load_settings(env)
        assert cloud.lake.root.startswith("abfss://") and cloud.lake.root.endswith(".dfs.core.windows.net")
        assert cloud.streaming.bootstrap_servers.endswith(".servicebus.windows.net:9093")
        assert cloud.sql_pool.endpoint.endswith(".sql.azuresynapse.net")
        assert cloud.secrets["pii_hash_key"].key_vault_secret == "pii-hash-key"
        assert cloud.synapse is not None and cloud.synapse.dev_endpoint.startswith("https://synw-retail-")


def test_environment_defaults_to_retail_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_ENV", "test")
    assert load_settings().name == "test"


def test_a_missing_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "local", _local_text().replace('root = "data/lake"', ""))
    with pytest.raises(SettingsError) as error:
        load_settings(path=path)
    assert f"{path}: lake.root: Field required" in str(error.value)


def test_a_malformed_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    text = _dev_text().replace("abfss://lake@stretaildev.dfs.core.windows.net", "abfss://lake@NotAnAccount")
    path = _write(tmp_path, "dev", text)
    with pytest.raises(SettingsError, match=r"dev\.toml: lake\.root: .*abfss://<container>@<account>"):
        load_settings(path=path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = _local_text().replace('bootstrap_servers = "127.0.0.1:9092"', 'bootstrap_servers = "no port"')
    text = re.sub(r"shuffle_partitions = .*", "shuffle_partitions = 0", text)
    with pytest.raises(SettingsError) as error:
        load_settings(path=_write(tmp_path, "local", text))
    message = str(error.value)
    assert "streaming.bootstrap_servers" in message and "spark.shuffle_partitions" in message


def test_shuffle_partitions_are_a_count_or_auto(tmp_path: Path) -> None:
    assert load_settings("local").spark.shuffle_partitions == "auto"
    text = re.sub(r"shuffle_partitions = .*", 'shuffle_partitions = "many"', _local_text())
    with pytest.raises(SettingsError, match=r"spark\.shuffle_partitions"):
        load_settings(path=_write(tmp_path, "local", text))


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    text = _local_text().replace("[lake]", "[lake]\nroot_typo = 'x'")
    with pytest.raises(SettingsError, match=r"lake\.root_typo: Extra inputs are not permitted"):
        load_settings(path=_write(tmp_path, "local", text))


def test_broken_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path=_write(tmp_path, "local", "[lake\nroot="))
    with pytest.raises(SettingsError, match="environment file not found"):
        load_settings(path=tmp_path / "nowhere.toml")
    with pytest.raises(SettingsError, match="unknown environment 'staging'"):
        load_settings("staging")


@pytest.mark.parametrize(
    "secret",
    [
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123==",
        "Endpoint=sb://evh.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=abc=",
        "Server=tcp:x.database.windows.net;Password=hunter2",
    ],
)
def test_a_credential_in_clear_text_is_refused(tmp_path: Path, secret: str) -> None:
    text = _local_text().replace('description = "Spark local mode', f'description = "{secret} Spark local mode')
    with pytest.raises(SettingsError, match=r"environment\.description: looks like a credential"):
        load_settings(path=_write(tmp_path, "local", text))


def test_shipped_files_hold_no_secret_values() -> None:
    for env in ENVIRONMENTS:
        raw = tomllib.loads((ENVIRONMENTS_DIR / f"{env}.toml").read_text())
        for ref in raw["secrets"].values():
            assert set(ref) <= {"key_vault_secret", "env", "generated"}


def test_synapse_environment_rules(tmp_path: Path) -> None:
    no_vault = _dev_text().replace('key_vault = "kv-retail-dev"', "")
    with pytest.raises(SettingsError, match="key_vault is required for a Synapse environment"):
        load_settings(path=_write(tmp_path, "dev", no_vault))
    generated = _dev_text().replace('{ key_vault_secret = "pii-hash-key" }', '{ generated = "pii" }')
    with pytest.raises(SettingsError, match="generated secrets are for the local environment only"):
        load_settings(path=_write(tmp_path, "dev", generated))
    local_lake = _dev_text().replace('root = "abfss://lake@stretaildev.dfs.core.windows.net"', 'root = "data/lake"')
    with pytest.raises(SettingsError, match=r"lake\.root must be an abfss:// URL"):
        load_settings(path=_write(tmp_path, "dev", local_lake))


def test_secret_reference_names_exactly_one_place(tmp_path: Path) -> None:
    text = _local_text().replace('{ generated = "pii-hash-key" }', '{ generated = "a", env = "B" }')
    with pytest.raises(SettingsError, match=r"secrets\.pii_hash_key: .*exactly one of"):
        load_settings(path=_write(tmp_path, "local", text))


def test_event_hubs_connection_string_auth_needs_a_reference(tmp_path: Path) -> None:
    reference = 'connection_string = { key_vault_secret = "eventhubs-connection-string" }\n'
    assert reference in _dev_text()
    with pytest.raises(SettingsError, match="needs connection_string"):
        load_settings(path=_write(tmp_path, "dev", _dev_text().replace(reference, "")))
    text = _dev_text().replace(reference, 'connection_string = { key_vault_secret = "evh-conn" }\n')
    settings = load_settings(path=_write(tmp_path, "dev", text))
    assert settings.streaming.connection_string is not None
    assert settings.streaming.connection_string.key_vault_secret == "evh-conn"


def test_file_name_and_environment_name_must_agree(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"environment\.name: is 'local', file is 'prod'"):
        load_settings(path=_write(tmp_path, "prod", _local_text()))


def test_settings_dir_can_be_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "local", _local_text().replace('landing = "data/landing"', 'landing = "elsewhere"'))
    monkeypatch.setenv("RETAIL_SETTINGS_DIR", str(tmp_path))
    assert load_settings("local").lake.landing == "elsewhere"


def test_local_paths_resolve_against_the_project(project_root: Path) -> None:
    settings = load_settings("local")
    assert settings.local_path(settings.lake.root) == project_root / "data" / "lake"
    with pytest.raises(SettingsError, match="cloud path"):
        settings.local_path("abfss://lake@account.dfs.core.windows.net")
    moved = settings.with_lake("/tmp/a", "/tmp/b")
    assert (moved.lake.root, moved.lake.landing, settings.lake.root) == ("/tmp/a", "/tmp/b", "data/lake")
