"""The seeded world generator: accounts, buying committees, touches, leads and deals.

Time runs per account as a sequence of events (episodes of outreach or engagement, and the
touches they produce, with realistic reply delays). Between two events a customer account's
conversion hazard only decays, so the conversion moment is drawn exactly by thinning; a
conversion closes a won deal there. Accounts that reached a lead but never converted get lost
(or still open) opportunities. See `rel2rev.simulate.truth` for the planted effects.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.money import Money, allocate
from rel2rev.records import (
    CONVERSATIONAL_TYPES,
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    UtcDatetime,
    WorkspaceRecords,
)
from rel2rev.simulate import catalogue as cat
from rel2rev.simulate.truth import GroundTruth, WorldCounts

CRMS = ("hubspot", "salesforce", "pipedrive")
_LEAD_TRIGGERS = (CONVERSATIONAL_TYPES - {InteractionType.COMMENT, InteractionType.EMAIL}) | {
    InteractionType.FORM_SUBMISSION,
    InteractionType.REFERRAL,
}
"""Inbound interactions that can make a contact a lead (a hand raised, not a comment)."""


def _today() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


class WorldConfig(BaseModel):
    """How big the world is and how it behaves; the same config always gives the same world."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    workspace: str = Field("demo", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    accounts: int = Field(60, ge=1, le=100_000)
    employees: int = Field(6, ge=1, le=1_000)
    days: int = Field(240, ge=30, le=2_000, description="Length of the history, in days")
    end: UtcDatetime = Field(default_factory=_today, description="End of the history")
    half_life_days: float = Field(10.0, gt=0)
    reciprocity_multiplier: float = Field(2.0, ge=1)
    effect_scale: float = Field(1.0, gt=0, description="Multiplies every planted channel effect")
    baseline_hazard: float = Field(
        0.0, ge=0, description="Organic conversion hazard per day of a customer, touched or not"
    )
    touchless_share: float = Field(
        0.0, ge=0, le=1, description="Share of customer accounts never touched (organic only)"
    )
    seller_domain: str = "northwind-relations.example"

    @property
    def start(self) -> datetime:
        """Start of the history."""
        return self.end - timedelta(days=self.days)


class Account(BaseModel):
    """A company in the world and where its CRM data lives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str = Field(description="The account's domain")
    name: str
    stakeholder_type: StakeholderType
    crm: str = Field(description="hubspot, salesforce or pipedrive; '' for the seller itself")
    currency: str
    owner: str
    engagement: float = Field(description="0..1: how active and responsive the account is")


class World(BaseModel):
    """A generated world: the records as rel2rev would store them, plus the ground truth."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config: WorldConfig
    accounts: list[Account]
    records: WorkspaceRecords
    truth: GroundTruth


@dataclass
class _Touch:
    at: float
    contact: int
    channel: str
    type: InteractionType
    direction: Direction
    campaign: str | None = None
    content: str | None = None
    cost: Money | None = None
    weight: float = 0.0


@dataclass
class _Person:
    index: int
    contact_id: str
    name: str
    email: str
    crm_id: str | None
    role: str
    touches: list[_Touch] = field(default_factory=list)


@dataclass
class _Outcome:
    """What happened to one account."""

    touches: list[_Touch] = field(default_factory=list)
    lead_at: float | None = None
    lead_contact: int | None = None
    lead_channel: str | None = None
    converted_at: float | None = None
    shares: dict[str, float] = field(default_factory=dict)
    baseline_share: float = 0.0
    """The baseline hazard's share of the hazard at conversion (1 for a touchless buyer)."""
    captured_at: float = 0.0
    touchless: bool = False


