"""`PUT`/`GET /v1/costs` and `GET /v1/returns` through the resolver, on moto: every answer is
checked against the committed openapi.json, errors included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rel2rev.money import Money
from rel2rev.results.contracts import (
    RunParameters,
    RunResults,
    RunStatus,
    SectionOutcome,
    SectionStatus,
    new_run,
)
from rel2rev.spend import CostLine, returns_of
from rel2rev.storage import costs
from rel2rev.storage.results import results_store

from .conftest import NOW, moto_results, sample_results
from .test_api_routes import call

ROOT = Path(__file__).resolve().parents[3]
LINES = [
    {"month": "2026-03", "channel": "Paid", "campaign": "spring", "amount": "4200.00",
     "currency": "EUR"},
    {"month": "2026-03", "channel": "webinar", "amount": "950.00", "currency": "EUR"},
    {"month": "2026-04", "channel": "paid", "campaign": None, "amount": "1200.50",
     "currency": "EUR"},
    {"month": "2026-04", "channel": "paid", "amount": "300", "currency": "USD"},
    {"month": "2026-05", "channel": "events", "amount": "120", "currency": "JPY"},
]  # fmt: skip


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
    return document


def conforms(method: str, path: str, status: int, body: Any) -> Any:
    """The body, after checking it against the committed document's schema of that answer."""
    operation = _document()["paths"][path][method.lower()]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": _document()["components"]})
    validator.validate(body)
    return body


def api(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = call(method, path, **kwargs)
    return status, conforms(method, path, status, body)


@pytest.fixture
def aws() -> Iterator[None]:
    with moto_results():
        costs.cost_store.cache_clear()
        yield
        costs.cost_store.cache_clear()


def test_put_then_get_round_trips_exactly_in_key_order(aws: None) -> None:
    status, body = api("PUT", "/v1/costs", body={"lines": LINES})
    assert status == 200
    assert body == {
        "stored": 5,
        "spend": [
            {"amount": "6350.50", "currency": "EUR"},
            {"amount": "120", "currency": "JPY"},
            {"amount": "300.00", "currency": "USD"},
        ],
    }
    status, body = api("GET", "/v1/costs")
    assert status == 200
    assert [(x["month"], x["channel"], x["campaign"], x["amount"], x["currency"])
            for x in body["lines"]] == [
        ("2026-03", "paid", "spring", "4200.00", "EUR"),
        ("2026-03", "webinar", None, "950.00", "EUR"),
        ("2026-04", "paid", None, "1200.50", "EUR"),
        ("2026-04", "paid", None, "300.00", "USD"),
        ("2026-05", "events", None, "120", "JPY"),
    ]  # fmt: skip


def test_a_line_sent_again_replaces_the_stored_one(aws: None) -> None:
    assert api("PUT", "/v1/costs", body={"lines": LINES})[0] == 200
    again = [{**LINES[0], "channel": "PAID", "amount": "4000.00"}]
    assert api("PUT", "/v1/costs", body={"lines": again}) == (
        200,
        {"stored": 1, "spend": [{"amount": "4000.00", "currency": "EUR"}]},
    )
    _, body = api("GET", "/v1/costs", query={"from": "2026-03", "to": "2026-03"})
    assert [(x["channel"], x["campaign"], x["amount"]) for x in body["lines"]] == [
        ("paid", "spring", "4000.00"),
        ("webinar", None, "950.00"),
    ]


def test_costs_are_the_workspaces_own(aws: None) -> None:
    assert api("PUT", "/v1/costs", body={"lines": LINES})[0] == 200
    assert api("GET", "/v1/costs", workspace="other") == (200, {"lines": []})
    assert call("GET", "/v1/costs", workspace=None)[0] == 401
    assert call("PUT", "/v1/costs", workspace=None, body={"lines": LINES})[0] == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-3"}, "from"),
        ({"to": "2026-13"}, "to"),
        ({"from": "2026-05", "to": "2026-04"}, "from"),
    ],
)
def test_bad_month_ranges_name_the_parameter(aws: None, query: dict[str, str], field: str) -> None:
    status, body = api("GET", "/v1/costs", query=query)
    assert status == 422
    assert [field] == [d["loc"][1] for d in body["error"]["details"]]


def line(**change: Any) -> dict[str, Any]:
    return {"month": "2026-03", "channel": "paid", "amount": "10.00", "currency": "EUR", **change}


@pytest.mark.parametrize(
    ("lines", "where", "says"),
    [
        ([line(month="2026-3")], ["body", "lines", 0, "month"], "pattern"),
        ([line(month="March 2026")], ["body", "lines", 0, "month"], "pattern"),
        ([line(amount="-5.00")], ["body", "lines", 0, "amount"], "cannot be negative"),
        ([line(amount="1e3")], ["body", "lines", 0, "amount"], "not a decimal string"),
        ([line(amount=10.5)], ["body", "lines", 0, "amount"], "valid string"),
        ([line(amount="10.005")], ["body", "lines", 0], "at most 2 decimals"),
        ([line(amount="10.5", currency="JPY")], ["body", "lines", 0], "at most 0 decimals"),
        ([line(currency="XYZ")], ["body", "lines", 0, "currency"], "unknown ISO 4217"),
        ([line(currency="eur")], ["body", "lines", 0, "currency"], "pattern"),
        ([line(channel="")], ["body", "lines", 0, "channel"], "at least 1"),
        ([line(cost="x")], ["body", "lines", 0, "cost"], "not permitted"),
        ([], ["body", "lines"], "at least 1"),
        ([line()] * 1001, ["body", "lines"], "at most 1000"),
    ],
)
def test_bad_lines_are_422_naming_the_field_and_store_nothing(
    aws: None, lines: list[dict[str, Any]], where: list[Any], says: str
) -> None:
    status, body = api("PUT", "/v1/costs", body={"lines": lines})
    assert status == 422
    details = body["error"]["details"]
    assert details[0]["loc"] == where
    assert says in details[0]["msg"]
    assert api("GET", "/v1/costs")[1] == {"lines": []}


