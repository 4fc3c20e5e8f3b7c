"""The engine's journeys (Ibis on DuckDB) equal the reference `build_journeys`, field by field.

`run_journeys(records, DuckDBEngine(), ...)` must give the `JourneyTable` (and the won deals'
close times) that `journeys_of(build_journeys(records, ...))` gives, for any records in
canonical order: on random small workspaces (hypothesis), on hand-written edge cases with
explicit expectations, and on simulated worlds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rel2rev.attribution.journeys import build_journeys
from rel2rev.attribution.table import NONE_LABEL, JourneyTable
from rel2rev.dataset import read_dataset, write_dataset
from rel2rev.engine.backends import DuckDBEngine
from rel2rev.engine.table import RunJourneys, journeys_of, run_journeys
from rel2rev.errors import InputError
from rel2rev.job.compute import in_order
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealRevision,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)
from rel2rev.simulate.world import WorldConfig, simulate_world

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WS = "w"
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    """One DuckDB for the whole module (each run reloads its tables)."""
    with DuckDBEngine() as duck:
        yield duck


# --- comparison ------------------------------------------------------------------------------


def assert_same(a: JourneyTable, b: JourneyTable) -> None:
    """Every field of two journey tables is equal (`a` the engine's, `b` the reference's);
    times exactly, `stage_s` with NaN equal to NaN."""
    assert list(a.ids) == list(b.ids), (
        f"ids differ:\n engine    {list(a.ids)}\n reference {list(b.ids)}"
    )
    ids = list(b.ids)
    np.testing.assert_array_equal(a.conversions, b.conversions, err_msg=f"conversions ({ids})")
    np.testing.assert_array_equal(a.nulls, b.nulls, err_msg=f"nulls ({ids})")
    assert list(a.amounts) == list(b.amounts), (
        f"amounts differ:\n engine    {a.amounts}\n reference {b.amounts}"
    )
    np.testing.assert_array_equal(a.end_s, b.end_s, err_msg=f"end_s ({ids})")
    assert a.stage_s.shape == b.stage_s.shape, (
        f"stage_s shape {a.stage_s.shape} != {b.stage_s.shape}"
    )
    np.testing.assert_array_equal(a.stage_s, b.stage_s, err_msg=f"stage_s ({ids})")  # NaN == NaN
    np.testing.assert_array_equal(a.offsets, b.offsets, err_msg=f"offsets ({ids})")
    assert a.offsets.dtype.kind == "i", f"offsets dtype {a.offsets.dtype}"
    np.testing.assert_array_equal(a.touch_s, b.touch_s, err_msg=f"touch_s ({ids})")
    assert len(a.touch_s) == a.n_touches, "touch_s length != offsets[-1]"
    assert list(a.reasons or []) == list(b.reasons or []), (
        f"reasons differ:\n engine    {a.reasons}\n reference {b.reasons}"
    )
    assert sorted(a.dimensions) == sorted(b.dimensions), (
        f"dimensions differ: {sorted(a.dimensions)} != {sorted(b.dimensions)}"
    )
    for name, (codes, labels) in b.dimensions.items():
        got_codes, got_labels = a.dimensions[name]
        assert got_labels == labels, f"{name} labels:\n engine    {got_labels}\n reference {labels}"
        np.testing.assert_array_equal(got_codes, codes, err_msg=f"{name} codes")
        assert got_codes.dtype.kind == "i", f"{name} codes dtype {got_codes.dtype}"


def both(
    engine: DuckDBEngine,
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    lookback: timedelta,
    since: datetime | None = None,
) -> RunJourneys:
    """The engine's journeys of `records` (in canonical order), checked against the reference."""
    ordered = in_order(records)
    got = run_journeys(ordered, engine, as_of=as_of, lookback=lookback, since=since)
    want = journeys_of(build_journeys(ordered, as_of=as_of, lookback=lookback, since=since))
    assert_same(got.table, want.table)
    assert got.closed == want.closed, f"closed:\n engine    {got.closed}\n reference {want.closed}"
    assert set(got.closed) <= set(got.deals), "the engine names every won deal"
    return got


