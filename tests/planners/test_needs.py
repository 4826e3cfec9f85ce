"""The needs analysis against SQL written independently here (sqlite3 on the database file,
households read from the demo GeoJSON with json), and its Excel export read back with openpyxl."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from toolkit.geo import DEMO_GEODATA, load_district
from toolkit.needs import CELL_DEG, analyse, write_excel
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
from toolkit.store import open_store

TODAY = date(2026, 6, 1)


@pytest.fixture
def screened_db(demo_db):
    """The demo database with 30 proposals screened (every 4th excluded), received on spread dates."""
    store = open_store(demo_db)
    rules, triage = load_screening_rules(), load_triage_rules()
    for n, pid in enumerate(store.screening_queue()[:30]):
        decision = screen(str(pid), "illegal" if n % 4 == 0 else "culture", rules)
        store.record_screening(pid, decision, follow_up(decision, date(2026, 3, 1 + n % 28) if n < 28 else date(2026, 5, 30), triage))
    return demo_db


def _sql(db, query, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(query, args).fetchall()


def test_figures_equal_independent_sql(screened_db):
    store = open_store(screened_db)
    needs = analyse(store.proposals_frame(), load_district().compound_table(), store.screening_frame(), today=TODAY)
    households = {f["properties"]["id"]: f["properties"]["households"]
                  for f in json.loads((DEMO_GEODATA / "compounds.geojson").read_text())["features"]}
    community_of = {f["properties"]["id"]: f["properties"]["community_id"]
                    for f in json.loads((DEMO_GEODATA / "compounds.geojson").read_text())["features"]}

    per_compound = dict(_sql(screened_db, "SELECT compound_id, count(*) FROM proposals WHERE compound_id IS NOT NULL GROUP BY compound_id"))
    got = needs.by_compound.set_index("compound_id")
    assert got["proposals"].to_dict() == {c: per_compound.get(c, 0) for c in households}
    for c, hh in households.items():
        assert got.loc[c, "per_1000"] == pytest.approx(round(per_compound.get(c, 0) / hh * 1000, 2))

    per_community = dict(_sql(screened_db, "SELECT u.parent_id, count(*) FROM proposals p JOIN units u ON u.id = p.compound_id GROUP BY u.parent_id"))
    hh_community: dict[str, int] = {}
    for c, hh in households.items():
        hh_community[community_of[c]] = hh_community.get(community_of[c], 0) + hh
    got = needs.by_community.set_index("community_id")
    assert got["proposals"].to_dict() == {k: per_community.get(k, 0) for k in hh_community}
    assert got["households"].to_dict() == hh_community
    for k in hh_community:
        assert got.loc[k, "per_1000"] == pytest.approx(round(per_community.get(k, 0) / hh_community[k] * 1000, 2))

    cats = _sql(screened_db, "SELECT u.parent_id, p.category, count(*) FROM proposals p JOIN units u ON u.id = p.compound_id GROUP BY 1, 2")
    table = needs.categories.set_index("community_id")
    assert {(a, b): n for a, b, n in cats} == {(a, b): int(table.loc[a, b]) for a in table.index for b in table.columns if table.loc[a, b]}

    cells = _sql(screened_db, f"SELECT CAST(lon / {CELL_DEG} AS INTEGER), CAST(lat / {CELL_DEG} AS INTEGER), count(*) "
                              "FROM proposals WHERE lon IS NOT NULL GROUP BY 1, 2")
    got = {(round(r.lon / CELL_DEG - 0.5), round(r.lat / CELL_DEG - 0.5)): r.proposals for r in needs.hotspots.itertuples()}
    assert got == {(x, y): n for x, y, n in cells}
    assert list(needs.hotspots["proposals"]) == sorted(needs.hotspots["proposals"], reverse=True)

    repeats = _sql(screened_db, "SELECT compound_id, category, count(*) FROM proposals WHERE compound_id IS NOT NULL "
                                "GROUP BY 1, 2 HAVING count(*) >= 2")
    assert set(map(tuple, needs.repeats[["compound_id", "category", "proposals"]].itertuples(index=False))) == set(repeats)

    outcomes = _sql(screened_db, "SELECT u.parent_id, d.outcome, count(*) FROM screening_decisions d JOIN proposals p ON p.id = d.proposal_id "
                                 "JOIN units u ON u.id = p.compound_id GROUP BY 1, 2")
    late = dict(_sql(screened_db, "SELECT u.parent_id, count(DISTINCT d.proposal_id) FROM screening_decisions d "
                                  "JOIN proposals p ON p.id = d.proposal_id JOIN units u ON u.id = p.compound_id "
                                  "WHERE d.response_due < ? GROUP BY 1", TODAY.isoformat()))
    scr = needs.screening.set_index("community_id")
    assert {(a, o): n for a, o, n in outcomes} == {(a, o): int(scr.loc[a, o]) for a in scr.index
                                                   for o in ("deliberated", "excluded") if scr.loc[a, o]}
    assert {k: v for k, v in scr["overdue"].items() if v} == late and sum(late.values()) > 0
    assert int(scr["unscreened"].sum()) == 240 - 30
    assert int(scr["overdue"].sum()) < 30  # the ones received on 30 May are not late yet

    channels = _sql(screened_db, "SELECT u.parent_id, p.channel, count(*) FROM proposals p JOIN units u ON u.id = p.compound_id GROUP BY 1, 2")
    part = needs.participation.set_index("community_id")
    assert {(a, c): n for a, c, n in channels} == {(a, c): int(part.loc[a, c]) for a in part.index for c in part.columns if part.loc[a, c]}


def test_excel_export_reads_back_and_quotes_formulas(screened_db, tmp_path):
    import openpyxl
    import pandas as pd

    store = open_store(screened_db)
    needs = analyse(store.proposals_frame(), load_district().compound_table(), store.screening_frame(), today=TODAY)
    hostile = needs.by_compound.copy()
    hostile.loc[0, "compound"] = "=HYPERLINK(\"http://x\")"
    needs = type(needs)(**{**needs.__dict__, "by_compound": hostile})
    path = write_excel(needs, tmp_path / "needs.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["by_compound", "by_community", "categories", "hotspots", "repeats", "screening", "participation"]
    back = pd.read_excel(path, sheet_name="by_community")
    assert back["proposals"].tolist() == needs.by_community["proposals"].tolist()
    cell = book["by_compound"]["B2"]
    assert cell.value.startswith("'=") and cell.data_type == "s"
