"""Public notices (公示) at each decision: a screening meeting's results, a round's result, a
frozen plan, an acceptance. Texts from templates/rules/notices.toml with personal data masked;
a page on the resident server and a PDF; objections with their answers published."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import TYPE_CHECKING

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.markup import yuan
from toolkit.notices import compose_notice, load_notice_rules, mask_contact, mask_text

if TYPE_CHECKING:
    from toolkit.store import Store

OUTCOME = {
    "deliberated": Label("提交议事会讨论", "put to a deliberation meeting"),
    "referral": Label("不上会，转交{to}", "not for a meeting; passed to {to}"),
    "quick_fix": Label("不上会，快办单由{to}跟进", "no meeting needed; a quick-fix ticket followed by {to}"),
}
PLAN_KIND = {"income": Label("收入", "income"), "expense": Label("支出", "expense")}


def _contacts(store: "Store") -> dict[int, str]:
    frame = store.proposals_frame(include_contact=True)
    return {int(i): mask_contact(c) for i, c in zip(frame.id, frame.contact)}


def _publish(store: "Store", kind: str, subject: str, text, points: list, *, actor: str, corrects: int | None, rules) -> int:
    from toolkit.store.core import now_iso
    from toolkit.store.notices import publish

    row = {"kind": kind, "subject": subject, "title_zh": text.title.zh, "title_en": text.title.en, "body_zh": text.body.zh,
           "body_en": text.body.en, "points": json.dumps(points, ensure_ascii=False), "published_at": now_iso(), "ends_on": text.ends_on,
           "corrects": corrects, "template_ref": rules.ref}
    return publish(store, row, actor=actor)


def _old(store: "Store", corrects: int | None) -> dict | None:
    from toolkit.store.notices import notice

    if corrects is None:
        return None
    old = notice(store, corrects)
    if old is None:
        raise ValidationError({"corrects": Label(f"没有第 {corrects} 号公示", f"there is no notice no. {corrects}")})
    return old


def publish_screening(store: "Store", day: date, *, actor: str, period_days: int | None = None, today: date | None = None, corrects: int | None = None) -> int:
    """The screening results of one meeting day."""
    rules = load_notice_rules()
    frame = store.screening_frame()
    frame = frame[frame.decided_at.str[:10] == day.isoformat()]
    if frame.empty:
        raise ValidationError({"day": Label(f"{day} 没有筛选记录", f"nothing was screened on {day}")})
    who = _contacts(store)
    items, points = [], []
    for r in frame.itertuples():
        key = "deliberated" if r.outcome == "deliberated" else r.redirect_kind
        if key == "deliberated":
            outcome = OUTCOME[key]
        else:
            outcome = Label(OUTCOME[key].zh.format(to=r.redirect_to_zh), OUTCOME[key].en.format(to=r.redirect_to_en))
        items.append({"code": r.receipt_code, "title": mask_text(r.title), "proposer": who.get(int(r.proposal_id), "—"), "outcome": outcome})
        p = store.proposal(int(r.proposal_id))
        if p and p["lon"] is not None:
            points.append([p["lon"], p["lat"], mask_text(r.title)])
    text = compose_notice(rules, "screening", {"day": day.isoformat(), "count": len(items)}, items, published=today or date.today(),
                          period_days=period_days, corrects=_old(store, corrects))
    return _publish(store, "screening", f"screening:{day.isoformat()}", text, points, actor=actor, corrects=corrects, rules=rules)


def publish_round(store: "Store", round_id: int, *, actor: str, period_days: int | None = None, today: date | None = None, corrects: int | None = None) -> int:
    """A closed round's result: every project, its votes and the explanation sentence."""
    from toolkit.store.projects import outcomes_frame

    rules = load_notice_rules()
    round_ = store.round(round_id)
    if round_["status"] != "closed":
        raise ValidationError({"round": Label("这一轮投票还没有结束", "this round is not closed yet")})
    out = outcomes_frame(store, round_id).set_index("project_id")
    who = _contacts(store)
    items, points = [], []
    spent = 0
    for p in round_["projects"]:
        o = out.loc[p["project_id"]]
        spent += int(p["cost_fen"]) if o.funded else 0
        name = Label(mask_text(p["name"]), mask_text(p["name_en"]))
        items.append({"project": name, "proposer": who.get(int(p["proposal_id"]), "—") if p.get("proposal_id") is not None else "—",
                      "votes": int(o.votes), "cost": yuan(int(p["cost_fen"])), "explanation": Label(o.explanation_zh, o.explanation_en)})
        if p.get("lon") is not None:
            points.append([p["lon"], p["lat"], name.zh])
    subject = {"round": Label(round_["name"], round_["name"]), "ballots": store.turnout(round_id)["ballots"], "budget": yuan(int(round_["budget_fen"])),
               "funded": int(out.funded.sum()), "spent": yuan(spent)}
    text = compose_notice(rules, "round", subject, items, published=today or date.today(), period_days=period_days, corrects=_old(store, corrects))
    return _publish(store, "round", f"round:{round_id}", text, points, actor=actor, corrects=corrects, rules=rules)


