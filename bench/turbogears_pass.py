"""Handshakes that take less of TurboGears than tgext.socketio does, to measure where a
handshake's time goes (``bench/handshake.py``). Never a way to serve: both skip what a
TurboGears app relies on (``allow_only``, hooks, each client's own request and identity).

``python bench/our_app.py --turbogears-pass NAME`` applies one of ``VARIANTS``.
"""
import tg.wsgiapp

from tgext.socketio.edge import middleware
from tgext.socketio.namespaces import tgcontext


def dispatch_nothing():
    """TurboGears' WSGI stack and request context run, and the root controller's dispatch
    (crank's object dispatch, the hooks, the rendering) is replaced by the claim of the
    bench app's endpoint: the least a handshake through TurboGears can cost."""
    dispatch = tg.wsgiapp.TGApp._dispatch

    def claim_at_once(self, controller, environ, context):
        handoff = environ.get(middleware.HANDOFF)
        if handoff is None:
            return dispatch(self, controller, environ, context)
        handoff.claim(controller.socketio.server, tgcontext.current_locals())
        response = context.response
        response.content_type = 'text/plain'
        response.body = b''
        return response

    tg.wsgiapp.TGApp._dispatch = claim_at_once


def skip_turbogears():
    """No TurboGears pass: the first handshake goes through TurboGears, and the next ones
    straight to python-socketio with that first handshake's context: what tgext.socketio's
    own code costs a handshake."""
    handshake = middleware.SocketIOMiddleware._handshake
    first = []

    def straight(self, path, environ, start_response):
        server = self.endpoints.get(path.rstrip('/'))
        if server is None or not first:
            response = handshake(self, path, environ, start_response)
            first.append(environ[middleware.HANDOFF])
            return response
        environ[middleware.HANDOFF] = first[0]
        return server.handle_request(environ, start_response)

    middleware.SocketIOMiddleware._handshake = straight


VARIANTS = {'full': lambda: None, 'dispatch-nothing': dispatch_nothing,
            'none': skip_turbogears}
