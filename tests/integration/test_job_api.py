"""The job and the finance API end to end on the embedded stack, over HTTP.

A small simulated world arrives as signed generic webhooks; `POST /v1/runs` queues the job,
which runs through the template's queue event source; then every route is called with and
without the right key, every export is downloaded through its presigned URL and read back,
and finance totals reconcile to the cent.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests
from stack_support import api_keys, with_world

from rel2rev.cli import main as cli
from rel2rev.records import DealStatus, WorkspaceRecords
from rel2rev.simulate.world import WorldConfig, simulate_world
from rel2rev.storage import record_repository
from rel2rev.storage.results import media_type

pytestmark = pytest.mark.integration

WORKSPACE, OTHER = "finco", "otherco"
NOW = datetime.now(UTC).replace(microsecond=0)
END = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)


def _key(capsys: pytest.CaptureFixture[str], workspace: str) -> dict[str, Any]:
    assert cli(["keys", "create", "--workspace", workspace, "--json"]) == 0
    created: dict[str, Any] = json.loads(capsys.readouterr().out)
    return created


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    config = WorldConfig(seed=11, workspace=WORKSPACE, accounts=10, days=100, end=END)
    return simulate_world(config).records


@pytest.fixture(scope="module")
def stack(local_stack: Any, world: WorkspaceRecords) -> Any:
    return with_world(local_stack, world, now=NOW)


@pytest.fixture(scope="module")
def keys(stack: Any) -> dict[str, str]:
    return api_keys((WORKSPACE, OTHER), name="integration")


def api(stack: Any, method: str, path: str, key: str | None, **kwargs: Any) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return requests.request(method, f"{stack.api_url}{path}", headers=headers, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def run(stack: Any, keys: dict[str, str]) -> dict[str, Any]:
    body = {"as_of": END.date().isoformat()}
    response = api(stack, "POST", "/v1/runs", keys[WORKSPACE], json=body)
    assert response.status_code == 202, response.text
    queued = response.json()
    stack.drain(timeout=300)
    done = api(stack, "GET", f"/v1/runs/{queued['run_id']}", keys[WORKSPACE])
    assert done.status_code == 200
    record: dict[str, Any] = done.json()
    return record


def test_the_run_completes_every_section(run: dict[str, Any]) -> None:
    assert run["status"] == "succeeded", run
    assert {s["name"] for s in run["sections"]} >= {"attribution", "funnel", "exports"}
    assert run["counts"]["won_deals"] > 0
    assert run["exports"]


def test_posting_the_same_run_again_is_idempotent(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    again = api(stack, "POST", "/v1/runs", keys[WORKSPACE], json={"as_of": run["as_of"]})
    assert again.status_code == 200
    assert again.json()["run_id"] == run["run_id"]
    assert again.json()["status"] == "succeeded"


ROUTES = [
    "/v1/funnel?by=channel&cohort=month",
    "/v1/attribution",
    "/v1/attribution?model=markov&by=channel",
    "/v1/attribution/deals",
    "/v1/attribution/deals/{deal_id}",
    "/v1/survival/capture_to_qualified?by=channel",
    "/v1/survival/drivers",
    "/v1/relationships/{contact_id}",
    "/v1/runs",
    "/v1/runs/{run_id}",
    "/v1/runs/{run_id}/exports",
]


@pytest.fixture(scope="module")
def ids(stack: Any, keys: dict[str, str], run: dict[str, Any]) -> dict[str, str]:
    """A real deal, contact and run of the workspace, to fill the routes' path parameters."""
    deals = api(stack, "GET", "/v1/attribution/deals", keys[WORKSPACE]).json()["deals"]
    stored = record_repository(stack.env["REL2REV_TABLE_NAME"]).records_in_window(
        WORKSPACE,
        datetime.fromisoformat(run["window_start"]),
        datetime.fromisoformat(run["window_end"]),
    )
    return {
        "deal_id": deals[0]["deal_id"],
        "contact_id": stored.interactions[-1].contact_id,
        "run_id": run["run_id"],
    }


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_needs_a_valid_key(
    stack: Any, keys: dict[str, str], ids: dict[str, str], route: str
) -> None:
    path = route.format(**ids)
    assert api(stack, "GET", path, keys[WORKSPACE]).status_code == 200
    assert api(stack, "GET", path, None).status_code == 401
    assert api(stack, "GET", path, "r2r_not-a-key").status_code == 401
    assert api(stack, "GET", path, keys[OTHER]).status_code in {200, 404}


