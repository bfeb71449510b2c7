"""Building the python-socketio server of one SocketIOController, features attached."""
import logging

import socketio

from ..edge.overrides import Server
from ..edge.gevent_check import is_monkey_patched
from ..namespaces.bridge import NamespaceBridge
from ..namespaces.hooks import Hooks
from ..pubsub import backends, bus, delivery_hook, publishing
from . import settings
from .features import FEATURES

log = logging.getLogger(__name__)


def build_server(namespace_classes, runtime):
    """A gevent python-socketio server for ``{'/path': NamespaceClass}`` of ``runtime``'s app,
    with its bus, its hooks and the app's features, listening to the backend."""
    manager = backends.client_manager(runtime.backend_url, channel=runtime.bus_channel)
    options = settings.server_options(runtime.conf)
    options.setdefault('namespaces', list(namespace_classes))  # not '/' unless declared
    server = Server(async_mode='gevent', client_manager=manager, **options)
    server.runtime = runtime
    hooks = server.tgext_hooks = Hooks()
    for path, namespace_class in namespace_classes.items():
        server.register_namespace(NamespaceBridge(path, namespace_class, runtime, hooks))
    log.info('Socket.IO namespaces %s on backend %s',
             ', '.join(sorted(namespace_classes)), backends.redacted(runtime.backend_url))
    server_bus = bus.attach(server)
    delivery_hook.report_deliveries(server, hooks)
    # Made now, not by the first publish: a burst of first publishes would all wait for
    # the store's first connection (MongoDB: 2 s to find the server, then an error).
    publishing.target_of(server)
    for attach in FEATURES + tuple(runtime.conf.get('socketio.features') or ()):
        attach(server, server_bus, hooks)
    _listen(server, server_bus, runtime)
    return server


def _listen(server, server_bus, runtime):
    """Start the server's bus listener, unless that would block an unpatched process."""
    server.manager_initialized = True  # python-socketio would start it at the first client
    if is_monkey_patched() or not isinstance(server.manager, socketio.PubSubManager):
        server.manager.initialize()
        server_bus.start()
    else:
        log.info('Not listening to %s: the process is not monkey-patched by gevent '
                 '(a shell, a script or tests); publish() still works',
                 backends.redacted(runtime.backend_url))