def publish_plan(store: "Store", plan_id: int, *, actor: str, period_days: int | None = None, today: date | None = None, corrects: int | None = None) -> int:
    """A frozen income and expense plan, line by line."""
    rules = load_notice_rules()
    plan = store.plan_record(plan_id)
    if not plan["frozen_at"] or not plan["versions"]:
        raise ValidationError({"plan": Label("计划还没有定稿", "the plan is not final yet")})
    last = plan["versions"][-1]
    items = [{"line": Label(*line["label"]), "amount": yuan(int(line["amount_fen"])), "kind": PLAN_KIND.get(line["kind"], Label(line["kind"], line["kind"]))}
             for line in json.loads(last["lines"])]
    text = compose_notice(rules, "plan", {"plan": Label(plan["name"], plan["name"]), "round_no": last["round_no"]}, items,
                          published=today or date.today(), period_days=period_days, corrects=_old(store, corrects))
    return _publish(store, "plan", f"plan:{plan_id}", text, [], actor=actor, corrects=corrects, rules=rules)


def publish_acceptance(store: "Store", project_id: int, *, actor: str, period_days: int | None = None, today: date | None = None, corrects: int | None = None) -> int:
    """An accepted project: implementer, money, milestones and reviews."""
    from toolkit.store.projects import project

    rules = load_notice_rules()
    p = project(store, project_id)
    if p is None or p["state"] not in ("accepted", "maintenance"):
        raise ValidationError({"project": Label("项目还没有通过验收", "the project has not passed acceptance")})
    who = _contacts(store).get(int(p["proposal_id"]), "—") if p["proposal_id"] is not None else "—"
    name = Label(mask_text(p["name"]), mask_text(p["name_en"]))
    items = [{"on": m["on_date"], "what": Label(f"{mask_text(m['title'])}（{m['progress']}%，累计 {yuan(int(m['spent_fen']))}）",
                                                 f"{mask_text(m['title_en'])} ({m['progress']}%, {yuan(int(m['spent_fen']))} spent)")} for m in p["milestones"]]
    items += [{"on": r["reviewed_on"], "what": Label(("中期评估" if r["kind"] == "midterm" else "结项验收") + ("通过" if r["passed"] else "未通过") + (f"，得分 {r['score']:.2f}" if r["score"] is not None else ""),
                                                      ("Mid-term review" if r["kind"] == "midterm" else "Acceptance review") + (" passed" if r["passed"] else " not passed") + (f", score {r['score']:.2f}" if r["score"] is not None else ""))}
              for r in p["reviews"]]
    subject = {"project": name, "proposer": who, "implementer": mask_text(p["implementer"] or "—"), "budget": yuan(int(p["budget_fen"])),
               "spent": yuan(int(p["spent_fen"])), "accepted": (p["accepted_at"] or "")[:10]}
    points = [[p["lon"], p["lat"], name.zh]] if p["lon"] is not None else []
    text = compose_notice(rules, "acceptance", subject, items, published=today or date.today(), period_days=period_days, corrects=_old(store, corrects))
    return _publish(store, "acceptance", f"project:{project_id}", text, points, actor=actor, corrects=corrects, rules=rules)


def correct(store: "Store", notice_id: int, *, actor: str, period_days: int | None = None, today: date | None = None) -> int:
    """A correction: the same notice made again from today's data, linking the old one (which
    stays published as it was)."""
    from toolkit.store.notices import notice

    old = notice(store, notice_id)
    if old is None:
        raise ValidationError({"notice": Label(f"没有第 {notice_id} 号公示", f"there is no notice no. {notice_id}")})
    what, _, key = old["subject"].partition(":")
    kw = {"actor": actor, "period_days": period_days, "today": today, "corrects": notice_id}
    if what == "screening":
        return publish_screening(store, date.fromisoformat(key), **kw)
    if what == "round":
        return publish_round(store, int(key), **kw)
    if what == "plan":
        return publish_plan(store, int(key), **kw)
    return publish_acceptance(store, int(key), **kw)


