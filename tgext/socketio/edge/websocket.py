"""gevent's WSGI server and gevent-websocket, changed for Socket.IO (their internals we
rely on are listed by ``tests/edge/test_overrides.py``).

WebSockets are served by gevent-websocket's handler (any
other handler answers the upgrade with 500 and clients silently stay on
long-polling) and every accepted socket gets ``TCP_NODELAY``.

gevent-websocket's ``WebSocket`` is made safe for hostile clients
(:class:`BoundedWebSocket`): it reads a message's length from the frame
header and refuses one over ``max_http_buffer_size`` with close code 1009
before reading it, unmasks and validates a payload in C instead of a Python
loop per byte, has no WebSocketApplication to tell of a close (gevent-websocket makes
a class for that on every disconnect), sends the close code it is given (gevent-websocket drops it),
and lets other greenlets run before each message it reads, so that a client
whose frames are all buffered cannot hold the process for itself.
The handler asks the application (``websocket_refusal(environ)``) whether
to refuse an upgrade, and then answers with that status instead of 101.

Each WebSocket holds its connection's objects for as long as it lives, so the
handler trims what an idle one costs (measured in ``docs/performance.md``):
a 1 KiB read buffer instead of 8 KiB, and it lets go of a WebSocket's connection
when python-engineio asks (``take_socket``, see :mod:`.idle`): the request ends,
and the handler with it.

The server bounds what clients can hold (:class:`NoDelayWSGIServer`): a request's line
and headers must arrive within ``header_timeout`` seconds (the connection is closed,
408 once headers began), at most ``max_connections`` connections are open at once (the
next ones get 503 at once, before the process runs out of file descriptors), and
malformed requests are logged one line per kind (:mod:`.refusals`), never a traceback.
"""
import io
import resource
import socket
import struct
import time
import types

import gevent
import gevent.socket
import gevent.ssl
from gevent import pywsgi
from geventwebsocket.exceptions import ProtocolError, WebSocketError
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import Header, WebSocket

from . import refusals

#: A WebSocket reader that has not waited for this many seconds lets the others run...
YIELD_AFTER = 0.001
#: ...for the shortest timer, which ends once the loop has polled every socket.
YIELD_SECONDS = 1e-6

#: Close code of a message over the size limit (RFC 6455, 7.4.1).
MESSAGE_TOO_BIG = 1009


