"""A job's plot data over HTTP: the numbers behind the report's pictures, for jobs the built-in
physics ran in-process (so the pipeline's artifacts exist), for jobs without a result, and
for jobs whose artifacts are gone; who may read them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lto.capricorn.api import plot_data
from tests.unit.api.conftest import Api
from tests.unit.api.running import run_queued, submit

PRINTS = {"dose_mj_cm2": 44.0}  # dose to size of the default ArF line/space job is ~43.9
NOT_JSON = ("NaN", "Infinity")


def plot(api: Api, job_id: str, user: str = "erin") -> Any:
    return api.client.get(f"/api/v1/jobs/{job_id}/plot-data", headers=api.headers(user))


def ran(api: Api, **changes: object) -> dict[str, Any]:
    job = submit(api, **(PRINTS | changes))
    assert run_queued(api) == 1
    return job


def the_job(api: Api, job_id: str) -> dict[str, Any]:
    response = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.headers())
    body: dict[str, Any] = response.json()
    return body


def finite_values(rows: list[list[float]]) -> np.ndarray:
    values = np.asarray(rows, dtype=np.float64)
    assert np.all(np.isfinite(values))
    return values


def test_a_completed_jobs_plot_data_has_consistent_shapes_and_plausible_values(
    api: Api,
) -> None:
    job = ran(api)
    response = plot(api, job["id"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert not any(word in response.text for word in NOT_JSON)
    body = response.json()
    assert (body["job_id"], body["state"], body["available"]) == (job["id"], "completed", True)
    assert body["note"] is None  # every part is there
    assert (body["target_cd_nm"], body["cd_tolerance_fraction"]) == (90.0, 0.1)
    assert body["required_exposure_latitude"] == 0.05

    aerial = body["aerial"]
    x, y = aerial["x_nm"], aerial["y_nm"]
    intensity = finite_values(aerial["intensity"])
    assert intensity.shape == (len(y), len(x))
    assert max(len(x), len(y)) <= plot_data.MAX_SIDE
    assert x == sorted(x)
    assert y == sorted(y)
    assert intensity.min() >= 0
    assert 0.05 < intensity.max() <= 2.0  # normalised to the clear field
    assert (aerial["focus_nm"], aerial["dose_mj_cm2"]) == (0.0, 44.0)
    assert intensity.min() < aerial["print_threshold"] < intensity.max()

    period = len(x) * (x[1] - x[0])  # one period of the 180 nm grating, 4 nm pixels
    assert period == pytest.approx(180.0)
    cut = body["cutline"]
    assert len(cut["x_nm"]) == len(cut["intensity"]) == len(cut["latent"]) == len(x)
    assert min(cut["intensity"]) >= 0
    assert cut["threshold"] == aerial["print_threshold"]
    assert cut["axis"] == "x"
    assert 0 <= cut["at_nm"] <= y[-1] + y[0]
    left, right = cut["edges_nm"]  # the line's two edges, around the pitch's centre
    result = the_job(api, job["id"])["result"]
    assert right - left == pytest.approx(result["cd_nm"], abs=0.01)  # the job's own CD
    assert 0 <= left < 90.0 < right <= period

    resist = body["resist"]
    assert (resist["x_nm"], resist["y_nm"]) == (x, y)  # the aerial image's grid
    left_behind = np.asarray(resist["remaining"])
    assert left_behind.shape == intensity.shape
    assert set(np.unique(left_behind)) == {0, 1}  # a line prints: resist and cleared space
    width = left_behind[len(y) // 2].sum() * (x[1] - x[0])
    assert width == pytest.approx(result["cd_nm"], abs=x[1] - x[0])

    (polygon,) = body["target"]["polygons"]  # the dark line as drawn at the target CD
    xs, ys = zip(*polygon, strict=True)
    assert (min(xs), max(xs)) == (45.0, 135.0)
    assert (min(ys), max(ys)) == (0.0, pytest.approx(period))

    fem = body["fem"]
    focus, doses = fem["focus_nm"], fem["dose_mj_cm2"]
    assert len(fem["cd_nm"]) == len(doses)
    assert all(len(row) == len(focus) for row in fem["cd_nm"])
    assert any(v is not None for row in fem["cd_nm"] for v in row)
    assert min(focus) <= fem["best_focus_nm"] <= max(focus)
    assert min(doses) <= fem["dose_to_size_mj_cm2"] <= max(doses)
    window = fem["window"]
    assert window["dof_nm"] == pytest.approx(result["depth_of_focus_nm"])
    assert window["el_pct"] == pytest.approx(result["exposure_latitude_pct"])
    assert window["dof_is_bound"] is False
    box = window["rectangle"]
    assert min(focus) <= box["focus_low_nm"] < box["focus_high_nm"] <= max(focus)
    assert min(doses) <= box["dose_low_mj_cm2"] < box["dose_high_mj_cm2"] <= max(doses)
    el = (
        2
        * (box["dose_high_mj_cm2"] - box["dose_low_mj_cm2"])
        / (box["dose_high_mj_cm2"] + box["dose_low_mj_cm2"])
    )
    assert el == pytest.approx(body["required_exposure_latitude"])
    assert box["focus_high_nm"] - box["focus_low_nm"] == pytest.approx(window["dof_nm"], rel=0.05)

    again = plot(api, job["id"])  # kept: the same answer, not computed twice
    assert again.content == response.content


def test_a_two_dimensional_clip_keeps_its_frame_and_nothing_printed_has_no_edges(
    api: Api,
) -> None:
    job = ran(api, pattern="contact_array")  # at 44 mJ/cm² the 90 nm holes do not open
    body = plot(api, job["id"]).json()
    assert body["available"] is True
    aerial = body["aerial"]
    intensity = finite_values(aerial["intensity"])
    assert intensity.shape == (len(aerial["y_nm"]), len(aerial["x_nm"])) == (45, 45)
    assert body["cutline"]["edges_nm"] == []
    assert np.all(np.asarray(body["resist"]["remaining"]) == 1)
    (polygon,) = body["target"]["polygons"]
    assert sorted({tuple(p) for p in polygon}) == [(45, 45), (45, 135), (135, 45), (135, 135)]
    assert body["cutline"]["at_nm"] == pytest.approx(90.0)  # through the hole's centre row


def test_images_are_block_averaged_to_the_side_limit(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = ran(api, pattern="line_end")  # a 46 × 115 pixel clip
    full = plot(api, job["id"]).json()["aerial"]
    monkeypatch.setattr(plot_data, "MAX_SIDE", 16)
    plot_data.CACHE.clear()  # the answer at the full size was kept
    small = plot(api, job["id"]).json()
    aerial = small["aerial"]
    assert (len(aerial["x_nm"]), len(aerial["y_nm"])) == (6, 15)  # blocks of 8 pixels
    intensity = finite_values(aerial["intensity"])
    assert intensity.shape == (15, 6)
    assert np.asarray(small["resist"]["remaining"]).shape == (15, 6)
    assert aerial["x_nm"][0] == pytest.approx(4 * (full["x_nm"][1] - full["x_nm"][0]))
    rows = np.array([8] * 14 + [3])  # 115 = 14 blocks of 8 + 3; 46 = 5 blocks of 8 + 6
    columns = np.array([8] * 5 + [6])
    weighted = (intensity * np.outer(rows, columns)).sum() / (115 * 46)
    assert weighted == pytest.approx(np.asarray(full["intensity"]).mean(), rel=1e-3)
    assert len(small["cutline"]["x_nm"]) == len(full["x_nm"])  # the cut keeps every pixel


def test_block_averaging_keeps_the_mean_and_square_blocks() -> None:
    values = np.arange(7 * 5, dtype=np.float64).reshape(7, 5)
    factor = 3
    averaged = plot_data.block_mean(values, factor)
    assert averaged.shape == (3, 2)
    assert averaged[0, 0] == pytest.approx(values[:3, :3].mean())
    assert averaged[2, 1] == pytest.approx(values[6:, 3:].mean())  # the short last block
    assert plot_data.block_centres(7, 3, 2.0).tolist() == [3.0, 9.0, 13.0]
    assert plot_data.block_factor((600, 100)) == 3
    assert plot_data.block_factor((256, 256)) == 1
    assert plot_data.framed(np.ones((1, 4))).shape == (4, 4)  # a grating, one period tall
    assert plot_data.number(float("nan")) is None
    assert plot_data.number(math.inf) is None


def test_a_queued_job_says_it_has_no_images_yet(api: Api) -> None:
    job = submit(api, dose_mj_cm2=31.0)
    response = plot(api, job["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["available"]) == ("queued", False)
    assert "queued" in body["note"]
    assert "no simulation result" in body["note"]
    assert all(body[part] is None for part in ("aerial", "cutline", "resist", "target", "fem"))
    assert body["target_cd_nm"] == 90.0


def test_artifacts_gone_from_the_store_are_named(api: Api) -> None:
    job = ran(api)
    with api.app.uow() as uow:
        record = uow.records.result(job["id"])
    assert record is not None
    api.app.artifacts.delete(record.artifacts["aerial.npy"])
    body = plot(api, job["id"]).json()
    assert body["available"] is True  # the job's focus is a row of the matrix
    assert "aerial.npy is missing from the artifact store" in body["note"]
    assert body["aerial"] is not None
    assert body["fem"] is not None

    other = ran(api, dose_mj_cm2=43.0)
    with api.app.uow() as uow:
        stored = uow.records.result(other["id"])
    assert stored is not None
    for key in stored.artifacts.values():
        api.app.artifacts.delete(key)
    gone = plot(api, other["id"]).json()
    assert gone["available"] is False
    assert gone["note"].startswith("no images: ")
    assert "fem.npz is missing" in gone["note"]
    assert gone["aerial"] is None


def test_another_engineers_job_is_404_and_an_operator_sees_it(api: Api) -> None:
    job = submit(api, dose_mj_cm2=31.0)
    hidden = plot(api, job["id"], user="eve")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert hidden.json()["type"] == "https://lto.dev/problems/not-found"
    assert plot(api, job["id"], user="omar").status_code == 200
    assert plot(api, "job-nope").status_code == 404


def test_plot_data_needs_a_credential_and_jobs_read(api: Api) -> None:
    job = submit(api, dose_mj_cm2=31.0)
    anonymous = api.client.get(f"/api/v1/jobs/{job['id']}/plot-data")
    assert anonymous.status_code == 401
    assert "WWW-Authenticate" in anonymous.headers
    assert plot(api, job["id"], user="reader").status_code == 200  # a jobs:read key is enough
    assert anonymous.json()["type"] == "https://lto.dev/problems/unauthenticated"
