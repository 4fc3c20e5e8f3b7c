"""Hand-built `RunResults` for the export, report and browser tests (seeded, two currencies).

Loaded by path from the conftests of tests/unit/exports, tests/unit/report and tests/browser.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rel2rev.money import Money, allocate
from rel2rev.results.contracts import (
    BASELINE,
    INCREMENTAL_MODELS,
    AttributionBaseline,
    AttributionResults,
    ComparisonCell,
    CompetingRisks,
    CreditLine,
    CurvePoint,
    DataCounts,
    DealAttribution,
    DimensionTotal,
    Drivers,
    FunnelResults,
    FunnelRow,
    HazardRatio,
    IncidencePoint,
    ModelFailure,
    ModelHoldout,
    PipelineTotal,
    Relationship,
    RunHeadline,
    RunRecord,
    RunResults,
    RunStatus,
    SectionOutcome,
    SectionStatus,
    StageDelay,
    StageMoments,
    SurvivalCurve,
    SurvivalResults,
    UnattributedCredit,
    UnplacedRevenue,
)
from rel2rev.results.headline import headline_of
from rel2rev.results.reconciliation import (
    deal_attributions,
    incremental_shares,
    reconcile,
    unattributed_totals,
)
from rel2rev.spend import CostLine, months_between, returns_of

AS_OF = date(2026, 11, 20)
START = datetime(2025, 11, 20, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)
CHANNELS = ("linkedin", "email", "webinar", "meeting", "referral", "paid")
OWNERS = ("ana.lopez", "ben.okafor", "chen.wu", "dana.weiss")
MODELS = (
    "first",
    "last",
    "linear",
    "w_shaped",
    "markov",
    "shapley",
    "additive_hazard",
    "time_decay",
    "additive_hazard_incremental",
)
WEIRD = 'Spring "Launch" <b>&</b> 2026'
"""A campaign name full of HTML metacharacters: the report must escape it."""


def _deals(rng: random.Random) -> list[tuple[str, Money, datetime, dict[str, float]]]:
    deals = []
    for i in range(14):
        currency = "EUR" if i % 3 else "USD"
        amount = Money.of(Decimal(rng.randrange(500_00, 90_000_00)) / 100, currency)
        weights = {c: rng.random() for c in rng.sample(CHANNELS, rng.randint(1, 4))}
        deals.append((f"D{i:03d}", amount, END - timedelta(days=rng.randint(1, 300)), weights))
    # a deal whose amount cannot split evenly: largest-remainder rounding must keep the total
    deals.append(
        (
            "D999",
            Money.of("100.00", "EUR"),
            END - timedelta(days=3),
            dict.fromkeys(("email", "webinar", "paid"), 1.0),
        )
    )
    return deals


UNTOUCHED = ("D500", Money.of("2500.00", "EUR"), END - timedelta(days=9))
"""A won deal no full-credit model can credit: its committee had no touch in the lookback (the
incremental model credits it all to the baseline)."""
BASELINE_WEIGHT = 0.4
"""The baseline's weight in the incremental model's split, against the values' sum."""
FAILED = ("shapley_rate", "campaign")
"""A model that could not be fitted on one dimension: all its deals are unattributed."""


