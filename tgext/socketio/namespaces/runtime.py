"""The one object tgext.socketio keeps per TurboGears app.

It holds the app's ``socketio.*`` settings and its endpoints (a python-socketio
server per mounted :class:`~tgext.socketio.SocketIOController`, and the path
where each is mounted), and answers what ``publish()``, the WSGI layer, the
namespaces and the widgets need to know: which server serves a namespace,
where its endpoint lives, what the events are called. It lives in the app's
config as ``config['tgext.socketio']``; :func:`current` finds it. Servers are
made by the ``build_server`` the app's configuration component gives it
(:func:`tgext.socketio.app.endpoint.build_server`).
"""
import functools
import weakref

from tg import config, request_local

from .unit_of_work import UnitOfWork

#: Key of the runtime in the TurboGears config.
CONFIG_KEY = 'tgext.socketio'

#: Endpoint path of namespaces whose controller is not found at start-up.
DEFAULT_PATH = '/socketio'


class SocketIORuntime:
    """Servers, endpoints and settings of one app."""

    def __init__(self, conf, build_server):
        self.conf = conf
        self.backend_url = conf['socketio.backend']
        self.bus_channel = conf['socketio.channel']
        self.publication_event = conf['socketio.publication_event']
        self.error_event = conf['socketio.error_event']
        self.assets_url = conf['socketio.assets_url']
        self.assets_dir = conf['socketio.assets_dir']
        self.cors_allowed_origins = conf['socketio.cors_allowed_origins']
        self._build_server = build_server  # (namespace classes, runtime) -> server
        self._servers = {}  # controller -> python-socketio server
        self._paths = {}    # controller -> mount path, e.g. '/socketio'
        #: True once the app's WSGI layer has served a request: this process serves clients.
        self.serving = False
        _MADE.append(weakref.ref(self))

    def start(self, endpoints):
        """Build the server of every ``(path, controller)`` mounted, and so join the bus."""
        for path, controller in endpoints:
            self._paths[controller] = path
            self.server_for(controller)

    def server_for(self, controller):
        """The python-socketio server of ``controller``, built on first use."""
        server = self._servers.get(controller)
        if server is None:
            server = self._servers[controller] = self._build_server(
                controller.namespace_classes(), self)
        return server

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
        return UnitOfWork(self.conf)


def current():
    """The runtime of the app being served, or None.

    Inside a request or a socket handler, the app serving it (a process may
    have made several apps, as a test harness does); elsewhere the last app made.
    """
    try:
        return request_local.context._current_obj().config.get(CONFIG_KEY)
    except (TypeError, AttributeError):  # no TurboGears context in this greenlet
        return config.get(CONFIG_KEY)


def serving():
    """The runtimes of this process that have served a request, the last made first."""
    found = [made() for made in reversed(_MADE)]
    return [runtime for runtime in found if runtime is not None and runtime.serving]


#: Every runtime of this process, in the order their apps were made.
_MADE = []
