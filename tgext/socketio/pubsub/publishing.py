"""publish() and history(): a channel's publications, from anywhere.

Inside a process that serves the namespace (a handler, a controller
action), the app's runtime is used: its history store gives each publication
its position, and its server delivers it. Elsewhere (a script, a cron job, a
worker) a write-only connection to the backend URL is opened and kept.
"""
import functools
import json
import time
import weakref

import gevent.lock
from tg import config

from ..edge import packets
from ..namespaces.runtime import current, serving
from . import backends, transactional
from .backends import PublishError
from .stores import HistoryPolicy, store_for

#: Room prefix of channels, so that no channel can be a client's own sid room.
ROOM_PREFIX = 'channel:'


def room(channel):
    """The python-socketio room of ``channel``."""
    return ROOM_PREFIX + channel


def publish(channel, data, namespace='/', backend=None, event=None, bus_channel=None,
            immediate=False):
    """Send ``publication(data, channel, position)`` to every subscriber of ``channel``.

    ``namespace``: the namespace path the subscribers are connected to.
    ``backend``: a backend URL, to publish from a process that serves no
    Socket.IO (default: ``socketio.backend`` of the TurboGears config).
    ``event``: the event name (default: ``socketio.publication_event``).
    ``bus_channel``: with ``backend``, the servers' ``socketio.channel``.

    Outside a transaction it is sent at once and the publication's position
    ``{"epoch", "offset"}`` is returned. Inside one (a request under TurboGears'
    transaction manager, a socket handler, a script's ``transaction``) it is
    sent when the transaction commits, never if it aborts, and a
    :class:`~tgext.socketio.PendingPublication` is returned (its ``position``
    is known after the commit); ``immediate=True`` sends at once even there.
    Raises :class:`TypeError` for data that JSON cannot carry (NaN and
    infinities included: browsers cannot parse them) and
    :class:`~tgext.socketio.PublishError` when the backend is down.
    """
    return publish_to(target_for(namespace, backend, bus_channel), channel, data, namespace, event,
                      immediate)


def publish_to(target, channel, data, namespace, event=None, immediate=False):
    """:func:`publish` through ``target`` (a runtime's, or a backend URL's :class:`_Target`)."""
    if not isinstance(channel, str):
        raise TypeError('a channel is a str, not %r' % (channel,))
    if not (immediate and target.history.encodes_json):  # else its encoding checks it now
        try:
            json.dumps(data, allow_nan=False)  # browsers' JSON.parse refuses NaN and Infinity
        except (TypeError, ValueError) as exc:
            raise TypeError('data published to %r is not JSON-serialisable: %s'
                            % (channel, exc)) from None
    return transactional.send_after_commit(
        channel, functools.partial(_send, target, channel, data, namespace, event), immediate)


def _send(target, channel, data, namespace, event):
    size, seconds = target.policy.limits(channel)
    try:
        with target.turn(channel):  # offsets reach this process's bus in their order
            position = target.record(channel, data, size, seconds)
            target.emit(event or target.publication_event, (data, channel, position),
                        namespace=namespace, room=room(channel))
    except Exception:
        target.failures += 1
        raise
    return position


