"""Jobs are linked by names a reader (and a tool) can follow: every `defer` names its job
with a constant imported from the module that handles it, and the handlers are
registered explicitly at start-up, never as a side effect of an import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hotline
from hotline import create_app
from hotline.callbacks.jobs import PLACE_CALL_JOB
from hotline.handlers import register_handlers
from hotline.jobs import JobRegistry
from hotline.runtime import Runtime
from hotline.sms.jobs import SEND_JOB
from hotline.translation.jobs import TRANSLATE_SMS_JOB
from hotline.translation.voicemail_jobs import TRANSCRIBE_JOB
from hotline.voice.jobs import DISCARD_RECORDING_JOB, FETCH_JOB

PACKAGE = Path(__file__).resolve().parent.parent / "hotline"
EVERY_JOB = {
    SEND_JOB,
    TRANSLATE_SMS_JOB,
    TRANSCRIBE_JOB,
    FETCH_JOB,
    DISCARD_RECORDING_JOB,
    PLACE_CALL_JOB,
}


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.append((path, node))
    return found


@pytest.mark.slow
def test_every_deferred_job_is_named_by_a_constant_not_a_string() -> None:
    deferred = _calls("defer")
    assert len(deferred) >= 6
    spelled_out = [
        f"{path.relative_to(PACKAGE)}:{call.lineno}"
        for path, call in deferred
        if len(call.args) < 2 or not isinstance(call.args[1], ast.Name | ast.Attribute)
    ]
    assert spelled_out == []


def test_register_handlers_adds_every_job_and_periodic_task_to_the_registry_it_is_given() -> None:
    registry = JobRegistry()
    register_handlers(registry)
    assert set(registry.jobs) == EVERY_JOB
    assert set(registry.periodic) == {
        "sms.expire_unconfirmed",
        "callbacks.release_expired_leases",
        "privacy.retention",
        "voicemail.delete_twilio_recordings",
        "webhooks.prune_receipts",
    }


def test_the_web_app_registers_every_job_at_start_up(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = JobRegistry()
    monkeypatch.setattr(hotline, "REGISTRY", fresh)
    create_app(runtime=runtime)
    assert set(fresh.jobs) == EVERY_JOB
