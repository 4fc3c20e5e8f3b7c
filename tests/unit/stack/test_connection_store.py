"""ConnectionStore in local mode: inline JSON or a file replaces SSM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from rel2rev.ingest.connections import Connection
from rel2rev.storage.connections import ConnectionStore, connection_parameter_value

CONNECTIONS = [
    {"workspace": "acme", "source": "generic", "signing_secret": "s1"},
    {"workspace": "acme", "source": "pipedrive", "basic_user": "u", "basic_password": "p"},
]


def test_inline_connections_replace_ssm() -> None:
    store = ConnectionStore.from_config("/rel2rev", json.dumps(CONNECTIONS), None)
    found = store("acme", "generic")
    assert found is not None
    assert found.signing_secret is not None
    assert found.signing_secret.get_secret_value() == "s1"
    assert store("acme", "hubspot") is None
    assert store("other", "generic") is None


def test_file_connections_replace_ssm(tmp_path: Path) -> None:
    path = tmp_path / "connections.json"
    path.write_text(json.dumps(CONNECTIONS))
    store = ConnectionStore.from_config("/rel2rev", None, path)
    assert store("acme", "pipedrive") is not None


def test_names_that_cannot_be_parameters_have_no_connection() -> None:
    store = ConnectionStore.from_config("/rel2rev", json.dumps(CONNECTIONS), None)
    assert store("acme/../x", "generic") is None
    assert store("acme", "") is None
    assert store.parameter_name("acme", "generic") == "/rel2rev/acme/generic"


def test_malformed_local_connections_fail_loudly() -> None:
    with pytest.raises(ValidationError):
        ConnectionStore.from_config("/rel2rev", '[{"workspace": "acme"}]', None)


def test_parameter_value_round_trips_secrets() -> None:
    connection = Connection.model_validate(CONNECTIONS[1])
    stored = json.loads(connection_parameter_value(connection))
    assert stored["basic_password"] == "p"
    assert Connection.model_validate(stored) == connection
