"""A TCP proxy on loopback whose network can be cut: connections reset, new ones dropped.

``cut()`` resets every connection through it (RST, no clean close: as a network
that fails) and from then on resets new ones at once, until ``restore()``. One
thread moves the bytes with a selector, so a cut never waits on a blocked read.
"""
import selectors
import socket
import struct
import threading

from tests.helpers import free_port


class CuttableProxy:
    """Forwards ``127.0.0.1:port`` to ``127.0.0.1:target_port``."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.cut_off = False
        self._reset_all = threading.Event()
        self._closed = False
        self._peers = {}  # socket -> the socket its bytes go to
        self._selector = selectors.DefaultSelector()
        self._listener = socket.create_server(('127.0.0.1', self.port))
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def cut(self):
        self.cut_off = True
        self._reset_all.set()

    def restore(self):
        self.cut_off = False

    def close(self):
        self._closed = True
        self._reset_all.set()
        self._thread.join(5)

    def _run(self):
        while not self._closed:
            if self._reset_all.is_set():
                self._reset_all.clear()
                for sock in list(self._peers):
                    self._drop(sock)
            for key, _ in self._selector.select(timeout=0.05):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._forward(key.fileobj)
        for sock in list(self._peers):
            self._drop(sock)
        self._selector.close()
        self._listener.close()

    def _accept(self):
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        if self.cut_off:
            return _reset(client)
        try:
            upstream = socket.create_connection(('127.0.0.1', self.target_port), timeout=5)
        except OSError:
            return _reset(client)
        for sock, peer in ((client, upstream), (upstream, client)):
            sock.setblocking(True)
            self._peers[sock] = peer
            self._selector.register(sock, selectors.EVENT_READ)

    def _forward(self, sock):
        peer = self._peers.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(65536)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        self._drop(sock)

    def _drop(self, sock):
        for each in (sock, self._peers.pop(sock, None)):
            if each is not None:
                self._peers.pop(each, None)
                try:
                    self._selector.unregister(each)
                except (KeyError, ValueError):
                    pass
                _reset(each)


def _reset(sock):
    """Close with a reset, not a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        sock.close()
    except OSError:
        pass
