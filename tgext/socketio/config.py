"""The TurboGears configuration component of tgext.socketio."""
from tg.configurator.base import (AppReadyConfigurationAction,
                                  ConfigReadyConfigurationAction,
                                  ConfigurationComponent)

from . import settings
from .middleware import SocketIOMiddleware
from .patching import require_monkey_patching


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
        return (ConfigReadyConfigurationAction(self._check_process),
                ConfigReadyConfigurationAction(self._register_formencode),
                AppReadyConfigurationAction(self._start_servers),
                AppReadyConfigurationAction(self._add_middleware))

    def _check_process(self, conf, app):
        require_monkey_patching()

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
        """Join the bus at start-up, so no publication is missed before the first client."""
        from .controller import mounted_controllers
        root = conf.get('tg.root_controller')
        for controller in mounted_controllers(root) if root is not None else []:
            controller.start(conf)
        return app

    def _add_middleware(self, conf, app):
        return SocketIOMiddleware(app, assets_url=conf['socketio.assets_url'],
                                  assets_dir=conf['socketio.assets_dir'])


def _explode_formencode(exc):
    errors = exc.unpack_errors()
    if not isinstance(errors, dict):
        errors = {'': errors}
    return {'errors': errors, 'values': exc.value}


def plugme(configurator, options=None):
    """Plug tgext.socketio into a TurboGears ``ApplicationConfigurator``.

    Registered last, so its WSGI layer wraps every other middleware.
    """
    configurator.register(SocketIOConfigurationComponent, after=True)
    return dict(appid='tgext.socketio')
