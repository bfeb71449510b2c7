"""Front-end files installed from the npm registry and served by the app.

``make assets`` (part of ``make demo``/``make test``) runs ``npm ci`` in
``public/``; nothing third-party is committed. The files are looked up in
``socketio.assets_dir`` when set, else in ``public/node_modules`` of this
checkout, else in ``./public/node_modules`` and ``./node_modules``.
"""
import functools
import mimetypes
import os

#: URL name -> path below ``node_modules``.
ASSETS = {
    'socket.io.min.js': 'socket.io-client/dist/socket.io.min.js',
    'socket.io.min.js.map': 'socket.io-client/dist/socket.io.min.js.map',
    'ractive.min.js': 'ractive/ractive.min.js',
    'ractive.min.js.map': 'ractive/ractive.min.js.map',
}

_CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def candidate_dirs(configured=None):
    """Folders searched for ``node_modules`` content, first match wins."""
    if configured:
        return [configured]
    return [os.path.join(_CHECKOUT, 'public', 'node_modules'),
            os.path.join(os.getcwd(), 'public', 'node_modules'),
            os.path.join(os.getcwd(), 'node_modules')]


@functools.lru_cache(maxsize=None)
def asset_path(name, configured=None):
    """The file serving asset ``name``; ``LookupError`` says how to install it."""
    relative = ASSETS[name]
    for folder in candidate_dirs(configured):
        path = os.path.join(folder, relative)
        if os.path.isfile(path):
            return path
    raise LookupError(
        '%s not found in %s: install the front-end packages with `make assets` '
        '(npm ci in public/) or set socketio.assets_dir'
        % (relative, ', '.join(candidate_dirs(configured))))


def serve(name, configured, start_response):
    """A WSGI answer for asset ``name``: the file, or 404/500 with a reason."""
    if name not in ASSETS:
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'unknown asset']
    try:
        path = asset_path(name, configured)
    except LookupError as exc:
        start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])
        return [str(exc).encode('utf-8')]
    body = _contents(path)
    content_type = mimetypes.guess_type(name)[0] or 'application/json'
    start_response('200 OK', [('Content-Type', content_type + '; charset=utf-8'),
                              ('Content-Length', str(len(body))),
                              ('Cache-Control', 'public, max-age=3600')])
    return [body]


@functools.lru_cache(maxsize=None)
def _contents(path):
    """The bytes of an asset file, read once per process."""
    with open(path, 'rb') as asset:
        return asset.read()
