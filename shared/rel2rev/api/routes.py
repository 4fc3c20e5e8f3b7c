"""The finance API resolver: every route, scoped to the workspace the authorizer vouched for.

Route functions parse and validate parameters (Powertools validation -> 422 naming the
field), read precomputed results through `rel2rev.storage.results`, and shape them with
`rel2rev.api.views`. Every error leaves through ONE exception handler as `to_body()` JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from rel2rev import __version__
from rel2rev.api.erasures import request_erasure
from rel2rev.api.models import (
    AttributionResponse,
    CostLineBody,
    CostsBody,
    CostsResponse,
    CostsStored,
    DealsPage,
    DriversResponse,
    ErasureBody,
    ErrorResponse,
    ExportLink,
    ExportsResponse,
    FunnelResponse,
    ModelCredit,
    RelationshipResponse,
    ReturnsResponse,
    RunRequest,
    RunsPage,
    SurvivalResponse,
)
from rel2rev.api.runs import request_run
from rel2rev.api.views import (
    CSV_COLUMNS,
    deal_credit,
    deals_csv,
    funnel_groups,
    repeated_lines,
    returns_of_view,
)
from rel2rev.erasure import ErasureReceipt
from rel2rev.errors import (
    AuthenticationError,
    InsufficientDataError,
    NotFoundError,
    Rel2revError,
    UnprocessableError,
)
from rel2rev.funnel.stages import sum_money
from rel2rev.results.contracts import (
    FULL_CREDIT_OF,
    MODEL_ALIASES,
    AttributionDimension,
    DealAttribution,
    Drivers,
    FunnelDimension,
    ReturnDimension,
    RunRecord,
    SectionName,
    SectionStatus,
    Transition,
)
from rel2rev.results.reconciliation import (
    credited_totals,
    incremental_shares,
    reconcile,
    unattributed_totals,
)
from rel2rev.settings import erasure_request_settings
from rel2rev.spend import Month
from rel2rev.storage import erasure_queue, erasure_receipts
from rel2rev.storage.costs import cost_store
from rel2rev.storage.results import ResultsStore, export_files, results_store, run_requests

ModelName = Literal[
    "first", "last", "last_non_direct", "linear", "time_decay", "u_shaped", "w_shaped",
    "full_path", "j_shaped", "inverse_j", "markov", "shapley", "shapley_rate",
    "additive_hazard", "logistic", "shapley_incremental", "additive_hazard_incremental",
    "logistic_incremental", "shapley_simplified",
]  # fmt: skip
"""Every model, then the aliases (`MODEL_ALIASES`: `shapley_simplified` is `shapley`)."""
T = TypeVar("T")
Ordered = TypeVar("Ordered", date, str)
EXPORT_URL_SECONDS = 900
_DEALS_SCAN_PAGE = 200

app = APIGatewayHttpResolver(enable_validation=True)

RunIdQuery = Annotated[
    str | None, Query(description="A finished run of yours; default: the latest finished run")
]
FromQuery = Annotated[date | None, Query(alias="from", description="First day, inclusive")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last day, inclusive")]
FIRST_MONTH, LAST_MONTH = "0000-01", "9999-12"


@app.exception_handler([Rel2revError, RequestValidationError])  # type: ignore[untyped-decorator]
def _error_response(exc: Exception) -> Response[str]:
    """The one place errors become responses: `Rel2revError.to_body()` with its status."""
    if isinstance(exc, RequestValidationError):
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in d["loc"][1:]) or "body" for d in details)
        exc = UnprocessableError(f"invalid request: {fields}", details=details)
    assert isinstance(exc, Rel2revError)
    return _respond(exc)


def _respond(exc: Rel2revError) -> Response[str]:
    return Response(
        status_code=exc.status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(exc.to_body()),
    )


@app.not_found  # type: ignore[untyped-decorator]
def _no_route(exc: Exception) -> Response[str]:
    """An unknown route: 404 in the one error shape."""
    del exc
    path = app.current_event.path
    return _respond(NotFoundError(f"no route {app.current_event.http_method} {path}"))


def _workspace() -> str:
    context = app.current_event.request_context.authorizer.get_lambda or {}
    workspace = context.get("workspace")
    if not isinstance(workspace, str) or not workspace:
        raise AuthenticationError("missing or invalid API key")
    return workspace


def _run(store: ResultsStore, workspace: str, run_id: str | None) -> RunRecord:
    return store.latest_run(workspace) if run_id is None else store.get_run(workspace, run_id)


def _section(run: RunRecord, name: SectionName, load: Callable[[str, str], T]) -> T:
    """A section's stored results; a section that failed in this run is 422 with its reason."""
    try:
        return load(run.workspace, run.run_id)
    except NotFoundError:
        outcome = run.section(name)
        if outcome is None or outcome.status is SectionStatus.OK:
            raise
        raise InsufficientDataError(
            f"the {name} section of run {run.run_id} {outcome.status.value}: {outcome.error}"
        ) from None


