from datetime import date

import pytest

from toolkit.errors import ValidationError
from toolkit.screening import OVERDUE_COLUMNS, load_triage_rules, overdue, triage

RULES = load_triage_rules()


@pytest.mark.parametrize(
    "track, response, resolution",
    [
        # received Friday 2026-03-20; calendar days
        ("compound_repair", date(2026, 3, 21), date(2026, 3, 23)),  # +1, +3
        ("raise_community", date(2026, 3, 23), date(2026, 4, 4)),  # +3, +15 (11 days left in March, then 4)
        ("transfer_department", date(2026, 3, 25), date(2026, 4, 19)),  # +5, +30
        ("deliberate", date(2026, 3, 27), date(2026, 5, 19)),  # +7, +60 (11 + 30 + 19)
    ],
)
def test_due_dates(track, response, resolution):
    t = triage("A7K2", track, date(2026, 3, 20), RULES)
    assert (t.response_due, t.resolution_due) == (response, resolution)
    assert t.rules_ref == "triage@2026.1"


def test_unknown_track_lists_the_valid_ones():
    with pytest.raises(ValidationError) as info:
        triage("A7K2", "whistle", date(2026, 3, 20), RULES)
    assert "compound_repair" in info.value.errors["track"].en


def test_overdue_lists_outstanding_stages_only():
    received = date(2026, 3, 1)
    tickets = [
        triage("fresh", "compound_repair", date(2026, 3, 9), RULES),  # response due 3-10 = today: not yet overdue
        triage("no-reply", "compound_repair", received, RULES),  # response 3-2, resolution 3-4
        triage("replied", "compound_repair", received, RULES).respond(date(2026, 3, 5)),  # replied late; resolution 3-4
        triage("done", "compound_repair", received, RULES).resolve(date(2026, 3, 8)),  # done late: history, not overdue
        triage("street", "raise_street", received, RULES),  # response 3-6; resolution 3-31
    ]
    table = overdue(tickets, date(2026, 3, 10))
    assert list(table.columns) == OVERDUE_COLUMNS
    rows = list(table[["item_id", "stage", "due", "days_late"]].itertuples(index=False, name=None))
    assert rows == [
        ("no-reply", "response", date(2026, 3, 2), 8),
        ("no-reply", "resolution", date(2026, 3, 4), 6),
        ("replied", "resolution", date(2026, 3, 4), 6),
        ("street", "response", date(2026, 3, 6), 4),
    ]
    assert set(table["rules_ref"]) == {"triage@2026.1"}


def test_nothing_overdue_gives_an_empty_table_with_the_columns():
    table = overdue([triage("x", "deliberate", date(2026, 3, 1), RULES)], date(2026, 3, 2))
    assert table.empty and list(table.columns) == OVERDUE_COLUMNS
