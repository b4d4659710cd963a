"""The `real_workspace` marker: tests that read the committed workspace/ folder, which other work changes while the
suite runs. They run after everything else (`-m real_workspace` runs them alone, `-m "not real_workspace"` skips
them)."""

from __future__ import annotations

import pytest

MARKER = "real_workspace"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: validates the committed workspace/ folder; runs last")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker(MARKER) is not None)  # stable: the rest keep their order
