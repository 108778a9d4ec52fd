"""A Tamil pack (`ta`) added to a copy of the packs, as a translator would add one:
a row in languages.csv, its three files, a place on a language page, and the
questions for the calling codes it shares (94 with Sinhala, 91 with Hindi)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from hotline.config import default_data_path

TAMIL_ROW = (
    "ta,Tamil,தமிழ்,94 91,ta-IN,Google.ta-IN-Standard-A,ta-IN,ta,ta-IN,ta,UCS-2,Noto Sans Tamil"
)
TAMIL_GREETING = "தொழிலாளர் உதவி எண்ணுக்கு வரவேற்கிறோம்."
TAMIL_PICK = "தமிழுக்கு அழுத்தவும்"
TAMIL_HELP = "தொழிலாளர்களுக்கான இலவச, ரகசிய உதவி எண். உங்கள் கேள்வியை எழுதுங்கள்."
TAMIL_HELP_WORD = "உதவி"
TAMIL_GAVE_UP = "உங்களைத் தொடர்பு கொள்ள முடியவில்லை. மீண்டும் அழைக்க CALL என அனுப்பவும்."

TAMIL_PACK = f"""language: ta
names:
  ja: {{text: タミル語, reviewed: false}}
gave_up_sms: {{text: "{TAMIL_GAVE_UP}", reviewed: false}}
script:
  writing_systems: [TAMIL]
  word_boundaries: true
  unique_ranges: [0B80-0BFF]
"""


def _set_text(yaml_text: str, name: str, text: str) -> str:
    pattern = rf'(\n  {name}:\n    text: )"[^\n]*"'
    changed, count = re.subn(pattern, lambda m: f'{m[1]}"{text}"', yaml_text)
    assert count == 1, name
    return changed


def add_tamil(root: Path) -> Path:
    """Copy the checkout's packs to `root` and add Tamil there; returns `root`."""
    shutil.copytree(default_data_path("ivr_scripts"), root)
    with (root / "languages.csv").open("a", encoding="utf-8") as table:
        table.write(TAMIL_ROW + "\n")
    menu = root / "menu.yaml"
    text = menu.read_text("utf-8").replace("    - [uk, fr]\n", "    - [uk, fr, ta]\n", 1)
    text = text.replace(
        "  shared_calling_codes: {}\n",
        '  shared_calling_codes:\n    "94": [si, ta]\n    "91": [hi, ta]\n',
        1,
    )
    menu.write_text(text, "utf-8")
    prompts = (root / "prompts" / "en.yaml").read_text("utf-8")
    prompts = prompts.replace("language: en\n", "language: ta\n", 1)
    prompts = prompts.replace("reviewed: true", "reviewed: false")
    prompts = _set_text(prompts, "greeting", TAMIL_GREETING)
    prompts = _set_text(prompts, "language_pick", TAMIL_PICK)
    (root / "prompts" / "ta.yaml").write_text(prompts, "utf-8")
    sms = (root / "sms" / "en.yaml").read_text("utf-8")
    sms = sms.replace("language: en\n", "language: ta\n", 1)
    keywords = sms[sms.index("keywords:\n") : sms.index("replies:\n")]
    sms = sms.replace(
        keywords,
        "keywords:\n"
        f'  help: {{words: ["{TAMIL_HELP_WORD}"], reviewed: false}}\n'
        '  stop: {words: ["நிறுத்து"], reviewed: false}\n'
        '  call: {words: ["அழைப்பு"], reviewed: false}\n',
    )
    sms = _set_text(sms, "help", TAMIL_HELP)
    (root / "sms" / "ta.yaml").write_text(sms, "utf-8")
    (root / "packs" / "ta.yaml").write_text(TAMIL_PACK, "utf-8")
    return root
