"""What round-desk refuses, refused again by the database (SQLite and PostgreSQL): a candidate
dearer than the whole fund, a fund cut below a candidate, opening with no codes, a minimum
support that is not a whole number ≥ 0."""

from __future__ import annotations

import json

import pytest

from toolkit.errors import StoreError
from toolkit.store import open_store

from tests.store.test_rounds_store import PROJECTS, SETTINGS


def with_min(min_support) -> dict:
    return {**SETTINGS, "full": {"min_support": min_support}}


def test_candidate_dearer_than_fund_refused(db_url):
    s = open_store(db_url)
    dear = [*PROJECTS, dict(project_id="E", name="新楼", name_en="New block", cost_fen=300_000_01, description="")]
    with pytest.raises(StoreError, match="costs more than the whole fund"):
        s.create_round(SETTINGS, dear)
    assert s.rounds() == []
    rid = s.create_round(SETTINGS, PROJECTS)  # 300,000 yuan fund, dearest 250,000: fine
    assert s.round(rid)["budget_fen"] == 300_000_00


def test_fund_cut_below_a_candidate_refused(db_url):
    s = open_store(db_url)
    rid = s.create_round(SETTINGS, PROJECTS)
    with pytest.raises(StoreError, match="costs more than the whole fund"):
        s.update_round_settings(rid, {**SETTINGS, "budget_fen": 249_999_99})
    assert s.round(rid)["budget_fen"] == 300_000_00


def test_voting_opens_only_with_codes(db_url):
    s = open_store(db_url)
    rid = s.create_round(SETTINGS, PROJECTS)
    with pytest.raises(StoreError, match="no voting codes"):
        s.set_round_status(rid, "open")
    assert s.round(rid)["status"] == "draft"
    s.add_voter_codes(rid, [("hash-1", None)])
    s.set_round_status(rid, "open")
    assert s.round(rid)["status"] == "open"


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_min_support_whole_number(db_url, bad):
    s = open_store(db_url)
    with pytest.raises(StoreError, match="refused"):
        s.create_round(with_min(bad), PROJECTS)
    rid = s.create_round(with_min(2), PROJECTS)
    assert json.loads(s.round(rid)["settings"])["full"]["min_support"] == 2
    with pytest.raises(StoreError, match="refused"):
        s.update_round_settings(rid, with_min(bad))
