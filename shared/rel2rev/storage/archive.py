"""RawArchive: raw webhook requests in S3 under `raw/{workspace}/{source}/{yyyy}/{mm}/{dd}/`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import archive_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class RawArchive:
    """Stores accepted requests (the ingest sink's `archive`) and lists them back for replay."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def archive(self, request: RawRequest) -> str:
        """Store the request's archived form; return its key."""
        key = archive_key(request)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=request.to_archive(),
            ContentType="application/json",
        )
        return key

    def load(self, key: str) -> RawRequest:
        """One archived request by key."""
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return RawRequest.from_archive(body)

    def sources(self, workspace: str) -> list[str]:
        """The sources with archived requests for a workspace."""
        found: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        prefix = f"raw/{workspace}/"
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix, Delimiter="/"):
            found += [p["Prefix"][len(prefix) : -1] for p in page.get("CommonPrefixes", [])]
        return sorted(found)

    def keys(
        self,
        workspace: str,
        source: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> Iterator[str]:
        """Archive keys of a workspace (one source or all), received on days in [start, end]."""
        paginator = self._s3.get_paginator("list_objects_v2")
        for name in [source] if source else self.sources(workspace):
            for prefix in _day_prefixes(f"raw/{workspace}/{name}/", start, end):
                for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                    for item in page.get("Contents", []):
                        yield item["Key"]

    def iter_archived(
        self,
        workspace: str,
        source: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> Iterator[RawRequest]:
        """The archived requests, oldest day first (see `keys`)."""
        for key in self.keys(workspace, source, start, end):
            yield self.load(key)


def _day_prefixes(base: str, start: date | None, end: date | None) -> list[str]:
    if start is None and end is None:
        return [base]
    first = start or date(2000, 1, 1)
    last = end or datetime.now(UTC).date()
    if last < first:
        return []
    days = (last - first).days + 1
    if days > 3660:
        raise ValueError("replay window is longer than ten years; narrow it")
    return [f"{base}{(first + timedelta(d)).strftime('%Y/%m/%d')}/" for d in range(days)]
