"""Builders for directory tests: organisations as a supervisor would enter them."""

from __future__ import annotations

from typing import Any

from hotline.directory import service
from hotline.runtime import Runtime


def make_organisation(runtime: Runtime, **values: Any) -> int:
    """An organisation added through the service (validated, unverified); returns its id."""
    fields: dict[str, Any] = {
        "name_ja": "テスト支援センター",
        "name_en": "Test Support Centre",
        "kind": "ngo",
        "phone": "03-0000-0000",
        "hours": "mon-fri 10:00-18:00",
        "languages": ["vi"],
    }
    fields.update(values)
    with runtime.db.session() as session:
        return service.add(session, fields, agent_id=None).id