def _check_range(start: Ordered | None, end: Ordered | None) -> None:
    if start is not None and end is not None and start > end:
        raise UnprocessableError(
            "from must not be after to",
            details=[{"loc": ["query", "from"], "msg": "after 'to'"}],
        )


def _day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    low = datetime.combine(start, time(), tzinfo=UTC) if start else None
    high = (
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)
        if end
        else None
    )
    return low, high


@app.get("/v1/funnel", summary="Funnel from capture to revenue, by cohort month and dimension")
def get_funnel(
    start: FromQuery = None,
    end: ToQuery = None,
    by: Annotated[FunnelDimension | None, Query()] = None,
    cohort: Annotated[Literal["month"] | None, Query()] = None,
    run_id: RunIdQuery = None,
) -> FunnelResponse:
    """Stage counts, rates, revenue and vanity vs relationship counts of the capture cohorts
    whose month lies in [from, to], overall or split `by`, summed or `cohort=month`."""
    _check_range(start, end)
    store = results_store()
    run = _run(store, _workspace(), run_id)
    funnel = _section(run, "funnel", store.funnel)
    return FunnelResponse(
        run_id=run.run_id,
        as_of=run.as_of,
        start=start,
        end=end,
        by=by,
        cohort=cohort,
        groups=funnel_groups(funnel, start=start, end=end, by=by, per_cohort=cohort == "month"),
        delays=funnel.delays,
        won=funnel.won,
        won_deals=funnel.won_deals,
        unplaced=funnel.unplaced,
    )


def _deals_in_range(
    store: ResultsStore, run: RunRecord, start: date | None, end: date | None
) -> list[DealAttribution]:
    low, high = _day_bounds(start, end)
    found: list[DealAttribution] = []
    cursor: str | None = None
    while True:
        deals, cursor = store.deal_pages(
            run.workspace, run.run_id, start=low, end=high, limit=_DEALS_SCAN_PAGE, cursor=cursor
        )
        found += deals
        if cursor is None:
            return found


def _model(name: str | None) -> str | None:
    """The model a name stands for (`shapley_simplified` is `shapley`)."""
    return None if name is None else MODEL_ALIASES.get(name, name)


def _computed(
    run: RunRecord,
    model: str | None,
    by: str | None,
    computed: tuple[Sequence[str], Sequence[str]] | None = None,
) -> None:
    """422 naming what exists when `model` or `by` is not among the models and dimensions the
    run computed (`computed`, else the run's parameters)."""
    models, dimensions = computed or (run.parameters.models, run.parameters.attribution_by)
    asked: list[tuple[str, str | None, list[str]]] = [
        ("model", model, list(models)),
        ("by", by, list(dimensions)),
    ]
    for name, value, known in asked:
        if value is not None and value not in known:
            raise UnprocessableError(
                f"run {run.run_id} did not compute {name} {value!r}; it has: {', '.join(known)}",
                details=[{"loc": ["query", name], "msg": f"not computed; one of {known}"}],
            )


