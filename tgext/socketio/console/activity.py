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

A publication reaches every process of the cluster (and the command line's
reach them too), so each process records it; consoles keep the first copy
of each position.
"""
import json
import os
import time

import gevent
import socketio

from .. import bus as busmodule
from ..publishing import ROOM_PREFIX

#: Characters of an event's arguments or a publication's data shown in the log.
DETAIL_CHARS = 200


def _detail(value):
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
            self._flusher = gevent.spawn(self._flush_while_watched)

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


def attach(server, server_bus):
    """Record ``server``'s publications; follow the consoles' ``watch`` messages."""
    server_bus.on('watch', FEED.watch)
    if server_bus.distributed and not server.manager.write_only and FEED.bus is None:
        FEED.bus = server_bus  # one listener of the process hears the others' batches
        server_bus.on('activity', FEED.received)
    manager = server.manager
    if isinstance(manager, socketio.PubSubManager):
        handle_emit = manager._handle_emit

        def _handle_emit(message):
            _delivered(server, message.get('event'), message.get('data'),
                       message.get('namespace'), message.get('room'))
            return handle_emit(message)
        manager._handle_emit = _handle_emit
    else:
        emit = manager.emit

        def local_emit(event, data, namespace, room=None, skip_sid=None, callback=None,
                       to=None, **kwargs):
            _delivered(server, event, data, namespace, to or room)
            return emit(event, data, namespace, room=room, skip_sid=skip_sid,
                        callback=callback, to=to, **kwargs)
        manager.emit = local_emit


def _delivered(server, event, data, namespace, room):
    """An emit reaches ``server``'s clients: note it if it is a publication of its namespaces."""
    if (FEED.watched and namespace in server.namespace_handlers
            and isinstance(room, str) and room.startswith(ROOM_PREFIX)
            and isinstance(data, (list, tuple)) and len(data) == 3
            and isinstance(data[2], dict) and 'offset' in data[2]):
        FEED.note('publication', namespace, event=event, channel=data[1], position=data[2],
                  detail=_detail(data[0]))


def client_event(namespace, sid, data):
    """A client's event ``data`` (``[name, *args]``) arrived (by the bridge)."""
    if FEED.watched and isinstance(data, list) and data and isinstance(data[0], str):
        FEED.note('event', namespace, sid=sid, event=data[0], detail=_detail(data[1:]))


def connection(kind, namespace, sid, instance):
    """A client connected or disconnected (``kind``; by the bridge); its user is looked up
    only while a console watches."""
    if FEED.watched:
        from ..operations import user_of
        FEED.note(kind, namespace, sid=sid, user=user_of(instance))


def watch(servers):
    """Ask every process of the cluster (this one included) to record for a while."""
    FEED.watch()
    for server in servers:
        server_bus = busmodule.of(server)
        if server_bus.distributed and server_bus.listening:
            server_bus.publish('watch')
            return
