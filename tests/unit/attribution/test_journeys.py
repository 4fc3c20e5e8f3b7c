"""Building journeys from stored records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rel2rev.attribution import build_journeys
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COMMON = {"workspace": "w", "source": "generic", "updated_at": T0}


def touch(
    i: str, contact: str, day: float, channel: str, account: str | None = None
) -> Interaction:
    return Interaction(
        **COMMON,
        interaction_id=i,
        contact_id=contact,
        account_id=account,
        type=InteractionType.EMAIL,
        direction=Direction.OUTBOUND,
        channel=channel,
        occurred_at=T0 + timedelta(days=day),
        campaign=f"camp-{channel}",
        owner="olivia",
    )


def records() -> WorkspaceRecords:
    return WorkspaceRecords(
        workspace="w",
        contacts=[
            Contact(**COMMON, contact_id="ada", account_id="acme.com"),
            Contact(**COMMON, contact_id="bob", account_id="acme.com"),
            Contact(**COMMON, contact_id="cy"),
            Contact(**COMMON, contact_id="dee", account_id="lone.com"),
            Contact(**COMMON, contact_id="eve"),
        ],
        interactions=[
            touch("i1", "ada", 0, "linkedin"),
            touch("i2", "bob", 50, "email"),
            touch("i3", "cy", 95, "webinar"),  # contact role only
            touch("i4", "ada", 95, "ads"),  # same time as i3: record order kept
            touch("i5", "ada", 130, "email"),  # after the conversion
            touch("i6", "bob", -1, "events"),  # outside the 90-day window
            touch("i7", "dee", 20, "podcast"),
            touch("i8", "eve", 30, "referral"),
            touch("i9", "zed", 96, "display", account="acme.com"),  # logged on the account
        ],
        leads=[
            Lead(**COMMON, lead_id="l1", contact_id="bob", created_at=T0 + timedelta(days=40)),
            Lead(**COMMON, lead_id="l2", account_id="acme.com", created_at=T0 + timedelta(days=45)),
        ],
        deals=[
            Deal(
                **COMMON,
                deal_id="deal-1",
                account_id="acme.com",
                amount=Money.of("1200.00", "EUR"),
                status=DealStatus.WON,
                created_at=T0 + timedelta(days=60),
                closed_at=T0 + timedelta(days=100),
                contact_roles=[ContactRole(contact_id="cy")],
            ),
        ],
    )


def test_deal_journey_unions_account_and_role_contacts_in_the_window() -> None:
    journeys = build_journeys(records(), as_of=T0 + timedelta(days=200))
    deal = journeys[0]
    assert deal.journey_id == "deal-1"
    assert deal.converted
    assert deal.amount == Money.of("1200.00", "EUR")
    assert [t.channel for t in deal.touches] == ["email", "webinar", "ads", "display"]
    assert deal.lead_created_at == T0 + timedelta(days=40)
    assert deal.opportunity_created_at == T0 + timedelta(days=60)
    assert deal.converted_at == T0 + timedelta(days=100)
    assert {t.campaign for t in deal.touches} == {
        "camp-email",
        "camp-webinar",
        "camp-ads",
        "camp-display",
    }
    assert deal.touches[0].contact == "bob"
    assert deal.touches[0].type == "email"
    assert deal.touches[0].direction == "outbound"


def test_lookback_is_configurable() -> None:
    journeys = build_journeys(
        records(), as_of=T0 + timedelta(days=200), lookback=timedelta(days=10)
    )
    assert [t.channel for t in journeys[0].touches] == ["webinar", "ads", "display"]


def test_accounts_and_contacts_without_deals_are_non_converting_journeys() -> None:
    journeys = build_journeys(records(), as_of=T0 + timedelta(days=61))
    assert journeys[0].journey_id == "deal-1"
    rest = {j.journey_id: j for j in journeys[1:]}
    assert set(rest) == {"account:lone.com", "contact:eve"}
    assert not rest["contact:eve"].converted
    assert rest["contact:eve"].ends_at == T0 + timedelta(days=61)
    assert [t.channel for t in rest["account:lone.com"].touches] == ["podcast"]


def test_open_deals_end_at_as_of_and_do_not_convert() -> None:
    base = records()
    deal = base.deals[0].model_copy(update={"status": DealStatus.OPEN, "closed_at": None})
    data = base.model_copy(update={"deals": [deal]})
    journeys = build_journeys(data, as_of=T0 + timedelta(days=96, hours=1))
    assert not journeys[0].converted
    assert journeys[0].amount is None
    assert journeys[0].ends_at == T0 + timedelta(days=96, hours=1)
    assert [t.channel for t in journeys[0].touches] == ["email", "webinar", "ads", "display"]


def test_a_deal_won_after_as_of_is_open_and_sees_no_later_touch() -> None:
    """The issue's example: won 2025-03-10, run as of 2025-03-01, a touch on 2025-03-05."""
    as_of = datetime(2025, 3, 2, tzinfo=UTC)  # the run as of 2025-03-01 cuts at midnight
    won = Deal(
        **{**COMMON, "updated_at": datetime(2025, 3, 10, tzinfo=UTC)},
        deal_id="d",
        account_id="acme.com",
        amount=Money.of("500.00", "EUR"),
        status=DealStatus.WON,
        created_at=datetime(2025, 2, 1, tzinfo=UTC),
        closed_at=datetime(2025, 3, 10, tzinfo=UTC),
    )
    data = WorkspaceRecords(
        workspace="w",
        contacts=[Contact(**COMMON, contact_id="ada", account_id="acme.com")],
        interactions=[
            Interaction(
                **COMMON,
                interaction_id=f"i{day}",
                contact_id="ada",
                type=InteractionType.CALL,
                direction=Direction.OUTBOUND,
                channel=channel,
                occurred_at=datetime(2025, 3, day, tzinfo=UTC),
            )
            for day, channel in ((1, "email"), (5, "ads"))
        ],
        deals=[won],
    )
    (journey,) = build_journeys(data, as_of=as_of)
    assert not journey.converted
    assert journey.amount is None
    assert journey.ends_at == as_of
    assert [t.channel for t in journey.touches] == ["email"]
    later = build_journeys(data, as_of=datetime(2025, 3, 11, tzinfo=UTC))
    assert later[0].converted
    assert [t.channel for t in later[0].touches] == ["email", "ads"]


