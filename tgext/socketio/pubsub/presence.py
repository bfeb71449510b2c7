"""Presence: who is subscribed to a channel, cluster-wide, as users rather than tabs.

A :class:`~tgext.socketio.PubSubNamespace` declares its presence channels
with glob patterns::

    class Chat(PubSubNamespace):
        presence_channels = ['room-*']

A member is a user: ``presence_info(self)`` (overridable) returns its public
dict, whose ``'id'`` identifies it; by default ``{'id': userid}`` from the
TurboGears identity, and ``{'id': sid}`` (one member per connection) for
anonymous clients. A user with three tabs is one member with three
connections. A user joins when its first connection to the channel appears
anywhere in the cluster and leaves when its last one goes. Subscribers hear of
it in ``presence_diff({'joins': [member...], 'leaves': [member...]}, channel)``:
the joins and leaves a process sees are gathered for ``window`` seconds
(``socketio.presence_window``) and told as one event per channel, so a window
costs each subscriber one frame however many came. A diff is the net change
since the previous one: a member who came and went within a window is in
neither list, one who went and came back is in ``joins`` (with its latest
dict). Applied as a client does (drop the leaves by id; a join replaces the
member of its id, or adds it) diffs are idempotent.

Across processes, on the bus itself (so on every backend): each process
publishes the changed part of its local table at once (coalesced, from one
greenlet, in order) and its whole local table every ``heartbeat`` seconds.
Every process keeps the tables of the others; a process not heard from for
``expiry`` seconds (killed, cut off) is dropped, with one leave per user
that has no connection left elsewhere. Each process computes the changes of
the cluster-wide membership itself and tells its own subscribers.

Presence is built on pub/sub, not wired into it: :class:`PresenceMixin` only
declares (the channels, a member's public dict, the ``presence`` and
``presence_stats`` events); the tracker hears who subscribes and leaves
through the server's hooks (``subscribing``, ``channel_joined``, ``channel_left``,
``connection_closed``, see :mod:`tgext.socketio.namespaces.hooks`).
"""
import fnmatch
import json
import logging
import time

import gevent

from ..namespaces.base import userid_of
from ..namespaces.errors import SocketIOError
from ..namespaces.runtime import current
from . import publishing
from . import ask

log = logging.getLogger(__name__)

#: The event that tells a presence channel's subscribers who joined and left.
DIFF_EVENT = 'presence_diff'
#: Seconds during which a channel's joins and leaves are gathered into one diff.
DEFAULT_WINDOW = 0.1


class PresenceMixin:
    """What :class:`~tgext.socketio.PubSubNamespace` gets for presence (see module doc)."""

    #: Glob patterns (``fnmatch``) of the channels whose members are tracked.
    presence_channels = ()

    def presence_info(self):
        """The public dict of this connection's member; its ``'id'`` identifies the user."""
        userid = userid_of(self)
        return {'id': userid if userid is not None else self.sid}

    def is_presence_channel(self, channel):
        return any(fnmatch.fnmatchcase(channel, pattern) for pattern in self.presence_channels)

    def on_presence(self, channel):
        """The members of ``channel`` (a subscriber's ``('presence', channel)``)."""
        return self._presence_tracker_for(channel).members(self.namespace, channel)

    def on_presence_stats(self, channel):
        """``{'clients': N, 'users': M}`` of ``channel`` (``('presence_stats', channel)``)."""
        return self._presence_tracker_for(channel).stats(self.namespace, channel)

    def _presence_tracker_for(self, channel):
        if channel not in self.channels:
            raise SocketIOError('subscribe to %r to see who is there' % (channel,),
                                name='not_subscribed')
        if not self.is_presence_channel(channel):
            raise SocketIOError('%r is not a presence channel' % (channel,),
                                name='not_a_presence_channel')
        return tracker_of(self.server)


