"""The traffic of a fab's engineers and scripts against LTO's REST API, for locust.

Run by ``benchmarks/soak.py`` (which starts the deploy's processes and reads the results); to
aim it at a running API by hand:

    LTO_SOAK_KEYS=lto_…,lto_… locust -f benchmarks/locustfile.py --headless \
        --host http://127.0.0.1:8000 -u 12 -r 4 --run-time 10m

Each simulated engineer works at one request a second: mostly pre-flight predictions, a
physics job now and then (with an Idempotency-Key, as every client must), polling the jobs it
submitted, the jobs list, the active alerts and the health page. Every answer but 2xx counts as a
failure, 429 included: the soak's load stays inside the configured rate limits, so a refusal is
an error of the service, not of the load.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid

from locust import HttpUser, constant_throughput, task

KEYS = itertools.cycle([k for k in os.environ.get("LTO_SOAK_KEYS", "").split(",") if k])


def a_job(rng: random.Random) -> dict[str, float]:
    """An ArF-dry line/space job near its dose to size (about 44 mJ/cm² by the built-in
    physics), varied so no two are alike: most print, some fall out of the process window and
    are flagged, as in a fab's day."""
    pitch = rng.uniform(176.0, 188.0)
    return {
        "na": round(rng.uniform(0.83, 0.87), 3),
        "wavelength_nm": 193,
        "dose_mj_cm2": round(rng.uniform(42.5, 45.5), 2),
        "sigma": round(rng.uniform(0.66, 0.74), 3),
        "resist_thickness_nm": 100,
        "grid_size_nm": 4,
        "pitch_nm": round(pitch, 1),
        "target_cd_nm": round(pitch / 2.0, 1),
    }


class Engineer(HttpUser):
    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        key = next(KEYS, "")
        if not key:
            raise RuntimeError("LTO_SOAK_KEYS is empty: give the API keys to use, comma-separated")
        self.client.headers.update({"X-API-Key": key})
        self.rng = random.Random()
        self.jobs: list[str] = []

    @task(6)
    def predict(self) -> None:
        self.client.post("/api/v1/tradeoffs/predict", json=a_job(self.rng), name="predict")

    @task(2)
    def submit(self) -> None:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/jobs", json=a_job(self.rng), headers=headers, name="submit",
            catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self.jobs = [*self.jobs[-19:], answer.json()["id"]]
            answer.success()

    @task(2)
    def poll_job(self) -> None:
        if self.jobs:
            self.client.get(f"/api/v1/jobs/{self.rng.choice(self.jobs)}", name="get job")

    @task(1)
    def list_jobs(self) -> None:
        self.client.get("/api/v1/jobs?limit=20", name="list jobs")

    @task(1)
    def alerts(self) -> None:
        self.client.get("/api/v1/alerts?limit=20", name="active alerts")

    @task(1)
    def health(self) -> None:
        self.client.get("/api/v1/health", name="health")
