"""Positions and history of channels.

Every publication on a channel gets a position ``{"epoch": str, "offset": int}``:
offsets grow by one per publication within an epoch, and the epoch changes when
the store lost the channel's history (a Redis restart without persistence, a
memory store of a new process). A store keeps each channel's recent
publications, bounded in number and age by :class:`HistoryPolicy`, so that a
client that comes back with its last position can be given what it missed,
or be told that it cannot (``recovered: False``).

A store is chosen by the backend URL's scheme (:func:`store_for`): the memory
backend keeps history in the process, Redis in a stream per channel, MongoDB in
a collection per app with offsets from a counter document per channel; RabbitMQ
keeps none yet (positions are still given, from the process that publishes,
and recovery answers ``recovered: False``).
"""
import fnmatch
import importlib
from urllib.parse import urlsplit

_STORES = {
    'memory': 'tgext.socketio.pubsub.stores.memory:MemoryHistory',
    'redis': 'tgext.socketio.pubsub.stores.redis:RedisHistory',
    'rediss': 'tgext.socketio.pubsub.stores.redis:RedisHistory',
    'mongodb': 'tgext.socketio.pubsub.stores.mongo:MongoHistory',
}
_NONE = 'tgext.socketio.pubsub.stores.memory:ProcessPositions'


class HistoryPolicy:
    """How many publications, and for how many seconds, each channel keeps.

    ``spec``: space-separated ``PATTERN:SIZE:SECONDS`` rules (glob patterns, the
    first match wins), e.g. ``'room-*:500:3600 *:100:300'``; size 0 keeps none.
    """

    def __init__(self, spec='*:100:300'):
        self.rules = []
        for rule in (spec or '').split():
            try:
                pattern, size, seconds = rule.rsplit(':', 2)
                self.rules.append((pattern, int(size), float(seconds)))
            except ValueError:
                raise ValueError('socketio.history rule %r is not PATTERN:SIZE:SECONDS'
                                 % rule) from None

    def limits(self, channel):
        """``(size, seconds)`` kept for ``channel``."""
        for pattern, size, seconds in self.rules:
            if fnmatch.fnmatchcase(channel, pattern):
                return size, seconds
        return 0, 0.0


def position(epoch, offset):
    """The wire form of a position."""
    return {'epoch': epoch, 'offset': offset}


def store_for(url, bus_channel='tgext.socketio'):
    """The history store of backend ``url``."""
    module, name = _STORES.get(urlsplit(url).scheme, _NONE).split(':')
    return getattr(importlib.import_module(module), name)(url, bus_channel)
