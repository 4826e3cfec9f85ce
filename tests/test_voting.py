"""Running a budget round end to end without a browser, on SQLite and PostgreSQL: codes,
ballots checked twice, the race of 60 submissions over 50 codes, paper double entry, and the
result equal to `linli pb allocate` on the exported .pb."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys

import pytest

from toolkit.errors import StoreError, ValidationError
from toolkit.labels import Label
from toolkit.rounds import Approval, Fund, Knapsack, Project, RoundSettings
from toolkit.store import open_store
from toolkit.voting import cast, close_round, count_paper, create_round, enter_paper, issue_codes, paper_status, results, update_round

FAST = 2**8  # scrypt cost for tests (production default 2**14)


def settings(ballot=None, rule="greedy-votes") -> RoundSettings:
    projects = (
        Project("A", Label("充电棚", "Charging shed"), 180_000_00),
        Project("B", Label("凉亭", "Pavilion"), 66_000_00),
        Project("C", Label("文化墙", "Culture wall"), 20_000_00),
        Project("D", Label("口袋公园", "Pocket park"), 250_000_00),
        Project("E", Label("助餐点", "Meal service"), 90_000_00),
    )
    funds = (Fund("shared", Label("共有资金", "Shared income"), 300_000_00),)
    return RoundSettings("r1", Label("锦绣花园共有收益", "Jinxiu shared income"), projects, funds, ballot or Knapsack(), rule=rule)


@pytest.fixture
def store(db_url):
    return open_store(db_url)


def test_codes_ballots_and_rules_checked_in_python(store):
    rid = create_round(store, settings(), scrypt_n=FAST)
    codes = issue_codes(store, rid, 3)
    assert len(set(codes)) == 3 and all(len(c) == 11 for c in codes)
    with pytest.raises(ValidationError) as err:
        cast(store, rid, codes[0], {"projects": ["A"]}, submission_id="sub-000001")
    assert err.value.errors["code"].en == "Voting is not open."
    store.set_round_status(rid, "open")
    with pytest.raises(ValidationError) as err:  # forced over budget in the browser
        cast(store, rid, codes[0], {"projects": ["A", "D"]}, submission_id="sub-000002")
    assert "130,000" in err.value.errors["projects"].zh and "over the budget" in err.value.errors["projects"].en
    typo = codes[0][:-1] + ("3" if codes[0][-1] != "3" else "4")
    with pytest.raises(ValidationError):
        cast(store, rid, typo, {"projects": ["A"]}, submission_id="sub-000003")
    receipt, created = cast(store, rid, codes[0].lower(), {"projects": ["A", "B"]}, submission_id="sub-000004")
    assert created
    assert cast(store, rid, codes[0], {"projects": ["A", "B"]}, submission_id="sub-000004") == (receipt, False)
    with pytest.raises(ValidationError) as err:
        cast(store, rid, codes[0], {"projects": ["C"]}, submission_id="sub-000005")
    assert "已经投过票" in err.value.errors["code"].zh
    with pytest.raises(ValidationError):  # settings frozen now
        update_round(store, rid, settings(rule="mes:cost:add1"))
    assert store.counted_ballots(rid) == [{"A": 1, "B": 1}]


def _vote(db: str, rid: int, code: str, n: int, barrier) -> str:
    store = open_store(db)
    barrier.wait()
    try:
        return cast(store, rid, code, {"projects": ["B", "C"]}, submission_id=f"race-{n:04d}")[0]
    except ValidationError as exc:
        return "refused:" + next(iter(exc.errors.values())).en


def test_sixty_parallel_submissions_with_fifty_codes_store_fifty(db_url):
    store = open_store(db_url)
    rid = create_round(store, settings(), scrypt_n=FAST)
    codes = issue_codes(store, rid, 50)
    store.set_round_status(rid, "open")
    jobs = [(db_url, rid, codes[i], i) for i in range(50)] + [(db_url, rid, codes[i], 50 + i) for i in range(10)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(60)
        with ctx.Pool(60) as pool:
            outcome = pool.starmap(_vote, [(*job, barrier) for job in jobs])
    refused = [o for o in outcome if o.startswith("refused:")]
    assert len(refused) == 10 and all("already been used" in o for o in refused)
    assert store.turnout(rid)["ballots"] == 50 and len(store.counted_ballots(rid)) == 50
    # A tablet that lost its connection sends the same submission again: nothing new.
    accepted = [(j, o) for j, o in zip(jobs, outcome) if not o.startswith("refused:")]
    (db, _rid, code, n), receipt = accepted[0]
    assert cast(store, rid, code, {"projects": ["B", "C"]}, submission_id=f"race-{n:04d}") == (receipt, False)
    assert store.turnout(rid)["ballots"] == 50


def test_paper_double_entry_mismatch_kept_out_until_resolved(store):
    rid = create_round(store, settings(Approval(min_picks=1, max_picks=3)), scrypt_n=FAST)
    issue_codes(store, rid, 1)  # voting opens only once codes are issued (migration 8)
    store.set_round_status(rid, "open")
    enter_paper(store, rid, "0001", "张敏", {"projects": ["A", "B"]})
    enter_paper(store, rid, "0001", "刘洋", {"projects": ["A", "B"]})
    enter_paper(store, rid, "0002", "张敏", {"projects": ["C"]})
    enter_paper(store, rid, "0002", "刘洋", {"projects": ["C", "E"]})  # a typing slip
    enter_paper(store, rid, "0003", "张敏", {"projects": ["C"]})
    # the same operator again with the same content is a resubmission (a reload): recorded once
    assert enter_paper(store, rid, "0003", "张敏", {"projects": ["C"]}) == "already"
    with pytest.raises(ValidationError):  # the second entry must come from another operator
        enter_paper(store, rid, "0003", "张敏", {"projects": ["D"]})
    assert len(store.paper_entries_frame(rid).query("serial == '0003'")) == 1
    status = paper_status(store, rid)
    assert status["0001"].status == "agreed"
    assert status["0002"].status == "mismatch" and status["0002"].differences == ("projects.E",)
    assert count_paper(store, rid) == 1
    assert store.counted_ballots(rid) == [{"A": 1, "B": 1}]
    enter_paper(store, rid, "0002", "王强", {"projects": ["C"]}, resolver=True)  # a third look at the paper
    assert paper_status(store, rid)["0002"].status == "resolved"
    assert count_paper(store, rid) == 1 and count_paper(store, rid) == 0  # once each
    assert sorted(store.counted_ballots(rid), key=sorted) == [{"A": 1, "B": 1}, {"C": 1}]  # ballot ids are random: no order
    with pytest.raises(StoreError):
        enter_paper(store, rid, "0002", "赵六", {"projects": ["C"]}, resolver=True)  # one resolver per paper


@pytest.mark.parametrize("rule", ["greedy-votes", "mes:cost:add1-greedy"])
def test_closed_round_result_equals_cli_on_exported_pb(store, rule, tmp_path):
    rid = create_round(store, settings(rule=rule), scrypt_n=FAST)
    codes = issue_codes(store, rid, 7)
    store.set_round_status(rid, "open")
    votes = [["A"], ["A", "B"], ["A", "C"], ["B", "C", "E"], ["D"], ["D", "C"], ["E", "B", "C"]]
    for n, (code, picks) in enumerate(zip(codes, votes)):
        cast(store, rid, code, {"projects": picks}, submission_id=f"close-{n:04d}")
    with pytest.raises(Exception):
        results(store, rid)  # no result before close
    closed = close_round(store, rid)
    path = tmp_path / "round.pb"
    path.write_text(closed.pabulib, encoding="utf-8")
    name, _, rest = rule.partition(":")
    args = ["--rule", name] + (["--utility", rest.split(":")[0], "--completion", rest.split(":")[1]] if rest else [])
    out = subprocess.run([sys.executable, "-m", "toolkit.cli", "pb", "allocate", str(path), *args, "--json"], capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)
    assert sorted(cli["selected"]) == sorted(closed.result.allocation.selected)
    assert set(closed.result.explanations) == {"A", "B", "C", "D", "E"}


def test_paper_entry_only_while_open(store):
    rid = create_round(store, settings(Approval(min_picks=1, max_picks=3)), scrypt_n=FAST)
    with pytest.raises(ValidationError):
        enter_paper(store, rid, "0001", "张敏", {"projects": ["A"]})
    with pytest.raises(StoreError, match="not open"):  # and the database says the same
        store.add_paper_entry(rid, "0001", "张敏", "first", {"A": 1})
    assert len(store.paper_entries_frame(rid)) == 0
