from datetime import UTC, date, datetime

from rel2rev.results.contracts import (
    RunParameters,
    RunRecord,
    RunResults,
    SectionOutcome,
    SectionStatus,
    run_id_for,
)


def test_run_id_is_stable_and_depends_on_every_input() -> None:
    params = RunParameters()
    base = run_id_for("acme", date(2026, 1, 31), params)
    assert base == run_id_for("acme", date(2026, 1, 31), RunParameters())
    assert base != run_id_for("other", date(2026, 1, 31), params)
    assert base != run_id_for("acme", date(2026, 2, 1), params)
    assert base != run_id_for("acme", date(2026, 1, 31), RunParameters(lookback_days=30))


def test_results_round_trip_through_json() -> None:
    now = datetime(2026, 1, 31, 6, tzinfo=UTC)
    record = RunRecord(
        run_id="run_x",
        workspace="acme",
        as_of=date(2026, 1, 31),
        window_start=now,
        window_end=now,
        created_at=now,
        started_at=now,
        finished_at=now,
        sections=[SectionOutcome(name="funnel", status=SectionStatus.FAILED, error="no data")],
    )
    results = RunResults(run=record)
    again = RunResults.model_validate_json(results.model_dump_json())
    assert again == results
    assert again.run.section("funnel") is not None
    assert again.run.section("attribution") is None
    assert again.run.seconds == 0.0


def test_parameters_reject_unknown_models() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="astrology"):
        RunParameters(models=("linear", "astrology"))
    with pytest.raises(ValidationError):
        RunParameters(models=())


def test_model_names_agree_with_the_attribution_library_and_the_api() -> None:
    from typing import get_args

    from rel2rev.api.routes import ModelName
    from rel2rev.attribution import ALL_MODELS as LIBRARY_MODELS
    from rel2rev.attribution.run import MODEL_ALIASES as LIBRARY_ALIASES
    from rel2rev.results.contracts import ALL_MODELS, MODEL_ALIASES

    assert tuple(LIBRARY_MODELS) == ALL_MODELS
    assert LIBRARY_ALIASES == MODEL_ALIASES
    assert get_args(ModelName) == (*ALL_MODELS, *MODEL_ALIASES)


def test_attribution_results_stored_before_holdout_scores_still_load() -> None:
    from rel2rev.results.contracts import AttributionResults, ModelHoldout

    older = (
        '{"models": ["markov"], "dimensions": ["channel"], "lines": [], "totals": [], '
        '"comparison": [], "failures": []}'
    )
    assert AttributionResults.model_validate_json(older).holdout == []
    scored = AttributionResults(
        holdout=[
            ModelHoldout(
                model="markov",
                log_loss=0.4,
                auc=0.7,
                train_journeys=80,
                test_journeys=20,
                fraction=0.2,
                seed=0,
            ),
            ModelHoldout(model="shapley", fraction=0.2, seed=0, reason="insufficient data"),
        ]
    )
    assert AttributionResults.model_validate_json(scored.model_dump_json()) == scored


def test_incremental_shares_sit_beside_the_full_credit_ones() -> None:
    from rel2rev.attribution.baseline import BASELINE as LIBRARY_BASELINE
    from rel2rev.money import Money
    from rel2rev.results.contracts import BASELINE, DimensionTotal
    from rel2rev.results.reconciliation import incremental_shares

    assert BASELINE == LIBRARY_BASELINE

    def total(model: str, value: str, amount: str) -> DimensionTotal:
        return DimensionTotal(
            model=model, by="channel", value=value, amount=Money.of(amount, "EUR"), conversions=1
        )

    totals = [
        total("additive_hazard", "email", "150.00"),
        total("additive_hazard", "webinar", "50.00"),
        total("additive_hazard_incremental", "email", "90.00"),
        total("additive_hazard_incremental", BASELINE, "110.00"),
        total("shapley_incremental", "email", "20.00"),
    ]
    won = [Money.of("200.00", "EUR")]
    shares = incremental_shares(totals, won, ["additive_hazard_incremental", "shapley_incremental"])
    found = {(s.model, s.value): (s.incremental, s.full, s.baseline) for s in shares}
    assert found == {
        ("additive_hazard_incremental", BASELINE): (0.55, None, True),
        ("additive_hazard_incremental", "email"): (0.45, 0.75, False),
        ("additive_hazard_incremental", "webinar"): (0.0, 0.25, False),  # full credit only
        ("shapley_incremental", "email"): (0.1, None, False),  # shapley_rate did not run
    }
    assert incremental_shares(totals, won, ["additive_hazard"]) == []


def test_headline_credit_chooses_the_model_headlines_open_on() -> None:
    from rel2rev.results.headline import trend_model

    assert RunParameters().headline_credit == "full"
    models = ["linear", "markov", "shapley_incremental", "additive_hazard_incremental"]
    assert trend_model(models) == "markov"
    assert trend_model(models, "incremental") == "shapley_incremental"
    assert trend_model(["linear"], "incremental") == "linear"
