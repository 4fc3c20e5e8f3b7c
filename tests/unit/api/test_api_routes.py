"""Every finance API route through the resolver, on moto, scoped by the authorizer context."""

import csv
import io
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from rel2rev.api.routes import app
from rel2rev.results.contracts import RunStatus
from rel2rev.storage.results import results_store

from .conftest import sample_results


def call(
    method: str,
    path: str,
    *,
    workspace: str | None = "acme",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> tuple[int, dict[str, str], Any]:
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "queryStringParameters": query or None,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "02/Jun/2026:08:00:00 +0000",
            "timeEpoch": 0,
            **({"authorizer": {"lambda": {"workspace": workspace}}} if workspace else {}),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    response = app.resolve(event, None)  # type: ignore[arg-type]
    headers_out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    text = response["body"]
    parsed = json.loads(text) if "json" in headers_out.get("content-type", "") else text
    return response["statusCode"], headers_out, parsed


@pytest.fixture(scope="module")
def stored(aws_module: dict[str, Any]) -> dict[str, Any]:
    """One stored run of `acme`; tests that write use other workspaces."""
    results = sample_results()
    store = results_store()
    store.create_run(results.run)
    store.save_results(results)
    return {"run_id": results.run.run_id, **aws_module}


def test_no_workspace_in_context_is_401(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/runs", workspace=None)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_funnel_sums_cohorts_and_derives_rates(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/funnel")
    assert status == 200
    (group,) = body["groups"]
    assert group["captured"] == 16
    assert group["won"] == 2
    assert group["win_rate"] == pytest.approx(0.5)
    assert {(m["currency"], m["amount"]) for m in group["revenue"]} == {
        ("EUR", "100.01"),
        ("USD", "30.00"),
    }
    assert group["return_on_relationships"] == {"EUR": "5.0005"}


def test_funnel_by_channel_per_cohort_and_window(stored: dict[str, Any]) -> None:
    query = {"by": "channel", "cohort": "month", "from": "2026-05-01", "to": "2026-05-31"}
    status, _, body = call("GET", "/v1/funnel", query=query)
    assert status == 200
    assert [(g["cohort"], g["value"], g["captured"]) for g in body["groups"]] == [
        ("2026-05", "email", 6)
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"by": "planet"}, "by"),
        ({"from": "not-a-date"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"cohort": "week"}, "cohort"),
    ],
)
def test_bad_funnel_parameters_name_the_field(
    stored: dict[str, Any], query: dict[str, str], field: str
) -> None:
    status, _, body = call("GET", "/v1/funnel", query=query)
    assert status == 422
    assert field in json.dumps(body["error"]["details"])


