"""A local stand-in for a Salesforce org's OAuth and REST APIs (tests and the demo), on 127.0.0.1.

It serves what `rel2rev backfill salesforce` calls, in Salesforce's documented shapes: the
token endpoint (JWT bearer grants verified against the connected app's public key, refresh
token grants; `invalid_grant` otherwise), SOQL queries (the WHERE/ORDER BY forms the client
writes) paged by `nextRecordsUrl`, `COUNT()`, an sObject describe, Bulk API 2.0 query jobs
(InProgress, then JobComplete; CSV result sets paged by `Sforce-Locator`), 401
`INVALID_SESSION_ID` for an unknown or expired session, `Sforce-Limit-Info` on every answer and
403 `REQUEST_LIMIT_EXCEEDED` past the daily allowance, and 429/503 + `Retry-After` on demand.
Records are seeded as flat dicts of field values, datetimes as Salesforce writes them
(`"2026-10-20T09:00:00.000+0000"`); a `Parent.Field` column is looked up in the seeded
`Parent` record named by `ParentId`.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rel2rev.ingest.sources.base import parse_instant
from rel2rev.local.vendor_api import LocalApiServer, Reply

Seed = Mapping[str, Sequence[Mapping[str, Any]]]
"""sObject type -> its records (see the module docstring)."""
VERSION = "v62.0"
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_SELECT = re.compile(
    r"^SELECT (?P<fields>.+?) FROM (?P<type>\w+)(?: WHERE (?P<where>.+?))?"
    r"(?: ORDER BY (?P<order>.+))?$"
)
_TOKEN = re.compile(r"\s*(\(|\)|>=|<=|!=|=|>|<|'[^']*'|[\w.:+-]+)")


def _errors(code: str, message: str) -> list[dict[str, Any]]:
    # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
    # (an array of {message, errorCode})
    return [{"message": message, "errorCode": code}]


class SalesforceApiServer(LocalApiServer):
    """The local org: `with SalesforceApiServer(seed, public_key=...) as org: org.url`, both
    its login URL and its instance URL."""

    content_type = "application/json;charset=UTF-8"

    def __init__(
        self,
        seed: Seed,
        *,
        client_id: str,
        username: str,
        public_key: rsa.RSAPublicKey | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        batch_size: int = 2000,
        api_allowance: tuple[int, int] = (0, 100_000),
        multi_currency: bool = False,
        job_polls: int = 1,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.records: dict[str, list[dict[str, Any]]] = {
            name: [dict(r) for r in rows] for name, rows in seed.items()
        }
        self.client_id, self.username, self.public_key = client_id, username, public_key
        self.client_secret, self.refresh_token = client_secret, refresh_token
        self.batch_size = batch_size
        self.used, self.allowance = api_allowance
        self.multi_currency = multi_currency
        self.job_polls = job_polls
        self.now = now
        self.sessions: set[str] = set()
        self.throttle: dict[int, int] = {}
        """Request ordinal (1-based, every request) -> 429 or 503 to answer it with."""
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def expire_sessions(self) -> None:
        """Every access token issued so far stops working (401 INVALID_SESSION_ID)."""
        self.sessions.clear()

    def modify(self, sobject: str, record_id: str, at: str, **fields: Any) -> None:
        """Change a record's fields and its LastModifiedDate and SystemModstamp."""
        for record in self.records[sobject]:
            if record["Id"] == record_id:
                record.update(fields, LastModifiedDate=at, SystemModstamp=at)

    # --- answers -------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Status, extra headers and body of one request."""
        parts = urlsplit(target)
        with self._lock:
            ordinal = len(self.log) + 1
        if ordinal in self.throttle:
            status = self.throttle[ordinal]
            return status, {"Retry-After": "1"}, _errors("SERVER_UNAVAILABLE", "Try again later")
        if parts.path == "/services/oauth2/token" and method == "POST":
            return self._token(parse_qs(body.decode()))
        given = headers.get("authorization", "").removeprefix("Bearer ")
        if given not in self.sessions:
            return 401, {}, _errors("INVALID_SESSION_ID", "Session expired or invalid")
        with self._lock:
            self.used += 1
            over = self.used > self.allowance
        if over:
            # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
            return 403, {}, _errors("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        status, extra, document = self._route(method, parts.path, parts.query, body)
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
        return (
            status,
            {"Sforce-Limit-Info": f"api-usage={self.used}/{self.allowance}", **extra},
            (document),
        )

    def _route(self, method: str, path: str, query: str, body: bytes) -> Reply:
        base = f"/services/data/{VERSION}/"
        rest = path.removeprefix(base).split("/") if path.startswith(base) else []
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if method == "GET" and rest == ["query"]:
            return self._query(params.get("q", ""))
        if method == "GET" and len(rest) == 2 and rest[0] == "query":
            return self._more(rest[1])
        if method == "GET" and len(rest) == 3 and rest[0] == "sobjects" and rest[2] == "describe":
            return self._describe(rest[1])
        if rest == ["jobs", "query"] and method == "POST":
            return self._create_job(json.loads(body or b"{}"))
        if rest[:2] == ["jobs", "query"] and len(rest) == 3 and method == "GET":
            return self._job(rest[2])
        if rest[:2] == ["jobs", "query"] and rest[3:] == ["results"] and method == "GET":
            return self._results(rest[2], params)
        return 404, {}, _errors("NOT_FOUND", f"The requested resource does not exist: {path}")

    def _token(self, form: Mapping[str, list[str]]) -> Reply:
        # https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
        # (access_token, scope, instance_url, id, token_type; invalid_grant errors)
        value = {k: v[-1] for k, v in form.items()}
        grant = value.get("grant_type")
        if grant == _JWT_GRANT:
            problem = self._check_assertion(value.get("assertion", ""))
        elif grant == "refresh_token":
            secret_ok = self.client_secret is None or value.get("client_secret") == (
                self.client_secret
            )
            good = value.get("client_id") == self.client_id and secret_ok
            fresh = self.refresh_token is not None and value.get("refresh_token") == (
                self.refresh_token
            )
            problem = None if good and fresh else "expired access/refresh token"
        else:
            return 400, {}, {"error": "unsupported_grant_type", "error_description": "grant type"}
        if problem is not None:
            return 400, {}, {"error": "invalid_grant", "error_description": problem}
        token = f"00D000000000001!AQ{next(self._ids):06d}{base64.b32encode(bytes(8)).decode()}"
        with self._lock:
            self.sessions.add(token)
        return (
            200,
            {},
            {
                "access_token": token,
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/00D000000000001EAA/005000000000001AAA",
                "token_type": "Bearer",
            },
        )

    def _check_assertion(self, assertion: str) -> str | None:
        """Why a JWT bearer assertion is refused, or None."""
        try:
            header, claims, signature = assertion.split(".")
            decoded = json.loads(_unb64(claims))
            algorithm = json.loads(_unb64(header)).get("alg")
            if self.public_key is None or algorithm != "RS256":
                return "invalid assertion"
            self.public_key.verify(
                _unb64(signature),
                f"{header}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            return "invalid assertion"
        if decoded.get("iss") != self.client_id:
            return "invalid client credentials"
        if decoded.get("sub") != self.username or decoded.get("aud") != self.url:
            return "user hasn't approved this consumer"
        if int(decoded.get("exp", 0)) < self.now().timestamp():
            return "expired authorization code"
        return None

    def _select(self, soql: str) -> tuple[str, list[str], list[dict[str, Any]]] | None:
        """The type, fields and matching rows of a SELECT, ordered as asked."""
        found = _SELECT.match(soql.strip())
        if found is None or found["type"] not in self.records:
            return None
        rows = [r for r in self.records[found["type"]] if _matches(r, found["where"])]
        order = [f.strip() for f in (found["order"] or "").split(",") if f.strip()]
        rows.sort(key=lambda r: tuple(str(r.get(name) or "") for name in order))
        fields = [f.strip() for f in found["fields"].split(",")]
        return found["type"], fields, [self._row(found["type"], r, fields) for r in rows]

    def _row(self, sobject: str, record: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
        # (records[] with attributes {type, url}; a parent's fields nested under its name)
        row: dict[str, Any] = {"attributes": _attributes(sobject, record.get("Id"))}
        for name in fields:
            if "." not in name:
                row[name] = record.get(name)
                continue
            parent_type, field = name.split(".", 1)
            parent_id = record.get(f"{parent_type}Id")
            parent = next(
                (p for p in self.records.get(parent_type, []) if p["Id"] == parent_id), None
            )
            if parent is None:
                row[parent_type] = None
            else:
                nested = row.setdefault(
                    parent_type, {"attributes": _attributes(parent_type, parent_id)}
                )
                nested[field] = parent.get(field)
        return row

    def _query(self, soql: str) -> Reply:
        if soql.startswith("SELECT COUNT() "):
            selected = self._select(soql.replace("COUNT()", "Id", 1))
            if selected is None:
                return 400, {}, _errors("MALFORMED_QUERY", "unexpected token")
            return 200, {}, {"totalSize": len(selected[2]), "done": True, "records": []}
        selected = self._select(soql)
        if selected is None:
            return 400, {}, _errors("MALFORMED_QUERY", "unexpected token")
        locator = f"01g{next(self._ids):015d}"
        self._cursors[locator] = selected[2]
        return self._more(f"{locator}-0")

    def _more(self, position: str) -> Reply:
        locator, _, offset = position.rpartition("-")
        rows = self._cursors.get(locator)
        if rows is None or not offset.isdigit():
            return 400, {}, _errors("INVALID_QUERY_LOCATOR", "invalid query locator")
        start = int(offset)
        end = start + self.batch_size
        answer: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[start:end],
        }
        if end < len(rows):
            answer["nextRecordsUrl"] = f"/services/data/{VERSION}/query/{locator}-{end}"
        return 200, {}, answer

    def _describe(self, sobject: str) -> Reply:
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
        names = sorted({name for r in self.records.get(sobject, []) for name in r})
        if self.multi_currency:
            names.append("CurrencyIsoCode")
        return 200, {}, {"name": sobject, "fields": [{"name": n} for n in names]}

    def _create_job(self, request: Mapping[str, Any]) -> Reply:
        # https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
        soql = str(request.get("query", ""))
        if " ORDER BY " in soql or "COUNT()" in soql:
            return 400, {}, _errors("INVALIDJOB", "Bulk API 2.0 does not support this query")
        selected = self._select(soql)
        if selected is None or request.get("operation") != "query":
            return 400, {}, _errors("INVALIDJOB", "invalid query job")
        sobject, fields, rows = selected
        job_id = f"750{next(self._ids):015d}"
        self._jobs[job_id] = {
            "info": {
                "id": job_id,
                "operation": "query",
                "object": sobject,
                "createdById": "005000000000001AAA",
                "createdDate": "2026-11-21T12:00:00.000+0000",
                "systemModstamp": "2026-11-21T12:00:00.000+0000",
                "state": "UploadComplete",
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(VERSION[1:]),
                "lineEnding": "LF",
                "columnDelimiter": "COMMA",
            },
            "polls": 0,
            "csv": [fields, *([_csv_value(_flat(r, f)) for f in fields] for r in rows)],
        }
        return 200, {}, self._jobs[job_id]["info"]

    def _job(self, job_id: str) -> Reply:
        # https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_one_job.htm
        job = self._jobs.get(job_id)
        if job is None:
            return 404, {}, _errors("NOT_FOUND", "The requested resource does not exist")
        job["polls"] += 1
        done = job["polls"] > self.job_polls
        job["info"]["state"] = "JobComplete" if done else "InProgress"
        records = len(job["csv"]) - 1
        return 200, {}, {**job["info"], "jobType": "V2Query", "numberRecordsProcessed": records}

    def _results(self, job_id: str, params: Mapping[str, str]) -> Reply:
        # https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
        # (CSV; Sforce-Locator is the next set's locator or "null"; Sforce-NumberOfRecords)
        job = self._jobs.get(job_id)
        if job is None or job["info"]["state"] != "JobComplete":
            return 404, {}, _errors("NOT_FOUND", "The requested resource does not exist")
        header, *rows = job["csv"]
        locator = params.get("locator")
        start = int(base64.b64decode(locator).decode()) if locator else 0
        end = start + int(params.get("maxRecords", "50000"))
        text = io.StringIO()
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerows([header, *rows[start:end]])
        following = base64.b64encode(str(end).encode()).decode() if end < len(rows) else "null"
        extra = {
            "Sforce-Locator": following,
            "Sforce-NumberOfRecords": str(len(rows[start:end])),
            "Content-Type": "text/csv",
        }
        return 200, extra, text.getvalue()


def _attributes(sobject: str, record_id: object) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/{VERSION}/sobjects/{sobject}/{record_id}"}


def _flat(row: Mapping[str, Any], name: str) -> Any:
    parent, _, field = name.partition(".")
    if not field:
        return row.get(name)
    nested = row.get(parent)
    return nested.get(field) if isinstance(nested, dict) else None


def _csv_value(value: Any) -> str:
    """Bulk API CSV text: nulls empty, booleans lower-case, datetimes in UTC with `Z`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return re.sub(r"\+0000$", "Z", str(value))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _matches(record: Mapping[str, Any], where: str | None) -> bool:
    """Whether a record passes a WHERE clause of comparisons joined by AND, OR and brackets."""
    if not where:
        return True
    tokens = [t for t in _TOKEN.findall(where) if t]
    result, rest = _disjunction(record, tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} in WHERE")
    return result


def _disjunction(record: Mapping[str, Any], tokens: list[str]) -> tuple[bool, list[str]]:
    value, tokens = _conjunction(record, tokens)
    while tokens[:1] == ["OR"]:
        other, tokens = _conjunction(record, tokens[1:])
        value = value or other
    return value, tokens


def _conjunction(record: Mapping[str, Any], tokens: list[str]) -> tuple[bool, list[str]]:
    value, tokens = _comparison(record, tokens)
    while tokens[:1] == ["AND"]:
        other, tokens = _comparison(record, tokens[1:])
        value = value and other
    return value, tokens


def _comparison(record: Mapping[str, Any], tokens: list[str]) -> tuple[bool, list[str]]:
    if tokens[0] == "(":
        value, rest = _disjunction(record, tokens[1:])
        return value, rest[1:]
    field, operator, literal = tokens[:3]
    left: Any = record.get(field)
    right: Any = literal.strip("'")
    if not literal.startswith("'"):  # a dateTime literal
        left, right = (parse_instant(left) if left else None), parse_instant(literal)
    if left is None:
        return False, tokens[3:]
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return compare[operator](left, right), tokens[3:]


def public_key_of(private_key_pem: bytes) -> rsa.RSAPublicKey:
    """The public key of a PEM RSA private key (what the connected app's certificate holds)."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key.public_key()
