"""python-socketio and python-engineio, changed: the servers of tgext.socketio.

Changes to their behaviour:

* client events of namespaces that keep a mailbox per connection (a handler
  with ``mailbox_of(sid)`` and ``receive(sid, ack_id, data)``, such as
  :class:`tgext.socketio.namespaces.bridge.NamespaceBridge`) go to the
  connection's mailbox instead of a greenlet per event;
* a client that stops reading is dropped, instead of growing the server's
  memory without bound: when more than ``max_queued_packets`` packets have
  waited for it for ``slow_client_timeout`` seconds, or ten times as many at
  any moment (a client that reads drains a burst well before either), or when
  a packet would make what waits for it (:mod:`.outbound`) more than
  ``max_outbound_bytes`` (one packet alone always goes);
* a packet goes to a WebSocket with nothing waiting in one write from the emitting
  greenlet, its frame built once for every recipient, and a WebSocket's writer writes
  all it finds queued at once (:mod:`.fastlane`); a handler's reply to its own client
  skips python-socketio's room lookups (:meth:`Server.emit_to_connected`);
* outgoing data is encoded before it is walked for binary, and a publication not walked
  at all (:mod:`.packets`);
* disconnecting a client never waits for it to poll (python-engineio would
  hold the request that caused it, e.g. a malformed polling POST, forever),
  and its ping timer dies with it;
* the wait for the next ping is a timer, not a sleeping greenlet per connection;
* a WebSocket's request ends once it is open, and a libev watcher reads it (:mod:`.idle`):
  an idle WebSocket holds no greenlet;
* oversized bodies and requests of closing sessions get clear HTTP refusals, and a
  second WebSocket for a session that is upgrading to one is closed at once;
* each client has an inbound budget: once ``max_queued_events`` of its events
  (or ``max_queued_bytes`` of them) wait in its mailbox, or its binary attachments pass
  ``max_attachments`` or ``max_http_buffer_size`` bytes, it gets an ``error`` event
  (``too_many_events``, ``attachments_too_large``) and is disconnected;
* at most ``max_sessions_per_address`` sessions per client address (0: no
  limit); the next handshake gets 429;
* a session belongs to its handshake (:mod:`.binding`): a request of it from another
  client address, or without the handshake's ``bound_cookies``, gets 400 and the
  session goes on; JSONP polling (``?j=``) gets 400 unless ``jsonp`` is on;
* a packet python-socketio cannot decode is logged in one rate-limited line, not a
  traceback (:mod:`.refusals`);
* the server counts what it does (:class:`Counters`, exposed by
  :mod:`tgext.socketio.cluster.metrics`).
"""
import collections
import logging
import math
import socket
import time
from urllib.parse import parse_qs

import engineio
import engineio.packet
import engineio.socket
import gevent
import socketio

from socketio import packet

from . import fastlane, idle, packets, refusals
from .binding import Owner
from .outbound import COPIES, OutboundQueue, size_of
from .websocket import socket_of

log = logging.getLogger(__name__)

#: What python-socketio raises for a packet it cannot decode.
MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError)

#: What a :class:`Server` counts.
COUNTERS = ('events_in', 'events_out', 'deliveries', 'slow_client_drops')


class Counters:
    """Events received from clients, emitted (one per call, whatever the number of
    recipients), event packets written to clients, clients dropped for not reading."""

    __slots__ = COUNTERS

    def __init__(self):
        for name in COUNTERS:
            setattr(self, name, 0)


