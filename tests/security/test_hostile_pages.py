"""Finding 9 and the XSS defences, in-process: the hostile-string corpus as proposal titles (which
become round projects), reviewer names, household names, desk and operator names, run through
every page in both languages. One-line fields refuse control characters (in Python and in the
database); everything else reaches the pages only escaped. (The real-browser XSS test is in
tests/browser.) On the code as it was, titles with newlines, NUL and control characters were
stored."""

from __future__ import annotations

import pytest
from ipywidgets import Widget

from toolkit import voting
from toolkit.demo import build_demo_database
from toolkit.errors import LinliError, StoreError, ValidationError
from toolkit.panels import create_panel
from toolkit.proposals import Draft, check
from toolkit.text import has_control
from toolkit.ui import pages
from toolkit.workspace import open_workspace

from .corpus import CONTROL_FREE, HOSTILE

MARKUP = [s for s in HOSTILE if "<" in s or ">" in s or '"' in s]


def draft(ws, n: int, title: str) -> Draft:
    p = ws.district.compounds.iloc[n % len(ws.district.compounds)].geometry.representative_point()
    return Draft(submission_id=f"hostile-{n:06d}", title=title, problem=f"问题 {title}", why=title, suggestion=f"建议 {title}",
                 category="facilities", geometry={"type": "Point", "coordinates": [p.x, p.y]}, contact="13800000000")


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("hostile") / "h.sqlite")
    build_demo_database(db, count=6)
    ws = open_workspace(db)
    stored = []
    for n, title in enumerate(HOSTILE):
        if title in CONTROL_FREE and 2 <= len(title.strip()) <= 80:
            stored.append(ws.submit_proposal(draft(ws, n, title)).id)
    create_panel(db, "评审 <b>组</b>", "selection", [str(i) for i in stored[:6]],
                 [f"{name}:community" for name in CONTROL_FREE[:8] if ":" not in name and name.strip()])
    from toolkit.rounds import Approval, Fund, Project, RoundSettings
    from toolkit.labels import Label

    frame = ws.store.proposals_frame().set_index("id")
    projects = tuple(Project(f"P{i}", Label(frame.loc[i, "title"], frame.loc[i, "title"]), 1000_00 * (k + 1), location=(frame.loc[i, "lon"], frame.loc[i, "lat"]))
                     for k, i in enumerate(stored[:12]))
    settings = RoundSettings("h", Label("<script>轮</script>", "<script>round</script>"), projects,
                             (Fund("f", Label("资金", "fund"), 50_000_00),), Approval(min_picks=1, max_picks=3))
    rid = voting.create_round(ws.store, settings, scrypt_n=2**4, proposal_ids={f"P{i}": i for i in stored[:12]})
    homes_round = voting.create_round(ws.store, settings.__class__(**{**settings.__dict__, "voters": "household"}), scrypt_n=2**4)
    voting.issue_codes(ws.store, homes_round, 0, [h for h in CONTROL_FREE if h.strip()][:10])
    codes = voting.issue_codes(ws.store, rid, 5)
    ws.store.set_round_status(rid, "open")
    for n, code in enumerate(codes[:3]):
        voting.cast(ws.store, rid, code, {"projects": [p.id for p in projects[n:n + 2]]}, submission_id=f"vote-{n:08d}")
    voting.enter_paper(ws.store, rid, "纸<1>", "录入员 <i>甲</i>", {"projects": ["P" + str(stored[0])]})
    voting.close_round(ws.store, rid)
    return db, rid


def texts(widget) -> list[str]:
    """Every HTML string a page sends to the browser: HTML widgets, map popups and icons, recursively."""
    out, seen, stack = [], set(), [widget]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, Widget):
            for name in ("value", "html", "placeholder", "description", "tooltip"):
                v = getattr(x, name, None) if name in getattr(x, "keys", []) else None
                if isinstance(v, str) and (x.__class__.__name__ in ("HTML", "HTMLMath", "DivIcon") or name == "html"):
                    out.append(v)
            for name in ("children", "layers", "controls", "child", "popup", "icon", "layer"):
                v = getattr(x, name, None) if name in getattr(x, "keys", []) else None
                if isinstance(v, (list, tuple)):
                    stack.extend(v)
                elif isinstance(v, Widget):
                    stack.append(v)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["propose_page", "live_map_page", "screening_page", "tally_page", "round_desk_page",
                                  "results_page", "paper_page", "vote_page", "plan_page"])
def test_every_page_shows_hostile_strings_only_escaped(hostile_db, page, lang, monkeypatch):
    db, rid = hostile_db
    monkeypatch.setenv("LINLI_DB", db)
    monkeypatch.setenv("QUERY_STRING", f"lang={lang}&round={rid}")
    root = getattr(pages, page)(db)
    shown = "\n".join(texts(root))
    assert shown, page
    for s in MARKUP:
        assert s not in shown, (page, s)
    for tag in ("<script", "<img", "<svg", "<style", "<iframe", "<a href='javascript"):  # raw tags, not escaped text
        assert tag not in shown.lower(), (page, tag)


def test_one_line_fields_refuse_control_characters(tmp_path):
    db = str(tmp_path / "c.sqlite")
    build_demo_database(db, count=2)
    ws = open_workspace(db)
    controlled = [s for s in HOSTILE if has_control(s.strip())]  # blanks at the ends are trimmed, as before
    assert len(controlled) >= 6
    for n, title in enumerate(controlled):
        with pytest.raises(ValidationError) as err:
            ws.submit_proposal(draft(ws, n, title))
        assert "title" in err.value.errors and "one line" in err.value.errors["title"].en
    # Multi-line fields keep their lines and lose the rest.
    stored = ws.submit_proposal(Draft(**{**draft(ws, 90, "正常标题").__dict__, "problem": "第一行\r\n第二行\x00\x07\n\n\n\n\n第三行"}))
    assert ws.store.proposal(stored.id)["problem"] == "第一行\n第二行\n\n\n第三行"
    # The database refuses a title with a line break even when Python's check is bypassed.
    checked = check(draft(ws, 91, "正常标题二"), ws.rules, ws.district)
    forged = checked.__class__(**{**checked.__dict__, "title": "标题;1;2\nVOTES"})
    with pytest.raises(StoreError, match="one line"):
        ws.store.add_proposal(forged)
    with pytest.raises(LinliError, match="one line"):
        create_panel(db, "p", "selection", ["1"], ["王\t芳:community"])
    with pytest.raises(ValidationError) as err:
        voting.PaperEntry("S\n1", "op\t2", None)  # type: ignore[arg-type]
    assert {"serial", "operator"} <= set(err.value.errors)
