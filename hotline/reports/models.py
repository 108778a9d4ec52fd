"""Indexes the reports need on other domains' tables. Declared here, beside the queries
that use them, and gathered onto the metadata by `hotline.models`.

A report selects the cases opened in a date range, then each case's calls, texts and
voicemails: without these, a month's report on a large database scans `cases` and
`calls` whole (see docs/performance.md).
"""

from __future__ import annotations

from sqlalchemy import Index

from hotline.cases.models import Case
from hotline.voice.models import Call

CASES_BY_OPENING = Index("ix_cases_created_at", Case.created_at)
CALLS_BY_CASE = Index("ix_calls_case_id", Call.case_id)
