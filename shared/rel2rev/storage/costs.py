"""Cost lines of every workspace in the results table: what each channel and campaign cost.

Items (see docs/data-model.md, "Results table"): pk `COSTS#{workspace}`, sk
`{month}#{channel}#{campaign}#{currency}` (the line's key; campaign empty for a channel's own
cost; `%` and `#` inside a name are written `%25` and `%23`, so distinct lines never share a
key), with the attributes `month`, `channel`, `campaign`, `amount` (exact decimal text) and
`currency`. Costs never expire. A line written again under the same key replaces the stored
one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from boto3.dynamodb.conditions import Key

from rel2rev.money import Money
from rel2rev.spend import CostLine
from rel2rev.storage.clients import dynamodb_table
from rel2rev.storage.results import ResultsSettings


def costs_pk(workspace: str) -> str:
    """Partition of a workspace's cost lines."""
    return f"COSTS#{workspace}"


def _escaped(name: str) -> str:
    return name.replace("%", "%25").replace("#", "%23")


def cost_sk(line: CostLine) -> str:
    """Sort key of a line: `{month}#{channel}#{campaign}#{currency}`, months in text order."""
    month, channel, campaign, currency = line.key
    return f"{month}#{_escaped(channel)}#{_escaped(campaign)}#{currency}"


def _item(workspace: str, line: CostLine) -> dict[str, str]:
    month, channel, campaign, currency = line.key
    return {
        "pk": costs_pk(workspace),
        "sk": cost_sk(line),
        "month": month,
        "channel": channel,
        "campaign": campaign,
        "amount": str(line.amount.amount),
        "currency": currency,
    }


def _line(item: dict[str, Any]) -> CostLine:
    return CostLine(
        month=str(item["month"]),
        channel=str(item["channel"]),
        campaign=str(item["campaign"]) or None,
        amount=Money.of(str(item["amount"]), str(item["currency"])),
    )


class CostStore:
    """Put, read and delete a workspace's cost lines by month range."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put(self, workspace: str, lines: Sequence[CostLine]) -> int:
        """Store every line (batch writes; unprocessed items are sent again), each replacing
        the stored line with its key (the last of repeated keys wins); the lines written."""
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for line in lines:
                batch.put_item(Item=_item(workspace, line))
        return len(lines)

    def _items(
        self, workspace: str, first: str, last: str, **options: Any
    ) -> Iterator[dict[str, Any]]:
        """Items of months `first` to `last` (both included), every page followed."""
        # every sort key of a month starts with `{month}#`, and `$` sorts right after `#`
        between = Key("sk").between(f"{first}#", f"{last}$")
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(costs_pk(workspace)) & between,
            **options,
        }
        while True:
            page = self._table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def lines(self, workspace: str, first: str, last: str) -> list[CostLine]:
        """The lines of months `first` to `last` (`YYYY-MM`, both included), in key order
        (month, channel, campaign, currency)."""
        found = [_line(item) for item in self._items(workspace, first, last)]
        return sorted(found, key=lambda line: line.key)

    def delete(self, workspace: str, first: str, last: str) -> int:
        """Remove the lines of months `first` to `last` (both included); the lines removed."""
        keys = list(self._items(workspace, first, last, ProjectionExpression="pk, sk"))
        with self._table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key={"pk": key["pk"], "sk": key["sk"]})
        return len(keys)


@cache
def cost_store() -> CostStore:
    """The container's cost store (created once, at first use)."""
    settings = ResultsSettings()  # type: ignore[call-arg]
    return CostStore(dynamodb_table(settings.results_table))
