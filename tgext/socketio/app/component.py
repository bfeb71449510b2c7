"""The TurboGears configuration component of tgext.socketio."""
from tg.configurator.base import (AppReadyConfigurationAction,
                                  ConfigReadyConfigurationAction,
                                  ConfigurationComponent)

from ..edge.middleware import SocketIOMiddleware
from ..namespaces.runtime import CONFIG_KEY, SocketIORuntime
from . import settings
from .discovery import mounted_controllers
from .endpoint import build_server


class SocketIOConfigurationComponent(ConfigurationComponent):
    """Adds the ``socketio.*`` options and the Socket.IO WSGI layer.

    Register it with :func:`tgext.socketio.plugme` or
    ``configurator.register(SocketIOConfigurationComponent, after=True)``.
    """

    id = 'socketio'

    def get_defaults(self):
        return dict(settings.DEFAULTS)

    def get_coercion(self):
        return dict(settings.COERCION)

    def get_actions(self):
        return (ConfigReadyConfigurationAction(self._make_runtime),
                ConfigReadyConfigurationAction(self._register_formencode),
                AppReadyConfigurationAction(self._start_servers),
                AppReadyConfigurationAction(self._add_middleware))

    def _make_runtime(self, conf, app):
        conf[CONFIG_KEY] = SocketIORuntime(conf, build_server)

    def _register_formencode(self, conf, app):
        """TurboGears 2.5 no longer knows formencode: teach it, as tgext.tw2 does tw2."""
        try:
            from formencode import Invalid
        except ImportError:
            return
        if Invalid not in conf['validation.exceptions']:
            conf['validation.exceptions'].append(Invalid)
        conf['validation.explode'].setdefault(Invalid, _explode_formencode)

    def _start_servers(self, conf, app):
        """Join the bus with the app, so no publication is missed before the first client."""
        root = _root_controller(conf)
        if root is not None:
            conf[CONFIG_KEY].start(mounted_controllers(root))
        return app

    def _add_middleware(self, conf, app):
        return SocketIOMiddleware(app, conf[CONFIG_KEY])


def _root_controller(conf):
    """The root controller: the blueprint's, or the class TurboGears will find itself."""
    root = conf.get('tg.root_controller')
    if root is not None:
        return root
    if not conf.get('paths', {}).get('controllers'):
        return None
    from tg.wsgiapp import TGApp
    return TGApp.lookup_controller(conf, 'root')


def _explode_formencode(exc):
    errors = exc.unpack_errors()
    if not isinstance(errors, dict):
        errors = {'': errors}
    return {'errors': errors, 'values': exc.value}


def plugme(configurator, options=None):
    """Plug tgext.socketio into a TurboGears ``ApplicationConfigurator``.

    Registered last, so its WSGI layer wraps every other middleware. ``options``:
    what tgext.pluggable's ``plug()`` passes (settings are ``socketio.*`` keys instead).
    """
    configurator.register(SocketIOConfigurationComponent, after=True)
    return dict(appid='tgext.socketio')
