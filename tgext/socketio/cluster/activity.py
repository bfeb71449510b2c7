"""The console's live log: what the servers of the cluster do, sampled, while a console watches.

Each process keeps one :data:`FEED`. It records nothing unless a console
watches: a console sends ``watch`` on the bus every few seconds and every
process records for :attr:`ActivityFeed.lease` seconds after the last one.
Recorded entries (connections, disconnections, client events, publications
delivered to this process's clients) leave in batches every
:attr:`ActivityFeed.period` seconds: to the consoles of this process, and
on the bus to those of the others. At most :attr:`ActivityFeed.per_second`
entries per process and second are kept; the rest are counted, and the
count travels with the next batch ("sampled under load").

The entries come from the servers' hooks (:mod:`tgext.socketio.namespaces.hooks`),
which the feed listens to only while it records: unwatched, it costs nothing.

A publication reaches every process of the cluster (and the command line's
reach them too), so each process records it; consoles keep the first copy
of each position.
"""
import json
import os
import time
import weakref

import gevent

from ..namespaces.base import userid_of
from ..namespaces.errors import shown
from ..pubsub import bus as busmodule

#: Characters of an event's arguments or a publication's data shown in the log.
DETAIL_CHARS = 200


def detail(value):
    """``value`` as JSON text, cut to :data:`DETAIL_CHARS` characters."""
    try:
        text = json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS - 1] + '…'


class ActivityFeed:
    """This process's recorder (see module doc)."""

    lease = 10.0
    period = 0.25
    per_second = 50

    def __init__(self):
        self.watched_until = 0.0
        self.listeners = set()  # callables(batch) of this process's consoles
        self.bus = None         # a distributed bus of this process, to tell the others
        self.hooks = weakref.WeakSet()  # this process's servers' hooks, heard while watched
        self._entries, self._skipped = [], 0
        self._window = (0, 0)   # (second, entries kept in it)
        self._flusher = None

    @property
    def origin(self):
        return {'pid': os.getpid(), 'hostname': busmodule.HOSTNAME}

    @property
    def watched(self):
        return time.monotonic() < self.watched_until

    def watch(self, message=None):
        """A console watches: record for ``lease`` seconds from now."""
        self.watched_until = time.monotonic() + self.lease
        if self._flusher is None:
            self._listen(True)
            self._flusher = gevent.spawn(self._flush_while_watched)

    def follow(self, server_hooks):
        """Record what a server's hooks tell, while watched."""
        self.hooks.add(server_hooks)
        if self._flusher is not None:  # a server built while a console watches
            _listen_to(server_hooks, True)

    def _listen(self, on):
        for server_hooks in list(self.hooks):
            _listen_to(server_hooks, on)

    def note(self, kind, namespace, **detail):
        """Record an entry of ``kind`` if a console watches and the sample has room."""
        if not self.watched:
            return
        second = int(time.monotonic())
        start, kept = self._window if self._window[0] == second else (second, 0)
        if kept >= self.per_second:
            self._skipped += 1
            return
        self._window = (start, kept + 1)
        self._entries.append(dict(detail, kind=kind, namespace=namespace, time=time.time(),
                                  **self.origin))

    def _flush_while_watched(self):
        try:
            while self.watched or self._entries or self._skipped:
                gevent.sleep(self.period)
                if self._entries or self._skipped:
                    batch = {'entries': self._entries, 'skipped': self._skipped}
                    self._entries, self._skipped = [], 0
                    self.deliver(batch)
                    if self.bus is not None:
                        self.bus.publish('activity', **batch)
        finally:
            self._listen(False)
            self._flusher = None

    def deliver(self, batch):
        """Hand ``batch`` to this process's consoles."""
        for listener in list(self.listeners):
            listener(batch)

    def received(self, message):
        """A batch of another process, from the bus."""
        if (message.get('pid'), message.get('hostname')) != (os.getpid(), busmodule.HOSTNAME):
            self.deliver({'entries': message.get('entries', []),
                          'skipped': message.get('skipped', 0)})


FEED = ActivityFeed()


def attach(server, server_bus, hooks):
    """Record ``server``'s activity while watched; follow the consoles' ``watch`` messages
    (a feature of :mod:`tgext.socketio.app.features`)."""
    FEED.follow(hooks)
    server_bus.on('watch', FEED.watch)
    if server_bus.distributed and not server.manager.write_only and FEED.bus is None:
        FEED.bus = server_bus  # one listener of the process hears the others' batches
        server_bus.on('activity', FEED.received)


def _publication(namespace, event, data, channel, position):
    FEED.note('publication', namespace, event=shown(event), channel=shown(channel),
              position=position, detail=detail(data))


def _event(instance, data):
    """A client's event ``data`` (``[name, *args]``) arrived."""
    if isinstance(data, list) and data and isinstance(data[0], str):
        FEED.note('event', instance.namespace, sid=instance.sid, event=shown(data[0]),
                  detail=detail(data[1:]))


def _connected(instance):
    FEED.note('connect', instance.namespace, sid=instance.sid, user=userid_of(instance))


def _disconnected(instance):
    FEED.note('disconnect', instance.namespace, sid=instance.sid, user=userid_of(instance))


_LISTENERS = (('publication_delivered', _publication), ('event_received', _event),
              ('connection_opened', _connected), ('connection_closed', _disconnected))


def _listen_to(server_hooks, on):
    for hook, listener in _LISTENERS:
        (server_hooks.add if on else server_hooks.remove)(hook, listener)


def watch(servers):
    """Ask every process of the cluster (this one included) to record for a while."""
    FEED.watch()
    for server in servers:
        server_bus = busmodule.of(server)
        if server_bus.distributed and server_bus.listening:
            server_bus.publish('watch')
            return
