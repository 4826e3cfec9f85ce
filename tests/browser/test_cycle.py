"""One whole co-creation cycle in real browsers at demo scale (240 proposals), through the pages only:

residents drop proposals on the tablet map → the facilitator screens the queue → a scoring panel
(created on the staff home page's new-panel form, the reviewer codes read off the page) is scored on
three reviewer tablets → a round is set up on round-desk by ticking the
screened projects, the code sheet is printed and voting opened → ten residents vote on tablets with
codes read off the printed sheet, two paper ballots are typed twice each → voting is closed (with its
confirmation) → the result is projected → a plan version is proposed on the plan page.

The database is only read, to check what the pages did. Each step starts where a person starts: the
server's home page when it has one (then the step follows its link), else the page's address.
Every page is audited on the way (tests/browser/audit.py) and saved as a screenshot."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.audit import TABLET, audit, device_for, report, wait_rendered, watch
from tests.browser.harness import SCREENSHOTS, offline_context, start_servers
from toolkit.serve import NOTEBOOKS

pytestmark = pytest.mark.browser

CODE_RE = re.compile(r"\b[346789ACEFHJKMNPQRTVWXY]{3}-[346789ACEFHJKMNPQRTVWXY]{3}-[346789ACEFHJKMNPQRTVWXY]{3}\b")
COMPOUNDS = ("S2C2Y2", "S1C1Y1", "S3C1Y2")  # compounds of the demo district the residents tap


class Person:
    """One browser context (a tablet, the facilitator's laptop, the projector) opening pages."""

    def __init__(self, browser, servers, audience: str, page_name: str, tmp: Path, found: dict) -> None:
        dev = device_for(audience, page_name)
        self.audience, self.servers, self.tmp, self.found = audience, servers, tmp, found
        self.external: list[str] = []
        self.context = offline_context(browser, width=dev.width, height=dev.height, external=self.external)
        watch(self.context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, name: str, query: str = "", lang: str = "zh") -> None:
        """Go to a page as a person does: from the home page's link when there is a home page."""
        srv = self.servers[self.audience]
        query = "&".join(q for q in (query, "lang=en" if lang == "en" else "") if q)
        home = next((h for h in ("home", "index") if (NOTEBOOKS / self.audience / f"{h}.ipynb").exists()), None)
        if home:
            self.page.goto(srv.url(home, query="lang=en" if lang == "en" else ""), timeout=120_000)
            wait_rendered(self.page)
            first = query.split("&")[0]
            link = self.page.locator(f'a[href*="{name}.ipynb"][href*="{first}"]' if first else f'a[href*="{name}.ipynb"]')
            if link.count() == 0:  # the home page does not list this id: its page's own link, then the id
                link = self.page.locator(f'a[href*="{name}.ipynb"]')
            link.first.click()
            self.page.wait_for_url(re.compile(re.escape(name) + r"\.ipynb"), timeout=60_000)
            if first and first not in self.page.url:
                self.page.goto(srv.url(name, query=query), timeout=120_000)
        else:
            self.page.goto(srv.url(name, query=query), timeout=120_000)
        wait_rendered(self.page)

    def check(self, label: str, lang: str = "zh") -> None:
        """Audit the page as it is now, save a screenshot, remember what the audit found."""
        name = re.sub(r"[^a-z0-9-]+", "-", label.lower())
        dev = device_for(self.audience, label.split(":")[0])
        for target in [self.tmp] + ([SCREENSHOTS / "cycle"] if _update() else []):
            target.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(target / f"{name}.png"))
        self.found[label] = audit(self.page, dev, lang, list(self.external))
        self.external.clear()

    def close(self) -> None:
        self.context.close()


def _update() -> bool:
    import os

    return os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1"