def _attribution(rng: random.Random) -> AttributionResults:
    lines: list[CreditLine] = []
    gaps: list[UnattributedCredit] = []
    deals = _deals(rng)
    won = [DealAttribution(deal_id=d, closed_at=c, amount=a) for d, a, c, _ in deals]
    won.append(DealAttribution(deal_id=UNTOUCHED[0], closed_at=UNTOUCHED[2], amount=UNTOUCHED[1]))
    for model in (*MODELS, FAILED[0]):
        for by in ("channel", "campaign"):
            if model in INCREMENTAL_MODELS:
                lines.append(
                    CreditLine(
                        deal_id=UNTOUCHED[0],
                        model=model,
                        by=by,
                        value=BASELINE,
                        share=1.0,
                        amount=UNTOUCHED[1],
                        closed_at=UNTOUCHED[2],
                    )
                )
                continue
            gaps.append(
                UnattributedCredit(
                    deal_id=UNTOUCHED[0],
                    model=model,
                    by=by,
                    reason="model_failed" if (model, by) == FAILED else "no_touch_in_lookback",
                    amount=UNTOUCHED[1],
                    closed_at=UNTOUCHED[2],
                )
            )
    gaps += [
        UnattributedCredit(
            deal_id=deal_id,
            model=FAILED[0],
            by=FAILED[1],
            reason="model_failed",
            amount=amount,
            closed_at=closed,
        )
        for deal_id, amount, closed, _ in deals
    ]
    for deal_id, amount, closed, weights in deals:
        for model in MODELS:
            skewed = {c: w ** (1 + MODELS.index(model) / 3) for c, w in weights.items()}
            campaigns = {WEIRD: 2.0, "q3-nurture": 1.0}
            if model in INCREMENTAL_MODELS:
                skewed[BASELINE] = BASELINE_WEIGHT * sum(skewed.values())
                campaigns[BASELINE] = BASELINE_WEIGHT * 3
            parts = allocate(amount, skewed)
            total = sum(skewed.values())
            lines += [
                CreditLine(
                    deal_id=deal_id,
                    model=model,
                    by="channel",
                    value=c,
                    share=skewed[c] / total,
                    amount=m,
                    closed_at=closed,
                )
                for c, m in parts.items()
            ]
            campaign = allocate(amount, campaigns)
            lines += [
                CreditLine(
                    deal_id=deal_id,
                    model=model,
                    by="campaign",
                    value=c,
                    share=campaigns[c] / sum(campaigns.values()),
                    amount=m,
                    closed_at=closed,
                )
                for c, m in campaign.items()
            ]
    totals: dict[tuple[str, str, str, str], list[Decimal | float]] = {}
    for line in lines:
        key = (line.model, line.by, line.value, line.amount.currency)
        acc = totals.setdefault(key, [Decimal(0), 0.0])
        acc[0] = Decimal(acc[0]) + line.amount.amount
        acc[1] = float(acc[1]) + line.share
    dimension_totals = [
        DimensionTotal(
            model=m,
            by=b,
            value=v,
            amount=Money.of(Decimal(a), cur),
            conversions=float(n),
            baseline=v == BASELINE,
        )
        for (m, b, v, cur), (a, n) in sorted(totals.items())
    ]
    conversions: dict[tuple[str, str], float] = {}
    for t in dimension_totals:
        conversions[(t.model, t.by)] = conversions.get((t.model, t.by), 0.0) + t.conversions
    comparison = [
        ComparisonCell(
            model=t.model,
            by=t.by,
            value=t.value,
            share=t.conversions / conversions[(t.model, t.by)],
        )
        for t in dimension_totals
        if t.amount.currency == "EUR"
    ]
    for deal_id, amount, closed, weights in deals:
        parts = allocate(amount, weights)
        lines += [
            CreditLine(
                deal_id=deal_id,
                model=FAILED[0],
                by="channel",
                value=c,
                share=weights[c] / sum(weights.values()),
                amount=m,
                closed_at=closed,
            )
            for c, m in parts.items()
        ]
    models = [*MODELS, FAILED[0]]
    won_money = [
        Money.of(sum((d.amount.amount for d in won if d.amount.currency == c), Decimal()), c)
        for c in ("EUR", "USD")
    ]
    return AttributionResults(
        models=models,
        dimensions=["channel", "campaign"],
        deals=won,
        lines=lines,
        unattributed=gaps,
        won=won_money,
        baseline=AttributionBaseline(
            rate=0.0391, low=0.0302, high=0.0487, journeys=1664, conversions=65
        ),
        incremental=incremental_shares(dimension_totals, won_money, models),
        won_deals=len(won),
        reconciliation=reconcile(
            deal_attributions(lines, gaps, won), models, ["channel", "campaign"]
        ),
        totals=dimension_totals,
        unattributed_totals=unattributed_totals(gaps),
        comparison=comparison,
        pipeline=[
            PipelineTotal(by="channel", value="email", amount=Money.of("4000.00", "EUR"), deals=2),
            PipelineTotal(by="channel", value="ads", amount=Money.of("1250.50", "USD"), deals=1),
        ],
        failures=[
            ModelFailure(
                model=FAILED[0],
                by=FAILED[1],
                reason="insufficient data: only one campaign on converting journeys",
            )
        ],
        holdout=[
            ModelHoldout(
                model="markov",
                log_loss=0.4213,
                auc=0.712,
                train_journeys=160,
                test_journeys=40,
                fraction=0.2,
                seed=0,
            ),
            ModelHoldout(
                model="shapley_rate",
                log_loss=0.4588,
                auc=None,
                train_journeys=160,
                test_journeys=40,
                fraction=0.2,
                seed=0,
            ),
            ModelHoldout(
                model="additive_hazard",
                fraction=0.2,
                seed=0,
                reason=f"insufficient data: {WEIRD} has too few conversions",
            ),
        ],
    )


