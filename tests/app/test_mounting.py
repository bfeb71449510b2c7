"""Where controllers are mounted, which namespaces they serve, and the ``socketio.*`` settings."""
from tg import TGController

from tgext.socketio import SocketIOController, SocketIONamespace
from tgext.socketio.app.discovery import mounted_controllers
from tgext.socketio.app.settings import COERCION, DEFAULTS, server_options


class Lobby(SocketIONamespace):
    pass


class Endpoint(SocketIOController):
    lobby = Lobby
    namespaces = {'/': Lobby, '/user-admin': Lobby}


class Admin(TGController):
    live = Endpoint()


class Root(TGController):
    socketio = Endpoint()
    admin = Admin()


def test_namespaces_from_attributes_and_from_the_mapping():
    assert Endpoint.namespace_classes() == {'/lobby': Lobby, '/': Lobby, '/user-admin': Lobby}


def test_mounted_controllers_are_found_with_their_paths_from_an_instance_or_a_class():
    expected = [('/admin/live', Root.admin.live), ('/socketio', Root.socketio)]
    assert sorted(mounted_controllers(Root()), key=lambda found: found[0]) == expected
    assert sorted(mounted_controllers(Root), key=lambda found: found[0]) == expected


def test_ini_strings_are_coerced_and_seconds_keep_their_fractions():
    conf = dict(DEFAULTS)
    for key, value in {'socketio.ping_interval': '0.3', 'socketio.ping_timeout': '0.2',
                       'socketio.transports': 'websocket', 'socketio.logger': 'true'}.items():
        conf[key] = COERCION[key](value)
    options = server_options(conf)
    assert (options['ping_interval'], options['ping_timeout']) == (0.3, 0.2)
    assert options['transports'] == ['websocket'] and options['logger'] is True


def test_python_socketio_options_pass_through_from_ini_keys_and_the_blueprint():
    conf = dict(DEFAULTS, **{'socketio.server.cookie': 'io',
                             'socketio.server_options': {'http_compression': False,
                                                         'ping_interval': 2}})
    options = server_options(conf)
    assert options['cookie'] == 'io'
    assert options['http_compression'] is False
    assert options['ping_interval'] == 2
