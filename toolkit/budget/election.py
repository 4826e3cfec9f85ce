"""The election model: projects with integer costs, a budget, and ballots stored as compact arrays.

Money is exact: costs and the budget are integers in *money units*; ``money_scale`` says how many units
make one unit of currency (1 for every file whose costs are whole numbers; 10 for a file with costs like
``4000.5``).  Points (cumulative/scoring ballots) are integers in the same way, with ``points_scale``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
"""Ballot formats of the pabulib standard."""


@dataclass(frozen=True, slots=True)
class Project:
    """One project: its id (compared as a string, as pabutools does), cost in money units, and the
    optional pabulib columns.  ``fields`` keeps every column of the PROJECTS row as written, in order,
    so an election writes back unchanged."""

    id: str
    cost: int
    name: str = ""
    categories: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Ballots:
    """All ballots in compressed-row form.

    Voter ``v`` named projects ``items[indptr[v]:indptr[v+1]]`` (indices into ``Election.projects``),
    in ballot order (for ordinal ballots: most preferred first).  ``points`` holds the matching points
    for cumulative/scoring ballots and is ``None`` otherwise.  ``voter_ids`` and ``columns``/``rows``
    keep the other VOTES columns for writing the file back.
    """

    indptr: np.ndarray
    items: np.ndarray
    points: np.ndarray | None = None
    voter_ids: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    @property
    def count(self) -> int:
        return int(self.indptr.shape[0] - 1)

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def voters(self) -> np.ndarray:
        """The voter index of every entry of ``items``."""
        return np.repeat(np.arange(self.count), self.lengths())

    def positions(self) -> np.ndarray:
        """0-based position of every entry inside its ballot."""
        return np.arange(self.items.shape[0]) - np.repeat(self.indptr[:-1], self.lengths())


@dataclass(frozen=True, slots=True)
class Election:
    """An election: META, projects, budget (money units) and ballots."""

    projects: tuple[Project, ...]
    budget: int
    ballots: Ballots
    vote_type: str = "approval"
    meta: Mapping[str, str] = field(default_factory=dict)
    money_scale: int = 1
    points_scale: int = 1

    @property
    def num_voters(self) -> int:
        return self.ballots.count

    def costs(self) -> np.ndarray:
        return np.array([p.cost for p in self.projects], dtype=np.int64)

    def project_index(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.projects)}

    def money(self, units: int | Fraction) -> Fraction:
        """Money units -> currency, exactly."""
        return Fraction(units) / self.money_scale

    @classmethod
    def from_ballots(
        cls,
        projects: Iterable[Project | tuple[str, int]],
        ballots: Iterable[Sequence[str] | Mapping[str, int]],
        budget: int,
        vote_type: str = "approval",
        meta: Mapping[str, str] | None = None,
    ) -> "Election":
        """Build an election in memory.

        ``projects``: ``Project`` objects or ``(id, cost)`` pairs with integer costs.  ``ballots``: for
        approval/choose-1/ordinal a sequence of project ids (ordinal: best first); for
        cumulative/scoring a mapping id -> integer points.

        >>> e = Election.from_ballots([("a", 3), ("b", 2)], [["a"], ["a", "b"]], budget=4)
        >>> e.num_voters, e.ballots.items.tolist()
        (2, [0, 0, 1])
        """
        if vote_type not in VOTE_TYPES:
            raise ValueError(f"unknown vote_type {vote_type!r}; use one of {', '.join(VOTE_TYPES)}")
        plist = []
        for p in projects:
            if not isinstance(p, Project):
                pid, cost = p
                p = Project(str(pid), int(cost), fields=(("project_id", str(pid)), ("cost", str(cost))))
            if not isinstance(p.cost, int) or p.cost < 0:
                raise ValueError(f"project {p.id!r}: cost must be a non-negative integer, got {p.cost!r}")
            plist.append(p)
        index = {p.id: i for i, p in enumerate(plist)}
        if len(index) != len(plist):
            raise ValueError("project ids must be unique")
        scored = vote_type in ("cumulative", "scoring")
        indptr, items, points = [0], [], []
        for n, ballot in enumerate(ballots):
            entries = list(ballot.items()) if scored else [(pid, 1) for pid in ballot]
            seen = set()
            for pid, pts in entries:
                if pid not in index:
                    raise ValueError(f"ballot {n}: unknown project {pid!r}; known: {', '.join(sorted(index))}")
                if pid in seen:
                    raise ValueError(f"ballot {n}: project {pid!r} named twice")
                seen.add(pid)
                items.append(index[pid])
                points.append(int(pts))
            indptr.append(len(items))
        meta = dict(meta or {})
        meta.setdefault("vote_type", vote_type)
        meta.setdefault("budget", str(budget))
        b = Ballots(
            indptr=np.asarray(indptr, dtype=np.int64),
            items=np.asarray(items, dtype=np.int64),
            points=np.asarray(points, dtype=np.int64) if scored else None,
            voter_ids=tuple(str(i) for i in range(len(indptr) - 1)),
        )
        return cls(tuple(plist), int(budget), b, vote_type, meta)
