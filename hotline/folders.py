"""Where the data read at run time lives: `ivr_scripts/` and `audio/`, from their
variables or the checkout / the wheel's share folder. Plumbing: imports nothing of
hotline, so the settings and the language table can both use it."""

from __future__ import annotations

import os
import site
import sys
from collections.abc import Mapping
from pathlib import Path

# The folders of data read at run time; a wheel installs them under <prefix>/share/hotline.
DATA_FOLDERS = {"ivr_scripts": "HOTLINE_IVR_SCRIPTS", "audio": "HOTLINE_AUDIO_DIR"}
_CHECKOUT = Path(__file__).resolve().parents[1]


def default_data_path(name: str) -> Path:
    """`ivr_scripts/` or `audio/`: the checkout's own folder when running from a
    checkout, else the copy a wheel installed under `<prefix>/share/hotline/`."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / name).is_dir():
        return _CHECKOUT / name
    for prefix in (sys.prefix, site.getuserbase()):
        installed = Path(prefix) / "share" / "hotline" / name
        if installed.is_dir():
            return installed
    return Path(sys.prefix) / "share" / "hotline" / name


def data_path(name: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the data folder `name` is: its variable when set, else the default."""
    env = os.environ if env is None else env
    raw = (env.get(DATA_FOLDERS[name]) or "").strip()
    return Path(raw).resolve() if raw else default_data_path(name)
