"""Environment configuration of the Lambda functions, parsed once and validated at cold start.

Each function reads exactly the variables template.yaml gives it. A missing or malformed
variable raises `pydantic.ValidationError` naming it, so a misconfigured function fails on its
first (cold) start instead of half-working. Endpoints for the embedded local stack come from
boto3's own `AWS_ENDPOINT_URL`, not from these models.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rel2rev.errors import InputError


class _Rel2revSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REL2REV_", frozen=True, extra="ignore")


S = TypeVar("S", bound=_Rel2revSettings)


class IngestSettings(_Rel2revSettings):
    """IngestFunction: where raw requests are archived and events are queued, and secrets."""

    archive_bucket: str = Field(min_length=3)
    events_queue_url: str = Field(pattern=r"^https?://")
    connections_prefix: str = Field("/rel2rev", pattern=r"^/[A-Za-z0-9_.\-/]+$")
    connections: str | None = Field(
        None, description="Local mode: JSON list of Connection objects (overrides SSM)"
    )
    connections_file: Path | None = Field(
        None, description="Local mode: file holding that JSON list (overrides SSM)"
    )


class ProcessorSettings(_Rel2revSettings):
    """ProcessorFunction and QuarantineFunction: the records table (records and quarantine),
    and how many deliveries a queue message gets before it is given up on."""

    table_name: str = Field(min_length=3)
    max_receive_count: int = Field(ge=1, description="The events queue's maxReceiveCount")


class ErasureSettings(_Rel2revSettings):
    """ErasureFunction and `rel2rev erase`: every store a person's data is in, and the
    connections that read archived requests."""

    table_name: str = Field(min_length=3)
    archive_bucket: str = Field(min_length=3)
    results_table: str = Field(min_length=3)
    connections_prefix: str = Field("/rel2rev", pattern=r"^/[A-Za-z0-9_.\-/]+$")
    connections: str | None = Field(None, description="Local mode: inline connections JSON")
    connections_file: Path | None = Field(None, description="Local mode: connections file")


class SyncSettings(_Rel2revSettings):
    """ReconcileFunction and `rel2rev backfill`: the records table (checkpoints and the
    records a reconciliation compares with), the archive, the events queue, the connections,
    and how long before its timeout a reconciliation stops."""

    table_name: str = Field(min_length=3)
    archive_bucket: str = Field(min_length=3)
    events_queue_url: str = Field(pattern=r"^https?://")
    connections_prefix: str = Field("/rel2rev", pattern=r"^/[A-Za-z0-9_.\-/]+$")
    connections: str | None = Field(None, description="Local mode: inline connections JSON")
    connections_file: Path | None = Field(None, description="Local mode: connections file")
    reconcile_margin_seconds: float = Field(
        120.0, gt=0, description="Stop a reconciliation this long before the timeout"
    )


class ErasureRequestSettings(_Rel2revSettings):
    """The API's erasure routes: receipts in the records table, requests on the queue."""

    table_name: str = Field(min_length=3)
    erasure_queue_url: str = Field(pattern=r"^https?://")


class OperatorSettings(_Rel2revSettings):
    """The operator commands (`rel2rev quarantine`, `rel2rev erase`): the records table, the
    events queue and the raw archive, named as the functions name them."""

    table_name: str = Field(min_length=3)
    events_queue_url: str = Field(pattern=r"^https?://")
    archive_bucket: str = Field(min_length=3)


@cache
def ingest_settings() -> IngestSettings:
    """The ingest function's settings, read from the environment once per container."""
    return IngestSettings()  # type: ignore[call-arg]


@cache
def processor_settings() -> ProcessorSettings:
    """The processor function's settings, read from the environment once per container."""
    return ProcessorSettings()  # type: ignore[call-arg]


@cache
def erasure_request_settings() -> ErasureRequestSettings:
    """The API's erasure settings, read from the environment once per container."""
    return ErasureRequestSettings()  # type: ignore[call-arg]


def operator_settings() -> OperatorSettings:
    """The operator commands' settings; `InputError` naming what is missing."""
    return _from_environment(OperatorSettings)


def sync_settings() -> SyncSettings:
    """The CRM API side's settings; `InputError` naming what is missing."""
    return _from_environment(SyncSettings)


def erasure_settings() -> ErasureSettings:
    """The erasure's settings; `InputError` naming what is missing."""
    return _from_environment(ErasureSettings)


def _from_environment(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as exc:
        missing = ", ".join(
            f"REL2REV_{'_'.join(str(p) for p in e['loc']).upper()}" for e in exc.errors()
        )
        raise InputError(
            f"{missing} not set: point the environment at a stack (`rel2rev local up` prints it)"
        ) from None