class PresenceTracker:
    """The presence tables of one python-socketio server (one bus host id)."""

    #: Seconds between two full tables sent by this process.
    heartbeat = 5.0
    #: Seconds after which a silent process's members are dropped.
    expiry = 15.0

    def __init__(self, server, bus, hooks, window=DEFAULT_WINDOW):
        self.server = server
        self.window = window
        self.bus = bus
        self.hooks = hooks
        self.host_id = bus.host_id
        self.local = {}    # (ns, channel) -> {member id: {'info': dict, 'sids': set}}
        # host id -> {'seen': monotonic, 'table': {(ns, channel): {id: [info, n]}}}
        self.remote = {}
        self._dirty = set()
        self._flushing = False
        # (ns, channel) -> {member id: (here when last told, here now, info)}
        self._untold = {}
        self._telling = False
        # sid -> {channel: info} checked by subscribing, added by joined; what a later
        # feature refused is dropped when the connection closes
        self._members_to_be = {}
        bus.on('presence', self._received)
        bus.when_started(self._start)
        hooks.add('subscribing', self.subscribing)
        hooks.add('channel_joined', self.joined)
        hooks.add('channel_left', self.left)
        hooks.add('connection_closed', self.closed)

    # -- the connections' subscriptions (hooks) -----------------------------------------
    def subscribing(self, instance, channel):
        """``instance`` asks for a presence channel: a ``presence_info()`` that is not a
        JSON dict with an id refuses the subscription (before anyone hears of it)."""
        if not _is_presence_channel(instance, channel):
            return
        info = instance.presence_info()
        try:
            if info['id'] is None:
                raise KeyError('id')
            info = dict(info, id=str(info['id']))
            json.dumps(info, allow_nan=False)
        except (TypeError, ValueError, KeyError) as exc:
            raise SocketIOError('presence_info() must return a JSON dict with an id (%s)'
                                % type(exc).__name__, name='invalid_presence_info') from None
        self._members_to_be.setdefault(instance.sid, {})[channel] = info

    def joined(self, instance, channel):
        """``instance`` subscribed to ``channel``: its member is there (a presence channel)."""
        info = self._members_to_be.get(instance.sid, {}).pop(channel, None)
        if info is not None:
            self.add(instance.namespace, channel, instance.sid, info)

    def left(self, instance, channel):
        """``instance`` unsubscribed from ``channel``."""
        if _is_presence_channel(instance, channel):
            self.remove(instance.namespace, channel, instance.sid)

    def closed(self, instance):
        """``instance``'s connection is gone: it leaves every presence channel it was in."""
        self._members_to_be.pop(instance.sid, None)
        for channel in list(getattr(instance, 'channels', ())):
            self.left(instance, channel)

    # -- local changes -------------------------------------------------------------------
    def add(self, namespace, channel, sid, info):
        key = (namespace, channel)
        members = self.local.setdefault(key, {})
        was_here = self._present(key, info['id'])
        entry = members.setdefault(info['id'], {'info': info, 'sids': set()})
        entry['info'] = info
        entry['sids'].add(sid)
        if not was_here:
            self._note(key, info, here=True)
        self._changed(key)

    def remove(self, namespace, channel, sid):
        key = (namespace, channel)
        members = self.local.get(key, {})
        for member_id, entry in list(members.items()):
            if sid in entry['sids']:
                entry['sids'].discard(sid)
                if not entry['sids']:
                    del members[member_id]
                    if not members:
                        del self.local[key]
                    if not self._present(key, member_id):
                        self._note(key, entry['info'], here=False)
                self._changed(key)
                return

    # -- queries -------------------------------------------------------------------------
    def members(self, namespace, channel):
        """The public dicts of the users subscribed to ``channel`` anywhere, by id."""
        found = {}
        for table in self._tables():
            for member_id, (info, clients) in table.get((namespace, channel), {}).items():
                found.setdefault(member_id, info)
        return [found[member_id] for member_id in sorted(found)]

    def stats(self, namespace, channel):
        """``{'clients': connections, 'users': distinct members}`` of ``channel`` anywhere."""
        users, clients = set(), 0
        for table in self._tables():
            for member_id, (info, count) in table.get((namespace, channel), {}).items():
                users.add(member_id)
                clients += count
        return {'clients': clients, 'users': len(users)}

    def local_table(self):
        """This process's table: ``{(ns, channel): {id: [info, connections]}}``."""
        return {key: {member_id: [entry['info'], len(entry['sids'])]
                      for member_id, entry in members.items()}
                for key, members in self.local.items()}

    def _tables(self):
        yield self.local_table()
        for host in list(self.remote.values()):
            yield host['table']

    def _present(self, key, member_id):
        # Membership is exactly what the tables hold: a silent host counts until
        # _expire() removes it, so that its leaves are told once, then.
        if member_id in self.local.get(key, ()):
            return True
        return any(member_id in host['table'].get(key, ()) for host in self.remote.values())

    # -- the bus -------------------------------------------------------------------------
    def _start(self):
        if not self.bus.distributed:
            return
        self._send(full=True, hello=True)
        gevent.spawn(self._heartbeats)

    def _heartbeats(self):
        last_sent = time.monotonic()
        while True:
            gevent.sleep(min(1.0, self.heartbeat))
            try:
                if time.monotonic() - last_sent >= self.heartbeat:
                    last_sent = time.monotonic()
                    self._send(full=True)
                self._expire()
            except Exception:
                log.exception('Presence heartbeat failed')

    def _changed(self, key):
        if not (self.bus.distributed and self.bus.listening):
            return
        self._dirty.add(key)
        if not self._flushing:
            self._flushing = True
            gevent.spawn(self._flush)

    def _flush(self):
        self._flushing = False
        keys, self._dirty = self._dirty, set()
        table = self.local_table()
        self._send(full=False, keys=keys, table=table)

    def _send(self, full, keys=None, table=None, hello=False):
        table = self.local_table() if table is None else table
        if keys is None:
            keys = table
        rows = [[namespace, channel, table.get((namespace, channel), {})]
                for namespace, channel in keys]
        self.bus.publish('presence', full=full, rows=rows, hello=hello)

    def _received(self, message):
        host_id = message.get('host_id')
        if host_id == self.host_id:
            return
        if message.get('hello'):  # a process (re)started: it wants our table now
            gevent.spawn(self._send, True)
        host = self.remote.get(host_id)
        if host is None:
            host = self.remote[host_id] = {'seen': time.monotonic(), 'table': {}}
        host['seen'] = time.monotonic()
        new = {(row[0], row[1]): {member_id: list(value) for member_id, value in row[2].items()}
               for row in message.get('rows', ())}
        old_table = host['table']
        if message.get('full'):
            keys = set(old_table) | set(new)
        else:
            keys = set(new)
        self._replace(host, {key: new.get(key, {}) for key in keys})

    def _replace(self, host, changes):
        """Set ``host``'s rows to ``changes`` and tell local subscribers who came and went."""
        table = host['table']
        for key, members in changes.items():
            before = table.get(key, {})
            affected = set(before) | set(members)
            was = {member_id: self._present(key, member_id) for member_id in affected}
            if members:
                table[key] = members
            else:
                table.pop(key, None)
            for member_id in affected:
                now_here = self._present(key, member_id)
                if now_here and not was[member_id]:
                    self._note(key, members[member_id][0], here=True)
                elif was[member_id] and not now_here:
                    self._note(key, before[member_id][0], here=False)

    def _expire(self):
        now = time.monotonic()
        for host_id, host in list(self.remote.items()):
            if now - host['seen'] > self.expiry:
                log.warning('No presence from bus host %s for %.0f s: dropping its members',
                            host_id, now - host['seen'])
                self._replace(host, {key: {} for key in host['table']})
                del self.remote[host_id]

    # -- telling the subscribers --------------------------------------------------------
    def _note(self, key, info, here):
        """Member ``info`` joined (``here``) or left ``key``'s channel: told at the window's end."""
        if key[0] not in self.server.namespace_handlers:
            return  # another endpoint's namespace (its server tells its own subscribers)
        changes = self._untold.setdefault(key, {})
        told_here = changes[info['id']][0] if info['id'] in changes else not here
        changes[info['id']] = (told_here, here, info)
        if not self._telling:
            self._telling = True
            gevent.spawn_later(self.window, self._tell)

    def _tell(self):
        """Send each channel's changes of the window to its subscribers, as one diff."""
        self._telling = False
        untold, self._untold = self._untold, {}
        for (namespace, channel), changes in untold.items():
            diff = {'joins': [info for _, here, info in changes.values() if here],
                    'leaves': [info for told_here, here, info in changes.values()
                               if told_here and not here]}
            if not (diff['joins'] or diff['leaves']):
                continue  # came and went within the window
            self.server.emit(DIFF_EVENT, (diff, channel), to=publishing.room(channel),
                             namespace=namespace, ignore_queue=True)
            if self.hooks.presence_told:
                self.hooks.call('presence_told', namespace, diff, channel)


