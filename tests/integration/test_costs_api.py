"""Costs and returns over HTTP on the embedded stack: `PUT`/`GET /v1/costs` with a key, bad
input in the one error shape, `GET /v1/returns` after a run, and the API function's calls
allowed by its template policy (cost items only)."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
import requests
from stack_support import api_keys, with_world

from rel2rev.records import WorkspaceRecords
from rel2rev.simulate.world import WorldConfig, simulate_world
from rel2rev.spend import months_between
from rel2rev.storage.clients import dynamodb_table

pytestmark = pytest.mark.integration

WORKSPACE, OTHER = "spendco", "otherco"
NOW = datetime.now(UTC).replace(microsecond=0)
END = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
WINDOW_DAYS, LOOKBACK_DAYS = 120, 30


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    config = WorldConfig(seed=5, workspace=WORKSPACE, accounts=6, days=120, end=END)
    return simulate_world(config).records


@pytest.fixture(scope="module")
def stack(local_stack: Any, world: WorkspaceRecords) -> Any:
    return with_world(local_stack, world, now=NOW)


@pytest.fixture(scope="module")
def keys(stack: Any) -> dict[str, str]:
    return api_keys((WORKSPACE, OTHER), name="costs")


def api(stack: Any, method: str, path: str, key: str | None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.request(method, f"{stack.api_url}{path}", headers=headers, timeout=60, **kwargs)


def spend_months() -> list[str]:
    """The months a run as of END reads costs for: its lookback and its window."""
    window_end = END + timedelta(days=1)
    start = window_end - timedelta(days=WINDOW_DAYS + LOOKBACK_DAYS)
    return months_between(start, window_end - timedelta(microseconds=1))


@pytest.fixture(scope="module")
def costs(stack: Any, keys: dict[str, str], world: WorkspaceRecords) -> list[dict[str, str]]:
    """A line per channel the world touches, per currency its deals are in, per month of the
    spend period, stored by PUT."""
    channels = sorted({i.channel.lower() for i in world.interactions})
    currencies = sorted({d.amount.currency for d in world.deals if d.amount is not None})
    lines = [
        {"month": m, "channel": c, "amount": f"{100 + i}.00", "currency": currency}
        for m in spend_months()
        for i, c in enumerate(channels)
        for currency in currencies
    ]
    response = api(stack, "PUT", "/v1/costs", keys[WORKSPACE], json={"lines": lines})
    assert response.status_code == 200, response.text
    total = sum(Decimal(line["amount"]) for line in lines) / len(currencies)
    assert response.json() == {
        "stored": len(lines),
        "spend": [{"amount": f"{total:.2f}", "currency": c} for c in currencies],
    }
    return lines


def test_stored_costs_are_served_to_the_workspace_only(
    stack: Any, keys: dict[str, str], costs: list[dict[str, str]]
) -> None:
    first, last = spend_months()[1], spend_months()[2]
    got = api(stack, "GET", "/v1/costs", keys[WORKSPACE], params={"from": first, "to": last})
    assert got.status_code == 200
    expected = sorted(
        ({**line, "campaign": None} for line in costs if first <= line["month"] <= last),
        key=lambda line: (line["month"], line["channel"], line["currency"]),
    )
    assert got.json() == {"lines": expected}
    assert api(stack, "GET", "/v1/costs", keys[OTHER]).json() == {"lines": []}
    for path in ("/v1/costs", "/v1/returns"):
        assert api(stack, "GET", path, None).status_code == 401
        assert api(stack, "GET", path, "r2r_not-a-key").status_code == 401
    assert api(stack, "PUT", "/v1/costs", None, json={"lines": costs[:1]}).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"month": "2026/03"}, "month"),
        ({"amount": "-1.00"}, "amount"),
        ({"currency": "ABC"}, "currency"),
        ({"amount": 12.5}, "amount"),
    ],
)
def test_bad_lines_are_422_in_the_one_error_shape(
    stack: Any, keys: dict[str, str], change: dict[str, Any], field: str
) -> None:
    line = {"month": "2026-03", "channel": "paid", "amount": "1.00", "currency": "EUR", **change}
    response = api(stack, "PUT", "/v1/costs", keys[OTHER], json={"lines": [line]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["details"][0]["loc"][:4] == ["body", "lines", 0, field]


def test_too_many_or_repeated_lines_are_422(stack: Any, keys: dict[str, str]) -> None:
    line = {"month": "2026-03", "channel": "paid", "amount": "1.00", "currency": "EUR"}
    many = [{**line, "campaign": str(i)} for i in range(1001)]
    response = api(stack, "PUT", "/v1/costs", keys[OTHER], json={"lines": many})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "lines"]
    response = api(stack, "PUT", "/v1/costs", keys[OTHER], json={"lines": [line, line]})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"loc": ["body", "lines", 1], "msg": "repeats lines[0] (2026-03, paid, (no campaign), EUR)"}
    ]
    assert api(stack, "GET", "/v1/costs", keys[OTHER]).json() == {"lines": []}


@pytest.fixture(scope="module")
def run(stack: Any, keys: dict[str, str], costs: list[dict[str, str]]) -> dict[str, Any]:
    parameters = {"window_days": WINDOW_DAYS, "lookback_days": LOOKBACK_DAYS}
    body = {"as_of": END.date().isoformat(), "parameters": parameters}
    response = api(stack, "POST", "/v1/runs", keys[WORKSPACE], json=body)
    assert response.status_code == 202, response.text
    stack.drain(timeout=300)
    done = api(stack, "GET", f"/v1/runs/{response.json()['run_id']}", keys[WORKSPACE])
    record: dict[str, Any] = done.json()
    assert record["status"] == "succeeded", record
    return record


def test_returns_after_a_run_are_served_filtered(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    response = api(stack, "GET", "/v1/returns", keys[WORKSPACE])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == run["run_id"]
    assert (body["spend_from"], body["spend_to"]) == (spend_months()[0], spend_months()[-1])
    assert body["models"] == run["parameters"]["models"]
    assert {r["model"] for r in body["returns"]} == set(body["models"])
    linear = api(stack, "GET", "/v1/returns", keys[WORKSPACE],
                 params={"model": "linear", "by": "channel"}).json()  # fmt: skip
    assert linear["returns"]
    assert {(r["model"], r["by"]) for r in linear["returns"]} == {("linear", "channel")}
    assert api(stack, "GET", "/v1/returns", keys[OTHER]).status_code == 404


def test_returns_after_a_run_divide_revenue_by_the_costs_put(
    stack: Any, keys: dict[str, str], costs: list[dict[str, str]], run: dict[str, Any]
) -> None:
    response = api(stack, "GET", "/v1/returns", keys[WORKSPACE], params={"by": "channel"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cost_lines"] == len(costs)
    priced = [r for r in body["returns"] if Decimal(r["revenue"]["amount"]) > 0]
    assert priced
    for row in priced:
        spend, revenue = Decimal(row["spend"]["amount"]), Decimal(row["revenue"]["amount"])
        assert row["missing_months"] == [], "every month has a line"
        ratio = (revenue / spend).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
        assert Decimal(row["roas"]) == ratio


def _allowed(stack: Any, action: str, leading_keys: set[str]) -> bool:
    """Some Allow statement of ApiFunction's policy grants `action` on these partition keys."""
    (policy,) = stack.template.resources["ApiFunction"]["Properties"]["Policies"]
    for statement in policy["Statement"]:
        actions = statement["Action"]
        if statement["Effect"] != "Allow" or action not in (
            actions if isinstance(actions, list) else [actions]
        ):
            continue
        condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        patterns = condition.get("dynamodb:LeadingKeys")
        if patterns is None or all(
            any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in leading_keys
        ):
            return True
    return False


