"""Fixtures for the export tests: a hand-built run with two currencies and a failed variant."""

from __future__ import annotations

import pytest
from run_samples import sample_results

from rel2rev.results.contracts import RunResults


@pytest.fixture(scope="session")
def results() -> RunResults:
    return sample_results()


@pytest.fixture(scope="session")
def failed_results() -> RunResults:
    return sample_results(failed_attribution=True)
