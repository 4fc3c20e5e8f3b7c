"""Which earlier runs a trend compares with, and the headline a run keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rel2rev.results.contracts import RunHeadline, RunParameters, RunRecord, RunStatus
from rel2rev.results.headline import TREND_RUNS, trend_runs

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def run(
    as_of: date,
    *,
    run_id: str | None = None,
    status: RunStatus = RunStatus.SUCCEEDED,
    window_days: int = 365,
    created: int = 0,
    headline: bool = True,
    workspace: str = "acme",
) -> RunRecord:
    return RunRecord(
        run_id=run_id or f"run_{as_of}_{created}",
        workspace=workspace,
        as_of=as_of,
        window_start=NOW - timedelta(days=window_days),
        window_end=NOW,
        parameters=RunParameters(window_days=window_days),
        status=status,
        created_at=NOW + timedelta(minutes=created),
        headline=RunHeadline(captured=1) if headline else None,
    )


def test_only_comparable_finished_earlier_runs_latest_per_day_oldest_first() -> None:
    this = run(date(2026, 11, 27))
    d1, d2 = date(2026, 11, 20), date(2026, 11, 13)
    earlier = [
        run(d1, created=1),
        run(d1, created=5, run_id="rerun"),  # the later run of the same as-of wins
        run(d2, status=RunStatus.PARTIAL),
        run(date(2026, 11, 6), status=RunStatus.FAILED),
        run(date(2026, 10, 30), window_days=90),  # another window length
        run(date(2026, 10, 23), headline=False),  # finished before headlines existed
        run(date(2026, 10, 16), workspace="other"),
        run(date(2026, 11, 27), run_id="same-day"),  # not before this run
    ]
    chosen = trend_runs(earlier, this)
    assert [(r.as_of, r.run_id) for r in chosen] == [(d2, f"run_{d2}_0"), (d1, "rerun")]


def test_at_most_the_latest_twelve() -> None:
    this = run(date(2026, 11, 27))
    earlier = [run(date(2026, 11, 27) - timedelta(weeks=w)) for w in range(1, 30)]
    chosen = trend_runs(earlier, this)
    assert len(chosen) == TREND_RUNS
    assert chosen[-1].as_of == date(2026, 11, 20)
    assert chosen == sorted(chosen, key=lambda r: r.as_of)
