"""Models: the production surrogate (what answers pre-flight and the what-if), how well it does
(on its held-out test split and on the live jobs the physics has since judged), and its
lifecycle: retrain a candidate, promote it (through the offline gate and the shadow count),
roll back.

Retraining runs minutes: ``POST /retrain`` starts it on a thread of this API process and
answers 202 with a run to poll. Runs are kept in this process's memory only (the newest 50;
there is no table for them): a restart forgets them, and a second API process does not know
them. The candidate itself is kept by the registry, whatever becomes of the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from lto.athena.drift import SIGNIFICANT
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import IdempotencyDep, Services, require
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.services import ApiServices, RegistryUnavailable
from lto.capricorn.api.time_window import Bucket, Since, Until, bucket_width, window
from lto.capricorn.api.views import API, Out
from lto.capricorn.repositories import Outcome
from lto.capricorn.service.preflight import NoSurrogate
from lto.daedalus.ports import SurrogatePort
from lto.metis.drift import DriftReport
from lto.metis.registry import RegistryError

log = logging.getLogger("lto.api")

router = APIRouter(prefix=f"{API}/models", tags=["models"])

Reader = Annotated[Principal, Depends(require("models:read"))]
Admin = Annotated[Principal, Depends(require("models:admin"))]
KEPT_RUNS = 50
SERIES_OUTCOMES = 50_000  # the most outcomes one series reads


# --- what the routes answer ---------------------------------------------------------------------


class AccuracyOut(Out):
    overall: float | None
    critical: float | None
    tolerance: float | None
    per_score: dict[str, float]


class ValidationOut(Out):
    """Measured on the held-out test split when the model was trained."""

    test_jobs: int | None
    accuracy: AccuracyOut
    coverage: dict[str, float]
    mean_width: dict[str, float]
    high_uncertainty_share: float | None
    ood_in_domain_flagged: float | None
    ood_outside_flagged: float | None


class ProfileRangeOut(Out):
    name: str
    wavelength_nm: float
    na: list[float]
    resist_thickness_nm: list[float]
    dose_mj_cm2: list[float]


class DomainOut(Out):
    """The process space the model was trained on (outside it, predictions are flagged)."""

    profiles: list[ProfileRangeOut]
    sigma: list[float]
    illuminations: list[str]
    patterns: list[str]
    pitch_over_limit: list[float]
    cd_over_pitch: list[float]


class RegisteredOut(Out):
    version: str
    surrogate_version: str | None
    aliases: list[str]
    gate: str | None
    created_at: str | None


class RegistryOut(Out):
    status: Literal["ok", "empty", "unreachable"]
    champion: RegisteredOut | None
    challenger: RegisteredOut | None
    previous_champion: RegisteredOut | None


class CurrentModelOut(Out):
    version: str
    trained_at: datetime | None
    confidence_level: float | None
    members: dict[str, float]
    drift_psi: float | None
    shadow: str | None = Field(description="the challenger predicting beside it, if any")
    domain: DomainOut | None
    validation: ValidationOut
    registry: RegistryOut


class LiveScoreOut(Out):
    jobs: int
    coverage: float | None = Field(description="share of actual values inside the interval")
    mean_absolute_error: float | None


class LiveOut(Out):
    """The physics' verdict on the jobs this model pre-flighted, finished in the window."""

    since: datetime
    until: datetime
    jobs: int
    anomalies: int
    other_models_jobs: int
    target_coverage: float | None
    scores: dict[str, LiveScoreOut]


class PerformanceOut(Out):
    model_version: str
    validation: ValidationOut
    live: LiveOut


class LivePointOut(Out):
    """One bucket's evaluated jobs (by when their result was stored, from ``start``)."""

    start: datetime
    jobs: int
    anomalies: int
    scores: dict[str, LiveScoreOut]


class PerformanceSeriesOut(Out):
    model_version: str
    bucket: Bucket
    since: datetime
    until: datetime
    target_coverage: float | None
    jobs: int
    truncated: bool = Field(description="the window held more outcomes than one answer reads")
    points: list[LivePointOut] = Field(description="oldest first; buckets without jobs left out")


