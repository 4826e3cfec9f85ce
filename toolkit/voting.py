"""Running a budget round: the rounds logic (:mod:`toolkit.rounds`), the store and the budget
engine wired together. Pages and commands call these functions; nothing here draws widgets.

Every ballot is checked in Python (:func:`toolkit.rounds.check_ballot`, the code's check
character) before the store sees it, and the store's database guards check it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.errors import LinliError, ValidationError
from toolkit.labels import Label
from toolkit.proposals import new_receipt_code
from toolkit.rounds import (
    CheckedBallot,
    CodeHasher,
    PaperEntry,
    RoundSettings,
    check_ballot,
    generate_codes,
    new_salt,
    reconcile,
    settings_from_dict,
    settings_to_dict,
)
from toolkit.rounds.codes import format_code
from toolkit.store.rounds import BallotRefused, CodeConflict
from toolkit.text import clean_line

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.round_results import RoundResult
    from toolkit.rounds import PaperResult
    from toolkit.store import Store

REFUSED = {
    "unknown_code": Label("没有这个投票码，请核对后重新输入。", "That voting code does not exist; check it and try again."),
    "used_code": Label("这个投票码已经投过票了，每个码只能用一次。", "This voting code has already been used; each code votes once."),
    "void_code": Label("这个投票码已作废（已补发新码），请使用新的投票码。", "This voting code was voided (a new one was printed); use the new code."),
    "closed": Label("投票还没开始或已经结束。", "Voting is not open."),
    "rule": Label("选票不符合规则，未被保存：{detail}", "The ballot breaks a rule and was not stored: {detail}"),
}


def store_row(s: RoundSettings) -> dict:
    """The store's columns for a round's settings (the full settings go in as JSON too)."""
    b = s.ballot
    n = len(s.projects)
    row = {
        "name": s.name.zh,
        "fund": "、".join(f.name.zh for f in s.funds),
        "budget_fen": s.budget_fen,
        "ballot_type": b.kind,
        "min_picks": 0,
        "max_picks": n,
        "min_spend_fen": 0,
        "points_total": 0,
        "points_cap": 0,
        "rule": s.rule,
        "voter_unit": s.voters,
        "change_policy": "replace" if s.change_policy.startswith("replace") else "none",
    }
    if b.kind == "approval":
        row.update(min_picks=b.min_picks, max_picks=b.max_picks if b.max_picks is not None else n)
    elif b.kind == "knapsack":
        row.update(min_picks=1, min_spend_fen=b.min_spend_fen)
    elif b.kind == "cumulative":
        row.update(points_total=b.points, points_cap=b.per_project_cap if b.per_project_cap is not None else b.points)
    else:
        row.update(min_picks=1, max_picks=b.k)
    return row


def create_round(store: "Store", settings: RoundSettings, *, scrypt_n: int = 2**14, proposal_ids: dict[str, int] | None = None) -> int:
    """Store a new round (draft) with its candidate projects and a fresh code salt."""
    data = {**settings_to_dict(settings), "codes": {"salt": new_salt(), "n": scrypt_n}}
    projects = [
        {
            "project_id": p.id,
            "name": p.name.zh,
            "name_en": p.name.en,
            "cost_fen": p.cost_fen,
            "description": p.description.zh,
            "proposal_id": (proposal_ids or {}).get(p.id),
            "lon": p.location[0] if p.location else None,
            "lat": p.location[1] if p.location else None,
        }
        for p in settings.projects
    ]
    return store.create_round({**store_row(settings), "full": data}, projects)


def round_settings(round_: dict) -> RoundSettings:
    return settings_from_dict(json.loads(round_["settings"])["full"])


def hasher(round_: dict) -> CodeHasher:
    codes = json.loads(round_["settings"])["full"]["codes"]
    return CodeHasher(codes["salt"], n=codes["n"])


def issue_codes(store: "Store", round_id: int, count: int, households: list[str] | None = None) -> list[str]:
    """Generate ``count`` one-time codes, store their hashes, return the codes (shown once).

    A household round needs one household per code, each named once and not holding a live code
    yet (to replace a lost slip use :func:`reprint_code`); the database refuses a second live code
    for a household whatever calls it."""
    round_ = store.round(round_id)
    h = hasher(round_)
    if round_["voter_unit"] == "household":
        homes_given = [clean_line(x) if isinstance(x, str) else "" for x in (households or [])]
        if not homes_given or any(not x for x in homes_given):
            raise ValidationError({"households": Label("一户一票的投票：每个投票码都要写明住户（每行一户）。",
                                                       "a household round: give a household for every code (one per line).")})
        repeated = sorted({x for x in homes_given if homes_given.count(x) > 1})
        if repeated:
            raise ValidationError({"households": Label(f"这些住户写了不止一次：{'、'.join(repeated[:5])}",
                                                       f"these households are listed more than once: {', '.join(repeated[:5])}")})
        households, count = homes_given, len(homes_given)
    codes = list(generate_codes(count))
    homes = households or [None] * count
    try:
        store.add_voter_codes(round_id, [(h.hash(c), home) for c, home in zip(codes, homes)])
    except CodeConflict as exc:
        shown = exc.households[:5]
        raise ValidationError({"households": Label(f"这些住户已经有投票码：{'、'.join(shown)}。遗失的投票码请用“作废并补发”。",
                                                   f"these households already have a code: {', '.join(shown)}. For a lost slip use 'void and reprint'.")}) from None
    return [format_code(c) for c in codes]


def void_code(store: "Store", round_id: int, *, household: str | None = None, code_text: str | None = None, reason: str = "", actor: str = "facilitator") -> None:
    """Void an unused code, named by its household or by the code itself (audit-logged)."""
    from toolkit.errors import StoreError, StoreUnavailable

    if (household is None) == (code_text is None):
        raise ValidationError({"code": Label("请写明住户或投票码（二选一）。", "name the household or the code (one of them).")})
    key = hasher(store.round(round_id)).lookup_key(code_text) if code_text is not None else None
    try:
        store.void_code(round_id, code_hash=key, household=clean_line(household) if household is not None else None, reason=reason, actor=actor)
    except StoreUnavailable:
        raise  # locked, read-only or unreachable: the page says so; nothing was voided
    except StoreError as exc:
        used = "already voted" in str(exc)
        raise ValidationError({"code": Label("这个投票码已经投过票，不能作废。", "this code has already voted and cannot be voided.") if used
                               else Label("没有找到可作废的投票码（住户名或投票码有误，或已作废）。",
                                          "no live code found to void (check the household or code; it may be voided already).")}) from None


def reprint_code(store: "Store", round_id: int, household: str, *, reason: str = "lost", actor: str = "facilitator") -> str:
    """A lost slip: void the household's unused code and issue a new one; returns the new code."""
    void_code(store, round_id, household=household, reason=reason, actor=actor)
    return issue_codes(store, round_id, 1, [household])[0]


