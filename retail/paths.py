"""Where the project keeps its local, never-committed state (jar cache, demo output, broker logs)."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    """Project-local cache for downloaded jars and generated keys; `RETAIL_CACHE_DIR` moves it."""
    return Path(os.environ.get("RETAIL_CACHE_DIR", PROJECT_ROOT / ".cache"))
