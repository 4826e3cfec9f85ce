"""Page factories: each Voila notebook is a title and one call to one of these."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w
from IPython.display import display

from toolkit.markup import escape
from toolkit.ui import nav
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.ui.ballot import VotePage

_query = nav.query
_page_lang = nav.page_lang


def _store_down(lang: str) -> w.Widget:
    """The database is locked, read-only or unreachable: what happened and what to do, in words."""
    from toolkit.i18n import text

    return w.HTML(f'<div class="linli-error linli-big" id="linli-store-down">{escape(text("trust.page_store_down", lang))}</div>')


def _store_boundary(factory):
    """A page whose database is locked, read-only or unreachable shows a plain message in the page's
    language (what happened, what to do) instead of Voila's error cell."""
    import functools

    @functools.wraps(factory)
    def page(db: str | None = None) -> w.Widget:
        from toolkit.errors import StoreUnavailable

        try:
            return factory(db)
        except StoreUnavailable:
            box = _store_down(_page_lang("zh"))
            display(box)
            return box

    return page


def _panel_rubric(panel: dict):
    from toolkit.scoring.rubric import load_rubric  # not the package: its aggregation imports pandas

    return load_rubric(panel["rubric"])


def _demo_text(ws, lang: str) -> str:
    text = T["demo_flag"].get(lang) if ws.district.demo else ""
    return f'<div class="linli-hint">{escape(text)}</div>' if text else ""


def _demo_banner(ws, lang: str) -> w.HTML:
    return w.HTML(_demo_text(ws, lang))


@_store_boundary
def propose_page(db: str | None = None) -> w.Widget:
    """Resident page: drop a proposal on the map (tablet).

    In a preheated kernel the form is built and shown before its visitor comes (nothing in it depends
    on the address); ``?lang=`` and ``?sid=`` are applied once the request is known, so the visitor
    waits for neither."""
    from toolkit.ui.propose import ProposeForm
    from toolkit.workspace import open_workspace

    ws = open_workspace(db, lean=True)  # prepared outlines: no pandas or geopandas in a resident's kernel
    ahead = nav.preheating()
    default = ws.settings.lang if ws.settings.lang in ("zh", "en") else "zh"
    lang = default if ahead else _page_lang(default)
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang=lang, tile_url=ws.settings.tile_url,
                       submission_id=None if ahead else _query("sid"))
    banner = _demo_banner(ws, lang)
    page = w.VBox([nav.resident_home_link(lang, form.lang_switch), form.root, banner])
    display(page)
    if ahead:
        asked = _page_lang(lang)  # waits here for the visitor's request
        if _query("sid"):
            form.adopt_submission_id(_query("sid"))
        if asked != lang:
            form.lang_switch.value = asked
            banner.value = _demo_text(ws, asked)
    return page


def _lang_setting() -> str:
    from toolkit.settings import load_settings

    return _page_lang(load_settings().lang)


def _shown(page: str, lang: str, build: Callable[[], tuple[w.Widget, Callable[[], None] | None]], *, bar: bool = True) -> w.Widget:
    """Build a page inside one error boundary: a bad or missing id shows a plain page in the
    page's language with a link home, any other failure a sentence (the traceback goes to the
    server log only); staff pages get the top bar (home, title, language)."""
    import sys
    import traceback

    from toolkit.errors import StoreError, StoreUnavailable

    start = None
    try:
        body, start = build()
    except nav.BadId as exc:
        body = nav.not_found(exc.kind, exc.value, lang)
    except nav.Missing as exc:
        body = nav.missing(exc.kind, lang)
    except StoreUnavailable:
        body = _store_down(lang)
    except StoreError as exc:
        if "there is no" not in str(exc):
            traceback.print_exc(file=sys.stderr)
            body = nav.failed(lang)
        else:
            kind = next((k for k in ("round", "panel", "plan") if k in str(exc)), "round")
            body = nav.not_found(kind, _query(kind) or "", lang)
    except Exception:  # noqa: BLE001 - the error boundary of a page: never a traceback in front of a person
        traceback.print_exc(file=sys.stderr)
        body = nav.failed(lang)
    page = w.VBox([nav.top_bar(page, lang), body]) if bar else body
    page.add_class("linli-staff-page" if bar else "linli-resident-page")
    display(page)
    if start is not None:
        start()
    return page


