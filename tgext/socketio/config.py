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
                AppReadyConfigurationAction(self._add_middleware))

    def _check_process(self, conf, app):
        require_monkey_patching()

    def _add_middleware(self, conf, app):
        return SocketIOMiddleware(app, assets_url=conf['socketio.assets_url'],
                                  assets_dir=conf['socketio.assets_dir'])


def plugme(configurator, options=None):
    """Plug tgext.socketio into a TurboGears ``ApplicationConfigurator``.

    Registered last, so its WSGI layer wraps every other middleware.
    """
    configurator.register(SocketIOConfigurationComponent, after=True)
    return dict(appid='tgext.socketio')
