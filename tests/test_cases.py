"""Cases: one open case per caller, references a caller can read out and key in."""

from __future__ import annotations

import threading

from sqlalchemy import select

from hotline.callers.service import get_or_create_caller
from hotline.cases.models import Case
from hotline.cases.service import is_valid_reference, open_case_for
from hotline.runtime import Runtime
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER


@both_backends
def test_two_texts_at_the_same_moment_share_one_open_case(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
    barrier = threading.Barrier(4)
    references: list[str] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait(timeout=10)  # start together; SQLite then queues the writers
            with runtime.db.session() as session:
                caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
                references.append(open_case_for(session, caller, "vi").reference)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with runtime.db.session() as session:
        cases = session.scalars(select(Case)).all()
    assert len(cases) == 1
    assert set(references) == {cases[0].reference}


def test_a_closed_case_is_followed_by_a_new_one(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
        first = open_case_for(session, caller, "vi")
        first.status = "closed"
        session.flush()
        second = open_case_for(session, caller, None)
        assert second.id != first.id
        assert second.language is None
        assert is_valid_reference(first.reference) and is_valid_reference(second.reference)


def test_references_catch_a_mistyped_digit() -> None:
    from hotline.cases.service import luhn_digit, new_reference

    for _ in range(50):
        good = new_reference()
        assert is_valid_reference(good)
        wrong_digit = str((int(good[2]) + 1) % 10)
        assert not is_valid_reference(good[:2] + wrong_digit + good[3:])
    assert luhn_digit("123456") == "6"
    assert not is_valid_reference("12345") and not is_valid_reference("١٢٣٤٥٦٦")
