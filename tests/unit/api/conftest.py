"""Results table, exports bucket and runs queue on moto, built from template.yaml's resources."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from rel2rev.local.template import TemplateModel
from rel2rev.money import Money
from rel2rev.results.contracts import (
    AttributionResults,
    CommitteeMember,
    ComparisonCell,
    CreditLine,
    CurvePoint,
    DealAttribution,
    DealTouch,
    DealTouches,
    DimensionTotal,
    Drivers,
    FunnelResults,
    FunnelRow,
    Relationship,
    RunParameters,
    RunResults,
    RunStatus,
    SurvivalCurve,
    SurvivalResults,
    UnattributedCredit,
    new_run,
)
from rel2rev.results.reconciliation import deal_attributions, reconcile, unattributed_totals
from rel2rev.storage import api_keys, results

NOW = datetime(2026, 6, 2, 8, tzinfo=UTC)


def _reset() -> None:
    for factory in (
        results.results_store,
        results.run_requests,
        results.export_files,
        api_keys.api_key_store,
    ):
        factory.cache_clear()


@contextmanager
def moto_results() -> Iterator[dict[str, Any]]:
    """Moto with the template's ResultsTable, an exports bucket and the runs queue."""
    resources = TemplateModel().resources
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for key, value in {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "REL2REV_RESULTS_TABLE": "results",
            "REL2REV_EXPORTS_BUCKET": "exports",
            "POWERTOOLS_SERVICE_NAME": "rel2rev",
            "POWERTOOLS_METRICS_NAMESPACE": "rel2rev",
        }.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        props = resources["ResultsTable"]["Properties"]
        boto3.client("dynamodb").create_table(
            TableName="results",
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
            BillingMode=props["BillingMode"],
        )
        boto3.client("s3").create_bucket(Bucket="exports")
        queue_url = boto3.client("sqs").create_queue(QueueName="runs")["QueueUrl"]
        patch.setenv("REL2REV_RUNS_QUEUE_URL", queue_url)
        _reset()
        try:
            yield {"queue_url": queue_url}
        finally:
            _reset()


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """A fresh results stack per test."""
    with moto_results() as stack:
        yield stack


@pytest.fixture(scope="module")
def aws_module() -> Iterator[dict[str, Any]]:
    """One results stack shared by a module's tests."""
    with moto_results() as stack:
        yield stack


def _line(deal: str, model: str, value: str, share: str, amount: str, cur: str,
          closed: datetime) -> CreditLine:  # fmt: skip
    return CreditLine(
        deal_id=deal,
        model=model,
        by="channel",
        value=value,
        share=float(Decimal(share)),
        amount=Money.of(amount, cur),
        closed_at=closed,
    )


MAY = datetime(2026, 5, 10, tzinfo=UTC)
APRIL = datetime(2026, 4, 20, tzinfo=UTC)
LINES = [
    _line("d1", "linear", "email", "0.5", "50.01", "EUR", MAY),
    _line("d1", "linear", "linkedin", "0.5", "50.00", "EUR", MAY),
    _line("d1", "first", "email", "1", "100.01", "EUR", MAY),
    _line("d2", "linear", "linkedin", "1", "30.00", "USD", APRIL),
    _line("d2", "first", "linkedin", "1", "30.00", "USD", APRIL),
]
WON = [
    DealAttribution(
        deal_id="d1",
        closed_at=MAY,
        amount=Money.of("100.01", "EUR"),
        name="Acme renewal",
        account_id="acme.com",
        stage="closedwon",
        committee=[CommitteeMember(contact_id="c1", role="champion")],
        touches=DealTouches.of([DealTouch(at=APRIL, contact="c1", channel="email")]),
    ),
    DealAttribution(deal_id="d2", closed_at=APRIL, amount=Money.of("30.00", "USD")),
    DealAttribution(deal_id="d3", closed_at=MAY, amount=Money.of("20.00", "EUR")),
]
"""d3 was won with no touch in the lookback: no model credits it."""
GAPS = [
    UnattributedCredit(
        deal_id="d3",
        model=model,
        by="channel",
        reason="no_touch_in_lookback",
        amount=Money.of("20.00", "EUR"),
        closed_at=MAY,
    )
    for model in ("linear", "first")
]


