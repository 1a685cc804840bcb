"""The WebSockets: ``/ws/metrics`` frames and ``/ws/alerts`` pushes, and who may listen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from lto.atlas.alerts import Alert
from lto.atlas.contracts import SIGNAL_NAMES
from lto.capricorn.api import create_app
from lto.capricorn.api.live_feeds import trends
from tests.unit.api.conftest import PASSWORD, Api, make_api
from tests.unit.api.running import run_queued, submit

FRAMES = 400  # how many frames a test reads at most while waiting for one (0.05 s apart)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Api]:
    made = make_api(tmp_path)
    config = replace(made.app.api_config(), metrics_interval_s=0.05, alerts_poll_s=0.02)
    made.client = TestClient(create_app(made.app, config), raise_server_exceptions=False)
    with made.client:
        yield made


def closed_with(api: Api, path: str, first: Any = None) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as caught, api.client.websocket_connect(path) as ws:  # noqa: PT012
        if first is not None:
            ws.send_text(first) if isinstance(first, str) else ws.send_json(first)
        ws.receive_json()
    return caught.value.code, caught.value.reason


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of ``kind``, skipping keepalives and the like (FRAMES at most)."""
    for _ in range(FRAMES):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame in {FRAMES}")


def test_metrics_frames_carry_the_documented_fields(live: Api) -> None:
    submit(live)  # queued: an active job
    with live.client.websocket_connect(f"/ws/metrics?api_key={live.keys['erin']}") as ws:
        frame = ws.receive_json()
        second = ws.receive_json()  # they keep coming, every metrics_interval_s
    assert frame["type"] == second["type"] == "metrics"
    assert frame["interval_s"] == 0.05
    assert frame["health"]["status"] in ("ok", "degraded", "down")
    assert set(frame["health"]["components"]) >= {"database", "broker"}
    jobs = frame["jobs"]
    assert jobs["active"] == {"queued": 1}
    assert jobs["active_total"] == 1
    assert {"finished_last_minute", "finished_last_5_minutes", "per_minute"} <= set(jobs)
    assert set(frame["tradeoffs"]["scores"]) == set(SIGNAL_NAMES)
    assert frame["tradeoffs"]["window"] > 0
    assert frame["alerts"]["active"] == 0
    assert frame["alerts"]["latest"] == []


def test_metrics_frames_follow_the_pipeline(live: Api) -> None:
    submit(live, dose_mj_cm2=44.0)
    submit(live, dose_mj_cm2=30.0)  # prints nothing: flagged, with an alert
    run_queued(live)
    with live.client.websocket_connect("/ws/metrics") as ws:
        ws.send_json({"api_key": live.keys["omar"]})  # the credential as the first message
        frame = ws.receive_json()
    assert frame["jobs"]["active_total"] == 0
    assert frame["jobs"]["finished_last_minute"] == 2
    scores = frame["tradeoffs"]["scores"]
    assert frame["tradeoffs"]["jobs"] == 2
    assert 0 <= scores["yield_risk"]["mean"] <= 1
    assert scores["yield_risk"]["previous"] is None  # not 2 × 20 jobs yet
    assert frame["alerts"]["active"] == 1
    assert frame["alerts"]["latest"][0]["source"] == "evaluation"


def test_without_alerts_read_the_metrics_carry_counts_not_messages(live: Api) -> None:
    with live.client.websocket_connect(f"/ws/metrics?api_key={live.keys['reader']}") as ws:
        frame = ws.receive_json()
    assert "active" in frame["alerts"]
    assert "latest" not in frame["alerts"]


def test_trends_compare_the_last_jobs_with_the_ones_before() -> None:
    newest_first = [dict.fromkeys(SIGNAL_NAMES, v) for v in (0.9, 0.7, 0.4, 0.2, 0.1)]
    found = trends(newest_first, 2)
    assert found["jobs"] == found["previous_jobs"] == 2
    assert found["scores"]["overall_health"] == {"mean": 0.8, "previous": 0.3, "change": 0.5}


def test_a_bearer_token_in_the_query_works(live: Api) -> None:
    token = live.client.post(
        "/api/v1/auth/token", json={"username": "erin", "password": PASSWORD}
    ).json()["access_token"]
    with live.client.websocket_connect(f"/ws/metrics?token={token}") as ws:
        assert ws.receive_json()["type"] == "metrics"


def test_bad_credentials_close_the_socket(live: Api) -> None:
    assert closed_with(live, "/ws/metrics?api_key=lto_not_a_key")[0] == 4401
    assert closed_with(live, "/ws/alerts?token=not.a.token")[0] == 4401
    assert closed_with(live, "/ws/alerts", {"api_key": "lto_wrong"})[0] == 4401
    code, reason = closed_with(live, "/ws/metrics", "hello")
    assert code == 1008
    assert "api_key" in reason
    code, reason = closed_with(live, f"/ws/alerts?api_key={live.keys['reader']}")
    assert code == 4403  # a jobs:read key may not listen to alerts
    assert "alerts:read" in reason


def test_alerts_are_pushed_as_they_fire_and_are_acknowledged(live: Api) -> None:
    earlier = Alert("info", "test", "before anyone listened")
    with live.app.uow() as uow:
        uow.alerts.add(earlier)
        uow.commit()
    with live.client.websocket_connect(f"/ws/alerts?api_key={live.keys['erin']}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert hello["user"] == "erin"
        assert [a["id"] for a in hello["active"]] == [earlier.id]
        alert = Alert("critical", "drift", "PSI 0.31 on na")
        with live.app.uow() as uow:  # another process's unit of work would do the same
            uow.alerts.add(alert)
            uow.commit()
        fired = next_of(ws, "alert_fired")
        assert fired["alert"]["id"] == alert.id  # not the earlier one: that was no news
        assert fired["alert"]["severity"] == "critical"
        assert fired["alert"]["message"] == "PSI 0.31 on na"
        with live.app.uow() as uow:
            stored = uow.alerts.get(alert.id)
            assert stored is not None
            stored.acknowledge("omar")
            uow.commit()
        acknowledged = next_of(ws, "alert_acknowledged")
        assert acknowledged["alert"]["id"] == alert.id
        assert acknowledged["alert"]["acknowledged_by"] == "omar"


def test_an_anomaly_the_pipeline_flags_reaches_every_listener(live: Api) -> None:
    paths = [f"/ws/alerts?api_key={live.keys[u]}" for u in ("erin", "omar")]
    with (
        live.client.websocket_connect(paths[0]) as one,
        live.client.websocket_connect(paths[1]) as two,
    ):
        assert one.receive_json()["type"] == two.receive_json()["type"] == "hello"
        job = submit(live, dose_mj_cm2=30.0)
        run_queued(live)
        for ws in (one, two):
            fired = next_of(ws, "alert_fired")
            assert fired["alert"]["job_id"] == job["id"]
            assert fired["alert"]["source"] == "evaluation"