def _km(rate: float, subjects: int, band: float) -> list[CurvePoint]:
    points = []
    for day in range(0, 181, 6):
        s = math.exp(-rate * day)
        points.append(
            CurvePoint(
                t_days=float(day),
                survival=s,
                lower=max(0.0, s - band),
                upper=min(1.0, s + band),
                at_risk=int(subjects * s),
            )
        )
    return points


def _survival() -> SurvivalResults:
    curves = []
    for ti, transition in enumerate(("capture_to_qualified", "qualified_to_lead", "lead_to_won")):
        unit = "account" if transition == "lead_to_won" else "relationship"
        curves.append(
            SurvivalCurve(
                transition=transition,
                unit=unit,
                subjects=400 - 100 * ti,
                events=220 - 60 * ti,
                censored=180 - 40 * ti,
                median_days=40.0 + 10 * ti,
                median_lower=33.0,
                median_upper=52.0,
                points=_km(0.02 - 0.004 * ti, 400, 0.04),
            )
        )
        for ci, channel in enumerate(CHANNELS[:3]):
            curves.append(
                SurvivalCurve(
                    transition=transition,
                    unit=unit,
                    by="channel",
                    segment=channel,
                    subjects=120 - 30 * ci,
                    events=60 - 25 * ci,
                    censored=60 - 5 * ci,
                    median_days=30.0 + 15 * ci,
                    points=_km(0.03 - 0.008 * ci, 100, 0.07),
                )
            )
    curves.append(
        SurvivalCurve(
            transition="capture_to_qualified",
            by="owner",
            segment="chen.wu",
            subjects=12,
            events=4,
            censored=8,
            points=_km(0.01, 12, 0.2),
        )
    )
    curves.append(
        SurvivalCurve(
            transition="lead_to_won",
            unit="account",
            by="owner",
            segment="dana.weiss",
            subjects=3,
            events=0,
            censored=3,
            insufficient="no events: every relationship is still open",
        )
    )
    drivers = [
        Drivers(
            transition="capture_to_qualified",
            clustered_by="account",
            clusters=150,
            subjects=400,
            events=220,
            concordance=0.71,
            ratios=[
                HazardRatio(
                    feature="inbound_replies", hazard_ratio=1.8, lower=1.4, upper=2.3, p_value=1e-5
                ),
                HazardRatio(feature="likes", hazard_ratio=1.02, lower=0.9, upper=1.15, p_value=0.7),
                HazardRatio(
                    feature="response_hours", hazard_ratio=0.7, lower=0.55, upper=0.9, p_value=0.004
                ),
            ],
            ph_violations=["likes"],
        ),
        Drivers(
            transition="lead_to_won",
            unit="account",
            insufficient="too few events (4) for 5 features",
        ),
    ]
    points = [
        IncidencePoint(
            outcome=o,
            t_days=float(d),
            incidence=k * (1 - math.exp(-d / 40)),
            lower=k * (1 - math.exp(-d / 40)) * 0.8,
            upper=min(1.0, k * (1 - math.exp(-d / 40)) * 1.2),
        )
        for o, k in (("won", 0.45), ("lost", 0.3))
        for d in range(0, 181, 10)
    ]
    competing = CompetingRisks(subjects=200, won=80, lost=55, censored=65, points=points)
    return SurvivalResults(curves=curves, drivers=drivers, competing=competing)


