"""Who reviews which language, and every reviewed or edited text as a new version.

The pack files stay the source of truth for the wording drafted with the code; a
version here is a reviewer's word on one text (`reviewed`, same text) or their new
wording (`edited`). The latest version of a text is what calls and SMS use
(hotline.review.live), until `hotline prompts export` writes it back to the file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow

CHANNELS = ("voice", "sms")
ACTIONS = ("reviewed", "edited")


class PromptReviewer(Base):
    """An agent who may review (and edit) one language's texts and recordings."""

    __tablename__ = "prompt_reviewers"
    __table_args__ = (UniqueConstraint("agent_id", "language", name="uq_prompt_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PromptVersion(Base):
    """One version of one text of a pack: who, when, the text and whether it is reviewed."""

    __tablename__ = "prompt_versions"
    __table_args__ = (Index("ix_prompt_versions_lookup", "language", "channel", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))  # voice | sms
    key: Mapped[str] = mapped_column(String(96))  # e.g. main_menu, reply.help, template.x
    text: Mapped[str] = mapped_column(Text)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(16))  # reviewed | edited
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
