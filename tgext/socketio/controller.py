"""SocketIOController: where a Socket.IO endpoint is mounted."""
import inspect

from tg import abort, config, expose, request
from tg.controllers import TGController

from . import tgcontext
from .bridge import HANDSHAKE_LOCALS
from .endpoint import build_server
from .middleware import ENDPOINT, INSTALLED
from .namespace import SocketIONamespace


class SocketIOController(TGController):
    """Serves Socket.IO at the path where it is mounted.

    List namespace classes as class attributes; the attribute name is the
    namespace path::

        class SocketIO(SocketIOController):
            pingpong = PingPong          # clients connect to '/pingpong'

        class RootController(TGController):
            socketio = SocketIO()        # endpoint at /socketio/

    Other ``@expose``\\d methods stay ordinary pages.
    """

    def __init__(self):
        super().__init__()
        self._server = None

    @classmethod
    def namespace_classes(cls):
        """``{'/name': NamespaceClass}`` for every namespace attribute."""
        return {'/' + name: value for name, value in inspect.getmembers(cls)
                if inspect.isclass(value) and issubclass(value, SocketIONamespace)}

    @property
    def server(self):
        """The python-socketio server, built from the config on first use."""
        if self._server is None:
            self.start(config)
        return self._server

    def start(self, conf):
        """Build the server now: its pub/sub listener joins the bus before any client."""
        if self._server is None:
            self._server = build_server(self.namespace_classes(), conf)

    @expose()
    def index(self, *args, **kw):
        """Hand an Engine.IO request to the server (see :mod:`.middleware`)."""
        environ = request.environ
        if 'EIO' not in request.GET:
            abort(400, 'This is a Socket.IO endpoint: connect with a Socket.IO client.')
        if INSTALLED not in environ:
            abort(500, 'tgext.socketio is not plugged in: call '
                       'tgext.socketio.plugme(configurator) in app_cfg.')
        if 'sid' not in request.GET:
            environ[HANDSHAKE_LOCALS] = tgcontext.current_locals()
        environ[ENDPOINT] = self.server
        return ''


def mounted_controllers(root, depth=6):
    """The SocketIOController instances reachable from ``root`` through attributes."""
    found, seen, level = [], set(), [root]
    for _ in range(depth):
        below = []
        for controller in level:
            if id(controller) in seen:
                continue
            seen.add(id(controller))
            if isinstance(controller, SocketIOController):
                found.append(controller)
            names = set(vars(controller)) | {name for klass in type(controller).__mro__
                                             for name in vars(klass)}
            for name in names:
                if not name.startswith('_'):
                    value = inspect.getattr_static(controller, name, None)
                    if isinstance(value, TGController):
                        below.append(value)
        level = below
    return found
