"""The meeting load test at a small size (benchmarks/meeting.py; issue 13 item 4): three chromium
tablets that start at the resident home page and five websocket tablets each cast a ballot with a
one-time code on the 240-proposal demo. Behaviour only, no timings: every tablet got a receipt,
the database holds exactly the ballots cast, and no kernel is left once the tablets closed."""

from __future__ import annotations

import pytest

from benchmarks.meeting import prepare_vote_round, run_vote_meeting
from tests.browser.harness import kernels, start_servers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    from toolkit.demo import build_demo_database

    db = str(tmp_path_factory.mktemp("meeting-db") / "linli.sqlite")
    build_demo_database(db, count=240)
    running = start_servers(db, tmp_path_factory.mktemp("voila-meeting"))
    yield db, running["resident"]
    for r in running.values():
        r.stop()


@pytest.mark.parametrize("client, n", [("browser", 3), ("ws", 5)])
def test_every_tablet_gets_a_receipt_and_its_ballot_is_stored(meeting, client, n):
    db, resident = meeting
    round_id, codes = prepare_vote_round(db, n)
    result = run_vote_meeting(resident.base + "/", codes, n, client, open_within=3.0, round_id=round_id,
                              from_home=client == "browser", db_url=db, server_pid=resident.proc.pid, settle=5.0, timeout=240)
    assert result.failures == []
    assert result.ballots_cast == n and len(result.receipt_s) == n and len(result.usable_s) == n
    assert result.stored == n
    assert result.kernels_after == 0 and kernels(resident) == []
