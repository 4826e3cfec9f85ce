"""Funded projects followed to acceptance: milestones, reviews, maintenance, files, bulk updates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.settings import Settings


def files_dir_for(db: str, var_dir: Path) -> Path:
    """Uploaded project photos and documents live in ``files/`` beside a SQLite database (or in
    ``var/files`` for PostgreSQL); residents see them only through the status and notice pages."""
    from toolkit.store import database_url

    url = database_url(db)
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent / "files"
    return Path(var_dir) / "files"


def files_dir(settings: "Settings") -> Path:
    return files_dir_for(settings.db, settings.var_dir)
