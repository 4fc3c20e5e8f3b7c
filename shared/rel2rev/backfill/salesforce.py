"""Salesforce as a backfill vendor: people, opportunities with stage history and roles, touches.

Authentication is OAuth 2.0 through a connected app, at `{login_url}/services/oauth2/token`:
the JWT bearer flow (an RS256 assertion with iss = consumer key, sub = username, aud = login
URL, exp = 3 minutes on) or the refresh-token flow. The answer's `access_token` is sent as
`Authorization: Bearer …` to its `instance_url` (or the connection's `api_base_url`). A 401
(`INVALID_SESSION_ID`: the session expired) gets a new token once; a refused grant is an
`AuthenticationError` quoting Salesforce's `error` and `error_description`.

Each pass counts its records first (`SELECT COUNT() … WHERE SystemModstamp >= since`). Up to
`bulk_threshold` records it pages a REST query ordered by `SystemModstamp, Id`, following
`nextRecordsUrl`; its checkpoint cursor is the last (SystemModstamp, Id) read, so a resumed
pass asks again for what follows it (query locators expire). Above the threshold it runs a
Bulk API 2.0 query job, polls it until `JobComplete` and reads its CSV result sets, following
`Sforce-Locator`; the cursor is the job and the next locator.

Every API answer's `Sforce-Limit-Info: api-usage=N/M` is read: once `allowance_share` of the
org's daily allowance is used, or when Salesforce answers `REQUEST_LIMIT_EXCEEDED`, the run
stops with `AllowanceExhausted` before its next call, with every page read so far checkpointed.
429 and 5xx answers are retried (`Retry-After` honoured, exponential backoff otherwise).

References: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm (JWT
bearer flow), https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
(refresh token flow), https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
(query, nextRecordsUrl), https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
(Bulk API 2.0 query jobs), https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
(Sforce-Limit-Info), https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
(error answers).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import SecretStr

from rel2rev.backfill.archived import JSON_MEDIA_TYPE, archived_page
from rel2rev.backfill.http import ApiError, ApiResponse, RetryingSession
from rel2rev.backfill.run import Fetched, Page
from rel2rev.errors import AuthenticationError, Rel2revError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.sources.base import parse_instant
from rel2rev.ingest.sources.salesforce_objects import (
    CSV_MEDIA_TYPE,
    MODIFIED,
    OBJECT_TYPES,
    ObjectType,
    latest_modified,
    object_type_named,
    page_records,
    parse_page,
)

API_VERSION = "v62.0"
BULK_THRESHOLD = 10_000
"""Passes over more records than this read a Bulk API 2.0 query job instead of REST pages."""
ALLOWANCE_SHARE = 0.5
"""Stop once this share of the org's daily API allowance is used (other integrations need it)."""
BULK_PAGE_SIZE = 50_000
JWT_LIFETIME = timedelta(minutes=3)
"""Salesforce accepts a JWT bearer assertion that expires within 3 minutes."""
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class AllowanceExhausted(Rel2revError):
    """The org's daily API allowance is (nearly) used: the run stopped and can be resumed."""

    status = 429
    code = "api_allowance"


