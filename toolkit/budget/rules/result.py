"""The one result type of every rule: the selection, its cost, and the trace that explains it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from toolkit.budget.rules.spec import RuleSpec


@dataclass(frozen=True, slots=True)
class Decision:
    """Why one project was funded or not.

    ``reason`` is a code explained in :mod:`toolkit.budget.explain`; ``step`` is the greedy rank or the
    MES/Phragmén round (1-based) where the decision fell, ``None`` when it never came up; ``numbers``
    holds the figures (money in currency units as exact ``Fraction``)."""

    project: str
    funded: bool
    reason: str
    step: int | None = None
    numbers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a rule run, in order (``kind``: fund, skip, stop, completion)."""

    index: int
    kind: str
    project: str | None
    numbers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Allocation:
    """Outcome of :func:`toolkit.budget.allocate`.

    ``selected`` is in the order the rule picked projects; ``total_cost`` and ``budget`` are exact
    currency amounts; ``welfare`` is set for max-welfare rules; ``decisions`` has one entry per project."""

    spec: RuleSpec
    selected: tuple[str, ...]
    total_cost: Fraction
    budget: Fraction
    steps: tuple[Step, ...]
    decisions: Mapping[str, Decision]
    welfare: Fraction | None = None
    seconds: float = 0.0  # wall-clock time of the rule (everything after parsing: utilities, grouping, run)
    cpu_seconds: float = 0.0  # the same span in this process's CPU time (robust on a busy machine)

    @property
    def left(self) -> Fraction:
        return self.budget - self.total_cost

    def funded(self, project: str) -> bool:
        return self.decisions[project].funded
