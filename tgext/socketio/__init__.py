"""Realtime for TurboGears2: Socket.IO namespaces, pub/sub and publishing.

The public API is imported lazily, so that ``tgext.socketio.serving`` can
monkey-patch the process with gevent before TurboGears is imported.
"""
import importlib

_API = {
    'SocketIOController': 'controller',
    'SocketIONamespace': 'namespace',
    'SocketIOTGNamespace': 'namespace',
    'on': 'namespace',
    'PubSubNamespace': 'pubsub',
    'PubSubTGNamespace': 'pubsub',
    'publish': 'publishing',
    'history': 'publishing',
    'plugme': 'config',
    'SocketIOConfigurationComponent': 'config',
    'SocketIOError': 'errors',
    'PublishError': 'backends',
    'presence': 'membership',
    'presence_stats': 'membership',
    'HealthController': 'health',
    'MetricsController': 'metrics',
}

__all__ = sorted(_API)


def __getattr__(name):
    if name not in _API:
        raise AttributeError('module %r has no attribute %r' % (__name__, name))
    return getattr(importlib.import_module('.' + _API[name], __name__), name)
