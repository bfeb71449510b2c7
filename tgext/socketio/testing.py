"""An in-process Socket.IO client for the tests of a TurboGears app.

:class:`SocketIOTestClient` speaks the real protocol (Engine.IO long-polling,
Socket.IO packets) to the WSGI app object itself: no server, no port, no
monkey-patching. The handshake goes through the whole TurboGears stack, so a
WebTest login carries over::

    from tgext.socketio.testing import SocketIOTestClient

    def test_chat(app):                       # app: a webtest.TestApp
        app.post('/login_handler', params={'login': 'manager', 'password': 'managepass'})
        with SocketIOTestClient(app, namespaces=['/chat']) as client:
            assert client.call('subscribe', 'room', '1', namespace='/chat') == 'room-1'
            client.emit('say', 'room-1', 'hi', namespace='/chat')
            data, channel = client.wait_for('publication', namespace='/chat')[:2]

Handlers run in greenlets of the test process while the client waits.
"""
import itertools
import json
from urllib.parse import urlencode

import engineio.packet
import engineio.payload
import gevent
import gevent.event
import socketio.packet
from webob import Request

from .edge.middleware import IN_PROCESS

_POLL_FAILURES = (OSError, ValueError, KeyError)


class _Responses(engineio.payload.Payload):
    """A long-polling response, with as many packets as the server had waiting (python-engineio
    caps a payload at 16 packets to protect servers from clients; browsers take any number)."""

    max_decode_packets = float('inf')


class ConnectionRefused(Exception):
    """The server refused the connection to a namespace; ``data`` is its reason."""

    def __init__(self, namespace, data):
        super().__init__('connection to %s refused: %r' % (namespace, data))
        self.namespace = namespace
        self.data = data


