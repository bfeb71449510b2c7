"""The console's Socket.IO side: one operator's connection, and what its server pushes.

Pushed to every open console (events of :data:`NAMESPACE`):

* ``console_overview(overview)`` every :attr:`ConsoleHub.refresh_every` seconds
  (see :func:`.overview.summarize`);
* ``console_log(entry)`` for each entry of the live log, ``console_skipped(n)``
  with the number of entries left out by sampling so far (see
  :mod:`tgext.socketio.cluster.activity`).

Answered to the console that asks (each handler also returns its answer):
``history``, ``publish``, ``disconnect_connection``, ``disconnect_user``
(``console_history`` and ``console_notice`` events).
"""
import collections
import time

import gevent
import gevent.lock

from ..cluster import activity, operations
from ..namespaces.base import SocketIONamespace
from ..namespaces.errors import SocketIOError
from ..namespaces.runtime import current
from ..pubsub import ask, publishing
from ..pubsub.backends import PublishError
from .overview import summarize

NAMESPACE = '/tgext-console'
ROOM = 'tgext-console'


class ConsoleHub:
    """What the console's server does while at least one console is open."""

    refresh_every = 2.0
    fresh_for = 0.5
    remembered_publications = 5000

    def __init__(self, server):
        self.server = server
        self.skipped = 0
        self._seen = collections.OrderedDict()  # positions of the publications logged
        self._loop = None
        self._asking = gevent.lock.Semaphore()
        self._last = None  # (monotonic time, overview)

    def opened(self):
        """A console connected: start watching the cluster, if not already."""
        if self._loop is None:
            activity.FEED.listeners.add(self.log)
            self._loop = gevent.spawn(self._watch)

    def _watch(self):
        try:
            while self.server.manager.rooms.get(NAMESPACE, {}).get(ROOM):
                activity.watch(current_servers())
                self.push('console_overview', self.overview())
                gevent.sleep(self.refresh_every)
        finally:
            activity.FEED.listeners.discard(self.log)
            self._loop = None

    def overview(self):
        """The cluster's overview; asked at most once per ``fresh_for`` seconds, however many
        consoles refresh (one ask at a time: the others wait for it)."""
        with self._asking:
            if self._last is None or time.monotonic() - self._last[0] > self.fresh_for:
                answers = ask.ask_servers(current_servers(), operations.OVERVIEW)
                self._last = (time.monotonic(), summarize(answers))
            return self._last[1]

    def push(self, event, data):
        self.server.emit(event, data, to=ROOM, namespace=NAMESPACE, ignore_queue=True)

    def log(self, batch):
        """A batch of live log entries (:mod:`tgext.socketio.cluster.activity`): push the
        ones not logged yet."""
        for entry in batch['entries']:
            if self._first_time(entry):
                entry['subject'] = entry.get('channel') or entry.get('event') or entry.get('sid')
                entry['clock'] = time.strftime('%H:%M:%S', time.gmtime(entry['time']))
                entry['text'] = ' '.join(str(entry.get(field) or '') for field in (
                    'kind', 'namespace', 'subject', 'user', 'sid', 'detail')).lower()
                self.push('console_log', entry)
        if batch['skipped']:
            self.skipped += batch['skipped']
            self.push('console_skipped', self.skipped)

    def _first_time(self, entry):
        if entry['kind'] != 'publication':
            return True
        key = (entry['namespace'], entry['channel'], entry['position'].get('epoch'),
               entry['position'].get('offset'))
        if key in self._seen:
            return False
        self._seen[key] = True
        if len(self._seen) > self.remembered_publications:
            self._seen.popitem(last=False)
        return True


def hub_of(server):
    """The :class:`ConsoleHub` of the console's ``server`` (made on first use)."""
    hub = getattr(server, 'tgext_console', None)
    if hub is None:
        hub = server.tgext_console = ConsoleHub(server)
    return hub


def current_servers():
    """The servers of this process's app: the console's and the app's endpoints."""
    return current().servers


class ConsoleNamespace(SocketIONamespace):
    """One operator's console. Who may open it is the :class:`.ConsoleController`'s predicate."""

    def on_connect(self):
        self.join(ROOM)
        hub_of(self.server).opened()

    def on_refresh(self):
        """Push a fresh overview to every console now."""
        overview = hub_of(self.server).overview()
        hub_of(self.server).push('console_overview', overview)
        return overview

    def on_history(self, channel, limit=20, namespace='/'):
        """The kept publications of ``channel`` (newest ``limit``)."""
        limit = _bounded_int(limit, 'limit', 1, 1000)
        publications, complete = publishing.history_since(_text(channel, 'channel'), None,
                                                         namespace=_text(namespace, 'namespace'))
        answer = {'channel': channel, 'namespace': namespace, 'complete': complete,
                  'publications': [{'position': position, 'detail': activity.detail(data)}
                                   for data, position in publications[-limit:]]}
        self.emit('console_history', answer)
        return answer

    def on_publish(self, namespace, channel, data):
        """Publish ``data`` (JSON text) to ``channel`` of ``namespace``, from the console."""
        try:
            value = publishing.parse_json(_text(data, 'data'))
        except ValueError as exc:
            raise SocketIOError('data is not JSON: %s' % exc, name='invalid_data') from None
        try:
            position = publishing.publish(_text(channel, 'channel'), value,
                                          namespace=_text(namespace, 'namespace'),
                                          immediate=True)  # an operator's: commits nothing
        except (PublishError, LookupError) as exc:
            raise SocketIOError('not published: %s' % exc, name='publish_failed') from None
        return self._notice('published to %s at offset %s' % (channel, position['offset']),
                            position=position)

    def on_disconnect_connection(self, namespace, sid):
        """Disconnect one connection, wherever in the cluster it is."""
        count = _disconnect(namespace=_text(namespace, 'namespace'), sid=_text(sid, 'sid'))
        return self._notice('disconnected %d connection(s)' % count, disconnected=count)

    def on_disconnect_user(self, user):
        """Disconnect every connection of ``user`` (a TurboGears user id), cluster-wide."""
        count = _disconnect(user=_text(user, 'user'))
        return self._notice('disconnected %d connection(s) of %s' % (count, user),
                            disconnected=count)

    def _notice(self, text, **details):
        answer = dict(details, text=text)
        self.emit('console_notice', answer)
        return answer


def _disconnect(**params):
    """How many connections the servers of the cluster disconnected, asked with ``params``."""
    answers = ask.ask_servers(current_servers(), operations.DISCONNECT, **params)
    return operations.DISCONNECT.merge(list(answers.values()))['disconnected']


def _text(value, name):
    if not isinstance(value, str) or not value:
        raise SocketIOError('%s must be a non-empty string' % name, name='invalid_argument')
    return value


def _bounded_int(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SocketIOError('%s must be an integer from %d to %d' % (name, low, high),
                            name='invalid_argument')
    return value
