"""SocketIONamespace: the per-connection object that answers client events."""
import functools
import inspect

import gevent

#: Events only python-socketio may trigger, never a client.
RESERVED_EVENTS = frozenset(['connect', 'disconnect'])


def on(event):
    """Make the decorated method answer client event ``event``.

    For event names that are not Python identifiers (``'user:typing'``,
    ``'message-with-ack'``); works with ``@require`` and ``@validate``::

        @on('user:typing')
        @require(not_anonymous())
        def typing(self, channel): ...
    """
    if event in RESERVED_EVENTS:
        raise ValueError('%r is reserved to python-socketio' % event)

    def mark(method):
        method.socketio_event = event
        return method
    return mark


@functools.lru_cache(maxsize=None)
def event_handlers(namespace_class):
    """``{event: method name}`` of a namespace class: ``on_EVENT`` methods and ``@on`` ones."""
    handlers = {}
    for name, member in inspect.getmembers(namespace_class, callable):
        if name.startswith('on_') and name[3:] not in RESERVED_EVENTS:
            handlers.setdefault(name[3:], name)
    for name, member in inspect.getmembers(namespace_class, callable):
        event = getattr(member, 'socketio_event', None)
        if isinstance(event, str):
            handlers[event] = name
    return handlers


class SocketIONamespace:
    """Base class of the namespaces a :class:`SocketIOController` lists.

    One instance is made for each client connection to the namespace;
    ``on_EVENT(self, *args)`` methods answer the client's events and their
    return value is the acknowledgement the client receives.

    Class attributes:

    ``allow_only``
        A TurboGears predicate every connection must meet, as on a
        controller: an unmet predicate refuses the connection with a
        Socket.IO connect error carrying the predicate's message.

    Instance attributes: ``sid`` (this connection's id in the namespace),
    ``namespace`` (its path, e.g. ``'/pingpong'``), ``session`` (a private
    dict), ``request`` (the TurboGears request of the handshake, with
    ``identity``), ``auth`` (the client's handshake payload,
    ``io({auth: {...}})``, or None) and ``server`` (the python-socketio server).
    """

    allow_only = None

    def __init__(self, server, namespace, sid, request, auth=None):
        self.server = server
        self.namespace = namespace
        self.sid = sid
        self.request = request
        self.auth = auth
        self.session = {}
        self._greenlets = None  # a set, once the connection spawns

    def on_connect(self):
        """Called once the connection is accepted; may raise to refuse it."""

    def on_disconnect(self, reason):
        """Called once when the client has gone, with python-socketio's reason."""

    def emit(self, event, *args, callback=None):
        """Send ``event`` with ``args`` to this client only.

        ``callback`` is called with the client's acknowledgement, if any.
        The client is connected to this process: the event goes to it
        directly, not through the backend (python-socketio's
        ``ignore_queue``), so that replies and error events reach the client
        while the bus is down.
        """
        data = _as_data(args)
        if callback is None and self.server.emit_to_connected(self.sid, self.namespace, event,
                                                              data):
            return  # the common case: a reply to a client of this process
        local = self.server.manager.eio_sid_from_sid(self.sid, self.namespace) is not None
        self.server.emit(event, data, to=self.sid, namespace=self.namespace,
                         callback=callback, ignore_queue=local)

    def emit_to_room(self, room, event, *args, include_self=True):
        """Send ``event`` to every member of ``room`` in this namespace."""
        self.server.emit(event, _as_data(args), to=room, namespace=self.namespace,
                         skip_sid=None if include_self else self.sid)

    def broadcast(self, event, *args, include_self=True):
        """Send ``event`` to every client connected to this namespace."""
        self.server.emit(event, _as_data(args), namespace=self.namespace,
                         skip_sid=None if include_self else self.sid)

    def join(self, room):
        """Add this client to ``room``."""
        self.server.enter_room(self.sid, room, namespace=self.namespace)

    def leave(self, room):
        """Remove this client from ``room``."""
        self.server.leave_room(self.sid, room, namespace=self.namespace)

    @property
    def rooms(self):
        """The rooms this client is in (its own ``sid`` room included)."""
        return self.server.rooms(self.sid, namespace=self.namespace)

    def disconnect(self):
        """Close this client's connection to the namespace."""
        self.server.disconnect(self.sid, namespace=self.namespace)

    def spawn(self, function, *args, **kwargs):
        """Run ``function`` in a greenlet that is killed when the client leaves."""
        greenlet = gevent.spawn(function, *args, **kwargs)
        if self._greenlets is None:
            self._greenlets = set()
        self._greenlets.add(greenlet)
        greenlet.link(self._greenlets.discard)
        return greenlet

    def _kill_greenlets(self):
        if self._greenlets:
            gevent.killall(list(self._greenlets), block=False)
            self._greenlets.clear()


SocketIOTGNamespace = SocketIONamespace


def userid_of(instance):
    """The TurboGears user id of a connection's namespace object (a str), or None when
    anonymous. A function, not an attribute: the app's namespaces own their attributes."""
    return userid_of_request(instance.request)


def userid_of_request(request):
    """The TurboGears user id (a str) of ``request``, or None when anonymous."""
    identity = getattr(request, 'identity', None) or {}
    userid = identity.get('repoze.who.userid')
    return None if userid is None else str(userid)


def _as_data(args):
    """python-socketio's spelling of an argument list: a tuple spreads."""
    if len(args) == 1 and not isinstance(args[0], tuple):
        return args[0]
    return tuple(args)
