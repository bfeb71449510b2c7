"""The one object tgext.socketio keeps per TurboGears app.

It holds the app's ``socketio.*`` settings, its endpoints (a python-socketio
server per mounted :class:`~tgext.socketio.SocketIOController`, and the path
where each is mounted), and answers what ``publish()``, the WSGI layer, the
namespaces and the widgets need to know: which server serves a namespace,
where its endpoint lives, what the events are called. It lives in the app's
config as ``config['tgext.socketio']``; :func:`current` finds it.
"""
import functools
import logging

import socketio

from . import backends, settings
from .discovery import mounted_controllers
from .patching import is_monkey_patched

log = logging.getLogger(__name__)

#: Key of the runtime in the TurboGears config.
CONFIG_KEY = 'tgext.socketio'

#: Endpoint path of namespaces whose controller is not found at start-up.
DEFAULT_PATH = '/socketio'


class SocketIORuntime:
    """Servers, endpoints and settings of one app."""

    def __init__(self, conf):
        self.conf = conf
        self.backend_url = conf['socketio.backend']
        self.bus_channel = conf['socketio.channel']
        self.publication_event = conf['socketio.publication_event']
        self.error_event = conf['socketio.error_event']
        self.assets_url = conf['socketio.assets_url']
        self.assets_dir = conf['socketio.assets_dir']
        self.cors_allowed_origins = conf['socketio.cors_allowed_origins']
        self._servers = {}  # controller -> python-socketio server
        self._paths = {}    # controller -> mount path, e.g. '/socketio'
        self._targets = {}  # server -> publishing._Target

    def start(self, root):
        """Build the server of every controller mounted below ``root`` and join the bus."""
        for path, controller in mounted_controllers(root):
            self._paths[controller] = path
            self.server_for(controller)

    def server_for(self, controller):
        """The python-socketio server of ``controller``, built on first use."""
        server = self._servers.get(controller)
        if server is None:
            from .endpoint import build_server
            server = self._servers[controller] = build_server(
                controller.namespace_classes(), self)
            self._listen(server)
        return server

    def _listen(self, server):
        """Start the server's bus listener, unless that would block an unpatched process."""
        from . import cluster
        cluster.attach(server)  # presence, health probe, metrics (cluster.py)
        server.manager_initialized = True  # python-socketio would start it at the first client
        if is_monkey_patched() or not isinstance(server.manager, socketio.PubSubManager):
            server.manager.initialize()
            cluster.started(server)
        else:
            log.info('Not listening to %s: the process is not monkey-patched by gevent '
                     '(a shell, a script or tests); publish() still works',
                     backends.redacted(self.backend_url))

    @property
    def servers(self):
        """Every server of this app."""
        return list(self._servers.values())

    def servers_with(self, namespace):
        """The servers of this app that serve ``namespace``."""
        return [server for server in self.servers if namespace in server.namespace_handlers]

    def path_of(self, namespace):
        """The endpoint path clients use for ``namespace`` (``/socketio`` if unknown)."""
        for controller, path in self._paths.items():
            if namespace in controller.namespace_classes():
                return path
        return DEFAULT_PATH

    @functools.cached_property
    def unit_of_work(self):
        """The app's transaction and session handling around each handler call."""
        from .unit_of_work import UnitOfWork
        return UnitOfWork(self.conf)

    @functools.cached_property
    def history(self):
        """The store that gives publications their positions and keeps their history."""
        from .stores import store_for
        return store_for(self.backend_url, self.bus_channel)

    def publishing_target(self, server):
        """Where this app's publications go: its history, its policy, ``server``'s manager."""
        target = self._targets.get(server)
        if target is None:
            from .stores import HistoryPolicy
            from .publishing import _Target
            def send(event, data, namespace, room):
                server.emit(event, data, to=room, namespace=namespace)
            target = self._targets[server] = _Target(
                self.history, HistoryPolicy(self.conf['socketio.history']), send,
                self.publication_event)
        return target

    def server_options(self):
        """Keyword arguments of the python-socketio server."""
        return settings.server_options(self.conf)


def current():
    """The runtime of the app being served (or of the last app made), or None."""
    from tg import config
    return config.get(CONFIG_KEY)
