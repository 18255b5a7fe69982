"""A TCP relay on 127.0.0.1 that a test can cut: the database outage of the fault tests.

``Relay(upstream_port)`` accepts connections on a free loopback port and pipes each one to
127.0.0.1:<upstream_port> (PostgreSQL). ``cut()`` closes every open connection and refuses new
ones (accepted and closed at once, as a server that is going down does) until ``restore()``;
``cut(restore_after=n)`` restores by itself once it has refused ``n`` connection attempts, so a
test can end an outage at a real event (the client has retried n times) instead of after a sleep.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

LOOPBACK = "127.0.0.1"


class Relay:
    def __init__(self, upstream_port: int, upstream_host: str = LOOPBACK) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = self._listener.getsockname()[1]
        self._state = threading.Condition()
        self._cut = False
        self._restore_after: int | None = None
        self._open: set[socket.socket] = set()
        self.refused = 0  # connection attempts refused while cut
        self.cuts = 0
        self.accepted = 0  # connections piped through
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept_loop, name="relay-accept", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Relay:
        self._acceptor.start()
        return self

    def close(self) -> None:
        with self._state:
            self._closed = True
            self._state.notify_all()
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._acceptor.join(5)
        self._close_open()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- faults ------------------------------------------------------------------------------------
    def cut(self, restore_after: int | None = None) -> None:
        """Close every open connection; refuse new ones until restore() (or ``restore_after`` refusals)."""
        with self._state:
            self._cut = True
            self.cuts += 1
            self._restore_after = None if restore_after is None else self.refused + restore_after
            self._state.notify_all()
        self._close_open()

    def restore(self) -> None:
        with self._state:
            self._cut = False
            self._restore_after = None
            self._state.notify_all()

    @property
    def is_cut(self) -> bool:
        with self._state:
            return self._cut

    def wait_restored(self, timeout: float) -> bool:
        """Block until the relay accepts again (or the timeout passes); returns whether it does."""
        with self._state:
            return self._state.wait_for(lambda: not self._cut, timeout)

    # -- plumbing ----------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            with self._state:
                if self._closed:
                    client.close()
                    return
                refuse, generation = self._cut, self.cuts
                if refuse:
                    self.refused += 1
                    if self._restore_after is not None and self.refused >= self._restore_after:
                        self._cut, self._restore_after = False, None
                    self._state.notify_all()
            if refuse:
                _abort(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _abort(client)
                continue
            server.settimeout(None)
            with self._state:
                # A cut while the upstream connection was being made closes this one too.
                cut_meanwhile = self.cuts != generation
                if not cut_meanwhile:
                    self._open.update((client, server))
                    self.accepted += 1
            if cut_meanwhile:
                _abort(client)
                _abort(server)
                continue
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), name="relay-pipe", daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                self._forget(end)

    def _forget(self, end: socket.socket) -> None:
        with self._state:
            self._open.discard(end)
        _abort(end)

    def _close_open(self) -> None:
        with self._state:
            ends, self._open = list(self._open), set()
        for end in ends:
            _abort(end)


def _abort(end: socket.socket) -> None:
    with suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        end.close()
