"""Open budget rounds (开放式预算): the pure logic under the store tables and pages.

* :mod:`~toolkit.rounds.settings` — candidate projects, funds, ballot type, rule spec; frozen after the first ballot
* :mod:`~toolkit.rounds.ballots`  — :func:`check_ballot`, the one strict check for every ballot
* :mod:`~toolkit.rounds.codes`    — one-time voter codes with a check character; scrypt hashes
* :mod:`~toolkit.rounds.paper`    — double entry of paper ballots and :func:`reconcile`
* :mod:`~toolkit.rounds.plan`     — multi-round income/expense plan, balance check, version diff
* :mod:`~toolkit.rounds.sheets`   — printable A4 sheet of codes with QR (Jinja2 + segno)

Nothing here imports SQL, widgets or the allocation engine.
"""

from toolkit.rounds.ballots import CheckedBallot, admit, check_ballot, voter_key
from toolkit.rounds.codes import CodeHasher, format_code, generate_codes, new_salt, normalise_code
from toolkit.rounds.paper import PaperEntry, PaperResult, counted_ballots, reconcile
from toolkit.rounds.plan import (Plan, PlanDiff, PlanFrozen, PlanLine, PlanProcess, OverdrawnPlan, check_balance,
                                 comment, diff, freeze, propose)
from toolkit.rounds.settings import (Approval, Cumulative, Fund, Knapsack, Project, Ranking, RoundSettings,
                                     SettingsFrozen, change_settings, settings_from_dict, settings_to_dict)

__all__ = ["Approval", "CheckedBallot", "CodeHasher", "Cumulative", "Fund", "Knapsack", "OverdrawnPlan", "PaperEntry",
           "PaperResult", "Plan", "PlanDiff", "PlanFrozen", "PlanLine", "PlanProcess", "Project", "Ranking",
           "RoundSettings", "SettingsFrozen", "admit", "change_settings", "check_balance", "check_ballot", "comment",
           "counted_ballots", "diff", "format_code", "freeze", "generate_codes", "new_salt", "normalise_code",
           "propose", "reconcile", "settings_from_dict", "settings_to_dict", "voter_key"]
