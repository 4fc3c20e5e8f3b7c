"""`rel2rev backfill`: pull a CRM's history through its REST API into the records table.

Every API answer is archived and its events queued exactly as an accepted webhook delivery
(the processor stores them once, `rel2rev replay` re-reads them), and progress is
checkpointed per object type in the records table after every page. Runs through the same
composition root as the nightly ReconcileFunction (`rel2rev.sync.root`), from the
environment: `REL2REV_TABLE_NAME`, `REL2REV_ARCHIVE_BUCKET`, `REL2REV_EVENTS_QUEUE_URL`, and
the connections.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rel2rev.backfill import VENDORS
from rel2rev.backfill.pipedrive import LISTS as PIPEDRIVE_LISTS
from rel2rev.cli.args import day
from rel2rev.errors import NotFoundError
from rel2rev.ingest.sources.hubspot_objects import OBJECT_TYPES
from rel2rev.ingest.sources.salesforce_objects import OBJECT_TYPES as SALESFORCE_TYPES

HELP = "Pull a CRM's history (contacts, deals with stage history, engagements) through its API"

EPILOG = f"""\
hubspot (a private app's access token in the connection's `api_token`; scopes
crm.objects.contacts.read, crm.objects.companies.read, crm.objects.deals.read,
sales-email-read for e-mail engagements) reads, in this order: {", ".join(OBJECT_TYPES)}.
  contacts  -> contact hubspot:<id> (e-mail, phones, name, owner, company as account,
               created) and lead hubspot:contact:<id> for each lead lifecycle stage
  deals     -> deal hubspot:<id> (name, amount in deal_currency_code or the connection's
               currency, dates, owner, company, contacts as roles) and one dated stage
               change per dealstage history entry (closedwon won, closedlost lost)
  emails, calls, meetings, notes -> one interaction per associated contact

pipedrive (an API token in the connection's `api_token`, sent as x-api-token; it reads
what its user can see) reads, in this order: {", ".join(PIPEDRIVE_LISTS)}.
  persons   -> contact pipedrive:<id> (e-mails, phones, name, owner, org as account)
  leads     -> lead pipedrive:lead:<id>
  deals, archived_deals -> deal pipedrive:<id> (title, value in its currency, status,
               stage, won/lost time, owner, org, person as role), one dated change per
               stage_id or status entry of its changelog, its participants as roles
  activities -> interaction pipedrive:activity:<id> (call, meeting, email; others other)

salesforce (a connected app: `client_id` with `username` + `private_key` for the JWT bearer
flow, or a `refresh_token`; scope api) reads, in this order: {", ".join(SALESFORCE_TYPES)}.
  Contact, Lead -> contact by Salesforce id (e-mail, phones, name, owner, AccountId or the
               lead's website domain as account); Lead -> lead salesforce:<Id>
  Opportunity -> deal salesforce:<Id> (amount in CurrencyIsoCode or the connection's
               currency, stage, IsWon/IsClosed status, dates, owner, account, contact)
  OpportunityHistory -> one dated stage change per row; OpportunityContactRole -> a role
  Task, Event -> interaction salesforce:<Id> of WhoId; CampaignMember -> a campaign touch
Above 10,000 records a pass runs a Bulk API 2.0 query job; the run stops (resumable) once
half of the org's daily API allowance is used.

The first run reads everything; a later run without --since reads what changed since the
last finished run; an interrupted run resumes at its last page. See docs/sources.md.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev backfill`."""
    parser.epilog = EPILOG
    parser.add_argument("source", choices=sorted(VENDORS), help="The CRM to read")
    parser.add_argument("--workspace", required=True, help="Workspace whose connection to use")
    parser.add_argument(
        "--since",
        type=day,
        help="Only objects modified on or after this day (UTC; default: since the last run)",
    )
    parser.add_argument(
        "--objects",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        help=(
            f"Comma-separated object types (default: all; hubspot: {','.join(OBJECT_TYPES)}; "
            f"pipedrive: {','.join(PIPEDRIVE_LISTS)}; "
            f"salesforce: {','.join(SALESFORCE_TYPES)})"
        ),
    )


class _Bars:
    """One rich progress bar per object type: objects read of the total, events, ETA."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._events: dict[str, int] = {}

    def start(self, object_type: str, total: int | None, done: int) -> None:
        self._events[object_type] = 0
        self._tasks[object_type] = self._progress.add_task(
            object_type, total=total, completed=done, events=0
        )

    def advance(self, object_type: str, objects: int, events: int) -> None:
        self._events[object_type] += events
        self._progress.update(
            self._tasks[object_type], advance=objects, events=self._events[object_type]
        )

    def finish(self, object_type: str) -> None:
        task = self._tasks[object_type]
        (done,) = (t.completed for t in self._progress.tasks if t.id == task)
        self._progress.update(task, total=done, completed=done)


def run(args: argparse.Namespace) -> int:
    """Backfill and print what each object type read."""
    from rel2rev.sync.root import sync_root

    root = sync_root()
    connection = root.connections(args.workspace, args.source)
    if connection is None:
        raise NotFoundError(f"no {args.source} connection for workspace {args.workspace!r}")
    since = datetime.combine(args.since, datetime.min.time(), UTC) if args.since else None
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]} events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as progress:
        checkpoints = root.backfill(
            connection, since=since, object_types=args.objects, progress=_Bars(progress)
        )
    for checkpoint in checkpoints:
        print(
            f"{checkpoint.object_type}: {checkpoint.objects} objects, {checkpoint.events} "
            f"events, up to date with changes until {checkpoint.high_water or '-'}"
        )
    return 0
