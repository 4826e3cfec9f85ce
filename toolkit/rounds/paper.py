"""Paper ballots, double entry (双人录入): two operators type the same paper ballot, by its serial.

Each :class:`PaperEntry` holds a ballot already passed through :func:`~toolkit.rounds.ballots.check_ballot`
(the entry form checks it as it is typed). :func:`reconcile` groups entries by serial number:

* ``agreed``   — at least two different operators typed the same ballot: it is counted;
* ``mismatch`` — their ballots differ; ``differences`` names each differing field
  (``projects.p3``, ``points.p2``, ``ranking[2]``, ``assisted``) and the ballot stays out of the
  count until a third operator enters a resolution (``resolution=True``);
* ``resolved`` — a third operator (not one of those who typed it) settled it: it is counted;
* ``waiting``  — fewer than two operators have typed it so far (a resolution cannot stand in for
  the second entry, and is ignored while the two entries agree).

An operator's later entry for the same serial replaces their earlier one (a correction). A
resolution by one of the operators who typed the ballot does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.ballots import CheckedBallot
from toolkit.text import has_control

STATUSES = ("agreed", "mismatch", "resolved", "waiting")
COUNTED = ("agreed", "resolved")


@dataclass(frozen=True)
class PaperEntry:
    """One operator's typing of one paper ballot."""

    serial: str
    operator: str
    ballot: CheckedBallot
    resolution: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, Label] = {}
        if not isinstance(self.serial, str) or not self.serial.strip():
            errors["serial"] = Label("请填写纸质选票编号", "enter the paper ballot's serial number")
        if not isinstance(self.operator, str) or not self.operator.strip():
            errors["operator"] = Label("请填写录入员", "enter the operator")
        for name in ("serial", "operator"):
            value = getattr(self, name)
            if isinstance(value, str) and has_control(value.strip()):
                errors[name] = Label("只能写一行，不能有换行、制表符等控制字符", "one line only, without line breaks, tabs or other control characters")
        if not isinstance(self.ballot, CheckedBallot):
            errors["ballot"] = Label("选票尚未检查", "the ballot has not been checked")
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class PaperResult:
    """The state of one paper serial after reconciling its entries."""

    serial: str
    status: str
    ballot: CheckedBallot | None
    operators: tuple[str, ...]
    differences: tuple[str, ...] = ()

    @property
    def counted(self) -> bool:
        return self.status in COUNTED


def differences(a: CheckedBallot, b: CheckedBallot) -> tuple[str, ...]:
    """Fields in which two checked ballots of the same round differ, most specific first."""
    out: list[str] = []
    if a.kind != b.kind:
        return ("kind",)
    if a.kind == "ranking":
        for i in range(max(len(a.projects), len(b.projects))):
            pa = a.projects[i] if i < len(a.projects) else None
            pb = b.projects[i] if i < len(b.projects) else None
            if pa != pb:
                out.append(f"ranking[{i + 1}]")
    else:
        prefix = "points" if a.kind == "cumulative" else "projects"
        ids = list(dict.fromkeys(a.projects + b.projects))
        out.extend(f"{prefix}.{pid}" for pid in sorted(ids) if a.points_of(pid) != b.points_of(pid))
    if a.assisted != b.assisted:
        out.append("assisted")
    return tuple(out)


def reconcile(entries: Iterable[PaperEntry]) -> dict[str, PaperResult]:
    """Per serial (in first-seen order): agreed, mismatch, resolved or waiting. Entries in time order."""
    typed: dict[str, dict[str, CheckedBallot]] = {}
    resolutions: dict[str, list[PaperEntry]] = {}
    for e in entries:
        if not isinstance(e, PaperEntry):
            raise ValidationError({"entries": Label("不是纸质选票录入记录", "not a paper ballot entry")})
        serial = e.serial.strip()
        typed.setdefault(serial, {})
        if e.resolution:
            resolutions.setdefault(serial, []).append(e)
        else:
            typed[serial].pop(e.operator, None)  # a correction replaces the operator's earlier entry
            typed[serial][e.operator] = e.ballot
    out: dict[str, PaperResult] = {}
    for serial, by_operator in typed.items():
        operators = tuple(by_operator)
        ballots = list(by_operator.values())
        if len(ballots) < 2:
            out[serial] = PaperResult(serial, "waiting", None, operators)
        elif all(b == ballots[0] for b in ballots[1:]):
            out[serial] = PaperResult(serial, "agreed", ballots[0], operators)
        else:
            diff: dict[str, None] = {}
            for b in ballots[1:]:
                diff.update(dict.fromkeys(differences(ballots[0], b)))
            valid_res = [r for r in resolutions.get(serial, []) if r.operator not in by_operator]
            if valid_res:
                last = valid_res[-1]
                out[serial] = PaperResult(serial, "resolved", last.ballot, operators + (last.operator,), tuple(diff))
            else:
                out[serial] = PaperResult(serial, "mismatch", None, operators, tuple(diff))
    return out


def counted_ballots(results: dict[str, PaperResult]) -> list[CheckedBallot]:
    """The ballots that go into the count: agreed and resolved serials only."""
    return [r.ballot for r in results.values() if r.counted and r.ballot is not None]


__all__ = ["COUNTED", "PaperEntry", "PaperResult", "STATUSES", "counted_ballots", "differences", "reconcile"]
