"""The loop dashboard's figures equal independent SQL over the demo (carried through the loop,
plus a scoring panel), on SQLite and PostgreSQL; the page shows them; Excel export."""

from __future__ import annotations

import io
from datetime import date
from fractions import Fraction

import openpyxl
from sqlalchemy import text as sql

from toolkit.demo import build_demo_database
from toolkit.geo import load_district
from toolkit.panels import create_panel
from toolkit.services.dashboard import loop_figures
from toolkit.store import open_store
from toolkit.ui.dashboard import Dashboard

TODAY = date(2026, 12, 31)

PEOPLE = """
WITH round_units AS (
  SELECT rp.round_id AS gid, MIN(y.parent_id) AS community_id, COUNT(DISTINCT y.parent_id) AS n_comm,
         MIN(c.parent_id) AS street_id, COUNT(DISTINCT c.parent_id) AS n_street
  FROM round_projects rp JOIN proposals p ON p.id = rp.proposal_id JOIN units y ON y.id = p.compound_id JOIN units c ON c.id = y.parent_id
  GROUP BY rp.round_id),
panel_units AS (
  SELECT pp.panel_id AS gid, MIN(y.parent_id) AS community_id, COUNT(DISTINCT y.parent_id) AS n_comm,
         MIN(c.parent_id) AS street_id, COUNT(DISTINCT c.parent_id) AS n_street
  FROM panel_projects pp JOIN proposals p ON 'P' || lpad_id = pp.project_id JOIN units y ON y.id = p.compound_id JOIN units c ON c.id = y.parent_id
  GROUP BY pp.panel_id),
groups AS (
  SELECT u.*, (SELECT COUNT(*) FROM ballots b WHERE b.round_id = u.gid AND b.superseded = 0) AS people
  FROM round_units u JOIN rounds r ON r.id = u.gid WHERE r.status <> 'draft'
  UNION ALL
  SELECT u.*, (SELECT COUNT(*) FROM reviewers v WHERE v.panel_id = u.gid AND v.tier = 'community') FROM panel_units u)
SELECT c.id AS community_id,
  (SELECT COUNT(*) FROM proposals p JOIN units y ON y.id = p.compound_id WHERE y.parent_id = c.id)
  + COALESCE((SELECT SUM(g.people) FROM groups g WHERE g.n_comm = 1 AND g.community_id = c.id), 0) AS participants,
  COALESCE((SELECT SUM(j.budget_fen) FROM projects j JOIN proposals p ON p.id = j.proposal_id JOIN units y ON y.id = p.compound_id WHERE y.parent_id = c.id), 0) AS allotted,
  COALESCE((SELECT SUM(j.spent_fen) FROM projects j JOIN proposals p ON p.id = j.proposal_id JOIN units y ON y.id = p.compound_id WHERE y.parent_id = c.id), 0) AS spent,
  (SELECT COUNT(*) FROM satisfaction s JOIN proposals p ON p.id = s.proposal_id JOIN units y ON y.id = p.compound_id WHERE y.parent_id = c.id) AS ratings,
  (SELECT COUNT(*) FROM satisfaction s JOIN proposals p ON p.id = s.proposal_id JOIN units y ON y.id = p.compound_id WHERE y.parent_id = c.id AND s.rating >= 4) AS satisfied
FROM units c WHERE c.level = 'community' ORDER BY c.id
"""

DISTRICT = """
SELECT (SELECT COUNT(*) FROM proposals)
     + (SELECT COUNT(*) FROM ballots b JOIN rounds r ON r.id = b.round_id WHERE r.status <> 'draft' AND b.superseded = 0)
     + (SELECT COUNT(*) FROM reviewers WHERE tier = 'community') AS participants,
       (SELECT COALESCE(SUM(budget_fen), 0) FROM projects) AS allotted,
       (SELECT COALESCE(SUM(spent_fen), 0) FROM projects) AS spent,
       (SELECT COUNT(*) FROM satisfaction) AS ratings,
       (SELECT COUNT(*) FROM satisfaction WHERE rating >= 4) AS satisfied
"""

STATUSES = """
SELECT CASE
  WHEN j.state IS NOT NULL THEN j.state
  WHEN EXISTS (SELECT 1 FROM round_projects rp JOIN rounds r ON r.id = rp.round_id WHERE rp.proposal_id = p.id AND r.status = 'open') THEN 'voting'
  WHEN EXISTS (SELECT 1 FROM round_outcomes o WHERE o.proposal_id = p.id) THEN 'not_funded'
  WHEN d.outcome IS NOT NULL THEN d.outcome
  ELSE 'unscreened' END AS status, COUNT(*) AS n
FROM proposals p LEFT JOIN projects j ON j.proposal_id = p.id LEFT JOIN screening_decisions d ON d.proposal_id = p.id
GROUP BY 1
"""

