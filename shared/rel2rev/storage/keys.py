"""Key formats of the records table (single-table design; see docs/data-model.md).

Every item has `PK`/`SK`; records also carry the attributes of the indexes that serve them:
`ByContact` (GSI1: a contact's interactions in time order), `ByAccount` (GSI2: contacts,
leads and deals of an account) and `ByWorkspaceMonth` (GSI3: every record of a workspace by
month shard, sorted by its anchor time). Times in keys are fixed-width UTC so text order is
time order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rel2rev.apply import RecordKind

RECORD_SK = "R"
BY_CONTACT = "ByContact"
BY_ACCOUNT = "ByAccount"
BY_WORKSPACE_MONTH = "ByWorkspaceMonth"
INDEX_KEYS = {
    BY_CONTACT: ("GSI1PK", "GSI1SK"),
    BY_ACCOUNT: ("GSI2PK", "GSI2SK"),
    BY_WORKSPACE_MONTH: ("GSI3PK", "GSI3SK"),
}
TTL_ATTRIBUTE = "expires_at"


def clock(moment: datetime) -> str:
    """Fixed-width UTC text of a moment (sorts like the moments)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_pk(workspace: str, kind: RecordKind, record_id: str) -> str:
    """Partition key of a record: `W#{workspace}#{KIND}#{id}`."""
    return f"W#{workspace}#{kind.value.upper()}#{record_id}"


def identifier_pk(workspace: str, identifier_key: str) -> str:
    """Partition key of an identifier item (`kind:value` -> contact id)."""
    return f"W#{workspace}#ID#{identifier_key}"


def event_pk(workspace: str, event_id: str) -> str:
    """Partition key of an applied-event marker."""
    return f"W#{workspace}#EVENT#{event_id}"


def quarantine_pk(workspace: str) -> str:
    """Partition of a workspace's quarantined events (sort key: the event id)."""
    return f"W#{workspace}#QUARANTINE"


def erased_pk(workspace: str, identifier_hash: str) -> str:
    """One of 16 shards of a workspace's erased identifier hashes (by the hash's first digit)."""
    return f"W#{workspace}#ERASED#{identifier_hash[0]}"


def erasure_pk(workspace: str) -> str:
    """Partition of a workspace's erasure receipts (sort key: the erasure id)."""
    return f"W#{workspace}#ERASURE"


def contact_partition(workspace: str, contact_id: str) -> str:
    """ByContact partition: a contact's interactions."""
    return f"W#{workspace}#C#{contact_id}"


def account_partition(workspace: str, account_id: str) -> str:
    """ByAccount partition: an account's contacts, leads and deals."""
    return f"W#{workspace}#A#{account_id}"


def month_partition(workspace: str, year: int, month: int) -> str:
    """ByWorkspaceMonth shard: the records anchored in one calendar month."""
    return f"W#{workspace}#M#{year:04d}-{month:02d}"


def months(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The (year, month) shards a UTC window [start, end] touches."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    found: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