def code_hash(code: str) -> str:
    return hashlib.sha256(("linli-objection:" + code.strip().upper().replace(" ", "")).encode()).hexdigest()


def raise_objection(store: "Store", notice_id: int, text: str, *, code: str | None = None, via: str = "receipt",
                    today: date | None = None, actor: str = "resident") -> int:
    """An objection during the notice period, with a receipt code, a voting code of the round
    (round notices), or on paper through staff (``via="paper"``, no code). One per code."""
    from toolkit import voting
    from toolkit.store.core import now_iso
    from toolkit.store.notices import add_objection, notice, objection_by_code

    n = notice(store, notice_id)
    if n is None:
        raise ValidationError({"notice": Label(f"没有第 {notice_id} 号公示", f"there is no notice no. {notice_id}")})
    day = (today or date.today()).isoformat()
    if day > n["ends_on"]:
        raise ValidationError({"notice": Label(f"公示期已于 {n['ends_on']} 结束，不能再提异议", f"the notice period ended on {n['ends_on']}; objections are closed")})
    body = (text or "").strip()
    if not 2 <= len(body) <= 2000:
        raise ValidationError({"text": Label("请写下异议（2–2000 字）", "Write the objection (2–2000 characters)")})
    key = None
    if via == "receipt":
        if not code or store.proposal_by_receipt(code) is None:
            raise ValidationError({"code": Label("没有这个回执码，请核对", "There is no such receipt code; check it")})
        key = code_hash(store.proposal_by_receipt(code)["receipt_code"])
    elif via == "voter":
        what, _, rid = n["subject"].partition(":")
        if what != "round":
            raise ValidationError({"code": Label("这条公示请用回执码提异议", "use a receipt code for this notice")})
        round_ = store.round(int(rid))
        key = voting.hasher(round_).lookup_key(code or "")  # ValidationError on a typo
        if store.code_status(int(rid), key) == "unknown":
            raise ValidationError({"code": Label("没有这个投票码", "There is no such voting code")})
    elif via != "paper":
        raise ValidationError({"via": Label("异议渠道不对", "unknown way of objecting")})
    if key is not None and objection_by_code(store, notice_id, key):
        raise ValidationError({"code": Label("这个码已经对本公示提过异议了", "this code has already objected to this notice")})
    at = now_iso() if today is None else f"{today.isoformat()}T12:00:00.000+00:00"
    return add_objection(store, {"notice_id": int(notice_id), "via": via, "code_hash": key, "text": body, "raised_at": at}, actor=actor)


def answer(store: "Store", objection_id: int, text: str, *, by: str) -> bool:
    """The answer to an objection, published with the notice; once."""
    from toolkit.store.core import now_iso
    from toolkit.store.notices import answer_objection

    body = (text or "").strip()
    if not 2 <= len(body) <= 2000:
        raise ValidationError({"answer": Label("请写下答复（2–2000 字）", "Write the answer (2–2000 characters)")})
    if not answer_objection(store, objection_id, body, by=by, at=now_iso()):
        raise ValidationError({"answer": Label("这条异议已经答复过了", "this objection is already answered")})
    return True


def notice_document(store: "Store", notice_id: int, district=None, *, lang: str = "zh") -> str:
    """The printable HTML of a notice with its objections and a static SVG map."""
    from toolkit.documents import render_notice
    from toolkit.documents.svgmap import svg_map
    from toolkit.store.notices import notice, objections

    n = notice(store, notice_id)
    if n is None:
        raise ValidationError({"notice": Label(f"没有第 {notice_id} 号公示", f"there is no notice no. {notice_id}")})
    points = json.loads(n["points"])
    svg = svg_map(district, points) if district is not None and points else ""
    return render_notice(n, objections(store, notice_id), map_svg=svg, lang=lang)


def notice_pdf(store: "Store", notice_id: int, district=None, *, lang: str = "zh") -> bytes:
    from toolkit.documents import pdf

    return pdf(notice_document(store, notice_id, district, lang=lang))