class _Generator:
    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.start = config.start
        self.horizon = float(config.days)
        self.owners = self._owners()
        self.owner_speed = {o: self.rng.uniform(0.5, 3.0) for o in self.owners}
        self._ids: dict[str, int] = {}

    # ids and names -------------------------------------------------------------------------
    def _next(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def crm_id(self, crm: str, kind: str) -> str:
        """A CRM's native id for a new contact, or the stored id of a new deal or lead.

        Stored ids are namespaced the way the source adapters store them
        (`hubspot:9000001`, `salesforce:006...`, `pipedrive:5001`); contacts keep the
        bare native id, which is one of their identifiers.
        """
        n = self._next(f"{crm}-{kind}")
        if crm == "salesforce":
            prefix = {"contact": "003", "deal": "006", "lead": "00Q"}[kind]
            native = f"{prefix}{self.config.seed % 1000:03d}{n:012d}"
        elif crm == "hubspot":
            native = str({"contact": 50_000, "deal": 9_000_000}[kind] + n)
        elif kind == "lead":
            native = f"lead:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
        else:
            native = str({"contact": 1_000, "deal": 5_000}[kind] + n)
        return native if kind == "contact" else f"{crm}:{native}"

    def _person_name(self) -> str:
        return f"{self.rng.choice(cat.FIRST_NAMES)} {self.rng.choice(cat.LAST_NAMES)}"

    def _owners(self) -> list[str]:
        names: list[str] = []
        while len(names) < self.config.employees:
            first, last = self._person_name().lower().split()
            handle = f"{first}.{last}@{self.config.seller_domain}"
            if handle not in names:
                names.append(handle)
        return names

    def _delay(self, median_hours: float, sigma: float = 0.9) -> float:
        """A lognormal delay in days with the given median in hours."""
        return math.exp(self.rng.gauss(math.log(median_hours), sigma)) / 24

    # people --------------------------------------------------------------------------------
    def accounts(self) -> list[Account]:
        result: list[Account] = []
        for i in range(self.config.accounts):
            word = self.rng.choice(cat.COMPANY_WORDS)
            suffix = self.rng.choice(cat.COMPANY_SUFFIXES)
            domain = f"{word}{suffix}-{i + 1:04d}.example"
            roll = self.rng.random()
            kind = (
                StakeholderType.CUSTOMER
                if roll < 0.82
                else StakeholderType.PARTNER
                if roll < 0.92
                else StakeholderType.SUPPLIER
            )
            currency = "EUR" if self.rng.random() < 0.5 else "USD"
            if kind is StakeholderType.CUSTOMER:
                home = "hubspot" if currency == "EUR" else "salesforce"
                crm = home if self.rng.random() < 0.7 else "pipedrive"
            else:
                crm = "pipedrive"
            result.append(
                Account(
                    account_id=domain,
                    name=f"{word.title()} {suffix.title()}",
                    stakeholder_type=kind,
                    crm=crm,
                    currency=currency,
                    owner=self.rng.choice(self.owners),
                    engagement=self.rng.betavariate(2, 3),
                )
            )
        result.append(self.seller())
        return result

    def seller(self) -> Account:
        """The company itself: its employees like, share and comment on its posts too."""
        return Account(
            account_id=self.config.seller_domain,
            name="Northwind Relations",
            stakeholder_type=StakeholderType.EMPLOYEE,
            crm="",
            currency="EUR",
            owner=self.owners[0],
            engagement=0.8,
        )

    def committee(self, account: Account) -> list[_Person]:
        if account.stakeholder_type is StakeholderType.EMPLOYEE:
            return [
                _Person(
                    index=j,
                    contact_id=f"sim{self.config.seed}-c{self._next('contact'):05d}",
                    name=handle.split("@")[0].replace(".", " ").title(),
                    email=handle,
                    crm_id=None,
                    role="employee",
                )
                for j, handle in enumerate(self.owners)
            ]
        size = (
            self.rng.randint(2, 5)
            if account.stakeholder_type is StakeholderType.CUSTOMER
            else self.rng.randint(1, 2)
        )
        people: list[_Person] = []
        used: set[str] = set()
        for j in range(size):
            name = self._person_name()
            while name in used:
                name = self._person_name()
            used.add(name)
            first, last = name.lower().split()
            n = self._next("contact")
            people.append(
                _Person(
                    index=j,
                    contact_id=f"sim{self.config.seed}-c{n:05d}",
                    name=name,
                    email=f"{first}.{last}@{account.account_id}",
                    crm_id=self.crm_id(account.crm, "contact") if account.crm else None,
                    role=cat.ROLES[j % len(cat.ROLES)],
                )
            )
        return people

    # touches -------------------------------------------------------------------------------
    def _pick(self, mix: dict[str, float]) -> str:
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    def _campaign(self, channel: str) -> str | None:
        options = cat.CAMPAIGNS.get(channel)
        return self.rng.choice(options) if options else None

    def episode(self, at: float, channel: str, account: Account, contact: int) -> list[_Touch]:
        """The touches one episode of `channel` produces, starting at `at` (days)."""
        rng, e = self.rng, account.engagement
        speed = self.owner_speed[account.owner]
        campaign = self._campaign(channel)
        spec = cat.CHANNEL_BY_NAME[channel]

        def touch(t: float, kind: InteractionType, direction: Direction) -> _Touch:
            return _Touch(t, contact, channel, kind, direction, campaign)

        first = touch(at, spec.opener, spec.opener_direction)
        out = [first]
        if channel == "linkedin_post":
            first.type = rng.choices(
                [InteractionType.LIKE, InteractionType.SHARE, InteractionType.VIEW], [6, 1.5, 2.5]
            )[0]
            first.content = rng.choice(cat.CONTENT[4:])
        elif channel == "linkedin_comment":
            first.content = rng.choice(cat.CONTENT[4:])
            if rng.random() < 0.7:
                out.append(
                    touch(at + self._delay(5 * speed), InteractionType.COMMENT, Direction.OUTBOUND)
                )
        elif channel in {"linkedin_dm", "email"}:
            first.content = rng.choice(cat.CONTENT[:4]) if channel == "email" else None
            reply_p = e if channel == "linkedin_dm" else 0.7 * e
            if rng.random() < reply_p and spec.reply is not None:
                t = at + self._delay(8 if channel == "linkedin_dm" else 20)
                out.append(touch(t, spec.reply, Direction.INBOUND))
                if rng.random() < 0.8:
                    answer = (
                        InteractionType.DM if channel == "linkedin_dm" else InteractionType.EMAIL
                    )
                    out.append(touch(t + self._delay(3 * speed), answer, Direction.OUTBOUND))
        elif channel == "webinar":
            if rng.random() < 0.6:
                out.append(
                    touch(
                        at + rng.uniform(2, 10), InteractionType.EVENT_ATTENDED, Direction.INBOUND
                    )
                )
        elif channel == "meeting":
            first.direction = Direction.INBOUND if rng.random() < 0.3 else Direction.OUTBOUND
        elif channel == "call" and rng.random() < 0.3 * e:
            out.append(touch(at + self._delay(20), InteractionType.CALL, Direction.INBOUND))
        elif channel == "paid":
            cents = rng.randint(250, 900)
            first.cost = Money.from_minor_units(cents, account.currency)
        elif channel == "direct":
            first.content = "pricing-page"
            if rng.random() < 0.6:
                first.type = InteractionType.VIEW
        return out

    # one account's life --------------------------------------------------------------------
    def live(self, account: Account, people: list[_Person]) -> _Outcome:
        rng, cfg = self.rng, self.config
        outcome = _Outcome()
        customer = account.stakeholder_type is StakeholderType.CUSTOMER
        e = account.engagement
        if customer and cfg.touchless_share > 0 and rng.random() < cfg.touchless_share:
            return self._touchless()
        capture = rng.uniform(0, self.horizon - 14)
        outcome.captured_at = capture
        heap: list[tuple[float, int, str, object]] = []
        seq = 0

        def push(at: float, kind: str, item: object) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(heap, (at, seq, kind, item))

        def committee_member() -> int:
            weights = [3.0 if p.role == "champion" else 1.0 for p in people]
            return rng.choices(range(len(people)), weights)[0]

        first_channel = (
            "referral" if customer and rng.random() < 0.15 else self._pick(cat.EARLY_MIX)
        )
        push(capture, "episode", first_channel)
        inbound_seen = outbound_seen = False
        half_life = cfg.half_life_days
        now = capture
        while heap:
            at, _, kind, item = heapq.heappop(heap)
            if at > self.horizon:
                break
            if customer and outcome.converted_at is None:
                outcome.converted_at = self._thin(outcome.touches, now, at, half_life)
                if outcome.converted_at is not None:
                    self._credit(outcome)
            now = at
            if kind == "touch":
                assert isinstance(item, _Touch)
                if item.type in CONVERSATIONAL_TYPES:  # two-way as docs/definitions.md says
                    if item.direction is Direction.OUTBOUND:
                        outbound_seen = True
                    else:
                        inbound_seen = True
                two_way = inbound_seen and outbound_seen
                item.weight = (
                    cat.CHANNEL_BY_NAME[item.channel].hazard
                    * cfg.effect_scale
                    * (cfg.reciprocity_multiplier if two_way else 1.0)
                )
                outcome.touches.append(item)
                if (
                    outcome.lead_at is None
                    and customer
                    and item.direction is Direction.INBOUND
                    and item.type in _LEAD_TRIGGERS
                    and rng.random() < 0.7
                ):
                    outcome.lead_at = at + rng.uniform(0.05, 2.0)
                    outcome.lead_contact = item.contact
                    outcome.lead_channel = item.channel
                continue
            assert isinstance(item, str)
            contact = committee_member()
            for touch in self.episode(at, item, account, contact):
                push(touch.at, "touch", touch)
            if outcome.converted_at is not None or not customer:
                rate, mix = 0.015 + 0.03 * e, {"linkedin_post": 0.7, "linkedin_comment": 0.3}
            elif outcome.lead_at is not None and outcome.lead_at <= at:
                rate, mix = 2.5 * (0.03 + 0.10 * e), cat.LATE_MIX
            else:
                rate, mix = 0.03 + 0.10 * e, cat.EARLY_MIX
            push(at + rng.expovariate(rate), "episode", self._pick(mix))
        if customer and outcome.converted_at is None:
            outcome.converted_at = self._thin(outcome.touches, now, self.horizon, half_life)
            if outcome.converted_at is not None:
                self._credit(outcome)
        return outcome

    def _touchless(self) -> _Outcome:
        """A customer no channel ever touches: captured, it converts through the baseline
        hazard alone (or not)."""
        capture = self.rng.uniform(0, self.horizon - 14)
        outcome = _Outcome(captured_at=capture, touchless=True)
        outcome.converted_at = self._thin([], capture, self.horizon, self.config.half_life_days)
        outcome.baseline_share = 1.0
        return outcome

    def _credit(self, outcome: _Outcome) -> None:
        """The true credit of a conversion: channel shares of the touches' hazard, and the
        baseline's share of the whole hazard."""
        assert outcome.converted_at is not None
        outcome.shares = self._shares(outcome.touches, outcome.converted_at)
        lam0 = self.config.baseline_hazard
        if lam0 > 0:
            touched = sum(self._hazard(outcome.touches, outcome.converted_at).values())
            outcome.baseline_share = lam0 / (lam0 + touched)

    def _hazard(self, touches: list[_Touch], at: float) -> dict[str, float]:
        by_channel: dict[str, float] = {}
        for t in touches:
            if t.at <= at and t.weight > 0:
                decayed = t.weight * 2 ** (-(at - t.at) / self.config.half_life_days)
                by_channel[t.channel] = by_channel.get(t.channel, 0.0) + decayed
        return by_channel

    def _thin(self, touches: list[_Touch], a: float, b: float, half_life: float) -> float | None:
        """Draw the conversion moment in (a, b), where the hazard (the touches' plus the
        constant baseline) only decays, or None."""
        s, lam0 = a, self.config.baseline_hazard
        while True:
            upper = sum(self._hazard(touches, s).values()) + lam0
            if upper <= 0:
                return None
            s += self.rng.expovariate(upper)
            if s >= b:
                return None
            if self.rng.random() * upper <= sum(self._hazard(touches, s).values()) + lam0:
                return s

    def _shares(self, touches: list[_Touch], at: float) -> dict[str, float]:
        hazard = self._hazard(touches, at)
        total = sum(hazard.values())
        return {c: h / total for c, h in sorted(hazard.items())}

    # assembling records --------------------------------------------------------------------
    def when(self, days: float) -> datetime:
        return (self.start + timedelta(days=days)).replace(microsecond=0)

    def amount(self, account: Account, committee: int) -> Money:
        base = math.exp(self.rng.gauss(math.log(15_000), 0.6)) * (1.2 if committee >= 4 else 1.0)
        return Money.of(int(round(base / 50) * 50), account.currency)


def simulate_world(config: WorldConfig | None = None) -> World:
    """Generate the world `config` describes; the same config always gives the same world."""
    config = config or WorldConfig()
    gen = _Generator(config)
    ws, seed = config.workspace, config.seed
    contacts: list[Contact] = []
    interactions: list[Interaction] = []
    leads: list[Lead] = []
    deals: list[Deal] = []
    deal_shares: dict[str, dict[str, float]] = {}
    baseline_shares: dict[str, float] = {}
    touchless_rates: list[float] = []
    revenue: dict[str, dict[str, int]] = {}
    won = lost = still_open = 0
    accounts = gen.accounts()
    for account in accounts:
        people = gen.committee(account)
        outcome = gen.live(account, people)
        source = account.crm or "generic"
        touched: dict[int, float] = {}
        for touch in sorted(outcome.touches, key=lambda t: t.at):
            touched.setdefault(touch.contact, touch.at)
            person = people[touch.contact]
            at = gen.when(touch.at)
            interactions.append(
                Interaction(
                    workspace=ws,
                    source="generic",
                    updated_at=at,
                    interaction_id=f"sim{seed}-i{len(interactions) + 1:06d}",
                    contact_id=person.contact_id,
                    account_id=account.account_id,
                    type=touch.type,
                    direction=touch.direction,
                    channel=touch.channel,
                    occurred_at=at,
                    owner=account.owner,
                    campaign=touch.campaign,
                    content=touch.content,
                    cost=touch.cost,
                )
            )
        # The CRM's view: lead, opportunity, outcome.
        deal_span: tuple[float, float | None, DealStatus] | None = None
        lead_at = outcome.lead_at
        if outcome.touchless:
            exposure = gen.horizon - outcome.captured_at
            touchless_rates.append(-math.expm1(-config.baseline_hazard * exposure))
        if outcome.converted_at is not None:
            won_at = outcome.converted_at
            seen = min(touched.values()) if touched else outcome.captured_at
            opened = won_at - gen.rng.uniform(14, 60)
            opened = max(opened, lead_at if lead_at is not None and lead_at < won_at else 0.0)
            opened = min(max(opened, seen), won_at)
            if lead_at is None or lead_at > opened:
                lead_at = max(seen, opened - gen.rng.uniform(0, 5))
            deal_span = (opened, won_at, DealStatus.WON)
        elif lead_at is not None and lead_at < gen.horizon and gen.rng.random() < 0.6:
            pitched = lead_at + gen.rng.uniform(5, 30)
            if pitched < gen.horizon - 1:
                ends = pitched + gen.rng.uniform(20, 80)
                if ends < gen.horizon:
                    deal_span = (pitched, ends, DealStatus.LOST)
                else:
                    deal_span = (pitched, None, DealStatus.OPEN)
        if lead_at is not None and lead_at >= gen.horizon:
            lead_at = None
        kept = [
            p for p in people if p.index in touched or deal_span is not None or outcome.touchless
        ]
        for person in kept:
            unseen_at = deal_span[0] if deal_span else outcome.captured_at
            first_seen = touched.get(person.index, unseen_at)
            identifiers = [
                Identifier(kind=IdentifierKind.EMAIL, value=person.email),
                Identifier(kind=IdentifierKind.LINKEDIN, value=_linkedin_handle(person)),
            ]
            if person.crm_id is not None:
                identifiers.append(
                    Identifier(kind=IdentifierKind(account.crm), value=person.crm_id)
                )
            contacts.append(
                Contact(
                    workspace=ws,
                    source=source,
                    updated_at=gen.when(first_seen),
                    contact_id=person.contact_id,
                    identifiers=identifiers,
                    name=person.name,
                    account_id=account.account_id,
                    stakeholder_type=account.stakeholder_type,
                    owner=account.owner,
                    created_at=gen.when(first_seen),
                )
            )
        if lead_at is not None:
            lead_contact = people[outcome.lead_contact if outcome.lead_contact is not None else 0]
            leads.append(
                Lead(
                    workspace=ws,
                    source=source,
                    updated_at=gen.when(lead_at),
                    lead_id=(
                        f"hubspot:contact:{lead_contact.crm_id}"
                        if account.crm == "hubspot"
                        else gen.crm_id(source, "lead")
                    ),
                    contact_id=lead_contact.contact_id,
                    account_id=account.account_id,
                    created_at=gen.when(lead_at),
                    status="converted" if deal_span else "open",
                    owner=account.owner,
                    channel=outcome.lead_channel,
                )
            )
        if deal_span is not None:
            opened, closed, status = deal_span
            deal_id = gen.crm_id(source, "deal")
            amount = gen.amount(account, len(people))
            deals.append(
                Deal(
                    workspace=ws,
                    source=source,
                    updated_at=gen.when(closed if closed is not None else opened),
                    deal_id=deal_id,
                    name=f"{account.name} platform",
                    account_id=account.account_id,
                    amount=amount,
                    stage={
                        DealStatus.WON: "closedwon",
                        DealStatus.LOST: "closedlost",
                        DealStatus.OPEN: "proposal",
                    }[status],
                    status=status,
                    created_at=gen.when(opened),
                    closed_at=gen.when(closed) if closed is not None else None,
                    owner=account.owner,
                    contact_roles=[
                        ContactRole(contact_id=p.contact_id, role=p.role) for p in people
                    ],
                )
            )
            if status is DealStatus.WON:
                won += 1
                deal_shares[deal_id] = outcome.shares
                baseline_shares[deal_id] = outcome.baseline_share
                if outcome.shares:  # a touchless buyer's deal is the baseline's alone
                    booked = revenue.setdefault(amount.currency, {})
                    for channel, part in allocate(amount, outcome.shares).items():
                        booked[channel] = booked.get(channel, 0) + part.minor_units
            elif status is DealStatus.LOST:
                lost += 1
            else:
                still_open += 1
    records = WorkspaceRecords(
        workspace=ws, contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )
    truth = GroundTruth(
        seed=seed,
        workspace=ws,
        start=config.start,
        end=config.end,
        half_life_days=config.half_life_days,
        reciprocity_multiplier=config.reciprocity_multiplier,
        channel_effects={c.name: c.hazard * config.effect_scale for c in cat.CHANNELS},
        expected_shares=_mean_shares(s for s in deal_shares.values() if s),
        baseline_hazard=config.baseline_hazard,
        baseline_share=sum(baseline_shares.values()) / won if won else 0.0,
        incremental_shares=_incremental_shares(deal_shares, baseline_shares),
        touchless_rate=sum(touchless_rates) / len(touchless_rates) if touchless_rates else None,
        expected_revenue={
            cur: {c: Money.from_minor_units(u, cur).amount for c, u in sorted(by.items())}
            for cur, by in sorted(revenue.items())
        },
        deal_shares=deal_shares,
        deal_baseline_shares=baseline_shares,
        counts=WorldCounts(
            accounts=sum(a.stakeholder_type is not StakeholderType.EMPLOYEE for a in accounts),
            contacts=len(contacts),
            interactions=len(interactions),
            leads=len(leads),
            deals_won=won,
            deals_lost=lost,
            deals_open=still_open,
            touchless_accounts=len(touchless_rates),
        ),
    )
    return World(config=config, accounts=accounts, records=records, truth=truth)


def _linkedin_handle(person: _Person) -> str:
    """A vanity handle like LinkedIn's: the name plus a number, unique per person."""
    name = person.email.split("@")[0].replace(".", "-")
    return f"{name}-{person.contact_id.rsplit('-c', 1)[-1]}"


def _mean_shares(per_deal: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(per_deal)
    totals = {c.name: 0.0 for c in cat.CHANNELS}
    for shares in rows:
        for channel, share in shares.items():
            totals[channel] += share
    n = len(rows)
    return {c: (v / n if n else 0.0) for c, v in totals.items()}


def _incremental_shares(
    shares: dict[str, dict[str, float]], baseline: dict[str, float]
) -> dict[str, float]:
    """Mean over won deals of each channel's share of the whole hazard (baseline included):
    its share of the touches' hazard times what the baseline left."""
    return _mean_shares(
        {c: v * (1.0 - baseline[deal]) for c, v in by.items()} for deal, by in shares.items()
    )