@_store_boundary
def live_map_page(db: str | None = None) -> w.Widget:
    """Facilitator page: all proposals on the projected map, updating live."""
    lang = _lang_setting()

    def build():
        from toolkit.ui.live_map import LiveMap
        from toolkit.workspace import open_workspace

        ws = open_workspace(db)
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
        return w.VBox([live.root, _demo_banner(ws, lang)]), live.start

    return _shown("live-map", lang, build)


@_store_boundary
def scoring_page(db: str | None = None) -> w.Widget:
    """Reviewer tablet: enter a reviewer code, score one project at a time (with its description,
    cost and place)."""
    from toolkit.panels import project_info, reviewer_by_code
    from toolkit.ui.scoring import ScoringForm
    from toolkit.workspace import open_workspace

    ws = open_workspace(db, lean=True)
    store = ws.store
    form = ScoringForm(
        store, _panel_rubric, lambda code: reviewer_by_code(store, code), lang=_page_lang(ws.settings.lang),
        project_info=lambda pid: project_info(store, pid), district=ws.district,
    )
    display(w.VBox([nav.resident_home_link(form.lang), form.root]))
    return form.root


@_store_boundary
def tally_page(db: str | None = None) -> w.Widget:
    """Projector: the live tally of a scoring panel (``?panel=ID``, default the newest)."""
    lang = _lang_setting()

    def build():
        from toolkit.settings import load_settings
        from toolkit.store import open_store
        from toolkit.ui.scoring import Tally

        settings = load_settings()
        store = open_store(db if db is not None else settings.db)
        panels = [p["id"] for p in store.panels()]
        panel_id = nav.requested_id("panel", panels) or (panels[0] if panels else None)
        if panel_id is None:
            raise nav.Missing("panel")
        tally = Tally(store, _panel_rubric, panel_id, store.watcher().changed, lang=lang, poll_seconds=settings.poll_seconds, max_hours=settings.live_hours)
        return tally.root, tally.start

    return _shown("tally", lang, build)


@_store_boundary
def screening_page(db: str | None = None) -> w.Widget:
    """Facilitator: screen new proposals one at a time (七议五不议) and route them."""
    lang = _lang_setting()

    def build():
        from toolkit.screening import load_screening_rules, load_triage_rules
        from toolkit.ui.screening import ScreeningDesk
        from toolkit.workspace import open_workspace

        ws = open_workspace(db)
        labels = {c.id: c.label.get(lang) for c in ws.rules.categories}
        desk = ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang, category_label=lambda c: labels.get(c, c))
        return desk.root, None

    return _shown("screening", lang, build)


def _round_id(store, *, open_only: bool = False) -> int | None:
    """``?round=ID`` (a bad or unknown id raises :class:`nav.BadId`), else the newest (open) round."""
    rounds = store.rounds()
    wanted = nav.requested_id("round", [r["id"] for r in rounds])
    if wanted is not None:
        return wanted
    return _newest_round(rounds, open_only=open_only)


def _newest_round(rounds: list[dict], *, open_only: bool = False) -> int | None:
    rounds = [r for r in rounds if r["status"] == "open" or not open_only]
    return rounds[0]["id"] if rounds else None


def _nothing(lang: str) -> w.Widget:
    return w.HTML(f'<div class="linli-big">{escape(T["vote_no_round"].get(lang))}</div>')