def test_won_deals_without_touches_say_why() -> None:
    data = records()
    lonely = Deal(
        **COMMON,
        deal_id="deal-2",
        amount=Money.of("10.00", "EUR"),
        status=DealStatus.WON,
        closed_at=T0 + timedelta(days=100),
    )
    silent = lonely.model_copy(
        update={
            "deal_id": "deal-3",
            "account_id": "lone.com",
            "closed_at": T0 + timedelta(days=150),
        }
    )
    journeys = build_journeys(
        data.model_copy(update={"deals": [*data.deals, lonely, silent]}),
        as_of=T0 + timedelta(days=200),
    )
    reasons = {j.journey_id: j.unattributed_reason for j in journeys if j.converted}
    assert reasons == {
        "deal-1": None,
        "deal-2": "no_linked_contact",
        "deal-3": "no_touch_in_lookback",
    }


def test_deals_closed_before_the_window_make_no_journey() -> None:
    journeys = build_journeys(
        records(), as_of=T0 + timedelta(days=200), since=T0 + timedelta(days=101)
    )
    assert "deal-1" not in {j.journey_id for j in journeys}


def test_untouched_customers_make_journeys_without_touches() -> None:
    data = records().model_copy(
        update={
            "contacts": [
                *records().contacts,
                Contact(**COMMON, contact_id="fay", account_id="fox.com"),  # never touched
                Contact(**COMMON, contact_id="fin", account_id="fox.com"),  # same account
                Contact(**COMMON, contact_id="gil"),  # never touched, no account
                Contact(
                    **COMMON,
                    contact_id="pia",
                    account_id="pia.com",
                    stakeholder_type=StakeholderType.PARTNER,
                ),
            ]
        }
    )
    as_of = T0 + timedelta(days=200)
    journeys = build_journeys(data, as_of=as_of)
    # dee (day 20) and eve (day 30) were touched only before the 90 days: touchless too
    assert [j.journey_id for j in journeys] == [
        "deal-1",
        "account:lone.com",
        "contact:eve",
        "account:fox.com",
        "contact:gil",
    ]
    for journey in journeys[1:]:
        assert journey.touches == []
        assert not journey.converted
        assert journey.amount is None
        assert journey.ends_at == as_of
        assert journey.unattributed_reason is None
