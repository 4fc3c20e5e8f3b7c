"""Words, constants and small helpers every section of the report shares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report.tables import note
from rel2rev.results.contracts import (
    FunnelResults,
    FunnelRow,
    RunResults,
    SectionName,
)

STAGES = ("captured", "qualified", "lead", "opportunity", "won")
STAGE_WORDS = {
    "captured": "Captured (first interaction)",
    "qualified": "Qualified relationship",
    "lead": "Lead",
    "opportunity": "Opportunity",
    "won": "Won deal",
}
TRANSITION_WORDS = {
    "capture_to_qualified": (
        "From first interaction to qualified relationship",
        "first interaction",
    ),
    "qualified_to_lead": ("From qualified relationship to lead", "qualification"),
    "lead_to_won": ("From lead to won deal (per account)", "the account's first lead"),
}
UNIT_WORDS = {"relationship": "relationships", "account": "accounts"}
STAGE_FLOW_WORDS = {
    "captured": "capture",
    "qualified": "qualified",
    "lead": "lead",
    "opportunity": "opportunity",
    "won": "won",
}
"""Short stage names for the one-line funnel (capture → qualified → lead → opportunity → won)."""
STAGE_JUMP_WORDS = {
    "qualified": "qualified is a test on the conversation itself (a high enough engagement "
    "score while two-way), whereas a lead, an opportunity or a won deal is a CRM record linked "
    "to the person, and sales can create one without the conversation ever passing that test",
}
"""Why a stage can count more relationships than the stage before it, keyed by the earlier
stage (docs/definitions.md, "Funnel stages" and "Qualified relationship")."""
STAGE_JUMP_DEFAULT = "a relationship can reach a stage without passing through the one before it"
COUNT_WORDS = {
    "view": "views",
    "like": "likes received",
    "follow": "follows",
    "share": "shares",
    "comment": "comments",
    "post": "posts",
    "email": "e-mails",
    "email_reply": "e-mail replies",
    "dm": "direct messages",
    "form_submission": "form submissions",
    "ad_click": "ad clicks",
    "event_registered": "event sign-ups",
    "event_attended": "events attended",
    "call": "calls",
    "meeting": "meetings",
    "referral": "referrals",
    "other": "other interactions",
    "reaction": "reactions (likes, views, follows, shares)",
    "inbound": "messages from them",
    "outbound": "messages from us",
}
"""Interaction counts the driver models use (`log_count_<type>`), in plain words."""
FEATURE_WORDS = {
    "reciprocal": "two-way conversation (both sides have written)",
    "answered_before": "we had already answered them",
    "log_response_hours": "our response time (hours)",
    "response_hours": "our response time (hours)",
    "inbound_replies": "replies from them",
    "replies": "replies from them",
    "likes": "likes received",
    "meetings": "meetings",
}
"""Other driver features (Cox covariates) in plain words."""
SEGMENT_FEATURE_WORDS = {
    "channel": "captured via {}",
    "owner": "owned by {}",
    "stakeholder": "stakeholder type: {}",
    "campaign": "campaign: {}",
}
"""Prefixes of the 0/1 segment features (`channel=linkedin` → 'captured via linkedin')."""
LOG_PREFIXES = ("log_count_", "log_")
"""Feature-name prefixes of covariates that enter the model as log(1 + value)."""
MAX_CURVES = 5
"""Curves drawn on one time-to-convert chart (everyone plus the largest segments)."""
MODEL_WORDS = {
    "first": "First touch",
    "last": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path (Z)",
    "j_shaped": "J-shaped",
    "inverse_j": "Inverse J",
    "markov": "Markov",
    "shapley": "Shapley",
    "shapley_rate": "Shapley (rate game)",
    "additive_hazard": "Additive hazard",
    "shapley_incremental": "Shapley, incremental",
    "additive_hazard_incremental": "Additive hazard, incremental",
    "logistic": "Logistic",
    "logistic_incremental": "Logistic, incremental",
}
REASON_WORDS = {
    "no_linked_contact": "no contact linked to the deal",
    "no_touch_in_lookback": "no touch in the lookback before the close",
    "no_touches": "no touches in the data",
    "no_amount": "won without an amount",
    "model_failed": "the model could not be fitted",
}
UNPLACED_WORDS = {
    "no_captured_contact": "no linked contact had been captured",
    "captured_outside_period": "its primary relationship was captured before the window",
}
HEADLINE_MODELS = ("first", "last", "linear", "w_shaped", "markov", "shapley", "additive_hazard")
"""Models drawn side by side in the charts (all models are in the tables)."""
DATA_DRIVEN_MODELS = (
    "markov", "shapley", "shapley_rate", "additive_hazard", "logistic", "shapley_incremental",
    "additive_hazard_incremental", "logistic_incremental",
)  # fmt: skip
"""Models that learn their split from the journeys (the rest apply a fixed rule)."""
NEAR_ZERO = Decimal("0.01")
"""A value credited less than this part of a model's revenue gets next to nothing."""
SMALL_SUBJECTS, SMALL_EVENTS = 30, 10
MIN_DRAWN = 3
"""Segments with fewer events than this are listed, not drawn."""
UNSTABLE_SPAN = 1000.0
"""A hazard ratio whose 95% interval spans more than this factor is not plotted."""
MAX_DRIVERS = 15
TOP_VALUES = 10
TOP_CHARTED = 8


def model_name(model: str) -> str:
    """Human name of an attribution model."""
    return MODEL_WORDS.get(model, f.label(model))


def overall_funnel(funnel: FunnelResults) -> dict[str, int]:
    """Stage counts summed over cohorts for the overall (unsplit) rows."""
    rows = [r for r in funnel.rows if r.by is None]
    return {stage: sum(getattr(r, stage) for r in rows) for stage in (*STAGES, "lost")}


def revenue_by_currency(rows: Sequence[FunnelRow], *, cost: bool = False) -> dict[str, Decimal]:
    """Won revenue (or, with `cost`, known engagement cost) per currency over funnel rows."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        for money in row.cost if cost else row.revenue:
            sums[money.currency] += money.amount
    return dict(sorted(sums.items()))


def won_by_currency(funnel: FunnelResults) -> dict[str, Decimal]:
    """Every deal won in the window, per currency (the figure all others tie out to)."""
    return {m.currency: m.amount for m in sorted(funnel.won, key=lambda m: m.currency)}


def unavailable(results: RunResults, section_name: SectionName, what: str) -> str:
    """The note shown in place of a section that did not run, with the reason when known."""
    outcome = results.run.section(section_name)
    reason = outcome.error if outcome and outcome.error else "the run did not produce it"
    return note(f"{what} is not available for this run: {reason}.", kind="warning")


def revenue_text(amounts: Sequence[Money]) -> str:
    """Amounts summed per currency, as text ("—" when there are none)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for m in amounts:
        sums[m.currency] += m.amount
    return ", ".join(f.money(a, c) for c, a in sorted(sums.items())) or "—"