def test_attribution_totals_per_currency_and_comparison(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution")
    assert status == 200
    assert body["comparison"]
    linear = {
        (t["value"], t["amount"]["currency"]): t["amount"]["amount"]
        for t in body["totals"]
        if t["model"] == "linear"
    }
    assert linear == {
        ("email", "EUR"): "50.01",
        ("linkedin", "EUR"): "50.00",
        ("linkedin", "USD"): "30.00",
    }
    status, _, one = call("GET", "/v1/attribution", query={"model": "first"})
    assert one["comparison"] is None
    assert {t["model"] for t in one["totals"]} == {"first"}


def _ties_out(body: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(model, currency) -> (won, credited, unattributed), after checking they add up."""
    out = {}
    for row in body["reconciliation"]:
        won, credited, missing = (
            Decimal(row[k]["amount"]) for k in ("won", "credited", "unattributed")
        )
        assert won == credited + missing
        out[(row["model"], row["currency"])] = (str(won), str(credited), str(missing))
    return out


def test_attribution_shows_what_no_model_credited_and_ties_out(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution")
    assert status == 200
    assert body["won"] == [
        {"amount": "120.01", "currency": "EUR"},
        {"amount": "30.00", "currency": "USD"},
    ]
    assert body["won_deals"] == 3
    assert {
        (g["model"], g["reason"], g["amount"]["amount"], g["deals"]) for g in body["unattributed"]
    } == {
        ("linear", "no_touch_in_lookback", "20.00", 1),
        ("first", "no_touch_in_lookback", "20.00", 1),
    }
    assert _ties_out(body)[("linear", "EUR")] == ("120.01", "100.01", "20.00")
    query = {"from": "2026-05-01", "to": "2026-05-31", "model": "first"}
    status, _, may = call("GET", "/v1/attribution", query=query)
    assert status == 200
    assert _ties_out(may) == {("first", "EUR"): ("120.01", "100.01", "20.00")}
    assert may["won_deals"] == 2


def test_shapley_simplified_is_an_alias_of_shapley(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution/deals", query={"model": "shapley_simplified"})
    assert status == 200
    status, _, body = call("GET", "/v1/attribution", query={"model": "shapley_simplified"})
    assert status == 422  # this stored run computed linear and first only
    assert "did not compute model 'shapley'" in body["error"]["message"]


def test_attribution_window_recomputes_from_deal_lines(stored: dict[str, Any]) -> None:
    query = {"model": "linear", "from": "2026-05-01", "to": "2026-05-31"}
    status, _, body = call("GET", "/v1/attribution", query=query)
    assert status == 200
    assert sorted((t["value"], t["amount"]["amount"]) for t in body["totals"]) == [
        ("email", "50.01"),
        ("linkedin", "50.00"),
    ]


def test_unknown_model_is_422(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution", query={"model": "astrology"})
    assert status == 422
    assert "model" in json.dumps(body["error"]["details"])


def test_deals_paginate_in_close_order_and_reconcile(stored: dict[str, Any]) -> None:
    seen = []
    cursor = None
    for _ in range(5):
        query = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        status, _headers, body = call("GET", "/v1/attribution/deals", query=query)
        assert status == 200
        seen.extend(body["deals"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [d["deal_id"] for d in seen] == ["d2", "d1", "d3"]
    for deal in seen:
        for model in ("linear", "first"):
            total = sum(
                Decimal(x["amount"]["amount"]) for x in deal["lines"] if x["model"] == model
            )
            gaps = [g for g in deal["unattributed"] if g["model"] == model]
            if gaps:
                assert total == 0
                assert [g["reason"] for g in gaps] == ["no_touch_in_lookback"]
            else:
                assert total == Decimal(deal["amount"]["amount"])


def test_deals_as_csv(stored: dict[str, Any]) -> None:
    status, headers, text = call(
        "GET", "/v1/attribution/deals", query={"model": "linear"}, headers={"accept": "text/csv"}
    )
    assert status == 200
    assert headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(Decimal(r["amount"]) for r in rows if r["currency"] == "EUR") == Decimal("120.01")
    assert {r["model"] for r in rows} == {"linear"}
    assert [(r["deal_id"], r["value"], r["unattributed"]) for r in rows if r["unattributed"]] == [
        ("d3", "", "no_touch_in_lookback")
    ]
    finance = {
        (r["deal_id"], r["deal_name"], r["account_id"], r["stage"], r["deal_amount"]) for r in rows
    }
    assert finance == {
        ("d1", "Acme renewal", "acme.com", "closedwon", "100.01"),
        ("d2", "", "", "", "30.00"),
        ("d3", "", "", "", "20.00"),
    }
    assert list(rows[0])[-4:] == ["deal_name", "account_id", "stage", "deal_amount"]


def test_a_forged_cursor_is_400(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution/deals", query={"cursor": "bm9wZQ"})
    assert status == 400
    assert body["error"]["details"][0]["loc"] == ["query", "cursor"]


def test_deal_by_id_and_other_workspaces_see_nothing(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/attribution/deals/d1", query={"model": "first"})
    assert status == 200
    assert body["deals"][0]["amount"] == {"amount": "100.01", "currency": "EUR"}
    deal = body["deals"][0]
    assert deal["committee"] == [{"contact_id": "c1", "role": "champion"}]
    assert [(t["contact"], t["channel"]) for t in deal["touches"]] == [("c1", "email")]
    assert (deal["name"], deal["account_id"], deal["stage"]) == (
        "Acme renewal", "acme.com", "closedwon",
    )  # fmt: skip
    assert call("GET", "/v1/attribution/deals/nope")[0] == 404
    assert call("GET", "/v1/attribution/deals/d1", workspace="other")[0] == 404
    run_id = stored["run_id"]
    assert call("GET", f"/v1/runs/{run_id}", workspace="other")[0] == 404


def test_survival_routes(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/survival/lead_to_won")
    assert status == 200
    assert [c["median_days"] for c in body["curves"]] == [12.0]
    status, _, body = call("GET", "/v1/survival/lead_to_won", query={"by": "channel"})
    assert [c["segment"] for c in body["curves"]] == ["email"]
    status, _, body = call("GET", "/v1/survival/drivers")
    assert status == 200
    assert body["drivers"][0]["insufficient"] == "only 2 events"
    assert call("GET", "/v1/survival/capture_to_lunch")[0] == 422


def test_relationship(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/relationships/c1")
    assert status == 200
    assert body["relationship"]["name"] == "Ada"
    assert call("GET", "/v1/relationships/c404")[0] == 404


def test_post_run_is_idempotent_and_queues_once(stored: dict[str, Any]) -> None:
    request = {"as_of": "2026-05-30", "parameters": {"lookback_days": 30}}
    status, _, first = call("POST", "/v1/runs", body=request, workspace="poster")
    assert status == 202
    assert first["status"] == "queued"
    status, _, again = call("POST", "/v1/runs", body=request, workspace="poster")
    assert status == 200
    assert again["run_id"] == first["run_id"]
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stored["queue_url"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert bodies == [{"workspace": "poster", "run_id": first["run_id"]}]


def test_one_requested_run_in_flight_per_workspace(stored: dict[str, Any]) -> None:
    """A burst of different runs queues one; the others are 409 naming it; once the job frees
    the slot, the next one queues."""
    from rel2rev.storage.results import results_store

    statuses = []
    for days in range(1, 9):
        request = {"as_of": f"2026-05-{days:02d}"}
        status, _, body = call("POST", "/v1/runs", body=request, workspace="burst")
        statuses.append(status)
        if days == 1:
            first = body["run_id"]
        else:
            assert body["error"]["code"] == "conflict"
            assert first in body["error"]["message"]
    assert statuses == [202] + [409] * 7
    status, _, again = call("POST", "/v1/runs", body={"as_of": "2026-05-01"}, workspace="burst")
    assert (status, again["run_id"]) == (200, first), "asking for the same run returns it"
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stored["queue_url"], MaxNumberOfMessages=10)
    queued = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert [m for m in queued if m["workspace"] == "burst"] == [
        {"workspace": "burst", "run_id": first}
    ]
    results_store().release_slot("burst", first)
    status, _, _ = call("POST", "/v1/runs", body={"as_of": "2026-05-02"}, workspace="burst")
    assert status == 202


def test_post_run_validation(stored: dict[str, Any]) -> None:
    status, _, body = call("POST", "/v1/runs", body={"as_of": "2999-01-01"})
    assert status == 422
    assert body["error"]["details"][0]["loc"] == ["body", "as_of"]
    status, _, body = call("POST", "/v1/runs", body={"parameters": {"lookback_days": 0}})
    assert status == 422
    assert "lookback_days" in json.dumps(body["error"]["details"])


def test_runs_list_get_and_exports(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/runs")
    assert status == 200
    assert [r["run_id"] for r in body["runs"]] == [stored["run_id"]]
    status, _, run = call("GET", f"/v1/runs/{stored['run_id']}")
    assert run["status"] == RunStatus.SUCCEEDED.value
    status, _, exports = call("GET", f"/v1/runs/{stored['run_id']}/exports")
    assert status == 200
    assert [e["name"] for e in exports["exports"]] == ["report.html", "run.csv"]
    assert f"exports/acme/{stored['run_id']}/run.csv" in exports["exports"][1]["url"]


def test_no_finished_run_is_404(stored: dict[str, Any]) -> None:
    status, _, body = call("GET", "/v1/funnel", workspace="newcomer")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_post_run_without_a_body_uses_defaults(stored: dict[str, Any]) -> None:
    status, _, body = call("POST", "/v1/runs", workspace="bodyless")
    assert status == 202, body
    assert body["parameters"]["lookback_days"] == 90


def test_a_failed_section_is_422_with_its_reason(stored: dict[str, Any]) -> None:
    from rel2rev.results.contracts import SectionOutcome, SectionStatus

    results = sample_results("partial", RunStatus.PARTIAL)
    failed = SectionOutcome(name="funnel", status=SectionStatus.FAILED, error="ValueError: empty")
    run = results.run.model_copy(update={"sections": [failed]})
    results = results.model_copy(update={"run": run, "funnel": None})
    results_store().create_run(run)
    results_store().save_results(results)
    status, _, body = call("GET", "/v1/funnel", workspace="partial")
    assert status == 422
    assert body["error"]["code"] == "insufficient_data"
    assert "ValueError: empty" in body["error"]["message"]
    assert call("GET", "/v1/attribution", workspace="partial")[0] == 200


def test_posting_a_failed_run_queues_it_again(stored: dict[str, Any]) -> None:
    status, _, first = call("POST", "/v1/runs", body={"as_of": "2026-05-01"}, workspace="retry")
    assert status == 202
    store = results_store()
    record = store.get_run("retry", first["run_id"])
    store.save_run(record.model_copy(update={"status": RunStatus.FAILED, "error": "boom"}))
    status, _, again = call("POST", "/v1/runs", body={"as_of": "2026-05-01"}, workspace="retry")
    assert status == 200
    assert again["status"] == "queued"
    assert again["error"] is None
    sqs = boto3.client("sqs")
    got = sqs.receive_message(QueueUrl=stored["queue_url"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in got.get("Messages", [])]
    assert bodies.count({"workspace": "retry", "run_id": first["run_id"]}) == 2


def test_the_served_run_is_the_latest_as_of_not_the_latest_created(
    stored: dict[str, Any],
) -> None:
    from datetime import date, timedelta

    from rel2rev.results.contracts import RunParameters, new_run

    from .conftest import NOW

    newer = sample_results("order")
    older_run = new_run("order", date(2026, 5, 1), RunParameters(), trigger="schedule",
                        now=NOW + timedelta(hours=1))  # fmt: skip
    older = newer.model_copy(
        update={"run": older_run.model_copy(update={"status": RunStatus.SUCCEEDED})}
    )
    for results in (newer, older):
        results_store().create_run(results.run)
        results_store().save_results(results)
    status, _, body = call("GET", "/v1/funnel", workspace="order")
    assert status == 200
    assert body["run_id"] == newer.run.run_id
    _, _, runs = call("GET", "/v1/runs", workspace="order")
    assert [r["as_of"] for r in runs["runs"]] == ["2026-05-31", "2026-05-01"]


def test_percent_encoded_ids_are_the_ids_they_encode(stored: dict[str, Any]) -> None:
    """Swagger UI sends `hubspot:9000009` as `hubspot%3A9000009`: both must work."""
    plain = call("GET", "/v1/attribution/deals/d1")
    encoded = call("GET", "/v1/attribution/deals/%64%31")
    assert plain[0] == encoded[0] == 200
    assert encoded[2] == plain[2]
    assert call("GET", "/v1/relationships/c%31")[2] == call("GET", "/v1/relationships/c1")[2]


def test_asking_for_what_the_run_did_not_compute_is_422_naming_what_exists(
    stored: dict[str, Any],
) -> None:
    status, _, body = call("GET", "/v1/attribution", query={"model": "markov"})
    assert status == 422
    assert "did not compute model 'markov'; it has: linear, first" in body["error"]["message"]
    assert body["error"]["details"][0]["loc"] == ["query", "model"]
    status, _, body = call("GET", "/v1/attribution", query={"by": "campaign"})
    assert status == 422
    assert "it has: channel" in body["error"]["message"]
    status, _, body = call("GET", "/v1/survival/lead_to_won", query={"by": "campaign"})
    assert status == 422
    assert body["error"]["message"].endswith("it has: channel, overall")
    status, _, body = call("GET", "/v1/survival/capture_to_qualified")
    assert status == 422
    assert body["error"]["message"].endswith("it has: none")


def test_every_error_the_function_sends_has_the_one_shape(stored: dict[str, Any]) -> None:
    answers = [
        call("GET", "/v1/attribution/deals", query={"cursor": "bm9wZQ"}),  # 400
        call("GET", "/v1/funnel", workspace=None),  # 401
        call("GET", "/v1/attribution/deals/nope"),  # 404
        call("GET", "/v1/no/such/route"),  # 404, no route
        call("GET", "/v1/attribution", query={"by": "weather"}),  # 422
    ]
    assert [status for status, _, _ in answers] == [400, 401, 404, 404, 422]
    for _, headers, body in answers:
        assert headers["content-type"] == "application/json"
        assert set(body) == {"error"}
        assert {"code", "message"} <= set(body["error"])
    assert answers[3][2]["error"]["message"] == "no route GET /v1/no/such/route"
