"""The budget engine: pabulib I/O, the election model, the rules registry, explanations and measures.

>>> from toolkit.budget import Election, allocate, explain
>>> e = Election.from_ballots([("a", 60), ("b", 50), ("c", 40)], [["a"], ["a", "b"], ["c"], ["c"]], budget=100)
>>> allocate(e, "mes:cost:add1").selected
('a', 'c')
"""

from toolkit.budget.election import Ballots, Election, Project
from toolkit.budget.explain import explain, explain_all
from toolkit.budget.measures import Comparison, Measures, compare, measure
from toolkit.budget.pabulib import PabulibError, format_pabulib, parse_pabulib, read_pabulib, write_pabulib
from toolkit.budget.rules import RULES, Allocation, Decision, RuleError, RuleSpec, Step, allocate, rule_specs
from toolkit.budget.runs import allocate_files

__all__ = ["Ballots", "Election", "Project", "explain", "explain_all", "Comparison", "Measures", "compare",
           "measure", "PabulibError", "format_pabulib", "parse_pabulib", "read_pabulib", "write_pabulib", "RULES",
           "Allocation", "Decision", "RuleError", "RuleSpec", "Step", "allocate", "rule_specs", "allocate_files"]
