"""The project's code as a workspace package: notebooks and Spark job definitions import `spark_pools` (which
imports `retail`, `pipelines`, `sql_pools`) from a wheel installed on the pool, not from code pasted into cells.

The wheel is built from a copy of the packages in a temporary folder (`pip wheel --no-deps`, with build
isolation: the build never writes `build/` or `*.egg-info` into the working tree others are editing). It is
uploaded through the SDK's library operations: create, append in chunks of at most 4 MiB (each with the
expected append position, so a retried chunk cannot be appended twice), flush. Synapse pins a pool's packages
by file name and cannot replace a package a pool uses, so a wheel whose name is already there is left alone
unless `replace` is asked for: release a new version to change the code. Assigning the package to a pool is an
ARM change to the pool (azure-mgmt-synapse) and not done here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from deploy.constants import LIBRARY_CHUNK_BYTES
from deploy.endpoint import Endpoint
from retail.paths import PROJECT_ROOT

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")


class PackageError(RuntimeError):
    """The wheel could not be built."""


def project_packages(root: Path = PROJECT_ROOT) -> list[Path]:
    """The top-level package folders `pyproject.toml` ships (`[tool.setuptools.packages.find] include`)."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    names = sorted({pattern.rstrip("*").rstrip(".") for pattern in patterns})
    return [root / name for name in names if (root / name / "__init__.py").is_file()]


def build_wheel(output: Path, root: Path = PROJECT_ROOT) -> Path:
    """Build the project's wheel into `output` and return its path."""
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="retail-wheel-") as temp:
        source = Path(temp) / "project"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            if (root / name).is_file():
                shutil.copy2(root / name, source / name)
        for package in project_packages(root):
            shutil.copytree(package, source / package.name, ignore=_IGNORE)
        before = set(output.glob("*.whl"))
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(output),
                                 str(source)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PackageError(f"pip wheel failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    built = sorted(set(output.glob("*.whl")) - before) or sorted(output.glob("*.whl"))
    if not built:
        raise PackageError(f"pip wheel wrote no wheel into {output}")
    return max(built, key=lambda path: path.stat().st_mtime)


@dataclass(frozen=True)
class Upload:
    name: str
    status: str  # "uploaded", "replaced" or "exists"
    chunks: int = 0
    size: int = 0


def chunks(data: bytes, size: int = LIBRARY_CHUNK_BYTES) -> list[tuple[int, bytes]]:
    """(offset, bytes) pieces of at most `size` bytes, in order."""
    return [(offset, data[offset:offset + size]) for offset in range(0, len(data), size)] or [(0, b"")]


def upload_library(endpoint: Endpoint, wheel: Path, *, replace: bool = False,
                   chunk_size: int = LIBRARY_CHUNK_BYTES) -> Upload:
    """Upload `wheel` as a workspace package named by its file name."""
    library = endpoint.client.library
    name = wheel.name
    exists = _exists(endpoint, name)
    if exists and not replace:
        return Upload(name, "exists")
    if exists:
        endpoint.run(f"delete library {name}", lambda: library.begin_delete(name))
    data = wheel.read_bytes()
    endpoint.run(f"create library {name}", lambda: library.begin_create(name))
    pieces = chunks(data, chunk_size)
    for offset, piece in pieces:
        endpoint.run(f"append to library {name} at {offset}", _Append(library, name, piece, offset))
    endpoint.run(f"flush library {name}", lambda: library.begin_flush(name))
    return Upload(name, "replaced" if exists else "uploaded", len(pieces), len(data))


def _exists(endpoint: Endpoint, name: str) -> bool:
    def get() -> bool:
        try:
            endpoint.client.library.get(name)
            return True
        except ResourceNotFoundError:
            return False

    return endpoint.run(f"read library {name}", get)


@dataclass
class _Append:
    """One chunk's append, as an operation `Endpoint.run` may repeat. On a repeat, 412
    (AppendPositionConditionNotMet) means the earlier attempt's chunk landed and only its response was lost."""

    library: Any
    name: str
    piece: bytes
    offset: int
    attempts: int = 0

    def __call__(self) -> None:
        self.attempts += 1
        try:  # no SDK-level retry here: a repeat must be counted to read its 412 right
            self.library.append("appendblock", self.name, self.piece, blob_condition_append_position=self.offset,
                                retry_total=0)
        except HttpResponseError as error:
            if error.status_code != 412 or self.attempts == 1:
                raise
