"""`linli demo` builds the same database every time, through the same checks as residents."""

from __future__ import annotations

import subprocess
import sys

from toolkit.demo import build_demo_database
from toolkit.store import open_store


def test_demo_database_is_deterministic_and_plausible(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    build_demo_database(a)
    build_demo_database(b)
    fa = open_store(a).proposals_frame()
    fb = open_store(b).proposals_frame()
    assert len(fa) == 240
    assert fa.equals(fb)
    assert fa.compound_id.notna().all()  # every proposal lands in a compound
    assert fa.community_name.nunique() >= 15 and fa.category.nunique() == 8 and fa.channel.nunique() == 8
    costs = fa.cost_fen.dropna()
    assert costs.min() >= 0 and costs.max() <= 400_000 * 100 and (costs % 100 == 0).all()
    assert fa.title.str.contains("[\u4e00-\u9fff]").all()
    assert fa.created_at.is_monotonic_increasing


def test_demo_command_does_not_overwrite_without_force(tmp_path):
    db = tmp_path / "d.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "toolkit.cli", "demo", "--db", str(db), *a], capture_output=True, text=True, check=True)  # noqa: E731
    assert "240 demo proposals" in run().stdout
    assert "already has 240 proposals" in run().stdout
    assert "240 demo proposals" in run("--force").stdout
    assert open_store(db).count_proposals() == 240