class _Header(Header):
    """A frame header that unmasks a payload with one integer XOR."""

    __slots__ = ()

    def mask_payload(self, payload):
        length = len(payload)
        if not length:
            return payload
        key = int.from_bytes((self.mask * (length // 4 + 1))[:length], 'big')
        return (int.from_bytes(payload, 'big') ^ key).to_bytes(length, 'big')

    unmask_payload = mask_payload


class BoundedWebSocket(WebSocket):
    """gevent-websocket's WebSocket, bounded in size and fair to the other greenlets.

    ``max_message_size`` (set by the Engine.IO server to its
    ``max_http_buffer_size`` when the connection reaches it) caps a message,
    fragments included; it is checked against the frame header, before the
    payload is read.
    """

    __slots__ = ('max_message_size', 'message_size', 'slice_ends')

    default_max_message_size = 1000000

    def __init__(self, environ, stream, handler):
        super().__init__(environ, stream, handler)
        self.max_message_size = self.default_max_message_size
        self.message_size = 0
        self.slice_ends = 0.0

    def receive(self):
        # When a client's frames are already buffered, reading them never blocks,
        # and this greenlet would run until they are all read: after a slice of
        # YIELD_AFTER seconds of that, it lets the others run. With a timer, not
        # sleep(0): sleep(0) resumes in the same round of callbacks, and the other
        # sockets would wait for that round (up to gevent's 5 ms switch interval);
        # a timer resumes once the loop has polled them.
        now = time.monotonic()
        if now >= self.slice_ends:
            gevent.sleep(YIELD_SECONDS)
            self.slice_ends = time.monotonic() + YIELD_AFTER
        return super().receive()

    def read_frame(self):
        """gevent-websocket's ``read_frame``, with the size check before the read."""
        header = _Header.decode_header(self.stream)
        if header.flags:
            raise ProtocolError
        if header.opcode == self.OPCODE_CONTINUATION:
            self.message_size += header.length
        elif header.opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
            self.message_size = header.length
        if self.message_size > self.max_message_size:
            self.close(MESSAGE_TOO_BIG, 'message over max_http_buffer_size')
            raise WebSocketError('message of %d bytes refused' % self.message_size)
        if not header.length:
            return header, b''
        payload = self.raw_read(header.length)
        if len(payload) != header.length:
            raise WebSocketError('Unexpected EOF reading frame payload')
        if header.mask:
            payload = header.unmask_payload(payload)
        return header, payload

    @property
    def current_app(self):
        """Nothing to tell of a close: gevent-websocket's defines a class each time it is
        asked (on every disconnect) for the WebSocketApplication we do not use."""
        return _NO_APPLICATION

    def validate_utf8(self, payload):
        """Nothing here: decoding the whole message (in C) rejects invalid UTF-8 with
        close code 1007; gevent-websocket's validator is a Python loop per byte."""

    def close(self, code=1000, message=b''):
        """Send a close frame with ``code`` (gevent-websocket leaves it out) and let go
        of the stream; the socket itself is the handler's to close."""
        if self.closed:
            return
        reason = message.encode('utf-8') if isinstance(message, str) else bytes(message or b'')
        body = struct.pack('!H', code) + reason[:123]
        try:
            self.raw_write(bytes(Header.encode_header(True, self.OPCODE_CLOSE, b'', len(body), 0))
                           + body)
        except (OSError, TypeError):
            pass  # the peer is gone: nothing to tell it
        finally:
            self.closed = True
            self.stream = self.raw_write = self.raw_read = self.environ = None


class _NoApplication:
    def on_close(self, *args):
        pass


_NO_APPLICATION = _NoApplication()

#: The handler of a WebSocket that a :class:`BoundedWebSocket` replaced. When it is freed,
#: its ``__del__`` closes it again, which asks ``handler.server.application.current_app``;
#: gevent-websocket defines a class for each ask when the application has none, twice per
#: connection.
_REPLACED = types.SimpleNamespace(
    server=types.SimpleNamespace(application=types.SimpleNamespace(current_app=_NO_APPLICATION)))


class SocketIOHandler(WebSocketHandler):
    """gevent-websocket's handler, reading through a small buffer, with bounded
    WebSockets and refusals before the upgrade.

    pywsgi gives every connection an 8 KiB read buffer that a WebSocket keeps
    for its whole life; Socket.IO frames are small, and a larger read goes
    straight past the buffer anyway.
    """

    read_buffer_size = 1024

    def __init__(self, sock, address, server):
        super().__init__(sock, address, server)
        self.rfile.close()  # the socket stays open
        self.rfile = sock.makefile('rb', self.read_buffer_size)
        self.headers_due = None

    def read_requestline(self):
        """The request line, and then the headers (:meth:`read_request`), must come within
        the server's ``header_timeout`` of the start of this read."""
        self.headers_due = gevent.Timeout.start_new(
            self.server.header_timeout, socket.timeout('request headers too slow'))
        return super().read_requestline()

    def read_request(self, raw_requestline):
        try:
            return super().read_request(raw_requestline)
        finally:
            self.headers_due.cancel()

    def handle_one_request(self):
        try:
            return super().handle_one_request()
        finally:
            if self.headers_due is not None:
                self.headers_due.cancel()

    def _handle_client_error(self, ex):
        """One rate-limited line per kind of bad request, not pywsgi's traceback."""
        if isinstance(ex, socket.timeout):
            refusals.note('slow request headers', 'from %s', self.client_address)
            return '408', REQUEST_TIMEOUT
        refusals.note('malformed request', 'from %s: %s', self.client_address,
                      str(ex)[:200] or type(ex).__name__)
        return '400', BAD_REQUEST

    def upgrade_websocket(self):
        """Answer a refused upgrade (see ``websocket_refusal``) with its status, not 101."""
        refusal = getattr(self.application, 'websocket_refusal', None)
        if refusal is not None and self.environ.get('REQUEST_METHOD') == 'GET' \
                and self.environ.get('HTTP_UPGRADE', '').lower() == 'websocket':
            refused = refusal(self.environ)
            if refused:
                status, reason = refused
                body = reason.encode('utf-8')
                self.start_response(status, [('Content-Type', 'text/plain; charset=utf-8'),
                                             ('Content-Length', str(len(body))),
                                             ('Connection', 'close')])
                return [body]
        return super().upgrade_websocket()

    def run_websocket(self):
        """gevent-websocket's, without its registry of clients (``server.clients``), and
        leaving a WebSocket whose connection was taken (:meth:`take_socket`) open."""
        try:
            list(self.application(self.environ, _no_response))
        finally:
            if self.socket is not None:
                if not self.websocket.closed:
                    self.websocket.close()
                self.environ['wsgi.websocket'] = None
            self.websocket = None

    def take_socket(self):
        """``(socket, bytes read past the request, server)``: this connection, which the
        handler lets go of (the request ends, the connection stays open and counted); None
        under TLS."""
        sock = self.socket
        if isinstance(sock, gevent.ssl.SSLSocket) or not hasattr(self.server, 'connections'):
            return None
        sock.settimeout(0)
        ahead = bytes(self.rfile.peek())  # what was read ahead, without waiting for more
        kept = gevent.socket.socket(fileno=sock.detach())
        self.socket = None  # pywsgi's handler and server close nothing now
        self.environ['wsgi.input'] = NO_BODY  # not the handler's buffered reader
        return kept, ahead, self.server

    def upgrade_connection(self):
        result = super().upgrade_connection()
        plain = getattr(self, 'websocket', None)
        if plain is not None and not isinstance(plain, BoundedWebSocket):
            plain.closed = True  # it must never write: its replacement owns the stream
            plain.handler = _REPLACED
            self.websocket = BoundedWebSocket(self.environ, plain.stream, self)
            self.environ['wsgi.websocket'] = self.websocket
        return result


def _no_response(status, headers, exc_info=None):
    """The application's response to a WebSocket: the 101 is sent already."""


#: The body of a request whose connection outlived it (a WebSocket's: it has none).
NO_BODY = io.BytesIO()


def socket_of(websocket):
    """The gevent socket under a :class:`BoundedWebSocket` (its :class:`.idle.Reader`'s once
    its request is over), or None once it is closed."""
    stream = websocket.stream
    return getattr(stream, 'socket', None) or getattr(getattr(stream, 'handler', None),
                                                      'socket', None)


def _plain_answer(status):
    return ('HTTP/1.1 %s\r\nConnection: close\r\nContent-Type: text/plain\r\n'
            'Content-Length: %d\r\n\r\n%s' % (status, len(status), status)).encode('latin-1')


REQUEST_TIMEOUT = _plain_answer('408 Request Timeout')
BAD_REQUEST = _plain_answer('400 Bad Request')
UNAVAILABLE = _plain_answer('503 Service Unavailable')

#: File descriptors left to the process beyond its connections (files, backends, logs).
SPARE_DESCRIPTORS = 100


def default_max_connections():
    """The connections a process can hold below its file-descriptor limit."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return 100000
    return max(soft - SPARE_DESCRIPTORS, soft // 2)


class NoDelayWSGIServer(pywsgi.WSGIServer):
    """gevent's WSGI server with Nagle's algorithm off on every connection, and limits.

    Without ``TCP_NODELAY``, back-to-back small frames (ten ``bang!`` in a row) wait for
    delayed ACKs, about 40 ms each. ``max_connections`` (default: the file-descriptor
    limit less ``SPARE_DESCRIPTORS``) and ``header_timeout`` (seconds) bound what
    clients hold.
    """

    def __init__(self, *args, max_connections=None, header_timeout=10.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections or default_max_connections()
        self.header_timeout = header_timeout
        self.connections = 0

    def handle(self, client_socket, address):
        if self.connections >= self.max_connections:
            refusals.note('connection cap', '%s: %d connections open (max_connections)',
                          address[0], self.connections)
            try:
                client_socket.sendall(UNAVAILABLE)
            except OSError:
                pass
            client_socket.close()
            return None
        self.connections += 1
        try:
            client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle(client_socket, address)
        finally:
            self.connections -= 1