def touches_of(table: JourneyTable, journey_id: str, dimension: str = "channel") -> list[str]:
    """The values of `dimension` on one journey's touches, in order."""
    row = list(table.ids).index(journey_id)
    codes, labels = table.dimensions[dimension]
    return [labels[c] for c in codes[table.offsets[row] : table.offsets[row + 1]]]


# --- random workspaces -----------------------------------------------------------------------

ACCOUNTS = ["a0.com", "a1.com", "a2.com"]
UNKNOWN_ACCOUNT = "ghost.com"
GHOSTS = ["g0", "g1"]  # contact ids that no contact record has
CHANNELS = ["email", "ads", "webinar"]
CAMPAIGNS = [None, "spring", "fall"]
OWNERS = [None, "ann", "bob"]
CONTENTS = [None, "deck", "hello"]
TYPES = [InteractionType.EMAIL, InteractionType.MEETING, InteractionType.AD_CLICK]
STAKEHOLDERS = [
    StakeholderType.CUSTOMER,
    StakeholderType.CUSTOMER,
    StakeholderType.CUSTOMER,
    StakeholderType.PARTNER,
    StakeholderType.SUPPLIER,
    StakeholderType.EMPLOYEE,
]


def moments() -> st.SearchStrategy[datetime]:
    """A small grid (days 0..30, at midnight or noon): exact ties are frequent."""
    return st.builds(
        lambda day, half: T0 + day * DAY + half * timedelta(hours=12),
        st.integers(0, 30),
        st.integers(0, 1),
    )


def amounts() -> st.SearchStrategy[Money | None]:
    return st.none() | st.builds(
        Money.from_minor_units, st.integers(0, 10**7), st.sampled_from(["EUR", "USD"])
    )


@st.composite
def workspaces(draw: st.DrawFn) -> WorkspaceRecords:
    n_contacts = draw(st.integers(0, 6))
    contacts = [
        Contact(
            workspace=WS,
            source="generic",
            updated_at=T0,
            contact_id=f"c{k}",
            account_id=draw(st.none() | st.sampled_from(ACCOUNTS)),
            stakeholder_type=draw(st.sampled_from(STAKEHOLDERS)),
            created_at=draw(st.none() | moments()),
        )
        for k in range(n_contacts)
    ]
    home = {c.contact_id: c.account_id for c in contacts}
    people = [*home, *GHOSTS]

    interactions: list[Interaction] = []
    for k in range(draw(st.integers(0, 14))):
        contact_id = draw(st.sampled_from(people))
        account_id = draw(st.sampled_from([None, home.get(contact_id), *ACCOUNTS, UNKNOWN_ACCOUNT]))
        used = [i.occurred_at for i in interactions]
        reuse = bool(used) and draw(st.booleans())
        at = draw(st.sampled_from(used)) if reuse else draw(moments())  # exact ties
        interactions.append(
            Interaction(
                workspace=WS,
                source="generic",
                updated_at=at,
                interaction_id=f"i{draw(st.integers(0, 99)):02d}-{k}",  # id order != draw order
                contact_id=contact_id,
                account_id=account_id,
                type=draw(st.sampled_from(TYPES)),
                direction=draw(st.sampled_from(list(Direction))),
                channel=draw(st.sampled_from(CHANNELS)),
                occurred_at=at,
                owner=draw(st.sampled_from(OWNERS)),
                campaign=draw(st.sampled_from(CAMPAIGNS)),
                content=draw(st.sampled_from(CONTENTS)),
            )
        )

    leads = [
        Lead(
            workspace=WS,
            source="generic",
            updated_at=draw(moments()),
            lead_id=f"l{k}",
            contact_id=draw(st.none() | st.sampled_from(people)),
            account_id=draw(st.none() | st.sampled_from([*ACCOUNTS, UNKNOWN_ACCOUNT])),
            created_at=draw(st.none() | moments()),
        )
        for k in range(draw(st.integers(0, 4)))
    ]

    deals = []
    for k in range(draw(st.integers(0, 4))):
        status = draw(st.sampled_from(list(DealStatus)))
        created_at = draw(st.none() | moments())
        closed_at = draw(st.none() | moments())
        updated_at = draw(moments())
        amount = draw(amounts())
        revisions: list[DealRevision] = []
        if status is not DealStatus.OPEN and draw(st.booleans()):
            closed = closed_at or updated_at
            opened = min(created_at or closed, closed) - draw(st.integers(0, 5)) * DAY
            revisions = [
                DealRevision(at=opened, status=DealStatus.OPEN),
                DealRevision(at=closed, status=status, amount=amount, closed_at=closed_at),
            ]
        deals.append(
            Deal(
                workspace=WS,
                source="generic",
                updated_at=updated_at,
                deal_id=f"d{k}",
                account_id=draw(st.none() | st.sampled_from([*ACCOUNTS, UNKNOWN_ACCOUNT])),
                amount=amount,
                status=status,
                created_at=created_at,
                closed_at=closed_at,
                contact_roles=[
                    ContactRole(contact_id=c)
                    for c in draw(st.lists(st.sampled_from(people), max_size=3, unique=True))
                ],
                revisions=revisions,
            )
        )
    workspace = WorkspaceRecords(
        workspace=WS, contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )
    shuffled = draw(st.permutations(range(len(interactions))))
    return workspace.model_copy(update={"interactions": [interactions[k] for k in shuffled]})


ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=workspaces(),
    as_of=moments().map(lambda m: m + 5 * DAY),
    zone=st.sampled_from(ZONES),
    lookback_days=st.integers(5, 60),
    lookback_hours=st.sampled_from([0, 12]),
    since=st.none() | moments(),
)
def test_engine_equals_reference_on_random_workspaces(
    engine: DuckDBEngine,
    records: WorkspaceRecords,
    as_of: datetime,
    zone: timezone,
    lookback_days: int,
    lookback_hours: int,
    since: datetime | None,
) -> None:
    both(
        engine,
        records,
        as_of=as_of.astimezone(zone),
        lookback=timedelta(days=lookback_days, hours=lookback_hours),
        since=since,
    )


