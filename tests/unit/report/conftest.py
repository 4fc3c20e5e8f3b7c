"""Fixtures for the report tests: the hand-built runs shared with the export tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from rel2rev.results.contracts import RunResults


def _samples() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "exports" / "run_samples.py"
    spec = importlib.util.spec_from_file_location("rel2rev_test_run_samples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


samples = _samples()


@pytest.fixture(scope="session")
def results() -> RunResults:
    return samples.sample_results()


@pytest.fixture(scope="session")
def failed_results() -> RunResults:
    return samples.sample_results(failed_attribution=True)
