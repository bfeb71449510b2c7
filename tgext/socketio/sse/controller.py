"""EventStreamController: channels of a namespace as Server-Sent Events, where the app mounts it."""
import json

import socketio
import tg
from tg import TGController, expose
from webob import Response

from ..edge import origins
from ..namespaces import dispatch
from ..namespaces.errors import SocketIOError
from ..namespaces.runtime import current
from ..pubsub import publishing
from . import streams, wire

#: Response headers of a stream: no caching, no buffering by nginx.
STREAM_HEADERS = [('Cache-Control', 'no-cache'), ('X-Accel-Buffering', 'no')]


class EventStreamController(TGController):
    """Stream channels of ``namespace`` (a :class:`~tgext.socketio.PubSubNamespace` the app
    serves) as ``text/event-stream``::

        class RootController(TGController):
            events = EventStreamController('/chat')

    ``GET /events/room/1`` subscribes as ``('subscribe', 'room', '1')`` would, through the
    namespace's ``allow_only``, ``on_connect()`` and ``subscribe_room('1')`` with the
    request's identity (what they ``emit()`` to the client comes first on the stream;
    ``on_disconnect`` is not called: a stream is not a connection);
    ``?subscribe=room/1&subscribe=room/2`` asks for several, ``?token=T`` for a
    subscription token's channel. Each publication is an event whose ``event:`` is
    the publication event, ``data:`` its JSON and ``id:`` the position of every
    channel of the stream; a ``subscribed`` event per channel comes first
    (``{"channel", "position", "recovered"}``). ``Last-Event-ID`` (or
    ``?lastEventId=``) resumes from the history, and ``?sinceTime=T`` replays the channels
    it does not name from time ``T`` (a page's render time): ``recovered`` is false when
    some of what followed is no longer kept. A refused subscription is an HTTP error with
    a JSON body, and nothing is streamed.

    ``keepalive``: seconds between comments on a quiet stream; ``max_queued``:
    events that may wait for a client that does not read, before its stream is
    ended with an ``error`` event; ``max_streams_per_address``: open streams per
    client address (429 beyond; None: no limit).
    """

    def __init__(self, namespace, keepalive=15.0, max_queued=1000, max_streams_per_address=20):
        super().__init__()
        self.namespace = namespace
        self.keepalive = keepalive
        self.max_queued = max_queued
        self.max_streams_per_address = max_streams_per_address

    @expose()
    def _default(self, *args, **params):
        """The stream of the subscriptions the request asks for."""
        request = tg.request
        try:
            return self._stream(request, _asked(args, request.GET))
        except _Refused as refused:
            return refused.response

    def _stream(self, request, asked):
        runtime = current()
        servers = runtime.servers_with(self.namespace) if runtime is not None else []
        if not servers:
            raise _Refused(404, 'no_such_namespace', 'no SocketIOController of this app serves '
                           '%s' % self.namespace)
        server = servers[0]
        refusal = origins.refusal_for_origin(request.environ, runtime.cors_allowed_origins)
        if refusal is not None:
            raise _Refused(403, 'origin_refused', refusal[1])
        if not asked:
            raise _Refused(400, 'invalid_method_args', 'ask for a channel: /events/NAME/ARG, '
                           '?subscribe=NAME/ARG or ?token=T')
        hub = streams.hub_of(server)
        address = request.environ.get('REMOTE_ADDR')
        limit = self.max_streams_per_address
        if limit is not None and hub.open_count(address) >= limit:
            raise _Refused(429, 'too_many_streams', 'this address has %d streams open already'
                           % self.max_streams_per_address)
        channels, emitted = self._authorized(server, request, asked)
        stream = streams.Stream(self.namespace, channels, address, self.max_queued)
        hub.add(stream)  # live publications are kept from now on, then the history is read
        try:
            opening = self._opening(server, stream, request, emitted)
        except Exception:
            hub.remove(stream)
            raise
        response = Response(app_iter=self._body(hub, stream, opening), status=200,
                            content_type='text/event-stream', charset='utf-8')
        response.headerlist.extend(STREAM_HEADERS + _cors(request))
        return response

    def _authorized(self, server, request, asked):
        """``(channels, emitted)``: the channels of ``asked`` as the namespace decides for this
        request (``allow_only``, ``on_connect``, the subscribe methods), and the events its
        methods emitted to the client meanwhile (the stream sends them first)."""
        namespace_class = server.namespace_handlers[self.namespace].namespace_class
        instance = namespace_class(server, self.namespace, None, request)
        emitted = []
        instance.emit = lambda event, *args, **kwargs: emitted.append((event, args))
        try:
            dispatch.check_predicate(namespace_class.allow_only, request.environ)
            instance.on_connect()
            channels = []
            for subscription in asked:
                channel = instance.authorize(*subscription)
                if channel not in channels:
                    channels.append(channel)
            return channels, emitted
        except SocketIOError as error:  # a predicate not met, a refusal, a bad token
            # 403, not 401: an app's authentication layer would answer 401 with a login page
            raise _Refused(403, error.name, error.message, **error.details) from None
        except socketio.exceptions.ConnectionRefusedError as refused:  # on_connect refused
            raise _Refused(403, 'connection_refused', str(refused) or 'refused') from None

    def _opening(self, server, stream, request, emitted):
        """The first bytes: what the namespace emitted, ``subscribed`` of each channel, then
        what it missed."""
        target = publishing.target_of(server)
        resumed = wire.parse_event_id(request.headers.get('Last-Event-ID')
                                      or request.GET.get('lastEventId'))
        since_time = _since_time(request.GET.get('sinceTime'))
        recovered, missed = {}, []
        for channel in list(stream.positions):
            if channel in resumed or since_time is not None:
                since = resumed.get(channel) or {'time': since_time}
                publications, recovered[channel] = publishing.history_through(
                    target, channel, since)
                stream.resume(channel, resumed.get(channel) or (
                    _before(publications[0][1]) if publications else target.history.top(channel)))
                missed.extend((channel, data, position) for data, position in publications)
            else:  # a new subscription: from now on
                recovered[channel] = True
                stream.resume(channel, target.history.top(channel))
        opening = [wire.preamble()]
        opening += [wire.control(event, args[0] if len(args) == 1 else list(args))
                    for event, args in emitted]
        resume_from = wire.event_id(stream.positions)  # what a reconnection names, at once
        opening += [wire.control('subscribed', {'channel': channel, 'recovered': recovered[channel],
                                                'position': stream.positions[channel]},
                                 resume_from)
                    for channel in stream.positions]
        opening += [stream.written(target.publication_event, wire.json_text(data), channel,
                                   position)
                    for channel, data, position in missed]
        return [chunk for chunk in opening if chunk is not None]

    def _body(self, hub, stream, opening):
        try:
            yield from opening
            yield from stream.chunks(self.keepalive)
        finally:
            hub.remove(stream)


