"""One typed settings model for every environment (`local`, `dev`, `test`, `prod`).

Each environment is one TOML file in `retail/environments/`. Loading validates everything at once and fails
with the file and the dotted key of each problem, so a missing or malformed value never reaches a job.
Secrets are never values: only Key Vault references, environment-variable names, or (locally) a key the
platform generates into the untracked cache.
"""

from __future__ import annotations

import os
import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from retail.paths import PROJECT_ROOT

ENVIRONMENTS = ("local", "dev", "test", "prod")
ENVIRONMENTS_DIR = Path(__file__).resolve().parent / "environments"

_ABFSS = re.compile(r"^abfss://(?P<container>[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)@(?P<account>[a-z0-9]{3,24})"
                    r"\.dfs\.core\.windows\.net(?:/[^\s]*)?$")
# Shapes of credentials that must never be pasted into a settings file.
_CLEAR_SECRET = re.compile(r"(AccountKey=|SharedAccessKey=|SharedAccessSignature|[?&]sig=|Password=|"
                           r"client_secret|-----BEGIN)", re.IGNORECASE)
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class SettingsError(ValueError):
    """Raised when an environment file is missing, unreadable or invalid; names the file and each key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    LOCAL = "local"
    SYNAPSE = "synapse"


class SecretRef(_Strict):
    """Where a secret lives. Exactly one of the three; never the secret itself."""

    key_vault_secret: Name | None = None
    env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")] | None = None
    generated: Name | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("key_vault_secret", "env", "generated") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a secret reference names exactly one of key_vault_secret, env, generated")
        return self


class EnvironmentSection(_Strict):
    name: Literal["local", "dev", "test", "prod"]
    kind: Kind
    description: str = ""


class LakeSettings(_Strict):
    """Lake and landing zone roots: local folders (relative to the project) or ADLS Gen2 abfss URLs."""

    root: str
    landing: str

    @field_validator("root", "landing")
    @classmethod
    def _path_or_abfss(cls, value: str) -> str:
        if value.startswith("abfss://") and not _ABFSS.match(value):
            raise ValueError("expected abfss://<container>@<account>.dfs.core.windows.net[/path]")
        if "://" in value and not value.startswith("abfss://"):
            raise ValueError("expected a local folder or an abfss:// URL")
        return value.rstrip("/") or value

    def is_cloud(self) -> bool:
        return self.root.startswith("abfss://")


class SparkSettings(_Strict):
    """Local session sizing, and session-level confs applied on every environment (Synapse-only ones live in
    the Synapse environments' files, so the same code gets them only there)."""

    master: str = "local[*]"
    driver_memory: Annotated[str, Field(pattern=r"^(auto|\d+[mg])$")] = "auto"
    # "auto": two per core of the local master (spark_pools/session.py), or a fixed count.
    shuffle_partitions: Annotated[int, Field(ge=1, le=10_000)] | Literal["auto"] = "auto"
    pool: Name | None = None
    # Independent tables (bronze sources, silver entities of one level, gold marts) are written by this many
    # concurrent Spark jobs: on small data a job is mostly fixed latency, and a pool has cores to spare.
    parallel_jobs: Annotated[int, Field(ge=1, le=32)] = 4
    session_conf: dict[str, str] = Field(default_factory=dict)


class StreamingAuth(StrEnum):
    PLAINTEXT = "plaintext"  # a local broker on loopback
    EVENTHUBS_CONNECTION_STRING = "eventhubs-connection-string"  # SASL_SSL PLAIN, `$ConnectionString`
    EVENTHUBS_ENTRA = "eventhubs-entra"  # SASL_SSL OAUTHBEARER with the managed identity


class StreamingSettings(_Strict):
    bootstrap_servers: Annotated[str, Field(pattern=r"^[A-Za-z0-9.\-]+:\d{2,5}(,[A-Za-z0-9.\-]+:\d{2,5})*$")]
    auth: StreamingAuth
    connection_string: SecretRef | None = None
    topics: dict[Name, Name]
    # The streaming job: the real-time path's micro-batch interval; bronze's (not on that path: fewer, larger
    # commits); how long (by arrival time) an event id is remembered in state to drop a re-sent duplicate; and
    # the state's partitions (fixed by the query's first run); and the most events one micro-batch takes.
    trigger_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    bronze_trigger_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    dedup_watermark_minutes: Annotated[int, Field(ge=1, le=1440)] = 10
    state_partitions: Annotated[int, Field(ge=1, le=1000)] = 2
    max_events_per_batch: Annotated[int, Field(ge=1)] = 100_000  # back-pressure after a pause or a backlog

    @model_validator(mode="after")
    def _auth_consistent(self) -> Self:
        if self.auth is StreamingAuth.EVENTHUBS_CONNECTION_STRING and self.connection_string is None:
            raise ValueError("auth eventhubs-connection-string needs connection_string (a secret reference)")
        if self.auth is not StreamingAuth.EVENTHUBS_CONNECTION_STRING and self.connection_string is not None:
            raise ValueError(f"connection_string is only used with auth eventhubs-connection-string, not {self.auth}")
        if self.auth is not StreamingAuth.PLAINTEXT and not self.bootstrap_servers.endswith(
            ".servicebus.windows.net:9093"
        ):
            raise ValueError("Event Hubs' Kafka endpoint is <namespace>.servicebus.windows.net:9093")
        return self


class SqlPoolSettings(_Strict):
    """The serving warehouse: the embedded DuckDB file locally, a dedicated SQL pool in Azure."""

    engine: Literal["duckdb", "synapse"]
    endpoint: str = Field(min_length=1)
    database: Name
    # Rows a table is expected to hold in production: the linter and the advisor size distribution,
    # replication and partitions against these, not against the (small) local data.
    projected_rows: dict[Name, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _endpoint_shape(self) -> Self:
        if self.engine == "synapse" and not self.endpoint.endswith(".sql.azuresynapse.net"):
            raise ValueError("a dedicated SQL pool endpoint is <workspace>.sql.azuresynapse.net")
        return self


class SynapseSettings(_Strict):
    workspace: Name
    subscription_id: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")]
    resource_group: Name
    storage_account: Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")]

    @property
    def dev_endpoint(self) -> str:
        return f"https://{self.workspace}.dev.azuresynapse.net"


class PowerBISettings(_Strict):
    workspace: str = Field(min_length=1)
    workspace_id: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")]


# Artifact kinds the deployer writes (Synapse Studio's folder names); overrides address artifacts by these.
DEPLOYED_KINDS = ("linkedService", "credential", "dataset", "dataflow", "notebook", "sparkJobDefinition", "sqlscript",
                  "pipeline", "trigger")
NamePattern = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.*?\-\[\]!]+$")]


class OverrideSettings(_Strict):
    """One environment value written into artifacts before they are compared or published: every artifact of
    `type` whose name matches `name` (wildcards `*` `?`) gets `value` at the JSON path `path` (`$.a.b[0]`, `[*]`,
    `..key`). With `find`, only that text inside the string found there is replaced. `{section.key}` in a string
    value is the environment's own setting (`{synapse.storage_account}`); `{{` and `}}` are literal braces."""

    type: Literal[DEPLOYED_KINDS]  # type: ignore[valid-type]
    name: NamePattern
    path: Annotated[str, Field(pattern=r"^\$(\.|\[)")]
    value: JsonValue
    find: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("value")
    @classmethod
    def _not_empty(cls, value: JsonValue) -> JsonValue:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("is empty: the environment must set a value (an empty one would deploy nothing "
                             "or, worse, the Git default)")
        return value

    @model_validator(mode="after")
    def _find_replaces_text(self) -> Self:
        if self.find is not None and not isinstance(self.value, str):
            raise ValueError("with find, value is the replacement text and must be a string")
        return self


class DeploySettings(_Strict):
    """How `retail deploy` publishes the workspace to this environment (see deploy/README.md)."""

    overrides: list[OverrideSettings] = Field(default_factory=list)
    # Per-environment values that are not settings elsewhere (a webhook, an API's URL), for `{deploy.values.x}`.
    values: dict[Name, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    # Extra text that identifies this environment inside artifact values, on top of the names in its settings:
    # a release to another environment fails `validate` while any artifact still holds one.
    markers: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    start_triggers: list[NamePattern] = Field(default_factory=list)  # started after apply if they are not
    parallel: Annotated[int, Field(ge=1, le=32)] = 8
    # Long-running operations are polled this often (the SDK's default, 30 s, is what makes deploys take an hour).
    poll_interval_seconds: Annotated[float, Field(ge=1.0, le=2.0)] = 1.0


class Settings(_Strict):
    environment: EnvironmentSection
    lake: LakeSettings
    spark: SparkSettings = Field(default_factory=SparkSettings)
    streaming: StreamingSettings
    sql_pool: SqlPoolSettings
    secrets: dict[Name, SecretRef]
    key_vault: Name | None = None
    synapse: SynapseSettings | None = None
    powerbi: PowerBISettings | None = None
    deploy: DeploySettings = Field(default_factory=DeploySettings)

    @model_validator(mode="after")
    def _environment_rules(self) -> Self:
        problems = []
        if self.environment.kind is Kind.SYNAPSE:
            for section in ("key_vault", "synapse", "powerbi"):
                if getattr(self, section) is None:
                    problems.append(f"{section} is required for a Synapse environment")
            if not self.lake.is_cloud():
                problems.append("lake.root must be an abfss:// URL for a Synapse environment")
            if self.sql_pool.engine != "synapse":
                problems.append("sql_pool.engine must be synapse for a Synapse environment")
            if any(ref.generated for ref in self._all_secret_refs()):
                problems.append("generated secrets are for the local environment only; use key_vault_secret")
        if any(ref.key_vault_secret for ref in self._all_secret_refs()) and self.key_vault is None:
            problems.append("key_vault is required when a secret is a Key Vault reference")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _all_secret_refs(self) -> list[SecretRef]:
        refs = list(self.secrets.values())
        if self.streaming.connection_string is not None:
            refs.append(self.streaming.connection_string)
        return refs

    @property
    def name(self) -> str:
        return self.environment.name

    @property
    def is_local(self) -> bool:
        return self.environment.kind is Kind.LOCAL

    def local_path(self, value: str) -> Path:
        """A local folder setting as an absolute path (relative ones are relative to the project root)."""
        if value.startswith("abfss://"):
            raise SettingsError(f"{value} is a cloud path; this step needs a local folder")
        path = Path(value)
        return path if path.is_absolute() else PROJECT_ROOT / path

    def with_lake(self, root: str | Path, landing: str | Path) -> Settings:
        """The same settings pointed at other lake folders (tests and benchmarks use private folders)."""
        lake = LakeSettings(root=str(root), landing=str(landing))
        return self.model_copy(update={"lake": lake})

    def with_warehouse(self, path: str | Path) -> Settings:
        """The same settings with the local DuckDB warehouse in another file."""
        return self.model_copy(update={"sql_pool": self.sql_pool.model_copy(update={"endpoint": str(path)})})


def environment_file(env: str) -> Path:
    folder = Path(os.environ.get("RETAIL_SETTINGS_DIR", ENVIRONMENTS_DIR))
    return folder / f"{env}.toml"


def load_settings(env: str | None = None, *, path: Path | None = None) -> Settings:
    """Load and validate one environment; `env` defaults to $RETAIL_ENV, then `local`."""
    env = env or os.environ.get("RETAIL_ENV", "local")
    if path is None:
        if env not in ENVIRONMENTS:
            raise SettingsError(f"unknown environment {env!r}; expected one of {', '.join(ENVIRONMENTS)}")
        path = environment_file(env)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: environment file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    leaks = list(_clear_secrets(raw))
    if leaks:
        raise SettingsError(
            "\n".join(f"{path}: {key}: looks like a credential in clear text; use a Key Vault reference"
                      for key in leaks)
        )
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "(top level)"
            lines.append(f"{path}: {key}: {item['msg']}")
        raise SettingsError("\n".join(lines)) from None
    if path.stem in ENVIRONMENTS and settings.environment.name != path.stem:
        raise SettingsError(f"{path}: environment.name: is {settings.environment.name!r}, file is {path.stem!r}")
    return settings


def _clear_secrets(node: object, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        return [k for key, value in node.items() for k in _clear_secrets(value, f"{prefix}{key}.")]
    if isinstance(node, list):
        return [k for i, value in enumerate(node) for k in _clear_secrets(value, f"{prefix}{i}.")]
    return [prefix.rstrip(".")] if isinstance(node, str) and _CLEAR_SECRET.search(node) else []
