"""A job's plot data: ``GET /api/v1/jobs/{job_id}/plot-data``, the numbers behind the
report's pictures (aerial image, cut line, resist left, target mask, focus-exposure matrix and
process window) as JSON, for a client that draws its own (``lto.capricorn.api.plot_data``
makes them).

Who sees what is the jobs' rule: engineers their own jobs, operators, admins and services all;
another user's job is 404. Every job answers 200: one without images (not run yet, run on the
surrogate only, its artifacts gone) says so in ``available`` and ``note``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import Field

from lto.atlas.lifecycle import JobState
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Services, require
from lto.capricorn.api.plot_data import CACHE, MAX_SIDE, job_plot_data
from lto.capricorn.api.routes.jobs import visible_job
from lto.capricorn.api.views import API, Out

router = APIRouter(prefix=f"{API}/jobs", tags=["jobs"])

Reader = Annotated[Principal, Depends(require("jobs:read"))]


class AerialOut(Out):
    x_nm: list[float] = Field(max_length=MAX_SIDE, description="pixel centres (nm)")
    y_nm: list[float] = Field(max_length=MAX_SIDE, description="pixel centres (nm)")
    intensity: list[list[float]] = Field(
        max_length=MAX_SIDE, description="rows follow y_nm, columns x_nm; clear field = 1"
    )
    print_threshold: float | None = Field(
        description="the image level where the resist prints (after the bake's blur)"
    )
    focus_nm: float = Field(description="the job's focus (nm, + into the resist)")
    dose_mj_cm2: float


class CutlineOut(Out):
    x_nm: list[float] = Field(description="pixel centres along the cut (nm)")
    intensity: list[float] = Field(description="the aerial image on the cut; clear field = 1")
    latent: list[float] | None = Field(description="the latent image after the bake")
    threshold: float | None = Field(description="the level the resist prints at")
    edges_nm: list[float] = Field(description="where the resist's edges cross the cut")
    axis: Literal["x", "y"]
    at_nm: float = Field(description="where the cut crosses the other axis (nm)")


class ResistOut(Out):
    x_nm: list[float] = Field(max_length=MAX_SIDE)
    y_nm: list[float] = Field(max_length=MAX_SIDE)
    remaining: list[list[Literal[0, 1]]] = Field(
        max_length=MAX_SIDE, description="1 where resist is left after development"
    )


class TargetOut(Out):
    polygons: list[list[tuple[float, float]]] = Field(
        description="the mask as drawn: polygons of (x_nm, y_nm) points, in the aerial frame"
    )


class RectangleOut(Out):
    focus_low_nm: float
    focus_high_nm: float
    dose_low_mj_cm2: float
    dose_high_mj_cm2: float


class WindowOut(Out):
    dof_nm: float | None = Field(description="depth of focus at the required EL")
    el_pct: float | None = Field(description="exposure latitude (%)")
    dof_is_bound: bool = Field(description="the DoF is a lower bound (the window stayed open)")
    rectangle: RectangleOut | None = Field(
        description="the largest rectangle at the required EL inside this matrix"
    )


class FemOut(Out):
    focus_nm: list[float] = Field(description="+ into the resist")
    dose_mj_cm2: list[float]
    cd_nm: list[list[float | None]] = Field(
        description="CD indexed [dose][focus]; null where nothing prints"
    )
    best_focus_nm: float | None
    dose_to_size_mj_cm2: float | None
    window: WindowOut | None


class PlotDataOut(Out):
    job_id: str
    state: JobState
    available: bool = Field(description="false: the job has no images to plot (note says why)")
    note: str | None = Field(description="why there are no images, or why a part is null")
    target_cd_nm: float
    cd_tolerance_fraction: float
    required_exposure_latitude: float
    aerial: AerialOut | None
    cutline: CutlineOut | None
    resist: ResistOut | None
    target: TargetOut | None
    fem: FemOut | None


@router.get(
    "/{job_id}/plot-data",
    response_model=PlotDataOut,
    summary="The numbers behind a job's pictures: aerial image, cut line, resist, mask, FEM",
    responses={404: {"description": "no such job, or not yours"}},
)
def plot_data(job_id: str, principal: Reader, services: Services) -> Response:
    job = visible_job(services, principal, job_id)
    with services.uow() as uow:
        record = uow.records.result(job_id)

    def answer() -> bytes:
        found = job_plot_data(job, record, services.artifacts, lambda: _setup(services, job))
        return PlotDataOut.model_validate(found).model_dump_json().encode()

    if record is None:  # nothing computed: nothing worth keeping
        body = answer()
    else:
        body = CACHE.get((job.id, record.created_at.isoformat(), job.state.value), answer)
    return Response(body, media_type="application/json")


def _setup(services: Services, job: Any) -> Any | None:
    make = getattr(services, "physics_setup", None)
    return make(job.parameters) if callable(make) else None


__all__ = ["PlotDataOut", "router"]
