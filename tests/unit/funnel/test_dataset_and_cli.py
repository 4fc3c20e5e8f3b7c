"""Exports folder round trips, row/field-precise errors, and the funnel/survival commands."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rel2rev.cli import main
from rel2rev.dataset import read_dataset, write_dataset
from rel2rev.errors import InputError
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    WorkspaceRecords,
)

T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)


def world(n: int = 12) -> WorkspaceRecords:
    base = {"workspace": "acme", "source": "hubspot", "updated_at": T0}
    contacts, interactions, leads, deals = [], [], [], []
    for i in range(n):
        cid, at = f"c{i}", T0 + timedelta(days=i)
        contacts.append(
            Contact(**base, contact_id=cid, account_id=f"a{i % 4}", owner="ann" if i % 2 else "bob",
                    identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=f"p{i}@x.io")])
        )  # fmt: skip
        pattern = [
            (InteractionType.MEETING, Direction.INBOUND),
            (InteractionType.MEETING, Direction.OUTBOUND),
            (InteractionType.DM, Direction.INBOUND),
        ]
        for k, (kind, direction) in enumerate(pattern):
            interactions.append(
                Interaction(**base, interaction_id=f"{cid}-{k}", contact_id=cid, type=kind,
                            direction=direction, channel="linkedin" if i % 3 else "email",
                            occurred_at=at + timedelta(hours=k), cost=Money.of("12.5", "EUR"))
            )  # fmt: skip
        leads.append(
            Lead(**base, lead_id=f"l{i}", contact_id=cid, created_at=at + timedelta(days=2))
        )
        if i % 2 == 0:
            deals.append(
                Deal(**base, deal_id=f"d{i}", account_id=f"a{i % 4}",
                     amount=Money.of("1000.10", "EUR"), created_at=at + timedelta(days=3),
                     status=DealStatus.WON if i % 4 == 0 else DealStatus.LOST,
                     closed_at=at + timedelta(days=3 + i),
                     contact_roles=[ContactRole(contact_id=cid, role="champion")])
            )  # fmt: skip
    return WorkspaceRecords(
        workspace="acme", contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_format_round_trips_exactly(tmp_path: Path, fmt: str) -> None:
    records = world()
    paths = write_dataset(records, tmp_path, fmt=fmt)  # type: ignore[arg-type]
    assert sorted(p.name for p in paths) == sorted(
        f"{k}.{fmt}" for k in ("contacts", "interactions", "leads", "deals")
    )
    assert read_dataset(tmp_path) == records


def test_errors_name_the_file_row_and_field(tmp_path: Path) -> None:
    write_dataset(world(3), tmp_path, fmt="csv")
    path = tmp_path / "interactions.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[1]["direction"] = "sideways"
    rows[3]["cost_currency"] = "EURO"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InputError) as caught:
        read_dataset(tmp_path)
    found = {(d["file"], d["row"], d["field"]) for d in caught.value.details}
    assert found == {("interactions.csv", 2, "direction"), ("interactions.csv", 4, "cost.currency")}


def test_two_formats_of_one_kind_or_mixed_workspaces_are_refused(tmp_path: Path) -> None:
    write_dataset(world(2), tmp_path, fmt="jsonl")
    (tmp_path / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    with pytest.raises(InputError, match="more than one export of leads"):
        read_dataset(tmp_path)
    (tmp_path / "leads.csv").unlink()
    with pytest.raises(InputError, match="mixes workspaces"):
        read_dataset(tmp_path, workspace="other")


def test_funnel_command_prints_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    write_dataset(world(), tmp_path / "in", fmt="parquet")
    out = tmp_path / "funnel.csv"
    code = main(["funnel", "--input", str(tmp_path / "in"), "--by", "channel", "--out", str(out)])
    assert code == 0
    assert "linkedin" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    total = rows[-1]
    assert (total["segment"], total["captured"], total["qualified"], total["won"]) == (
        "",
        "12",
        "12",
        "3",
    )
    assert total["revenue_eur"] == "3000.30"
    assert total["cost_eur"] == "450.00"
    as_json = tmp_path / "funnel.json"
    assert (
        main(
            ["funnel", "--input", str(tmp_path / "in"), "--cohort", "month", "--out", str(as_json)]
        )
        == 0
    )
    assert json.loads(as_json.read_text())["total"]["counts"]["captured"] == 12


def test_survival_command_writes_every_requested_model(tmp_path: Path) -> None:
    write_dataset(world(), tmp_path / "in", fmt="jsonl")
    out = tmp_path / "lead.json"
    args = [
        "survival",
        "--input",
        str(tmp_path / "in"),
        "--drivers",
        "--competing",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    body = json.loads(out.read_text())
    assert body["survival"]["transition"] == "lead_to_won"
    # lead to won follows accounts: a0's three won deals are one event, a2's losses one outcome
    assert (body["survival"]["unit"], body["survival"]["n"]) == ("account", 4)
    assert body["survival"]["events"] == 1
    assert body["drivers"][0]["insufficient"]["reason"].startswith("1 events")
    assert (body["competing"]["won"], body["competing"]["lost"]) == (1, 1)
    assert main([*args[:-2], "--out", str(tmp_path / "lead.csv")]) == 0
    assert (tmp_path / "lead-competing.csv").is_file()


def test_bad_input_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["survival", "--input", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    write_dataset(world(2), tmp_path, fmt="jsonl")
    assert main(["funnel", "--input", str(tmp_path), "--as-of", "yesterday"]) == 2


def test_survival_command_other_transitions_and_flags(tmp_path: Path) -> None:
    write_dataset(world(), tmp_path / "in", fmt="csv")
    out = tmp_path / "q.parquet"
    args = ["survival", "--input", str(tmp_path / "in"), "--transition", "capture_to_qualified"]
    assert main([*args, "--by", "owner", "--time-varying", "--out", str(out)]) == 0
    import pyarrow.parquet as pq

    rows = pq.read_table(out).to_pylist()
    assert {r["segment"] for r in rows} == {None, "ann", "bob"}
    assert (tmp_path / "q-cox-time-varying.parquet").is_file()
    assert main([*args, "--competing"]) == 2  # competing risks are for lead_to_won only


def test_funnel_command_reads_the_qualification_rule(tmp_path: Path) -> None:
    write_dataset(world(4), tmp_path / "in", fmt="jsonl")
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"threshold": 50, "lapse_threshold": 1}), encoding="utf-8")
    out = tmp_path / "f.json"
    assert main(["funnel", "--input", str(tmp_path / "in"), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["total"]["counts"]["qualified"] == 4
    args = ["funnel", "--input", str(tmp_path / "in"), "--config", str(strict), "--out", str(out)]
    assert main(args) == 0
    assert json.loads(out.read_text())["total"]["counts"]["qualified"] == 0
    strict.write_text('{"threshold": -1}', encoding="utf-8")
    assert main(args) == 2
