"""Where Baogong keeps what it writes (imported by the settings: no Django here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_var_dir(base_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """``BAOGONG_VAR_DIR`` when set; in a source checkout (``make run``) its ``var/``; installed
    from a wheel (``base_dir`` is site-packages, which must stay read-only) the user's data folder:
    ``$XDG_DATA_HOME/baogong``, else ``~/.local/share/baogong``."""
    if environ.get("BAOGONG_VAR_DIR"):
        return Path(environ["BAOGONG_VAR_DIR"])
    if (base_dir / "pyproject.toml").exists() and not _inside_site_packages(base_dir):
        return base_dir / "var"
    data_home = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data_home) / "baogong"


def _inside_site_packages(path: Path) -> bool:
    return any(part in {"site-packages", "dist-packages"} for part in path.resolve().parts)
