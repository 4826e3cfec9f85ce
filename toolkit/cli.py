"""``linli``: the command line. Each command parses arguments, calls one library function,
prints. Errors a user can fix print one line to stderr and exit with status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from toolkit.errors import LinliError


def _demo(args: argparse.Namespace) -> int:
    from toolkit.demo import build_demo_database

    summary = build_demo_database(args.db, force=args.force, loop=not args.no_loop)
    print(summary)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from toolkit.settings import load_settings

    if args.district:
        from toolkit.district import serve_district

        return serve_district(load_settings(), workers=args.workers, debug=args.debug)
    from toolkit.serve import serve

    return serve(load_settings(), debug=args.debug)


def _migrate(args: argparse.Namespace) -> int:
    from toolkit.store import open_store

    store = open_store(args.db, migrate=False)
    applied = store.migrate()
    print(f"schema version {store.schema_version()}; applied {applied or 'nothing'}")
    return 0


def _geodata_check(args: argparse.Namespace) -> int:
    from toolkit.geo import load_district

    d = load_district(args.path)
    print(f"{d.source}: {len(d.streets)} streets, {len(d.communities)} communities, {len(d.compounds)} compounds — OK")
    return 0


def _qgis_export(args: argparse.Namespace) -> int:
    from toolkit.geodata.workflow import export_for_qgis
    from toolkit.store import open_store

    layers = export_for_qgis(open_store(args.db), args.path)
    print(f"{args.path}: {', '.join(layers)} (each with its QGIS style)")
    return 0


def _qgis_import(args: argparse.Namespace) -> int:
    from toolkit.geodata.workflow import import_from_qgis, latest_open_draft
    from toolkit.store import open_store

    store = open_store(args.db)
    draft = latest_open_draft(store, actor="planner")
    n = import_from_qgis(store, draft, args.path, prefix=args.prefix)
    print(f"draft {draft}: {n} features imported from {args.path}; check and publish it in notebooks/planners/edit-geodata.ipynb")
    return 0


def _lab(args: argparse.Namespace) -> int:
    from toolkit.lab import run_lab
    from toolkit.settings import load_settings

    return run_lab(load_settings(), port=args.port, browser=not args.no_browser)


def _panel_create(args: argparse.Namespace) -> int:
    from toolkit.panels import create_panel

    panel_id, codes = create_panel(args.db, args.name, args.rubric, args.project, args.reviewer)
    print(f"panel {panel_id} created. Reviewer codes (shown once; hand each reviewer theirs):")
    for name, code in codes.items():
        print(f"  {name}: {code}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from toolkit.settings import load_settings
    from toolkit.store.backup import backup

    done = backup(args.db or load_settings().db, args.path)
    print(f"backup written: {done.path} ({done.engine}, {done.tables} tables, {done.bytes} bytes, mode 600)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from toolkit.settings import load_settings
    from toolkit.store.backup import restore

    done = restore(args.path, args.db or load_settings().db)
    print(f"restored {done.path} into {args.db or 'LINLI_DB'}: {done.tables} tables")
    return 0


def _register_budget(sub) -> None:
    from toolkit.budget.cli import register

    register(sub)


def _register_scoring(sub) -> None:
    from toolkit.scoring.cli import register  # toolkit.scoring loads pandas

    register(sub)


COMMAND_MODULES = {"pb": _register_budget, "score": _register_scoring}
"""Commands whose module is imported only when they run (or for the full help): ``linli pb ...`` in a fresh
process loads the budget engine, not pandas."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``linli`` parser; with ``command`` (the first argument) of :data:`COMMAND_MODULES`, only that
    command's module is imported, otherwise every command is registered."""
    parser = argparse.ArgumentParser(prog="linli", description="Linli (邻里): participatory planning and budgeting.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the deterministic demo database (~240 proposals)")
    p.add_argument("--db", default=None, help="SQLite path or SQLAlchemy URL (default: LINLI_DB)")
    p.add_argument("--force", action="store_true", help="rebuild even if the database already has proposals")
    p.add_argument("--no-loop", action="store_true", help="proposals only: no screening, rounds, projects, feedback or notices")
    p.set_defaults(func=_demo)

    p = sub.add_parser("backup", help="copy the whole store (SQLite online backup / pg_dump) to a file")
    p.add_argument("path", help="backup file to write (mode 600)")
    p.add_argument("--db", default=None, help="SQLite path or SQLAlchemy URL (default: LINLI_DB)")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="load a backup into an empty database (a new SQLite file or an empty PostgreSQL database)")
    p.add_argument("path", help="backup file written by `linli backup`")
    p.add_argument("--db", default=None, help="target: new SQLite path or empty database URL (default: LINLI_DB)")
    p.set_defaults(func=_restore)

    p = sub.add_parser("serve", help="serve the resident and staff pages with Voila")
    p.add_argument("--debug", action="store_true", help="show tracebacks in pages and logs")
    p.add_argument("--district", action="store_true", help="nginx at one address (LINLI_DISTRICT_PORT) in front of several Voila workers; PgBouncer for a PostgreSQL LINLI_DB")
    p.add_argument("--workers", type=int, default=None, help="with --district: resident workers (default LINLI_WORKERS)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.add_argument("--db", default=None)
    p.set_defaults(func=_migrate)

    p = sub.add_parser("geodata", help="check a geodata source (folder or GeoPackage)")
    p.add_argument("path", nargs="?", default=None)
    p.set_defaults(func=_geodata_check)

    p = sub.add_parser("lab", help="JupyterLab for planners on notebooks/planners (nothing fetched from the internet)")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_lab)

    p = sub.add_parser("qgis", help="GeoPackage round trip with QGIS (styled layers)")
    qgis_sub = p.add_subparsers(dest="qgis_command", required=True)
    c = qgis_sub.add_parser("export", help="current geodata version, open draft, proposals, funded projects, styled")
    c.add_argument("path")
    c.add_argument("--db", default=None)
    c.set_defaults(func=_qgis_export)
    c = qgis_sub.add_parser("import", help="read a GeoPackage edited in QGIS into the open geodata draft")
    c.add_argument("path")
    c.add_argument("--db", default=None)
    c.add_argument("--prefix", default="draft_", help="layer name prefix: draft_ (default) or '' for the version layers")
    c.set_defaults(func=_qgis_import)

    p = sub.add_parser("panel", help="scoring panels for the tally and scoring pages")
    panel_sub = p.add_subparsers(dest="panel_command", required=True)
    c = panel_sub.add_parser("create", help="create a scoring panel and print one reviewer code per reviewer")
    c.add_argument("--db", default=None)
    c.add_argument("--name", required=True)
    c.add_argument("--rubric", default="selection", help="shipped rubric name or a rubric TOML path")
    c.add_argument("--project", action="append", required=True, help="proposal id or receipt code; repeat")
    c.add_argument("--reviewer", action="append", required=True, help="NAME:TIER (community|street|district); repeat")
    c.set_defaults(func=_panel_create)

    for name, register in COMMAND_MODULES.items():
        if command not in COMMAND_MODULES or command == name:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LinliError as exc:
        print(f"linli: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