def parse_json(text):
    """The data of JSON ``text``, as :func:`publish` accepts it (NaN and infinities refused)."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name):
    raise ValueError('%s is not JSON (browsers cannot parse it)' % name)


def history(channel, limit=None, since=None, namespace='/', backend=None, bus_channel=None):
    """The kept publications of ``channel``: ``(data, position)`` pairs, oldest first.

    ``since``: only those after this position (or ``{"time": t}``); ``limit``:
    at most this many. See :func:`history_since` to learn whether some are missing.
    """
    return history_since(channel, since, limit, namespace, backend, bus_channel)[0]


def history_since(channel, since, limit=None, namespace='/', backend=None, bus_channel=None):
    """``(publications, recovered)``: what followed ``since``, and whether all of it is kept."""
    return history_through(target_for(namespace, backend, bus_channel), channel, since, limit)


def history_through(target, channel, since, limit=None):
    """:func:`history_since` through ``target``."""
    size, seconds = target.policy.limits(channel)
    since = since or {'time': 0.0}
    if 'time' in since:
        return target.history.since(channel, after_time=float(since['time']), size=size,
                                    seconds=seconds, limit=limit)
    if not isinstance(since.get('offset'), int):
        raise TypeError('a position is {"epoch": str, "offset": int}, not %r' % (since,))
    return target.history.since(channel, after=since, size=size, seconds=seconds, limit=limit)


class _Target:
    """Where publications go: a history store, a policy, and ``send(event, data, namespace,
    room)`` (a server's emit in an app, a write-only manager's elsewhere)."""

    #: Seconds the backend may leave this process's publications unanswered before the
    #: next ones raise :class:`PublishError` at once, unsent, instead of queueing behind
    #: them: a paused or stuck backend (Redis ``CLIENT PAUSE``) holds the publications it
    #: was given (up to their backend's patience), not every one made after them.
    stall_after = 3.0

    def __init__(self, history, policy, send, publication_event):
        self.history = history
        self.record = history.append  # (channel, data, size, seconds) -> position
        self.policy = policy
        self.emit = send
        self.publication_event = publication_event
        self.failures = 0  # publications the history store or the backend refused
        self._turns = {}  # channel -> [its lock, publications holding or waiting for it]
        self._out = 0  # publications handed to the backend, not answered yet
        self._last_answer = 0.0  # when the backend last answered one (or was handed one)

    def turn(self, channel):
        """The turn of a publication to ``channel``, a context manager: a lock per channel
        (kept while in use) so that positions stay in bus order, waited for only while the
        backend answers."""
        return _Turn(self, channel)

    def _refuse_if_stalled(self, channel):
        """Raise :class:`PublishError` if the backend owes answers for over ``stall_after``
        seconds, else return the seconds it may still stay silent."""
        silence = time.monotonic() - self._last_answer if self._out else 0.0
        if silence > self.stall_after:
            raise PublishError('the backend has answered none of the %d publications it was '
                               'given for %.1f s: not sending this one to %r'
                               % (self._out, silence, channel))
        return self.stall_after - silence + 0.01


class _Turn:
    """A publication's turn on its channel (:meth:`_Target.turn`)."""

    __slots__ = ('target', 'channel', 'entry')

    def __init__(self, target, channel):
        self.target = target
        self.channel = channel
        self.entry = None

    def __enter__(self):
        target, channel = self.target, self.channel
        entry = self.entry = target._turns.get(channel)
        if entry is None:
            entry = self.entry = target._turns[channel] = [gevent.lock.RLock(), 0]
        entry[1] += 1
        acquired = False
        try:
            while not entry[0].acquire(timeout=target._refuse_if_stalled(channel)):
                pass  # the backend answered meanwhile: wait on, in line
            acquired = True
            target._refuse_if_stalled(channel)  # it may have stalled while this one waited
        except BaseException:
            if acquired:
                entry[0].release()
            self._leave()
            raise
        if not target._out:
            target._last_answer = time.monotonic()
        target._out += 1

    def __exit__(self, *exc_info):
        target = self.target
        target._out -= 1
        target._last_answer = time.monotonic()
        self.entry[0].release()
        self._leave()

    def _leave(self):
        self.entry[1] -= 1
        if not self.entry[1]:
            turns = self.target._turns
            del turns[self.channel]
            if not turns:  # a dict keeps the table a burst of channels grew it to
                self.target._turns = {}


_stores = weakref.WeakKeyDictionary()  # runtime -> its app's history store


def store_of(runtime):
    """The store that gives the publications of ``runtime``'s app their positions and keeps
    their history."""
    store = _stores.get(runtime)
    if store is None:
        store = _stores[runtime] = store_for(runtime.backend_url, runtime.bus_channel)
    return store


def target_of(server):
    """Where publications through ``server`` go: its app's history and policy, its manager."""
    target = getattr(server, 'tgext_publishing', None)
    if target is None:
        runtime = server.runtime
        target = server.tgext_publishing = _Target(
            store_of(runtime), HistoryPolicy(runtime.conf['socketio.history']),
            server.emit_json, runtime.publication_event)
    return target


def target_for(namespace, backend=None, bus_channel=None):
    """Where :func:`publish` with these arguments goes (raises what it would raise)."""
    runtime = current() if backend is None else None
    if runtime is not None:
        servers = runtime.servers_with(namespace) or runtime.servers
        if servers and not runtime.serving and runtime.backend_url.startswith('memory:'):
            servers = _servers_of_an_app_that_serves(namespace)
        if servers:
            return target_of(servers[0])
    url, configured_bus_channel, event, policy = _configured_backend(backend)
    return _writer(url, bus_channel or configured_bus_channel, event, policy)


def _servers_of_an_app_that_serves(namespace):
    """Outside a request, on memory://, the last app made serves nothing: the servers of
    ``namespace`` of the last app that does (the quickstart's test harness makes a second
    app to set the database up), else :class:`PublishError`, as nobody could receive it."""
    for runtime in serving():
        if runtime.servers_with(namespace):
            return runtime.servers_with(namespace)
    raise PublishError(
        'publish() on memory:// reaches only the clients of its own process, and this one '
        'has served none (a script, a shell, a worker): set socketio.backend to the redis://, '
        'amqp:// or mongodb:// URL the servers use (in tests: publish once the app has '
        'served a request)')


def _configured_backend(backend):
    url = backend or config.get('socketio.backend')
    if not url:
        raise ValueError('publish() outside a Socket.IO server needs backend=URL '
                         '(or socketio.backend in the TurboGears config)')
    return (url, config.get('socketio.channel', 'tgext.socketio'),
            config.get('socketio.publication_event', 'publication'),
            config.get('socketio.history', '*:100:300'))


@functools.lru_cache(maxsize=None)
def _writer(url, bus_channel, event, policy):
    manager = backends.client_manager(url, channel=bus_channel, write_only=True)
    return _Target(store_for(url, bus_channel), HistoryPolicy(policy),
                   functools.partial(packets.emit_json, manager), event)
