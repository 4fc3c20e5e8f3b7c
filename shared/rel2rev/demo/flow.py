"""The demo flow, step by step: what `rel2rev demo` (and `make demo`) runs.

1. generate the seeded world (and write it, its ground truth and the backfill file to `out/`);
2. bring up the embedded stack and the local HubSpot API (seeded with what HubSpot held
   before the webhooks were switched on), and register one connection per source;
3. backfill HubSpot's history through its API with the HubSpot client (`rel2rev.sync.root`:
   archived and queued as webhooks are);
4. deliver the world as each source's signed native webhooks over HTTP, concurrently, with
   retries, some redeliveries, then stale (out-of-order) deal updates;
5. backfill the oldest engagement history with `rel2rev import FILE`;
6. wait for the processor to drain the queue;
7. create a finance API key and send the world's costs through `PUT /v1/costs`;
8. run the job as the daily schedule does;
9. pull every deal's credit lines through the API and reconcile them to the cent, and write
   how closely each model's channel shares recovered the planted ones (`out/recovery.json`);
10. download the run's exports and `report.html` into `out/`.
Each step is timed; any failure stops the flow with a `DemoError` naming the step.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from rel2rev.api.models import AttributionResponse, ExportsResponse, FunnelResponse
from rel2rev.demo.delivery import (
    DeliveryStats,
    demo_connections,
    native_deliveries,
    send_all,
    with_duplicates,
)
from rel2rev.demo.finance import FinanceClient, Reconciliation, reconcile
from rel2rev.demo.hubspot_history import hubspot_seed
from rel2rev.demo.plan import DeliveryPlan, plan_delivery
from rel2rev.errors import Rel2revError
from rel2rev.importer import http_sender, import_rows, read_rows
from rel2rev.ingest.connections import Connection
from rel2rev.local import LocalStack
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.local.template import load_template
from rel2rev.results.contracts import RunRecord, RunStatus
from rel2rev.simulate import Recovery, World, WorldConfig, simulate_world, write_world
from rel2rev.simulate.costs import world_costs
from rel2rev.sync.root import sync_root
from rel2rev.transport import Delivery, DeliveryError, Sent, Transport

JOB_FUNCTION = "ModelJobFunction"


class DemoError(Rel2revError):
    """A demo step failed; the message says which and why."""

    status = 500
    code = "demo_failed"


class DemoConfig(BaseModel):
    """How big the demo world is and how it is delivered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    out: Path = Path("out")
    seed: int = 7
    accounts: int = Field(60, ge=3, le=2_000)
    days: int = Field(240, ge=60, le=730)
    workspace: str = Field("demo", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    workers: int = Field(8, ge=1, le=64)
    redeliver_fraction: float = Field(0.05, ge=0, le=1)
    stale_deals: int = Field(4, ge=0)
    drain_timeout_seconds: float = Field(900, gt=0)


@dataclass
class DemoResult:
    """Everything the flow produced, for the summary and the tests."""

    world: World
    plan: DeliveryPlan
    delivered: DeliveryStats | None = None
    stale: DeliveryStats | None = None
    backfill_rows: int = 0
    api_objects: int = 0
    """HubSpot objects read through its API (contacts, deals, emails)."""
    api_events: int = 0
    events_accepted: int = 0
    cost_lines: int = 0
    run: RunRecord | None = None
    reconciliation: Reconciliation | None = None
    attribution: AttributionResponse | None = None
    funnel: FunnelResponse | None = None
    files: list[Path] = field(default_factory=list)
    report: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


def schedule_event(template: Path | None = None) -> dict[str, Any]:
    """The event EventBridge Scheduler sends the job: the template's ScheduleV2 `Input`."""
    document = load_template(template) if template else load_template()
    events = document["Resources"][JOB_FUNCTION]["Properties"].get("Events", {})
    for spec in events.values():
        if spec.get("Type") == "ScheduleV2":
            value: dict[str, Any] = json.loads(spec["Properties"]["Input"])
            return value
    raise DemoError(f"{JOB_FUNCTION} has no ScheduleV2 event in template.yaml")


def _bar(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class _ApiBars:
    """The backfill's progress (`rel2rev.backfill.run.Progress`) as one bar per object type."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._done: dict[str, int] = {}

    def start(self, object_type: str, total: int | None, done: int) -> None:
        label = f"HubSpot API: {object_type}"
        self._tasks[object_type] = self._progress.add_task(label, total=total, completed=done)
        self._done[object_type] = done

    def advance(self, object_type: str, objects: int, events: int) -> None:
        self._done[object_type] += objects
        self._progress.advance(self._tasks[object_type], objects)

    def finish(self, object_type: str) -> None:
        done = self._done[object_type]
        self._progress.update(self._tasks[object_type], total=done, completed=done)


def recoveries(result: DemoResult) -> dict[str, Recovery]:
    """Each model's channel shares (the API's comparison table) against the planted ones."""
    if result.attribution is None or not result.attribution.comparison:
        return {}
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    for cell in result.attribution.comparison:
        if cell.by == "channel":
            shares[cell.model][cell.value] = cell.share
    truth = result.world.truth
    return {model: truth.recovery(values) for model, values in shares.items()}


class DemoFlow:
    """Runs the steps in order on one embedded stack; see the module docstring."""

    def __init__(self, config: DemoConfig, console: Console | None = None) -> None:
        self.config = config
        self.console = console or Console()
        world = simulate_world(
            WorldConfig(
                seed=config.seed,
                accounts=config.accounts,
                days=config.days,
                workspace=config.workspace,
            )
        )
        self.result = DemoResult(
            world=world,
            plan=plan_delivery(world, stale_deals=config.stale_deals, seed=config.seed),
        )
        self.connections: dict[str, Connection] = demo_connections(config.workspace)
        self.transport = Transport()
        self.api_key = ""

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a step; turn any failure into a `DemoError` naming the step."""
        started = time.perf_counter()
        try:
            yield
        except DemoError:
            raise
        except Exception as exc:
            raise DemoError(f"step '{name}' failed: {type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - started
        self.result.timings[name] = seconds
        self.console.print(f"[green]✓[/green] {name} [dim]({seconds:.1f} s)[/dim]")

    # --- steps -----------------------------------------------------------------------------
    def write_inputs(self) -> None:
        """The world, its ground truth and the backfill file, under `out/world/`."""
        folder = self.config.out / "world"
        write_world(self.result.world, folder)
        rows = self.result.plan.backfill
        backfill = folder / "backfill.jsonl"
        backfill.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        self.result.backfill_rows = len(rows)

    def hubspot_api(self) -> HubSpotApiServer:
        """The local HubSpot API, holding what the plan reads through it; the HubSpot
        connection gets a private-app token for it."""
        token = secrets.token_hex(16)
        seed = hubspot_seed(self.result.plan.api["hubspot"], self.result.world.records.contacts)
        server = HubSpotApiServer(seed, token=token)
        self.connections["hubspot"] = self.connections["hubspot"].model_copy(
            update={"api_token": SecretStr(token), "api_base_url": server.url}
        )
        return server

    def register(self, stack: LocalStack) -> None:
        """One connection per source, as a user configures when pointing each CRM at us."""
        for connection in self.connections.values():
            stack.connections.register(connection)

    def crm_backfill(self) -> None:
        """HubSpot's history through its API (the composition root's backfill), one bar per
        object type."""
        with _bar(self.console) as progress:
            checkpoints = sync_root().backfill(
                self.connections["hubspot"], progress=_ApiBars(progress)
            )
        self.result.api_objects = sum(c.objects for c in checkpoints)
        self.result.api_events = sum(c.events for c in checkpoints)

    def deliver(self, stack: LocalStack) -> None:
        """Native signed webhooks of every source, concurrently, some redelivered."""
        plan = self.result.plan
        directory = self.result.world.records.contacts
        deliveries = native_deliveries(
            plan.live, self.connections, stack.api_url, directory=directory
        )
        mixed = with_duplicates(deliveries, self.config.redeliver_fraction, self.config.seed)
        self.result.delivered = self._send(mixed, "webhooks (4 sources, with redeliveries)")
        stale = native_deliveries(
            plan.stale, self.connections, stack.api_url, directory=directory, label="stale "
        )
        self.result.stale = self._send(stale, "stale out-of-order deal updates")

    def _send(self, deliveries: list[Delivery], label: str) -> DeliveryStats:
        with _bar(self.console) as progress:
            task = progress.add_task(label, total=len(deliveries))

            def sent(answer: Sent) -> None:
                progress.advance(task)
                if answer.body.startswith("{"):
                    self.result.events_accepted += int(json.loads(answer.body).get("accepted", 0))

            return send_all(deliveries, self.transport, workers=self.config.workers, on_sent=sent)

    def backfill(self, stack: LocalStack) -> None:
        """Import `out/world/backfill.jsonl` through the stack's API, as `rel2rev import`."""
        secret = self.connections["generic"].signing_secret
        assert secret is not None
        path = self.config.out / "world" / "backfill.jsonl"
        rows = read_rows(path)
        ws = self.config.workspace
        send = http_sender(stack.api_url, ws, secret.get_secret_value(), path.name)
        with _bar(self.console) as progress:
            task = progress.add_task(f"importing {path.name}", total=len(rows))
            try:
                import_rows(
                    rows,
                    send,
                    workers=self.config.workers,
                    on_batch=lambda batch: progress.advance(task, len(batch.rows)),
                )
            except DeliveryError as exc:
                raise DemoError(f"the backfill stopped: {exc}") from None

    def drain(self, stack: LocalStack) -> None:
        """Wait until the processor has applied every queued event (bar: queue depth)."""
        deadline = time.monotonic() + self.config.drain_timeout_seconds
        with _bar(self.console) as progress:
            task = progress.add_task("processing queued events", total=None)
            high = 0
            while time.monotonic() < deadline:
                pending = sum(p.pending() for p in stack.pollers)
                high = max(high, pending)
                progress.update(task, total=high, completed=high - pending)
                if pending == 0:
                    break
                time.sleep(0.5)
        remaining = max(1.0, deadline - time.monotonic())
        stack.drain(timeout=remaining)

    def costs(self, stack: LocalStack) -> None:
        """Create the finance key (the schedule runs workspaces with keys) and send what the
        world spent per channel and month through `PUT /v1/costs`."""
        from rel2rev.storage.api_keys import api_key_store

        _, self.api_key = api_key_store().create(self.config.workspace, name="finance (demo)")
        lines = world_costs(self.result.world)
        self.result.cost_lines = FinanceClient(stack.api_url, self.api_key).put_costs(lines)

    def run_job(self, stack: LocalStack) -> None:
        """Run the job as the daily schedule does."""
        with self.console.status("modelling job: funnel, survival, every attribution model"):
            answer = stack.invoke(JOB_FUNCTION, schedule_event())
        runs = [r for r in answer.get("runs", []) if r.get("workspace") == self.config.workspace]
        if not runs:
            raise DemoError(f"the scheduled job did not run workspace {self.config.workspace!r}")
        client = FinanceClient(stack.api_url, self.api_key)
        run = RunRecord.model_validate_json(client.get(f"/v1/runs/{runs[0]['run_id']}").content)
        if run.status not in {RunStatus.SUCCEEDED, RunStatus.PARTIAL}:
            raise DemoError(f"run {run.run_id} {run.status}: {run.error}")
        self.result.run = run

    def finance(self, stack: LocalStack) -> None:
        """Every deal's credit lines through the API, reconciled to the booked amounts."""
        client = FinanceClient(stack.api_url, self.api_key)
        with self.console.status("finance: pulling per-deal credit lines"):
            deals = client.deals()
        run = self.result.run
        assert run is not None
        parameters = run.parameters
        check = reconcile(
            deals, self.result.plan.booked, parameters.models, parameters.attribution_by
        )
        self.result.reconciliation = check
        self.result.attribution = client.attribution(by="channel")
        self.result.funnel = client.funnel()
        recovery = {m: r.model_dump(mode="json") for m, r in recoveries(self.result).items()}
        path = self.config.out / "recovery.json"
        path.write_text(json.dumps(recovery, indent=2) + "\n", encoding="utf-8")
        if not check.ok:
            shown = "; ".join([*check.problems, *check.missing][:5])
            raise DemoError(f"attribution does not reconcile: {shown}")

    def exports(self, stack: LocalStack) -> None:
        """Download the run's exports (presigned URLs) into `out/`."""
        assert self.result.run is not None
        client = FinanceClient(stack.api_url, self.api_key)
        listing = ExportsResponse.model_validate_json(
            client.get(f"/v1/runs/{self.result.run.run_id}/exports").content
        )
        with _bar(self.console) as progress:
            task = progress.add_task("downloading exports", total=len(listing.exports))
            for link in listing.exports:
                response = requests.get(link.url, timeout=60)
                response.raise_for_status()
                path = self.config.out / link.name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(response.content)
                self.result.files.append(path)
                progress.advance(task)
        report = self.config.out / "report.html"
        if not report.is_file():
            raise DemoError("the run's exports hold no report.html")
        self.result.report = report

    # --- the whole flow --------------------------------------------------------------------
    def run(self, stack: LocalStack | None = None) -> DemoResult:
        """Every step, in order, on `stack` (or on a fresh stack, stopped at the end)."""
        self.config.out.mkdir(parents=True, exist_ok=True)
        counts = self.result.world.truth.counts
        self.console.print(
            f"world (seed {self.config.seed}): {counts.accounts} accounts, "
            f"{counts.contacts} contacts, {counts.interactions} interactions, "
            f"{counts.deals_won} won / {counts.deals_lost} lost / {counts.deals_open} open deals"
        )
        with self.step("write the world, its ground truth and the backfill file"):
            self.write_inputs()
        with ExitStack() as exits:
            with self.step("bring up the embedded stack"):
                live = stack if stack is not None else exits.enter_context(LocalStack())
            self.console.print(f"  API {live.api_url}")
            with self.step("start the local HubSpot API and register the source connections"):
                exits.enter_context(self.hubspot_api())
                self.register(live)
            with self.step("backfill HubSpot's history through its API"):
                self.crm_backfill()
            with self.step("deliver the world as native webhooks"):
                self.deliver(live)
            with self.step("backfill history with rel2rev import"):
                self.backfill(live)
            with self.step("process the queue"):
                self.drain(live)
            with self.step("create the finance key and send the costs (PUT /v1/costs)"):
                self.costs(live)
            with self.step("run the job as the schedule would"):
                self.run_job(live)
            with self.step("pull attribution as finance and reconcile every deal"):
                self.finance(live)
            with self.step("download the exports and report.html"):
                self.exports(live)
        return self.result
