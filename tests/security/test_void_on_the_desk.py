"""Finding 3 on the round desk page: a facilitator voids a lost slip and prints its replacement;
issuing codes for a household that has one shows the page's message instead of failing."""

from __future__ import annotations

import json

from toolkit.demo import build_demo_database
from toolkit.ui.rounds import RoundDesk
from toolkit.voting import code_problem
from toolkit.workspace import open_workspace


def test_void_and_reprint_from_the_desk(tmp_path):
    db = tmp_path / "d.sqlite"
    build_demo_database(db, count=8)
    ws = open_workspace(db)
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**4)
    desk.name.value = "一户一票"
    desk.voters.value = "household"
    for pid in list(desk.candidates)[:3]:
        desk.table.pick(pid)
    rid = desk.create()
    assert rid is not None, desk.message.value
    desk.households.value = "3栋501\n3栋502"
    old = desk.make_codes()
    assert len(old) == 2
    assert desk.make_codes() == [] and "3栋501" in desk.codes_link.value  # already has a code: said, not raised
    desk.void_who.value = "3栋501"
    new = desk.void_reprint()
    assert new and new not in old and 'id="linli-reprint-sheet"' in desk.void_message.value
    ws.store.set_round_status(rid, "open")
    assert code_problem(ws.store, rid, old[0]).zh.startswith("这个投票码已作废") and code_problem(ws.store, rid, new) is None
    audit = ws.store.audit_frame()
    assert json.loads(audit[audit.action == "void_code"].iloc[-1].detail)["household"] == "3栋501"
    desk.void_who.value = "不存在的住户"
    assert desk.void_reprint() is None and "linli-error" in desk.void_message.value
