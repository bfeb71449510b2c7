"""The outermost WSGI layer of an app that serves Socket.IO.

* Engine.IO requests of an established session (a ``sid`` parameter) at a
  known endpoint go straight to python-socketio: polls and frames do not pay
  for the TurboGears pipeline.
* A handshake goes through TurboGears, so auth runs and the
  :class:`SocketIOController` mounted at that path claims it with the
  request it saw (a :class:`Handoff`). This layer runs the response of the
  whole stack to its end (debuggers, transaction managers and other layers
  may do their work lazily, while their iterator runs) and only then hands
  the request to python-socketio, outside the pipeline: a WebSocket lives for
  the whole connection and must not hold TurboGears' layers open.
* ``socketio.assets_url`` serves the npm front-end files (see :mod:`.assets`).
* Every request's ``REMOTE_ADDR`` is the client's, as seen through the trusted
  proxies (:mod:`.addresses`), for TurboGears and python-socketio alike.
"""
from urllib.parse import parse_qs

from . import addresses, assets, origins
from .gevent_check import FIX, is_monkey_patched

#: Environ key of the :class:`Handoff` of an Engine.IO handshake.
HANDOFF = 'tgext.socketio.handoff'
#: Environ key set by :mod:`tgext.socketio.testing`: its in-process client
#: needs no monkey-patching (it serves no sockets).
IN_PROCESS = 'tgext.socketio.in_process'


class Handoff:
    """What the controller of an endpoint hands over for one handshake."""

    __slots__ = ('server', 'tg_locals')

    def __init__(self):
        self.server = None
        self.tg_locals = None

    def claim(self, server, tg_locals):
        """The endpoint's ``server`` takes the request; ``tg_locals`` are its TG context."""
        self.server = server
        self.tg_locals = tg_locals


class SocketIOMiddleware:
    """Route Engine.IO traffic around TurboGears once a session exists."""

    def __init__(self, app, runtime):
        self.app = app
        self.runtime = runtime
        self.endpoints = {}  # path -> server, learned from claimed handshakes
        self.trusted_proxies = addresses.networks(runtime.conf.get('socketio.trusted_proxies'))
        self.forwarded_header = addresses.header_key(
            runtime.conf.get('socketio.forwarded_header', 'X-Forwarded-For'))

    def __call__(self, environ, start_response):
        self.runtime.serving = True
        addresses.believe(environ, self.trusted_proxies, self.forwarded_header)
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        if path.startswith(self.runtime.assets_url):
            return assets.serve(path[len(self.runtime.assets_url):], self.runtime.assets_dir,
                                start_response)
        query = environ.get('QUERY_STRING', '')
        if 'EIO=' not in query:
            return self.app(environ, start_response)
        params = parse_qs(query)
        if 'EIO' not in params:
            return self.app(environ, start_response)
        if not environ.get(IN_PROCESS) and not is_monkey_patched():
            return _refuse(start_response, '500 Internal Server Error', FIX)
        endpoint = self.endpoints.get(path.rstrip('/'))
        if endpoint is not None and 'sid' in params:
            return endpoint.handle_request(environ, start_response)
        refusal = _malformed_handshake(environ, params)
        if refusal is not None:
            return _refuse(start_response, '400 Bad Request', refusal)
        return self._handshake(path, environ, start_response)

    def websocket_refusal(self, environ):
        """None to accept a WebSocket upgrade, or ``(status_line, reason)`` to refuse it.

        Asked by :class:`tgext.socketio.edge.websocket.SocketIOHandler` before it answers
        101, so a cross-origin upgrade, one for a session of another client, or one from
        an address that holds ``max_sessions_per_address`` sessions, gets a status with a
        reason instead of a socket that closes without one.
        """
        if 'EIO=' not in environ.get('QUERY_STRING', ''):
            return None
        addresses.believe(environ, self.trusted_proxies, self.forwarded_header)
        endpoint = self.endpoints.get(
            (environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')).rstrip('/'))
        refused = endpoint.eio.refusal(environ) if endpoint is not None else None
        return refused or origins.refusal_for_origin(environ,
                                                     self.runtime.cors_allowed_origins)

    def _handshake(self, path, environ, start_response):
        handoff = environ[HANDOFF] = Handoff()
        started, body = [], []

        def deferred_start_response(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return body.append

        result = self.app(environ, deferred_start_response)
        try:
            body.extend(result)  # every layer's lazy work runs now, whatever the stack
        finally:
            if hasattr(result, 'close'):
                result.close()
        if handoff.server is None:
            start_response(*started)
            return body
        self.endpoints[path.rstrip('/')] = handoff.server
        return handoff.server.handle_request(environ, start_response)


def _malformed_handshake(environ, params):
    """Why a handshake is malformed (Engine.IO answers 400 to these), or None."""
    if params.get('transport', [''])[0] not in ('polling', 'websocket'):
        return 'unknown transport'
    if environ.get('REQUEST_METHOD') not in ('GET', 'OPTIONS'):
        return 'a handshake is a GET request'
    return None


def _refuse(start_response, status, reason):
    start_response(status, [('Content-Type', 'text/plain; charset=utf-8')])
    return [reason.encode('utf-8')]
