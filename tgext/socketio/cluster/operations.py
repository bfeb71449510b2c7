"""What the operators ask every server of the cluster (see :mod:`tgext.socketio.pubsub.ask`).

* ``'overview'``: this server's process, its connections per namespace (the
  first :data:`LISTED_CONNECTIONS` of them in detail) and its live channels
  with their subscribers and the ids of their presence members;
* ``'disconnect'``: disconnect this server's connections matching ``sid`` or
  ``user`` (in ``namespace`` if given) and say how many;
* ``'channels'``: its live channels and their subscriber counts.

The console asks them from a server, the command line from any process.
"""
import os
import time

from ..namespaces.base import userid_of
from ..pubsub import ask, publishing
from ..pubsub import bus as busmodule
from ..pubsub.presence import tracker_of

#: Connections described one by one in a server's overview (all are counted).
LISTED_CONNECTIONS = 200


def attach(server, server_bus, hooks):
    """Have ``server`` answer the operators' questions (a feature of
    :mod:`tgext.socketio.app.features`)."""
    server.tgext_started = time.time()
    ask.answer(server, server_bus, OVERVIEW, DISCONNECT, CHANNELS)


def connections_of(server):
    """``(namespace, sid, namespace instance)`` of every connection of ``server``."""
    for namespace, handler in list(server.namespace_handlers.items()):
        for sid, connection in list(getattr(handler, 'connections', {}).items()):
            yield namespace, sid, connection.instance


def answer_overview(server, message=None):
    """This server's process, connections and channels (the ``'overview'`` answer)."""
    counts, listed = {}, []
    for namespace, sid, instance in connections_of(server):
        counts[namespace] = counts.get(namespace, 0) + 1
        if len(listed) < LISTED_CONNECTIONS:
            listed.append({'namespace': namespace, 'sid': sid, 'user': userid_of(instance),
                           'address': instance.request.remote_addr,
                           'channels': sorted(getattr(instance, 'channels', ()))})
    members = _presence_table(server)
    return {'pid': os.getpid(), 'hostname': busmodule.HOSTNAME,
            'started': server.tgext_started, 'namespaces': counts, 'connections': listed,
            'channels': [[namespace, channel, subscribers,
                          sorted(members.get((namespace, channel), {}))]
                         for namespace, channel, subscribers in local_channels(server)]}


def answer_disconnect(server, message):
    """Disconnect the connections of ``server`` that match ``message``'s ``sid`` or ``user``."""
    sid, user, only = message.get('sid'), message.get('user'), message.get('namespace')
    chosen = [(namespace, sid_) for namespace, sid_, instance in connections_of(server)
              if (only is None or namespace == only)
              and ((sid is not None and sid_ == sid)
                   or (user is not None and userid_of(instance) == str(user)))]
    for namespace, sid_ in chosen:
        server.disconnect(sid_, namespace=namespace, ignore_queue=True)
    return {'disconnected': len(chosen)}


def answer_channels(server, message=None):
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
    try:
        return tracker_of(server).local_table()
    except LookupError:  # a server without presence (an app's own build)
        return {}


def _merge_disconnect(answers):
    return {'disconnected': sum(answer.get('disconnected', 0) for answer in answers)}


def _merge_channels(answers):
    counts = {}
    for answer in answers:
        for namespace, channel, count in answer.get('channels', ()):
            counts[(namespace, channel)] = counts.get((namespace, channel), 0) + count
    return {'channels': [{'namespace': namespace, 'channel': channel, 'subscribers': count}
                         for (namespace, channel), count in sorted(counts.items())]}


OVERVIEW = ask.Question('overview', answer_overview)  # the console summarizes the answers
DISCONNECT = ask.Question('disconnect', answer_disconnect, _merge_disconnect)
CHANNELS = ask.Question('channels', answer_channels, _merge_channels)