def attach(server, bus, hooks):
    """Give ``server`` its presence tables, and have it answer who is in a channel (a
    feature of :mod:`tgext.socketio.app.features`)."""
    server.tgext_presence = PresenceTracker(server, bus, hooks,
                                            server.runtime.conf['socketio.presence_window'])
    ask.answer(server, bus, PRESENCE)


def _is_presence_channel(instance, channel):
    is_presence_channel = getattr(instance, 'is_presence_channel', None)
    return is_presence_channel is not None and is_presence_channel(channel)


def tracker_of(server):
    """The :class:`PresenceTracker` of ``server``; LookupError if it has none."""
    tracker = getattr(server, 'tgext_presence', None)
    if tracker is None:
        raise LookupError('this server has no presence tables: it was not started by '
                          'the app (tgext.socketio.plugme)')
    return tracker


def _tracker(namespace):
    runtime = current()
    servers = runtime.servers_with(namespace) if runtime is not None else []
    if not servers:
        raise LookupError('no server of namespace %r in this process: ask the cluster '
                          'with backend=URL (or python -m tgext.socketio presence)' % namespace)
    return tracker_of(servers[0])


def presence(channel, namespace='/', backend=None, bus_channel='tgext.socketio', window=1.0):
    """The members (public dicts) subscribed to ``channel`` in ``namespace``, cluster-wide.

    In a server process this reads its tables; with ``backend=URL`` (a script)
    it asks the servers over the bus and collects answers for ``window`` seconds.
    """
    if backend is None:
        return _tracker(namespace).members(namespace, channel)
    return _ask_cluster(channel, namespace, backend, bus_channel, window)['members']


