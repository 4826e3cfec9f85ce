"""Finding 7: store errors reach people as plain words. A database locked by another writer, a
read-only database and an unreachable server each give the page's own message (zh/en) with what to
do — never a blank page, Voila's error cell or a traceback — and nothing half-stored; a page opens
while another process holds the write lock. (On the code as it was, a submit raised an uncaught
OperationalError and showed nothing, and a page load failed with Voila's English cell error.)"""

from __future__ import annotations

import sqlite3
import time

from tests.store_lock import write_lock_held
from toolkit.demo import build_demo_database
from toolkit.errors import StoreUnavailable
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.ui import pages
from toolkit.ui.propose import ProposeForm
from toolkit.workspace import open_workspace




def fill(form, ws, title="楼下路灯坏了"):
    p = ws.district.compounds.iloc[0].geometry.representative_point()
    form._on_map(type="click", coordinates=[p.y, p.x])
    form.category.value = "facilities"
    form.title.value = title
    form.problem.value = "晚上看不见路"
    form.suggestion.value = "换新灯"


def test_locked_database_page_opens_and_submit_says_busy(tmp_path):
    db = str(tmp_path / "locked.sqlite")
    build_demo_database(db, count=2)
    with write_lock_held(db):
        ws = open_workspace(db)  # opening a page needs no write lock when the schema is current
        root = pages.propose_page(db)
        assert "linli-store-down" not in str(getattr(root, "value", ""))
        form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang="zh")
        fill(form, ws)
        started = time.monotonic()
        assert form.submit() is None
        assert time.monotonic() - started < 40
        assert escape(text("trust.store_busy", "zh")) in form.form_message.value
        assert form.title.value == "楼下路灯坏了" and form.submit_button.disabled is False  # nothing lost on the page
    before = ws.store.count_proposals()
    stored = form.submit()  # the same submission, once the lock is gone
    assert stored is not None and stored.created and ws.store.count_proposals() == before + 1


def test_read_only_database_says_so_and_stores_nothing(tmp_path):
    db = tmp_path / "ro.sqlite"
    build_demo_database(str(db), count=2)
    ro = f"sqlite:///file:{db}?mode=ro&uri=true"
    ws = open_workspace(ro)
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang="en")
    fill(form, ws, "Broken street light")
    assert form.submit() is None
    assert escape(text("trust.store_readonly", "en")) in form.form_message.value
    assert open_workspace(str(db)).store.count_proposals() == 2


def test_page_load_with_an_unusable_database_shows_a_plain_message(tmp_path, monkeypatch):
    from tests.browser.harness import free_port

    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    for db, lang in ((f"sqlite:///file:{empty}?mode=ro&uri=true", "zh"),  # needs its schema, cannot write it
                     (f"postgresql+psycopg://linli@127.0.0.1:{free_port()}/linli", "en")):  # no server there
        monkeypatch.setenv("QUERY_STRING", f"lang={lang}")
        for page in ("propose_page", "vote_page", "results_page", "screening_page"):
            box = getattr(pages, page)(db)
            if not hasattr(box, "value"):  # a staff page: the top bar, then the body
                box = box.children[-1]
            assert 'id="linli-store-down"' in box.value and escape(text("trust.page_store_down", lang)) in box.value, (page, db)


def test_the_error_names_the_reason(tmp_path):
    from toolkit.store import open_store

    try:
        open_store(f"sqlite:///file:{tmp_path / 'nothing.sqlite'}?mode=ro&uri=true")
    except StoreUnavailable as exc:
        assert exc.reason == "down" and "unable to open" in str(exc)
    else:
        raise AssertionError("a database that cannot be opened must raise StoreUnavailable")