class EngineIOServer(engineio.Server):
    """python-engineio whose disconnects neither wait nor leave a ping timer behind,
    and whose idle connections hold no greenlet stack for their next ping."""

    #: Sessions one client address may hold at once (0: no limit).
    max_sessions_per_address = 100
    #: Whether JSONP polling (``?j=N``, read by a ``<script>`` without an Origin) is served.
    jsonp = False
    #: Cookies a session's requests must carry as its handshake did (see :mod:`.binding`).
    bound_cookies = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions_per_address = collections.Counter()
        self.session_addresses = {}
        self.session_owners = {}
        # python-engineio announces int(interval + grace) * 1000 ms: a 0.3 s interval would be
        # announced as 0, and clients would time out at once. Round the announcement up to
        # whole seconds instead (pings still go every ping_interval).
        self.ping_interval_grace_period += math.ceil(self.ping_interval) - self.ping_interval
        # A WebSocket's request ends once it is open; a watcher reads it (see .idle).
        self._async = dict(self._async, websocket=idle.WebSocketTransport)

    def session_opened(self, sid, environ):
        address = environ.get('REMOTE_ADDR')
        self.session_addresses[sid] = address
        self.sessions_per_address[address] += 1
        self.session_owners[sid] = Owner(environ, self.bound_cookies)

    def session_closed(self, sid):
        self.session_owners.pop(sid, None)
        if sid in self.session_addresses:
            address = self.session_addresses.pop(sid)
            self.sessions_per_address[address] -= 1
            if self.sessions_per_address[address] <= 0:
                del self.sessions_per_address[address]

    def create_queue(self):
        """A client's packet queue that counts its bytes (python-engineio makes one per
        socket)."""
        return OutboundQueue()

    def start_background_task(self, target, *args, **kwargs):
        if getattr(target, '__func__', None) is engineio.socket.Socket._send_ping:
            # python-engineio's Socket._send_ping sleeps out the ping interval in a
            # greenlet of its own; a timer that starts a greenlet when the interval
            # is over costs an idle connection no stack.
            engineio_socket = target.__self__
            timer = gevent.get_hub().loop.timer(self.ping_interval)
            # update: an idle hub's cached time is stale, and the first ping would come early
            timer.start(gevent.spawn, _send_ping_now, engineio_socket, update=True)
            engineio_socket.tgext_ping_timer = timer
            return timer
        if fastlane.is_engineio_writer(target):
            return fastlane.Lane(*fastlane.writer_arguments(target))
        return super().start_background_task(target, *args, **kwargs)

    def stop_ping_timer(self, sid):
        """Cancel the timer of the next ping of ``sid``."""
        timer = getattr(self.sockets.get(sid), 'tgext_ping_timer', None)
        if timer is not None:
            timer.close()

    def handle_request(self, environ, start_response):
        """python-engineio's answer, with clear refusals where it has none.

        A body over ``max_http_buffer_size`` gets 413 without being read, and
        a request for a session that is closing or closed gets 400 (python-engineio
        raises ``KeyError``, or logs an error, there: a polling client that ends its
        session may poll once more), and a second WebSocket for a session that
        is upgrading (or upgraded) to one is closed at once (python-engineio
        would start a second upgrade while the first has not finished, and that
        WebSocket would wait for a probe forever). A handshake from an address
        that holds ``max_sessions_per_address`` sessions gets 429, JSONP and
        requests from another client than the session's get 400 (:meth:`refusal`).
        """
        query = environ.get('QUERY_STRING', '')
        params = _session_params(query)
        refused = self.refusal(environ, params)
        if refused is not None:
            return _refuse(start_response, *refused)
        if 'sid' in params:
            sid = params['sid'][0]
            engineio_socket = self.sockets.get(sid)
            if engineio_socket is not None and engineio_socket.closed:
                del self.sockets[sid]  # as python-engineio's _get_socket does
                return _refuse(start_response, '400 Bad Request', 'session is closed')
            if 'transport=websocket' in query and engineio_socket is not None and (
                    engineio_socket.upgrading or engineio_socket.upgraded):
                return _refuse(start_response, '400 Bad Request',
                               'this session has a WebSocket already')
        websocket = environ.get('wsgi.websocket')
        if websocket is not None and hasattr(websocket, 'max_message_size'):
            websocket.max_message_size = self.max_http_buffer_size  # checked before reading
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return _refuse(start_response, '400 Bad Request', 'invalid Content-Length')
        if length > self.max_http_buffer_size:
            return _refuse(start_response, '413 Payload Too Large',
                           'payload over max_http_buffer_size')
        try:
            return super().handle_request(environ, start_response)
        except KeyError:
            return _refuse(start_response, '400 Bad Request', 'session is closed')

    def _log_error_once(self, message, message_key):
        """python-engineio's log of a bad request (an unknown session, a bad transport...),
        as one warning line per kind at most every few seconds (:mod:`.refusals`), not an
        error."""
        refusals.note(message_key, '%s', message)

    def refusal(self, environ, params=None):
        """``(status_line, reason)`` for a handshake from an address that holds
        ``max_sessions_per_address`` sessions, a JSONP request (unless ``jsonp``) or a
        request of a session from another client than its handshake's, else None.
        ``params``: the query's, when the caller has parsed it already."""
        query = environ.get('QUERY_STRING', '')
        if 'sid=' not in query and self.max_sessions_per_address and \
                self.sessions_per_address[environ.get('REMOTE_ADDR')] \
                >= self.max_sessions_per_address:
            refusals.note('sessions per address', '%s holds %d sessions',
                          environ.get('REMOTE_ADDR'), self.max_sessions_per_address)
            return '429 Too Many Requests', \
                'too many sessions from this address (max_sessions_per_address)'
        if params is None:
            params = _session_params(query)
        if not params:
            return None
        if 'j' in params and not self.jsonp:
            refusals.note('jsonp', 'JSONP polling from %s', environ.get('REMOTE_ADDR'))
            return '400 Bad Request', 'JSONP polling is off (socketio.jsonp)'
        owner = self.session_owners.get(params.get('sid', [None])[0])
        if owner is not None and not owner.owns(environ):
            refusals.note('session of another client',
                          'a request from %s for a session of %s',
                          environ.get('REMOTE_ADDR'), owner.address)
            return '400 Bad Request', 'this session belongs to another client'
        return None

    def disconnect(self, sid=None):
        closing = [sid] if sid is not None else list(self.sockets)
        for closing_sid in closing:
            engineio_socket = self.sockets.get(closing_sid)
            if engineio_socket is not None:  # closed while still listed: hooks can find it
                engineio_socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
                self.sockets.pop(closing_sid, None)


