"""One abusive client for the flood scenario: a raw WebSocket that sends the same
no-reply event, pre-built and masked with key 0, as fast as the server takes it.

The event is ``unsubscribe`` of a room the client never joined (the issue's report);
python-socketio's baseline has no handler for it and drops it after parsing.
"""
import socket
import struct
import threading
import time

import websocket

EVENT = b'42/chat,["unsubscribe","room-9"]'


def client_frame(payload):
    """A final text frame from a client, masked with key 0 (the payload is sent as is)."""
    length = len(payload)
    if length < 126:
        header = struct.pack('!BB', 0x81, 0x80 | length)
    elif length < 65536:
        header = struct.pack('!BBH', 0x81, 0x80 | 126, length)
    else:
        header = struct.pack('!BBQ', 0x81, 0x80 | 127, length)
    return header + b'\0\0\0\0' + payload


class Flooder:
    """Floods ``url`` from a thread until ``stop()``, at most ``limit`` events or ``seconds``."""

    def __init__(self, url, limit=1000000, seconds=60, batch=5000):
        self.url, self.limit, self.seconds, self.batch = url, limit, seconds, batch
        self.sent = 0
        self.refused = False  # the server closed the connection
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        ws = websocket.create_connection(
            self.url.replace('http', 'ws', 1) + '/socketio/?EIO=4&transport=websocket',
            timeout=10)
        assert ws.recv().startswith('0{')
        ws.send('40/chat,')
        assert ws.recv().startswith('40/chat,')
        self._ws = ws
        self._thread.start()
        return self

    def _run(self):
        chunk = client_frame(EVENT) * self.batch
        deadline = time.monotonic() + self.seconds
        sock = self._ws.sock
        sock.settimeout(0.5)
        try:
            while self.sent < self.limit and not self._stop.is_set() \
                    and time.monotonic() < deadline:
                try:
                    sock.sendall(chunk)
                except socket.timeout:
                    continue  # a frame may be cut: the server then drops us, and we stop
                self.sent += self.batch
        except OSError:
            self.refused = True
        finally:
            sock.close()

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        return {'flood_events_sent': self.sent, 'flooder_refused': self.refused}
