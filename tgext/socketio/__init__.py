"""Realtime for TurboGears2: Socket.IO namespaces, pub/sub and publishing.

The public API is imported lazily, so that ``tgext.socketio.serving`` can
monkey-patch the process with gevent before TurboGears is imported.

The package is layered: each layer may import the layers listed before it,
never one listed after it (``tests/test_layers.py`` checks):

* ``edge``: the wire (WSGI layer and hand-off, python-socketio/engineio and
  gevent-websocket changes, origins, front-end files, the gevent check);
* ``namespaces``: the app's runtime, per-connection namespace objects, their
  mailboxes, dispatch and unit of work, and the hooks features plug into;
* ``pubsub``: channels, publishing (after the commit) and history, subscription
  tokens, backends and stores, the bus, presence;
* ``cluster``: health, metrics, operators' questions, the console's live log;
  ``live``: live models and their deltas; ``sse``: Server-Sent Events;
* ``app``: the TurboGears configuration component, the controller, the server
  builder and the list of features; ``http_api``: the HTTP API for other services;
* ``console`` and ``cli``: the operators' page and the command line;
* this package, ``serving`` and ``testing``: the public API.
"""
import importlib

_API = {
    'SocketIOController': 'app.controller',
    'SocketIONamespace': 'namespaces.base',
    'SocketIOTGNamespace': 'namespaces.base',
    'on': 'namespaces.base',
    'PubSubNamespace': 'pubsub.channels',
    'PubSubTGNamespace': 'pubsub.channels',
    'publish': 'pubsub.publishing',
    'history': 'pubsub.publishing',
    'plugme': 'app.component',
    'SocketIOConfigurationComponent': 'app.component',
    'SocketIOError': 'namespaces.errors',
    'PublishError': 'pubsub.backends',
    'PendingPublication': 'pubsub.transactional',
    'presence': 'pubsub.presence',
    'presence_stats': 'pubsub.presence',
    'HealthController': 'cluster.health',
    'MetricsController': 'cluster.metrics',
}

__all__ = sorted(_API)


def __getattr__(name):
    if name not in _API:
        raise AttributeError('module %r has no attribute %r' % (__name__, name))
    return getattr(importlib.import_module('.' + _API[name], __name__), name)
