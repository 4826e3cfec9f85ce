"""Finding 3: one code per household in a household round — unique in the database — and codes
that can be voided (audit-logged) and reprinted. (On the code as it was, issuing codes twice for
the same two households gave 4 valid codes and 4 counted ballots, and nothing could void a code.)"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import DBAPIError

from toolkit.errors import ValidationError
from toolkit.store import open_store
from toolkit.voting import cast, code_problem, create_round, issue_codes, reprint_code, void_code

from .rounds_setup import FAST, Knapsack, settings

HOMES = ["3栋2单元501 王家", "3栋2单元502 李家"]


@pytest.fixture
def household_round(db_url):
    store = open_store(db_url)
    rid = create_round(store, settings(Knapsack(), voters="household"), scrypt_n=FAST)
    return store, rid


def test_issuing_twice_for_the_same_households_is_refused(household_round):
    store, rid = household_round
    codes = issue_codes(store, rid, 2, HOMES)
    with pytest.raises(ValidationError) as err:
        issue_codes(store, rid, 2, HOMES)
    assert "王家" in err.value.errors["households"].zh and "void and reprint" in err.value.errors["households"].en
    with pytest.raises(ValidationError):  # the same household twice in one list
        issue_codes(store, rid, 2, ["5栋101", "5栋101"])
    with pytest.raises(ValidationError):  # a household round needs households
        issue_codes(store, rid, 2)
    store.set_round_status(rid, "open")
    for n, code in enumerate(codes):
        cast(store, rid, code, {"projects": ["C"]}, submission_id=f"page-{n:08d}")
    assert store.turnout(rid)["ballots"] == 2 and store.turnout(rid)["codes_issued"] == 2


def test_the_database_refuses_a_second_live_code_for_a_household(household_round):
    store, rid = household_round
    issue_codes(store, rid, 1, HOMES[:1])
    with pytest.raises(DBAPIError):  # as if Python's check were bypassed
        with store.write() as conn:
            conn.exec_driver_sql(f"INSERT INTO voter_codes (code_hash, round_id, household) VALUES ('forged', {rid}, '{HOMES[0]}')")
    with pytest.raises(DBAPIError, match="household"):  # and a code without a household
        with store.write() as conn:
            conn.exec_driver_sql(f"INSERT INTO voter_codes (code_hash, round_id, household) VALUES ('forged2', {rid}, NULL)")


def test_void_and_reprint(household_round):
    store, rid = household_round
    old, other = issue_codes(store, rid, 2, HOMES)
    store.set_round_status(rid, "open")
    new = reprint_code(store, rid, HOMES[0], reason="纸条遗失")
    assert new != old
    audit = store.audit_frame()
    voided = audit[audit.action == "void_code"]
    assert len(voided) == 1 and json.loads(voided.iloc[0].detail) == {"household": HOMES[0], "reason": "纸条遗失"}
    assert code_problem(store, rid, old).en.startswith("This voting code was voided")
    with pytest.raises(ValidationError) as err:
        cast(store, rid, old, {"projects": ["C"]}, submission_id="page-old-0001")
    assert "voided" in err.value.errors["code"].en
    cast(store, rid, new, {"projects": ["C"]}, submission_id="page-new-0001")
    cast(store, rid, other, {"projects": ["B"]}, submission_id="page-oth-0001")
    with pytest.raises(ValidationError) as err:  # a used code cannot be voided: its ballot is in
        void_code(store, rid, household=HOMES[1])
    assert "already voted" in err.value.errors["code"].en
    with pytest.raises(ValidationError):  # nor reprinted
        reprint_code(store, rid, HOMES[1])
    assert store.turnout(rid)["ballots"] == 2 and store.turnout(rid)["codes_issued"] == 2
    with pytest.raises(DBAPIError, match="voided"):  # a voided code cannot be brought back
        with store.write() as conn:
            conn.exec_driver_sql(f"UPDATE voter_codes SET voided_at = NULL WHERE round_id = {rid} AND voided_at IS NOT NULL")


def test_a_code_round_voids_by_the_code_itself(db_url):
    store = open_store(db_url)
    rid = create_round(store, settings(Knapsack()), scrypt_n=FAST)
    code, _other = issue_codes(store, rid, 2)
    store.set_round_status(rid, "open")
    void_code(store, rid, code_text=code, reason="photographed by someone else")
    with pytest.raises(ValidationError):
        cast(store, rid, code, {"projects": ["C"]}, submission_id="page-000001")
    assert store.turnout(rid)["codes_issued"] == 1