class DriftFindingOut(Out):
    kind: str = Field(description="input (a job parameter) or prediction (a predicted score)")
    name: str
    psi: float = Field(description="PSI beyond the sampling noise: what is judged")
    raw_psi: float = Field(description="PSI as measured")
    noise: float | None = Field(description="the PSI sampling alone gives, where known")
    band: str = Field(description="none (< 0.1), moderate (0.1–0.2) or significant (> 0.2)")
    drifted: bool


class DriftOut(Out):
    """The last ``lto drift`` report on the production model (``checked`` false: none yet)."""

    model_version: str
    checked: bool
    checked_at: datetime | None
    jobs: int | None = Field(description="the recent jobs the report scored")
    threshold: float = Field(description="PSI beyond noise above which drift is significant")
    worst_psi: float | None
    drift_detected: bool
    findings: list[DriftFindingOut] = Field(description="worst first")


class RetrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500, description="why (kept on the version)")
    samples: int = Field(default=3000, ge=100, le=100_000, description="physics jobs to build")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    workers: int = Field(default=2, ge=1, le=64, description="processes that run the physics")


class RetrainLinks(Out):
    self: str


class RetrainRunOut(Out):
    id: str
    state: Literal["running", "succeeded", "failed"]
    requested_by: str
    reason: str
    samples: int
    seed: int | None
    created_at: datetime
    finished_at: datetime | None
    progress: float
    message: str
    result: dict[str, Any] | None
    error: str | None
    links: RetrainLinks


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: str | None = Field(
        default=None,
        pattern=r"^([0-9]{1,9}|surrogate-[A-Za-z0-9-]{1,80})$",
        description="the registry's version number, or the surrogate's own version (as "
        "/models/current names it); default: the challenger",
    )
    override: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="promote despite the gate or too few shadow jobs, for this reason (recorded)",
    )


class PromotionOut(Out):
    champion: str
    previous_champion: str | None
    overridden: bool
    production_model: str | None


class RollbackOut(Out):
    champion: str
    rolled_back_from: str
    production_model: str | None


# --- reading the model --------------------------------------------------------------------------


def production(services: ApiServices) -> SurrogatePort:
    try:
        return services.production_surrogate()
    except NoSurrogate:
        raise Problem(
            503,
            "no surrogate is trained yet: run `lto train` (a few minutes), then ask again",
            headers={"Retry-After": "60"},
            kind="no-surrogate",
        ) from None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _numbers(values: Any) -> dict[str, float]:
    if not isinstance(values, dict):
        return {}
    return {str(k): float(v) for k, v in values.items() if _number(v) is not None}


def validation(metrics: dict[str, Any]) -> ValidationOut:
    accuracy = metrics.get("accuracy") or {}
    ood = metrics.get("ood") or {}
    rows = metrics.get("rows") or {}
    test = rows.get("test")
    return ValidationOut(
        test_jobs=int(test) if isinstance(test, int) else None,
        accuracy=AccuracyOut(
            overall=_number(accuracy.get("overall")),
            critical=_number(accuracy.get("critical")),
            tolerance=_number(accuracy.get("tolerance")),
            per_score=_numbers(accuracy.get("per_score")),
        ),
        coverage=_numbers(metrics.get("coverage")),
        mean_width=_numbers(metrics.get("mean_width")),
        high_uncertainty_share=_number(metrics.get("high_uncertainty_share")),
        ood_in_domain_flagged=_number(ood.get("in_domain_flagged")),
        ood_outside_flagged=_number(ood.get("outside_flagged")),
    )


def domain_out(surrogate: SurrogatePort) -> DomainOut | None:
    to_json = getattr(surrogate.domain, "to_json", None)
    if not callable(to_json):
        return None
    found = to_json()
    return DomainOut(
        profiles=[
            ProfileRangeOut(
                name=p["name"],
                wavelength_nm=p["wavelength_nm"],
                na=list(p["na"]),
                resist_thickness_nm=list(p["resist_thickness_nm"]),
                dose_mj_cm2=list(p["dose_mj_cm2"]),
            )
            for p in found.get("profiles", [])
        ],
        sigma=list(found.get("sigma", [])),
        illuminations=list(found.get("illuminations", [])),
        patterns=list(found.get("patterns", [])),
        pitch_over_limit=list(found.get("pitch_over_limit", [])),
        cd_over_pitch=list(found.get("cd_over_pitch", [])),
    )


