"""TCP proxies for tests (and benches) that put something between the agent and the server."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forwards each connection to `port` on 127.0.0.1. Subclasses decide whether a connection
    is let through (`admit`) and what passes (`carry`: the bytes, upstream or not; False cuts)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def admit(self) -> bool:
        return True

    def carry(self, data: bytes, upstream: bool, carried: int) -> bool:
        """Called after `data` went through, `carried` bytes in all on this side; False closes the connection."""
        return True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.admit():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket, upstream: bool) -> None:
        carried = 0
        try:
            while data := a.recv(1 << 16):
                b.sendall(data)
                carried += len(data)
                if not self.carry(data, upstream, carried):
                    break
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class CountingProxy(TcpProxy):
    """Counts the bytes clients send (`sent`)."""

    def __init__(self, port: int) -> None:
        self.sent = 0
        self.lock = threading.Lock()
        super().__init__(port)

    def carry(self, data: bytes, upstream: bool, carried: int) -> bool:
        if upstream:
            with self.lock:
                self.sent += len(data)
        return True
