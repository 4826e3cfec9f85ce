"""Page factories: each Voila notebook is a title and one call to one of these."""

from __future__ import annotations

import ipywidgets as w
from IPython.display import display

from toolkit.markup import escape
from toolkit.ui.texts import T


def _page_lang(default: str) -> str:
    """``?lang=en`` in the page URL switches the language (Voila passes the query string)."""
    import os
    from urllib.parse import parse_qs

    lang = parse_qs(os.environ.get("QUERY_STRING", "")).get("lang", [default])[0]
    return lang if lang in ("zh", "en") else default


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
