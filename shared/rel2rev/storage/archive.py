"""RawArchive: raw webhook requests in S3 under `raw/{workspace}/{source}/{yyyy}/{mm}/{dd}/`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import archive_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class RawArchive:
    """Stores accepted requests (the ingest sink's `archive`), lists them back for replay, and
    deletes or rewrites them for an erasure."""

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

    def replace(self, key: str, request: RawRequest) -> None:
        """Store `request` under `key` and delete every earlier version of it."""
        put = self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=request.to_archive(),
            ContentType="application/json",
        )
        self._delete_versions(key, keep=put.get("VersionId"))

    def delete(self, key: str) -> None:
        """Delete `key` with every version of it (the bucket is versioned)."""
        self._delete_versions(key, keep=None)

    def _delete_versions(self, key: str, keep: str | None) -> None:
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=key):
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            for entry in entries:
                if entry["Key"] == key and entry.get("VersionId") not in {keep, None}:
                    self._s3.delete_object(
                        Bucket=self._bucket, Key=key, VersionId=entry["VersionId"]
                    )

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
        """Archive keys of a workspace (one source or all), received on days in [start, end].

        A window of at most 92 days lists one prefix per day; a longer or open window lists
        the source's whole prefix and keeps the keys whose date is inside it.
        """
        paginator = self._s3.get_paginator("list_objects_v2")
        for name in [source] if source else self.sources(workspace):
            base = f"raw/{workspace}/{name}/"
            for prefix in _prefixes(base, start, end):
                for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                    for item in page.get("Contents", []):
                        if _received_within(item["Key"][len(base) :], start, end):
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


MAX_DAY_PREFIXES = 92


def _prefixes(base: str, start: date | None, end: date | None) -> list[str]:
    if start is None or end is None or (end - start).days >= MAX_DAY_PREFIXES:
        return [base]
    days = (end - start).days + 1
    return [f"{base}{(start + timedelta(d)).strftime('%Y/%m/%d')}/" for d in range(max(0, days))]


def _received_within(rest: str, start: date | None, end: date | None) -> bool:
    """`rest` is `yyyy/mm/dd/request_id`; True when that day is inside [start, end]."""
    try:
        day = datetime.strptime(rest[:10], "%Y/%m/%d").date()
    except ValueError:
        return False
    return (start is None or day >= start) and (end is None or day <= end)
