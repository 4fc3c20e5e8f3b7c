"""Run records and precomputed run results in the results table (DynamoDB).

Key design (see docs/data-model.md, "Results table"):
- run record:   pk `WS#{workspace}`, sk `RUN#{run_id}`; gsi1pk `WS#{workspace}#RUNS`,
  gsi1sk `{as_of}#{created_at}#{run_id}` (latest as-of first, then latest created).
- results:      pk `RESULT#{workspace}#{run_id}`, sk one of `FUNNEL`, `ATTRIBUTION`,
  `RETURNS`, `SURVIVAL`, `DEAL#{closed_at}#{deal_id}` (one won deal: its amount, credit lines
  and unattributed lines, in close order), `DEALID#{deal_id}` (the same, by id),
  `REL#{contact_id}` (relationship detail).
  Bodies are gzip-compressed JSON of the `rel2rev.results.contracts` models; result items carry
  `expires_at` (the table's TTL attribute), `RESULTS_RETENTION` after the run was created.
The run id is deterministic (`run_id_for`), so creating a run twice returns the first one.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from rel2rev.errors import InputError, NotFoundError
from rel2rev.results.contracts import (
    AttributionResults,
    DealAttribution,
    FunnelResults,
    Relationship,
    ReturnResults,
    RunRecord,
    RunResults,
    RunStatus,
    SurvivalResults,
)
from rel2rev.results.reconciliation import deal_attributions
from rel2rev.storage.clients import dynamodb_table, s3_client, sqs_client

M = TypeVar("M", bound=BaseModel)
_OPEN_DEALS = "~open"  # sorts after every ISO timestamp: deals without a close time come last
_SLOT_FREE = "attribute_not_exists(pk) OR held_until < :now OR run_id = :run"
SLOT_HOLD = timedelta(hours=2)
"""How long a requested run holds its workspace's run slot at most: longer than a queued run
waits plus the job's 15-minute timeout; a slot left by a crashed run frees itself after it."""
RESULTS_RETENTION = timedelta(days=400)
"""Result items expire (table TTL `expires_at`) this long after their run was created; run
records and API keys never expire. Exports expire alike (bucket lifecycle rule)."""


class ResultsSettings(BaseSettings):
    """Where results live, read once from the environment (`REL2REV_RESULTS_TABLE`)."""

    model_config = SettingsConfigDict(env_prefix="REL2REV_", frozen=True, extra="ignore")

    results_table: str


def _pack(payload: bytes) -> bytes:
    return gzip.compress(payload, mtime=0)


def _unpack(item: dict[str, Any], model: type[M]) -> M:
    return model.model_validate_json(gzip.decompress(bytes(item["body"])))


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """Opaque pagination cursor from a DynamoDB LastEvaluatedKey."""
    if not last_key:
        return None
    raw = json.dumps({k: str(v) for k, v in last_key.items()}, sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, pk_name: str, pk_value: str) -> dict[str, Any] | None:
    """Inverse of `encode_cursor`; a cursor from another query or workspace is a 400."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(key, dict) or key.get(pk_name) != pk_value:
        raise _bad_cursor()
    if not all(isinstance(v, str) for v in key.values()):
        raise _bad_cursor()
    return key


def _bad_cursor() -> InputError:
    return InputError(
        "cursor is not a cursor this query returned",
        details=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}],
    )


def _time_key(value: datetime | None) -> str:
    """Fixed-width UTC time so keys sort in time order."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else _OPEN_DEALS


