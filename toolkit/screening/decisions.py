"""Screening a proposal: deliberated, or excluded with a reason code, a plain sentence for the
proposer and a redirect.

Design decisions
----------------
* The screener (facilitator or co-creation group) chooses the kind; :func:`screen` turns that
  choice into a decision that is complete enough to store and to feed back: outcome, reason
  code, zh + en sentence, redirect, and the rule file's ``name@version``.
* An excluded decision always carries a :class:`Redirect` (referral to a responsible party or a
  quick-fix ticket) with a triage track, so :func:`toolkit.screening.triage.follow_up` can open a
  ticket for it — nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.screening.rules import ExcludedKind, ScreeningRules

DELIBERATED = "deliberated"
EXCLUDED = "excluded"


@dataclass(frozen=True)
class Redirect:
    """Where an excluded proposal goes instead of a meeting."""

    kind: str  # "referral" or "quick_fix"
    to: Label
    track: str  # triage track id


@dataclass(frozen=True)
class ScreeningDecision:
    """The outcome of screening one proposal; ``rules_ref`` records the rule file used."""

    proposal_id: str
    outcome: str  # "deliberated" or "excluded"
    code: str  # the kind id chosen: a deliberated kind, or the exclusion reason code
    kind_label: Label
    message: Label  # the plain sentence for the proposer
    redirect: Redirect | None
    rules_ref: str
    note: str = ""

    @property
    def deliberated(self) -> bool:
        return self.outcome == DELIBERATED


def screen(proposal_id: str, code: str, rules: ScreeningRules, *, note: str = "") -> ScreeningDecision:
    """Screen a proposal as kind ``code`` (an id from either list of the rule file).

    >>> from toolkit.screening.rules import load_screening_rules
    >>> d = screen("A7K2", "others_duty", load_screening_rules())
    >>> (d.outcome, d.redirect.kind, d.redirect.track)
    ('excluded', 'referral', 'transfer_department')
    """
    try:
        kind = rules.kind(code)
    except KeyError:
        raise ValidationError(
            {"code": Label(f"未知的类别“{code}”，可选：{'、'.join(rules.ids)}", f"unknown kind {code!r}; choose one of: {', '.join(rules.ids)}")}
        ) from None
    if not isinstance(kind, ExcludedKind):
        message = rules.messages[DELIBERATED]
        text = Label(message.zh.format(kind=kind.label.zh), message.en.format(kind=kind.label.en))
        return ScreeningDecision(proposal_id, DELIBERATED, code, kind.label, text, None, rules.ref, note)
    message = rules.messages[kind.redirect]
    text = Label(
        message.zh.format(kind=kind.label.zh, to=kind.to.zh, guidance=kind.guidance.zh),
        message.en.format(kind=kind.label.en, to=kind.to.en, guidance=kind.guidance.en),
    )
    return ScreeningDecision(proposal_id, EXCLUDED, code, kind.label, text, Redirect(kind.redirect, kind.to, kind.track), rules.ref, note)
