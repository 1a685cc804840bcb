"""``GET /metrics``: Prometheus text with the request durations and the pipeline's totals,
read from the database at scrape time (so a worker's jobs count too), without credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lto.atlas.alerts import Alert
from lto.capricorn.api import create_app
from lto.capricorn.api.pipeline_metrics import PipelineCollector
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import rejected_job, run_queued, submit

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")  # no credential: scrapers ask
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name, tuple(sorted(labels.items()))]


def with_config(api: Api, **changes: Any) -> TestClient:
    config = replace(api.app.api_config(), **changes)
    return TestClient(create_app(api.app, config), raise_server_exceptions=False)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Api]:
    """An API whose /metrics reads the database at every scrape (no cache)."""
    made = make_api(tmp_path)
    made.client = with_config(made, metrics_cache_s=0.0)
    with made.client:
        yield made


def test_metrics_need_no_credential_and_name_every_series(fresh: Api) -> None:
    samples = scrape(fresh.client)
    names = {name for name, _ in samples}
    assert names >= {
        "lto_jobs_submitted_total", "lto_jobs_completed_total", "lto_jobs_blocked_total",
        "lto_jobs_rejected_total", "lto_job_duration_seconds_bucket",
        "lto_job_duration_seconds_count", "lto_job_duration_seconds_sum",
        "lto_alert_fired_total", "lto_outbox_backlog", "lto_queue_depth",
        "lto_model_inference_duration_ms_count", "lto_pipeline_metrics_up",
    }  # fmt: skip
    assert value(samples, "lto_jobs_submitted_total") == 0
    for state in ("completed", "anomaly_flagged", "failed", "cancelled"):
        assert value(samples, "lto_jobs_completed_total", state=state) == 0
    assert value(samples, "lto_pipeline_metrics_up", source="database") == 1
    assert "lto_model_drift_psi" not in names  # no surrogate, no drift report
    assert any(name == "lto_api_request_duration_seconds_count" for name, _ in scrape(fresh.client))


def test_the_pipeline_counters_move_with_the_jobs(fresh: Api) -> None:
    rejected = rejected_job(fresh)
    cancelled = submit(fresh)
    fresh.client.post(f"/api/v1/jobs/{cancelled['id']}/cancel", headers=fresh.headers())
    before = scrape(fresh.client)
    assert value(before, "lto_jobs_submitted_total") == 2
    assert value(before, "lto_jobs_rejected_total") == 1
    assert value(before, "lto_jobs_completed_total", state="cancelled") == 1
    assert value(before, "lto_job_duration_seconds_count") == 2
    assert rejected.startswith("job")

    submit(fresh, dose_mj_cm2=44.0)  # prints: the physics completes it
    submit(fresh, dose_mj_cm2=30.0)  # prints nothing: flagged
    assert value(scrape(fresh.client), "lto_jobs_in_state", state="queued") == 2
    run_queued(fresh)  # as a worker would, in its own transactions (the cancelled one: no-op)
    with fresh.app.uow() as uow:
        uow.alerts.add(Alert("critical", "test", "by hand"))
        uow.commit()
    after = scrape(fresh.client)
    assert value(after, "lto_jobs_submitted_total") == 4
    assert value(after, "lto_jobs_completed_total", state="completed") == 1
    assert value(after, "lto_jobs_completed_total", state="anomaly_flagged") == 1
    assert value(after, "lto_jobs_in_state", state="queued") == 0
    count = value(after, "lto_job_duration_seconds_count")
    assert count == 4
    assert value(after, "lto_job_duration_seconds_bucket", le="+Inf") == count
    assert value(after, "lto_job_duration_seconds_bucket", le="7200.0") == count
    assert value(after, "lto_job_duration_seconds_sum") > 0
    assert value(after, "lto_alert_fired_total", severity="warning") == 1  # the flagged job's
    assert value(after, "lto_alert_fired_total", severity="critical") == 1
    assert value(after, "lto_alerts_active", severity="critical") == 1
    assert value(after, "lto_queue_depth", queue="lto.simulations") == 0
    assert value(after, "lto_outbox_backlog") >= 0


def test_the_inference_histogram_is_fed_by_observe_inference(fresh: Api) -> None:
    metrics = fresh.client.app.state.metrics  # type: ignore[attr-defined]
    metrics.observe_inference(3.2)
    metrics.observe_inference(40.0)
    metrics.observe_inference(float("nan"))  # ignored
    samples = scrape(fresh.client)
    assert value(samples, "lto_model_inference_duration_ms_count") == 2
    assert value(samples, "lto_model_inference_duration_ms_bucket", le="5.0") == 1
    assert value(samples, "lto_model_inference_duration_ms_sum") == pytest.approx(43.2)


def test_a_scrape_storm_is_answered_from_the_cache(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    with with_config(api, metrics_cache_s=3600.0) as client:
        api.client = client
        assert value(scrape(client), "lto_jobs_submitted_total") == 0
        submit(api)
        assert value(scrape(client), "lto_jobs_submitted_total") == 0  # the cached answer


def test_the_drift_psi_of_the_current_surrogate_is_a_gauge(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    data = api.app.settings.data_dir
    store = data / "models" / "surrogate"
    (store / "surrogate-v7").mkdir(parents=True)
    (store / "CURRENT").write_text(str(store / "surrogate-v7") + "\n")
    (data / "drift").mkdir()
    report = {"model_version": "surrogate-v7", "worst_psi": 0.31}
    (data / "drift" / "surrogate-v7.json").write_text(json.dumps(report))
    with with_config(api, metrics_cache_s=0.0) as client:
        assert value(scrape(client), "lto_model_drift_psi") == pytest.approx(0.31)


class DatabaseDown:
    """Services whose database and broker are gone."""

    def uow(self) -> Any:
        raise ConnectionError("database unreachable")

    @property
    def broker(self) -> Any:
        raise ConnectionError("broker unreachable")

    def drift_psi(self) -> float | None:
        return None


def test_a_scrape_says_what_it_could_not_read_and_never_fails() -> None:
    registry = CollectorRegistry()
    registry.register(PipelineCollector(DatabaseDown(), cache_s=0.0))  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert value(samples, "lto_pipeline_metrics_up", source="database") == 0
    assert value(samples, "lto_pipeline_metrics_up", source="broker") == 0
    assert value(samples, "lto_pipeline_metrics_up", source="model_store") == 1
    assert ("lto_jobs_submitted_total", ()) not in samples