def presence_stats(channel, namespace='/', backend=None, bus_channel='tgext.socketio',
                   window=1.0):
    """``{'clients': N, 'users': M}`` of ``channel`` in ``namespace``, cluster-wide."""
    if backend is None:
        return _tracker(namespace).stats(namespace, channel)
    answer = _ask_cluster(channel, namespace, backend, bus_channel, window)
    return {'clients': answer['clients'], 'users': answer['users']}


def _ask_cluster(channel, namespace, backend, bus_channel, window):
    return merge_tables(ask.ask_cluster(backend, PRESENCE, bus_channel, window,
                                        namespace=namespace, channel=channel))


def merge_tables(answers):
    """``{'clients', 'users', 'members'}`` of the servers' answers to :data:`PRESENCE`
    (their tables of one channel, :func:`answer_presence`)."""
    members, clients = {}, 0
    for answer in answers:
        for member_id, (info, count) in answer.get('table', {}).items():
            members.setdefault(member_id, info)
            clients += count
    return {'clients': clients, 'users': len(members),
            'members': [members[member_id] for member_id in sorted(members)]}


def answer_presence(server, message):
    """This server's members of ``message``'s channel: ``{'table': {id: [info, connections]}}``."""
    key = (message.get('namespace'), message.get('channel'))
    return {'table': tracker_of(server).local_table().get(key, {})}


#: Who is in a channel, asked of every server (``presence(..., backend=URL)``, the CLI).
PRESENCE = ask.Question('presence', answer_presence, merge_tables)