def jwt_assertion(
    client_id: str, username: str, audience: str, private_key: SecretStr, now: datetime
) -> str:
    """An RS256-signed JWT bearer assertion (iss, sub, aud, exp); AuthenticationError when the
    key is not an RSA private key in PEM (the key itself is never quoted)."""
    try:
        key = serialization.load_pem_private_key(
            private_key.get_secret_value().encode(), password=None
        )
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthenticationError(
            "the Salesforce connection's private_key is not an unencrypted RSA private key in PEM"
        )
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": audience,
        "exp": int((now + JWT_LIFETIME).timestamp()),
    }
    header = _b64(json.dumps({"alg": "RS256"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SalesforceApi:
    """Authenticated calls to one org's REST API (not thread-safe: one per run)."""

    def __init__(
        self,
        connection: Connection,
        *,
        now: Callable[[], datetime],
        allowance_share: float = ALLOWANCE_SHARE,
        attempts: int = 6,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connection = connection
        self._now = now
        self._share = allowance_share
        self._session = RetryingSession(
            scrub=self._scrub,
            message=lambda response: self._error(response)[1],
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
            sleep=sleep,
            seen=self._read_usage,
        )
        self._token: SecretStr | None = None
        self._base_url = ""
        self.usage: tuple[int, int] | None = None
        """The org's API calls used and its daily allowance, as the last answer said."""
        self.logins = 0

    def get(
        self, path: str, params: Mapping[str, str] | None = None, *, csv: bool = False
    ) -> ApiResponse:
        """GET a path of the instance (or a `nextRecordsUrl`)."""
        accept = CSV_MEDIA_TYPE if csv else "application/json"
        return self._call("GET", path, params=params, accept=accept)

    def post(self, path: str, body: Any) -> ApiResponse:
        """POST a JSON body to a path of the instance."""
        return self._call("POST", path, body=body)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        accept: str = "application/json",
    ) -> ApiResponse:
        self._check_allowance()
        if self._token is None:
            self._login()
        refreshed = False
        while True:
            assert self._token is not None
            headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
            response = self._send(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=body,
                headers=headers | {"Accept": accept},
            )
            if response.ok:
                return ApiResponse(method, response.url, response.content, dict(response.headers))
            code, message = self._error(response)
            if response.status_code == 401 and not refreshed:
                self._login()  # the session expired: a new token, once
                refreshed = True
                continue
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise AllowanceExhausted(
                    f"Salesforce refused the call: the org's daily API allowance is used up "
                    f"({message}); every page read so far is saved: run again later to resume"
                )
            if response.status_code in (401, 403):
                raise AuthenticationError(
                    f"Salesforce rejected the access token ({response.status_code} {code}): "
                    f"{message}"
                )
            raise ApiError(
                f"Salesforce {method} {_bare(path)}: HTTP {response.status_code} {code}: {message}"
            )

    def _check_allowance(self) -> None:
        if self.usage is None:
            return
        used, allowance = self.usage
        if allowance and used >= self._share * allowance:
            raise AllowanceExhausted(
                f"stopped before the next Salesforce call: {used:,} of the org's {allowance:,} "
                f"daily API calls are used (the backfill keeps to {self._share:.0%}); every "
                "page read so far is saved: run again later to resume"
            )

    def _login(self) -> None:
        """A new access token by the JWT bearer flow, else the refresh-token flow."""
        c = self._connection
        if c.client_id and c.username and c.private_key is not None:
            assertion = jwt_assertion(
                c.client_id, c.username, c.login_url, c.private_key, self._now()
            )
            form = {"grant_type": JWT_GRANT, "assertion": assertion}
            grant = "JWT bearer grant"
        elif c.client_id and c.refresh_token is not None:
            form = {
                "grant_type": "refresh_token",
                "client_id": c.client_id,
                "refresh_token": c.refresh_token.get_secret_value(),
            }
            if c.client_secret is not None:
                form["client_secret"] = c.client_secret.get_secret_value()
            grant = "refresh token"
        else:
            raise AuthenticationError(
                f"the salesforce connection of workspace {c.workspace!r} needs a client_id with "
                "either username and private_key (JWT bearer flow) or a refresh_token"
            )
        url = f"{c.login_url.rstrip('/')}/services/oauth2/token"
        response = self._send("POST", url, data=form, headers={"Accept": "application/json"})
        answer = _json_object(response)
        token, instance = answer.get("access_token"), answer.get("instance_url")
        if not response.ok or not isinstance(token, str) or not isinstance(instance, str):
            error = self._scrub(str(answer.get("error") or f"HTTP {response.status_code}"))
            described = self._scrub(str(answer.get("error_description") or "")[:300])
            raise AuthenticationError(
                f"Salesforce refused the {grant} of the connected app ({error}): {described}"
            )
        self._token = SecretStr(token)
        self._base_url = (c.api_base_url or instance).rstrip("/")
        self.logins += 1

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """The first answer that is not a failure worth retrying."""
        return self._session.send(method, url, label=f"Salesforce {method} {_bare(url)}", **kwargs)

    def _read_usage(self, response: requests.Response) -> None:
        if found := _USAGE.search(response.headers.get("Sforce-Limit-Info", "")):
            self.usage = (int(found[1]), int(found[2]))

    def _error(self, response: requests.Response) -> tuple[str, str]:
        """Salesforce's `errorCode` and `message` (its answers are arrays of those)."""
        try:
            document = response.json()
        except ValueError:
            document = None
        if isinstance(document, list) and document:
            document = document[0]
        if isinstance(document, dict):
            code = str(document.get("errorCode") or document.get("error") or "")
            text = str(document.get("message") or document.get("error_description") or "")
        else:
            code, text = "", response.text
        return self._scrub(code[:100]), self._scrub(text[:300])

    def _scrub(self, text: str) -> str:
        secrets = [self._token, self._connection.refresh_token, self._connection.client_secret]
        for secret in secrets:
            if secret is not None and secret.get_secret_value():
                text = text.replace(secret.get_secret_value(), "[redacted]")
        return text


def _bare(url: str) -> str:
    """A URL or path without its query (a SOQL text is long and not the point of an error)."""
    return url.partition("?")[0]


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


class SalesforceClient:
    """Reads a Salesforce org's records for one connection (`VendorClient`)."""

    source = "salesforce"
    object_types = tuple(OBJECT_TYPES)

    def __init__(
        self,
        connection: Connection,
        api: SalesforceApi,
        *,
        now: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
        bulk_threshold: int = BULK_THRESHOLD,
        bulk_page_size: int = BULK_PAGE_SIZE,
        poll_seconds: float = 2.0,
    ) -> None:
        self._connection = connection
        self._api = api
        self._now = now
        self._sleep = sleep
        self._threshold = bulk_threshold
        self._bulk_page = bulk_page_size
        self._poll = poll_seconds
        self._counts: dict[tuple[str, datetime | None], int] = {}
        self._fields: dict[str, tuple[str, ...]] = {}

    def count(self, object_type: str, since: datetime | None) -> int | None:
        """`SELECT COUNT()` of the records a pass will read (asked once per pass)."""
        key = (object_type, since)
        if key not in self._counts:
            soql = f"SELECT COUNT() FROM {object_type}{_where(since, None)}"
            answer = self._api.get(_path("query"), {"q": soql}).json()
            self._counts[key] = int(answer["totalSize"])
        return self._counts[key]

    def pages(self, object_type: str, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """A pass from `cursor`: REST pages, or a Bulk API 2.0 job above the threshold."""
        kind = object_type_named(object_type)
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        if "job" in state:
            return self._results(kind, state["job"], state["locator"])
        if "after" in state:
            return self._query(kind, since, (state["after"][0], state["after"][1]))
        total = self.count(kind.name, since)
        if total is not None and total > self._threshold:
            return self._bulk(kind, since)
        return self._query(kind, since, None)

    def _query(
        self, kind: ObjectType, since: datetime | None, after: tuple[str, str] | None
    ) -> Iterator[Page]:
        soql = f"{self._select(kind)}{_where(since, after)} ORDER BY {MODIFIED}, Id"
        answer = self._api.get(_path("query"), {"q": soql})
        while True:
            fetched, records = self._fetched(kind, answer)
            if records:
                after = (records[-1].text(MODIFIED) or "", records[-1].text("Id") or "")
            document = answer.json()
            following = None if document.get("done", True) else document.get("nextRecordsUrl")
            cursor = json.dumps({"after": after}) if following and after else None
            yield Page([fetched], cursor, latest_modified(records))
            if cursor is None:
                return
            answer = self._api.get(str(following))

    def _bulk(self, kind: ObjectType, since: datetime | None) -> Iterator[Page]:
        # Bulk API 2.0 takes neither ORDER BY nor aggregates: results come in no set order.
        job = {"operation": "query", "query": f"{self._select(kind)}{_where(since, None)}"}
        job_id = str(self._api.post(_path("jobs/query"), job).json()["id"])
        wait = self._poll
        while (info := self._api.get(_path(f"jobs/query/{job_id}")).json())["state"] != (
            "JobComplete"
        ):
            if info["state"] in ("Failed", "Aborted"):
                raise ApiError(
                    f"the Salesforce Bulk API query job {job_id} for {kind.name} ended "
                    f"{info['state']}: {info.get('errorMessage') or 'no reason given'}"
                )
            self._sleep(wait)
            wait = min(wait * 2, 30.0)
        yield from self._results(kind, job_id, None)

    def _results(self, kind: ObjectType, job_id: str, locator: str | None) -> Iterator[Page]:
        while True:
            params = {"maxRecords": str(self._bulk_page)}
            if locator:
                params["locator"] = locator
            answer = self._api.get(_path(f"jobs/query/{job_id}/results"), params, csv=True)
            fetched, records = self._fetched(kind, answer)
            following = {k.lower(): v for k, v in answer.headers.items()}.get("sforce-locator")
            locator = following if following and following != "null" else None
            cursor = json.dumps({"job": job_id, "locator": locator}) if locator else None
            yield Page([fetched], cursor, latest_modified(records))
            if locator is None:
                return

    def _select(self, kind: ObjectType) -> str:
        """`SELECT <fields> FROM <type>`, with the optional fields this org's describe lists."""
        if kind.name not in self._fields:
            present: set[str] = set()
            if kind.optional:
                described = self._api.get(_path(f"sobjects/{kind.name}/describe")).json()
                present = {str(field.get("name")) for field in described.get("fields", [])}
            self._fields[kind.name] = (*kind.fields, *(f for f in kind.optional if f in present))
        return f"SELECT {', '.join(self._fields[kind.name])} FROM {kind.name}"

    def _fetched(self, kind: ObjectType, answer: ApiResponse) -> tuple[Fetched, list[Any]]:
        workspace, at = self._connection.workspace, self._now()
        media = _media_type(answer)
        request = archived_page(self.source, workspace, kind.name, answer, at, content_type=media)
        records = page_records(request, kind.name)
        events = parse_page(request, kind.name, self._connection)
        return Fetched(request, events, len(records)), records


def _media_type(answer: ApiResponse) -> str:
    """CSV for a Bulk API result set, else JSON (the archived page's content type)."""
    media = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
    csv = media.split(";", 1)[0].strip().lower() == CSV_MEDIA_TYPE
    return CSV_MEDIA_TYPE if csv else JSON_MEDIA_TYPE


def salesforce_client(
    connection: Connection,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
    bulk_page_size: int = BULK_PAGE_SIZE,
    allowance_share: float = ALLOWANCE_SHARE,
) -> SalesforceClient:
    """The client of a connection with its connected app's OAuth credentials (`clock` is
    accepted for the factory signature: Salesforce has no per-second limit to keep to)."""
    if not connection.client_id:
        raise AuthenticationError(
            f"the salesforce connection of workspace {connection.workspace!r} has no client_id "
            "(the connected app's consumer key)"
        )
    pause = sleep or time.sleep
    api = SalesforceApi(connection, now=now, allowance_share=allowance_share, sleep=pause)
    return SalesforceClient(
        connection,
        api,
        now=now,
        sleep=pause,
        bulk_threshold=bulk_threshold,
        bulk_page_size=bulk_page_size,
    )


def _path(resource: str) -> str:
    return f"/services/data/{API_VERSION}/{resource}"


def soql_datetime(moment: datetime) -> str:
    """A SOQL dateTime literal (UTC, to the second, rounded down)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _where(since: datetime | None, after: tuple[str, str] | None) -> str:
    """` WHERE SystemModstamp >= since` and, to resume, after the last (SystemModstamp, Id)."""
    clauses = []
    if since is not None:
        clauses.append(f"{MODIFIED} >= {soql_datetime(since)}")
    if after is not None:
        stamp = soql_datetime(parse_instant(after[0]))
        record = re.sub(r"[^A-Za-z0-9]", "", after[1])
        clauses.append(f"({MODIFIED} > {stamp} OR ({MODIFIED} = {stamp} AND Id > '{record}'))")
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""