class SocketIOTestClient:
    """A Socket.IO client of the WSGI ``app`` (or ``webtest.TestApp``, whose cookies it sends).

    ``path``: where the SocketIOController is mounted. ``namespaces``: connected
    at once (``connect()`` adds more). ``auth``: the handshake payload.
    ``headers``: extra HTTP headers of the handshake. ``timeout``: seconds the
    waiting methods wait by default.
    """

    def __init__(self, app, path='/socketio/', namespaces=('/',), auth=None, headers=None,
                 timeout=5):
        self.wsgi = getattr(app, 'app', app)
        self.cookies = _cookie_header(app)
        self.extra_environ = dict(getattr(app, 'extra_environ', None) or {})
        self.path = '/' + path.strip('/') + '/'
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.received = []  # (namespace, event, args)
        self._arrived = gevent.event.Event()
        self._namespaces = {}  # namespace -> sid, or None while connecting
        self._refusals = {}
        self._acks = {}
        self._ack_ids = itertools.count(1)
        self._eio_sid = None
        self._poller = None
        self._open()
        for namespace in namespaces:
            self.connect(namespace, auth=auth)

    # -- the public API ---------------------------------------------------------------

    def connect(self, namespace='/', auth=None):
        """Connect to ``namespace``; raises :class:`ConnectionRefused` if refused."""
        self._namespaces[namespace] = None
        self._send(socketio.packet.Packet(socketio.packet.CONNECT, data=auth,
                                          namespace=namespace))
        self._wait(lambda: self._namespaces.get(namespace) or namespace in self._refusals,
                   'the connection to %s' % namespace)
        if namespace in self._refusals:
            self._namespaces.pop(namespace, None)
            raise ConnectionRefused(namespace, self._refusals.pop(namespace))

    def is_connected(self, namespace='/'):
        """True while ``namespace`` is connected."""
        return bool(self._namespaces.get(namespace))

    def emit(self, event, *args, namespace='/', callback=False):
        """Send ``event``; with ``callback=True`` wait for and return its acknowledgement."""
        ack_id = next(self._ack_ids) if callback else None
        if callback:
            self._acks[ack_id] = None
        self._send(socketio.packet.Packet(socketio.packet.EVENT, data=[event, *args],
                                          namespace=namespace, id=ack_id))
        if callback:
            self._wait(lambda: self._acks[ack_id] is not None, 'the acknowledgement of %r' % event)
            answer = self._acks.pop(ack_id)
            return answer[0] if len(answer) == 1 else tuple(answer) if answer else None
        return None

    def call(self, event, *args, namespace='/'):
        """Send ``event`` and return its acknowledgement (a tuple for several values)."""
        return self.emit(event, *args, namespace=namespace, callback=True)

    def get_received(self, namespace=None):
        """Events received so far (and forget them): ``[{'name', 'args', 'namespace'}]``."""
        taken = [item for item in self.received if namespace in (None, item[0])]
        self.received = [item for item in self.received if item not in taken]
        return [{'name': event, 'args': args, 'namespace': ns} for ns, event, args in taken]

    def wait_for(self, event, namespace='/', timeout=None):
        """The arguments of the next ``event`` received in ``namespace`` (waits for it)."""
        def first():
            return next((item for item in self.received
                         if item[0] == namespace and item[1] == event), None)
        self._wait(first, 'event %r in %s' % (event, namespace), timeout)
        item = first()
        self.received.remove(item)
        return item[2]

    def disconnect(self, namespace=None):
        """Leave ``namespace``, or every namespace and the session."""
        for name in [namespace] if namespace else list(self._namespaces):
            if self._namespaces.pop(name, None) and self._eio_sid:
                self._send(socketio.packet.Packet(socketio.packet.DISCONNECT, namespace=name))
        if namespace is None and self._eio_sid is not None:
            self._post(engineio.packet.Packet(engineio.packet.CLOSE))
            self._eio_sid = None
            if self._poller is not None:
                self._poller.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.disconnect()

    # -- Engine.IO over long-polling, through the WSGI app -----------------------------

    def _open(self):
        status, body = self._request('GET', {'EIO': '4', 'transport': 'polling'},
                                     handshake=True)
        packets = _Responses(encoded_payload=body).packets if status == 200 else []
        if not packets or packets[0].packet_type != engineio.packet.OPEN:
            raise ConnectionError('no Engine.IO handshake at %s: %s %s'
                                  % (self.path, status, body[:300]))
        self._eio_sid = packets[0].data['sid']
        self._poller = gevent.spawn(self._poll)

    def _poll(self):
        while self._eio_sid is not None:
            try:
                status, body = self._request('GET', self._session_query())
            except _POLL_FAILURES:
                status, body = None, ''
            if status != 200:
                self._closed()
                return
            for pkt in _Responses(encoded_payload=body).packets:
                self._receive(pkt)

    def _receive(self, eio_packet):
        if eio_packet.packet_type == engineio.packet.PING:
            gevent.spawn(self._post, engineio.packet.Packet(engineio.packet.PONG))
        elif eio_packet.packet_type == engineio.packet.CLOSE:
            self._closed()
        elif eio_packet.packet_type == engineio.packet.MESSAGE:
            self._dispatch(socketio.packet.Packet(encoded_packet=eio_packet.data))

    def _dispatch(self, pkt):
        namespace = pkt.namespace or '/'
        if pkt.packet_type == socketio.packet.CONNECT:
            self._namespaces[namespace] = pkt.data['sid']
        elif pkt.packet_type == socketio.packet.CONNECT_ERROR:
            self._refusals[namespace] = pkt.data
        elif pkt.packet_type == socketio.packet.DISCONNECT:
            self._namespaces.pop(namespace, None)
        elif pkt.packet_type == socketio.packet.EVENT:
            self.received.append((namespace, pkt.data[0], list(pkt.data[1:])))
        elif pkt.packet_type == socketio.packet.ACK and pkt.id in self._acks:
            self._acks[pkt.id] = list(pkt.data or [])
        self._arrived.set()

    def _closed(self):
        self._eio_sid = None
        self._namespaces.clear()
        self._arrived.set()

    def _send(self, pkt):
        if self._eio_sid is None:
            raise ConnectionError('the test client is disconnected')
        self._post(engineio.packet.Packet(engineio.packet.MESSAGE, data=pkt.encode()))

    def _post(self, eio_packet):
        if self._eio_sid is not None:
            self._request('POST', self._session_query(),
                          body=engineio.payload.Payload(packets=[eio_packet]).encode())

    def _session_query(self):
        return {'EIO': '4', 'transport': 'polling', 'sid': self._eio_sid}

    def _request(self, method, query, body=None, handshake=False):
        request = Request.blank(self.path + '?' + urlencode(query), method=method,
                                environ=dict(self.extra_environ, **{IN_PROCESS: True}))
        request.remote_addr = request.remote_addr or '127.0.0.1'
        if handshake:
            request.headers.update(self.headers)
        if self.cookies():  # on every request, as a browser sends them (a session is bound)
            request.headers['Cookie'] = self.cookies()
        if body is not None:
            request.body = body.encode('utf-8')
            request.content_type = 'text/plain;charset=UTF-8'
        started = []
        chunks = self.wsgi(request.environ, lambda status, headers, exc_info=None:
                           started.append(int(status.split()[0])))
        try:
            data = b''.join(chunks)
        finally:
            if hasattr(chunks, 'close'):
                chunks.close()
        return started[0], data.decode('utf-8', errors='replace')

    def _wait(self, ready, what, timeout=None):
        timeout = self.timeout if timeout is None else timeout
        with gevent.Timeout(timeout, False):
            while not ready():
                if self._eio_sid is None:
                    raise ConnectionError('disconnected while waiting for %s' % what)
                self._arrived.clear()
                self._arrived.wait()
            return
        raise TimeoutError('no %s within %s s (received: %s)' % (
            what, timeout, json.dumps([item[:2] for item in self.received])[:300]))


def _cookie_header(app):
    """A function giving the Cookie header of a ``webtest.TestApp`` (none for a bare app)."""
    jar = getattr(app, 'cookiejar', None)
    if jar is None:
        return lambda: ''
    return lambda: '; '.join('%s=%s' % (cookie.name, cookie.value) for cookie in jar)