def _path_id(value: str) -> str:
    """A path parameter as the id it encodes: `hubspot%3A9000009` is `hubspot:9000009`."""
    return unquote(value)


@app.get("/v1/attribution", summary="Attributed revenue per dimension value, per model")
def get_attribution(
    model: Annotated[ModelName | None, Query()] = None,
    by: Annotated[AttributionDimension, Query()] = "channel",
    start: FromQuery = None,
    end: ToQuery = None,
    run_id: RunIdQuery = None,
) -> AttributionResponse:
    """Revenue per dimension value per currency under each model (or `model`), with the
    model x value comparison table, what was won, what was left unattributed and why, and the
    reconciliation; `from`/`to` restrict to deals closed in that range."""
    _check_range(start, end)
    wanted = _model(model)
    store = results_store()
    run = _run(store, _workspace(), run_id)
    stored = _section(run, "attribution", store.attribution)
    _computed(run, wanted, by, (stored.models, stored.dimensions))
    models = [wanted] if wanted else stored.models
    if start is None and end is None:
        totals, gaps = stored.totals, stored.unattributed_totals
        won, won_deals, checks = stored.won, stored.won_deals, stored.reconciliation
        shares = stored.incremental
    else:
        deals = _deals_in_range(store, run, start, end)
        totals = credited_totals(x for d in deals for x in d.lines)
        gaps = unattributed_totals(x for d in deals for x in d.unattributed)
        won = sum_money(d.amount for d in deals if d.amount is not None)
        won_deals = len(deals)
        checks = reconcile(deals, stored.models, [by])
        shares = incremental_shares(totals, won, models)
    return AttributionResponse(
        run_id=run.run_id,
        by=by,
        models=models,
        won=won,
        won_deals=won_deals,
        totals=[t for t in totals if t.by == by and t.model in models],
        unattributed=[g for g in gaps if g.by == by and g.model in models],
        reconciliation=[r for r in checks if r.by == by and r.model in models],
        comparison=None if wanted else [c for c in stored.comparison if c.by == by],
        failures=[f for f in stored.failures if f.by == by and wanted in (None, f.model)],
        baseline=stored.baseline,
        credit=[
            ModelCredit(model=m, incremental=m in FULL_CREDIT_OF, full_model=FULL_CREDIT_OF.get(m))
            for m in models
        ],
        incremental=[s for s in shares if s.by == by and s.model in models],
    )


@app.get(
    "/v1/attribution/deals",
    summary="Per-deal credit lines (JSON, or CSV with Accept: text/csv), paginated",
    responses={
        200: {
            "description": "One page of deals; the next page's cursor also in X-Next-Cursor",
            "content": {
                "application/json": {"model": DealsPage},
                "text/csv": {"schema": {"type": "string", "description": ", ".join(CSV_COLUMNS)}},
            },
        }
    },
)
def get_attribution_deals(  # noqa: PLR0917 (one argument per query parameter)
    start: FromQuery = None,
    end: ToQuery = None,
    model: Annotated[ModelName | None, Query()] = None,
    by: Annotated[AttributionDimension | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    run_id: RunIdQuery = None,
) -> Response[DealsPage | str]:
    """Won deals closed in [from, to] in close order, each with its credit lines and
    unattributed lines: under each model and dimension a deal's lines sum exactly to its amount,
    or it is unattributed with the reason. `Accept: text/csv` returns the same page as CSV."""
    _check_range(start, end)
    wanted = _model(model)
    store = results_store()
    run = _run(store, _workspace(), run_id)
    _computed(run, wanted, by)
    low, high = _day_bounds(start, end)
    pages, next_cursor = store.deal_pages(
        run.workspace, run.run_id, start=low, end=high, limit=limit, cursor=cursor
    )
    deals = [deal_credit(deal, wanted, by) for deal in pages]
    headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
    accept = app.current_event.headers.get("accept") or ""
    if "text/csv" in accept:
        return Response(
            status_code=200, content_type="text/csv", body=deals_csv(deals), headers=headers
        )
    page = DealsPage(run_id=run.run_id, deals=deals, next_cursor=next_cursor)
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=page, headers=headers
    )


