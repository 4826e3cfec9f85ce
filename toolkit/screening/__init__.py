"""Screening (七议五不议) and triage (三快二提一转): pure functions over versioned rule files.

>>> from toolkit.screening import load_screening_rules, screen
>>> screen("A7K2", "safety", load_screening_rules()).outcome
'deliberated'
"""

from toolkit.screening.decisions import DELIBERATED, EXCLUDED, Redirect, ScreeningDecision, screen
from toolkit.screening.rules import (
    ExcludedKind,
    MatterKind,
    ScreeningRules,
    Track,
    TriageRules,
    check_rules_agree,
    load_screening_rules,
    load_triage_rules,
    parse_screening_rules,
    parse_triage_rules,
)
from toolkit.screening.triage import OVERDUE_COLUMNS, Ticket, follow_up, overdue, triage

__all__ = [
    "DELIBERATED", "EXCLUDED", "ExcludedKind", "MatterKind", "OVERDUE_COLUMNS", "Redirect",
    "ScreeningDecision", "ScreeningRules", "Ticket", "Track", "TriageRules", "check_rules_agree",
    "follow_up", "load_screening_rules", "load_triage_rules", "overdue", "parse_screening_rules",
    "parse_triage_rules", "screen", "triage",
]