def test_a_key_repeated_in_a_body_is_422_naming_both_lines(aws: None) -> None:
    lines = [line(), line(channel="webinar"), line(channel="PAID", amount="20.00")]
    status, body = api("PUT", "/v1/costs", body={"lines": lines})
    assert status == 422
    assert body["error"]["details"] == [
        {"loc": ["body", "lines", 2], "msg": "repeats lines[0] (2026-03, paid, (no campaign), EUR)"}
    ]
    assert "lines[2]" in body["error"]["message"]
    assert api("GET", "/v1/costs")[1] == {"lines": []}
    other_currency = [line(), line(currency="USD")]
    assert api("PUT", "/v1/costs", body={"lines": other_currency})[1]["stored"] == 2


def test_a_thousand_lines_are_stored_in_one_request(aws: None) -> None:
    lines = [line(campaign=f"c{i}", amount=f"{i}.00") for i in range(1000)]
    status, body = api("PUT", "/v1/costs", body={"lines": lines})
    assert (status, body["stored"]) == (200, 1000)
    assert body["spend"] == [{"amount": "499500.00", "currency": "EUR"}]
    assert len(api("GET", "/v1/costs")[1]["lines"]) == 1000


# --- GET /v1/returns ---------------------------------------------------------------------------

COSTS = [
    CostLine(month="2026-04", channel="email", amount=Money.of("25.00", "EUR")),
    CostLine(month="2026-04", channel="email", campaign="spring", amount=Money.of("5.00", "EUR")),
]


def _store(workspace: str, *, returns: bool = True, status: SectionStatus | None = None) -> str:
    """A succeeded run of `linear` and `first` with (or without) its returns section."""
    sample = sample_results(workspace)
    run = new_run(
        workspace, date(2026, 5, 31), RunParameters(models=("linear", "first")),
        trigger="cli", now=NOW,
    )  # fmt: skip
    sections = [SectionOutcome(name="returns", status=status, error="no costs")] if status else []
    run = run.model_copy(
        update={"status": RunStatus.SUCCEEDED, "finished_at": NOW, "sections": sections}
    )
    found = returns_of(run, COSTS, sample.attribution, sample.funnel) if returns else None
    results = RunResults(run=run, attribution=sample.attribution, returns=found)
    store = results_store()
    store.create_run(run)
    store.save_results(results)
    return run.run_id


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, str]]:
    with moto_results():
        yield {
            "acme": _store("acme"),
            "old": _store("old", returns=False),
            "failed": _store("failed", returns=False, status=SectionStatus.FAILED),
        }


def test_returns_of_the_latest_run_where_costs_cover_the_touches(runs: dict[str, str]) -> None:
    status, body = api("GET", "/v1/returns")
    assert status == 200
    assert body["run_id"] == runs["acme"]
    assert body["models"] == ["linear", "first"]
    assert (body["spend_from"], body["spend_to"], body["window_from"]) == (
        "2025-03", "2026-05", "2025-06",
    )  # fmt: skip
    assert body["cost_lines"] == 2
    assert body["spend"] == [{"amount": "30.00", "currency": "EUR"}]
    rows = {(r["model"], r["by"], r["value"], r["currency"]): r for r in body["returns"]}
    email = rows["linear", "channel", "email", "EUR"]
    assert email["spend"] == {"amount": "30.00", "currency": "EUR"}
    assert email["revenue"] == {"amount": "50.01", "currency": "EUR"}
    assert (email["roas"], email["roi"], email["missing_months"]) == ("1.6670", "0.6670", [])
    linkedin = rows["linear", "channel", "linkedin", "USD"]
    assert (linkedin["spend"], linkedin["roas"]) == (None, None)
    assert ("first", "campaign", "spring", "EUR") in rows


@pytest.mark.parametrize(
    ("query", "models", "dimensions"),
    [
        ({"model": "first"}, {"first"}, {"channel", "campaign"}),
        ({"by": "campaign"}, {"linear", "first"}, {"campaign"}),
        ({"model": "linear", "by": "channel"}, {"linear"}, {"channel"}),
    ],
)
def test_returns_filter_by_model_and_dimension(
    runs: dict[str, str], query: dict[str, str], models: set[str], dimensions: set[str]
) -> None:
    status, body = api("GET", "/v1/returns", query=query)
    assert status == 200
    assert {r["model"] for r in body["returns"]} == models
    assert {r["by"] for r in body["returns"]} == dimensions
    assert bool(body["qualified"]) == ("channel" in dimensions)


def test_a_model_the_run_did_not_compute_is_422_naming_what_exists(runs: dict[str, str]) -> None:
    status, body = api("GET", "/v1/returns", query={"model": "markov"})
    assert status == 422
    assert body["error"]["message"].endswith(
        "did not compute model 'markov'; it has: linear, first"
    )
    assert api("GET", "/v1/returns", query={"by": "planet"})[0] == 422


def test_a_run_without_returns_answers_like_other_sections(runs: dict[str, str]) -> None:
    status, body = api("GET", "/v1/returns", workspace="old")
    assert status == 404
    assert body["error"]["message"] == f"returns results not found in run {runs['old']!r}"
    status, body = api("GET", "/v1/returns", workspace="failed")
    assert status == 422
    assert body["error"] == {
        "code": "insufficient_data",
        "message": f"the returns section of run {runs['failed']} failed: no costs",
    }
    assert api("GET", "/v1/returns", query={"run_id": "run_nope"})[0] == 404
