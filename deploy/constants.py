"""Every number and name the deployer depends on, in one place, so a reviewer finds the contract with Synapse and
the release's limits without reading the code."""

from __future__ import annotations

from enum import IntEnum

API_VERSION = "2020-12-01"  # the Synapse data plane's stable REST version (the SDK's default too)
TOKEN_SCOPE = "https://dev.azuresynapse.net/.default"
STORAGE_SCOPE = "https://storage.azure.com/.default"
DFS_ENDPOINT_TEMPLATE = "https://{account}.dfs.core.windows.net"

# The environment whose values the Git files hold (the collaboration branch is Studio's dev workspace).
SOURCE_ENVIRONMENT = "dev"

# Concurrency and time.
DEFAULT_PARALLEL = 8  # writes in flight within one dependency level
MAX_PARALLEL = 32  # the most `--parallel` and deploy.parallel allow
POLL_INTERVAL_S = 1.0  # long-running operations; the SDK's default of 30 s is what makes deploys take an hour
OPERATION_TIMEOUT_S = 300.0  # one write, including its polling, before it counts as timed out (then retried)
READ_TIMEOUT_S = 60.0  # one HTTP response

# Retries. The SDK's policy retries 408/429/5xx and dropped connections (honouring Retry-After) per request; the
# deployer retries a whole operation (request plus polling) when that is not enough: a poll that times out, a
# connection dropped mid-poll, a status the SDK gave up on.
SDK_RETRY_TOTAL = 6
SDK_RETRY_BACKOFF_FACTOR = 0.8  # seconds; exponential: 0.8, 1.6, 3.2 ...
SDK_RETRY_BACKOFF_MAX = 30.0
OPERATION_ATTEMPTS = 4
OPERATION_BACKOFF_S = 2.0  # doubled after each failed attempt, plus jitter
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

# Workspace packages (libraries): the service takes appends of at most 4 MiB.
LIBRARY_CHUNK_BYTES = 4 * 1024 * 1024

# Where release files go in the lake (the Spark job definition's `file` points here).
JOBS_CONTAINER = "lake"
JOBS_FOLDER = "_jobs"

# Keys the service sets on every artifact it returns: never compared, never part of the hash.
SERVER_SET_TOP = frozenset({"id", "etag", "type"})
SERVER_SET_PROPERTIES = {
    "pipeline": frozenset({"lastPublishTime"}),
    "trigger": frozenset({"runtimeState"}),  # a trigger's state is managed by start/stop, not by its definition
}


class Exit(IntEnum):
    """The CLI's exit codes, which a release pipeline branches on."""

    DONE = 0
    FAILED = 1  # Azure refused or failed an operation
    INVALID = 2  # the input is wrong (settings, overrides, workspace files, filters): nothing was sent