def _funnel(rng: random.Random) -> FunnelResults:
    rows = []
    for month in range(1, 13):
        cohort = f"2026-{month:02d}"
        for by, values in ((None, (None,)), ("channel", CHANNELS), ("owner", OWNERS)):
            for value in values:
                captured = rng.randint(30, 90) * (len(CHANNELS) if by is None else 1)
                qualified = captured * rng.randint(20, 45) // 100
                lead = qualified * rng.randint(30, 60) // 100
                opportunity = lead * rng.randint(40, 70) // 100
                won = opportunity * rng.randint(20, 50) // 100
                rows.append(
                    FunnelRow(
                        cohort=cohort,
                        by=by,
                        value=value,
                        captured=captured,
                        qualified=qualified,
                        lead=lead,
                        opportunity=opportunity,
                        won=won,
                        lost=opportunity - won,
                        revenue=[
                            Money.of(Decimal(won * 12_345) + Decimal("0.67"), "EUR"),
                            Money.of(Decimal(won * 999), "USD"),
                        ],
                        cost=[Money.of(Decimal("1500.05"), "EUR")],
                        vanity_interactions=captured * rng.randint(5, 15),
                        relationship_interactions=captured * rng.randint(1, 4),
                        signal_interactions=captured,
                    )
                )
    delays = [
        StageDelay(from_stage=a, to_stage=b, median_days=d, n=n)
        for a, b, d, n in (
            ("captured", "qualified", 21.5, 900),
            ("qualified", "lead", 12.0, 400),
            ("lead", "opportunity", 9.0, 200),
            ("opportunity", "won", 34.0, 60),
        )
    ]
    overall = [r for r in rows if r.by is None]
    unplaced = UnplacedRevenue(
        reason="captured_outside_period", deals=2, revenue=[Money.of("4321.09", "EUR")]
    )
    won = {
        c: sum((m.amount for r in overall for m in r.revenue if m.currency == c), Decimal())
        for c in ("EUR", "USD")
    }
    won["EUR"] += Decimal("4321.09")
    return FunnelResults(
        rows=rows,
        delays=delays,
        won=[Money.of(a, c) for c, a in won.items()],
        won_deals=sum(r.won for r in overall) // 3 + 2,
        unplaced=[unplaced],
    )


def _relationships(rng: random.Random) -> list[Relationship]:
    rels = []
    for i in range(40):
        captured = START + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86399))
        qualified = captured + timedelta(days=rng.randint(3, 40)) if i % 2 else None
        won = qualified + timedelta(days=rng.randint(20, 90)) if qualified and i % 4 == 1 else None
        rels.append(
            Relationship(
                contact_id=f"c{i:03d}",
                name=None if i % 7 == 0 else f"Contact {i} <Ltd & Co>",
                account_id=f"acct{i % 9}.example",
                owner=None if i % 11 == 0 else OWNERS[i % 4],
                stakeholder_type=("customer", "partner", "supplier", "employee")[i % 4],
                capture_channel=CHANNELS[i % len(CHANNELS)],
                score=rng.uniform(0, 30),
                qualified=qualified is not None,
                stages=StageMoments(
                    captured_at=captured,
                    qualified_at=qualified,
                    won_at=won,
                    lead_at=qualified + timedelta(days=5) if won and qualified else None,
                ),
                interactions=rng.randint(1, 60),
                inbound=rng.randint(0, 20),
                outbound=rng.randint(0, 20),
                median_response_hours=rng.uniform(0.2, 90) if i % 3 else None,
                revenue=[Money.of(Decimal(rng.randrange(1000, 99999_99)) / 100, "EUR")]
                if won and i % 8 == 1
                else [],
                deals_revenue=[
                    Money.of(Decimal(rng.randrange(1000, 99999_99)) / 100, "EUR"),
                    Money.of("0.01", "EUR"),
                ]
                if won
                else [],
            )
        )
    return rels


