"""Double entry of paper ballots: agreed, mismatch (with the differing fields), resolved, waiting."""

from __future__ import annotations

import pytest

from toolkit.errors import ValidationError
from toolkit.rounds.ballots import check_ballot
from toolkit.rounds.paper import PaperEntry, counted_ballots, differences, reconcile


def entry(settings, serial, operator, ballot, **kw):
    return PaperEntry(serial, operator, check_ballot(settings, ballot), **kw)


def test_two_operators_agree(approval):
    # the same picks typed in a different order are the same ballot
    results = reconcile([entry(approval, "0001", "A", {"projects": ["p1", "p3"]}),
                         entry(approval, "0001", "B", {"projects": ["p3", "p1"]})])
    r = results["0001"]
    assert (r.status, r.operators, r.differences) == ("agreed", ("A", "B"), ())
    assert r.ballot.projects == ("p1", "p3")
    assert counted_ballots(results) == [r.ballot]


def test_mismatch_lists_the_differing_projects_and_stays_out_of_the_count(approval):
    results = reconcile([entry(approval, "0002", "A", {"projects": ["p1", "p3"]}),
                         entry(approval, "0002", "B", {"projects": ["p1", "p4"], "assisted": True})])
    r = results["0002"]
    assert r.status == "mismatch" and r.ballot is None
    assert r.differences == ("projects.p3", "projects.p4", "assisted")
    assert counted_ballots(results) == []


def test_mismatch_in_points_and_ranking(cumulative, ranking):
    a = check_ballot(cumulative, {"points": {"p1": 4, "p2": 3}})
    b = check_ballot(cumulative, {"points": {"p1": 3, "p2": 3, "p6": 1}})
    assert differences(a, b) == ("points.p1", "points.p6")
    a = check_ballot(ranking, {"ranking": ["p1", "p2", "p3"]})
    b = check_ballot(ranking, {"ranking": ["p1", "p3"]})
    assert differences(a, b) == ("ranking[2]", "ranking[3]")


def test_third_operator_resolves_a_mismatch(approval):
    entries = [entry(approval, "0003", "A", {"projects": ["p1", "p3"]}),
               entry(approval, "0003", "B", {"projects": ["p1", "p4"]}),
               entry(approval, "0003", "C", {"projects": ["p1", "p3"]}, resolution=True)]
    r = reconcile(entries)["0003"]
    assert (r.status, r.operators, r.ballot.projects) == ("resolved", ("A", "B", "C"), ("p1", "p3"))
    assert r.differences == ("projects.p3", "projects.p4")
    assert r.counted


def test_a_resolution_by_one_of_the_typists_does_not_count(approval):
    entries = [entry(approval, "0004", "A", {"projects": ["p1", "p3"]}),
               entry(approval, "0004", "B", {"projects": ["p1", "p4"]}),
               entry(approval, "0004", "A", {"projects": ["p1", "p3"]}, resolution=True)]
    assert reconcile(entries)["0004"].status == "mismatch"


def test_one_entry_waits_and_a_resolution_cannot_replace_the_second_entry(approval):
    entries = [entry(approval, "0005", "A", {"projects": ["p1", "p3"]}),
               entry(approval, "0005", "C", {"projects": ["p1", "p3"]}, resolution=True)]
    assert reconcile(entries)["0005"].status == "waiting"


def test_the_same_operator_twice_is_a_correction_not_a_second_entry(approval):
    entries = [entry(approval, "0006", "A", {"projects": ["p1", "p4"]}),
               entry(approval, "0006", "A", {"projects": ["p1", "p3"]}),
               entry(approval, "0006", "B", {"projects": ["p1", "p3"]})]
    r = reconcile(entries)["0006"]
    assert r.status == "agreed" and r.ballot.projects == ("p1", "p3")
    only_a = reconcile(entries[:2])["0006"]
    assert only_a.status == "waiting"


def test_assisted_flag_is_kept_on_the_counted_ballot(approval):
    results = reconcile([entry(approval, "0007", "A", {"projects": ["p2", "p5"], "assisted": True}),
                         entry(approval, "0007", "B", {"projects": ["p2", "p5"], "assisted": True})])
    assert counted_ballots(results)[0].assisted is True


def test_many_serials_keep_their_order(approval):
    entries = [entry(approval, s, op, {"projects": ["p1", "p2"]}) for s in ("0010", "0009") for op in "AB"]
    assert list(reconcile(entries)) == ["0010", "0009"]


def test_entries_need_a_serial_an_operator_and_a_checked_ballot(approval):
    with pytest.raises(ValidationError) as info:
        PaperEntry(" ", "", {"projects": ["p1", "p2"]})
    assert set(info.value.errors) == {"serial", "operator", "ballot"}