def ballot_items(ballot: CheckedBallot) -> dict[str, int]:
    """What the store keeps per project: 1 for a pick, the points, or the rank (1 = first)."""
    if ballot.kind == "cumulative":
        return dict(zip(ballot.projects, ballot.points))
    if ballot.kind == "ranking":
        return {pid: i for i, pid in enumerate(ballot.projects, start=1)}
    return {pid: 1 for pid in ballot.projects}


def check(store: "Store", round_id: int, ballot: Any) -> tuple[dict, CheckedBallot]:
    round_ = store.round(round_id)
    return round_, check_ballot(round_settings(round_), ballot)


def cast(
    store: "Store",
    round_id: int,
    code_text: str,
    ballot: Any,
    *,
    submission_id: str,
    assisted_by: str | None = None,
) -> tuple[str, bool]:
    """Check a ballot and its code in Python, then store it once. Returns (receipt, created);
    raises ValidationError with a plain message (field ``code`` or the ballot's field)."""
    round_, checked = check(store, round_id, ballot)
    key = hasher(round_).lookup_key(code_text)  # ValidationError on a typo
    try:
        return store.cast_ballot(
            round_id,
            ballot_items(checked),
            submission_id=submission_id,
            receipt=new_receipt_code(),
            code_hash=key,
            channel="assisted" if assisted_by else "tablet",
            assisted_by=assisted_by,
        )
    except BallotRefused as exc:
        label = REFUSED[exc.reason]
        if exc.reason == "rule":  # the database's own words are English: only the en text carries them
            label = Label(label.zh.format(detail="请返回修改后再试"), label.en.format(detail=str(exc)))
        raise ValidationError({"code" if exc.reason != "rule" else "ballot": label}) from None


def code_problem(store: "Store", round_id: int, code_text: str) -> Label | None:
    """Before showing the ballot: is this code valid, unused, and the round open? None if fine."""
    round_ = store.round(round_id)
    if round_["status"] != "open":
        return REFUSED["closed"]
    try:
        key = hasher(round_).lookup_key(code_text)
    except ValidationError as exc:
        return next(iter(exc.errors.values()))
    status = store.code_status(round_id, key)
    if status == "unknown":
        return REFUSED["unknown_code"]
    if status == "used" and round_["change_policy"] != "replace":
        return REFUSED["used_code"]
    if status == "voided":
        return REFUSED["void_code"]
    return None


def received(store: "Store", round_id: int, code_text: str, submission_id: str) -> str | None:
    """After a reload (a new kernel) the vote page sends its submission id again: when the code is
    spent and a ballot is stored under that id, the ballot's receipt (it was received; nothing
    more to do), else None. The id comes from the page, so this links nothing the database keeps."""
    round_ = store.round(round_id)
    try:
        key = hasher(round_).lookup_key(code_text)
    except ValidationError:
        return None
    if store.code_status(round_id, key) != "used":
        return None
    return store.ballot_receipt(round_id, submission_id)


