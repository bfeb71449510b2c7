"""Unit tests of tgext.socketio's own logic, in-process and without servers."""
import pytest
from tg import TGController

from tgext.socketio import PubSubNamespace, SocketIOController, SocketIONamespace, on
from tgext.socketio.discovery import mounted_controllers
from tgext.socketio.inifile import app_settings
from tgext.socketio.middleware import Handoff, SocketIOMiddleware
from tgext.socketio.namespace import event_handlers
from tgext.socketio.settings import COERCION, DEFAULTS, server_options


class Lobby(SocketIONamespace):
    def on_hello(self):
        return 'hi'

    @on('user:typing')
    def typing(self, channel):
        return channel

    def on_connect(self):
        pass


class Endpoint(SocketIOController):
    lobby = Lobby
    namespaces = {'/': Lobby, '/user-admin': Lobby}


class Admin(TGController):
    live = Endpoint()


class Root(TGController):
    socketio = Endpoint()
    admin = Admin()


def test_handlers_are_on_methods_and_decorated_ones_never_connect_or_disconnect():
    assert event_handlers(Lobby) == {'hello': 'on_hello', 'user:typing': 'typing'}
    assert set(event_handlers(PubSubNamespace)) == {'subscribe', 'unsubscribe', 'recover', 'history',
                                                    'presence', 'presence_stats'}


def test_connect_and_disconnect_cannot_be_claimed_by_a_client_event():
    with pytest.raises(ValueError):
        on('disconnect')


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


def test_ini_settings_of_the_app_section_with_here_expanded(tmp_path):
    ini = tmp_path / 'production.ini'
    ini.write_text('[app:main]\nuse = egg:myapp\nsocketio.backend = redis://127.0.0.1:1/0\n'
                   'socketio.channel = %(here)s/bus\n')
    settings = app_settings(str(ini))
    assert settings['socketio.backend'] == 'redis://127.0.0.1:1/0'
    assert settings['socketio.channel'] == '%s/bus' % tmp_path
    with pytest.raises(FileNotFoundError):
        app_settings(str(tmp_path / 'missing.ini'))


class _Runtime:
    assets_url = '/_socketio/'
    assets_dir = None


def _call(app, path, query='', method='GET'):
    from webob import Request
    request = Request.blank(path + ('?' + query if query else ''), method=method,
                            environ={'tgext.socketio.in_process': True})
    response = request.get_response(app)
    return response.status_int, response.text


def test_a_claimed_handshake_is_handed_over_only_after_the_lazy_stack_finished():
    events = []

    class Server:
        def handle_request(self, environ, start_response):
            events.append('socket.io')
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'handshake']

    def lazy_app(environ, start_response):
        def body():
            environ['tgext.socketio.handoff'].claim(Server(), tg_locals='context')
            events.append('controller')
            start_response('200 OK', [])
            yield b''
            events.append('lazy layer done')
        return body()

    middleware = SocketIOMiddleware(lazy_app, _Runtime())
    assert _call(middleware, '/socketio/', 'EIO=4&transport=polling') == (200, 'handshake')
    assert events == ['controller', 'lazy layer done', 'socket.io']
    assert middleware.endpoints == {'/socketio': middleware.endpoints['/socketio']}


def test_unclaimed_engineio_looking_requests_get_the_app_answer_untouched():
    def app(environ, start_response):
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'no endpoint here']

    middleware = SocketIOMiddleware(app, _Runtime())
    assert _call(middleware, '/nowhere/', 'EIO=4&transport=polling') == (404, 'no endpoint here')
    assert middleware.endpoints == {}


@pytest.mark.parametrize('query, method', [('EIO=4&transport=carrier-pigeon', 'GET'),
                                           ('EIO=4&transport=polling', 'PUT')])
def test_malformed_handshakes_are_refused_before_turbogears(query, method):
    def app(environ, start_response):
        raise AssertionError('TurboGears must not see it')

    status, text = _call(SocketIOMiddleware(app, _Runtime()), '/socketio/', query, method)
    assert status == 400 and text


def test_sid_is_a_parameter_not_a_substring():
    """``?EIO=4&xsid=1`` is a handshake, not a request of an established session."""
    seen = []

    def app(environ, start_response):
        seen.append('turbogears')
        start_response('200 OK', [])
        return [b'']

    middleware = SocketIOMiddleware(app, _Runtime())

    class Endpoint:
        def handle_request(self, environ, start_response):
            seen.append('straight to socket.io')
            start_response('200 OK', [])
            return [b'']

    middleware.endpoints['/socketio'] = Endpoint()
    _call(middleware, '/socketio/', 'EIO=4&transport=polling&xsid=1')
    _call(middleware, '/socketio/', 'EIO=4&transport=polling&sid=abc')
    assert seen == ['turbogears', 'straight to socket.io']


def test_a_handoff_starts_empty_and_keeps_the_claim():
    handoff = Handoff()
    assert (handoff.server, handoff.tg_locals) == (None, None)
    handoff.claim('server', 'locals')
    assert (handoff.server, handoff.tg_locals) == ('server', 'locals')


def test_the_public_history_is_the_function_once_the_stores_are_loaded():
    """The history stores once lived in a subpackage named ``history``, which replaced the
    package's ``history`` function as soon as it was imported."""
    import tgext.socketio.stores  # noqa: F401 - what the servers load
    from tgext.socketio import history
    from tgext.socketio.publishing import history as function
    assert history is function
