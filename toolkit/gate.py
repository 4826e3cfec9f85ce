"""Who may use a Linli server: the rules, free of any web framework (``toolkit.voila_app`` applies them).

- :class:`HostAllowList` — which ``Host`` headers a server answers (DNS rebinding defence);
- :class:`LoginLimiter` — wrong staff logins per client address, then a lockout;
- :class:`KernelSlots` — how many page kernels a server and one client address may hold;
- :func:`client_address` — the device behind a trusted reverse proxy (``linli serve --district``).

Clocks are passed in (``now`` in seconds, monotonic), so every rule is tested without waiting.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import defaultdict, deque
from dataclasses import dataclass, field

LOOPBACK_NAMES = ("localhost",)


def _strip_port(host: str) -> str:
    """``example.org:8866`` → ``example.org``; ``[::1]:8866`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.rsplit(":", 1)[0]
    return host


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback(address: str) -> bool:
    """``address`` is this machine's loopback (127.0.0.0/8, ::1).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("192.168.1.23"), is_loopback("")
    (True, True, False, False)
    """
    ip = _ip(address)
    return ip is not None and ip.is_loopback


def machine_addresses() -> frozenset[str]:
    """The addresses this machine answers on (for ``LINLI_HOST=0.0.0.0``: tablets use the LAN address)."""
    found: set[str] = set()
    try:
        import psutil  # optional: every interface address

        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family in (socket.AF_INET, socket.AF_INET6):
                    found.add(a.address.split("%", 1)[0].lower())
    except ImportError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]).split("%", 1)[0].lower())
    except OSError:
        pass
    return frozenset(found)


@dataclass(frozen=True)
class HostAllowList:
    """Hosts a server answers: loopback names and addresses, the listen address, public names.

    ``Host: attacker.example`` (a rebinding page in the meeting laptop's browser) is refused.
    """

    names: frozenset[str]
    addresses: frozenset[str]

    @classmethod
    def build(cls, listen_host: str, public_hosts: tuple[str, ...] = (), public_url: str | None = None) -> HostAllowList:
        names = {*LOOPBACK_NAMES}
        addresses: set[str] = set()
        for raw in (listen_host, *public_hosts):
            host = _strip_port(raw) if raw else ""
            if not host:
                continue
            ip = _ip(host)
            if ip is None:
                names.add(host)
            elif ip.is_unspecified:  # 0.0.0.0 / ::: every address of this machine
                addresses |= machine_addresses()
            else:
                addresses.add(str(ip))
        if public_url:
            from urllib.parse import urlsplit

            host = (urlsplit(public_url).hostname or "").lower()
            if host:
                (addresses if _ip(host) else names).add(host)
        return cls(frozenset(names), frozenset(addresses))

    def allows(self, host_header: str) -> bool:
        host = _strip_port(host_header or "")
        if not host:
            return False
        ip = _ip(host)
        if ip is not None:
            return ip.is_loopback or str(ip) in self.addresses
        return host.rstrip(".") in self.names


@dataclass
class LoginLimiter:
    """At most ``attempts`` wrong logins per ``window`` seconds from one address; then locked for ``lockout``."""

    attempts: int = 5
    window: float = 60.0
    lockout: float = 15 * 60.0
    _failures: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    _locked_until: dict[str, float] = field(default_factory=dict)

    def locked(self, address: str, now: float) -> bool:
        until = self._locked_until.get(address)
        if until is None:
            return False
        if now >= until:
            del self._locked_until[address]
            self._failures.pop(address, None)
            return False
        return True

    def seconds_left(self, address: str, now: float) -> int:
        return max(0, int(self._locked_until.get(address, now) - now + 0.999))

    def failed(self, address: str, now: float) -> bool:
        """Record a wrong login; True when this one locks the address."""
        if self.locked(address, now):
            return False
        q = self._failures[address]
        q.append(now)
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.attempts:
            self._locked_until[address] = now + self.lockout
            q.clear()
            return True
        return False


@dataclass(frozen=True)
class Refusal:
    reason: str  # "server" (the server is full) or "client" (this address holds too many pages)
    held: int
    limit: int


@dataclass
class KernelSlots:
    """Page kernels per server and per client address, with reservations for pages being opened.

    A request reserves a slot before its kernel starts (check and reserve happen without a pause, so
    concurrent requests cannot overshoot); the reservation turns into the kernel's slot when it starts,
    or is released if the page fails. Kernels already held are never taken away.
    """

    max_total: int
    max_per_client: int
    owners: dict[str, str] = field(default_factory=dict)  # kernel id → client address
    pending: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ending: set[str] = field(default_factory=set)  # kernels told to shut down, still listed by the manager

    def held(self, address: str | None = None) -> int:
        if address is None:
            return len(self.owners) + sum(self.pending.values())
        return sum(1 for a in self.owners.values() if a == address) + self.pending.get(address, 0)

    def unowned(self, alive: set[str]) -> int:
        """Running kernels that are no page's (a preheated pool); a kernel shutting down is nobody's."""
        return len(alive - set(self.owners) - self.ending)

    def reserve(self, address: str, *, unowned: int = 0) -> Refusal | None:
        """Reserve a slot for a new page from ``address`` (``unowned``: other kernels, e.g. a preheated pool)."""
        if self.max_per_client and self.held(address) >= self.max_per_client:
            return Refusal("client", self.held(address), self.max_per_client)
        if self.max_total and self.held() + unowned >= self.max_total:
            return Refusal("server", self.held() + unowned, self.max_total)
        self.pending[address] += 1
        return None

    def release(self, address: str) -> None:
        if self.pending.get(address, 0) > 0:
            self.pending[address] -= 1
            if not self.pending[address]:
                del self.pending[address]

    def started(self, kernel_id: str, address: str) -> None:
        """The reserved page's kernel is running: the reservation becomes its slot."""
        self.release(address)
        self.owners[kernel_id] = address

    def ended(self, kernel_id: str) -> None:
        """The kernel is being shut down: its slot is free now, although the kernel manager may list it
        for a few more seconds while the process exits."""
        self.owners.pop(kernel_id, None)
        self.ending.add(kernel_id)

    def forget_missing(self, alive: set[str]) -> None:
        for kid in [k for k in self.owners if k not in alive]:
            del self.owners[kid]
        self.ending &= alive


def client_address(peer: str, real_ip: str | None, trusted_proxies: frozenset[str]) -> str:
    """The device a request comes from: ``peer`` (the TCP peer), unless the peer is a trusted proxy
    that names the device in its ``X-Real-IP`` header. A header from anyone else is ignored, so a
    tablet cannot pose as many devices (or as another one) to the per-device kernel cap.

    >>> client_address("127.0.0.1", "192.168.1.23", frozenset({"127.0.0.1"}))
    '192.168.1.23'
    >>> client_address("192.168.1.50", "10.0.0.9", frozenset({"127.0.0.1"}))
    '192.168.1.50'
    >>> client_address("127.0.0.1", "not an address", frozenset({"127.0.0.1"}))
    '127.0.0.1'
    """
    if peer not in trusted_proxies or not real_ip:
        return peer
    ip = _ip(real_ip.strip())
    return str(ip) if ip is not None else peer
