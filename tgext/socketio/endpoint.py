"""Building the python-socketio server of one SocketIOController."""
import logging

from . import backends
from .bridge import NamespaceBridge
from .server import Server

log = logging.getLogger(__name__)


def build_server(namespace_classes, runtime):
    """A gevent python-socketio server for ``{'/path': NamespaceClass}`` of ``runtime``'s app."""
    manager = backends.client_manager(runtime.backend_url, channel=runtime.bus_channel)
    server = Server(async_mode='gevent', client_manager=manager, **runtime.server_options())
    server.runtime = runtime
    for path, namespace_class in namespace_classes.items():
        server.register_namespace(NamespaceBridge(path, namespace_class, runtime))
    log.info('Socket.IO namespaces %s on backend %s',
             ', '.join(sorted(namespace_classes)), backends.redacted(runtime.backend_url))
    return server

