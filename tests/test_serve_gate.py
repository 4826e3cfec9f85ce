"""The server's admission rules without a server: Host allow-list, login limiter, kernel slots."""

from __future__ import annotations

import pytest

from toolkit.gate import HostAllowList, KernelSlots, LoginLimiter


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("localhost", True),
        ("localhost:8866", True),
        ("LOCALHOST:8866", True),
        ("127.0.0.1:8866", True),
        ("127.0.0.2", True),
        ("[::1]:8866", True),
        ("::1", True),
        ("attacker.example", False),
        ("attacker.example:8866", False),
        ("localhost.attacker.example", False),
        ("127.0.0.1.nip.io", False),
        ("192.168.1.10:8866", False),
        ("", False),
        ("[::ffff:1.2.3.4]", False),
    ],
)
def test_loopback_only_by_default(host, allowed):
    assert HostAllowList.build("127.0.0.1").allows(host) is allowed


def test_listen_address_public_hosts_and_public_url_are_allowed():
    hosts = HostAllowList.build("192.168.1.10", ("meeting.local", "linli.example.org:443"), "http://10.0.0.5:8866")
    for ok in ("192.168.1.10:8866", "meeting.local", "Meeting.Local:8866", "linli.example.org", "10.0.0.5:8866", "localhost"):
        assert hosts.allows(ok), ok
    for bad in ("192.168.1.11", "attacker.example", "evil.meeting.local"):
        assert not hosts.allows(bad), bad


def test_any_address_listen_allows_this_machines_addresses_only():
    from toolkit.gate import machine_addresses

    hosts = HostAllowList.build("0.0.0.0")
    mine = [a for a in machine_addresses() if ":" not in a]
    assert mine, "this machine has an IPv4 address"
    for address in mine:
        assert hosts.allows(f"{address}:8866")
    assert not hosts.allows("203.0.113.77") and not hosts.allows("attacker.example")


def test_five_wrong_logins_in_a_minute_lock_the_address():
    limiter = LoginLimiter(attempts=5, window=60, lockout=900)
    for i in range(4):
        assert not limiter.failed("10.0.0.9", now=i)
    assert not limiter.locked("10.0.0.9", now=4)
    assert limiter.failed("10.0.0.9", now=5), "the fifth wrong attempt locks"
    assert limiter.locked("10.0.0.9", now=6) and limiter.seconds_left("10.0.0.9", now=6) == 899
    assert not limiter.locked("10.0.0.8", now=6), "other addresses are not affected"
    assert limiter.locked("10.0.0.9", now=904)
    assert not limiter.locked("10.0.0.9", now=905), "unlocked after the lockout"


def test_slow_wrong_logins_do_not_lock():
    limiter = LoginLimiter(attempts=5, window=60, lockout=900)
    for i in range(20):
        assert not limiter.failed("10.0.0.9", now=i * 20.0)  # three a minute
    assert not limiter.locked("10.0.0.9", now=400)


def test_kernel_slots_per_client_and_per_server():
    slots = KernelSlots(max_total=3, max_per_client=2)
    assert slots.reserve("a") is None
    slots.started("k1", "a")
    assert slots.reserve("a") is None
    refused = slots.reserve("a")
    assert refused is not None and refused.reason == "client" and refused.limit == 2
    assert slots.reserve("b") is None
    refused = slots.reserve("c")
    assert refused is not None and refused.reason == "server", "reservations count before kernels start"
    slots.release("b")  # b's page failed before its kernel started
    assert slots.reserve("c") is None
    slots.started("k3", "c")
    slots.ended("k1")
    assert slots.held("a") == 1 and slots.held() == 2  # a's second page is still opening
    slots.forget_missing(set())  # k3 died on its own (culled, crashed)
    assert slots.held() == 1 and slots.reserve("d") is None


def test_preheated_kernels_count_against_the_server_cap():
    slots = KernelSlots(max_total=4, max_per_client=0)
    assert slots.reserve("a", unowned=3) is None
    assert slots.reserve("b", unowned=3).reason == "server"


def test_a_kernel_shutting_down_frees_its_slot_at_once():
    """CI found this: the unload beacon frees the slot, but the kernel manager lists the kernel until its
    process has exited; counting it as a preheated kernel meanwhile turned the next visitor away."""
    slots = KernelSlots(max_total=2, max_per_client=2)
    for kid in ("k1", "k2"):
        assert slots.reserve("a") is None
        slots.started(kid, "a")
    slots.ended("k2")  # the page closed; k2's process is still exiting
    alive = {"k1", "k2"}
    slots.forget_missing(alive)
    assert slots.unowned(alive) == 0
    assert slots.reserve("a", unowned=slots.unowned(alive)) is None
    slots.forget_missing({"k1"})  # gone for good: nothing left to remember
    assert slots.ending == set()
    assert slots.unowned({"k1", "pool"}) == 1, "a preheated kernel still counts"