class Server(socketio.Server):
    """A python-socketio server for per-connection namespace objects."""

    def __init__(self, *args, max_queued_packets=1000, slow_client_timeout=5,
                 max_queued_events=1000, max_queued_bytes=10000000, max_attachments=100,
                 max_sessions_per_address=100, jsonp=False, bound_cookies=(),
                 max_outbound_bytes=10000000, **kwargs):
        kwargs.setdefault('serializer', packets.JSONFirstPacket)
        super().__init__(*args, **kwargs)
        self.max_queued_packets = max_queued_packets
        self.max_outbound_bytes = max_outbound_bytes
        self.slow_client_timeout = slow_client_timeout
        self.max_queued_events = max_queued_events
        self.max_queued_bytes = max_queued_bytes
        self._inbound_size = 0
        self.max_attachments = max_attachments
        self.eio.max_sessions_per_address = max_sessions_per_address
        self.eio.jsonp = jsonp
        self.eio.bound_cookies = tuple(bound_cookies)
        self._backlogged_since = {}
        self._dropping = set()
        self._attachment_bytes = {}
        self.counters = Counters()

    def _engineio_server_class(self):
        return EngineIOServer

    def emit(self, *args, **kwargs):
        self.counters.events_out += 1
        return super().emit(*args, **kwargs)

    def emit_json(self, event, args, namespace, room):
        """``emit(event, args, to=room, namespace=namespace)`` for a tuple ``args`` of JSON
        data (a publication), never walked for binary (:mod:`.packets`)."""
        self.counters.events_out += 1
        packets.emit_json(self.manager, event, args, namespace, room)

    def emit_to_connected(self, sid, namespace, event, data):
        """``emit(event, data, to=sid, namespace=namespace, ignore_queue=True)`` for a client
        connected to this process, without python-socketio's room lookups (a handler's reply
        to its client); False, and nothing sent, if ``sid`` is not connected here."""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        if eio_sid is None:
            return False
        self.counters.events_out += 1
        arguments = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        self._send_packet(eio_sid, self.packet_class(packet.EVENT, namespace=namespace,
                                                     data=[event] + arguments))
        return True

    def _handle_event(self, eio_sid, namespace, id, data):
        self.counters.events_in += 1
        namespace = namespace or '/'
        bridge = self.namespace_handlers.get(namespace)
        mailbox_of = getattr(bridge, 'mailbox_of', None)
        if mailbox_of is None:
            return super()._handle_event(eio_sid, namespace, id, data)
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            return
        mailbox = mailbox_of(sid)
        if mailbox is not None:
            size, self._inbound_size = self._inbound_size, 0
            if len(mailbox) >= self.max_queued_events \
                    or mailbox.weight + size > self.max_queued_bytes:
                # The client sends faster than its events run: refuse it, rather than
                # queue without bound (its mailbox jobs go with it).
                mailbox.clear()
                return self._refuse_client(
                    eio_sid, namespace, 'too_many_events',
                    'more than %d events or %d bytes waiting to run'
                    % (self.max_queued_events, self.max_queued_bytes))
            mailbox.weigh_next(size)
        bridge.receive(sid, id, data)

    def _handle_eio_message(self, eio_sid, data):
        """python-socketio's, with the binary attachments of a packet bounded."""
        if eio_sid in self._dropping:
            return
        pending = self._binary_packet.get(eio_sid)
        size = len(data)
        if pending is not None:
            size += self._attachment_bytes.get(eio_sid, 0)
            if size > self.eio.max_http_buffer_size:
                return self._refuse_attachments(eio_sid, pending)
            self._attachment_bytes[eio_sid] = size
        self._inbound_size = size  # what an event of this message weighs in its mailbox
        try:
            super()._handle_eio_message(eio_sid, data)
        except MALFORMED as error:  # a packet python-socketio cannot decode: one line
            refusals.note('malformed packet', 'from %s: %s: %s',
                          self.eio.session_addresses.get(eio_sid), type(error).__name__,
                          str(error)[:200])
        finally:
            self._inbound_size = 0
        pending = self._binary_packet.get(eio_sid)
        if pending is None:
            self._attachment_bytes.pop(eio_sid, None)
        elif pending.attachment_count > self.max_attachments:
            self._refuse_attachments(eio_sid, pending)

    def _refuse_attachments(self, eio_sid, pending):
        self._binary_packet.pop(eio_sid, None)
        self._attachment_bytes.pop(eio_sid, None)
        self._refuse_client(eio_sid, pending.namespace or '/', 'attachments_too_large',
                            'binary attachments over max_attachments (%d) or '
                            'max_http_buffer_size (%d bytes)'
                            % (self.max_attachments, self.eio.max_http_buffer_size))

    def _refuse_client(self, eio_sid, namespace, name, message):
        """Tell the client why in an ``error`` event, then disconnect it."""
        if eio_sid in self._dropping:
            return  # already on its way out (a slow client, or refused a moment ago)
        log.warning('Disconnecting client %s: %s (%s)', eio_sid, name, message)
        bridge = self.namespace_handlers.get(namespace)
        event = getattr(bridge, 'error_event', 'error')
        self._dropping.add(eio_sid)
        try:
            self._send_packet_now(eio_sid, self.packet_class(
                packet.EVENT, namespace=namespace,
                data=[event, {'name': name, 'message': message}]))
            self.eio.disconnect(eio_sid)  # the error, then the CLOSE packet, are sent
        finally:
            self._dropping.discard(eio_sid)

    def _send_packet_now(self, eio_sid, pkt):
        socketio.Server._send_packet(self, eio_sid, pkt)

    def _handle_eio_connect(self, eio_sid, environ):
        self.eio.session_opened(eio_sid, environ)
        return super()._handle_eio_connect(eio_sid, environ)

    def _handle_eio_disconnect(self, eio_sid, reason):
        self.eio.stop_ping_timer(eio_sid)
        self.eio.session_closed(eio_sid)
        self._backlogged_since.pop(eio_sid, None)
        self._binary_packet.pop(eio_sid, None)  # python-socketio keeps a half-received one
        self._attachment_bytes.pop(eio_sid, None)
        super()._handle_eio_disconnect(eio_sid, reason)

    def _send_eio_packet(self, eio_sid, eio_pkt):
        """python-socketio's (one packet for every recipient of a broadcast), written at
        once where nothing waits (:mod:`.fastlane`)."""
        engineio_socket = self.eio.sockets.get(eio_sid)
        if self._may_send(eio_sid, engineio_socket, size_of(eio_pkt)):
            self.counters.deliveries += 1
            self._write(eio_sid, engineio_socket, eio_pkt)

    def _send_packet(self, eio_sid, pkt):
        """python-socketio's, encoding first: what it adds to the client's queue is weighed
        (and, before it is made, whether one as large as the largest of its backlog would fit)."""
        engineio_socket = self.eio.sockets.get(eio_sid)
        largest = engineio_socket.queue.largest if engineio_socket is not None else 0
        if not self._may_send(eio_sid, engineio_socket, largest):
            return
        encoded = pkt.encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        if self._may_send(eio_sid, engineio_socket, sum(len(part) for part in parts)):
            if pkt.packet_type in (packet.EVENT, packet.BINARY_EVENT):
                self.counters.deliveries += 1
            for part in parts:
                self._write(eio_sid, engineio_socket,
                            engineio.packet.Packet(engineio.packet.MESSAGE, part))

    def _write(self, eio_sid, engineio_socket, eio_pkt):
        """Write ``eio_pkt`` now if nothing waits for the client, else queue it."""
        if not fastlane.write_now(engineio_socket, eio_pkt):
            self.eio.send_packet(eio_sid, eio_pkt)

    def _may_send(self, eio_sid, engineio_socket, size):
        """:meth:`_keeps_up`, answered at once where nothing waits for anyone."""
        if engineio_socket is not None and not engineio_socket.queue.bytes \
                and not self._dropping and not self._backlogged_since:
            return True
        return self._keeps_up(eio_sid, size)

    def _keeps_up(self, eio_sid, size):
        """False (and the client on its way out) if too much already waits for it to take
        ``size`` more bytes."""
        if eio_sid in self._dropping:
            return False
        engineio_socket = self.eio.sockets.get(eio_sid)
        if engineio_socket is None:
            return True
        waiting = engineio_socket.queue.bytes
        if waiting and waiting + COPIES * size > self.max_outbound_bytes:  # as it is made
            return self._drop_slow(eio_sid, engineio_socket, '%d bytes waiting, %d more'
                                   % (waiting, size))
        queued = engineio_socket.queue.qsize()
        if queued < self.max_queued_packets:
            self._backlogged_since.pop(eio_sid, None)
            return True
        since = self._backlogged_since.setdefault(eio_sid, time.monotonic())
        if queued < 10 * self.max_queued_packets \
                and time.monotonic() - since < self.slow_client_timeout:
            return True
        return self._drop_slow(eio_sid, engineio_socket, '%d packets queued for %.1f s'
                               % (queued, time.monotonic() - since))

    def _drop_slow(self, eio_sid, engineio_socket, why):
        """Free what waits for a client that does not read, and disconnect it; False."""
        log.warning('Dropping slow client %s: %s', eio_sid, why)
        self._backlogged_since.pop(eio_sid, None)
        self._dropping.add(eio_sid)
        engineio_socket.queue.drop_queued()  # free the memory now
        websocket = self.environ.get(eio_sid, {}).get('wsgi.websocket')
        sock = socket_of(websocket) if websocket is not None else None
        if sock is not None:  # unblock a writer stuck on a full TCP buffer
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Not inline: we may be in the middle of a broadcast to this client's rooms.
        self.start_background_task(self._drop, eio_sid)
        return False

    def _drop(self, eio_sid):
        self.counters.slow_client_drops += 1
        try:
            self.eio.disconnect(eio_sid)
        finally:
            self._dropping.discard(eio_sid)


def _send_ping_now(engineio_socket):
    """The end of python-engineio's ``Socket._send_ping``, once its interval is over."""
    if not engineio_socket.closing and not engineio_socket.closed:
        engineio_socket.last_ping = time.time()
        engineio_socket.send(engineio.packet.Packet(engineio.packet.PING))


def _session_params(query):
    """The parsed query of a session's or a JSONP request, else ``{}`` (a handshake's query
    is not parsed here): what :meth:`EngineIOServer.refusal` and ``handle_request`` read."""
    return parse_qs(query) if 'sid=' in query or 'j=' in query else {}


def _refuse(start_response, status, reason):
    start_response(status, [('Content-Type', 'text/plain'), ('Connection', 'close')])
    return [reason.encode('utf-8')]
