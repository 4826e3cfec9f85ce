"""The layout audit on the real pages: every notebook of both servers, at its device size, in both
languages, in three states of the database:

- ``empty``: a new database (schema and reference lists, no proposals, no round, panel or plan);
- ``demo``: ``linli demo`` (240 proposals) plus a scoring panel, an open round with codes and a few
  ballots, a closed round with ballots, and a plan with lines;
- ``entered``: the demo database after a person typed a code (vote: a voter code; scoring: a reviewer code).

Pages of one state are loaded a few at a time in one shared browser context per device size, and
audited once (module fixture); each page × language × state is then its own test case. Every page is
saved as a screenshot into the test's tmp dir (``LINLI_UPDATE_SCREENSHOTS=1``: into
docs/screenshots/pages/ too)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.audit import Device, Violation, audit, device_for, report, wait_rendered, watch
from tests.browser.harness import SCREENSHOTS, offline_context, start_servers
from toolkit.serve import NOTEBOOKS


# the first case of each state loads all of that state's pages (module fixture) within its own timeout.
# Part of `make test`; `make audit` runs only this file.
pytestmark = [pytest.mark.browser, pytest.mark.audit_pages, pytest.mark.timeout(1800)]

LANGS = ("zh", "en")
BATCH = 4  # pages loading at once (2 cores; each page starts a kernel)


def pages_of(audience: str) -> list[str]:
    return sorted(p.stem for p in (NOTEBOOKS / audience).glob("*.ipynb"))


@dataclass
class Visit:
    """One page in one state and language: where it is, what to do there, what the audit found."""

    state: str
    audience: str
    page: str
    lang: str
    query: str = ""
    action: tuple[str, str, str] | None = None  # type ids[code] into the first text box, click, wait for a selector
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None

    @property
    def key(self) -> str:
        q = f"[{self.query.replace('{', '').replace('}', '')}]" if self.query else ""
        return f"{self.state}-{self.audience}-{self.page}{q}-{self.lang}"

    @property
    def device(self) -> Device:
        return device_for(self.audience, self.page)


def _empty_db(path: Path) -> dict:
    from toolkit.workspace import open_workspace

    open_workspace(str(path))
    return {}


def _demo_db(path: Path) -> dict:
    """The demo district with a panel, an open round (codes, two ballots), a closed round, a plan."""
    from fractions import Fraction

    from toolkit.demo import build_demo_database
    from toolkit.labels import Label
    from toolkit.panels import create_panel
    from toolkit.planning import propose_version
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.rounds.plan import Plan, PlanLine
    from toolkit.store import open_store
    from toolkit.voting import cast, close_round, create_round, issue_codes

    build_demo_database(str(path))
    store = open_store(str(path))
    frame = store.proposals_frame().sort_values("id").head(6)
    panel_id, reviewer_codes = create_panel(str(path), "东风社区微更新评审", "selection", [str(i) for i in frame.id[:3]], ["王芳:community", "李工:street", "陈老师:district"])

    def settings(name: str) -> tuple[RoundSettings, dict[str, int]]:
        projects = tuple(
            Project(f"P{int(r.id):04d}", Label(str(r.title), str(r.title)), 30_000_00 + 10_000_00 * i, Label(str(r.problem), str(r.problem)), (float(r.lon), float(r.lat)))
            for i, r in enumerate(frame.itertuples())
        )
        return (
            RoundSettings("audit", Label(name, name), projects, (Fund("shared", Label("共有资金", "Shared fund"), 150_000_00),), Knapsack(), rule="greedy-votes"),
            {p.id: int(p.id[1:]) for p in projects},
        )

    ids = [f"P{int(i):04d}" for i in frame.id]
    closed_settings, closed_map = settings("锦绣花园 2026 春季")
    closed = create_round(store, closed_settings, scrypt_n=2**8, proposal_ids=closed_map)
    codes = issue_codes(store, closed, 6)
    store.set_round_status(closed, "open")
    for n, (code, picks) in enumerate(zip(codes, ([ids[0], ids[1]], [ids[1]], [ids[2], ids[3]], [ids[0]]))):
        cast(store, closed, code, {"projects": picks}, submission_id=f"audit-closed-{n}")
    close_round(store, closed)
    open_settings, open_map = settings("锦绣花园 2026 秋季")
    opened = create_round(store, open_settings, scrypt_n=2**8, proposal_ids=open_map)
    voter_codes = issue_codes(store, opened, 6)
    store.set_round_status(opened, "open")
    cast(store, opened, voter_codes[0], {"projects": [ids[0]]}, submission_id="audit-open-0")
    plan = store.create_plan("锦绣花园共有资金收支计划", 6)
    propose_version(store, plan, Plan((
        PlanLine("i1", Label("停车收入", "Parking income"), 120_000_00, "income", "shared"),
        PlanLine("e1", Label("院坝凉亭", "Pavilion"), 66_000_00, "expense"),
        PlanLine("e2", Label("电动车充电棚", "Charging shed"), 40_000_00, "expense"),
    ), Fraction(1, 10), 0), note="第一轮")
    return {"panel": panel_id, "reviewer": next(iter(reviewer_codes.values())), "closed": closed, "open": opened, "voter": voter_codes[1], "plan": plan}


def visits_for(state: str) -> list[Visit]:
    out: list[Visit] = []
    for lang in LANGS:
        if state == "entered":
            out.append(Visit(state, "resident", "vote", lang, "round={open}", ("voter", "button.linli-start", "#linli-meter")))
            out.append(Visit(state, "resident", "scoring", lang, "", ("reviewer", "button.linli-enter", "button.linli-submit-sheet")))
            continue
        for audience in ("resident", "staff"):
            for name in pages_of(audience):
                query = ""
                if state == "demo":
                    query = {"tally": "panel={panel}", "results": "round={closed}", "paper": "round={open}", "plan": "plan={plan}"}.get(name, "")
                out.append(Visit(state, audience, name, lang, query))
                if state == "demo" and name == "round-desk":
                    out.append(Visit(state, audience, name, lang, "round={open}"))
                if state == "demo" and name == "results":
                    out.append(Visit(state, audience, name, lang, "round={open}"))
    return out


def _url(servers, v: Visit, ids: dict) -> str:
    query = "&".join(q for q in (v.query.format(**ids), "lang=en" if v.lang == "en" else "") if q)
    return servers[v.audience].url(v.page, query=query)


def _shot(page, v: Visit, tmp: Path) -> None:
    targets = [tmp]
    if os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1" and v.state in ("demo", "entered"):
        targets.append(SCREENSHOTS / "pages")
    name = v.key.replace("[", "-").replace("]", "").replace("=", "")
    for t in targets:
        t.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(t / f"{name}.png"))


def run_state(state: str, browser, tmp: Path, only: set[str] | None = None) -> dict[str, Visit]:
    db = tmp / f"{state}.sqlite"
    ids = _empty_db(db) if state == "empty" else _demo_db(db)
    (tmp / "voila").mkdir(exist_ok=True)
    servers = start_servers(str(db), tmp / "voila")
    contexts: dict[tuple[int, int], tuple] = {}
    visits = [v for v in visits_for(state) if only is None or v.key in only]
    try:
        for start in range(0, len(visits), BATCH):
            batch = visits[start : start + BATCH]
            open_pages = []
            for v in batch:
                size = (v.device.width, v.device.height)
                if size not in contexts:
                    external: list[str] = []
                    contexts[size] = (offline_context(browser, width=size[0], height=size[1], external=external), external)
                    watch(contexts[size][0])
                ctx, external = contexts[size]
                page = ctx.new_page()
                page.goto(_url(servers, v, ids), wait_until="commit", timeout=120_000)
                open_pages.append((v, page))
            for v, page in open_pages:
                try:
                    wait_rendered(page)
                    if v.action:
                        which, button, then = v.action
                        box = page.locator("input[type=text], input:not([type])").first
                        box.fill(ids[which])
                        page.click(button)
                        page.wait_for_selector(then, timeout=30_000)
                        wait_rendered(page)
                    _, external = contexts[(v.device.width, v.device.height)]
                    v.violations = audit(page, v.device, v.lang, list(external))
                    external.clear()
                    _shot(page, v, tmp / "screenshots")
                except Exception as exc:  # noqa: BLE001 - reported by the page's own test case
                    v.error = f"{type(exc).__name__}: {exc}"
                    try:
                        _shot(page, v, tmp / "screenshots")
                    except Exception:  # noqa: BLE001
                        pass
                finally:
                    page.close()
    finally:
        for ctx, _ in contexts.values():
            ctx.close()
        for r in servers.values():
            r.stop()
    return {v.key: v for v in visits}


STATES = ("empty", "demo", "entered")
_results: dict[str, dict[str, Visit] | Exception] = {}


@pytest.fixture(scope="module")
def audited(request, browser, tmp_path_factory):
    # only the pages of the selected cases are loaded (pytest -k …)
    selected = {item.callspec.params["key"] for item in request.session.items if item.originalname == "test_page_passes_the_layout_audit"}

    def get(state: str) -> dict[str, Visit]:
        if state not in _results:
            try:
                _results[state] = run_state(state, browser, tmp_path_factory.mktemp(f"audit-{state}"), selected)
            except Exception as exc:  # noqa: BLE001 - a broken setup fails every case of the state once, not again and again
                _results[state] = exc
        if isinstance(_results[state], Exception):
            raise _results[state]
        return _results[state]

    return get


def _cases() -> list:
    return [pytest.param(state, v.key, id=v.key) for state in STATES for v in visits_for(state)]


@pytest.mark.parametrize(("state", "key"), _cases())
def test_page_passes_the_layout_audit(state, key, audited):
    v = audited(state)[key]
    assert v.error is None, f"{key}: the page did not render or could not be used: {v.error}"
    assert not v.violations, f"{key} ({v.device.name} {v.device.width}×{v.device.height}):\n{report(v.violations)}"