@_store_boundary
def vote_page(db: str | None = None) -> w.Widget:
    """Resident tablet: vote in the open budget round with a one-time code.

    In a preheated kernel the ballot of the open round is built and shown in the default language
    before its visitor comes; the request then switches its language (``?lang=``) and brings the
    code and the submission id. When the address names another round, or the round changed while
    the kernel waited, the page is built again as on demand."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    if nav.preheating():
        ahead = _vote_ahead(store, settings, db)
        if ahead is not None:
            return ahead
    lang = _page_lang(settings.lang)  # a preheated kernel with no open round waits here
    body, page = _vote_body(store, settings, db, lang)
    display(body)  # no home link on the shared ballot tablet: wrapping it unpins the budget meter
    if page is not None:
        page.start_idle_timer()
    return body


def _vote_body(store, settings, db: str | None, lang: str) -> tuple[w.Widget, VotePage | None]:
    """What the vote page shows for the request: the ballot of ``?round=`` (else of the newest open
    round) with ``?code=`` and ``?sid=``, or a plain page for an unknown round or none open.
    Returns the widget and the ballot page (None for a plain page)."""
    try:
        rid = _round_id(store, open_only=True)
    except nav.BadId as exc:
        return nav.not_found(exc.kind, exc.value, lang), None
    if rid is None:
        return _nothing(lang), None
    page = _ballot(store, settings, db, rid, store.round(rid), lang, submission_id=_query("sid"))
    _take_code(page)
    return page.root, page


def _ballot(store, settings, db: str | None, rid: int, row: dict, lang: str, *, submission_id: str | None) -> VotePage:
    """The ballot page of round ``rid`` (its stored ``row``), casting into the store."""
    from toolkit import voting
    from toolkit.ui.ballot import VotePage
    from toolkit.workspace import district_outlines

    return VotePage(
        voting.round_settings(row),
        lambda code: voting.code_problem(store, rid, code),
        lambda code, data, sid, assisted: voting.cast(store, rid, code, data, submission_id=sid, assisted_by=assisted),
        lang=lang,
        district=district_outlines(store, _with_db(settings, db))[0],
        idle_seconds=settings.tablet_reset_seconds,
        submission_id=submission_id,
        received=lambda code, sid: voting.received(store, rid, code, sid),
    )


def _take_code(page: VotePage) -> None:
    code = _query("code")
    if code:  # opened from the QR code on a code sheet
        page.code_box.value = code


def _vote_ahead(store, settings, db: str | None) -> w.Widget | None:
    """The vote page in a preheated kernel: the ballot of the newest open round, built and shown
    in the default language before the visitor's request; after it, the same page in the asked
    language, or — another round asked for, the round or the outlines changed meanwhile (read
    again: the kernel may have waited minutes) — the page the request gets on demand, in place.
    None when no round is open: nothing worth building ahead."""
    from toolkit.errors import StoreUnavailable

    rid = _newest_round(store.rounds(), open_only=True)
    if rid is None:
        return None
    built = _round_state(store, rid)
    page = _ballot(store, settings, db, rid, built[0], settings.lang, submission_id=None)
    frame = w.VBox([page.root], layout=w.Layout(overflow="visible"))  # a scrolling box would unpin the budget meter
    display(frame)
    lang = _page_lang(settings.lang)  # waits here for the visitor's request
    try:
        if _unchanged(store, rid, built):
            page.set_lang(lang)
            page.adopt_submission_id(_query("sid"))
            _take_code(page)
            page.touch()  # the idle clock starts with the visitor
        else:
            body, page = _vote_body(store, settings, db, lang)
            frame.children = [body]
    except StoreUnavailable:
        frame.children = [_store_down(lang)]
        return frame
    if page is not None:
        page.start_idle_timer()
    return frame


def _round_state(store, rid: int) -> tuple[dict, int | None]:
    """What a round's ballot page is built from: the round as stored (status, settings, candidates)
    and the version of the district outlines."""
    from toolkit.store import geodata

    return store.round(rid), geodata.current_version(store)


def _unchanged(store, rid: int, built: tuple[dict, int | None]) -> bool:
    """The request asks for the round built ahead, and the round is as it was when built."""
    try:
        asked = _round_id(store, open_only=True)
    except nav.BadId:
        return False
    return asked == rid and _round_state(store, rid) == built


@_store_boundary
def round_desk_page(db: str | None = None) -> w.Widget:
    """Facilitator: set up a budget round from proposals, print codes, open and close voting.
    Creating a round puts ``?round=ID`` into the address, so a reload shows the round."""
    lang = _lang_setting()

    def build():
        from toolkit.ui.rounds import RoundDesk
        from toolkit.workspace import open_workspace

        ws = open_workspace(db)
        wanted = nav.requested_id("round", [r["id"] for r in ws.store.rounds()])
        address = w.Output(layout=w.Layout(height="0px", overflow="hidden"))
        desk = RoundDesk(ws.store, ws.store.proposals_frame(), lang=lang, public_url=ws.settings.public_url,
                         screened=ws.store.screening_frame(), on_created=lambda rid: nav.set_url(address, round=rid))
        if wanted is not None:
            desk.show_round(wanted)
        return w.VBox([desk.root, address]), None

    return _shown("round-desk", lang, build)


@_store_boundary
def results_page(db: str | None = None) -> w.Widget:
    """Projector: turnout while voting is open, the explained result after close."""
    lang = _lang_setting()

    def build():
        from toolkit.ui.rounds import ResultsBoard
        from toolkit.workspace import open_workspace

        ws = open_workspace(db)
        rid = _round_id(ws.store)
        if rid is None:
            raise nav.Missing("round")
        board = ResultsBoard(ws.store, rid, ws.district, ws.store.watcher().changed, lang=lang, poll_seconds=ws.settings.poll_seconds, max_hours=ws.settings.live_hours)
        return board.root, board.start

    return _shown("results", lang, build)


@_store_boundary
def paper_page(db: str | None = None) -> w.Widget:
    """Operators: double entry of paper ballots for a round."""
    lang = _lang_setting()

    def build():
        from toolkit.settings import load_settings
        from toolkit.store import open_store
        from toolkit.ui.rounds import PaperDesk

        settings = load_settings()
        store = open_store(db if db is not None else settings.db)
        rid = _round_id(store)
        if rid is None:
            raise nav.Missing("round")
        desk = PaperDesk(store, rid, lang=lang)
        return desk.root, None

    return _shown("paper", lang, build)


@_store_boundary
def plan_page(db: str | None = None) -> w.Widget:
    """Facilitator: the shared-fund income and expense plan over several rounds (``?plan=ID``;
    ``?new=1`` opens the form for a new plan, whose id then goes into the address)."""
    lang = _lang_setting()

    def build():
        from toolkit.settings import load_settings
        from toolkit.store import open_store
        from toolkit.ui.plan import PlanDesk

        settings = load_settings()
        store = open_store(db if db is not None else settings.db)
        plans = [p["id"] for p in store.plans()]
        wanted = nav.requested_id("plan", plans)
        plan_id = wanted if wanted is not None else (None if _query("new") or not plans else plans[0])
        desk = PlanDesk(store, plan_id, lang=lang)
        address = w.Output(layout=w.Layout(height="0px", overflow="hidden"))
        # runs after the desk's own handler (registration order): the new id goes into the address
        desk.new_button.on_click(lambda _b: nav.set_url(address, plan=desk.plan_id) if desk.plan_id is not None else None)
        return w.VBox([desk.root, address]), None

    return _shown("plan", lang, build)


@_store_boundary
def staff_home_page(db: str | None = None) -> w.Widget:
    """Staff server root: the district at a glance, lists with links, new round / plan / panel."""
    lang = _lang_setting()

    def build():
        from toolkit.ui.home import StaffHome
        from toolkit.workspace import open_workspace

        ws = open_workspace(db)
        households = int(ws.district.compounds.households.sum())
        return StaffHome(ws.store, lang, households=households).root, None

    return _shown("home", lang, build)


@_store_boundary
def resident_home_page(db: str | None = None) -> w.Widget:
    """Resident server root: large tiles (propose, vote in the open round, score, …), zh first."""
    lang = _lang_setting()

    def build():
        from toolkit.serve import NOTEBOOKS
        from toolkit.settings import load_settings
        from toolkit.store import open_store
        from toolkit.ui.home import resident_home, resident_tiles

        settings = load_settings()
        store = open_store(db if db is not None else settings.db)
        pages = tuple(sorted(p.stem for p in (NOTEBOOKS / "resident").glob("*.ipynb")))
        return resident_home(resident_tiles(store, lang, pages), lang), None

    return _shown("home", lang, build, bar=False)


@_store_boundary
def edit_geodata_page(db: str | None = None) -> w.Widget:
    """Planners (JupyterLab or Voila): edit the reference layers in a draft, check, publish."""
    from toolkit.settings import load_settings
    from toolkit.ui.geodata_editor import edit_geodata

    editor = edit_geodata(db, lang=_page_lang(load_settings().lang))
    display(editor.root)
    return editor.root


@_store_boundary
def needs_page(db: str | None = None) -> w.Widget:
    """Planners: what residents asked for, by area; writes the HTML map and Excel exports."""
    from toolkit.settings import load_settings
    from toolkit.ui.needs_report import needs_report

    root, _needs, _files = needs_report(db, lang=_page_lang(load_settings().lang))
    display(root)
    return root


# -- closing the loop (issue 12) ------------------------------------------------------------
@_store_boundary
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
    display(w.VBox([nav.resident_home_link(page.lang), page.root]))
    return page.root


@_store_boundary
def feedback_page(db: str | None = None) -> w.Widget:
    """Staff: undelivered feedback messages, slips, WeChat export, mark delivered."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.feedback import FeedbackDesk

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    desk = FeedbackDesk(store, lang=_page_lang(settings.lang), public_url=settings.public_url)
    page = w.VBox([nav.top_bar("feedback", _page_lang(settings.lang)), desk.root])
    page.add_class("linli-staff-page")
    display(page)
    return page