@app.get("/v1/attribution/deals/<deal_id>", summary="One deal's credit lines")
def get_attribution_deal(
    deal_id: Annotated[str, Path(max_length=256)],
    model: Annotated[ModelName | None, Query()] = None,
    run_id: RunIdQuery = None,
) -> DealsPage:
    """One won deal's credit lines and unattributed lines under every model (or `model`).
    Ids with `:` may be sent percent-encoded (`hubspot%3A9000009`)."""
    wanted = _model(model)
    deal_id = _path_id(deal_id)
    store = results_store()
    run = _run(store, _workspace(), run_id)
    _computed(run, wanted, None)
    deal = deal_credit(store.deal(run.workspace, run.run_id, deal_id), wanted)
    if not deal.lines and not deal.unattributed:
        raise NotFoundError(f"deal {deal_id!r} has no {wanted} credit in run {run.run_id}")
    return DealsPage(run_id=run.run_id, deals=[deal], next_cursor=None)


@app.get("/v1/survival/drivers", summary="What speeds each transition (Cox), won vs lost")
def get_survival_drivers(
    transition: Annotated[Transition | None, Query()] = None,
    run_id: RunIdQuery = None,
) -> DriversResponse:
    """Cox hazard ratios per transition, and won vs lost as competing risks."""
    store = results_store()
    run = _run(store, _workspace(), run_id)
    survival = _section(run, "survival", store.survival)
    drivers: list[Drivers] = [d for d in survival.drivers if transition in (None, d.transition)]
    return DriversResponse(run_id=run.run_id, drivers=drivers, competing=survival.competing)


@app.get("/v1/survival/<transition>", summary="Kaplan-Meier curves of one transition")
def get_survival(
    transition: Annotated[Transition, Path()],
    by: Annotated[FunnelDimension | None, Query()] = None,
    run_id: RunIdQuery = None,
) -> SurvivalResponse:
    """Kaplan-Meier curves (with bands, medians, numbers at risk), overall or per segment."""
    store = results_store()
    run = _run(store, _workspace(), run_id)
    survival = _section(run, "survival", store.survival)
    computed = {c.by for c in survival.curves if c.transition == transition}
    if by not in computed:
        names = ", ".join(sorted("overall" if b is None else b for b in computed)) or "none"
        raise UnprocessableError(
            f"run {run.run_id} has no {transition} curves by {by}; it has: {names}",
            details=[{"loc": ["query", "by"], "msg": f"not computed; computed: {names}"}],
        )
    curves = [c for c in survival.curves if c.transition == transition and c.by == by]
    return SurvivalResponse(run_id=run.run_id, transition=transition, by=by, curves=curves)


@app.get("/v1/relationships/<contact_id>", summary="Timeline, score history, stage moments")
def get_relationship(
    contact_id: Annotated[str, Path(max_length=256)],
    run_id: RunIdQuery = None,
) -> RelationshipResponse:
    """A contact's relationship: timeline, score history and stage moments (ids may be sent
    percent-encoded)."""
    store = results_store()
    run = _run(store, _workspace(), run_id)
    relationship = store.relationship(run.workspace, run.run_id, _path_id(contact_id))
    return RelationshipResponse(run_id=run.run_id, relationship=relationship)


@app.put("/v1/costs", summary="Store cost lines per month, channel and campaign (upsert)")
def put_costs(request: Annotated[CostsBody, Body()]) -> CostsStored:
    """Store up to 1000 cost lines; each replaces the stored line of its (month, channel,
    campaign, currency). A body repeating a key is refused (422 naming both lines), and
    nothing is stored."""
    workspace = _workspace()
    lines = [line.cost_line() for line in request.lines]
    repeated = repeated_lines(lines)
    if repeated:
        raise UnprocessableError(
            "a (month, channel, campaign, currency) may appear once: "
            + "; ".join(f"lines[{d['loc'][2]}] {d['msg']}" for d in repeated),
            details=repeated,
        )
    stored = cost_store().put(workspace, lines)
    return CostsStored(stored=stored, spend=sum_money(line.amount for line in lines))


