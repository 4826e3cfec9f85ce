"""Races, with spawned processes: drafts published at once from the same base (one wins, the
others are refused), and proposals submitted while a version is being published (none is left
without a placement in the newest version)."""

from __future__ import annotations

import multiprocessing as mp

from toolkit.errors import StoreError
from toolkit.geodata import workflow
from toolkit.store import geodata as stored
from toolkit.store import open_store
from toolkit.workspace import open_workspace


def _publish(db: str, draft_id: int, barrier) -> str:  # child process
    store = open_store(db)
    barrier.wait()
    try:
        version, _ = workflow.publish(store, draft_id, actor=f"planner-{draft_id}")
        return f"published {version}"
    except StoreError as exc:
        return f"refused: {exc}"


def _draft(ws, n: int):
    from toolkit.proposals import Draft

    pt = ws.district.compounds.geometry.iloc[n % 60].representative_point()
    return Draft(submission_id=f"race-submission-{n:04d}", title=f"建议{n}号", problem="路面坑洼", why="", suggestion="修补路面",
                 category=ws.rules.categories[0].id, geometry={"type": "Point", "coordinates": [pt.x, pt.y]},
                 channel=ws.rules.channels[0].id, lang="zh")


def _submit(db: str, n: int, barrier) -> int:  # child process
    ws = open_workspace(db)
    barrier.wait()
    try:
        return ws.submit_proposal(_draft(ws, n)).id
    except Exception as exc:  # not every error pickles: report it as text
        return f"{type(exc).__name__}: {exc}"


def test_drafts_published_at_once_from_the_same_base(db_url):
    store = open_store(db_url)
    drafts = [workflow.open_draft(store) for _ in range(4)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            outcomes = pool.starmap(_publish, [(db_url, d, barrier) for d in drafts])
    assert sorted(o.split(":")[0] for o in outcomes) == ["published 2", "refused", "refused", "refused"], outcomes
    assert all("start a new draft from version 2" in o for o in outcomes if o.startswith("refused"))
    assert stored.current_version(store) == 2
    assert [d["status"] for d in stored.drafts(store, status=None)].count("published") == 1


def test_proposals_submitted_while_publishing_all_get_a_placement(db_url):
    ws = open_workspace(db_url)
    for n in range(10):
        ws.submit_proposal(_draft(ws, 100 + n))
    draft = workflow.open_draft(ws.store)
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(7)
        with ctx.Pool(7) as pool:
            pub = pool.apply_async(_publish, (db_url, draft, barrier))
            ids = pool.starmap(_submit, [(db_url, n, barrier) for n in range(6)])
            assert pub.get(timeout=300).startswith("published 2")
    newest = {p["record_id"] for p in stored.placements(ws.store, 2) if p["kind"] == "proposal"}
    every = {str(i) for i in ws.store.proposals_frame()["id"]}
    assert all(isinstance(i, int) for i in ids), ids
    assert len(every) == 16 and set(map(str, ids)) <= every
    assert every == newest, f"no placement in version 2 for {sorted(every - newest)}"
