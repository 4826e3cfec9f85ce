"""Project-level promises: notebooks are adapters, imports flow one way, what is documented
exists (settings, commands), serving keeps the audiences apart and culls idle kernels."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from toolkit.serve import voila_server
from toolkit.settings import ENV_VARS, load_settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").rglob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_one_call(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1
    tree = ast.parse(code[0].source)
    calls = [n for n in tree.body if isinstance(n, ast.Expr)]
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert len(calls) == 1 and len(imports) == 1 and imports[0].module == "toolkit.ui.pages"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_imports_flow_one_way():
    toolkit = ROOT / "toolkit"
    for path in toolkit.rglob("*.py"):
        rel = path.relative_to(toolkit).as_posix()
        mods = imports_of(path)
        uses_sql = any(m.startswith("sqlalchemy") for m in mods) or "import sqlite3" in path.read_text()
        if not rel.startswith("store/"):
            assert not uses_sql, f"{rel}: SQL lives only in toolkit/store"
        # kernel_zygote.py builds no widget: each forked kernel registers ipywidgets' comm targets (kernel set-up).
        if not rel.startswith("ui/") and rel not in ("maps.py", "kernel_zygote.py"):
            assert not any(m.startswith(("ipywidgets", "ipyleaflet")) for m in mods), f"{rel}: widgets only in ui/ and maps"
        if rel.startswith(("budget/", "scoring/", "screening/", "feedback/", "notices/", "projects/")) or rel in ("proposals.py", "geo.py", "labels.py", "rulefiles.py"):
            assert not any(m.startswith(("toolkit.store", "toolkit.ui")) for m in mods), f"{rel}: domain logic imports neither store nor widgets"


def test_every_setting_is_documented_in_readme():
    for name in ENV_VARS:
        assert name in README, f"{name} is not documented in README.md"
    used = set(re.findall(r"LINLI_[A-Z_]+", "\n".join(p.read_text() for p in (ROOT / "toolkit").rglob("*.py"))))
    assert used <= set(ENV_VARS) | {"LINLI_UPDATE_SCREENSHOTS", "LINLI_CHROMIUM"}, used - set(ENV_VARS)


def test_readme_commands_exist():
    assert "make run" in README and "make test" in README
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", make, re.M) and re.search(r"^test:", make, re.M)
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1].strip() == "make test"
    help_text = subprocess.run([sys.executable, "-m", "toolkit.cli", "--help"], capture_output=True, text=True, check=True).stdout
    for command in re.findall(r"^\s*\{([a-z,]+)\}", help_text, re.M)[0].split(","):
        assert f"linli {command}" in README, f"`linli {command}` is not documented in README.md"
    shots = ("propose", "live-map", "screening", "scoring", "tally", "vote", "results", "status", "status-phone", "notice", "dashboard")
    for shot in (f"docs/screenshots/{name}.png" for name in shots):
        assert shot in README and (ROOT / shot).exists()


def test_servers_keep_audiences_apart_and_cull_idle_kernels(tmp_path):
    settings = dataclasses.replace(load_settings(), staff_token=None, var_dir=tmp_path)
    resident = voila_server("resident", settings)
    staff = voila_server("staff", settings)
    assert resident.command[3].endswith("notebooks/resident") and staff.command[3].endswith("notebooks/staff")
    for srv in (resident, staff):
        assert srv.command[1:3] == ["-m", "toolkit.voila_app"]
        assert "--MappingKernelManager.cull_idle_timeout=600" in srv.command
        assert "--Voila.port_retries=0" in srv.command
        assert f"--template={'linli-resident' if srv.audience == 'resident' else 'linli'}" in srv.command
        assert f"--LinliVoila.audience={srv.audience}" in srv.command
    token = (tmp_path / "staff-token").read_text().strip()
    assert len(token) >= 24 and staff.env["LINLI_STAFF_TOKEN"] == token  # in the environment, not in `ps`
    assert not any(token in part for part in staff.command) and "LINLI_STAFF_TOKEN" not in resident.env
    assert oct((tmp_path / "staff-token").stat().st_mode)[-3:] == "600"
    again = voila_server("staff", settings)
    assert again.token == token  # generated once, kept
    hashed = dataclasses.replace(settings, staff_password_hash="argon2:$abc")
    srv = voila_server("staff", hashed)
    assert srv.env["LINLI_STAFF_PASSWORD_HASH"] == "argon2:$abc" and not any("argon2" in p for p in srv.command)


def test_template_loads_nothing_from_a_cdn():
    template = ROOT / "templates" / "voila" / "templates" / "linli"
    text = (template / "index.html.j2").read_text()
    assert "fontawesome/css/" in text
    assert (template / "static" / "fontawesome" / "css" / "all.min.css").exists()
    assert (template / "static" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").exists()