class ResultsStore:
    """Run records and run results of every workspace, in one DynamoDB table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    # --- runs ---------------------------------------------------------------------------------

    def _run_item(self, record: RunRecord) -> dict[str, Any]:
        return {
            "pk": f"WS#{record.workspace}",
            "sk": f"RUN#{record.run_id}",
            "gsi1pk": f"WS#{record.workspace}#RUNS",
            "gsi1sk": f"{record.as_of.isoformat()}#{record.created_at.isoformat()}#{record.run_id}",
            "body": _pack(record.model_dump_json().encode()),
        }

    def create_run(self, record: RunRecord) -> tuple[RunRecord, bool]:
        """Store a new run record; if the run id exists already, return it and False."""
        try:
            self._table.put_item(
                Item=self._run_item(record), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return self.get_run(record.workspace, record.run_id), False
        return record, True

    def save_run(self, record: RunRecord) -> None:
        """Overwrite a run record (status, timings, sections)."""
        self._table.put_item(Item=self._run_item(record))

    def get_run(self, workspace: str, run_id: str) -> RunRecord:
        """One run of the workspace; NotFoundError when unknown (or another workspace's)."""
        item = self._table.get_item(Key={"pk": f"WS#{workspace}", "sk": f"RUN#{run_id}"}).get(
            "Item"
        )
        if item is None:
            raise NotFoundError(f"run {run_id!r} not found")
        return _unpack(item, RunRecord)

    def list_runs(
        self, workspace: str, *, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[RunRecord], str | None]:
        """The workspace's runs, latest as-of first (then latest created), one page at a time."""
        pk = f"WS#{workspace}#RUNS"
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(pk),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, pk_name="gsi1pk", pk_value=pk)
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        page = self._table.query(**kwargs)
        runs = [_unpack(item, RunRecord) for item in page.get("Items", [])]
        return runs, encode_cursor(page.get("LastEvaluatedKey"))

    def runs_before(self, workspace: str, as_of: date, limit: int) -> list[RunRecord]:
        """Up to `limit` of the workspace's runs with an as-of before `as_of`, latest first."""
        page = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression=Key("gsi1pk").eq(f"WS#{workspace}#RUNS")
            & Key("gsi1sk").lt(as_of.isoformat()),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_unpack(item, RunRecord) for item in page.get("Items", [])]

    def latest_run(self, workspace: str) -> RunRecord:
        """The run to serve: latest as-of, then latest created, that succeeded or is partial."""
        cursor: str | None = None
        while True:
            runs, cursor = self.list_runs(workspace, limit=25, cursor=cursor)
            for run in runs:
                if run.status in {RunStatus.SUCCEEDED, RunStatus.PARTIAL}:
                    return run
            if cursor is None:
                raise NotFoundError(f"workspace {workspace!r} has no finished run yet")

    # --- the run slot: one requested run in flight per workspace -------------------------------

    def claim_slot(self, workspace: str, run_id: str, now: datetime) -> str | None:
        """Take the workspace's run slot for `run_id` (free, expired, or already its own);
        None when taken, else the id of the run holding it."""
        held_until = int((now + SLOT_HOLD).timestamp())
        try:
            self._table.put_item(
                Item={
                    "pk": f"WS#{workspace}",
                    "sk": "SLOT",
                    "run_id": run_id,
                    "held_until": held_until,
                },
                ConditionExpression=_SLOT_FREE,
                ExpressionAttributeValues={":now": int(now.timestamp()), ":run": run_id},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = self._table.get_item(
                Key={"pk": f"WS#{workspace}", "sk": "SLOT"}, ConsistentRead=True
            ).get("Item")
            return str(item["run_id"]) if item else self.claim_slot(workspace, run_id, now)
        return None

    def release_slot(self, workspace: str, run_id: str) -> None:
        """Free the workspace's run slot if `run_id` holds it."""
        try:
            self._table.delete_item(
                Key={"pk": f"WS#{workspace}", "sk": "SLOT"},
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":run": run_id},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # --- results ------------------------------------------------------------------------------

    def save_results(self, results: RunResults) -> int:
        """Write every section's results of a run; returns the number of items written."""
        run = results.run
        pk = f"RESULT#{run.workspace}#{run.run_id}"
        items: list[dict[str, Any]] = []

        expires_at = int((run.created_at + RESULTS_RETENTION).timestamp())

        def add(sk: str, body: bytes) -> None:
            items.append({"pk": pk, "sk": sk, "body": _pack(body), "expires_at": expires_at})

        if results.funnel is not None:
            add("FUNNEL", results.funnel.model_dump_json().encode())
        if results.survival is not None:
            add("SURVIVAL", results.survival.model_dump_json().encode())
        if results.attribution is not None:
            attribution = results.attribution
            summary = attribution.model_copy(update={"lines": [], "unattributed": [], "deals": []})
            add("ATTRIBUTION", summary.model_dump_json().encode())
            for deal in deal_attributions(
                attribution.lines, attribution.unattributed, attribution.deals
            ):
                body = deal.model_dump_json().encode()
                add(f"DEAL#{_time_key(deal.closed_at)}#{deal.deal_id}", body)
                add(f"DEALID#{deal.deal_id}", body)
        if results.returns is not None:
            add("RETURNS", results.returns.model_dump_json().encode())
        for relationship in results.relationships or []:
            add(f"REL#{relationship.contact_id}", relationship.model_dump_json().encode())
        with self._table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        return len(items)

    def _section(self, workspace: str, run_id: str, sk: str, what: str) -> dict[str, Any]:
        key = {"pk": f"RESULT#{workspace}#{run_id}", "sk": sk}
        item: dict[str, Any] | None = self._table.get_item(Key=key).get("Item")
        if item is None:
            raise NotFoundError(f"{what} not found in run {run_id!r}")
        return item

    def funnel(self, workspace: str, run_id: str) -> FunnelResults:
        """The run's funnel rows; NotFoundError if the section failed or is unknown."""
        return _unpack(self._section(workspace, run_id, "FUNNEL", "funnel results"), FunnelResults)

    def survival(self, workspace: str, run_id: str) -> SurvivalResults:
        """The run's survival curves, drivers and competing risks."""
        item = self._section(workspace, run_id, "SURVIVAL", "survival results")
        return _unpack(item, SurvivalResults)

    def attribution(self, workspace: str, run_id: str) -> AttributionResults:
        """The run's attribution totals and comparison (without per-deal lines)."""
        item = self._section(workspace, run_id, "ATTRIBUTION", "attribution results")
        return _unpack(item, AttributionResults)

    def returns(self, workspace: str, run_id: str) -> ReturnResults:
        """The run's spend and return figures per model, channel and campaign."""
        item = self._section(workspace, run_id, "RETURNS", "returns results")
        return _unpack(item, ReturnResults)

    def deal(self, workspace: str, run_id: str, deal_id: str) -> DealAttribution:
        """One won deal's amount, credit lines and unattributed lines."""
        item = self._section(workspace, run_id, f"DEALID#{deal_id}", f"deal {deal_id!r}")
        return _unpack(item, DealAttribution)

    def deal_pages(
        self,
        workspace: str,
        run_id: str,
        *,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        cursor: str | None = None,
    ) -> tuple[list[DealAttribution], str | None]:
        """Won deals closed in [start, end] (all when both None), in close order, paginated."""
        pk = f"RESULT#{workspace}#{run_id}"
        low = f"DEAL#{_time_key(start)}" if start else "DEAL#"
        high = f"DEAL#{_time_key(end)}#~" if end else "DEAL#~~"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").between(low, high),
            "Limit": limit,
        }
        start_key = decode_cursor(cursor, pk_name="pk", pk_value=pk)
        if start_key is not None:
            kwargs["ExclusiveStartKey"] = start_key
        page = self._table.query(**kwargs)
        deals = [_unpack(item, DealAttribution) for item in page.get("Items", [])]
        return deals, encode_cursor(page.get("LastEvaluatedKey"))

    def forget_relationships(self, workspace: str, contact_ids: Sequence[str]) -> int:
        """Delete these contacts' relationship rows from every run; the rows deleted."""
        deleted, cursor = 0, None
        while contact_ids:
            runs, cursor = self.list_runs(workspace, limit=50, cursor=cursor)
            for run in runs:
                for contact_id in contact_ids:
                    old = self._table.delete_item(
                        Key={"pk": f"RESULT#{workspace}#{run.run_id}", "sk": f"REL#{contact_id}"},
                        ReturnValues="ALL_OLD",
                    )
                    deleted += "Attributes" in old
            if cursor is None:
                break
        return deleted

    def relationship(self, workspace: str, run_id: str, contact_id: str) -> Relationship:
        """One contact's relationship detail."""
        item = self._section(workspace, run_id, f"REL#{contact_id}", f"contact {contact_id!r}")
        return _unpack(item, Relationship)


