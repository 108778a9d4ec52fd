"""The referral directory's rules (the lead's placeholder until the directory helper's
version lands: only what referrals need)."""

from __future__ import annotations

import unicodedata

from hotline.directory.models import Organisation
from hotline.sms.scripts import default_scripts


def referral_text(org: Organisation, language: str) -> str:
    scripts = default_scripts()
    code = language if language in scripts.languages else "en"
    name = org.name_ja if code == "ja" else (org.known_as or org.name_en)
    text = scripts.reply(code, "referral", name=name, phone=org.phone, hours=org.hours or "24h")
    return unicodedata.normalize("NFC", text)