def sample_results(*, seed: int = 7, failed_attribution: bool = False) -> RunResults:
    """A complete, partial-free run (or one whose attribution section failed)."""
    rng = random.Random(seed)
    sections = [
        SectionOutcome(name=n, status=SectionStatus.OK, seconds=0.5 + i)
        for i, n in enumerate(
            (
                "qualification",
                "funnel",
                "survival",
                "drivers",
                "competing_risks",
                "relationships",
                "returns",
            )
        )
    ]
    reason = "Markov: no converting journeys in the window"
    sections.append(
        SectionOutcome(name="attribution", status=SectionStatus.FAILED, error=reason)
        if failed_attribution
        else SectionOutcome(name="attribution", status=SectionStatus.OK, seconds=2.25)
    )
    run = RunRecord(
        run_id="run_0123456789abcdef0123",
        workspace="acme",
        as_of=AS_OF,
        window_start=START,
        window_end=END,
        trigger="schedule",
        status=RunStatus.PARTIAL if failed_attribution else RunStatus.SUCCEEDED,
        created_at=END,
        started_at=END + timedelta(minutes=1),
        finished_at=END + timedelta(minutes=1, seconds=42.5),
        counts=DataCounts(
            contacts=1234, interactions=56789, leads=321, deals=120, won_deals=15, journeys=2345
        ),
        sections=sections,
        model_versions={"rel2rev": "0.1.0", "lifelines": "0.30.3"},
    )
    funnel = _funnel(rng)
    attribution = None if failed_attribution else _attribution(rng)
    returns = returns_of(run, _costs(rng, attribution), attribution, funnel)
    headline = headline_of(funnel, attribution, returns)
    return RunResults(
        run=run.model_copy(update={"headline": headline}),
        funnel=funnel,
        attribution=attribution,
        returns=returns,
        survival=_survival(),
        relationships=_relationships(rng),
        history=_history(run, headline),
    )


def _history(run: RunRecord, headline: RunHeadline) -> list[RunRecord]:
    """Two earlier weekly runs whose figures were 80% and 90% of this one's."""
    earlier = []
    for weeks, part in ((2, Decimal("0.8")), (1, Decimal("0.9"))):
        scaled = headline.model_copy(
            update={
                "captured": int(headline.captured * part),
                "qualified": int(headline.qualified * part),
                "won": [Money.rounded(m.amount * part, m.currency) for m in headline.won],
                "channels": [
                    c.model_copy(
                        update={"amount": Money.rounded(c.amount.amount * part, c.amount.currency)}
                    )
                    for c in headline.channels
                ],
            }
        )
        earlier.append(
            run.model_copy(
                update={
                    "run_id": f"run_earlier{weeks}",
                    "as_of": run.as_of - timedelta(weeks=weeks),
                    "headline": scaled,
                }
            )
        )
    return earlier


def _costs(rng: random.Random, attribution: AttributionResults | None) -> list[CostLine]:
    """A cost line per credited channel, month of the window and currency (one month left
    out for one channel, so its return is not covered), and a costed campaign."""
    channels = sorted(
        {
            (t.value, t.amount.currency)
            for t in (attribution.totals if attribution else [])
            if t.by == "channel" and not t.baseline
        }
    ) or [("email", "EUR")]
    lines = [
        CostLine(
            month=month,
            channel=channel,
            amount=Money.of(Decimal(rng.randrange(0, 500_000)) / 100, currency),
        )
        for i, (channel, currency) in enumerate(channels)
        for month in months_between(START, END - timedelta(microseconds=1))
        if not (i == 0 and month == f"{START:%Y-%m}")
    ]
    campaign = CostLine(
        month=f"{START:%Y-%m}",
        channel=channels[-1][0],
        campaign="spring-launch",
        amount=Money.of("1250.00", channels[-1][1]),
    )
    return [*lines, campaign]
