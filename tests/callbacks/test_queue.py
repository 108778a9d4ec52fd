"""The callback queue: atomic claims, leases, language routing, windows and quiet hours."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.queue import claim_next
from hotline.runtime import Runtime
from tests.builders import (
    agent_row,
    auth,
    bulk_callbacks,
    make_agent,
    make_callback,
    tokyo,
    worker_number,
)
from tests.conftest import both_backends

MORNING = tokyo(2030, 1, 15, 10)


@both_backends
@pytest.mark.slow
def test_eight_concurrent_agents_claim_each_of_2000_requests_exactly_once(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as session:
        all_ids = bulk_callbacks(
            session, runtime.settings.secret_key, 2000, created_at=tokyo(2030, 1, 15, 9)
        )
    agent_ids = [make_agent(runtime, name=f"Agent {i}", languages="vi").id for i in range(8)]
    claimed: dict[int, list[int]] = {a: [] for a in agent_ids}
    errors: list[BaseException] = []
    start = threading.Barrier(len(agent_ids))

    def work(agent_id: int) -> None:
        try:
            start.wait()
            while True:
                # Each claimer has its own session and connection; claim and close in
                # one transaction, so that the next claim is never the held one.
                with runtime.db.session() as session:
                    me = agent_row(session, agent_id)
                    callback = claim_next(session, me, quiet_hours="21:00-08:00", now=MORNING)
                    if callback is None:
                        return
                    claimed[agent_id].append(callback.id)
                    callback.status = "closed"
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    every_claim = [cid for ids in claimed.values() for cid in ids]
    assert len(every_claim) == 2000
    assert sorted(every_claim) == sorted(all_ids)
    assert sum(1 for ids in claimed.values() if ids) > 1  # the work really was shared


def test_claiming_again_while_holding_a_lease_returns_the_held_request(
    client: Any, runtime: Runtime
) -> None:
    first, _ = make_callback(runtime, phone=worker_number(1))
    make_callback(runtime, phone=worker_number(2))
    token = make_agent(runtime).token
    with time_machine.travel(MORNING, tick=False):
        one = client.post("/api/queue/claim", headers=auth(token))
        two = client.post("/api/queue/claim", headers=auth(token))
    assert one.status_code == 200
    assert one.json["id"] == first
    assert two.json["id"] == first


def test_an_expired_lease_returns_the_request_to_the_queue(client: Any, runtime: Runtime) -> None:
    callback_id, _ = make_callback(runtime)
    first_token = make_agent(runtime, name="Gone away").token
    second = make_agent(runtime, name="Colleague")
    with time_machine.travel(MORNING, tick=False):
        assert client.post("/api/queue/claim", headers=auth(first_token)).status_code == 200
    with time_machine.travel(tokyo(2030, 1, 15, 10, 14), tick=False):
        assert client.post("/api/queue/claim", headers=auth(second.token)).status_code == 204
    with time_machine.travel(tokyo(2030, 1, 15, 10, 16), tick=False):
        taken = client.post("/api/queue/claim", headers=auth(second.token))
    assert taken.status_code == 200
    assert taken.json["id"] == callback_id
    assert taken.json["claimed_by_id"] == second.id
    with runtime.db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == callback_id)
        ).all()
    assert "callback.lease_expired" in actions


def test_nobody_is_offered_a_callback_during_quiet_hours_in_japan_time(
    client: Any, runtime: Runtime
) -> None:
    make_callback(runtime)
    token = make_agent(runtime).token
    for instant in (tokyo(2030, 1, 15, 21, 0), tokyo(2030, 1, 16, 3), tokyo(2030, 1, 16, 7, 59)):
        with time_machine.travel(instant, tick=False):
            listed = client.get("/api/queue", headers=auth(token))
            claimed = client.post("/api/queue/claim", headers=auth(token))
        # Still shown, so nobody thinks it was lost, but not claimable until 08:00.
        [item] = listed.json
        assert item["eligible_now"] is False
        assert item["eligible_at"].startswith("2030-01-15T23:00")  # 08:00 in Tokyo
        assert claimed.status_code == 204
    with time_machine.travel(tokyo(2030, 1, 16, 8, 0), tick=False):
        assert client.post("/api/queue/claim", headers=auth(token)).status_code == 200


def test_a_request_is_offered_only_inside_the_window_the_worker_chose(
    client: Any, runtime: Runtime
) -> None:
    evening, _ = make_callback(runtime, phone=worker_number(1), window="evening")
    morning, _ = make_callback(runtime, phone=worker_number(2), window="morning")
    anytime, _ = make_callback(runtime, phone=worker_number(3), window="any")
    token = make_agent(runtime).token

    def listed_at(instant: Any) -> set[int]:
        with time_machine.travel(instant, tick=False):
            response = client.get("/api/queue", headers=auth(token))
        return {item["id"] for item in response.json if item["eligible_now"]}

    assert listed_at(tokyo(2030, 1, 15, 9)) == {morning, anytime}
    assert listed_at(tokyo(2030, 1, 15, 13)) == {anytime}
    assert listed_at(tokyo(2030, 1, 15, 17, 30)) == {evening, anytime}
    assert listed_at(tokyo(2030, 1, 15, 21, 30)) == set()


def test_urgent_requests_come_first_then_the_oldest(client: Any, runtime: Runtime) -> None:
    with time_machine.travel(tokyo(2030, 1, 15, 8, 10), tick=False):
        oldest, _ = make_callback(runtime, phone=worker_number(1))
    with time_machine.travel(tokyo(2030, 1, 15, 8, 20), tick=False):
        newer, _ = make_callback(runtime, phone=worker_number(2))
    with time_machine.travel(tokyo(2030, 1, 15, 8, 30), tick=False):
        urgent, _ = make_callback(runtime, phone=worker_number(3), urgent=True)
    token = make_agent(runtime).token
    with time_machine.travel(MORNING, tick=False):
        listed = client.get("/api/queue", headers=auth(token)).json
    assert [item["id"] for item in listed] == [urgent, oldest, newer]


def test_asking_again_raises_the_priority_of_the_one_open_request(runtime: Runtime) -> None:
    with time_machine.travel(tokyo(2030, 1, 15, 8, 10), tick=False):
        first, _ = make_callback(runtime, phone=worker_number(1))
        again, _ = make_callback(runtime, phone=worker_number(1))
    assert again == first
    with runtime.db.session() as session:
        requests = session.scalars(select(CallbackRequest)).all()
        assert len(requests) == 1
        assert requests[0].priority > 0


def test_agents_see_and_claim_only_requests_in_their_languages(
    client: Any, runtime: Runtime
) -> None:
    khmer, _ = make_callback(runtime, phone=worker_number(1), language="km")
    vietnamese, _ = make_callback(runtime, phone=worker_number(2), language="vi")
    token = make_agent(runtime, languages="vi,en").token
    supervisor = make_agent(runtime, name="Lead", languages="en", role="supervisor").token
    with time_machine.travel(MORNING, tick=False):
        mine = client.get("/api/queue", headers=auth(token)).json
        everything = client.get("/api/queue", headers=auth(supervisor)).json
        claimed = client.post("/api/queue/claim", headers=auth(token)).json
        client.post(
            f"/api/callbacks/{claimed['id']}/outcome",
            json={"outcome": "reached"},
            headers=auth(token),
        )
        nothing_left = client.post("/api/queue/claim", headers=auth(token))
        supervisor_claim = client.post("/api/queue/claim", headers=auth(supervisor))
    assert [item["id"] for item in mine] == [vietnamese]
    assert supervisor_claim.json["id"] == khmer
    assert {item["id"] for item in everything} == {khmer, vietnamese}
    assert claimed["id"] == vietnamese
    assert nothing_left.status_code == 204


def test_quiet_hours_can_be_switched_off_by_configuration() -> None:
    from hotline.callbacks.queue import open_windows

    assert open_windows(tokyo(2030, 1, 15, 23), "00:00-00:00") == ("any",)
    assert open_windows(tokyo(2030, 1, 15, 23), "21:00-08:00") == ()


def test_the_worker_returns_an_abandoned_claim_to_the_queue_on_its_own(runtime: Runtime) -> None:
    from hotline.callbacks.jobs import release_leases

    callback_id, _ = make_callback(runtime)
    agent_id = make_agent(runtime).id
    with time_machine.travel(MORNING, tick=False), runtime.db.session() as session:
        agent_row = session.get(Agent, agent_id)
        assert agent_row is not None
        claimed = claim_next(session, agent_row, quiet_hours="21:00-08:00", now=MORNING)
        assert claimed is not None and claimed.id == callback_id
    with time_machine.travel(MORNING + dt.timedelta(minutes=16), tick=False):
        release_leases(runtime)
    with runtime.db.session() as session:
        row = session.get(CallbackRequest, callback_id)
        assert row is not None
        assert (row.status, row.claimed_by_id) == ("queued", None)


@pytest.mark.slow
@both_backends
def test_concurrent_claims_by_one_agent_hold_at_most_one_callback(
    app: Any, runtime: Runtime
) -> None:
    ids = [make_callback(runtime, phone=worker_number(i))[0] for i in range(1, 9)]
    token = make_agent(runtime).token
    answers: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def claim() -> None:
        try:
            client = app.test_client()
            start.wait()
            response = client.post("/api/queue/claim", headers=auth(token))
            answers.append((response.status_code, response.json["id"]))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    with time_machine.travel(MORNING, tick=False):
        threads = [threading.Thread(target=claim) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert [status for status, _ in answers] == [200] * 6
    claimed = {callback_id for _, callback_id in answers}
    assert len(claimed) == 1  # every request got the one held callback back
    with runtime.db.session() as session:
        held = session.scalars(
            select(CallbackRequest.id).where(CallbackRequest.status == "claimed")
        ).all()
    assert held == list(claimed)
    assert set(held) <= set(ids)


@pytest.mark.slow
@both_backends
def test_the_database_refuses_a_second_held_callback_for_one_agent(runtime: Runtime) -> None:
    first, _ = make_callback(runtime, phone=worker_number(1))
    second, _ = make_callback(runtime, phone=worker_number(2))
    agent_id = make_agent(runtime).id
    with pytest.raises(IntegrityError), runtime.db.session() as session:
        for callback_id in (first, second):
            session.execute(
                update(CallbackRequest)
                .where(CallbackRequest.id == callback_id)
                .values(status="claimed", claimed_by_id=agent_id, lease_expires_at=MORNING)
            )
        session.flush()
