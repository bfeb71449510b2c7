"""Frames built once and written from the emitting greenlet: the WebSocket write path.

python-engineio gives each WebSocket a writer greenlet that takes the socket's
packets from its queue and writes each one as a message, whose frame
gevent-websocket builds: a broadcast to N sockets costs N queue puts, N greenlet
switches, N frames built and N writes. Here:

* a packet's frame is built once, however many sockets it goes to
  (:func:`frame_of`, kept on the packet, which python-socketio makes once per
  broadcast);
* a WebSocket with nothing queued and nothing being written gets it at once, in
  one non-blocking write from the emitting greenlet (:func:`write_now`); what the
  kernel does not take goes first in the socket's queue (a :class:`Remainder`), so
  the order of each socket is kept;
* its writer (a :class:`Lane`, in place of python-engineio's writer greenlet) runs
  only while something is queued, and writes everything it finds there in one write.

Long-polling sessions, sessions upgrading to a WebSocket and sockets under TLS keep
python-engineio's path.
"""
import gevent
import gevent.ssl
from engineio.socket import Socket
from geventwebsocket.websocket import Header, WebSocket

from .websocket import socket_of


class Remainder:
    """The end of a frame the kernel did not take at once, written before anything else."""

    __slots__ = ('data',)

    def __init__(self, data):
        self.data = data


def frame_of(pkt):
    """The WebSocket frame of an Engine.IO packet (built once per packet)."""
    if isinstance(pkt, Remainder):
        return pkt.data
    frame = getattr(pkt, 'tgext_frame', None)
    if frame is None:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            payload, opcode = encoded.encode('utf-8'), WebSocket.OPCODE_TEXT
        else:
            payload, opcode = bytes(encoded), WebSocket.OPCODE_BINARY
        frame = bytes(Header.encode_header(True, opcode, b'', len(payload), 0)) + payload
        pkt.tgext_frame = frame
    return frame


def raw_socket_of(ws):
    """The OS-level socket under python-engineio's WebSocket wrapper ``ws``, or None
    where frames must not be written to it directly (TLS)."""
    sock = socket_of(ws._sock)
    if sock is None or isinstance(sock, gevent.ssl.SSLSocket):
        return None
    return getattr(sock, '_sock', None)  # gevent's socket wraps a non-blocking one


def write_now(engineio_socket, pkt):
    """Write ``pkt`` to ``engineio_socket``'s WebSocket now if nothing is before it;
    False when it must go through the socket's queue."""
    lane = getattr(engineio_socket, 'tgext_lane', None)
    if lane is None or lane.raw is None or lane.writing is not None \
            or engineio_socket.upgrading or engineio_socket.closing:
        return False
    queue = engineio_socket.queue
    if queue.queue:
        return False
    frame = frame_of(pkt)
    try:
        written = lane.raw.send(frame)
    except BlockingIOError:
        written = 0
    except OSError:  # closed under us: the queue's path ends the session as it does
        return False
    if written < len(frame):
        queue.put(Remainder(frame[written:]))
    return True


class Lane:
    """What writes to a WebSocket, in place of python-engineio's writer greenlet
    (``engineio.socket.Socket._websocket_handler``'s ``writer``): a greenlet only while
    the socket's queue has something, which writes all it finds there at once, and
    ends the WebSocket with the session (the queue's ``None``). An idle WebSocket
    holds no writer greenlet.
    """

    def __init__(self, engineio_socket, ws):
        self.socket = engineio_socket
        self.ws = ws
        self.raw = raw_socket_of(ws)
        self.writing = None  # the greenlet writing the queue, while it has something
        self.ended = False
        engineio_socket.tgext_lane = self
        engineio_socket.queue.on_put = self.wake
        self.wake()

    def wake(self):
        """Start writing what is queued, unless it is being written."""
        if self.writing is None and not self.ended and self.socket.queue.qsize():
            self.writing = gevent.spawn(self._write_queued)

    def join(self, timeout=None):
        """Wait for what is being written (python-engineio joins its writer)."""
        writing = self.writing
        if writing is not None:
            writing.join(timeout)

    def _write_queued(self):
        queue = self.socket.queue
        try:
            while queue.qsize():
                packets = queue.take_all()
                frames = [frame_of(pkt) for pkt in packets if pkt is not None]
                if frames:
                    self.ws._sock.raw_write(b''.join(frames))
                queue.written()
                if packets[-1] is None:  # the session is over
                    break
            else:
                return
        except Exception:  # the peer is gone, or the WebSocket closed under us
            pass
        finally:
            self.writing = None
        self.end()

    def end(self):
        """No more writing: close the WebSocket."""
        self.ended = True
        self.raw = None
        self.socket.queue.on_put = None
        self.ws.close()


def is_engineio_writer(target):
    """Whether ``target`` is the writer python-engineio starts for a WebSocket (the
    server starts a :class:`Lane` instead)."""
    return getattr(target, '__code__', None) is _ENGINEIO_WRITER


def writer_arguments(target):
    """``(engineio_socket, ws)`` of python-engineio's writer closure ``target``."""
    cells = dict(zip(target.__code__.co_freevars,
                     (cell.cell_contents for cell in target.__closure__)))
    return cells['self'], cells['ws']


_ENGINEIO_WRITER = next(const for const in Socket._websocket_handler.__code__.co_consts
                        if getattr(const, 'co_name', None) == 'writer')