def confirm_if_asked(page, clicked_selector: str, outcome: str, timeout: float = 60_000) -> None:
    """Click an irreversible action; when the page asks for a confirmation, give it; wait for the outcome."""
    page.evaluate("() => document.querySelectorAll('button').forEach(b => { if (b.offsetParent) b.dataset.auditSeen = '1'; })")
    page.click(clicked_selector)
    asked = ('.linli-confirm-yes:visible, '
             'button:not([data-audit-seen]):visible:text-matches("^\\s*(确认|确定|是|结束投票|关闭投票|冻结|Confirm|Yes)")')
    page.wait_for_selector(f"{outcome}, {asked}", timeout=timeout)
    if page.locator(outcome).count() == 0:
        page.locator(asked).first.click()
        page.wait_for_selector(outcome, timeout=timeout)


def tick(page, pid: int) -> None:
    """Tick a proposal in round-desk's candidate list (searching for it when the list has a search box)."""
    search = page.get_by_placeholder(re.compile("搜索|查找"))
    if search.count():
        search.first.fill(str(pid))
        search.first.press("Enter")
    rows = page.locator(f".linli-candidate-row:has([data-proposal='{pid}'])")
    if page.locator(".linli-candidate-row").count():
        rows.first.wait_for(timeout=30_000)
        rows.first.locator("input[type=checkbox]").check(timeout=30_000)
    else:
        page.get_by_role("checkbox", name=re.compile(rf"^\s*{pid}\D")).check(timeout=30_000)


@pytest.fixture(scope="module")
def cycle_servers(tmp_path_factory):
    work = tmp_path_factory.mktemp("cycle")
    db = work / "linli.sqlite"
    subprocess.run([sys.executable, "-m", "toolkit.cli", "demo", "--db", str(db), "--no-loop"], check=True, capture_output=True)  # a district before its first cycle: 240 proposals, no rounds yet
    (work / "voila").mkdir()
    running = start_servers(str(db), work / "voila")  # toolkit/serve.py waits 120 s for a page's output (IOPUB_TIMEOUT)
    yield str(db), running, work
    for r in running.values():
        r.stop()


