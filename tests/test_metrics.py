"""What operators see: `/metrics` (protected), `/readyz` and `/healthz`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hotline import create_app
from hotline.runtime import Runtime
from tests.conftest import both_backends, free_port, make_settings
from tests.voice.helpers import place_call

METRICS_TOKEN = "metrics-token-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def scrape(client: Any, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    return samples(response.get_data(as_text=True))


def calls_answered(metrics: dict[Any, float], route: str) -> float:
    return metrics.get(("hotline_webhook_seconds_count", (("route", route),)), 0.0)


@both_backends
def test_metrics_show_a_webhooks_latency_and_the_waiting_callbacks_after_a_call(
    client: Any,
) -> None:
    before = scrape(client)
    place_call(client, "84#2 1 3 2 1 2")  # a Vietnamese callback request
    after = scrape(client)
    assert calls_answered(after, "/voice/incoming") == calls_answered(before, "/voice/incoming") + 1
    assert calls_answered(after, "/voice/node/<name>") > calls_answered(
        before, "/voice/node/<name>"
    )
    assert after[("hotline_callbacks_waiting", (("language", "vi"),))] == 1
    assert after[("hotline_dependency_up", (("dependency", "database"),))] == 1
    assert after[("hotline_dependency_up", (("dependency", "redis"),))] == 1
    assert ("hotline_jobs_queued", ()) in after and ("hotline_outbox_lag_seconds", ()) in after
    text = client.get("/metrics").get_data(as_text=True)
    # No number in a metric's name, labels or help; its value is a float that may hold
    # any digits (a latency sum of 0.0039784900000086 once matched "9000000").
    described = [
        line if line.startswith("#") else line.rsplit(" ", 1)[0] for line in text.splitlines()
    ]
    assert not [line for line in described if "+81" in line or "9000000" in line]


def test_metrics_need_the_token_or_an_allowed_network(
    client: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    protected = runtime.settings.with_overrides(
        metrics_token=METRICS_TOKEN, metrics_networks=("10.0.0.0/8",)
    )
    monkeypatch.setattr(runtime, "settings", protected)
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not allowed here
    wrong = {"Authorization": "Bearer not-the-token-000000"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert client.get("/metrics", headers=right).status_code == 200
    inside = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=inside).status_code == 200


def test_readiness_names_the_dead_database_while_liveness_stays_up(
    tmp_path: Path, redis_url: str
) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline"
    client = create_app(runtime=Runtime(make_settings(tmp_path, dead, redis_url))).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "database": "unreachable", "redis": "ok"}
    assert client.get("/healthz").status_code == 200
    metrics = scrape(client)
    assert metrics[("hotline_dependency_up", (("dependency", "database"),))] == 0


@pytest.mark.slow
def test_metrics_under_gunicorn_gather_every_web_process(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "PROMETHEUS"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
        "REDIS_URL": redis_url,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_SECRET_KEY": "gunicorn-metrics-secret-0123",
        "TWILIO_AUTH_TOKEN": "gunicorn-metrics-token",
        "HOTLINE_PUBLIC_URL": url,
    }
    hotline = str(Path(sys.executable).parent / "hotline")
    server = subprocess.Popen(
        [hotline, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        for i in range(3):
            caller = f"+81900000010{i}"  # new callers: each is asked for a language
            done = subprocess.run(
                [hotline, "simulate", "call", "--from", caller, "--digits", "84#H", "--url", url],
                env=env,
                capture_output=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        metrics = samples(requests.get(url + "/metrics", timeout=10).text)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert calls_answered(metrics, "/voice/incoming") == 3
    assert calls_answered(metrics, "/voice/language") == 3
