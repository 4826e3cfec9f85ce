"""The screening desk: one proposal at a time, a decision with its sentence and ticket stored
once; excluded proposals are redirected, never dropped; overdue tickets are listed."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from toolkit.errors import StoreError
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
from toolkit.ui.screening import ScreeningDesk
from toolkit.workspace import open_workspace


@pytest.fixture
def ws(db_url):
    from toolkit.demo import build_demo_database

    db = db_url
    build_demo_database(db, count=4)
    return open_workspace(db)


def desk(ws, today=date(2026, 4, 2)):
    return ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, today=lambda: today)


def test_screen_the_queue_one_at_a_time(ws):
    d = desk(ws)
    frame = ws.store.proposals_frame().sort_values(["created_at", "id"])
    assert "4" in d.left.value and d.current["id"] == int(frame.iloc[0].id)
    assert not d.decide() and "请先选择" in d.message.value  # nothing picked: nothing stored

    d.deliberate.value = "safety"
    assert "居民议事会" in d.preview.value and "安全" in d.preview.value
    first = d.current["id"]
    assert d.decide()
    assert d.current["id"] == int(frame.iloc[1].id) and "3" in d.left.value

    d.excluded.value = "others_duty"  # someone else's legal duty → referral
    assert d.deliberate.value is None
    second = d.current["id"]
    assert d.decide()

    decisions = ws.store.screening_frame().set_index("proposal_id")
    assert decisions.loc[first, "outcome"] == "deliberated" and pd.isna(decisions.loc[first, "redirect_kind"])
    assert decisions.loc[second, "outcome"] == "excluded" and decisions.loc[second, "redirect_kind"] == "referral"
    assert decisions.loc[second, "track"] == "transfer_department"
    assert decisions.loc[first, "rules_ref"] == "screening@2026.1" and decisions.loc[first, "triage_ref"].startswith("triage@")
    # Ticket dates follow the triage file from the day the proposal came in.
    received = date.fromisoformat(str(frame.set_index("id").loc[second, "created_at"])[:10])
    expected = follow_up(screen(str(second), "others_duty", load_screening_rules()), received, load_triage_rules())
    assert decisions.loc[second, "resolution_due"] == expected.resolution_due.isoformat()


def test_skip_moves_a_proposal_to_the_end(ws):
    d = desk(ws)
    first = d.current["id"]
    d.skip()
    assert d.current["id"] != first
    for _ in range(3):
        d.deliberate.value = "culture"
        d.decide()
    assert d.current["id"] == first


def test_overdue_tickets_are_listed(ws):
    d = desk(ws, today=date(2027, 1, 1))
    d.excluded.value = "illegal"
    d.decide()
    assert "linli-overdue" in d.overdue.value and "<table>" in d.overdue.value


def test_excluded_decision_without_redirect_refused_by_database(ws):
    pid = ws.store.screening_queue()[0]
    decision = screen(str(pid), "illegal", load_screening_rules())
    ticket = follow_up(decision, date(2026, 4, 1), load_triage_rules())
    dropped = decision.__class__(**{**decision.__dict__, "redirect": None})
    with pytest.raises(StoreError):
        ws.store.record_screening(pid, dropped, ticket)
    assert ws.store.record_screening(pid, decision, ticket)
    assert not ws.store.record_screening(pid, decision, ticket)  # once
    assert len(ws.store.screening_frame()) == 1


def test_card_shows_hostile_text_as_text(ws):
    from toolkit.proposals import Draft, check

    draft = Draft(submission_id="hostile-000001", title="<img src=x onerror=alert(1)>", problem="${x} `y`", why="", suggestion="<script>z</script>", category="safety", compound_id="S1C1Y1")
    ws.store.add_proposal(check(draft, ws.rules, ws.district), created_at="2020-01-01T00:00:00.000+00:00")
    d = desk(ws)
    assert "&lt;img src=x onerror=alert(1)&gt;" in d.card.value and "<img" not in d.card.value
    assert "&#36;{x} &#96;y&#96;" in d.card.value and "<script>" not in d.card.value
