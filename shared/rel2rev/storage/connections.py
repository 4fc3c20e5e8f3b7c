"""ConnectionStore: the secrets of each (workspace, source), from SSM or, locally, from config.

In AWS every connection is one SecureString JSON parameter `{prefix}/{workspace}/{source}`
holding a `rel2rev.ingest.connections.Connection`, read through Powertools Parameters with a
five-minute cache. Locally, `REL2REV_CONNECTIONS` (a JSON list of connections) or
`REL2REV_CONNECTIONS_FILE` (a file with that list) replaces SSM. `listing()` reads every
connection under the prefix (`GetParametersByPath`, decrypted), for the nightly reconciliation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from rel2rev.ingest.connections import Connection

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

CACHE_SECONDS = 300
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_CONNECTIONS = TypeAdapter(list[Connection])
SECRET_FIELDS = tuple(
    name
    for name, field in Connection.model_fields.items()
    if SecretStr in get_args(field.annotation)
)
"""The connection's secrets (every `SecretStr` field), written in clear only to SSM."""


class ConnectionStore:
    """Looks up a connection; None when there is none (the ingest logic answers 404)."""

    def __init__(
        self,
        prefix: str = "/rel2rev",
        *,
        client: SSMClient | None = None,
        local: list[Connection] | None = None,
    ) -> None:
        self._prefix = prefix.rstrip("/")
        self._local = {(c.workspace, c.source): c for c in local} if local is not None else None
        self._ssm = SSMProvider(boto3_client=client) if local is None else None

    @classmethod
    def from_config(
        cls, prefix: str, inline: str | None, file: Path | None, client: SSMClient | None = None
    ) -> ConnectionStore:
        """Local connections when `inline` JSON or `file` is given, else SSM under `prefix`."""
        if inline is None and file is None:
            return cls(prefix, client=client)
        text = inline if inline is not None else Path(file or "").read_text()
        return cls(prefix, local=_CONNECTIONS.validate_json(text))

    def parameter_name(self, workspace: str, source: str) -> str:
        """The SSM parameter holding a connection."""
        return f"{self._prefix}/{workspace}/{source}"

    def __call__(self, workspace: str, source: str) -> Connection | None:
        """The connection of (workspace, source), or None."""
        if not (_NAME.match(workspace) and _NAME.match(source)):
            return None
        if self._local is not None:
            return self._local.get((workspace, source))
        assert self._ssm is not None
        try:
            raw: Any = self._ssm.get(
                self.parameter_name(workspace, source), max_age=CACHE_SECONDS, decrypt=True
            )
        except GetParameterError as exc:
            if "ParameterNotFound" in str(exc) or "not found" in str(exc).lower():
                return None
            raise
        connection = Connection.model_validate(json.loads(raw))
        same = (connection.workspace, connection.source) == (workspace, source)
        return connection if same else None

    def listing(self) -> ConnectionListing:
        """Every connection (sorted by workspace, source), and the names of the parameters
        under the prefix that are not one (malformed JSON, or a path its JSON does not match)."""
        if self._local is not None:
            return ConnectionListing(connections=sorted(self._local.values(), key=_order))
        assert self._ssm is not None
        found: list[Connection] = []
        unreadable: list[str] = []
        values = self._ssm.get_multiple(
            self._prefix, max_age=CACHE_SECONDS, decrypt=True, recursive=True
        )
        for name, raw in sorted(values.items()):
            try:
                connection = Connection.model_validate_json(str(raw))
            except ValidationError:
                unreadable.append(f"{self._prefix}/{name}")
                continue
            if name == f"{connection.workspace}/{connection.source}":
                found.append(connection)
            else:
                unreadable.append(f"{self._prefix}/{name}")
        return ConnectionListing(connections=found, unreadable=unreadable)


class ConnectionListing(BaseModel):
    """Every connection under the prefix, and the parameters there that are not one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connections: list[Connection]
    unreadable: list[str] = Field(default_factory=list)


def _order(connection: Connection) -> tuple[str, str]:
    return connection.workspace, connection.source


def connection_parameter_value(connection: Connection) -> str:
    """The SecureString JSON to store for a connection (secrets in clear, for SSM only)."""
    data = connection.model_dump(mode="json")
    for name in SECRET_FIELDS:
        secret = getattr(connection, name)
        data[name] = secret.get_secret_value() if secret is not None else None
    return json.dumps(data, separators=(",", ":"))
