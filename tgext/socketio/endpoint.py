"""Building the python-socketio server of one SocketIOController.

Every server built in this process is remembered, so that
:func:`tgext.socketio.publish` can reach local subscribers directly.
"""
import logging
import weakref

from . import backends, settings
from .bridge import NamespaceBridge
from .server import Server
from .patching import require_monkey_patching

log = logging.getLogger(__name__)

_servers = weakref.WeakSet()


def build_server(namespace_classes, conf):
    """A gevent python-socketio server for ``{'/path': NamespaceClass}``."""
    require_monkey_patching()
    manager = backends.client_manager(conf['socketio.backend'],
                                      channel=conf['socketio.channel'])
    server = Server(async_mode='gevent', client_manager=manager,
                    **settings.server_options(conf))
    server.publication_event = conf['socketio.publication_event']
    # Listen to the bus now, not at the first client: publications made before
    # anyone connects to this process would otherwise be missed by it.
    server.manager_initialized = True
    manager.initialize()
    for path, namespace_class in namespace_classes.items():
        server.register_namespace(NamespaceBridge(
            path, namespace_class, error_event=conf['socketio.error_event']))
    _servers.add(server)
    log.info('Socket.IO namespaces %s on backend %s',
             ', '.join(sorted(namespace_classes)), backends.redacted(conf['socketio.backend']))
    return server


def servers_with(namespace):
    """The servers of this process that serve ``namespace``."""
    return [server for server in list(_servers) if namespace in server.namespace_handlers]
