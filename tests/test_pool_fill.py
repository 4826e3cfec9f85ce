"""The gate preheated pools fill through (toolkit.pool_fill): one page at a time, home first, and a page
a visitor waits for ahead of the rest. The served behaviour is in tests/browser/test_serve_preheat.py."""

from __future__ import annotations

import asyncio

from tests.browser.harness import in_thread
from toolkit.pool_fill import FillGate


def _run(scenario):
    return in_thread(scenario)


def test_one_at_a_time_home_first_then_in_priority_order():
    async def scenario():
        gate = FillGate(width=1)
        order, running, most = [], 0, 0

        async def fill(name):
            nonlocal running, most
            await gate.acquire(name)
            running += 1
            most = max(most, running)
            order.append(name)
            await asyncio.sleep(0.01)
            running -= 1
            gate.release()

        # the order Voila happens to find the notebooks in
        names = ["status.ipynb", "scoring.ipynb", "notice.ipynb", "vote.ipynb", "propose.ipynb", "home.ipynb"]
        await asyncio.gather(*(fill(n) for n in names))
        return order, most, gate.holding

    order, most, holding = _run(scenario)
    assert most == 1 and holding == 0
    # fills asked for together go in the order a person opens the pages, not the order they asked in
    assert order == ["home.ipynb", "propose.ipynb", "vote.ipynb", "status.ipynb", "scoring.ipynb", "notice.ipynb"]


def test_a_page_a_visitor_waits_for_goes_first():
    async def scenario():
        gate = FillGate(width=1)
        await gate.acquire("home.ipynb")  # a fill in progress
        order = []

        async def fill(name):
            await gate.acquire(name)
            order.append(name)
            gate.release()

        tasks = [asyncio.ensure_future(fill(n)) for n in ("propose.ipynb", "vote.ipynb", "notice.ipynb")]
        await asyncio.sleep(0)
        gate.hurry("notice.ipynb")
        before = gate.waiting()
        gate.release()
        await asyncio.gather(*tasks)
        return before, order

    before, order = _run(scenario)
    assert before == ["notice.ipynb", "propose.ipynb", "vote.ipynb"]
    assert order == before


def test_a_cancelled_fill_gives_its_place_back():
    async def scenario():
        gate = FillGate(width=1)
        await gate.acquire("home.ipynb")
        waiting = asyncio.ensure_future(gate.acquire("propose.ipynb"))
        let_in = asyncio.ensure_future(gate.acquire("vote.ipynb"))
        await asyncio.sleep(0)
        waiting.cancel()  # cancelled while waiting: it leaves the queue
        await asyncio.sleep(0)
        gate.release()  # vote is let in
        await let_in
        also = asyncio.ensure_future(gate.acquire("status.ipynb"))
        await asyncio.sleep(0)
        gate.release()  # status is let in ...
        also.cancel()  # ... and cancelled before it ran: the place must not be lost
        try:
            await also
        except asyncio.CancelledError:
            pass
        last = asyncio.ensure_future(gate.acquire("scoring.ipynb"))
        await asyncio.wait_for(last, 1)
        return gate.holding, gate.waiting()

    holding, waiting = _run(scenario)
    assert holding == 1 and waiting == []