# --- edge cases ------------------------------------------------------------------------------

AS_OF = T0 + 60 * DAY
LOOKBACK = 30 * DAY


def contact(contact_id: str, account: str | None = None, **extra: object) -> Contact:
    return Contact(
        workspace=WS,
        source="generic",
        updated_at=T0,
        contact_id=contact_id,
        account_id=account,
        **extra,  # type: ignore[arg-type]
    )


def touch(
    interaction_id: str,
    contact_id: str,
    day: float,
    channel: str = "email",
    account: str | None = None,
) -> Interaction:
    at = T0 + day * DAY
    return Interaction(
        workspace=WS,
        source="generic",
        updated_at=at,
        interaction_id=interaction_id,
        contact_id=contact_id,
        account_id=account,
        type=InteractionType.EMAIL,
        direction=Direction.OUTBOUND,
        channel=channel,
        occurred_at=at,
    )


def won(deal_id: str, day: float, account: str | None = None, roles: tuple[str, ...] = ()) -> Deal:
    close = T0 + day * DAY
    return Deal(
        workspace=WS,
        source="generic",
        updated_at=close,
        deal_id=deal_id,
        account_id=account,
        amount=Money.of("100.00", "EUR"),
        status=DealStatus.WON,
        created_at=close - 10 * DAY,
        closed_at=close,
        contact_roles=[ContactRole(contact_id=c) for c in roles],
    )


def workspace(**parts: object) -> WorkspaceRecords:
    return WorkspaceRecords(workspace=WS, **parts)  # type: ignore[arg-type]


def test_empty_records_give_an_empty_table(engine: DuckDBEngine) -> None:
    got = both(engine, workspace(), as_of=AS_OF, lookback=LOOKBACK)
    table = got.table
    assert table.n_journeys == 0
    assert table.n_touches == 0
    assert list(table.offsets) == [0]
    assert table.stage_s.shape == (0, 3)
    assert got.closed == {}
    assert all(len(codes) == 0 and labels == [] for codes, labels in table.dimensions.values())


