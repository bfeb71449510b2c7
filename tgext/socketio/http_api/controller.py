"""HTTPAPIController: publish, history, presence, channels and disconnect as JSON over HTTP."""
import json

import tg
from tg import TGController, expose
from webob import Response

from ..cluster import operations
from ..namespaces.runtime import current
from ..pubsub import presence, publishing
from ..pubsub.ask import ask_servers, count_servers
from ..pubsub.backends import PublishError
from . import auth

#: Bytes a request body may have (``socketio.api_max_body``).
DEFAULT_MAX_BODY = 65536


class HTTPAPIController(TGController):
    """The HTTP API, where the app mounts it::

        class RootController(TGController):
            api = HTTPAPIController()       # POST /api/publish, GET /api/history, ...

    ``POST publish`` ``{"channel", "data", "namespace": "/"}`` → ``{"position"}``;
    ``GET history?channel=&namespace=&limit=&since=`` → ``{"publications": [[data,
    position], ...], "recovered"}`` (``limit`` without ``since``: the newest ones;
    ``since``: a position as JSON); ``GET presence?channel=&namespace=``;
    ``GET channels``; ``POST disconnect`` ``{"user"}`` or ``{"sid", "namespace"}`` →
    ``{"disconnected", "servers"}``. Every request is authenticated
    (:mod:`tgext.socketio.http_api.auth`); errors are ``{"error": {"name",
    "message"}}`` with a 4xx status (403 for a refused caller: an app's login layer
    would turn a 401 into its login page). A publish through the API is sent at once:
    it commits nothing, so no transaction holds it.
    """

    @expose()
    def _default(self, operation=None, *remainder, **params):
        """Every operation: ``/api/OPERATION``."""
        if operation not in _OPERATIONS or remainder:
            return _error(404, 'no_such_operation',
                          'the HTTP API has %s' % ', '.join(sorted(_OPERATIONS)))
        return _answer(operation, tg.request)


def _answer(operation, request):
    runtime = current()
    conf = runtime.conf
    method, handler = _OPERATIONS[operation]
    if not auth.enabled(conf):
        return _error(404, 'api_disabled', 'the HTTP API is off: set socketio.api_keys or '
                      'socketio.api_secret')
    limit = int(conf.get('socketio.api_max_body', DEFAULT_MAX_BODY))
    length = request.environ.get('CONTENT_LENGTH')
    if request.method == 'POST' and not length:
        return _error(411, 'length_required', 'send the body with a Content-Length')
    if int(length or 0) > limit:
        return _error(413, 'body_too_large', 'a request body has at most %d bytes' % limit)
    body = request.body if request.method == 'POST' else b''  # read whole, even as a form
    refusal = auth.refusal(conf, request, body)
    if refusal is not None:
        return _error(403, 'unauthorized', refusal)
    if request.method != method:
        return _error(405, 'method_not_allowed', '%s is a %s request' % (operation, method))
    try:
        arguments = _json_body(body) if method == 'POST' else dict(request.GET)
        return _json(200, handler(runtime, arguments))
    except _Invalid as invalid:
        return _error(400, 'invalid_argument', str(invalid))
    except PublishError as exc:
        return _error(503, 'publish_failed', str(exc))


def _publish(runtime, arguments):
    if 'data' not in arguments:
        raise _Invalid('publish takes {"channel", "data", "namespace"}')
    data = arguments['data']
    position = publishing.publish(_text(arguments, 'channel'), data,
                                  namespace=_text(arguments, 'namespace', '/'), immediate=True)
    return {'position': position}


def _history(runtime, arguments):
    since = arguments.get('since')
    try:
        since = publishing.parse_json(since) if since else None
        limit = int(arguments['limit']) if arguments.get('limit') else None
        publications, recovered = publishing.history_since(
            _text(arguments, 'channel'), since, limit if since else None,
            namespace=_text(arguments, 'namespace', '/'))
    except (TypeError, ValueError, AttributeError) as exc:
        raise _Invalid('since is a position {"epoch", "offset"} as JSON, limit a number: %s'
                       % exc) from None
    if limit is not None and not since:
        publications = publications[-limit:] if limit > 0 else []
    return {'publications': [[data, position] for data, position in publications],
            'recovered': recovered}


def _ask(question, **params):
    answers = list(ask_servers(current().servers, question, **params).values())
    return dict(question.merge(answers), **count_servers(answers))


def _presence(runtime, arguments):
    return _ask(presence.PRESENCE, channel=_text(arguments, 'channel'),
                namespace=_text(arguments, 'namespace', '/'))


def _channels(runtime, arguments):
    return _ask(operations.CHANNELS)


def _disconnect(runtime, arguments):
    if arguments.get('user') is None and arguments.get('sid') is None:
        raise _Invalid('disconnect takes "user" (a user id) or "sid" and "namespace"')
    params = {name: _text(arguments, name) for name in ('user', 'sid', 'namespace')
              if arguments.get(name) is not None}
    return _ask(operations.DISCONNECT, **params)


#: operation -> (HTTP method, handler(runtime, arguments) -> JSON answer)
_OPERATIONS = {'publish': ('POST', _publish), 'history': ('GET', _history),
               'presence': ('GET', _presence), 'channels': ('GET', _channels),
               'disconnect': ('POST', _disconnect)}


class _Invalid(ValueError):
    pass


def _json_body(body):
    try:
        arguments = publishing.parse_json(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Invalid('the body is not JSON: %s' % exc) from None
    if not isinstance(arguments, dict):
        raise _Invalid('the body is a JSON object')
    return arguments


def _text(arguments, name, default=None):
    value = arguments.get(name, default)
    if not isinstance(value, str) or not value:
        raise _Invalid('%s is a non-empty string' % name)
    return value


def _json(status, value):
    return Response(body=json.dumps(value).encode('utf-8'), status=status,
                    content_type='application/json', charset='utf-8')


def _error(status, name, message):
    return _json(status, {'error': {'name': name, 'message': message}})