def sample_results(workspace: str = "acme", status: RunStatus = RunStatus.SUCCEEDED) -> RunResults:
    """A small, hand-checkable run: two deals in two currencies, two models."""
    run = new_run(workspace, date(2026, 5, 31), RunParameters(), trigger="cli", now=NOW)
    run = run.model_copy(
        update={"status": status, "finished_at": NOW, "exports": ["report.html", "run.csv"]}
    )

    def row(cohort: str, by: str | None, value: str | None, captured: int, won: int,
            revenue: list[Money]) -> FunnelRow:  # fmt: skip
        return FunnelRow(
            cohort=cohort, by=by, value=value, captured=captured, qualified=captured // 2,  # type: ignore[arg-type]
            lead=won + 1, opportunity=won + 1, won=won, lost=1, revenue=revenue,
            cost=[Money.of("10.00", "EUR")], vanity_interactions=5, relationship_interactions=3,
        )  # fmt: skip

    funnel = FunnelResults(
        rows=[
            row("2026-04", None, None, 10, 1, [Money.of("30.00", "USD")]),
            row("2026-05", None, None, 6, 1, [Money.of("100.01", "EUR")]),
            row("2026-04", "channel", "linkedin", 10, 1, [Money.of("30.00", "USD")]),
            row("2026-05", "channel", "email", 6, 1, [Money.of("100.01", "EUR")]),
        ]
    )
    totals = [
        DimensionTotal(model="linear", by="channel", value="email",
                       amount=Money.of("50.01", "EUR"), conversions=0.5),
        DimensionTotal(model="linear", by="channel", value="linkedin",
                       amount=Money.of("50.00", "EUR"), conversions=0.5),
        DimensionTotal(model="linear", by="channel", value="linkedin",
                       amount=Money.of("30.00", "USD"), conversions=1.0),
        DimensionTotal(model="first", by="channel", value="email",
                       amount=Money.of("100.01", "EUR"), conversions=1.0),
        DimensionTotal(model="first", by="channel", value="linkedin",
                       amount=Money.of("30.00", "USD"), conversions=1.0),
    ]  # fmt: skip
    attribution = AttributionResults(
        models=["linear", "first"],
        dimensions=["channel"],
        deals=WON,
        lines=LINES,
        unattributed=GAPS,
        won=[Money.of("120.01", "EUR"), Money.of("30.00", "USD")],
        won_deals=3,
        reconciliation=reconcile(
            deal_attributions(LINES, GAPS, WON), ["linear", "first"], ["channel"]
        ),
        unattributed_totals=unattributed_totals(GAPS),
        totals=totals,
        comparison=[
            ComparisonCell(model="linear", by="channel", value="email", share=0.25),
            ComparisonCell(model="linear", by="channel", value="linkedin", share=0.75),
        ],
    )
    survival = SurvivalResults(
        curves=[
            SurvivalCurve(
                transition="lead_to_won", subjects=4, events=2, censored=2, median_days=12.0,
                points=[CurvePoint(t_days=0, survival=1.0, at_risk=4),
                        CurvePoint(t_days=12, survival=0.5, lower=0.1, upper=0.8, at_risk=2)],
            ),
            SurvivalCurve(transition="lead_to_won", by="channel", segment="email", subjects=2,
                          events=1, censored=1),
        ],
        drivers=[Drivers(transition="lead_to_won", insufficient="only 2 events")],
    )  # fmt: skip
    relationships = [
        Relationship(contact_id="c1", name="Ada", stakeholder_type="customer", interactions=0)
    ]
    return RunResults(
        run=run,
        funnel=funnel,
        attribution=attribution,
        survival=survival,
        relationships=relationships,
    )