def test_a_won_deal_without_any_link_has_no_linked_contact(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[contact("ada", "other.com")],
        interactions=[touch("i1", "ada", 40)],
        deals=[won("bare", 50), won("empty-account", 50, account="nobody.com")],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["bare", "empty-account", "account:other.com"]
    assert list(table.reasons or []) == ["no_linked_contact", "no_linked_contact", None]
    assert list(table.lengths) == [0, 0, 1]
    assert list(table.conversions) == [1.0, 1.0, 0.0]


def test_a_won_deal_touched_only_before_the_lookback_has_no_touch_in_lookback(
    engine: DuckDBEngine,
) -> None:
    records = workspace(
        contacts=[contact("ada", "acme.com")],
        interactions=[
            touch("i1", "ada", 5),  # 45 days before the close: outside 30 days
            touch("i2", "ada", 52),  # after the close
            touch("i3", "zed", 1, account="acme.com"),  # on the account, long before
        ],
        deals=[won("deal", 50, account="acme.com"), won("by-role", 50, roles=("ada",))],
    )
    got = both(engine, records, as_of=AS_OF, lookback=LOOKBACK)
    assert list(got.table.ids) == ["by-role", "deal"]  # canonical order: deals by id
    assert list(got.table.reasons or []) == ["no_touch_in_lookback", "no_touch_in_lookback"]
    assert got.table.n_touches == 0
    assert got.closed == {"deal": T0 + 50 * DAY, "by-role": T0 + 50 * DAY}


def test_partners_make_no_deal_less_journey(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[
            contact("pat", "partner.com", stakeholder_type=StakeholderType.PARTNER),
            contact("sue", stakeholder_type=StakeholderType.SUPPLIER),
            contact("cat", "shop.com"),
        ],
        interactions=[
            touch("i1", "pat", 40, "events"),
            touch("i2", "sue", 41, "email"),
            touch("i3", "cat", 42, "ads"),
            touch("i4", "pat", 43, "webinar", account="shop.com"),  # counts on cat's journey
        ],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["account:shop.com"]
    assert touches_of(table, "account:shop.com") == ["ads", "webinar"]
    assert touches_of(table, "account:shop.com", "contact") == ["cat", "pat"]


def test_an_account_less_contact_has_a_contact_journey(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[contact("eve")],
        interactions=[
            touch("i1", "eve", 45, "referral"),
            touch("i2", "ghost", 46, "ads"),  # no contact record: a customer, account-less
            touch("i3", "eve", 10, "email"),  # outside the window (as-of - 30 days)
        ],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["contact:eve", "contact:ghost"]
    assert touches_of(table, "contact:eve") == ["referral"]
    assert list(table.conversions) == [0.0, 0.0]
    assert list(table.end_s) == [AS_OF.timestamp()] * 2
    assert list(table.reasons or []) == [None, None]


def test_touches_at_the_same_instant_keep_the_canonical_order(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("bob", "acme.com")],
        interactions=[  # given out of order: canonical order is by time, then id
            touch("i9", "ada", 45, "webinar"),
            touch("i3", "bob", 45, "ads"),
            touch("i5", "ada", 45, "email"),
            touch("i1", "bob", 44, "events"),
        ],
        deals=[won("deal", 50, account="acme.com")],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["deal"]
    assert touches_of(table, "deal") == ["events", "ads", "email", "webinar"]
    assert list(table.touch_s) == [(T0 + d * DAY).timestamp() for d in (44, 45, 45, 45)]


def test_an_account_touch_joins_the_deal_of_that_account(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("zed", "elsewhere.com")],
        interactions=[
            touch("i1", "ada", 40, "email"),
            touch("i2", "zed", 42, "webinar", account="acme.com"),  # zed is on no deal
            touch("i3", "nobody", 43, "ads", account="acme.com"),  # not even a contact
        ],
        deals=[won("deal", 50, account="acme.com")],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["deal"]  # no journey for zed's account nor for `nobody`
    assert touches_of(table, "deal") == ["email", "webinar", "ads"]
    assert touches_of(table, "deal", "contact") == ["ada", "zed", "nobody"]
    assert table.reasons is not None
    assert table.reasons[0] is None


def test_stage_times_leads_and_missing_values(engine: DuckDBEngine) -> None:
    lead_at = T0 + 30 * DAY
    records = workspace(
        contacts=[contact("ada", "acme.com")],
        interactions=[touch("i1", "ada", 40)],
        leads=[
            Lead(
                workspace=WS,
                source="generic",
                updated_at=T0,
                lead_id="l1",
                account_id="acme.com",
                created_at=lead_at,
            ),
            Lead(
                workspace=WS,
                source="generic",
                updated_at=T0,
                lead_id="l2",
                contact_id="ada",
                created_at=lead_at + DAY,
            ),
        ],
        deals=[
            won("deal", 50, account="acme.com"),
            Deal(
                workspace=WS,
                source="generic",
                updated_at=T0 + 55 * DAY,
                deal_id="open",
                status=DealStatus.OPEN,
                contact_roles=[ContactRole(contact_id="ada")],
            ),
        ],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["deal", "open"]
    assert table.stage_s[0].tolist() == [
        lead_at.timestamp(),
        (T0 + 40 * DAY).timestamp(),
        (T0 + 50 * DAY).timestamp(),
    ]
    assert table.stage_s[1, 0] == (lead_at + DAY).timestamp()
    assert np.isnan(table.stage_s[1, 1:]).all()
    assert list(table.end_s) == [(T0 + 50 * DAY).timestamp(), AS_OF.timestamp()]
    assert table.amounts == [Money.of("100.00", "EUR"), None]
    codes, labels = table.dimensions["campaign"]
    assert labels == [NONE_LABEL]
    assert list(codes) == [0, 0]


def test_since_drops_deals_closed_before_it(engine: DuckDBEngine) -> None:
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("bob", "beta.com")],
        interactions=[touch("i1", "ada", 35), touch("i2", "bob", 45)],
        deals=[won("early", 40, account="acme.com"), won("late", 55, account="beta.com")],
    )
    got = both(engine, records, as_of=AS_OF, lookback=LOOKBACK, since=T0 + 50 * DAY)
    # acme's deal is out of the run, so acme is no deal's account: its touch in the window
    # makes a deal-less journey
    assert list(got.table.ids) == ["late", "account:acme.com"]
    assert got.closed == {"late": T0 + 55 * DAY}


# --- simulated worlds ------------------------------------------------------------------------

WORLD_END = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(("accounts", "seed"), [(30, 1), (80, 2), (150, 3)])
@pytest.mark.parametrize("since_days", [90, None])
def test_engine_equals_reference_on_simulated_worlds(
    engine: DuckDBEngine, accounts: int, seed: int, since_days: int | None
) -> None:
    world = simulate_world(WorldConfig(accounts=accounts, seed=seed, end=WORLD_END, days=365))
    since = None if since_days is None else WORLD_END - since_days * DAY
    got = both(engine, world.records, as_of=WORLD_END, lookback=90 * DAY, since=since)
    assert got.table.n_journeys > 0
    assert got.table.n_touches > 0
    assert got.closed


# --- duplicate ids ---------------------------------------------------------------------------


def test_exact_duplicate_records_change_nothing(engine: DuckDBEngine) -> None:
    """A deal or contact listed twice, identically (an export concatenated twice)."""
    deal = won("d", 50, account="acme.com", roles=("bob",))
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("ada", "acme.com"), contact("eve")],
        interactions=[
            touch("i1", "ada", 40),
            touch("i2", "zed", 41, account="acme.com"),
            touch("i3", "eve", 42),
        ],
        deals=[deal, deal],
    )
    table = both(engine, records, as_of=AS_OF, lookback=LOOKBACK).table
    assert list(table.ids) == ["d", "d", "contact:eve"]
    assert list(table.lengths) == [2, 2, 1]


def test_files_with_a_repeated_id_are_refused(tmp_path: Path) -> None:
    """Records read from files hold one record per id (as the records table does): a folder
    that repeats one, even identically, is refused with the file, row and id."""
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("ada", "beta.com")],
        interactions=[touch("i1", "ada", 40)],
    )
    write_dataset(records, tmp_path, fmt="jsonl")
    with pytest.raises(InputError, match=r"contacts.jsonl row 2 contact_id: 'ada' repeats row 1"):
        read_dataset(tmp_path)