def _bad_id(lang: str, what: str) -> w.Widget:
    """A plain message for a wrong id in the page's link, with a way back (never Voila's error)."""
    from toolkit.ui.loop_texts import text

    page = w.HTML(f'<div class="linli-page"><div class="linli-error" id="linli-bad-id">{escape(text("page.bad_id", lang, what=what))}</div>'
                  f'<p><a href="/" class="linli-home">{escape(text("page.home", lang))}</a></p></div>')
    display(page)
    return page


@_store_boundary
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
    page = w.VBox([nav.top_bar("projects", lang), desk.root])
    page.add_class("linli-staff-page")
    display(page)
    return page


def _with_db(settings, db):
    """Settings with ``db`` when a page is opened on another database (tests)."""
    import dataclasses

    return dataclasses.replace(settings, db=db) if db is not None else settings


@_store_boundary
def notice_page(db: str | None = None) -> w.Widget:
    """Resident: a public notice (``?notice=ID``) with its map, objections and answers, or the list."""
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.ui.notices import NoticePage
    from toolkit.workspace import district_outlines

    settings = load_settings()
    lang = _page_lang(settings.lang)
    store = open_store(db if db is not None else settings.db)
    from toolkit.services.projects import files_dir

    page = NoticePage(store, district_outlines(store, _with_db(settings, db))[0], lang=lang, files_dir=files_dir(_with_db(settings, db)))
    wanted = _query("notice")
    if wanted is None:
        page.show_list()
    elif not wanted.isdigit() or not page.show(int(wanted)):
        return _bad_id(lang, wanted[:40])
    display(w.VBox([nav.resident_home_link(lang), page.root]))
    return page.root


@_store_boundary
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
    page = w.VBox([nav.top_bar("notices", lang), desk.root])
    page.add_class("linli-staff-page")
    display(page)
    return page


@_store_boundary
def dashboard_page(db: str | None = None) -> w.Widget:
    """Staff (projector or tablet): the loop's rates by district → street → community."""
    from toolkit.ui.dashboard import Dashboard
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    board = Dashboard(ws.store, ws.district, lang=_page_lang(ws.settings.lang))
    page = w.VBox([nav.top_bar("dashboard", _page_lang(ws.settings.lang)), board.root])
    page.add_class("linli-staff-page")
    display(page)
    return page
