"""Shared fixtures: a throwaway PostgreSQL server (the project's own script) for store tests
that run on both SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from pathlib import Path

import os

import pytest
from hypothesis import settings

# Property tests are deterministic by default, so a run is repeatable; HYPOTHESIS_PROFILE=explore
# draws fresh examples each run (do that when changing the engines).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    from postgres import PostgresServer
    from tests.browser.harness import free_port

    base = Path(tempfile.mkdtemp(prefix="linli-pg-"))  # outside root's private pytest folder
    base.chmod(0o755)
    server = PostgresServer(base / "cluster", free_port()).start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "linli.sqlite")
    server = request.getfixturevalue("postgres")
    return server.create_database(f"linli_test_{next(_counter)}")
