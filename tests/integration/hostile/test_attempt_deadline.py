"""The shared watchdog behind the per-attempt deadline, on real sockets over loopback."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from urllib3.connection import HTTPConnection

from basecrm_like.http.deadlines import AttemptGuard


@pytest.fixture()
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.settimeout(20)
    yield ours, theirs
    ours.close()
    theirs.close()


def connection_on(sock: socket.socket) -> HTTPConnection:
    conn = HTTPConnection("127.0.0.1", 9)
    conn.sock = sock
    return conn


def test_a_read_blocked_past_the_deadline_is_woken_with_end_of_file(
        pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    guard = AttemptGuard(0.2)
    guard.arm(connection_on(ours))
    theirs.sendall(b"H")  # a first byte in time, then nothing: each read alone could wait 20 s
    assert ours.recv(1) == b"H"
    assert ours.recv(1) == b""  # shut down by the watchdog, long before the socket's timeout
    assert guard.fired
    guard.disarm()


def test_a_disarmed_attempt_is_left_alone(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    guard = AttemptGuard(0.1)
    guard.arm(connection_on(ours))
    guard.disarm()
    ours.settimeout(0.5)
    with pytest.raises(TimeoutError):  # the socket's own timeout: nobody shut it down
        ours.recv(1)
    assert not guard.fired
    theirs.sendall(b"x")
    ours.settimeout(5)
    assert ours.recv(1) == b"x"


def test_a_connection_taken_by_another_request_is_not_cut_off(
        pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    conn = connection_on(ours)
    first, second = AttemptGuard(0.1), AttemptGuard(30)
    first.arm(conn)
    second.arm(conn)  # the pool handed the connection on before the first was disarmed
    ours.settimeout(0.5)
    with pytest.raises(TimeoutError):
        ours.recv(1)
    assert not first.fired and not second.fired
    theirs.sendall(b"y")
    ours.settimeout(5)
    assert ours.recv(1) == b"y"
    first.disarm()
    second.disarm()


def test_a_retry_replaces_the_earlier_attempts_deadline(
        pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    spare_ours, spare_theirs = socket.socketpair()
    try:
        guard = AttemptGuard(0.2)
        guard.arm(connection_on(spare_ours))
        guard.arm(connection_on(ours))  # the next attempt, on another connection
        assert ours.recv(1) == b""
        assert guard.fired
        spare_ours.settimeout(0.3)
        with pytest.raises(TimeoutError):  # the earlier attempt's connection was not shut down
            spare_ours.recv(1)
        guard.disarm()
    finally:
        spare_ours.close()
        spare_theirs.close()