OVERDUE = """
SELECT d.track, COUNT(*) FROM screening_decisions d
WHERE d.resolution_due < :today
  AND NOT EXISTS (SELECT 1 FROM round_projects rp JOIN rounds r ON r.id = rp.round_id WHERE rp.proposal_id = d.proposal_id AND r.status <> 'draft')
  AND NOT EXISTS (SELECT 1 FROM projects j WHERE j.proposal_id = d.proposal_id)
GROUP BY d.track
"""


def rate(num, den):
    return Fraction(int(num), int(den)) if den else None


def test_dashboard_equals_independent_sql(db_url):
    build_demo_database(db_url, loop=True)
    store = open_store(db_url)
    frame = store.proposals_frame()
    ids = [str(i) for i in frame[frame.community_id == frame.community_id.iloc[0]].id.head(3)]
    create_panel(db_url, "验收评审", "evaluation", ids, ["王芳:community", "赵敏:community", "李工:street"])
    district = load_district(None)
    board = loop_figures(store, district, TODAY)
    units = board.units.set_index("id")
    hh = district.compounds.groupby("community_id").households.sum()
    pad = "lpad_id"
    people_sql = PEOPLE.replace("'P' || " + pad, "'P' || " + ("printf('%04d', p.id)" if store.engine.dialect.name == "sqlite" else "lpad(p.id::text, 4, '0')"))
    with store.read() as conn:
        rows = conn.execute(sql(people_sql)).mappings().all()
        total = conn.execute(sql(DISTRICT)).mappings().one()
        statuses = dict(conn.execute(sql(STATUSES)).all())
        overdue = dict(conn.execute(sql(OVERDUE), {"today": TODAY.isoformat()}).all())
        states = dict(conn.execute(sql("SELECT state, COUNT(*) FROM projects GROUP BY state")).all())
    assert len(rows) == len(district.communities)
    for r in rows:
        u = units.loc[r["community_id"]]
        assert int(u.participants) == r["participants"] and int(u.households) == int(hh[r["community_id"]])
        assert (int(u.allotted_fen), int(u.spent_fen), int(u.ratings), int(u.satisfied)) == (r["allotted"], r["spent"], r["ratings"], r["satisfied"])
        assert u.fund_use == rate(r["spent"], r["allotted"]) and u.satisfaction == rate(r["satisfied"], r["ratings"])
        assert u.participation == rate(r["participants"], hh[r["community_id"]]) and u.per_1000 == u.participation * 1000
    d = board.units[board.units.level == "district"].iloc[0]
    assert int(d.participants) == total["participants"] and d.households == int(district.compounds.households.sum())
    assert d.fund_use == rate(total["spent"], total["allotted"]) and d.satisfaction == rate(total["satisfied"], total["ratings"])
    assert total["allotted"] > 0 and total["spent"] > 0 and total["ratings"] > 0
    assert {k: v for k, v in board.statuses.items() if v} == {k: int(v) for k, v in statuses.items()}
    assert board.overdue == {k: int(v) for k, v in overdue.items()}
    assert {k: v for k, v in board.projects.items() if v} == {k: int(v) for k, v in states.items()}
    assert sum(board.statuses.values()) == 240
    panel_community = units.loc[frame.community_id.iloc[0]]
    assert int(panel_community.participants) >= 2  # the two community-tier reviewers count there
    streets = board.units[board.units.level == "street"]
    assert int(streets.participants.sum()) == int(d.participants)  # every demo round and the panel lie in one community


def test_dashboard_page_and_excel(tmp_path):
    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=120, loop=True)
    store = open_store(db)
    district = load_district(None)
    page = Dashboard(store, district, lang="en", today=TODAY)
    d = page.board.units[page.board.units.level == "district"].iloc[0]
    assert f"{float(d.fund_use) * 100:.1f}%" in page.totals.value
    assert page.table.value.count("<tr data-unit=") == len(district.communities)
    page.level.value = "street"
    assert page.table.value.count("<tr data-unit=") == len(district.streets)
    fills = {f["properties"]["fill"] for f in page.choropleth.data["features"]}
    assert len(fills) > 1
    book = openpyxl.load_workbook(io.BytesIO(__import__("base64").b64decode(page.export.value.split("base64,")[1].split('"')[0])))
    assert book.sheetnames == ["units", "statuses", "overdue", "projects"]
    assert book["units"].cell(2, 7).value == int(d.participants)
    zh = Dashboard(store, district, lang="zh", today=TODAY)
    import re

    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", "", zh.side.value + zh.totals.value).replace("—", ""))