def _asked(args, query):
    """The subscriptions a request asks for: ``[(name, *args)]`` and ``({'token': t},)``."""
    asked = [tuple(args)] if args else []
    asked += [tuple(value.split('/')) for value in query.getall('subscribe') if value]
    asked += [({'token': token},) for token in query.getall('token') if token]
    return asked


def _before(position):
    """The position a stream that is to replay from ``position`` on stands at."""
    return dict(position, offset=max(0, position['offset'] - 1))


def _since_time(text):
    """``?sinceTime=`` (a page's render time): the history after it, for new subscriptions."""
    try:
        return float(text) if text else None
    except ValueError:
        raise _Refused(400, 'invalid_method_args', 'sinceTime is a Unix time') from None


def _cors(request):
    """The CORS headers of an allowed cross-origin stream (cookies included)."""
    origin = request.headers.get('Origin')
    if not origin:
        return []
    return [('Access-Control-Allow-Origin', origin), ('Access-Control-Allow-Credentials', 'true'),
            ('Vary', 'Origin')]


class _Refused(Exception):
    """A request that gets an HTTP error with a JSON body instead of a stream."""

    def __init__(self, status, name, message, **details):
        super().__init__(message)
        body = json.dumps({'error': dict(details, name=name, message=message)})
        self.response = Response(body=body.encode('utf-8'), status=status,
                                 content_type='application/json', charset='utf-8')