def test_requesting_a_run_needs_a_valid_key(stack: Any, keys: dict[str, str]) -> None:
    assert api(stack, "POST", "/v1/runs", None, json={}).status_code == 401
    assert api(stack, "POST", "/v1/runs", "r2r_not-a-key", json={}).status_code == 401


def test_other_workspaces_see_nothing(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    other = keys[OTHER]
    assert api(stack, "GET", f"/v1/runs/{run['run_id']}", other).status_code == 404
    assert api(stack, "GET", f"/v1/runs/{run['run_id']}/exports", other).status_code == 404
    assert api(stack, "GET", "/v1/attribution", other).status_code == 404
    assert api(stack, "GET", "/v1/runs", other).json()["runs"] == []


def _all_deals(stack: Any, key: str) -> list[dict[str, Any]]:
    deals: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = api(stack, "GET", "/v1/attribution/deals", key, params=params).json()
        deals.extend(page["deals"])
        cursor = page["next_cursor"]
        if cursor is None:
            return deals


def test_finance_reconciles_to_the_cent(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    stored = record_repository(stack.env["REL2REV_TABLE_NAME"]).records_in_window(
        WORKSPACE, datetime.fromisoformat(run["window_start"]),
        datetime.fromisoformat(run["window_end"]),
    )  # fmt: skip
    booked = {
        d.deal_id: d.amount
        for d in stored.deals
        if d.status is DealStatus.WON and d.amount is not None
    }
    deals = _all_deals(stack, keys[WORKSPACE])
    assert deals
    assert len({d["deal_id"] for d in deals}) == len(deals)
    per_currency: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for deal in deals:
        amount = booked[deal["deal_id"]]
        assert amount is not None
        assert deal["amount"] == {"amount": str(amount.amount), "currency": amount.currency}
        by_model: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in deal["lines"]:
            by_model[line["model"], line["by"]] += Decimal(line["amount"]["amount"])
            if line["by"] == "channel":
                per_currency[line["model"], line["amount"]["currency"]] += Decimal(
                    line["amount"]["amount"]
                )
        assert set(by_model.values()) == {amount.amount}
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for deal in deals:
        expected[deal["amount"]["currency"]] += Decimal(deal["amount"]["amount"])
    totals = api(stack, "GET", "/v1/attribution", keys[WORKSPACE]).json()["totals"]
    from_totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for total in totals:
        from_totals[total["model"], total["amount"]["currency"]] += Decimal(
            total["amount"]["amount"]
        )
    for (model, currency), value in per_currency.items():
        assert value == expected[currency]
        assert from_totals[model, currency] == value


def test_deals_as_csv_match_json(stack: Any, keys: dict[str, str], run: dict[str, Any]) -> None:
    response = api(
        stack, "GET", "/v1/attribution/deals", keys[WORKSPACE],
        params={"model": "linear", "limit": "500"}, headers={"Accept": "text/csv"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    deals = _all_deals(stack, keys[WORKSPACE])
    linear = [x for d in deals for x in d["lines"] if x["model"] == "linear"]
    assert sum(Decimal(r["amount"]) for r in rows) == sum(
        Decimal(x["amount"]["amount"]) for x in linear
    )


def test_deal_and_relationship_routes(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    key = keys[WORKSPACE]
    deal = _all_deals(stack, key)[0]
    path = f"/v1/attribution/deals/{deal['deal_id']}"
    one = api(stack, "GET", path, key, params={"model": "first"})
    assert one.status_code == 200
    assert one.json()["deals"][0]["amount"] == deal["amount"]
    assert api(stack, "GET", "/v1/attribution/deals/no-such-deal", key).status_code == 404
    assert api(stack, "GET", path, keys[OTHER]).status_code == 404
    funnel = api(stack, "GET", "/v1/funnel", key).json()
    assert funnel["groups"][0]["captured"] > 0
    stored = record_repository(stack.env["REL2REV_TABLE_NAME"]).records_in_window(
        WORKSPACE, datetime.fromisoformat(run["window_start"]),
        datetime.fromisoformat(run["window_end"]),
    )  # fmt: skip
    contact = stored.interactions[-1].contact_id
    relationship = api(stack, "GET", f"/v1/relationships/{contact}", key)
    assert relationship.status_code == 200
    assert relationship.json()["relationship"]["timeline"]
    assert api(stack, "GET", "/v1/relationships/nobody", key).status_code == 404
    assert api(stack, "GET", "/v1/survival/capture_to_lunch", key).status_code == 422
    bad = api(stack, "GET", "/v1/funnel", key, params={"by": "planet"})
    assert bad.status_code == 422
    assert "by" in json.dumps(bad.json()["error"])


def test_every_export_downloads_and_reads_back(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    response = api(stack, "GET", f"/v1/runs/{run['run_id']}/exports", keys[WORKSPACE])
    assert response.status_code == 200
    links = response.json()["exports"]
    assert {link["name"] for link in links} == set(run["exports"])
    kinds = set()
    for link in links:
        got = requests.get(link["url"], timeout=60)
        assert got.status_code == 200, link["name"]
        assert got.headers["content-type"] == media_type(link["name"]), link["name"]
        if link["name"].endswith(".parquet"):
            table = pq.read_table(io.BytesIO(got.content))
            assert table.num_columns > 0
            kinds.add("parquet")
        elif link["name"].endswith(".csv"):
            header = next(csv.reader(io.StringIO(got.content.decode())))
            assert header
            kinds.add("csv")
        elif link["name"].endswith(".html"):
            assert b"<svg" in got.content
            assert got.headers["content-type"].startswith("text/html")
            kinds.add("html")
    assert kinds == {"parquet", "csv", "html"}


def test_revoked_keys_stop_working(
    stack: Any, run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    created = _key(capsys, WORKSPACE)
    assert api(stack, "GET", "/v1/runs", created["secret"]).status_code == 200
    assert cli(["keys", "revoke", "--workspace", WORKSPACE, "--key-id", created["key_id"]]) == 0
    assert api(stack, "GET", "/v1/runs", created["secret"]).status_code == 401
    assert cli(["keys", "list", "--workspace", WORKSPACE, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert all("secret" not in k for k in listed)
    assert any(k["key_id"] == created["key_id"] and k["revoked_at"] for k in listed)


def test_the_cli_run_is_the_same_run(
    stack: Any, run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["run", "--workspace", WORKSPACE, "--as-of", run["as_of"]]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["run_id"] == run["run_id"]
    assert record["status"] == "succeeded"
    assert (END - timedelta(days=1)).date().isoformat() < run["window_end"]


def test_the_daily_schedule_runs_every_registered_workspace(
    stack: Any, keys: dict[str, str], run: dict[str, Any]
) -> None:
    answer = stack.invoke("ModelJobFunction", {"trigger": "schedule"})
    runs = {r["workspace"]: r for r in answer["runs"]}
    assert set(runs) == {WORKSPACE, OTHER}
    assert runs[WORKSPACE]["status"] in {"succeeded", "partial"}
    assert runs[WORKSPACE]["run_id"] != run["run_id"]  # yesterday, not today
    listed = api(stack, "GET", "/v1/runs", keys[WORKSPACE]).json()["runs"]
    assert {r["run_id"] for r in listed} == {run["run_id"], runs[WORKSPACE]["run_id"]}
    assert {r["trigger"] for r in listed} == {"api", "schedule"}
    again = stack.invoke("ModelJobFunction", {"trigger": "schedule"})
    assert {r["run_id"] for r in again["runs"]} == {r["run_id"] for r in runs.values()}


def test_a_request_for_an_unknown_run_is_retried_then_dead_lettered(stack: Any) -> None:
    """The whole (single-record) batch fails, so SQS redelivers it and then dead-letters it."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    record = {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": json.dumps({"workspace": WORKSPACE, "run_id": "run_unknown"}),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:runs",
        "awsRegion": "us-east-1",
    }
    with pytest.raises(BatchProcessingError, match="run 'run_unknown' not found"):
        stack.invoke("ModelJobFunction", {"Records": [record]})
