"""Linli (邻里): participatory planning and budgeting toolkit.

Domain logic lives in plain modules (``proposals``, ``geo``, ``budget`` ...); SQL only in
``toolkit.store``; widgets only in ``toolkit.ui``. Notebooks and the CLI are thin adapters.
"""

__version__ = "0.1.0"
