"""Fixtures for the browser tests: chromium (installed when missing), a DevTools client, samples."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from devtools_pipe import DevTools, ensure_chromium


@pytest.fixture(scope="session")
def samples() -> ModuleType:
    """The hand-built runs shared with the export and report unit tests."""
    path = Path(__file__).resolve().parents[1] / "unit" / "exports" / "run_samples.py"
    spec = importlib.util.spec_from_file_location("rel2rev_browser_run_samples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture
def devtools(chromium: str, tmp_path: Path) -> Iterator[DevTools]:
    client = DevTools(chromium, tmp_path / "profile")
    try:
        yield client
    finally:
        client.close()