def _http_event(method: str, path: str, body: str | None, query: str = "") -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "requestId": "least-privilege",
            "stage": "$default",
            "authorizer": {"lambda": {"workspace": WORKSPACE}},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def test_the_api_function_calls_only_what_its_policy_allows(
    stack: Any, costs: list[dict[str, str]]
) -> None:
    calls: list[tuple[str, set[str]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        keys = {
            str(request[kind][part]["pk"]["S"])
            for requests_ in params.get("RequestItems", {}).values()
            for request in requests_
            for kind, part in (("PutRequest", "Item"), ("DeleteRequest", "Key"))
            if kind in request
        }
        calls.append((f"dynamodb:{model.name}", keys))

    client = dynamodb_table(stack.env["REL2REV_RESULTS_TABLE"]).meta.client
    # last, so it sees the AttributeValues boto3's resource layer built
    client.meta.events.register_last("before-parameter-build.dynamodb", record)
    try:
        body = '{"lines": [{"month": "2026-01", "channel": "x", "amount": "1", "currency": "EUR"}]}'
        for event, answers in (
            (_http_event("PUT", "/v1/costs", body), {200}),
            (_http_event("GET", "/v1/costs", None, "from=2026-01&to=2026-01"), {200}),
            (_http_event("GET", "/v1/returns", None), {200, 404}),  # 404: no run yet
        ):
            assert stack.invoke("ApiFunction", event)["statusCode"] in answers
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", record)
    assert {action for action, _ in calls} >= {"dynamodb:BatchWriteItem", "dynamodb:Query"}
    assert {k for _, keys in calls for k in keys} == {f"COSTS#{WORKSPACE}"}
    for action, leading in calls:
        assert _allowed(stack, action, leading), (action, leading)
