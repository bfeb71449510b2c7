"""The outermost WSGI layer of an app that serves Socket.IO.

* Engine.IO requests of an established session (``sid=`` in the query) to a
  known endpoint go straight to python-socketio: polls and frames do not pay
  for the TurboGears pipeline.
* Every other request, handshakes included, goes through TurboGears, so auth
  runs and the :class:`SocketIOController` can keep the handshake's request;
  the controller marks the environ and this layer then hands the request to
  python-socketio outside the pipeline (a WebSocket lives for the whole
  connection and must not hold TurboGears' middlewares open).
* ``socketio.assets_url`` serves the npm front-end files (see :mod:`.assets`).
"""
from . import assets, origins

#: Environ key a SocketIOController sets to claim an Engine.IO request.
ENDPOINT = 'tgext.socketio.endpoint'
#: Environ key telling the controller that this middleware is in place.
INSTALLED = 'tgext.socketio.middleware'


class SocketIOMiddleware:
    """Route Engine.IO traffic around TurboGears once a session exists."""

    def __init__(self, app, assets_url='/_socketio/', assets_dir=None):
        self.app = app
        self.assets_url = assets_url
        self.assets_dir = assets_dir
        self.endpoints = {}

    def __call__(self, environ, start_response):
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        if path.startswith(self.assets_url):
            return assets.serve(path[len(self.assets_url):], self.assets_dir,
                                start_response)
        query = environ.get('QUERY_STRING', '')
        if 'EIO=' not in query:
            return self.app(environ, start_response)
        endpoint = self.endpoints.get(path)
        if endpoint is not None and 'sid=' in query:
            return endpoint.handle_request(environ, start_response)
        return self._through_turbogears(path, environ, start_response)

    def websocket_refusal(self, environ):
        """None to accept a WebSocket upgrade, or ``(status_line, reason)`` to refuse it
        (asked by serving.SocketIOHandler before it answers 101).

        Temporary, for the abuse branch's tests: the lead merges the real one."""
        if 'EIO=' not in environ.get('QUERY_STRING', ''):
            return None
        from tg import config
        return origins.refusal_for_origin(environ, config.get('socketio.cors_allowed_origins'))

    def _through_turbogears(self, path, environ, start_response):
        environ[INSTALLED] = True

        def claimable_start_response(status, headers, exc_info=None):
            if ENDPOINT in environ:
                return lambda data: None
            return start_response(status, headers, exc_info)

        result = self.app(environ, claimable_start_response)
        endpoint = environ.get(ENDPOINT)
        if endpoint is None:
            return result
        if hasattr(result, 'close'):
            result.close()
        self.endpoints[path] = endpoint
        return endpoint.handle_request(environ, start_response)
