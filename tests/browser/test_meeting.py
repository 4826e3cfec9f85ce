"""The meeting load test at a small size (benchmarks/meeting.py; issue 13 item 4) on the
240-proposal demo. Behaviour only, no timings.

VOTE: three chromium tablets that start at the resident home page and five websocket tablets
each cast a ballot with a one-time code: every tablet got a receipt, the database holds exactly
the ballots cast, and no kernel is left once the tablets closed. PROPOSE: three websocket tablets
submit a proposal each while the staff live map is open on the projector: each is stored and
shows on the projector page."""

from __future__ import annotations

import pytest

from benchmarks.meeting import prepare_vote_round, run_propose_meeting, run_vote_meeting
from tests.browser.harness import kernels, start_servers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    from toolkit.demo import build_demo_database

    db = str(tmp_path_factory.mktemp("meeting-db") / "linli.sqlite")
    build_demo_database(db, count=240)
    running = start_servers(db, tmp_path_factory.mktemp("voila-meeting"))
    yield db, running
    for r in running.values():
        r.stop()


@pytest.mark.parametrize("client, n", [("browser", 3), ("ws", 5)])
def test_every_tablet_gets_a_receipt_and_its_ballot_is_stored(meeting, client, n):
    db, servers = meeting
    resident = servers["resident"]
    round_id, codes = prepare_vote_round(db, n)
    result = run_vote_meeting(resident.base + "/", codes, n, client, open_within=3.0, round_id=round_id,
                              from_home=client == "browser", db_url=db, server_pid=resident.proc.pid, settle=5.0, timeout=240)
    assert result.failures == []
    assert result.ballots_cast == n and len(result.receipt_s) == n and len(result.usable_s) == n
    assert result.stored == n
    assert result.kernels_after == 0 and kernels(resident) == []


def test_every_proposal_is_stored_and_shows_on_the_projector(meeting):
    db, servers = meeting
    resident = servers["resident"]
    from toolkit.store import open_store

    before = open_store(db).count_proposals()
    result = run_propose_meeting(resident.base + "/", servers["staff"].url("live-map"), 3, "ws", open_within=2.0,
                                 db_url=db, server_pid=resident.proc.pid, settle=5.0, timeout=240)
    assert result.failures == []
    assert result.ballots_cast == 3 and result.stored == 3 and len(result.seen_s) == 3
    assert open_store(db).count_proposals() == before + 3
    assert result.kernels_after == 0