@app.get("/v1/costs", summary="Stored cost lines of a month range")
def get_costs(
    first: Annotated[
        Month | None, Query(alias="from", description="First month (YYYY-MM), inclusive")
    ] = None,
    last: Annotated[
        Month | None, Query(alias="to", description="Last month (YYYY-MM), inclusive")
    ] = None,
) -> CostsResponse:
    """The workspace's cost lines of months [from, to] (default: every month), by month,
    channel and campaign."""
    _check_range(first, last)
    lines = cost_store().lines(_workspace(), first or FIRST_MONTH, last or LAST_MONTH)
    return CostsResponse(lines=[CostLineBody.of(line) for line in lines])


@app.get("/v1/returns", summary="Return on spend per channel or campaign, per model")
def get_returns(
    model: Annotated[ModelName | None, Query()] = None,
    by: Annotated[ReturnDimension | None, Query()] = None,
    run_id: RunIdQuery = None,
) -> ReturnsResponse:
    """Spend in the run's spend period against the revenue each model (or `model`) credits
    each channel and costed campaign (or `by`), with ROAS and ROI where the costs cover every
    month in which the value touched a won deal; and spend per qualified relationship."""
    wanted = _model(model)
    store = results_store()
    run = _run(store, _workspace(), run_id)
    stored = _section(run, "returns", store.returns)
    _computed(run, wanted, None)
    returns, qualified = returns_of_view(stored, wanted, by)
    return ReturnsResponse(
        run_id=run.run_id,
        by=by,
        models=[wanted] if wanted else list(run.parameters.models),
        spend_from=stored.spend_from,
        spend_to=stored.spend_to,
        window_from=stored.window_from,
        cost_lines=stored.cost_lines,
        spend=stored.spend,
        returns=returns,
        qualified=qualified,
    )


@app.get("/v1/runs", summary="The workspace's runs, latest as-of first")
def list_runs(
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RunsPage:
    """The workspace's runs, latest as-of first; pass `next_cursor` back as `cursor`."""
    runs, next_cursor = results_store().list_runs(_workspace(), limit=limit, cursor=cursor)
    return RunsPage(runs=runs, next_cursor=next_cursor)


@app.post(
    "/v1/runs",
    summary="Request a run (idempotent on as-of and parameters)",
    responses={
        200: {
            "description": "The run of this as-of and these parameters already exists",
            "content": {"application/json": {"model": RunRecord}},
        },
        202: {
            "description": "The run is queued",
            "content": {"application/json": {"model": RunRecord}},
        },
    },
)
def create_run(request: Annotated[RunRequest | None, Body()] = None) -> Response[RunRecord]:
    """Queue a run (202); the same as-of and parameters return the existing run (200)."""
    request = request or RunRequest()
    record, created = request_run(
        results_store(),
        run_requests(),
        _workspace(),
        request.as_of,
        request.parameters,
        now=datetime.now(UTC),
    )
    return Response(
        status_code=202 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=record,
    )


@app.get("/v1/runs/<run_id>", summary="One run: status, window, counts, timings")
def get_run(run_id: Annotated[str, Path(max_length=64)]) -> RunRecord:
    """Status, window, parameters, data counts, model versions, section timings and errors."""
    return results_store().get_run(_workspace(), run_id)


@app.get("/v1/runs/<run_id>/exports", summary="Presigned download URLs of a run's exports")
def get_run_exports(run_id: Annotated[str, Path(max_length=64)]) -> ExportsResponse:
    """Presigned download URLs (15 minutes) of the run's CSV, Parquet and report.html files."""
    run = results_store().get_run(_workspace(), run_id)
    files = export_files()
    return ExportsResponse(
        run_id=run.run_id,
        exports=[
            ExportLink(
                name=name,
                url=files.presigned_url(run.workspace, run.run_id, name, EXPORT_URL_SECONDS),
                expires_in=EXPORT_URL_SECONDS,
            )
            for name in run.exports
        ],
    )


@app.post(
    "/v1/erasures",
    summary="Forget a person (right to erasure); done asynchronously",
    responses={
        202: {
            "description": "The erasure is queued: its receipt",
            "content": {"application/json": {"model": ErasureReceipt}},
        }
    },
)
def create_erasure(request: Annotated[ErasureBody, Body()]) -> Response[ErasureReceipt]:
    """Queue the erasure of the person these identifiers name (202 with the queued receipt);
    follow it with `GET /v1/erasures/{erasure_id}`."""
    settings = erasure_request_settings()
    try:
        identifiers = request.all_identifiers()
    except ValueError as exc:
        raise UnprocessableError(f"not an identifier: {exc}") from None
    receipt = request_erasure(
        erasure_receipts(settings.table_name),
        erasure_queue(settings.erasure_queue_url),
        _workspace(),
        identifiers,
        now=datetime.now(UTC),
    )
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=receipt)