def enter_paper(store: "Store", round_id: int, serial: str, operator: str, ballot: Any, *, resolver: bool = False, assisted_by: str | None = None) -> str:
    """One operator's entry of one paper ballot; returns the role it was stored as, or "already"
    when this operator's identical entry of this serial is recorded (a resubmission after a reload
    or a lost reply: nothing is stored twice)."""
    round_, checked = check(store, round_id, ballot)
    if round_["status"] != "open":
        raise ValidationError({"round": REFUSED["closed"]})
    PaperEntry(serial, operator, checked, resolution=resolver)  # checks serial and operator
    frame = store.paper_entries_frame(round_id)
    mine = frame[frame.serial == serial] if len(frame) else frame
    content = json.dumps(checked.to_dict(), sort_keys=True)
    if any(r.operator == operator and (r.role == "resolver") == resolver and r.content == content for r in mine.itertuples()):
        return "already"
    if len(mine) and operator in set(mine.operator) and not resolver:
        raise ValidationError({"operator": Label("同一张选票要由两位不同的录入员各录一次。", "Two different operators must each enter the ballot.")})
    role = "resolver" if resolver else ("first" if not len(mine) or "first" not in set(mine.role) else "second")
    store.add_paper_entry(round_id, serial, operator, role, checked.to_dict(), assisted_by=assisted_by)
    return role


def paper_status(store: "Store", round_id: int) -> dict[str, "PaperResult"]:
    round_ = store.round(round_id)
    settings = round_settings(round_)
    entries = [
        PaperEntry(r.serial, r.operator, check_ballot(settings, json.loads(r.content)), resolution=r.role == "resolver")
        for r in store.paper_entries_frame(round_id).itertuples()
    ]
    return reconcile(entries)


def count_paper(store: "Store", round_id: int) -> int:
    """Turn agreed and resolved paper ballots into counted ballots (once each); mismatches stay
    out of the count until a third operator resolves them. Returns how many were added."""
    added = 0
    for serial, result in paper_status(store, round_id).items():
        if not result.counted:
            continue
        _receipt, created = store.cast_ballot(
            round_id, ballot_items(result.ballot), submission_id=f"paper-{round_id}-{serial}"[:64], receipt=f"P{serial}"[:16], code_hash=None, channel="paper",
        )
        added += created
    return added


@dataclass(frozen=True)
class Closed:
    result: "RoundResult"
    pabulib: str


def close_round(store: "Store", round_id: int, *, lang: str = "zh") -> Closed:
    """Count reconciled paper ballots, close the round, allocate and explain — in one transaction:
    a paper entry or ballot arriving meanwhile is either counted or refused (the round is closed),
    never stored uncounted; if the result cannot be computed, the round stays open."""
    settings = round_settings(store.round(round_id))

    def paper(entries: "pd.DataFrame") -> list[tuple[str, dict[str, int]]]:
        typed = [PaperEntry(r.serial, r.operator, check_ballot(settings, json.loads(r.content)), resolution=r.role == "resolver")
                 for r in entries.itertuples()]
        return [(serial, ballot_items(res.ballot)) for serial, res in reconcile(typed).items() if res.counted and res.ballot is not None]

    def compute(round_: dict, ballots: list[dict[str, int]]) -> Closed:
        from toolkit.round_results import round_pabulib, round_result

        return Closed(round_result(round_, ballots, lang=lang), round_pabulib(round_, ballots))

    closed = store.close_round(round_id, paper, compute)
    # Closing the loop (issue 12): outcomes, funded projects and proposers' messages, after the
    # round's own transaction; idempotent.
    from toolkit.services.feedback import after_round_closed

    after_round_closed(store, round_id, closed.result)
    store.scramble()  # the loop's writes went through the log after the close had emptied it: empty it again
    return closed


def results(store: "Store", round_id: int, *, lang: str = "zh") -> Closed:
    from toolkit.round_results import round_pabulib, round_result

    round_ = store.round(round_id)
    if round_["status"] != "closed":
        raise LinliError("results are shown only after the round is closed")
    ballots = store.counted_ballots(round_id)
    return Closed(round_result(round_, ballots, lang=lang), round_pabulib(round_, ballots))


def update_round(store: "Store", round_id: int, new: RoundSettings) -> None:
    """Change a draft round's settings; refused once the first ballot has arrived."""
    from toolkit.rounds import change_settings

    round_ = store.round(round_id)
    current = round_settings(round_)
    change_settings(current, new, store.turnout(round_id)["ballots"])
    full = {**settings_to_dict(new), "codes": json.loads(round_["settings"])["full"]["codes"]}
    store.update_round_settings(round_id, {**store_row(new), "full": full})
