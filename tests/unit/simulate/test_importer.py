"""`rel2rev import`: rows are read, checked by the generic adapter, signed and sent in batches."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr

from rel2rev.cli import main
from rel2rev.errors import InputError
from rel2rev.importer import Batch, Row, batches, import_rows, read_rows, validate
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.generic import ADAPTER
from rel2rev.transport import Delivery, DeliveryError, OutgoingRequest, Transport

SECRET = "whsec-test"
INTERACTION = {
    "event": "interaction",
    "id": "i-1",
    "occurred_at": "2026-01-05T10:00:00+01:00",
    "type": "email_reply",
    "direction": "inbound",
    "channel": "email",
    "contact": {"email": "ada@acme.example"},
    "account": "acme.example",
    "cost": {"amount": "1.50", "currency": "EUR"},
}
CSV_TEXT = (
    "event,id,occurred_at,type,direction,channel,contact.email,contact.linkedin,account,"
    "cost.amount,cost.currency\n"
    "interaction,i-1,2026-01-05T10:00:00Z,dm,inbound,linkedin_dm,ada@acme.example,ada-l,"
    "acme.example,,\n"
    "interaction,i-2,2026-01-06T10:00:00Z,ad_click,inbound,paid,bo@acme.example,,acme.example,"
    "2.75,USD\n"
)


def _write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_csv_rows_nest_dotted_columns_and_skip_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(CSV_TEXT)
    rows = read_rows(path)
    assert [r.line for r in rows] == [2, 3]
    assert rows[0].event["contact"] == {"email": "ada@acme.example", "linkedin": "ada-l"}
    assert "cost" not in rows[0].event
    assert rows[1].event["cost"] == {"amount": "2.75", "currency": "USD"}
    validate(batches(rows), "demo")


def test_jsonl_errors_name_the_line_and_field(tmp_path: Path) -> None:
    bad = dict(INTERACTION, id="i-2", direction="sideways")
    worse = dict(INTERACTION, id="i-3", contact={})
    path = _write(tmp_path / "h.jsonl", [INTERACTION, bad, worse])
    rows = read_rows(path)
    with pytest.raises(InputError) as caught:
        validate(batches(rows), "demo")
    message = caught.value.message
    assert "line 2 direction" in message
    assert "line 3 contact" in message
    assert "line 1" not in message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("h.jsonl", '{"event": "interaction"}\n{oops\n', "line 2: not valid JSON"),
        ("h.jsonl", "[1, 2]\n", "line 1: expected a JSON object"),
        ("h.jsonl", "\n\n", "no rows"),
        ("h.txt", "x", "unsupported file type"),
        ("h.csv", "event,contact_roles\ndeal,[oops\n", "line 2: contact_roles must be JSON"),
    ],
)
def test_unreadable_files_are_input_errors(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=expected):
        read_rows(path)


def test_batches_respect_count_and_size() -> None:
    rows = [Row(n, dict(INTERACTION, id=f"i-{n}")) for n in range(1, 451)]
    groups = batches(rows)
    assert [len(b.rows) for b in groups] == [200, 200, 50]
    assert [r for b in groups for r in b.rows] == rows
    big = [Row(n, dict(INTERACTION, id=f"i-{n}", content="x" * 200)) for n in range(1, 3001)]
    assert all(len(b.body()) <= 600 * 1024 for b in batches(big))


def test_import_rows_adds_up_and_stops_at_a_failure() -> None:
    rows = [Row(n, dict(INTERACTION, id=f"i-{n}")) for n in range(1, 501)]
    seen: list[Batch] = []
    result = import_rows(rows, lambda b: len(b.rows), on_batch=seen.append)
    assert (result.rows, result.batches, result.accepted) == (500, 3, 500)
    assert sorted(len(b.rows) for b in seen) == [100, 200, 200]

    def failing(batch: Batch) -> int:
        raise DeliveryError(batch.label)

    with pytest.raises(DeliveryError):
        import_rows(rows, failing)


class _Hooks(BaseHTTPRequestHandler):
    """A webhook endpoint that verifies the generic signature with the real adapter."""

    failures_left = 0
    received: list[bytes] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hooks.failures_left > 0:
            _Hooks.failures_left -= 1
            self._answer(503, {"error": "busy"})
            return
        request = RawRequest(
            workspace="demo",
            source="generic",
            request_id="r",
            received_at=datetime.now(UTC),
            url="http://local" + self.path,
            headers=dict(self.headers.items()),
            body=body,
        )
        connection = Connection(
            workspace="demo", source="generic", signing_secret=SecretStr(SECRET)
        )
        try:
            ADAPTER.verify(request, connection, datetime.now(UTC))
            events = ADAPTER.parse(request, connection)
        except Exception as exc:
            self._answer(401, {"error": str(exc)})
            return
        _Hooks.received.append(body)
        self._answer(202, {"accepted": len(events)})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[str]:
    _Hooks.failures_left = 0
    _Hooks.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cli_imports_signed_batches(
    tmp_path: Path, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "h.jsonl", [dict(INTERACTION, id=f"i-{n}") for n in range(1, 251)])
    _Hooks.failures_left = 1  # the first attempt meets a 503 and is retried
    args = ["import", str(path), "--workspace", "demo", "--api", endpoint, "--secret", SECRET]
    assert main(args) == 0
    assert "250 events accepted" in capsys.readouterr().out
    assert len(_Hooks.received) == 2


def test_cli_sends_nothing_when_a_row_is_bad(
    tmp_path: Path, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "h.jsonl", [INTERACTION, dict(INTERACTION, type="hug")])
    args = ["import", str(path), "--workspace", "demo", "--api", endpoint, "--secret", SECRET]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "line 2 type" in err
    assert _Hooks.received == []


def test_cli_wrong_secret_is_a_clear_failure(
    tmp_path: Path, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "h.jsonl", [INTERACTION])
    args = ["import", str(path), "--workspace", "demo", "--api", endpoint, "--secret", "nope"]
    assert main(args) == 2
    assert "HTTP 401" in capsys.readouterr().err


def test_transport_retries_connection_errors_then_gives_up() -> None:
    waits: list[float] = []
    transport = Transport(attempts=3, sleep=waits.append)
    delivery = Delivery("probe", lambda: OutgoingRequest("http://127.0.0.1:9/x", {}, b"{}"))
    with pytest.raises(DeliveryError, match="gave up after 3 attempts"):
        transport.send(delivery)
    assert waits == [0.2, 0.4]
    assert transport.retries == 2
