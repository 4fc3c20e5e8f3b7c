"""Finance's side of the demo: pull attribution through the API with a key, and reconcile.

`FinanceClient` is a plain HTTP client of the finance API (bearer API key, JSON bodies parsed
into the API's own response models); it also sends the costs, as a finance or marketing-ops
script would. `reconcile` checks, deal by deal, model by model and
dimension by dimension, that each won deal is either credited (lines summing exactly to the
amount the CRM booked) or on one unattributed line with its reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from rel2rev.api.models import (
    MAX_COST_LINES,
    AttributionResponse,
    CostLineBody,
    CostsBody,
    CostsStored,
    DealCredit,
    DealsPage,
    FunnelResponse,
)
from rel2rev.money import Money
from rel2rev.spend import CostLine


class FinanceApiError(RuntimeError):
    """The API answered something other than 200."""


class FinanceClient:
    """GETs from the finance API with a bearer API key."""

    def __init__(self, base_url: str, api_key: str, *, timeout_seconds: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_seconds = timeout_seconds

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET `path`; `FinanceApiError` unless 200."""
        query = {k: v for k, v in params.items() if v is not None}
        response = self._session.get(
            self.base_url + path, params=query, timeout=self.timeout_seconds
        )
        if response.status_code != 200:
            raise FinanceApiError(f"GET {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def put_costs(self, lines: Sequence[CostLine]) -> int:
        """Store cost lines with `PUT /v1/costs`, `MAX_COST_LINES` a request; lines stored."""
        stored = 0
        for start in range(0, len(lines), MAX_COST_LINES):
            chunk = lines[start : start + MAX_COST_LINES]
            body = CostsBody(lines=[CostLineBody.of(line) for line in chunk])
            response = self._session.put(
                self.base_url + "/v1/costs",
                data=body.model_dump_json(exclude_none=True),
                headers={"content-type": "application/json"},
                timeout=self.timeout_seconds,
            )
            if response.status_code != 200:
                raise FinanceApiError(
                    f"PUT /v1/costs: HTTP {response.status_code}: {response.text[:300]}"
                )
            stored += CostsStored.model_validate_json(response.content).stored
        return stored

    def deals(self, *, model: str | None = None, by: str | None = None) -> list[DealCredit]:
        """Every deal's credit lines, following the cursor through all pages."""
        deals: list[DealCredit] = []
        cursor: str | None = None
        while True:
            body = self.get("/v1/attribution/deals", model=model, by=by, cursor=cursor, limit=500)
            page = DealsPage.model_validate_json(body.content)
            deals.extend(page.deals)
            cursor = page.next_cursor
            if cursor is None:
                return deals

    def attribution(self, *, by: str = "channel", model: str | None = None) -> AttributionResponse:
        """Totals per dimension value and the model comparison table."""
        body = self.get("/v1/attribution", by=by, model=model).content
        return AttributionResponse.model_validate_json(body)

    def funnel(self) -> FunnelResponse:
        """The funnel of the latest run."""
        return FunnelResponse.model_validate_json(self.get("/v1/funnel").content)


@dataclass
class Reconciliation:
    """Deal-by-deal check of the API's credit lines against the booked amounts."""

    deals: int = 0
    checks: int = 0
    unattributed: int = 0
    models: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every line set sums to its deal amount and every booked deal was credited."""
        return not self.problems and not self.missing


def reconcile(
    credits: Sequence[DealCredit],
    booked: Mapping[str, Money],
    models: Sequence[str],
    dimensions: Sequence[str],
) -> Reconciliation:
    """Check every (deal, model, dimension): its lines sum to the booked amount, to the cent,
    or it is on exactly one unattributed line.

    `booked` maps the stored deal id of every won deal to the amount the CRM booked.
    """
    result = Reconciliation(models=set(models))
    seen: set[str] = set()
    for deal in credits:
        seen.add(deal.deal_id)
        result.deals += 1
        expected = booked.get(deal.deal_id)
        if expected is None:
            result.problems.append(f"{deal.deal_id}: credited but not a booked won deal")
            continue
        if deal.amount != expected:
            result.problems.append(f"{deal.deal_id}: amount {deal.amount}, booked {expected}")
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for line in deal.lines:
            if line.amount.currency != expected.currency:
                result.problems.append(f"{deal.deal_id}: {line.model} line in {line.amount}")
            sums[(line.model, line.by)] += line.amount.minor_units
        gaps = defaultdict(int, _counts((g.model, g.by) for g in deal.unattributed))
        for model in models:
            for by in dimensions:
                result.checks += 1
                credited, missing = (model, by) in sums, gaps[(model, by)]
                if missing:
                    result.unattributed += 1
                if credited == bool(missing) or missing > 1:
                    result.problems.append(
                        f"{deal.deal_id}: {model} by {by} credited {credited}, "
                        f"unattributed {missing} times"
                    )
                elif credited and sums[(model, by)] != expected.minor_units:
                    got = Money.from_minor_units(sums[(model, by)], expected.currency)
                    result.problems.append(f"{deal.deal_id}: {model} by {by} sums to {got}")
    result.missing = sorted(set(booked) - seen)
    return result


def _counts(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for key in keys:
        counted[key] += 1
    return counted
