"""Page factories: each Voila notebook is a title and one call to one of these."""

from __future__ import annotations

import ipywidgets as w
from IPython.display import display

from toolkit.markup import escape
from toolkit.ui.texts import T


_REQUEST_SEEN = False


def _query(name: str) -> str | None:
    """A query parameter of the page URL, read when the page runs (never at import).

    On demand Voila puts the query string into the kernel's environment. A preheated kernel (pool) runs
    the page before anyone asked for it: the first call waits here for the visitor's request (Voila
    hands it over through its ``/voila/query`` socket), so ``?lang=`` and ``?code=`` keep working.
    """
    import os
    from urllib.parse import parse_qs

    global _REQUEST_SEEN
    if not _REQUEST_SEEN and os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
        _REQUEST_SEEN = True
    return parse_qs(os.environ.get("QUERY_STRING", "")).get(name, [None])[0]


def _page_lang(default: str) -> str:
    """``?lang=en`` in the page URL switches the language."""
    lang = _query("lang") or default
    return lang if lang in ("zh", "en") else default


def _panel_rubric(panel: dict):
    from toolkit.scoring import load_rubric

    return load_rubric(panel["rubric"])


def _demo_banner(ws, lang: str) -> w.HTML:
    text = T["demo_flag"].get(lang) if ws.district.demo else ""
    return w.HTML(f'<div class="linli-hint">{escape(text)}</div>' if text else "")


def propose_page(db: str | None = None) -> w.Widget:
    """Resident page: drop a proposal on the map (tablet)."""
    from toolkit.ui.propose import ProposeForm
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang=lang, tile_url=ws.settings.tile_url)
    page = w.VBox([form.root, _demo_banner(ws, lang)])
    display(page)
    return page


def live_map_page(db: str | None = None) -> w.Widget:
    """Facilitator page: all proposals on the projected map, updating live."""
    from toolkit.ui.live_map import LiveMap
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    watcher = ws.store.watcher()
    live = LiveMap(
        ws.rules,
        ws.district,
        ws.store.proposals_frame,
        watcher.changed,
        lang=lang,
        tile_url=ws.settings.tile_url,
        poll_seconds=ws.settings.poll_seconds,
        max_hours=ws.settings.live_hours,
    )
    page = w.VBox([live.root, _demo_banner(ws, lang)])
    display(page)
    live.start()
    return page


def scoring_page(db: str | None = None) -> w.Widget:
    """Reviewer tablet: enter a reviewer code, score one project at a time."""
    from toolkit.panels import reviewer_by_code
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.scoring import ScoringForm

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    form = ScoringForm(store, _panel_rubric, lambda code: reviewer_by_code(store, code), lang=_page_lang(settings.lang))
    display(form.root)
    return form.root


def tally_page(db: str | None = None) -> w.Widget:
    """Projector: the live tally of a scoring panel (``?panel=ID``, default the newest)."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.scoring import Tally

    settings = load_settings()
    lang = _page_lang(settings.lang)
    store = open_store(db if db is not None else settings.db)
    panels = store.panels()
    wanted = _query("panel")
    panel_id = int(wanted) if wanted and wanted.isdigit() else (panels[0]["id"] if panels else None)
    if panel_id is None:
        page = w.HTML(f'<div class="linli-big">{escape(T["no_panel"].get(lang))}</div>')
        display(page)
        return page
    tally = Tally(store, _panel_rubric, panel_id, store.watcher().changed, lang=lang, poll_seconds=settings.poll_seconds, max_hours=settings.live_hours)
    display(tally.root)
    tally.start()
    return tally.root


def screening_page(db: str | None = None) -> w.Widget:
    """Facilitator: screen new proposals one at a time (七议五不议) and route them."""
    from toolkit.screening import load_screening_rules, load_triage_rules
    from toolkit.ui.screening import ScreeningDesk
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    labels = {c.id: c.label.get(lang) for c in ws.rules.categories}
    desk = ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang, category_label=lambda c: labels.get(c, c))
    display(desk.root)
    return desk.root


def _round_id(store, *, open_only: bool = False) -> int | None:
    """``?round=ID``, else the newest (open) round."""
    wanted = _query("round")
    if wanted and wanted.isdigit():
        return int(wanted)
    rounds = [r for r in store.rounds() if r["status"] == "open" or not open_only]
    return rounds[0]["id"] if rounds else None


def _nothing(lang: str) -> w.Widget:
    page = w.HTML(f'<div class="linli-big">{escape(T["vote_no_round"].get(lang))}</div>')
    display(page)
    return page


def vote_page(db: str | None = None) -> w.Widget:
    """Resident tablet: vote in the open budget round with a one-time code."""
    from toolkit import voting
    from toolkit.geo import load_district
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.ballot import VotePage

    settings = load_settings()
    lang = _page_lang(settings.lang)
    store = open_store(db if db is not None else settings.db)
    rid = _round_id(store, open_only=True)
    if rid is None:
        return _nothing(lang)
    page = VotePage(
        voting.round_settings(store.round(rid)),
        lambda code: voting.code_problem(store, rid, code),
        lambda code, data, sid, assisted: voting.cast(store, rid, code, data, submission_id=sid, assisted_by=assisted),
        lang=lang,
        district=load_district(settings.geodata),
    )
    code = _query("code")
    if code:  # opened from the QR code on a code sheet
        page.code_box.value = code
    display(page.root)
    return page.root


def round_desk_page(db: str | None = None) -> w.Widget:
    """Facilitator: set up a budget round from proposals, print codes, open and close voting."""
    from toolkit.ui.rounds import RoundDesk
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), lang=lang, public_url=ws.settings.public_url)
    wanted = _query("round")
    if wanted and wanted.isdigit():
        desk.show_round(int(wanted))
    display(desk.root)
    return desk.root


def results_page(db: str | None = None) -> w.Widget:
    """Projector: turnout while voting is open, the explained result after close."""
    from toolkit.ui.rounds import ResultsBoard
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    rid = _round_id(ws.store)
    if rid is None:
        return _nothing(lang)
    board = ResultsBoard(ws.store, rid, ws.district, ws.store.watcher().changed, lang=lang, poll_seconds=ws.settings.poll_seconds, max_hours=ws.settings.live_hours)
    display(board.root)
    board.start()
    return board.root


def paper_page(db: str | None = None) -> w.Widget:
    """Operators: double entry of paper ballots for a round."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.rounds import PaperDesk

    settings = load_settings()
    lang = _page_lang(settings.lang)
    store = open_store(db if db is not None else settings.db)
    rid = _round_id(store)
    if rid is None:
        return _nothing(lang)
    desk = PaperDesk(store, rid, lang=lang)
    display(desk.root)
    return desk.root


