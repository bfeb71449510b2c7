"""publish(): deliver data to a channel's subscribers, from anywhere.

Inside a process that serves the namespace (a handler, a controller
action), the server's own backend is used. Elsewhere (a script, a cron job,
a worker) a write-only connection to the backend URL is opened and kept.
"""
import functools
import json

from . import backends, endpoint

#: Room prefix of channels, so that no channel can be a client's own sid room.
ROOM_PREFIX = 'channel:'


def room(channel):
    """The python-socketio room of ``channel``."""
    return ROOM_PREFIX + channel


def publish(channel, data, namespace='/', backend=None, event=None, bus_channel=None):
    """Send ``publication(data, channel)`` to every subscriber of ``channel``.

    ``namespace``: the namespace path the subscribers are connected to.
    ``backend``: a backend URL, to publish from a process that serves no
    Socket.IO (default: ``socketio.backend`` of the TurboGears config).
    ``event``: the event name (default: ``socketio.publication_event``).
    ``bus_channel``: with ``backend``, the servers' ``socketio.channel``.
    Raises :class:`TypeError` for data that JSON cannot carry (NaN and
    infinities included: browsers cannot parse them) and
    :class:`~tgext.socketio.PublishError` when the backend is down.
    """
    if not isinstance(channel, str):
        raise TypeError('a channel is a str, not %r' % (channel,))
    try:
        json.dumps(data, allow_nan=False)  # browsers' JSON.parse refuses NaN and Infinity
    except (TypeError, ValueError) as exc:
        raise TypeError('data published to %r is not JSON-serialisable: %s'
                        % (channel, exc)) from None
    servers = endpoint.servers_with(namespace) if backend is None else []
    if servers:
        server = servers[0]
        server.emit(event or server.publication_event,
                    (data, channel), to=room(channel), namespace=namespace)
        return
    url, configured_bus_channel, default_event = _configured_backend(backend)
    _writer(url, bus_channel or configured_bus_channel).emit(event or default_event, (data, channel),
                      namespace=namespace, room=room(channel))


def _configured_backend(backend):
    from tg import config
    url = backend or config.get('socketio.backend')
    if not url:
        raise ValueError('publish() outside a Socket.IO server needs backend=URL '
                         '(or socketio.backend in the TurboGears config)')
    return (url, config.get('socketio.channel', 'tgext.socketio'),
            config.get('socketio.publication_event', 'publication'))


@functools.lru_cache(maxsize=None)
def _writer(url, channel):
    return backends.client_manager(url, channel=channel, write_only=True)
