"""Funded projects: created when a round closes, followed through milestones, reviews,
acceptance and maintenance; every rule checked in Python and again by the database."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import text as sql

from tests.loop.helpers import run_round
from tests.loop.test_status import decide, page_for
from toolkit.demo import build_demo_database
from toolkit.errors import StoreError, ValidationError
from toolkit.services import projects as svc
from toolkit.store import open_store
from toolkit.store.feedback import messages_frame
from toolkit.store.projects import outcomes_frame, projects_frame

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture
def funded(tmp_path):
    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=12)
    store = open_store(db)
    a, b, c = store.screening_queue()[:3]
    for pid in (a, b, c):
        decide(store, pid, "safety")
    rid = run_round(store, {a: 50_000_00, b: 40_000_00, c: 30_000_00}, [[a], [a, b], [a, c], [b]], budget_fen=90_000_00)
    return store, rid, (a, b, c)


def test_round_close_records_outcomes_projects_and_messages(funded):
    store, rid, (a, b, c) = funded
    out = outcomes_frame(store, rid).set_index("proposal_id")
    assert out.loc[a, "votes"] == 3 and out.loc[b, "votes"] == 2 and out.loc[c, "votes"] == 1
    assert list(out.funded.loc[[a, b, c]]) == [1, 1, 0]  # greedy: 50k + 40k fill the 90k budget
    assert "not funded" in out.loc[c, "explanation_en"]
    frame = projects_frame(store)
    assert sorted(frame.proposal_id) == sorted([a, b]) and set(frame.state) == {"funded"}
    assert int(frame.set_index("proposal_id").loc[a, "budget_fen"]) == 50_000_00
    msgs = messages_frame(store)
    funded_msg = msgs[(msgs.proposal_id == a) & (msgs.event == f"round:{rid}")].message_zh.iloc[0]
    assert "获得资助（3 票）" in funded_msg and out.loc[a, "explanation_zh"] in funded_msg
    assert "未获资助" in msgs[(msgs.proposal_id == c) & (msgs.event == f"round:{rid}")].message_zh.iloc[0]
    from toolkit.services.feedback import after_round_closed

    assert after_round_closed(store, rid) == 0  # idempotent
    assert len(projects_frame(store)) == 2


def test_lifecycle_to_maintenance_and_the_status_timeline(funded, tmp_path):
    store, rid, (a, b, c) = funded
    pid = int(projects_frame(store).set_index("proposal_id").loc[a, "id"])
    svc.set_implementer(store, pid, "锦东建设有限公司", actor="staff")
    with pytest.raises(ValidationError):
        svc.add_milestone(store, pid, "超支", "2026-06-01", 10, 60_000_00, actor="staff")  # over the budget
    svc.add_milestone(store, pid, "材料进场", "2026-06-01", 30, 12_000_00, actor="staff", title_en="Materials on site")
    with pytest.raises(ValidationError) as err:
        svc.add_milestone(store, pid, "倒退", "2026-06-05", 20, 12_000_00, actor="staff")
    assert "30%" in err.value.errors["progress"].zh
    svc.add_milestone(store, pid, "主体完工", "2026-07-01", 100, 48_500_50, actor="staff", title_en="Built")
    svc.upload(store, pid, "photo.jpg", JPEG, tmp_path / "files", actor="staff")
    with pytest.raises(ValidationError):
        svc.upload(store, pid, "evil.jpg", b"<script>alert(1)</script>", tmp_path / "files", actor="staff")
    svc.review(store, pid, "midterm", passed=True, score=8.1, on_date="2026-06-15", actor="staff")
    svc.review(store, pid, "acceptance", passed=True, score=8.6, on_date="2026-07-10", actor="staff")
    with pytest.raises(ValidationError):
        svc.add_milestone(store, pid, "验收后", "2026-07-11", 100, 48_500_50, actor="staff")
    svc.start_maintenance(store, pid, "院落自管小组", 30, actor="staff")
    p = projects_frame(store).set_index("id").loc[pid]
    assert p.state == "maintenance" and int(p.spent_fen) == 48_500_50 and p.implementer == "锦东建设有限公司"
    events = list(messages_frame(store, proposal_id=a).event)
    assert events[0] == "screened" and events[1] == f"round:{rid}" and events[-2:] == ["accepted", "maintenance"]
    assert sum(e.startswith("milestone:") for e in events) == 2
    code = store.proposal(a)["receipt_code"]
    page = page_for(store, files_dir=tmp_path / "files")
    assert page.show(code)
    html = page.result.value
    keys = [k for k in ("received", "deliberated", "respond", "resolve", "funded", "implementing", "milestone", "midterm_passed", "accepted", "maintenance")]
    positions = [html.index(f'data-step="{k}"') for k in keys]
    assert positions == sorted(positions)
    assert "材料进场" in html and "主体完工" in html and "¥48,500.50" in html and "锦东建设有限公司" in html
    assert "data:image/jpeg;base64," in html
    assert page.rating.layout.display == "flex"
    assert page.rate(5) and "5 星" in page.result.value and page.rating.layout.display == "none"
    from toolkit.services.notices import publish_acceptance
    from toolkit.ui.notices import NoticePage
    from toolkit.workspace import open_workspace

    nid = publish_acceptance(store, pid, actor="staff")
    board = NoticePage(store, open_workspace(store.url).district, files_dir=tmp_path / "files")
    assert board.show(nid) and "data:image/jpeg;base64," in board.body.value and "锦东建设有限公司" in board.body.value
    assert svc.overdue_maintenance(store, today=date(2026, 12, 31))[0]["id"] == pid
    svc.record_check(store, pid, "2026-12-20", "楼栋长", actor="staff")
    assert svc.overdue_maintenance(store, today=date(2026, 12, 31)) == []
    audit = store.audit_frame()
    assert {"create", "update", "milestone", "review", "maintenance", "check", "upload"} <= set(audit[audit.entity == "project"].action)


def test_bulk_update_from_a_spreadsheet(funded):
    import pandas as pd

    store, rid, (a, b, c) = funded
    ids = projects_frame(store).set_index("proposal_id").id
    sheet = pd.DataFrame({"project": [ids[a], ids[b], ids[a]], "milestone": ["开工", "开工", "过半"], "date": ["2026-06-01"] * 3,
                          "progress": ["10", "5", "55"], "spent_yuan": ["5,000", "1000.5", "26000"]})
    buf = io.BytesIO()
    sheet.to_excel(buf, index=False)
    assert svc.bulk_update(store, buf.getvalue(), "implementers.xlsx", actor="staff") == 3
    frame = projects_frame(store).set_index("proposal_id")
    assert int(frame.loc[a, "spent_fen"]) == 26_000_00 and int(frame.loc[a, "progress"]) == 55 and int(frame.loc[b, "spent_fen"]) == 1_000_50
    bad = sheet.assign(progress=["60", "5", "40"], spent_yuan=["26000", "1000.5", "26000"]).to_csv(index=False).encode()  # row 4 goes back from 60 to 40
    with pytest.raises(ValidationError) as err:
        svc.bulk_update(store, bad, "again.csv", actor="staff")
    assert "row 4" in err.value.errors["file"].en
    assert int(projects_frame(store).set_index("proposal_id").loc[a, "progress"]) == 55  # nothing applied
    zh = f"项目编号,进展,日期,完成比例,累计已用\n{ids[b]},过半,2026-06-20,50,\"2,000\"\n".encode("utf-8-sig")
    assert svc.bulk_update(store, zh, "进度.csv", actor="staff") == 1
    assert int(projects_frame(store).set_index("proposal_id").loc[b, "spent_fen"]) == 2_000_00


def test_database_refuses_what_python_refuses(db_url):
    from toolkit.store import open_store as open_

    store = open_(db_url)
    from toolkit.workspace import open_workspace

    ws = open_workspace(db_url)
    from toolkit.demo import demo_drafts
    from toolkit.proposals import check

    for draft, code, created in demo_drafts(ws.district, count=3):
        ws.store.add_proposal(check(draft, ws.rules, ws.district), receipt_code=code, created_at=created)
    ids = [int(i) for i in ws.store.proposals_frame().id]
    for pid in ids:
        decide(store, pid, "safety")
    rid = run_round(store, {ids[0]: 10_000_00, ids[1]: 20_000_00}, [[ids[0]], [ids[1]]], budget_fen=30_000_00)
    pid = int(projects_frame(store).id.iloc[0])
    refused = [
        "UPDATE projects SET spent_fen = budget_fen + 1 WHERE id = :p",
        "UPDATE feedback_messages SET message_zh = 'forged' WHERE proposal_id = :q",
        f"INSERT INTO projects (round_id, project_id, name, name_en, budget_fen, spent_fen, implementer, state, created_at) VALUES ({rid}, 'X9', 'x', 'x', 1, 0, '', 'funded', 'now')",
        "INSERT INTO satisfaction (proposal_id, rating, rated_at) VALUES (:q, 5, 'now')",
    ]
    for statement in refused:
        with pytest.raises(Exception):
            with store.write() as conn:
                conn.execute(sql(statement), {"p": pid, "q": ids[0]})
    svc.review(store, pid, "acceptance", passed=True, on_date="2026-07-01", actor="staff")
    for statement in ("UPDATE projects SET state = 'in_progress', accepted_at = NULL WHERE id = :p",
                      "INSERT INTO milestones (project_id, title, title_en, on_date, progress, spent_fen, recorded_at, recorded_by) VALUES (:p, 'x', 'x', '2026-07-02', 100, 0, 'now', 'x')"):
        with pytest.raises(Exception):
            with store.write() as conn:
                conn.execute(sql(statement), {"p": pid})
    with pytest.raises(StoreError):
        from toolkit.store.projects import update_project

        update_project(store, pid, {"state": "funded"}, actor="forger")


def test_staff_projects_page_drives_the_lifecycle(funded, tmp_path, monkeypatch):
    from toolkit.ui import pages
    from toolkit.ui.projects import ProjectsDesk
    from toolkit.workspace import open_workspace

    store, rid, (a, b, c) = funded
    ws = open_workspace(store.url)
    desk = ProjectsDesk(store, ws.district, lang="zh", files_folder=tmp_path / "files")
    assert desk.legend.value.count("已立项 2") == 1 and len(desk.layer.data["features"]) == 2
    pid = int(projects_frame(store).set_index("proposal_id").loc[a, "id"])
    desk.pick.value = pid
    desk.implementer.value = "<b>锦东</b>建设"
    desk.forms.children[0].children[1].click()
    assert "&lt;b&gt;锦东&lt;/b&gt;建设" in desk.table.value
    desk.m_title.value, desk.m_progress.value, desk.m_spent.value = "开工", 20, "60000"  # over the 50,000 budget
    desk.forms.children[1].children[-1].click()
    assert "超过了预算" in desk.message.value
    desk.m_spent.value = "10,000.5"
    desk.forms.children[1].children[-1].click()
    assert "已保存" in desk.message.value and "¥10,000.50" in desk.detail.value
    desk.r_kind.value, desk.r_score.value = "acceptance", "8.5"
    desk.forms.children[2].children[-1].click()
    assert 'data-state="accepted"' in desk.detail.value and "已验收 1" in desk.legend.value
    desk.keeper.value = "自管小组"
    desk.forms.children[3].children[-1].click()
    assert 'data-state="maintenance"' in desk.detail.value
    desk.upload.value = ({"name": "a.png", "content": memoryview(b"\x89PNG\r\n\x1a\n" + b"0" * 50), "type": "image/png", "size": 58, "last_modified": __import__("datetime").datetime(2026, 6, 1)},)
    assert "a.png" in desk.detail.value and len(list((tmp_path / "files").iterdir())) == 1
    monkeypatch.setenv("QUERY_STRING", "project=999")
    monkeypatch.setenv("LINLI_GEODATA", "")
    page = pages.projects_page(store.url)
    assert "链接里的编号不对" in page.value and 'href="/"' in page.value


def test_acceptance_scored_by_an_evaluation_panel(funded):
    """The acceptance review's score comes from a scoring panel with the shipped `evaluation`
    rubric (same aggregation as the tally page); equal scores give that score."""
    from toolkit.panels import create_panel, reviewer_by_code
    from toolkit.scoring import load_rubric

    store, rid, (a, b, c) = funded
    pid = int(projects_frame(store).set_index("proposal_id").loc[a, "id"])
    panel_id, codes = create_panel(store.url, "结项验收评审", "evaluation", [str(a)], ["王芳:community", "李工:street", "陈老师:district"])
    with pytest.raises(ValidationError):  # sheets not all in
        svc.panel_score(store, panel_id, pid)
    criteria = [cr.id for cr in load_rubric("evaluation").criteria]
    for i, code in enumerate(codes.values()):
        reviewer = reviewer_by_code(store, code)
        store.submit_sheet(reviewer["id"], f"P{a:04d}", {cr: 8 for cr in criteria}, conflict=False, submission_id=f"eval-sheet-{i:04d}")
    store.lock_panel(panel_id)
    score = svc.panel_score(store, panel_id, pid)
    assert score == pytest.approx(8.0)
    svc.review(store, pid, "acceptance", passed=score >= 6, score=score, panel_id=panel_id, on_date="2026-07-10", actor="staff")
    p = projects_frame(store).set_index("id").loc[pid]
    assert p.state == "accepted"