def plan_page(db: str | None = None) -> w.Widget:
    """Facilitator: the shared-fund income and expense plan over several rounds (``?plan=ID``)."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.plan import PlanDesk

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    wanted = _query("plan")
    plans = store.plans()
    plan_id = int(wanted) if wanted and wanted.isdigit() else (plans[0]["id"] if plans else None)
    desk = PlanDesk(store, plan_id, lang=_page_lang(settings.lang))
    display(desk.root)
    return desk.root


# -- closing the loop (issue 12) ------------------------------------------------------------
def status_page(db: str | None = None) -> w.Widget:
    """Resident (tablet or phone): a proposal's progress by receipt code (``?code=``)."""
    from toolkit.services import status as status_service
    from toolkit.services.projects import files_dir
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.status import StatusPage

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    page = StatusPage(lambda code: status_service.status_by_code(store, code), lambda code, n: status_service.rate(store, code, n),
                      lang=_page_lang(settings.lang), files_dir=files_dir(_with_db(settings, db)))
    code = _query("code")
    if code:  # opened from a slip's QR code or a link
        page.code_box.value = code
        page.show(code)
    display(page.root)
    return page.root


def feedback_page(db: str | None = None) -> w.Widget:
    """Staff: undelivered feedback messages, slips, WeChat export, mark delivered."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.feedback import FeedbackDesk

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    desk = FeedbackDesk(store, lang=_page_lang(settings.lang), public_url=settings.public_url)
    display(desk.root)
    return desk.root


def _bad_id(lang: str, what: str) -> w.Widget:
    """A plain message for a wrong id in the page's link, with a way back (never Voila's error)."""
    from toolkit.ui.loop_texts import text

    page = w.HTML(f'<div class="linli-page"><div class="linli-error" id="linli-bad-id">{escape(text("page.bad_id", lang, what=what))}</div>'
                  f'<p><a href="/" class="linli-home">{escape(text("page.home", lang))}</a></p></div>')
    display(page)
    return page


def projects_page(db: str | None = None) -> w.Widget:
    """Staff: funded projects on a map by state; one project's record (``?project=ID``)."""
    from toolkit.services.projects import files_dir
    from toolkit.ui.projects import ProjectsDesk
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    desk = ProjectsDesk(ws.store, ws.district, lang=lang, files_folder=files_dir(_with_db(ws.settings, db)))
    wanted = _query("project")
    if wanted is not None:
        ids = {v for _l, v in desk.pick.options}
        if not wanted.isdigit() or int(wanted) not in ids:
            return _bad_id(lang, wanted[:40])
        desk.pick.value = int(wanted)
    display(desk.root)
    return desk.root


def _with_db(settings, db):
    """Settings with ``db`` when a page is opened on another database (tests)."""
    import dataclasses

    return dataclasses.replace(settings, db=db) if db is not None else settings


def notice_page(db: str | None = None) -> w.Widget:
    """Resident: a public notice (``?notice=ID``) with its map, objections and answers, or the list."""
    from toolkit.geo import load_district
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.notices import NoticePage

    settings = load_settings()
    lang = _page_lang(settings.lang)
    store = open_store(db if db is not None else settings.db)
    from toolkit.services.projects import files_dir

    page = NoticePage(store, load_district(settings.geodata), lang=lang, files_dir=files_dir(_with_db(settings, db)))
    wanted = _query("notice")
    if wanted is None:
        page.show_list()
    elif not wanted.isdigit() or not page.show(int(wanted)):
        return _bad_id(lang, wanted[:40])
    display(page.root)
    return page.root


def notices_page(db: str | None = None) -> w.Widget:
    """Staff: publish notices at decisions, answer objections, corrections (``?notice=ID``)."""
    from toolkit.ui.notices import NoticesDesk
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    lang = _page_lang(ws.settings.lang)
    desk = NoticesDesk(ws.store, ws.district, lang=lang)
    wanted = _query("notice")
    if wanted is not None:
        if not wanted.isdigit() or int(wanted) not in {v for _l, v in desk.pick.options}:
            return _bad_id(lang, wanted[:40])
        desk.pick.value = int(wanted)
    display(desk.root)
    return desk.root


def dashboard_page(db: str | None = None) -> w.Widget:
    """Staff (projector or tablet): the loop's rates by district → street → community."""
    from toolkit.ui.dashboard import Dashboard
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    board = Dashboard(ws.store, ws.district, lang=_page_lang(ws.settings.lang))
    display(board.root)
    return board.root