@cache
def results_store() -> ResultsStore:
    """The container's results store (created once, at first use)."""
    settings = ResultsSettings()  # type: ignore[call-arg]
    return results_store_of(settings.results_table)


@cache
def results_store_of(table_name: str) -> ResultsStore:
    """The results store of a named table."""
    return ResultsStore(dynamodb_table(table_name))


class RunRequests:
    """The queue of on-demand runs the model job consumes (one message per run)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def request(self, workspace: str, run_id: str) -> None:
        """Ask the job to run (or re-run) `run_id` of `workspace`."""
        body = json.dumps({"workspace": workspace, "run_id": run_id})
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=body)


MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def media_type(name: str) -> str:
    """The media type an export file is served with (by its extension)."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


class ExportFiles:
    """Export files of runs in S3, under `exports/{workspace}/{run_id}/{name}`."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    @staticmethod
    def key(workspace: str, run_id: str, name: str) -> str:
        """The object key of one export file."""
        return f"exports/{workspace}/{run_id}/{name}"

    def upload(self, workspace: str, run_id: str, files: dict[str, bytes]) -> list[str]:
        """Store every file with its media type (a browser opens `report.html` as a page);
        returns their names, sorted."""
        for name, content in files.items():
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self.key(workspace, run_id, name),
                Body=content,
                ContentType=media_type(name),
            )
        return sorted(files)

    def presigned_url(self, workspace: str, run_id: str, name: str, expires_in: int) -> str:
        """A time-limited GET URL of one export file."""
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": self.key(workspace, run_id, name)},
            ExpiresIn=expires_in,
        )
        return url


class ExportsSettings(ResultsSettings):
    """The model job and the API: results table, exports bucket (`REL2REV_EXPORTS_BUCKET`)."""

    exports_bucket: str


class JobSettings(ExportsSettings):
    """The model job also reads the records table (`REL2REV_TABLE_NAME`), from the day's
    export for the workspaces in `REL2REV_EXPORT_WORKSPACES` (`REL2REV_TABLE_ARN`)."""

    table_name: str
    table_arn: str = ""
    export_workspaces: str = ""


class ApiSettings(ExportsSettings):
    """The API also queues on-demand runs (`REL2REV_RUNS_QUEUE_URL`)."""

    runs_queue_url: str


@cache
def run_requests() -> RunRequests:
    """The container's run request queue."""
    settings = ApiSettings()  # type: ignore[call-arg]
    return RunRequests(sqs_client(), settings.runs_queue_url)


@cache
def export_files() -> ExportFiles:
    """The container's export file store."""
    settings = ExportsSettings()  # type: ignore[call-arg]
    return ExportFiles(s3_client(), settings.exports_bucket)
