"""Build the resident pages' widget client (``frontend/``) into the ``linli-resident`` Voila template.

    python scripts/build_frontend.py          # needs node and npm (Debian's), and the npm registry once

A developer's step, not part of ``make run`` or ``make test``: the built files are committed (vendored
from the npm registry, as the Font Awesome and Leaflet assets are), so the app installs and runs
offline. Output names carry a hash of their content (browsers may keep them a year); ``SOURCE.txt``
records a hash of the sources, and ``tests/test_frontend_bundle.py`` fails when the sources changed
without a rebuild.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
TEMPLATE = ROOT / "templates" / "voila" / "templates" / "linli-resident"
STATIC = TEMPLATE / "static"


def source_hash() -> str:
    """sha256 over what the bundle is built from: the pinned packages, the build script, the client."""
    h = hashlib.sha256()
    files = [FRONTEND / "package.json", FRONTEND / "package-lock.json", FRONTEND / "build.mjs", *sorted((FRONTEND / "src").rglob("*"))]
    for f in files:
        if f.is_file():
            h.update(f.relative_to(FRONTEND).as_posix().encode() + b"\0" + f.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def _hashed(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{path.stem}.{digest}{path.suffix}"


def build() -> None:
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run(["node", "build.mjs", str(out)], cwd=FRONTEND, check=True)
        if STATIC.exists():
            shutil.rmtree(STATIC)
        STATIC.mkdir(parents=True)
        shutil.copytree(out / "assets", STATIC / "assets")
        js, css = _hashed(out / "resident.js"), _hashed(out / "resident.css")
        shutil.copy(out / "resident.js", STATIC / js)
        shutil.copy(out / "resident.css", STATIC / css)
        shutil.copy(out / "resident.js.LEGAL.txt", STATIC / "LICENSES.txt")
    static = "{{ resources.base_url }}voila/templates/linli-resident/static/"
    (TEMPLATE / "bundle.html.j2").write_text(
        "{#- Written by scripts/build_frontend.py: the resident widget client (frontend/). -#}\n"
        f'<link rel="stylesheet" href="{static}{css}" type="text/css" />\n'
        f'<script type="module" async src="{static}{js}"></script>\n',
        encoding="utf-8",
    )
    (TEMPLATE / "SOURCE.txt").write_text(
        "The resident widget client: frontend/ built by scripts/build_frontend.py from the npm packages\n"
        "pinned in frontend/package.json and frontend/package-lock.json (licences: static/LICENSES.txt).\n"
        f"source sha256: {source_hash()}\n",
        encoding="utf-8",
    )
    print(f"wrote {STATIC.relative_to(ROOT)}/{js} ({(STATIC / js).stat().st_size // 1024} KB), {css}")


if __name__ == "__main__":
    sys.exit(build())
