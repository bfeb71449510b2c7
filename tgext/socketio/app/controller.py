"""SocketIOController: where a Socket.IO endpoint is mounted."""
import inspect

from tg import abort, expose, request
from tg.controllers import TGController

from ..edge.middleware import HANDOFF
from ..namespaces import tgcontext
from ..namespaces.base import SocketIONamespace
from ..namespaces.runtime import current


class SocketIOController(TGController):
    """Serves Socket.IO at the path where it is mounted.

    List namespace classes as class attributes; the attribute name is the
    namespace path::

        class SocketIO(SocketIOController):
            pingpong = PingPong          # clients connect to '/pingpong'

        class RootController(TGController):
            socketio = SocketIO()        # endpoint at /socketio/

    Namespaces whose paths are not identifiers, the main namespace ``/``
    among them (what ``io()`` connects to by default), go in ``namespaces``::

        class SocketIO(SocketIOController):
            namespaces = {'/': Lobby, '/user-admin': UserAdmin}

    Other ``@expose``\\d methods stay ordinary pages.
    """

    namespaces = {}

    @classmethod
    def namespace_classes(cls):
        """``{'/name': NamespaceClass}`` of the namespace attributes and ``namespaces``."""
        found = {'/' + name: value for name, value in inspect.getmembers(cls)
                 if inspect.isclass(value) and issubclass(value, SocketIONamespace)}
        found.update(cls.namespaces)
        return found

    @property
    def server(self):
        """The python-socketio server of this endpoint in the current app."""
        return current().server_for(self)

    @expose()
    def index(self, *args, **kw):
        """Claim an Engine.IO handshake for this endpoint (see :mod:`..edge.middleware`):
        at its mount path only, so that the WSGI layer learns one path per endpoint."""
        if 'EIO' not in request.GET:
            abort(400, 'This is a Socket.IO endpoint: connect with a Socket.IO client.')
        if args:
            abort(404, 'Socket.IO answers at the endpoint itself, not below it.')
        handoff = request.environ.get(HANDOFF)
        if handoff is None or current() is None:
            abort(500, 'tgext.socketio is not plugged in: call '
                       'tgext.socketio.plugme(base_config) in config/app_cfg.py.')
        handoff.claim(self.server, tgcontext.current_locals())
        return ''
