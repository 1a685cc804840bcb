"""Ingest: simulation results run elsewhere and wafer yield measurements, from other systems.

Both POSTs take one record or ``{"records": [...]}`` (up to 1000), validated against the atlas
contracts, and store all of them or none: one bad record is a 422 naming it
(``records.3.result.cd_nm``). Writing needs ``ingest:write`` (operators, admins, services: the
systems that feed LTO).

Reading yield needs ``jobs:read``, which every role holds: yield is the fab's outcome of the
settings engineers choose, the measure their jobs' scores are judged by, and it belongs to no
one user (it is the fab's, as alerts are); ``ingest:write`` is for what feeds LTO, not for
reading what came back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from lto.atlas.contracts import JobParameters, SimulationResult, TradeoffSignals
from lto.atlas.yield_data import YieldMeasurement
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.bodies import invalid, request_body, validate
from lto.capricorn.api.deps import Config, CursorsDep, IdempotencyDep, Services, require
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.views import API, Out, Page
from lto.capricorn.repositories import DuplicateYield, IngestedResult, YieldRecord
from lto.capricorn.service.ingest import reported_signals, result_problems

router = APIRouter(prefix=f"{API}/ingest", tags=["ingest"])

Ingester = Annotated[Principal, Depends(require("ingest:write"))]
Reader = Annotated[Principal, Depends(require("jobs:read"))]
MAX_RECORDS = 1000
Payload = Annotated[dict[str, Any], Body()]


# --- input ------------------------------------------------------------------------------------


class IngestParameters(JobParameters):
    """The job's parameters (``JobParameters``); ``submitted_by`` defaults to the caller."""

    submitted_by: str | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]


class ReportedResult(SimulationResult):
    """A ``SimulationResult``; its ``job_id`` may be left out (the record's id replaces it)
    and ``signals`` too (LTO then computes the six scores)."""

    job_id: str | None = Field(default=None, max_length=200)  # type: ignore[assignment]


class SimulationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(
        min_length=1, max_length=200, description="the simulator or system that ran it"
    )
    parameters: IngestParameters
    result: ReportedResult


class SimulationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[SimulationRecord] = Field(min_length=1, max_length=MAX_RECORDS)


class YieldBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[YieldMeasurement] = Field(min_length=1, max_length=MAX_RECORDS)


# --- output -----------------------------------------------------------------------------------


class SignalsOut(Out):
    resolution_vs_dof: float
    yield_risk: float
    speed_vs_accuracy: float
    cost_vs_fidelity: float
    surrogate_reliability: float
    overall_health: float


class IngestedResultOut(Out):
    id: str
    received_at: datetime
    source: str
    submitted_by: str
    signals: SignalsOut
    signals_computed: bool  # true: the sender sent none, LTO scored the result


class IngestedResultsOut(Out):
    count: int
    items: list[IngestedResultOut]


class YieldRecordOut(Out):
    id: str
    received_at: datetime
    submitted_by: str
    lot_id: str
    wafer_id: str
    layer: str
    measured_at: datetime
    yield_fraction: float
    die_count: int | None
    good_die: int | None
    defect_density_per_cm2: float | None
    cd_mean_nm: float | None
    cd_sigma_nm: float | None
    job_id: str | None
    cell_id: str | None
    metadata: dict[str, str | int | float | bool]


class YieldItemOut(YieldRecordOut):
    status: Literal["created", "unchanged"]  # unchanged: this very measurement was stored


class YieldIngestOut(Out):
    count: int
    created: int
    unchanged: int
    items: list[YieldItemOut]


class YieldPageOut(Page):
    items: list[YieldRecordOut]


def yield_out(record: YieldRecord) -> YieldRecordOut:
    return YieldRecordOut(
        id=record.id,
        received_at=record.received_at,
        submitted_by=record.submitted_by,
        **record.measurement.model_dump(),
    )


# --- helpers ----------------------------------------------------------------------------------