# About 30 page loads and 100 taps: ~15 min on a 2-core machine shared with other test runs (load 40–90),
# more than the suite's default 900 s per test.
@pytest.mark.timeout(2400)
def test_a_whole_cycle_through_the_pages(cycle_servers, browser, tmp_path):
    from toolkit.planning import load_process
    from toolkit.store import open_store

    db, servers, _work = cycle_servers
    store = open_store(db)
    found: dict[str, list] = {}
    people: list[Person] = []

    def person(audience: str, page_name: str) -> Person:
        p = Person(browser, servers, audience, page_name, tmp_path, found)
        people.append(p)
        return p

    try:
        # 1. Residents drop three proposals on the tablet map.
        before = store.count_proposals()
        assert before == 240
        resident = person("resident", "propose")
        receipts = []
        for i, compound in enumerate(COMPOUNDS):
            resident.open("propose")
            page = resident.page
            page.click(f"path.linli-compound-{compound}")
            page.get_by_role("button", name="安全", exact=True).click()
            page.get_by_placeholder("例如").fill(f"后门路灯坏了 {i + 1}")
            areas = page.locator("textarea")
            areas.nth(0).fill("晚上后门那段路很黑。")
            areas.nth(2).fill("修好路灯，再加一盏。")
            if i == 0:
                resident.check("propose:filled")
            page.click("button.linli-submit")
            page.wait_for_selector("#linli-receipt", timeout=30_000)
            receipts.append(page.inner_text("#linli-receipt").strip())
        resident.check("propose:receipt")
        assert store.count_proposals() == before + 3
        assert all(store.proposal_by_receipt(r) is not None for r in receipts)

        # 2. The facilitator screens the head of the queue: four proposals to deliberate (议).
        desk = person("staff", "screening")
        desk.open("screening")
        screened = []
        for n in range(4):
            page = desk.page
            page.wait_for_selector(".linli-card", timeout=60_000)
            pid = int(page.get_attribute(".linli-card", "data-proposal"))
            page.locator(".widget-toggle-buttons").first.locator("button").nth(n).click()
            page.wait_for_selector("#linli-message", timeout=15_000)
            if n == 0:
                desk.check("screening:picked")
            confirm_if_asked(page, "button.linli-decide, button.linli-confirm", f".linli-card:not([data-proposal='{pid}'])")
            screened.append(pid)
        decisions = store.screening_frame().set_index("proposal_id")
        assert all(decisions.loc[pid].outcome == "deliberated" for pid in screened), decisions.loc[screened]

        # 3. A scoring panel over the four, three reviewers, each on their own tablet. The facilitator
        #    creates it on the staff home page's new-panel form and reads the one-time codes off the page.
        home = person("staff", "home")
        home.page.goto(servers["staff"].url("home"), timeout=120_000)
        wait_rendered(home.page)
        page = home.page
        page.click("button.linli-new-panel")
        page.get_by_label("评审组名称").fill("东风社区微更新评审")
        titles = {pid: store.proposal(pid)["title"] for pid in screened}
        page.locator(".linli-panel-form select[multiple]").select_option(label=[f"{pid}. {titles[pid]}" for pid in screened])
        for i, (name, tier) in enumerate((("王芳", "社区"), ("李工", "街道"), ("陈老师", "区级"))):
            page.get_by_placeholder("姓名", exact=True).nth(i).fill(name)
            page.locator(".linli-panel-form .widget-toggle-buttons").nth(i).get_by_role("button", name=tier, exact=True).click()
        home.check("home:new-panel")
        page.click("button.linli-create-panel")
        page.wait_for_selector("#linli-panel-created", timeout=60_000)
        home.check("home:panel-created")
        panel_id = int(page.get_attribute("#linli-panel-created", "data-panel"))
        reviewer_codes = {
            row.locator("td").nth(0).inner_text().strip(): row.locator("td.linli-code").inner_text().strip()
            for row in page.locator("#linli-panel-created .linli-codes-table tr").all()
        }
        assert sorted(reviewer_codes) == sorted(["王芳", "李工", "陈老师"]) and all(CODE_RE.fullmatch(c) for c in reviewer_codes.values()), reviewer_codes
        assert [p["id"] for p in store.panels()] == [panel_id]
        assert sorted(pid for pid, _title in store.panel(panel_id)["projects"]) == sorted(f"P{pid:04d}" for pid in screened)
        reviewers = [person("resident", "scoring") for _ in range(3)]
        for tab, (name, code) in zip(reviewers, reviewer_codes.items()):
            tab.open("scoring")
            tab.page.get_by_placeholder("评审码").fill(code)
            tab.page.click("button.linli-enter")
            tab.page.wait_for_selector(f"text={name}", timeout=30_000)
        for k, tab in enumerate(reviewers):
            page = tab.page
            for i, pid in enumerate(screened):
                page.locator("button").filter(has_text=re.compile(rf"^\s*P{pid:04d}\b")).first.click()
                groups = page.locator(".widget-toggle-buttons").filter(has=page.get_by_role("button", name="10", exact=True))
                for j in range(groups.count()):
                    groups.nth(j).get_by_role("button", name=str((3 + i * 2 + j + k) % 11), exact=True).click()
                if k == 0 and i == 0:
                    tab.check("scoring:sheet")
                page.click("button.linli-submit-sheet")
                done = "全部评分已提交" if i + 1 == len(screened) else f"已提交 {i + 1} / {len(screened)}"
                page.wait_for_selector(f"#linli-progress:has-text('{done}')", timeout=30_000)
        sheets = store.submitted_sheets(panel_id)
        assert len(sheets) == 3 * len(screened), sheets

        # 4. The round is set up on round-desk by ticking the screened projects.
        rd = person("staff", "round-desk")
        rd.open("round-desk")
        page = rd.page
        rd.check("round-desk:setup")
        page.get_by_label("轮次名称").fill("东风社区 2026 微更新")
        costs = {}
        for pid in screened:
            tick(page, pid)
            row = store.proposal(pid)
            costs[pid] = (row["cost_fen"] or 1_000_000) // 100
        fund = max(costs.values()) + min(costs.values())
        page.get_by_label("金额（元）").fill(str(fund))
        rd.check("round-desk:ticked")
        page.click("button:has-text('创建轮次')")
        page.wait_for_selector("#linli-round-status", timeout=60_000)
        rid = store.rounds()[0]["id"]
        page.get_by_label("生成投票码数量").fill("12")
        page.click("button:has-text('生成投票码单')")
        page.wait_for_selector("#linli-codes-sheet", timeout=60_000)
        sheet_html = base64.b64decode(page.get_attribute("#linli-codes-sheet", "href").split("base64,", 1)[1]).decode("utf-8")
        confirm_if_asked(page, "button.linli-open-round", "#linli-round-status[data-status='open']")
        rd.check("round-desk:open")
        assert store.round(rid)["status"] == "open"

        # The printed sheet, as the facilitator hands it out: the codes are read off it.
        printed = person("staff", "round-desk")
        printed.page.set_content(sheet_html)
        codes = CODE_RE.findall(printed.page.inner_text("body"))
        assert len(codes) == 12, codes

        # 5. Ten residents vote on three shared tablets.
        order = sorted(screened, key=lambda p: costs[p])
        cheapest = order[0]
        tablets = [person("resident", "vote") for _ in range(3)]
        for n, code in enumerate(codes[:10]):
            tab = tablets[n % 3]
            page = tab.page
            next_voter = page.locator("button.linli-next-voter:visible")
            if n >= 3 and next_voter.count():  # a shared tablet: the next person starts from the receipt
                next_voter.first.click()
                page.wait_for_selector("button.linli-start", timeout=30_000)
            else:
                tab.open("vote", f"round={rid}")
            page.get_by_placeholder("例如").fill(code)
            page.click("button.linli-start")
            page.wait_for_selector("#linli-meter", timeout=30_000)
            picks = [order[n % len(order)]] + ([cheapest] if n % 3 == 0 and order[n % len(order)] != cheapest else [])
            for pid in picks:
                page.click(f"button.linli-pick-P{pid:04d}")
            if n == 0:
                tab.check("vote:picked")
            page.click("button.linli-review")
            page.wait_for_selector("#linli-review", timeout=30_000)
            page.click("button.linli-confirm-vote")
            page.wait_for_selector("#linli-vote-receipt", timeout=30_000)
            if n == 0:
                tab.check("vote:receipt")
        assert store.turnout(rid)["ballots"] == 10

        # 6. Two paper ballots, each typed by two operators.
        paper = person("staff", "paper")
        paper.open("paper", f"round={rid}")
        page = paper.page
        for serial, pid in (("A-001", order[-1]), ("A-002", cheapest)):
            for operator in ("张三", "李四"):
                page.get_by_label("录入员").fill(operator)
                page.get_by_label("选票编号").fill(serial)
                page.click(f"button.linli-pick-P{pid:04d}")
                page.click("button.linli-save-paper")
                page.wait_for_selector(f"#linli-paper-state li[data-serial='{serial}']", timeout=30_000)
        for serial in ("A-001", "A-002"):
            page.wait_for_selector(f"#linli-paper-state li[data-serial='{serial}'][data-status='agreed']", timeout=30_000)
        paper.check("paper:entered")
        assert store.turnout(rid)["ballots"] == 12, store.turnout(rid)

        # 7. The projector shows turnout; the facilitator closes voting (and confirms).
        board = person("staff", "results")
        board.open("results", f"round={rid}")
        board.page.wait_for_selector("#linli-turnout", timeout=60_000)
        rd.open("round-desk", f"round={rid}")
        confirm_if_asked(rd.page, "button.linli-close-round", "#linli-round-status[data-status='closed']")
        rd.check("round-desk:closed")
        assert store.round(rid)["status"] == "closed"

        # 8. The result on the projector equals `linli pb allocate` on the exported .pb.
        board.page.wait_for_selector("#linli-results", timeout=60_000)
        funded = board.page.eval_on_selector_all("#linli-results [data-funded='1']", "rows => rows.map(r => r.dataset.project)")
        href = board.page.get_attribute("#linli-export-pb", "href")
        pb = tmp_path / "round.pb"
        pb.write_bytes(base64.b64decode(href.split("base64,", 1)[1]))
        rule = store.round(rid)["rule"]
        spec = rule.split(":")
        args = ["--rule", spec[0]] + (["--utility", spec[1]] if len(spec) > 1 else []) + (["--completion", spec[2]] if len(spec) > 2 else [])
        allocated = subprocess.run([sys.executable, "-m", "toolkit.cli", "pb", "allocate", str(pb), *args, "--json"], capture_output=True, text=True, check=True)
        assert funded and sorted(json.loads(allocated.stdout)["selected"]) == sorted(funded)
        board.check("results:closed")

        # 9. A plan version for the shared fund.
        plan = person("staff", "plan")
        plan.open("plan")
        page = plan.page
        page.get_by_label("计划名称").fill("东风社区共有资金收支计划")
        page.click("button:has-text('新建计划')")
        page.wait_for_selector("#linli-plan-status", timeout=60_000)
        for line_id, kind, label, amount in (("i1", "收入", "停车收入", fund + 20_000), ("e1", "支出", "微更新项目", fund)):
            page.get_by_label("条目编号").fill(line_id)
            page.get_by_role("button", name=kind, exact=True).click()
            page.get_by_label("名称", exact=True).fill(label)
            page.get_by_label("金额（元）").fill(str(amount))
            page.click("button:has-text('保存条目')")
            page.wait_for_selector(f"tr[data-line='{line_id}']", timeout=30_000)
        page.get_by_label("本轮说明").fill("第一轮：微更新")
        page.click("button.linli-propose-version")
        plan_id = store.plans()[0]["id"]
        page.wait_for_selector("#linli-plan-status:has-text('第 1 /')", timeout=30_000)
        plan.check("plan:version")
        versions = store.plan_record(plan_id)["versions"]
        assert len(versions) == 1 and {x["id"] for x in json.loads(versions[0]["lines"])} == {"i1", "e1"}
        assert load_process(store, plan_id).current is not None

        for p in people:
            assert p.external == [] and p.errors == [], (p.external, p.errors)
    finally:
        for p in people:
            p.close()
        ON_THE_WAY.update(found)
        (tmp_path / "audit.txt").write_text("\n\n".join(f"{k}\n{report(v)}" for k, v in found.items()), encoding="utf-8")



# What the layout audit found on every page the cycle passed through (filled by the test above).
ON_THE_WAY: dict[str, list] = {}


def test_pages_on_the_way_pass_the_layout_audit():
    """Every screen the cycle met (a form half filled, a receipt, a ticked round, a closed result …)
    passes the layout audit. Kept apart from the walk so that a layout fault and a broken step are
    told apart; it needs the walk above to have run in the same session."""
    assert ON_THE_WAY, "run test_a_whole_cycle_through_the_pages first (same pytest session): it records what the audit found"
    assert len(ON_THE_WAY) == 15, f"the walk stopped early; audited only {sorted(ON_THE_WAY)}"
    failing = {k: v for k, v in ON_THE_WAY.items() if v}
    assert not failing, "the layout audit on the way:\n" + "\n\n".join(f"{k}:\n{report(v)}" for k, v in failing.items())


assert TABLET.min_control == 44  # resident pages in this walk are tablets
