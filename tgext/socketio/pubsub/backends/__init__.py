"""Pub/sub backends, chosen by URL.

A backend is a python-socketio client manager: ``memory://`` keeps
everything in one process; ``redis://``, ``amqp://`` and ``mongodb://`` fan
out through a bus to every server process sharing it. A third-party backend
registers its manager class under the entry-point group
``tgext.socketio.backends`` with its URL scheme as the name. Every manager
takes ``(url, channel=..., write_only=...)``.
"""
import importlib
from importlib.metadata import entry_points
from urllib.parse import urlsplit, urlunsplit

ENTRY_POINT_GROUP = 'tgext.socketio.backends'

_BUILTIN = {
    'memory': 'tgext.socketio.pubsub.backends.memory:MemoryManager',
    'redis': 'tgext.socketio.pubsub.backends.redis:RedisManager',
    'rediss': 'tgext.socketio.pubsub.backends.redis:RedisManager',
    'amqp': 'tgext.socketio.pubsub.backends.amqp:AmqpManager',
    'mongodb': 'tgext.socketio.pubsub.backends.mongo:MongoManager',
}


class PublishError(RuntimeError):
    """A publication could not be handed to the backend (it is down)."""


def manager_class(url):
    """The client manager class serving ``url``'s scheme."""
    scheme = urlsplit(url).scheme
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == scheme:
            return entry_point.load()
    if scheme not in _BUILTIN:
        raise ValueError('unknown socketio.backend %r: use one of %s or register an '
                         'entry point in %r' % (redacted(url), ', '.join(
                             s + '://' for s in sorted(_BUILTIN)), ENTRY_POINT_GROUP))
    module, name = _BUILTIN[scheme].split(':')
    return getattr(importlib.import_module(module), name)


def client_manager(url, channel='tgext.socketio', write_only=False):
    """A client manager for backend ``url``."""
    return manager_class(url)(url, channel=channel, write_only=write_only)


def redacted(url):
    """``url`` without its password, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(':' + parts.password + '@', ':***@')
    return urlunsplit(parts._replace(netloc=netloc))