@app.get("/v1/erasures/<erasure_id>", summary="One erasure: status and what it removed")
def get_erasure(erasure_id: Annotated[str, Path(max_length=64)]) -> ErasureReceipt:
    """The receipt: queued, or done with counts of what was removed (no identifier in clear)."""
    return erasure_receipts(erasure_request_settings().table_name).get(_workspace(), erasure_id)


ERRORS_OF_EVERY_ROUTE = {
    404: "Unknown run, deal, contact, erasure or route",
    422: "A parameter is invalid, names something the run did not compute, or the section "
    "it needs failed in that run (the message says which)",
}
"""Errors any route may answer, in the one shape `ErrorResponse`."""
ERRORS_OF_ROUTE = {
    ("get", "/v1/attribution/deals"): {400: "The cursor is not one this API issued"},
    ("post", "/v1/runs"): {409: "A run of this workspace is already queued or running"},
}


def _gateway_answer(description: str, message: str) -> dict[str, Any]:
    """An answer API Gateway gives from the authorizer's verdict, before the API runs (HTTP
    APIs do not let its body be shaped)."""
    schema = {
        "type": "object",
        "properties": {"message": {"type": "string", "examples": [message]}},
    }
    return {"description": description, "content": {"application/json": {"schema": schema}}}


UNAUTHORIZED = _gateway_answer(
    "No API key (no Authorization header), or one the authorizer rejects. Answered by API "
    "Gateway before the API runs",
    "Unauthorized",
)
FORBIDDEN = _gateway_answer(
    "The authorizer's verdict is a denial (an unknown or revoked key). Answered by API "
    "Gateway before the API runs",
    "Forbidden",
)


def openapi_document() -> str:
    """The OpenAPI 3.1 document of this API, as committed in openapi.json: every route's
    4xx answers documented with the body they really carry."""
    document = json.loads(
        app.get_openapi_json_schema(
            title="rel2rev finance API",
            version=__version__,
            openapi_version="3.1.0",
            description="Funnel, attribution, survival and relationships of your workspace.",
            security_schemes={"apiKey": HTTPBearer(description="A workspace API key")},
            security=[{"apiKey": []}],
        )
    )
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorResponse"] = error_schema
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = ERRORS_OF_EVERY_ROUTE | ERRORS_OF_ROUTE.get((method, path), {})
            responses = operation["responses"]
            responses["401"] = UNAUTHORIZED
            responses["403"] = FORBIDDEN
            for status, text in sorted(errors.items()):
                responses[str(status)] = {"description": text, "content": body}
            operation["responses"] = dict(sorted(responses.items()))
    return json.dumps(document)


__all__ = ["ModelName", "app", "openapi_document"]
