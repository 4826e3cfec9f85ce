"""The resident widget client committed in ``templates/voila/templates/linli-resident`` is the one built
from ``frontend/`` (no stale bundle after a change to the client or its pinned packages), offline, and
named by its content so browsers may keep it."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "voila" / "templates" / "linli-resident"


def _builder():
    spec = importlib.util.spec_from_file_location("build_frontend", ROOT / "scripts" / "build_frontend.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bundle() -> list[Path]:
    text = (TEMPLATE / "bundle.html.j2").read_text(encoding="utf-8")
    names = re.findall(r"linli-resident/static/([^\"]+)\"", text)
    assert len(names) == 2, text
    return [TEMPLATE / "static" / n for n in names]


def test_the_committed_bundle_is_built_from_the_committed_sources():
    recorded = re.search(r"source sha256: ([0-9a-f]{64})", (TEMPLATE / "SOURCE.txt").read_text(encoding="utf-8"))
    assert recorded, "SOURCE.txt has no source hash: run scripts/build_frontend.py"
    assert recorded.group(1) == _builder().source_hash(), "frontend/ changed since the bundle was built: run scripts/build_frontend.py"


def test_bundle_files_are_named_by_their_content():
    for path in _bundle():
        assert path.is_file(), path
        stem, digest, suffix = path.name.rsplit(".", 2)
        assert stem == "resident" and suffix in ("js", "css")
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:16] == digest, f"{path.name} was edited after the build"


def test_bundle_fetches_nothing_from_the_internet():
    js, css = sorted(_bundle(), key=lambda p: p.suffix != ".js")
    code = js.read_text(encoding="utf-8")
    for cdn in ("unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com"):
        assert cdn not in code
    text = css.read_text(encoding="utf-8")
    remote = re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")\s]+)", text)
    assert not remote, remote[:3]
    local = re.findall(r"url\(\s*['\"]?(\./[^'\")\s]+)", text)
    assert local  # Leaflet's marker images and the like, shipped beside the stylesheet
    for u in local:
        assert (css.parent / u).is_file(), u