def trained_at(version: str) -> datetime | None:
    """From the version training gives (``surrogate-<UTC stamp>-s<seed>``); None otherwise."""
    parts = version.split("-")
    if len(parts) < 3:
        return None
    try:
        return datetime.strptime(parts[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def registry_out(services: ApiServices) -> RegistryOut:
    found = services.registered_models()
    if found is None:
        return RegistryOut(
            status="unreachable", champion=None, challenger=None, previous_champion=None
        )

    def one(alias: str) -> RegisteredOut | None:
        version = found.get(alias)
        if version is None:
            return None
        return RegisteredOut(
            version=version.version,
            surrogate_version=version.surrogate_version or None,
            aliases=list(version.aliases) or [alias],
            gate=version.tags.get("gate"),
            created_at=version.created_at or None,
        )

    return RegistryOut(
        status="ok" if found else "empty",
        champion=one("champion"),
        challenger=one("challenger"),
        previous_champion=one("previous_champion"),
    )


def _metrics(surrogate: SurrogatePort) -> dict[str, Any]:
    metrics = getattr(surrogate, "metrics", None)
    return metrics if isinstance(metrics, dict) else {}


def _confidence(surrogate: SurrogatePort) -> float | None:
    return _number(getattr(getattr(surrogate, "calibration", None), "confidence", None))


@router.get(
    "/current",
    response_model=CurrentModelOut,
    summary="The production surrogate: version, training, domain, metrics, registry aliases",
    responses={503: {"description": "no surrogate is trained yet"}},
)
def current(principal: Reader, services: Services) -> CurrentModelOut:
    surrogate = production(services)
    health = surrogate.health()
    shadow = getattr(surrogate, "challenger_version", None)
    return CurrentModelOut(
        version=surrogate.version,
        trained_at=trained_at(surrogate.version),
        confidence_level=_confidence(surrogate),
        members=_numbers(health.get("members")),
        drift_psi=_number(health.get("drift_psi")),
        shadow=shadow if isinstance(shadow, str) else None,
        domain=domain_out(surrogate),
        validation=validation(_metrics(surrogate)),
        registry=registry_out(services),
    )


@router.get(
    "/performance",
    response_model=PerformanceOut,
    summary="Validation metrics, and live coverage and error on the jobs the physics judged",
    responses={503: {"description": "no surrogate is trained yet"}},
)
def performance(
    principal: Reader,
    services: Services,
    since: Since = None,
    until: Until = None,
) -> PerformanceOut:
    surrogate = production(services)
    start, end = window(since, until)
    with services.uow() as uow:
        outcomes = uow.records.outcomes(since=start, until=end)
    mine = [o for o in outcomes if o.model_version == surrogate.version]
    return PerformanceOut(
        model_version=surrogate.version,
        validation=validation(_metrics(surrogate)),
        live=LiveOut(
            since=start,
            until=end,
            jobs=len(mine),
            anomalies=_anomalies(mine),
            other_models_jobs=len(outcomes) - len(mine),
            target_coverage=_confidence(surrogate),
            scores=live_scores(mine),
        ),
    )


def _anomalies(outcomes: list[Outcome]) -> int:
    return sum(1 for o in outcomes if o.evaluation.get("anomalous"))


def live_scores(outcomes: list[Outcome]) -> dict[str, LiveScoreOut]:
    """Per learned score, over the outcomes that have it: the share of actual values inside
    the predicted interval and the mean absolute error of the predicted mean."""
    scores: dict[str, list[tuple[float, float, float]]] = {}
    for outcome in outcomes:
        for name, entry in (outcome.evaluation.get("scores") or {}).items():
            actual, mean, within = entry.get("actual"), entry.get("mean"), entry.get("within")
            if _number(actual) is None or _number(mean) is None or _number(within) is None:
                continue
            scores.setdefault(name, []).append((float(actual), float(mean), float(within)))
    return {
        name: LiveScoreOut(
            jobs=len(found),
            coverage=sum(w for _, _, w in found) / len(found),
            mean_absolute_error=sum(abs(a - m) for a, m, _ in found) / len(found),
        )
        for name, found in sorted(scores.items())
    }


@router.get(
    "/performance/series",
    response_model=PerformanceSeriesOut,
    summary="Live coverage and error of the production model per hour or day",
    responses={503: {"description": "no surrogate is trained yet"}},
)
def performance_series(
    principal: Reader,
    services: Services,
    bucket: Annotated[Bucket, Query(description="the width of each point")] = "day",
    since: Since = None,
    until: Until = None,
) -> PerformanceSeriesOut:
    surrogate = production(services)
    start, end = window(since, until)
    width = bucket_width(start, end, bucket)
    with services.uow() as uow:
        outcomes = uow.records.outcomes(since=start, until=end, limit=SERIES_OUTCOMES)
    mine = [o for o in outcomes if o.model_version == surrogate.version]
    buckets: dict[int, list[Outcome]] = {}
    for outcome in mine:
        key = int(outcome.at.timestamp()) // width * width
        buckets.setdefault(key, []).append(outcome)
    return PerformanceSeriesOut(
        model_version=surrogate.version,
        bucket=bucket,
        since=start,
        until=end,
        target_coverage=_confidence(surrogate),
        jobs=len(mine),
        truncated=len(outcomes) >= SERIES_OUTCOMES,
        points=[
            LivePointOut(
                start=datetime.fromtimestamp(key, UTC),
                jobs=len(found),
                anomalies=_anomalies(found),
                scores=live_scores(found),
            )
            for key, found in sorted(buckets.items())
        ],
    )


# --- drift --------------------------------------------------------------------------------------


def _noise(distribution: Any, kind: str, name: str, jobs: int) -> float | None:
    """The PSI that sampling alone gives this finding, (B − 1)(1/jobs + 1/reference rows), from
    the model's training distribution (``lto.metis.drift``); None where it holds no reference."""
    if not isinstance(distribution, dict) or jobs <= 0:
        return None
    group = "inputs" if kind == "input" else "predictions"
    reference = (distribution.get(group) or {}).get(name)
    rows = distribution.get("input_rows" if kind == "input" else "prediction_rows")
    if not isinstance(reference, dict) or not isinstance(rows, int) or rows <= 0:
        return None
    shares = reference.get("shares")
    if not isinstance(shares, list) or not shares:
        return None
    return (len(shares) - 1) * (1.0 / jobs + 1.0 / rows)


@router.get(
    "/drift",
    response_model=DriftOut,
    summary="The last drift report on the production model: PSI per input and prediction",
    responses={503: {"description": "no surrogate is trained yet"}},
)
def drift(principal: Reader, services: Services) -> DriftOut:
    surrogate = production(services)
    found = services.drift_report(surrogate.version)
    if found is None:
        return DriftOut(
            model_version=surrogate.version, checked=False, checked_at=None, jobs=None,
            threshold=SIGNIFICANT, worst_psi=None, drift_detected=False, findings=[],
        )  # fmt: skip
    try:
        report = DriftReport.from_json(found)
    except (KeyError, TypeError, ValueError):
        raise Problem(
            503,
            f"the drift report on {surrogate.version} cannot be read: run `lto drift` again",
            kind="drift-report-unreadable",
        ) from None
    distribution = _metrics(surrogate).get("training_distribution")
    return DriftOut(
        model_version=surrogate.version,
        checked=True,
        checked_at=_when(report.checked_at),
        jobs=report.jobs,
        threshold=report.threshold,
        worst_psi=report.worst,
        drift_detected=report.needs_retraining,
        findings=[
            DriftFindingOut(
                kind=f.kind,
                name=f.name,
                psi=f.psi,
                raw_psi=f.raw_psi,
                noise=_noise(distribution, f.kind, f.name, report.jobs),
                band=f.band,
                drifted=f.psi > report.threshold,
            )
            for f in report.findings
        ],
    )


def _when(text: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


# --- retrain ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainRun:
    id: str
    requested_by: str
    reason: str
    samples: int
    seed: int | None
    created_at: datetime
    state: Literal["running", "succeeded", "failed"] = "running"
    progress: float = 0.0
    message: str = "starting"
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def out(self) -> RetrainRunOut:
        return RetrainRunOut(
            **vars(self), links=RetrainLinks(self=f"{API}/models/retrain/{self.id}")
        )


Work = Callable[[Callable[[float, str], None]], dict[str, Any]]


@dataclass
class RetrainRuns:
    """Retrain runs (one at a time), each on a thread of the API process that started it.

    With a ``folder`` (the data directory's ``retrain-runs/``), every API process on this
    machine sees every run: each run's state is a JSON file there, rewritten as it progresses,
    and the one-at-a-time rule is an exclusive lock on ``running.lock`` that the running thread
    holds (released by the OS if its process dies). Without one, runs live in this process only.
    """

    folder: Path | None = None
    kept: int = KEPT_RUNS
    _runs: dict[str, RetrainRun] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, run: RetrainRun, work: Work) -> RetrainRun:
        with self._lock:
            running = next((r for r in self._runs.values() if r.state == "running"), None)
            held = self._hold() if running is None else None
            if running is not None or held is None:
                running_id = running.id if running else self._holder()
                raise Problem(
                    409,
                    f"retrain {running_id} is still running: one at a time; poll it, and ask "
                    "again when it has finished",
                    headers={"Retry-After": "60"},
                    kind="retrain-running",
                )
            self._runs[run.id] = run
            for old in list(self._runs)[: max(len(self._runs) - self.kept, 0)]:
                del self._runs[old]
            if self.folder is not None:
                self._write("running.id", run.id)  # who holds the lock, for the 409
            self._save(run)
        thread = threading.Thread(
            target=self._run, args=(run.id, work, held), name=f"retrain-{run.id}", daemon=True
        )
        thread.start()
        return run

    def get(self, id: str) -> RetrainRun | None:
        with self._lock:
            found = self._runs.get(id)
        return found if found is not None else self._load(id)

    def _update(self, id: str, **changes: Any) -> None:
        with self._lock:
            if id in self._runs:
                self._runs[id] = replace(self._runs[id], **changes)
                self._save(self._runs[id])

    # --- shared with the other API processes, through the folder -------------------------

    def _hold(self) -> Any:
        """The open, exclusively locked lock file (True without a folder); None if another
        process holds it."""
        if self.folder is None:
            return True
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        handle = (self.folder / "running.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        return handle

    def _holder(self) -> str:
        if self.folder is None:
            return "?"
        try:
            return (self.folder / "running.id").read_text().strip() or "?"
        except OSError:
            return "?"

    def _save(self, run: RetrainRun) -> None:
        if self.folder is None:
            return
        import json

        self._write(f"{run.id}.json", json.dumps(run.out().model_dump(mode="json")))

    def _write(self, name: str, text: str) -> None:
        """Whole or not at all: readers in other processes never see half a file."""
        import os

        assert self.folder is not None
        target = self.folder / name
        partial = target.with_name(name + ".partial")
        partial.write_text(text)
        os.replace(partial, target)

    def _load(self, id: str) -> RetrainRun | None:
        if self.folder is None or not id.replace("-", "").isalnum():
            return None
        import json

        try:
            data = json.loads((self.folder / f"{id}.json").read_text())
        except (OSError, ValueError):
            return None
        data.pop("links", None)
        for name in ("created_at", "finished_at"):
            if data.get(name):
                data[name] = datetime.fromisoformat(data[name])
        return RetrainRun(**data)

    def _run(self, id: str, work: Work, held: Any) -> None:
        def progress(fraction: float, message: str) -> None:
            self._update(id, progress=round(min(max(fraction, 0.0), 1.0), 4), message=message)

        try:
            try:
                result = work(progress)
            except Exception as exc:
                log.exception("retrain %s failed", id)
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
                self._update(
                    id,
                    state="failed",
                    error=reason,
                    message="failed",
                    finished_at=datetime.now(UTC),
                )
                return
            self._update(
                id,
                state="succeeded",
                result=result,
                progress=1.0,
                message="done",
                finished_at=datetime.now(UTC),
            )
        finally:
            if held is not True and held is not None:
                held.close()  # releases the lock


_RUNS_LOCK = threading.Lock()


def retrain_runs(request: Request) -> RetrainRuns:
    """The app's runs, made on first use."""
    state = request.app.state
    with _RUNS_LOCK:
        runs = getattr(state, "retrain_runs", None)
        if runs is None:
            folder = state.config.state_dir
            runs = state.retrain_runs = RetrainRuns(folder / "retrain-runs" if folder else None)
    return runs


Runs = Annotated[RetrainRuns, Depends(retrain_runs)]


@router.post(
    "/retrain",
    status_code=202,
    response_model=RetrainRunOut,
    summary="Train a new candidate in the background (registered and gated, never made current)",
    responses={
        400: {"description": "no Idempotency-Key"},
        409: {"description": "a retrain is already running, or this key is in flight"},
        422: {"description": "a field is invalid, or the key was used for another body"},
    },
)
def retrain(
    body: RetrainRequest,
    request: Request,
    principal: Admin,
    services: Services,
    idempotency: IdempotencyDep,
    runs: Runs,
) -> JSONResponse:
    asked = body.model_dump(mode="json")

    def create(run_id: str) -> tuple[int, dict[str, Any]]:
        found = runs.get(run_id)  # made by a request that died before answering
        if found is not None:
            return 202, found.out().model_dump(mode="json")
        run = RetrainRun(
            id=run_id,
            requested_by=principal.name,
            reason=body.reason,
            samples=body.samples,
            seed=body.seed,
            created_at=datetime.now(UTC),
        )

        def work(progress: Callable[[float, str], None]) -> dict[str, Any]:
            return services.retrain_model(
                reason=f"by {principal.name}: {body.reason}",
                samples=body.samples,
                seed=body.seed,
                workers=body.workers,
                actor=principal.name,
                progress=progress,
            )

        return 202, runs.start(run, work).out().model_dump(mode="json")

    return idempotency.respond(
        request, principal, asked, create, id_prefix="retrain",
        created_headers=lambda run: {"Location": f"{API}/models/retrain/{run['id']}"},
    )  # fmt: skip


@router.get(
    "/retrain/{run_id}",
    response_model=RetrainRunOut,
    summary="A retrain run: running, succeeded (with the candidate and its gate) or failed",
    responses={404: {"description": "no such run in this API process"}},
)
def retrain_run(run_id: str, principal: Reader, runs: Runs) -> RetrainRunOut:
    found = runs.get(run_id)
    if found is None:
        raise Problem(
            404,
            f"no retrain run {run_id!r} on this machine's API (the registry keeps every "
            "candidate a run made: `lto models list`)",
            kind="not-found",
        )
    return found.out()


# --- promote and roll back ----------------------------------------------------------------------


def _registry_call(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except RegistryUnavailable as exc:
        raise Problem(
            503,
            f"the model registry cannot be reached: {_first_line(exc)}",
            headers={"Retry-After": "30"},
            kind="registry-unavailable",
        ) from None
    except RegistryError as exc:
        raise Problem(409, _first_line(exc), kind="registry-refused") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:1000]


def _answering(services: ApiServices) -> str | None:
    try:
        return services.production_surrogate().version
    except NoSurrogate:
        return None


@router.post(
    "/promote",
    response_model=PromotionOut,
    summary="Make the challenger (or a given version) the champion, through the gate",
    responses={
        409: {"description": "refused: the gate, too few shadow jobs, no challenger, ..."},
        503: {"description": "the model registry cannot be reached"},
    },
)
def promote(
    principal: Admin,
    services: Services,
    body: Annotated[PromoteRequest | None, Body()] = None,
) -> PromotionOut:
    asked = body or PromoteRequest()
    event = _registry_call(
        lambda: services.promote_model(asked.version, override=asked.override, actor=principal.name)
    )
    return PromotionOut(
        champion=event.version,
        previous_champion=event.previous_version,
        overridden=asked.override is not None,
        production_model=_answering(services),
    )


@router.post(
    "/rollback",
    response_model=RollbackOut,
    summary="The previous champion back as champion",
    responses={
        409: {"description": "nothing to roll back to, or it was retired too long ago"},
        503: {"description": "the model registry cannot be reached"},
    },
)
def rollback(principal: Admin, services: Services) -> RollbackOut:
    event = _registry_call(lambda: services.rollback_model(actor=principal.name))
    return RollbackOut(
        champion=event.to_version,
        rolled_back_from=event.from_version,
        production_model=_answering(services),
    )


__all__ = ["RetrainRuns", "router"]
