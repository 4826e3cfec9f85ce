"""The layout audit catches each rule on a deliberately broken page, and nothing on clean ones.

A Voila server with the linli template serves tests/browser/fixtures/ (one notebook per broken rule,
written by fixtures/make_fixtures.py); each page is opened at its device size and language and the
audit must report exactly the rule that page breaks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.browser.audit import DEVICES, PROJECTOR, RULES, STAFF, TABLET, audit, device_for, report, rules_of, wait_rendered, watch
from tests.browser.fixtures.make_fixtures import CASES
from tests.browser.harness import RunningServer, free_port, offline_context
from toolkit.serve import NOTEBOOKS, voila_server
from toolkit.settings import load_settings

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).with_name("fixtures")
SIZES = {"tablet": TABLET, "projector": PROJECTOR, "staff": STAFF}


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("audit-fixtures")
    settings = dataclasses.replace(
        load_settings(), db=str(work / "unused.sqlite"), var_dir=work, host="127.0.0.1", pool_size=0, max_kernels=0, max_kernels_per_client=0
    )
    srv = voila_server("resident", settings, port=free_port())
    command = [str(FIXTURES) if c == str(NOTEBOOKS / "resident") else c for c in srv.command]
    running = RunningServer(dataclasses.replace(srv, command=command), work / "voila-fixtures.log")
    running.wait_ready()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per device size, reused by every fixture page; each records what left localhost."""
    made = {}
    for name, dev in SIZES.items():
        external: list[str] = []
        made[name] = (offline_context(browser, width=dev.width, height=dev.height, external=external), external)
        watch(made[name][0])
    yield made
    for ctx, _ in made.values():
        ctx.close()


def test_every_rule_has_a_broken_fixture():
    broken = {rule for (_d, _l, rule, _c) in CASES.values() if rule}
    assert broken == set(RULES)
    assert sorted(p.stem for p in FIXTURES.glob("*.ipynb")) == sorted(CASES), "run tests/browser/fixtures/make_fixtures.py"


def test_devices_are_decided_for_every_page():
    """Every page of both servers has a device size; the resident pages are tablets."""
    for audience in ("resident", "staff"):
        for nb in (NOTEBOOKS / audience).glob("*.ipynb"):
            dev = device_for(audience, nb.stem)
            assert dev in (TABLET, STAFF, PROJECTOR)
            if audience == "resident":
                assert dev is TABLET
    assert DEVICES["results"] is PROJECTOR and DEVICES["vote"] is TABLET and DEVICES["round-desk"] is STAFF


@pytest.mark.parametrize("name", list(CASES))
def test_audit_reports_exactly_the_broken_rule(name, fixture_server, contexts):
    device, lang, rule, _code = CASES[name]
    ctx, external = contexts[device]
    external.clear()
    page = ctx.new_page()
    try:
        query = "?lang=en" if lang == "en" else ""
        page.goto(f"{fixture_server.base}/voila/render/{name}.ipynb{query}", timeout=120_000)
        wait_rendered(page, blank_timeout=3_000 if rule == "blank" else 60_000)
        if rule == "external":
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
        found = audit(page, SIZES[device], lang, list(external))
    finally:
        page.close()
    expected = {rule} if rule else set()
    assert rules_of(found) == expected, f"{name}: expected {expected or 'nothing'}, got:\n{report(found)}"
