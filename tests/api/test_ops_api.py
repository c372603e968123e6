"""Health, Prometheus metrics, request ids and JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from ioperator.core import logging as app_logging


def test_health_reports_database_and_version(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]


def test_health_is_503_when_the_database_is_down(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ioperator.core.db.ping", lambda: False)
    response = client.get("/api/health")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    client.get("/api/v1/team/members/12345")
    client.get("/api/health")
    text = client.get("/metrics").text
    assert "# TYPE ioperator_http_requests_total counter" in text
    assert 'route="/api/v1/team/members/{user_id}",status="401"' in text
    assert 'ioperator_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/health"}' in text
    assert "/12345" not in text


def test_metrics_token(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from ioperator.core.config import reset_settings

    monkeypatch.setenv("IOPERATOR_METRICS_TOKEN", "scrape-me")
    reset_settings()
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    finally:
        monkeypatch.undo()
        reset_settings()


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/api/health", headers={"X-Request-ID": "abc12345-trace"})
    assert given.headers["x-request-id"] == "abc12345-trace"
    generated = client.get("/api/health", headers={"X-Request-ID": "<script>"})
    assert len(generated.headers["x-request-id"]) == 32


def test_access_log_is_json_with_the_request_id(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    app_logging._configured = False
    app_logging.configure_logging()
    logger = logging.getLogger("ioperator")
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    import sys

    handler.setStream(sys.stderr)
    client.get("/api/health", headers={"X-Request-ID": "req-0000000042"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "ioperator.access"]
    assert access and access[-1]["request_id"] == "req-0000000042"
    assert access[-1]["route"] == "/api/health" and access[-1]["status"] == 200


def test_unexpected_errors_are_json_without_trace(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> bool:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("ioperator.core.db.ping", boom)
    response = TestClient(client.app, raise_server_exceptions=False).get("/api/health")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_unknown_api_routes_answer_json_404(client: TestClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, "/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_metrics_add_up_across_worker_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With several workers (Redis), each records into a shared directory and /metrics sums them."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = (
        "from ioperator.core.observability import REQUESTS; "
        "[REQUESTS.labels('GET', '/api/health', '200').inc() for _ in range(3)]"
    )
    for _ in range(2):  # two workers
        subprocess.run([sys.executable, "-c", record], env=env, check=True, timeout=60)
    scrape = "from ioperator.core.observability import metrics_payload; print(metrics_payload()[0].decode())"
    text = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert 'ioperator_http_requests_total{method="GET",route="/api/health",status="200"} 6.0' in text
