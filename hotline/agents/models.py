from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow

# "agent" is an adviser: their languages' queues and cases. A supervisor also sees every
# language, the reports and the audit log; an admin is a supervisor who may also manage
# agents, keys and retention (today all through the operator's CLI).
ROLES = ("agent", "supervisor", "admin")
ROLE_ALIASES = {"adviser": "agent"}


class Agent(Base):
    """An adviser. The API token is kept only as a hash; the phone number encrypted."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    languages: Mapped[list[str]] = mapped_column(JSON)
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    ui_language: Mapped[str] = mapped_column(String(8), default="en")
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The adviser's last action (web or API; polling does not count): idle advisers are
    # not offered live callers (hotline.agents.presence).
    last_active_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_supervisor(self) -> bool:
        """Sees every language, the reports and the audit log (admins too)."""
        return self.role in ("supervisor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def speaks(self, language: str | None) -> bool:
        return self.is_supervisor or (language is not None and language in self.languages)
