"""An idle WebSocket holds no greenlet: once its request is over, a libev watcher reads it.

gevent's WSGI server runs each connection's requests in a greenlet, and python-engineio reads a
WebSocket inside its request (``Socket._websocket_handler``) for as long as it lives: an idle
WebSocket would keep a greenlet parked in its read (its C and Python stacks), pywsgi's handler
(the request's headers, the 101's, a read buffer) and every frame of the request. Here the
request ends once the WebSocket is open (python-engineio's handshake or upgrade probe done, its
writer, a :class:`~.fastlane.Lane`, started). A :class:`Reader` keeps the connection: a libev
io watcher starts a greenlet when the client sends something, which reads the messages there
are, hands them to python-engineio as its loop would, and ends.

:class:`WebSocketTransport` is what python-engineio's server calls for a WebSocket in place of
its gevent driver's ``WebSocketWSGI``: it runs python-engineio's handler and, at the handler's
first wait for a message once the writer runs, ends the request by raising :class:`_Kept`
through it (a ``BaseException``: the handler's loop catches ``Exception`` only). The internals
relied on are checked by ``tests/edge/test_overrides.py``.

Under TLS, or behind a handler that cannot let go of its socket, the WebSocket is read in its
request as before.
"""
import gevent
from engineio import exceptions, packet

from .fastlane import raw_socket_of
from .linger import Linger

#: Bytes asked of the kernel per read (what a read takes beyond a frame waits in ``buffered``).
CHUNK = 16384


class _Kept(BaseException):
    """Raised through python-engineio's handler when a :class:`Reader` keeps its connection."""


class WebSocketTransport:
    """python-engineio's gevent ``WebSocketWSGI``, whose connection outlives the request."""

    __slots__ = ('handler', '_sock')

    def __init__(self, handler, server):
        self.handler = handler  # the engine.io socket's _websocket_handler
        self._sock = None  # the BoundedWebSocket (python-engineio's name for it)

    def __call__(self, environ, start_response):
        self._sock = environ.get('wsgi.websocket')
        if self._sock is None:
            raise RuntimeError('WebSockets must be served by gevent-websocket\'s handler '
                               '(tgext.socketio.serving.make_server)')
        try:
            return self.handler(self)
        except _Kept:
            return []

    def wait(self):
        """The next message; once python-engineio's writer runs, the end of the request."""
        ws = self._sock
        if getattr(self.handler.__self__, 'tgext_lane', None) is not None and not ws.closed:
            take_socket = getattr(ws.handler, 'take_socket', None)
            taken = take_socket() if take_socket is not None else None
            if taken is not None:
                Reader(self, *taken)
                raise _Kept
        return ws.receive()

    def send(self, message):
        return self._sock.send(message)

    def close(self):
        return self._sock.close()


class Reader:
    """A WebSocket's connection once its request is over, read when the client sends.

    It is the WebSocket's stream (``read``) and writes with the socket's ``sendall``;
    ``server`` counts it among its connections until it closes.
    """

    __slots__ = ('transport', 'socket', 'buffered', 'start', 'watcher', 'server', 'lingering')

    #: Seconds the greenlet that read a message waits for the next before it ends: an active
    #: client's messages reuse one greenlet (a spawn per message cost its round trips 13 %),
    #: an idle client holds none.
    linger = 0.1

    def __init__(self, transport, sock, ahead, server):
        self.transport = transport
        self.socket = sock
        self.buffered = ahead  # read from the socket, not yet all from the stream...
        self.start = 0  # ...from this offset on
        self.server = server
        ws = transport._sock
        ws.stream, ws.raw_read, ws.raw_write, ws.handler = self, self.read, sock.sendall, None
        lane = transport.handler.__self__.tgext_lane
        if lane.raw is not None:  # the socket it wrote to is detached
            lane.raw = raw_socket_of(transport)
        server.connections += 1
        self.lingering = None  # the reading greenlet's Linger, while it lives
        self.watcher = gevent.get_hub().loop.io(sock.fileno(), 1)
        if ahead:
            self._readable()
        else:
            self.watcher.start(self._readable)

    def read(self, size):
        """``size`` bytes, fewer at the end of the stream; waits for them.

        What a read takes beyond them is kept whole, and read from an offset: a chunk of
        many small frames is not copied again for each one."""
        data, start = self.buffered, self.start
        end = start + size
        if end > len(data):
            parts, missing = [data[start:]], end - len(data)
            while missing > 0:
                chunk = self.socket.recv(max(missing, CHUNK))
                if not chunk:
                    break
                parts.append(chunk)
                missing -= len(chunk)
            data, start, end = b''.join(parts), 0, size
        if end < len(data):
            self.buffered, self.start = data, end
        else:  # all read: an idle connection keeps no chunk
            self.buffered, self.start = b'', 0
        return data[start:end]

    def _readable(self):
        """The client sent something (in the hub): wake the greenlet lingering for it, or
        read it in a new one."""
        self.watcher.stop()
        if self.lingering is None or not self.lingering.wake():
            gevent.spawn(self._read)

    def _read(self):
        engineio_socket = self.transport.handler.__self__
        ws = self.transport._sock
        linger = self.lingering = Linger(self.linger)
        try:
            while True:
                message = ws.receive()
                if message is None or not _hand_over(engineio_socket, message):
                    break
                if not self.buffered and not self._next_arrives(linger):  # all read
                    return  # none came: the watcher starts a greenlet for the next
        except Exception as error:  # the WebSocket was closed, or its client is gone
            if not engineio_socket.closed:
                engineio_socket.server.logger.info(
                    '%s: Unexpected error "%s", closing connection', engineio_socket.sid, error)
        finally:
            linger.close()
            if self.lingering is linger:
                self.lingering = None
        self._end(engineio_socket)

    def _next_arrives(self, linger):
        """Whether the client sends again within :attr:`linger` seconds (the watcher tells)."""
        self.watcher.start(self._readable)
        return linger.wait()

    def _end(self, engineio_socket):
        """What python-engineio does once its handler's loop ends, then the socket closes."""
        server = engineio_socket.server
        engineio_socket.queue.put(None)  # the writer ends
        engineio_socket.tgext_lane.join()
        engineio_socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
        if server.sockets.get(engineio_socket.sid) is engineio_socket:
            del server.sockets[engineio_socket.sid]
        self.close()

    def close(self):
        """Close the connection."""
        sock, self.socket = self.socket, None
        if sock is None:
            return
        self.watcher.close()
        sock.setblocking(False)
        try:
            sock.recv(CHUNK)  # what the client sent last: unread, closing would reset
        except OSError:
            pass
        sock.close()
        self.server.connections -= 1


def _hand_over(engineio_socket, message):
    """python-engineio's loop body: give it ``message``; False when the connection must end."""
    try:
        engineio_socket.receive(packet.Packet(encoded_packet=message))
    except exceptions.UnknownPacketError:
        pass
    except exceptions.SocketIsClosedError:
        engineio_socket.server.logger.info('Receive error -- socket is closed')
        return False
    except Exception:
        engineio_socket.server.logger.exception('Unknown receive error')
        return False
    return True
