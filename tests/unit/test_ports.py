"""genlab.ports: the ports `genlab demo` and `genlab lab` serve on."""

import socket

import pytest

from genlab.ui.ports import NoFreePort, any_free_local_port, free_port


def test_free_port_skips_busy_ports_and_says_when_all_are_busy():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert port < free_port(port, "127.0.0.1", tries=50) < port + 50
        with pytest.raises(NoFreePort, match=f"port {port} is busy"):
            free_port(port, "127.0.0.1", tries=1)
    assert free_port(port, "127.0.0.1", tries=1) == port  # free again


def test_a_host_this_machine_does_not_have_is_an_oserror_not_a_busy_port():
    with pytest.raises(OSError) as err:
        free_port(20000, "203.0.113.7", tries=3)  # TEST-NET-3: never a local address
    assert not isinstance(err.value, NoFreePort)


def test_any_free_local_port_can_be_listened_on():
    port = any_free_local_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
