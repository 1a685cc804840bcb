"""Alerts over HTTP: active ones, the history a page at a time, acknowledging once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lto.atlas.alerts import Alert
from tests.unit.api.conftest import Api


def fire(api: Api, *specs: tuple[str, str]) -> list[Alert]:
    """Store alerts (severity, source), one second apart, the last the newest."""
    made = []
    base = datetime.now(UTC) - timedelta(minutes=10)
    with api.app.uow() as uow:
        for i, (severity, source) in enumerate(specs):
            alert = Alert(severity, source, f"{source} needs a look ({i})")
            alert.fired_at = base + timedelta(seconds=i)
            uow.alerts.add(alert)
            made.append(alert)
        uow.commit()
    return made


def test_active_alerts_newest_first_with_a_severity_filter(api: Api) -> None:
    drift, component, job = fire(
        api, ("warning", "drift"), ("critical", "component"), ("warning", "anomaly")
    )
    response = api.client.get("/api/v1/alerts", headers=api.headers())
    assert response.status_code == 200, response.text
    page = response.json()
    assert [a["id"] for a in page["items"]] == [job.id, component.id, drift.id]
    assert page["next_cursor"] is None
    first = page["items"][0]
    assert first["active"] is True
    assert first["acknowledged_by"] is None
    assert first["links"]["acknowledge"] == f"/api/v1/alerts/{job.id}/acknowledge"
    critical = api.client.get("/api/v1/alerts?severity=critical", headers=api.headers()).json()
    assert [a["id"] for a in critical["items"]] == [component.id]


def test_an_alert_is_acknowledged_once_and_leaves_the_active_list(api: Api) -> None:
    alert, other = fire(api, ("warning", "drift"), ("info", "component"))
    path = f"/api/v1/alerts/{alert.id}/acknowledge"
    response = api.client.post(path, headers=api.headers("erin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is False
    assert body["acknowledged_by"] == "erin"
    assert body["acknowledged_at"] is not None
    active = api.client.get("/api/v1/alerts", headers=api.headers()).json()
    assert [a["id"] for a in active["items"]] == [other.id]
    done = api.client.get("/api/v1/alerts?active=false", headers=api.headers()).json()
    assert [a["id"] for a in done["items"]] == [alert.id]

    again = api.client.post(path, headers=api.headers("omar"))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "already acknowledged by erin" in again.json()["detail"]
    with api.app.uow() as uow:
        stored = uow.alerts.get(alert.id)
        audit = [a.action for a in uow.records.audit("alert", alert.id)]
    assert stored is not None
    assert stored.acknowledged_by == "erin"  # the second try changed nothing
    assert audit == ["AlertFired", "AlertAcknowledged"]


def test_an_acknowledgement_retried_with_its_key_gets_the_first_answer(api: Api) -> None:
    (alert,) = fire(api, ("critical", "component"))
    path = f"/api/v1/alerts/{alert.id}/acknowledge"
    headers = api.headers("erin", **{"Idempotency-Key": "ack-1"})
    first = api.client.post(path, headers=headers)
    retried = api.client.post(path, headers=headers)
    assert first.status_code == retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json()


def test_an_acknowledgement_with_a_field_in_its_body_is_refused_naming_it(api: Api) -> None:
    (alert,) = fire(api, ("warning", "drift"))
    path = f"/api/v1/alerts/{alert.id}/acknowledge"
    refused = api.client.post(path, json={"note": "looked at it"}, headers=api.headers())
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["note"]
    assert "is not a setting LTO knows" in refused.json()["errors"][0]["rule"]
    not_an_object = api.client.post(path, json=["note"], headers=api.headers())
    assert not_an_object.status_code == 422
    with api.app.uow() as uow:
        stored = uow.alerts.get(alert.id)
    assert stored is not None
    assert stored.acknowledged_by is None  # nothing was acknowledged
    accepted = api.client.post(path, json={}, headers=api.headers())  # an empty body is fine
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["acknowledged_by"] == "erin"


def test_acknowledging_an_unknown_alert_is_404(api: Api) -> None:
    response = api.client.post("/api/v1/alerts/alert-nope/acknowledge", headers=api.headers())
    assert response.status_code == 404
    assert "alert-nope" in response.json()["detail"]


def test_the_history_pages_through_every_alert_exactly_once(api: Api) -> None:
    made = fire(api, *[("warning" if i % 2 else "info", "drift") for i in range(7)])
    with api.app.uow() as uow:
        for alert in made[:3]:
            loaded = uow.alerts.get(alert.id)
            assert loaded is not None
            loaded.acknowledge("omar")
        uow.commit()
    seen, cursor, pages = [], None, 0
    while True:
        query = "/api/v1/alerts/history?limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = api.client.get(query, headers=api.headers())
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [a["id"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [a.id for a in reversed(made)]
    assert pages == 3
    warnings = api.client.get("/api/v1/alerts/history?severity=warning", headers=api.headers())
    assert {a["severity"] for a in warnings.json()["items"]} == {"warning"}
    assert len(warnings.json()["items"]) == 3


def test_a_tampered_or_foreign_cursor_is_refused(api: Api) -> None:
    fire(api, *[("info", "drift")] * 3)
    page = api.client.get("/api/v1/alerts/history?limit=1", headers=api.headers()).json()
    cursor = page["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = api.client.get(f"/api/v1/alerts/history?cursor={tampered}", headers=api.headers())
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.cursor"
    other = api.client.get(
        f"/api/v1/alerts/history?severity=info&cursor={cursor}", headers=api.headers()
    )
    assert other.status_code == 400  # a cursor of another listing's filters
    active = api.client.get(f"/api/v1/alerts?cursor={cursor}", headers=api.headers())
    assert active.status_code == 400  # nor one of the history on the active list


def test_bad_queries_name_the_parameter(api: Api) -> None:
    for query, field in (
        ("severity=loud", "query.severity"),
        ("limit=0", "query.limit"),
        ("limit=201", "query.limit"),
        ("active=perhaps", "query.active"),
    ):
        response = api.client.get(f"/api/v1/alerts?{query}", headers=api.headers())
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"] == field


def test_alerts_need_a_credential_and_the_alert_scopes(api: Api) -> None:
    (alert,) = fire(api, ("warning", "drift"))
    path = f"/api/v1/alerts/{alert.id}/acknowledge"
    for method, url in (
        ("get", "/api/v1/alerts"),
        ("get", "/api/v1/alerts/history"),
        ("post", path),
    ):
        assert getattr(api.client, method)(url).status_code == 401, url
        refused = getattr(api.client, method)(url, headers=api.headers("reader"))  # jobs:read only
        assert refused.status_code == 403, url
        assert "alerts:" in refused.json()["detail"]
    with api.app.uow() as uow:
        stored = uow.alerts.get(alert.id)
    assert stored is not None
    assert stored.active  # nothing acknowledged by the refused calls
