"""Finding 7, the submit side: every page that writes, pressed while the database is locked by
another process (a real ``BEGIN IMMEDIATE`` held in a spawned process) or read-only, shows a plain
message in the page's language, keeps what was typed, stores nothing (the whole database is
compared before and after), and stores the same thing when pressed again after the lock is gone.

Pages: vote, paper, round-desk (create, issue codes, void, open, close), scoring, tally, screening
(decide), plan (create, propose, comment), projects, feedback, notices (publish, answer, a paper
objection), the resident notice page (objection), the staff home's new panel, status (rating).
(On the code as it was, with a read-only database: vote, paper, scoring, screening and plan said
"could not save" without what to do; round desk, projects, feedback, notices, home and status
showed the driver's English words ("attempt to write a readonly database") on zh pages too; void
said "no live code found", publishing said "there is no record 3"; creating a plan showed
nothing at all.)"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from collections.abc import Callable

import pytest

from tests.security.rounds_setup import FAST, settings
from tests.store_lock import write_lock_held
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.rounds import Approval




def content(db) -> str:
    """A digest of everything in the database (rows of every table, schema included)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The demo at full size with its loop (240 proposals, closed rounds, projects, notices,
    feedback), plus what the write pages act on: open and draft rounds, a panel, a plan, an
    accepted project not yet rated, a receipt code that has not objected."""
    from toolkit.demo import build_demo_database
    from toolkit.panels import create_panel_in
    from toolkit.services import projects as project_service
    from toolkit.store.notices import notices
    from toolkit.store.projects import projects_frame
    from toolkit.voting import create_round, issue_codes
    from toolkit.workspace import open_workspace

    db = tmp_path_factory.mktemp("unavailable") / "demo.sqlite"
    build_demo_database(str(db), loop=True)
    ws = open_workspace(str(db))
    store = ws.store
    fx = {}

    def open_round(codes: int) -> tuple[int, list[str]]:
        rid = create_round(store, settings(Approval(min_picks=1, max_picks=3)), scrypt_n=FAST)
        issued = issue_codes(store, rid, codes)
        store.set_round_status(rid, "open")
        return rid, issued

    fx["vote"] = open_round(3)
    fx["paper"] = open_round(1)[0]
    fx["close"] = open_round(1)[0]
    fx["void"] = open_round(3)
    fx["codes"] = create_round(store, settings(), scrypt_n=FAST)
    fx["open"] = create_round(store, settings(), scrypt_n=FAST)
    issue_codes(store, fx["open"], 1)
    proposals = store.proposals_frame().sort_values("id")
    ids = [int(x) for x in proposals.id[:2]]
    fx["panel_proposals"] = ids
    panel_id, codes = create_panel_in(store, "安全评审", "selection", ids[:1], [("李老师", "community")])
    fx["reviewer"] = codes["李老师"]
    fx["plan"] = store.create_plan("共有资金三年计划", 3)
    started = projects_frame(store)
    started = started[started.state == "in_progress"].iloc[0]
    project_service.add_milestone(store, int(started.id), "完工", "2026-11-20", 100, int(started.budget_fen) * 9 // 10, actor="test")
    project_service.review(store, int(started.id), "acceptance", passed=True, score=8.5, on_date="2026-11-21", actor="test")
    fx["rate_code"] = str(proposals.set_index("id").loc[int(started.proposal_id), "receipt_code"])
    fx["closed_round"] = next(r["id"] for r in store.rounds() if r["status"] == "closed")
    fx["notice"] = int(notices(store)[0]["id"])
    fx["objector"] = str(proposals.receipt_code.iloc[-1])
    store.engine.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, fx


@dataclass
class Case:
    name: str
    act: Callable[[], object]  # press the page's button (or the dialog's yes)
    box: object  # the HTML widget where the page talks
    typed: Callable[[], object]  # what a person typed or picked, which must survive


def cases(ws, fx, lang: str, files) -> list[Case]:
    """Every write page, built and filled in as a person would, not yet submitted."""
    from toolkit import voting
    from toolkit.feedback import Attempts
    from toolkit.panels import reviewer_by_code
    from toolkit.scoring import load_rubric
    from toolkit.screening import load_screening_rules, load_triage_rules
    from toolkit.services import status as status_service
    from toolkit.ui.ballot import VotePage
    from toolkit.ui.feedback import FeedbackDesk
    from toolkit.ui.home import PanelForm
    from toolkit.ui.notices import NoticePage, NoticesDesk
    from toolkit.ui.plan import PlanDesk
    from toolkit.ui.projects import ProjectsDesk
    from toolkit.ui.rounds import PaperDesk, RoundDesk
    from toolkit.ui.scoring import ScoringForm
    from toolkit.ui.screening import ScreeningDesk
    from toolkit.ui.status import StatusPage

    store, out = ws.store, []

    rid, codes = fx["vote"]
    vote = VotePage(voting.round_settings(store.round(rid)), lambda c: voting.code_problem(store, rid, c),
                    lambda c, d, sid, a: voting.cast(store, rid, c, d, submission_id=sid, assisted_by=a), lang=lang, idle_seconds=0)
    vote.code_box.value = codes[0]
    vote.start.click()
    vote.editor.toggle("B")
    vote.editor.toggle("C")
    vote.review_button.click()
    out.append(Case("vote", vote.confirm_button.click, vote.confirm_error, lambda: (vote.screen, vote.code, vote.editor.data())))

    paper = PaperDesk(store, fx["paper"], lang=lang)
    paper.operator.value, paper.serial.value = "张敏", "0042"
    paper.editor.toggle("A")
    out.append(Case("paper", paper.save.click, paper.message, lambda: (paper.operator.value, paper.serial.value, paper.editor.data())))

    def desk(round_id=None):
        d = RoundDesk(store, store.proposals_frame(), lang=lang, scrypt_n=FAST, screened=store.screening_frame())
        if round_id is not None:
            d.show_round(round_id)
        return d

    new = desk()
    new.name.value = "锦绣花园微更新"
    for pid in fx["panel_proposals"]:
        new.table.pick(pid, 50_000)
    out.append(Case("round-desk create", new.create_button.click, new.message, lambda: (new.name.value, dict(new.table.chosen))))
    issue = desk(fx["codes"])
    issue.codes_count.value = 7
    out.append(Case("round-desk codes", issue.codes_button.click, issue.codes_link, lambda: issue.codes_count.value))
    void = desk(fx["void"][0])
    void.void_who.value = fx["void"][1][2]
    out.append(Case("round-desk void", void.void_button.click, void.void_message, lambda: void.void_who.value))
    opening = desk(fx["open"])
    out.append(Case("round-desk open", opening.open_button.click, opening.message, lambda: opening.round_id))
    closing = desk(fx["close"])

    def close() -> None:  # the button, then its confirmation dialog (again on the retry)
        closing.close_button.click()
        closing.confirm_close.yes.click()
    out.append(Case("round-desk close", close, closing.message, lambda: closing.round_id))

    scoring = ScoringForm(store, lambda panel: load_rubric(panel["rubric"]), lambda c: reviewer_by_code(store, c), lang=lang)
    assert scoring.sign_in(fx["reviewer"])
    for picker in scoring.pickers.values():
        picker.value = picker.options[-1]
    out.append(Case("scoring", scoring.submit_button.click, scoring.message, lambda: {k: p.value for k, p in scoring.pickers.items()}))

    screening = ScreeningDesk(store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang)
    screening.deliberate.value = screening.deliberate.options[0][1]
    screening.note.value = "院落议事会讨论"
    screening.desk.value = "一号桌"
    current = screening.current["id"]

    def decide() -> None:  # the page's button, then the dialog's yes
        screening.confirm.click()
        screening.dialog.yes.click()
    out.append(Case("screening", decide, screening.message,
                    lambda: (screening.current["id"] == current, screening.choice(), screening.note.value, screening.desk.value)))

    new_plan = PlanDesk(store, None, lang=lang)
    new_plan.new_name.value = "花园五年计划"
    out.append(Case("plan create", new_plan.new_button.click, new_plan.message, lambda: new_plan.new_name.value))
    plan = PlanDesk(store, fx["plan"], lang=lang)
    plan.line_id.value, plan.label.value, plan.amount.value, plan.kind.value = "IN1", "停车收益", 120_000, "income"
    plan.save_line.click()
    plan.note.value = "第一稿"
    out.append(Case("plan propose", plan.propose_button.click, plan.message, lambda: (plan.note.value, [x.id for x in plan.draft.lines])))

    projects = ProjectsDesk(store, ws.district, lang=lang, files_folder=files)
    projects.pick.value = projects.pick.options[0][1]
    projects.implementer.value = "蓉城园林绿化公司二队"
    out.append(Case("projects", lambda: projects._run(projects.save_implementer), projects.message, lambda: projects.implementer.value))

    feedback = FeedbackDesk(store, lang=lang)
    feedback.by.value = "网格员小王"
    feedback.pick.value = (feedback.pick.options[0][1],)
    out.append(Case("feedback", feedback.mark.click, feedback.message, lambda: (feedback.by.value, feedback.pick.value)))

    publish = NoticesDesk(store, ws.district, lang=lang)
    publish.kind.value, publish.subject.value, publish.checked.value = "round", str(fx["closed_round"]), True
    out.append(Case("notices publish", publish.publish_button.click, publish.message,
                    lambda: (publish.kind.value, publish.subject.value, publish.checked.value)))
    paper_objection = NoticesDesk(store, ws.district, lang=lang)
    paper_objection.pick.value = fx["notice"]
    paper_objection.paper.value = "纸质异议：公示栏的图看不清"
    out.append(Case("notices paper objection", lambda: paper_objection._run(paper_objection.paper_objection), paper_objection.message,
                    lambda: paper_objection.paper.value))

    board = NoticePage(store, ws.district, lang=lang, attempts=Attempts())
    assert board.show(fx["notice"])
    board.code.value, board.objection.value = fx["objector"], "我们院落的建议为什么没有进入？"
    out.append(Case("notice objection", board.send.click, board.message, lambda: (board.code.value, board.objection.value)))

    panel = PanelForm(store, lang, ("selection", "evaluation"))
    panel.show()
    panel.name.value = "第二批评审"
    panel.projects.value = tuple(panel.projects.options[i][1] for i in range(2))
    for (name, _tier), person in zip(panel.reviewer_rows, ("周老师", "陈工", "刘阿姨")):
        name.value = person
    out.append(Case("home new panel", panel.create_button.click, panel.message,
                    lambda: (panel.name.value, panel.projects.value, [n.value for n, _t in panel.reviewer_rows])))

    status = StatusPage(lambda c: status_service.status_by_code(store, c), lambda c, n: status_service.rate(store, c, n), lang=lang)
    assert status.show(fx["rate_code"]) and status.rating.layout.display == "flex"
    out.append(Case("status rating", status.rate_buttons[3].click, status.message, lambda: status.code))
    return out


def _copy(template, tmp_path):
    db, fx = template
    target = tmp_path / "demo.sqlite"
    shutil.copy(db, target)
    return target, fx


@pytest.fixture
def quick_busy(monkeypatch):
    """A real lock, a short wait: the busy timeout is 1 s instead of 15 s (the message is the same)."""
    monkeypatch.setattr("toolkit.store.core.BUSY_TIMEOUT_MS", 1000)


def test_every_write_page_says_busy_keeps_input_stores_nothing_and_retries(template, tmp_path, quick_busy):
    from toolkit.workspace import open_workspace

    db, fx = _copy(template, tmp_path)
    ws = open_workspace(str(db))
    with write_lock_held(db):
        todo = cases(ws, fx, "zh", tmp_path / "files")  # a page opens while another process holds the write lock
        busy = escape(text("trust.store_busy", "zh"))
        for case in todo:
            before, typed = content(db), case.typed()
            case.act()
            assert busy in case.box.value, (case.name, case.box.value)
            assert case.typed() == typed, case.name  # nothing typed or picked was lost
            assert content(db) == before, case.name  # nothing stored, not half of it either
    for case in todo:  # the same pages, the same button, once the lock is gone
        before = content(db)
        case.act()
        assert busy not in case.box.value and "linli-store-error" not in case.box.value, (case.name, case.box.value)
        assert content(db) != before, f"{case.name}: nothing was stored on the retry ({case.box.value})"


def test_every_write_page_on_a_read_only_database_says_so_in_english(template, tmp_path):
    from toolkit.workspace import open_workspace

    db, fx = _copy(template, tmp_path)
    ws = open_workspace(f"sqlite:///file:{db}?mode=ro&uri=true")
    before = content(db)
    readonly = escape(text("trust.store_readonly", "en"))
    for case in cases(ws, fx, "en", tmp_path / "files"):
        typed = case.typed()
        case.act()
        assert readonly in case.box.value, (case.name, case.box.value)
        assert case.typed() == typed, case.name
    assert content(db) == before


def test_tally_lock_waits_for_the_database_and_retries_by_itself(template, tmp_path, quick_busy):
    """The projected tally locks a panel once every sheet is in (a write): with the database locked
    it says so and tries again on its next poll, without waiting for another change."""
    import asyncio
    import threading

    from toolkit.panels import reviewer_by_code
    from toolkit.scoring import load_rubric
    from toolkit.store import open_store
    from toolkit.ui.scoring import Tally

    db, fx = _copy(template, tmp_path)
    store = open_store(str(db))
    reviewer = reviewer_by_code(store, fx["reviewer"])
    rubric = load_rubric(store.panel(reviewer["panel_id"])["rubric"])
    pid = store.panel(reviewer["panel_id"])["projects"][0][0]
    store.submit_sheet(reviewer["id"], pid, {c.id: int(rubric.scale[1]) for c in rubric.criteria}, conflict=False, submission_id="sheet-1")
    nothing_changes = lambda: False  # noqa: E731 - no other change arrives: only the retry can lock the panel
    tally = Tally(store, lambda p: load_rubric(p["rubric"]), reviewer["panel_id"], nothing_changes, lang="en", poll_seconds=0.05)
    tally.max_seconds = 0.01  # one poll
    tally._stale = True  # the first load
    with write_lock_held(db):
        # In a thread of its own: a browser test earlier in the run may leave Playwright's loop running here.
        runner = threading.Thread(target=lambda: asyncio.run(tally._run()))
        runner.start()
        runner.join(60)
        assert not runner.is_alive()
        assert escape(text("trust.store_busy", "en")) in tally.sheets.value
        assert store.panel(reviewer["panel_id"])["locked_at"] is None
    assert tally.tick() is True  # no change came in: the poll retries because the last one failed
    assert store.panel(reviewer["panel_id"])["locked_at"] is not None and "linli-error" not in tally.sheets.value


def test_the_words_name_what_happened_in_both_languages():
    from toolkit.errors import StoreUnavailable
    from toolkit.ui.tablets import error_text

    for reason in ("busy", "readonly", "down"):
        for lang in ("zh", "en"):
            assert error_text(StoreUnavailable(reason, "detail"), lang) == text(f"trust.store_{reason}", lang)
    assert "sqlite3 said" not in error_text(StoreUnavailable("busy", "sqlite3 said: database is locked"), "en")  # no driver words