class _Envelope(BaseModel):
    """A batch before its records are read: each is validated on its own, so that every bad
    record is named in one answer."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_RECORDS)


def _records(payload: dict[str, Any], one: Any) -> tuple[list[Any], bool, list[dict[str, str]]]:
    """The records of a body that is one record or ``{"records": [...]}`` (None where one is
    invalid), whether it is a batch, and what is wrong with them."""
    if "records" not in payload:
        return [validate(one, payload)], False, []
    envelope: _Envelope = validate(_Envelope, payload)
    records, errors = [], []
    for index, raw in enumerate(envelope.records):
        try:
            records.append(validate(one, raw, prefix=f"records.{index}"))
        except Problem as problem:
            records.append(None)
            errors.extend(problem.errors)
    return records, True, errors


def _where(index: int, batched: bool, field: str = "") -> str:
    head = f"records.{index}" if batched else ""
    return ".".join(part for part in (head, field) if part) or "body"


def _ids(resource_id: str, count: int, batched: bool) -> list[str]:
    return [resource_id] if not batched else [f"{resource_id}-{i}" for i in range(count)]


# --- simulation results -----------------------------------------------------------------------


@router.post(
    "/simulation-results",
    status_code=201,
    response_model=IngestedResultsOut,
    summary="Store simulation results run elsewhere; they join the surrogate's training data",
    openapi_extra=request_body(
        SimulationRecord | SimulationBatch,
        description="one record, or {records: [...]} of up to 1000 (all stored, or none)",
    ),
    responses={
        400: {"description": "no Idempotency-Key, or malformed JSON"},
        409: {"description": "a request with this Idempotency-Key is in flight"},
        413: {"description": "the body is over the size limit: send smaller batches"},
        422: {"description": "a field breaks the contract or physics; nothing was stored"},
    },
)
def ingest_results(
    payload: Payload, request: Request, principal: Ingester, services: Services,
    idempotency: IdempotencyDep,
) -> JSONResponse:  # fmt: skip
    records, batched, errors = _records(payload, SimulationRecord)
    checked = []
    for index, record in enumerate(records):
        if record is None:
            continue
        parameters = JobParameters.model_validate(
            record.parameters.model_dump(exclude_unset=True)
            | {"submitted_by": record.parameters.submitted_by or principal.name}
        )
        fields = record.result.model_dump(exclude_unset=True, exclude={"job_id"})
        result = SimulationResult.model_validate({**fields, "job_id": "ingest"})
        errors += [
            {"field": _where(index, batched, field), "rule": rule}
            for field, rule in result_problems(parameters, result)
        ]
        checked.append((record.source, parameters, result))
    if errors:
        raise invalid(errors)

    def create(resource_id: str) -> tuple[int, dict[str, Any]]:
        ids = _ids(resource_id, len(checked), batched)
        items = []
        now = datetime.now(UTC)
        with services.uow() as uow:
            if uow.ingested.get(ids[0]) is not None:  # a request that died after storing them
                done = [
                    _stored_out(stored, result.signals is None)
                    for id, (_, _, result) in zip(ids, checked, strict=True)
                    if (stored := uow.ingested.get(id)) is not None
                ]
                return 201, IngestedResultsOut(count=len(done), items=done).model_dump(mode="json")
            for id, (source, parameters, result) in zip(ids, checked, strict=True):
                computed = result.signals is None
                signals = reported_signals(parameters, result) if computed else result.signals
                assert signals is not None
                record = IngestedResult(
                    id=id,
                    received_at=now,
                    source=source,
                    submitted_by=principal.name,
                    parameters=parameters.model_dump(mode="json"),
                    result=result.model_copy(update={"job_id": id, "signals": signals}).model_dump(
                        mode="json"
                    ),
                )
                uow.ingested.add(record)
                items.append(_stored_out(record, computed))
            uow.actor = principal.name
            uow.commit()
        return 201, IngestedResultsOut(count=len(items), items=items).model_dump(mode="json")

    return idempotency.respond(request, principal, payload, create, id_prefix="ingest")


def _stored_out(record: IngestedResult, computed: bool) -> IngestedResultOut:
    signals = TradeoffSignals.model_validate(record.result["signals"])
    return IngestedResultOut(
        id=record.id,
        received_at=record.received_at,
        source=record.source,
        submitted_by=record.submitted_by,
        signals=SignalsOut(**signals.as_dict()),
        signals_computed=computed,
    )


# --- yield ------------------------------------------------------------------------------------


@router.post(
    "/yield",
    status_code=201,
    response_model=YieldIngestOut,
    summary="Store wafer yield measurements (one per lot, wafer and layer)",
    openapi_extra=request_body(
        YieldMeasurement | YieldBatch,
        description="one measurement, or {records: [...]} of up to 1000 (all stored, or none)",
    ),
    responses={
        200: {"description": "every measurement was stored already, exactly so: nothing new"},
        400: {"description": "no Idempotency-Key, or malformed JSON"},
        409: {
            "description": "a wafer and layer already has another measurement (or a request "
            "with this Idempotency-Key is in flight); nothing was stored"
        },
        413: {"description": "the body is over the size limit: send smaller batches"},
        422: {"description": "a field breaks the contract, or names no job or cell"},
    },
)
def ingest_yield(
    payload: Payload, request: Request, principal: Ingester, services: Services,
    idempotency: IdempotencyDep,
) -> JSONResponse:  # fmt: skip
    found, batched, errors = _records(payload, YieldMeasurement)
    measurements: list[YieldMeasurement] = [m for m in found if m is not None]
    first: dict[tuple[str, str, str], int] = {}
    for index, m in enumerate(found):
        if m is None:
            continue
        seen = first.setdefault(m.key, index)
        if seen != index and found[seen] != m:
            errors.append(
                {
                    "field": _where(index, batched),
                    "rule": f"measures the wafer and layer of records.{seen} with other values",
                }
            )
    if errors:
        raise invalid(errors)

    def create(resource_id: str) -> tuple[int, dict[str, Any]]:
        ids = _ids(resource_id, len(measurements), batched)
        now = datetime.now(UTC)
        answers: dict[int, YieldItemOut] = {}  # by the index of each wafer's first record
        with services.uow() as uow:
            _check_references(uow, measurements, batched)
            conflicts = []
            for index in sorted(set(first.values())):
                m = measurements[index]
                existing = uow.yields.by_key(*m.key)
                if existing is None:
                    record = YieldRecord(id=ids[index], received_at=now, submitted_by=principal.name, measurement=m)  # fmt: skip
                    try:
                        uow.yields.add(record)
                        answers[index] = _item(record, "created")
                        continue
                    except DuplicateYield as exc:  # stored by another request meanwhile
                        existing = exc.existing
                if existing.measurement == m:
                    answers[index] = _item(existing, "unchanged")
                else:
                    conflicts.append(_conflict(index, batched, existing))
            if conflicts:
                raise Problem(
                    409,
                    "; ".join(e["rule"] for e in conflicts[:5]) + ": nothing was stored",
                    errors=conflicts,
                    kind="duplicate-yield",
                )
            uow.actor = principal.name
            uow.commit()
        items = [
            answers[index] if first[m.key] == index else _repeat(answers[first[m.key]])
            for index, m in enumerate(measurements)
        ]
        created = sum(1 for i in items if i.status == "created")
        out = YieldIngestOut(
            count=len(items), created=created, unchanged=len(items) - created, items=items
        )
        return (201 if created else 200), out.model_dump(mode="json")

    return idempotency.respond(request, principal, payload, create, id_prefix="yield")


def _item(record: YieldRecord, status: Literal["created", "unchanged"]) -> YieldItemOut:
    return YieldItemOut(**yield_out(record).model_dump(), status=status)


def _repeat(item: YieldItemOut) -> YieldItemOut:
    """A record repeated in one batch: the first stands, the repeat changed nothing."""
    return item.model_copy(update={"status": "unchanged"})


def _check_references(uow: Any, measurements: list[YieldMeasurement], batched: bool) -> None:
    """Every job and cell a measurement names must exist (else 422 naming it)."""
    errors = []
    for index, m in enumerate(measurements):
        if m.job_id is not None and uow.jobs.get(m.job_id) is None:
            errors.append({"field": _where(index, batched, "job_id"), "rule": f"no job {m.job_id!r}"})  # fmt: skip
        if m.cell_id is not None and uow.cells.get(m.cell_id) is None:
            errors.append({"field": _where(index, batched, "cell_id"), "rule": f"no litho cell {m.cell_id!r}"})  # fmt: skip
    if errors:
        raise invalid(errors)


def _conflict(index: int, batched: bool, existing: YieldRecord) -> dict[str, str]:
    lot, wafer, layer = existing.measurement.key
    return {
        "field": _where(index, batched),
        "rule": f"lot {lot} wafer {wafer} layer {layer} already has yield record "
        f"{existing.id} with other values",
    }


@router.get(
    "/yield",
    response_model=YieldPageOut,
    summary="Yield records, newest measurement first, a page at a time (keyset cursors)",
    responses={400: {"description": "a cursor altered, or from a listing with other filters"}},
)
def list_yield(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    lot_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    layer: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> YieldPageOut:
    limit = min(limit, config.page_limit_max)
    filters = {"lot_id": lot_id, "layer": layer}
    after = cursors.after("yield", cursor, filters)
    with services.uow() as uow:
        page = uow.yields.page(lot_id=lot_id, layer=layer, after=after, limit=limit)
    next_cursor = cursors.next("yield", page.next_cursor, filters)
    return YieldPageOut(
        items=[yield_out(r) for r in page.records], next_cursor=next_cursor, limit=limit
    )


__all__ = ["router"]
