"""Feedback messages from status changes, and their delivery (slips, WeChat export).

The hooks (:func:`after_screening`, :func:`after_round_closed`, and those in
:mod:`toolkit.services.projects`) run after the flow's own transaction and are idempotent: one
message per proposal and event, so running a hook twice sends nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.feedback import compose, load_feedback_rules
from toolkit.labels import Label

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.round_results import RoundResult
    from toolkit.store import Store


def after_screening(store: "Store", proposal_id: int) -> bool:
    """The proposer hears the screening decision: its sentence and the triage dates."""
    from toolkit.store.feedback import record_message, status_rows

    d = status_rows(store, int(proposal_id), parts=("decision",))["decision"]
    if d is None:
        return False
    rules = load_feedback_rules()
    message = compose(rules, "screened", sentence=Label(d["message_zh"], d["message_en"]), respond=d["response_due"], resolve=d["resolution_due"])
    return record_message(store, int(proposal_id), "screened", message, rules.ref, actor=d["decided_by"])


def after_round_closed(store: "Store", round_id: int, result: "RoundResult | None" = None) -> int:
    """Once a round is closed: its outcome per project (votes, funded, the explanation the
    results page shows), a project row per funded project, and a message to every proposer.
    Returns how many messages were written."""
    from toolkit import voting
    from toolkit.store.projects import record_round_outcome

    round_ = store.round(round_id)
    if round_["status"] != "closed":
        return 0
    from toolkit.round_results import round_result

    ballots = store.counted_ballots(round_id)
    # The sentences the results page shows, in both languages: a project below the round's minimum
    # support is left out of the election and explained by round_result, not by the engine.
    zh, en = (round_result(round_, ballots, lang=lang) for lang in ("zh", "en"))
    result = result or zh
    explanations = {pid: Label(zh.explanations[pid], en.explanations[pid]) for pid in zh.explanations}
    in_election = {p.id for p in result.election.projects}
    funded = {pid for pid in in_election if result.allocation.funded(pid)}
    votes = {p["project_id"]: sum(1 for b in ballots if p["project_id"] in b) for p in round_["projects"]}
    rules = load_feedback_rules()
    outcomes = []
    for p in round_["projects"]:
        pid = p["project_id"]
        is_funded = pid in funded
        message = None
        if p.get("proposal_id") is not None:
            message = compose(rules, "funded" if is_funded else "not_funded", title=p["name"], round=round_["name"], votes=votes[pid], explanation=explanations[pid])
        outcomes.append({"project": p, "funded": is_funded, "votes": votes[pid], "explanation": explanations[pid], "message": message})
    return record_round_outcome(store, round_id, outcomes, rules.ref)


def slips(store: "Store", *, community_id: str | None = None, lang: str = "zh", public_url: str | None = None) -> str:
    """HTML of the A4 slip sheet of undelivered messages (one community, or all)."""
    from toolkit.documents import render_slips
    from toolkit.store.feedback import messages_frame

    frame = messages_frame(store, undelivered_only=True)
    if community_id:
        frame = frame[frame.community_id == community_id]
    items = []
    for r in frame.itertuples():
        link = f"{public_url}/voila/render/status.ipynb?code={r.receipt_code}" if public_url else None
        items.append({"compound": r.compound_name or "—", "community": r.community_name or "—", "code": r.receipt_code,
                      "title": r.title, "sentence": r.message_en if r.lang == "en" else r.message_zh, "link": link})
    return render_slips(items, lang=lang)


EXPORT_COLUMNS = ("community", "compound", "receipt_code", "title", "message", "created_at", "delivered_at")


def export_frame(store: "Store", *, undelivered_only: bool = True, community_id: str | None = None) -> "pd.DataFrame":
    """Messages for pasting into WeChat groups: one row per message, the proposer's language;
    no contact. Columns: EXPORT_COLUMNS."""
    import pandas as pd

    from toolkit.store.feedback import messages_frame

    frame = messages_frame(store, undelivered_only=undelivered_only)
    if community_id:
        frame = frame[frame.community_id == community_id]
    return pd.DataFrame({
        "community": frame.community_name.fillna("—"),
        "compound": frame.compound_name.fillna("—"),
        "receipt_code": frame.receipt_code,
        "title": frame.title,
        "message": [en if lang == "en" else zh for zh, en, lang in zip(frame.message_zh, frame.message_en, frame.lang)],
        "created_at": frame.created_at.str[:10],
        "delivered_at": frame.delivered_at.fillna("").str[:10],
    }, columns=list(EXPORT_COLUMNS))


def export_csv(store: "Store", **kw) -> str:
    """CSV text (UTF-8 with BOM so Excel opens Chinese correctly); cells that a spreadsheet would
    run as a formula are prefixed with an apostrophe."""
    from toolkit.documents import safe_cells

    return "\ufeff" + safe_cells(export_frame(store, **kw)).to_csv(index=False)


def export_excel(store: "Store", **kw) -> bytes:
    import io

    from toolkit.documents import safe_cells

    buf = io.BytesIO()
    safe_cells(export_frame(store, **kw)).to_excel(buf, index=False, sheet_name="feedback")
    return buf.getvalue()
