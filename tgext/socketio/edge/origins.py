"""Whether a request's ``Origin`` may open a Socket.IO session.

The same decision as python-engineio's ``cors_allowed_origins``, as a
function that can run before a WebSocket upgrade: python-engineio only sees
a WebSocket after gevent-websocket has answered 101, and then can only close
it without a reason. A refusal answered before the upgrade is a 403 with a
body that says why.
"""

#: The status of a refused origin.
FORBIDDEN = '403 Forbidden'


def allowed_origins(environ, allowed):
    """The origins ``allowed`` lets in for ``environ``, or None for any.

    ``allowed``: None (or ``[]``) for the same origin as the request's Host
    (and, behind a proxy, its ``X-Forwarded-Proto``/``X-Forwarded-Host``),
    ``'*'`` for any, a string or a list of origins, or a callable
    ``(origin, environ) -> bool``.
    """
    if allowed is None or (isinstance(allowed, (list, tuple)) and not allowed):
        if 'wsgi.url_scheme' not in environ or 'HTTP_HOST' not in environ:
            return []
        scheme, host = environ['wsgi.url_scheme'], environ['HTTP_HOST']
        origins = ['%s://%s' % (scheme, host)]
        if 'HTTP_X_FORWARDED_PROTO' in environ or 'HTTP_X_FORWARDED_HOST' in environ:
            origins.append('%s://%s' % (
                environ.get('HTTP_X_FORWARDED_PROTO', scheme).split(',')[0].strip(),
                environ.get('HTTP_X_FORWARDED_HOST', host).split(',')[0].strip()))
        return origins
    if allowed == '*':
        return None
    if isinstance(allowed, str):
        return [allowed]
    if callable(allowed):
        origin = environ.get('HTTP_ORIGIN')
        try:
            accepted = allowed(origin, environ)
        except TypeError:
            accepted = allowed(origin)
        return [origin] if accepted else []
    allowed = list(allowed)
    return None if '*' in allowed else allowed


def refusal_for_origin(environ, allowed):
    """None if the request may go on, else ``(status_line, reason_text)``.

    A request without an ``Origin`` header (not from a browser) may go on,
    as with python-engineio.
    """
    origin = environ.get('HTTP_ORIGIN')
    if not origin:
        return None
    origins = allowed_origins(environ, allowed)
    if origins is None or origin in origins:
        return None
    return FORBIDDEN, ('origin %s is not allowed here (socketio.cors_allowed_origins)'
                       % origin)
