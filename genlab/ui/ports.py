"""Ports and addresses to serve on: ``genlab demo`` and ``genlab lab`` (first free port from a
well-known one: 7860, 8888; the address the room types), tests and benchmarks (any port the system
says is free)."""

from __future__ import annotations

import errno
import socket


class NoFreePort(RuntimeError):
    """Every port tried is in use."""


def free_port(start: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first port from ``start`` (``tries`` of them) that ``host`` can listen on.

    Raises :class:`NoFreePort` when all are in use, and ``OSError`` when ``host`` cannot be
    listened on at all (a typo, an address this machine does not have)."""
    bind_host = "0.0.0.0" if host in ("", "::") else host
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((bind_host, port))
            except OSError as err:
                if err.errno == errno.EADDRINUSE:
                    continue
                raise
            return port
    last = start + tries - 1
    raise NoFreePort(f"port {start} is busy." if tries == 1 else f"no free port between {start} and {last}.")


def any_free_local_port() -> int:
    """A port on 127.0.0.1 that the system says is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lan_address() -> str:
    """This computer's address on the local network (what others in the room type), best effort:
    the computer's name when it has no network."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent; this only picks the outgoing interface
            return s.getsockname()[0]
    except OSError:
        return socket.gethostname()
