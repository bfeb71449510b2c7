"""What every server of the cluster answers about itself, and asking it from a server.

Each python-socketio server of the app answers ``query`` messages of the
bus (see :mod:`.bus`) whose ``what`` is a key of :data:`ANSWERS`:

* ``'overview'``: this server's process, its connections per namespace (the
  first :data:`LISTED_CONNECTIONS` of them in detail) and its live channels
  with their subscribers and the ids of their presence members;
* ``'disconnect'``: disconnect this server's connections matching ``sid`` or
  ``user`` (in ``namespace`` if given) and say how many;
* ``'presence'``: its members of ``channel`` in ``namespace``;
* ``'channels'``: its live channels and their subscriber counts.

A question heard twice (askers repeat it until they hear it on the bus) gets
the first answer again, so a ``disconnect`` acts once. :func:`ask` asks from
inside a server process (the console); :func:`tgext.socketio.pubsub.ask.ask_cluster`
from any process (the command line), which merges the answers by :data:`MERGES`.
"""
import collections
import os
import time
import uuid

import gevent

from ..pubsub import bus as busmodule
from ..pubsub import publishing
from ..pubsub.presence import merge_tables

#: Answers a server remembers, to give the same one to a question heard again.
REMEMBERED_ANSWERS = 100

#: Connections described one by one in a server's overview (all are counted).
LISTED_CONNECTIONS = 200

_pending = {}  # query id -> {host id: answer} of the asks of this process


def attach(server, server_bus, hooks):
    """Answer the operators' queries on ``server``'s bus (a feature of
    :mod:`tgext.socketio.app.features`)."""
    server.tgext_started = time.time()
    answered = collections.OrderedDict()  # query id -> answer, the most recent ones

    def answer(message):
        respond, query_id = ANSWERS.get(message.get('what')), message.get('query_id')
        if respond is None:
            return
        if query_id not in answered:
            answered[query_id] = respond(server, message)
            if len(answered) > REMEMBERED_ANSWERS:
                answered.popitem(last=False)
        server_bus.publish('answer', query_id=query_id, **answered[query_id])

    server_bus.on('query', answer)
    server_bus.on('answer', _collect)


def _collect(message):
    answers = _pending.get(message.get('query_id'))
    if answers is not None:
        answers[message.get('host_id')] = message


def user_of(instance):
    """The TurboGears user id of a connection (None when anonymous)."""
    identity = getattr(instance.request, 'identity', None) or {}
    userid = identity.get('repoze.who.userid')
    return None if userid is None else str(userid)


def connections_of(server):
    """``(namespace, sid, namespace instance)`` of every connection of ``server``."""
    for namespace, handler in list(server.namespace_handlers.items()):
        for sid, connection in list(getattr(handler, 'connections', {}).items()):
            yield namespace, sid, connection.instance


def overview(server, message=None):
    """This server's process, connections and channels (the ``'overview'`` answer)."""
    counts, listed = {}, []
    for namespace, sid, instance in connections_of(server):
        counts[namespace] = counts.get(namespace, 0) + 1
        if len(listed) < LISTED_CONNECTIONS:
            listed.append({'namespace': namespace, 'sid': sid, 'user': user_of(instance),
                           'address': instance.request.remote_addr,
                           'channels': sorted(getattr(instance, 'channels', ()))})
    members = _presence_table(server)
    return {'pid': os.getpid(), 'hostname': busmodule.HOSTNAME,
            'started': server.tgext_started, 'namespaces': counts, 'connections': listed,
            'channels': [[namespace, channel, subscribers,
                          sorted(members.get((namespace, channel), {}))]
                         for namespace, channel, subscribers in local_channels(server)]}


def disconnect(server, message):
    """Disconnect the connections of ``server`` that match ``message``'s ``sid`` or ``user``."""
    sid, user, only = message.get('sid'), message.get('user'), message.get('namespace')
    chosen = [(namespace, sid_) for namespace, sid_, instance in connections_of(server)
              if (only is None or namespace == only)
              and ((sid is not None and sid_ == sid)
                   or (user is not None and user_of(instance) == str(user)))]
    for namespace, sid_ in chosen:
        server.disconnect(sid_, namespace=namespace, ignore_queue=True)
    return {'disconnected': len(chosen)}


def presence(server, message):
    """This server's members of ``message``'s channel: ``{'table': {id: [info, connections]}}``."""
    key = (message.get('namespace'), message.get('channel'))
    return {'table': _presence_table(server).get(key, {})}


def channels(server, message=None):
    """This server's live channels: ``{'channels': [[namespace, channel, subscribers]]}``."""
    return {'channels': local_channels(server)}


def local_channels(server):
    """``[[namespace, channel, subscribers]]`` of this server's clients."""
    found = []
    for namespace, rooms in server.manager.rooms.items():
        for name, members in rooms.items():
            if isinstance(name, str) and name.startswith(publishing.ROOM_PREFIX) and members:
                found.append([namespace, name[len(publishing.ROOM_PREFIX):], len(members)])
    return found


def _presence_table(server):
    tracker = getattr(server, 'tgext_presence', None)
    return tracker.local_table() if tracker is not None else {}


ANSWERS = {'overview': overview, 'disconnect': disconnect, 'presence': presence,
           'channels': channels}


def _merge_disconnect(answers):
    return {'disconnected': sum(answer.get('disconnected', 0) for answer in answers)}


def _merge_channels(answers):
    counts = {}
    for answer in answers:
        for namespace, channel, count in answer.get('channels', ()):
            counts[(namespace, channel)] = counts.get((namespace, channel), 0) + count
    return {'channels': [{'namespace': namespace, 'channel': channel, 'subscribers': count}
                         for (namespace, channel), count in sorted(counts.items())]}


#: How the answers of the servers to a question from outside merge, per ``what``.
MERGES = {'disconnect': _merge_disconnect, 'channels': _merge_channels,
          'presence': merge_tables}


def ask(servers, what, window=0.5, **params):
    """``{host id: answer}`` of every server of the cluster to ``what``.

    ``servers``: this process's servers. Those that share no bus (``memory://``)
    answer directly; the others are asked on the bus and their answers (this
    process's included) collected for ``window`` seconds.
    """
    answers, on_the_bus = {}, []
    for server in servers:
        server_bus = busmodule.of(server)
        if server_bus.distributed and server_bus.listening:
            on_the_bus.append(server_bus)
        else:
            answers[server_bus.host_id] = dict(ANSWERS[what](server, params),
                                               host_id=server_bus.host_id)
    if on_the_bus:
        query_id = uuid.uuid4().hex
        collected = _pending[query_id] = {}
        try:
            on_the_bus[0].publish('query', what=what, query_id=query_id, **params)
            gevent.sleep(window)
        finally:
            del _pending[query_id]
        answers.update(collected)
    return answers
