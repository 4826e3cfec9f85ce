"""Triage (三快二提一转): put an item on a track, compute its due dates, list what is overdue.

Design decisions
----------------
* Due dates are ``received + response_days`` and ``received + resolution_days`` in calendar
  days. An item is overdue at a stage when that stage is not done and ``today`` is *after* the
  due date (due today is not yet overdue).
* :func:`overdue` lists outstanding stages only, one row per (item, stage); an item late on
  both its response and its resolution appears twice. A stage done late is history, not
  overdue. Rows are sorted by days late (most first), then item id, then stage.
* A ticket is a frozen value; :meth:`Ticket.respond` / :meth:`Ticket.resolve` return a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Iterable

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.screening.decisions import ScreeningDecision
from toolkit.screening.rules import TriageRules

if TYPE_CHECKING:  # pandas only for the overdue table: a resident's status page needs none
    import pandas as pd

OVERDUE_COLUMNS = ["item_id", "track", "stage", "due", "days_late", "rules_ref"]


@dataclass(frozen=True)
class Ticket:
    """One item on a triage track. ``rules_ref`` records the triage rule file used."""

    item_id: str
    track: str
    received: date
    response_due: date
    resolution_due: date
    rules_ref: str
    responded_on: date | None = None
    resolved_on: date | None = None

    def respond(self, on: date) -> "Ticket":
        return replace(self, responded_on=on)

    def resolve(self, on: date) -> "Ticket":
        return replace(self, resolved_on=on, responded_on=self.responded_on or on)


def triage(item_id: str, track: str, received: date, rules: TriageRules) -> Ticket:
    """Assign ``item_id`` to ``track`` and compute its due dates.

    >>> from toolkit.screening.rules import load_triage_rules
    >>> t = triage("A7K2", "raise_street", date(2026, 3, 20), load_triage_rules())
    >>> (t.response_due.isoformat(), t.resolution_due.isoformat())
    ('2026-03-25', '2026-04-19')
    """
    try:
        spec = rules.track(track)
    except KeyError:
        valid = ", ".join(t.id for t in rules.tracks)
        raise ValidationError({"track": Label(f"未知的分办渠道“{track}”，可选：{valid}", f"unknown track {track!r}; choose one of: {valid}")}) from None
    return Ticket(
        item_id=item_id,
        track=spec.id,
        received=received,
        response_due=received + timedelta(days=spec.response_days),
        resolution_due=received + timedelta(days=spec.resolution_days),
        rules_ref=rules.ref,
    )


def follow_up(decision: ScreeningDecision, received: date, rules: TriageRules) -> Ticket:
    """Open the ticket that follows a screening decision: the redirect's track for an excluded
    proposal, the rule file's ``deliberated_track`` for a deliberated one."""
    track = decision.redirect.track if decision.redirect is not None else rules.deliberated_track
    return triage(decision.proposal_id, track, received, rules)


def overdue(tickets: Iterable[Ticket], today: date) -> pd.DataFrame:
    """Outstanding stages past their due date.

    Columns: ``item_id`` (str), ``track`` (str), ``stage`` ("response" | "resolution"),
    ``due`` (date), ``days_late`` (int, ≥ 1), ``rules_ref`` (str).
    """
    rows = []
    for t in tickets:
        if t.resolved_on is None and t.responded_on is None and today > t.response_due:
            rows.append((t.item_id, t.track, "response", t.response_due, (today - t.response_due).days, t.rules_ref))
        if t.resolved_on is None and today > t.resolution_due:
            rows.append((t.item_id, t.track, "resolution", t.resolution_due, (today - t.resolution_due).days, t.rules_ref))
    rows.sort(key=lambda r: (-r[4], r[0], r[2] != "response"))
    import pandas as pd

    return pd.DataFrame(rows, columns=OVERDUE_COLUMNS)
