"""The outermost WSGI layer: a handshake goes through TurboGears once, then python-socketio
takes it; everything else is the app's."""
import pytest

from tgext.socketio.edge.middleware import Handoff, SocketIOMiddleware


class _Runtime:
    assets_url = '/_socketio/'
    assets_dir = None
    conf = {}


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
