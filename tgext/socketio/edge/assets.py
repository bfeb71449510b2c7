"""Front-end files installed from the npm registry and served by the app.

Nothing third-party is committed. The pinned packages (``public/package.json``
and its lock) come from the npm registry:

* a wheel or an sdist carries the files in ``tgext/socketio/static/vendor/``,
  copied there at build time by ``setup.py`` (which runs ``npm ci`` when
  ``public/node_modules`` is missing or stale);
* a checkout (also ``pip install -e .``) uses ``public/node_modules``,
  filled by ``make assets`` (``npm ci`` in ``public/``).

Files are looked up in the package's ``static/vendor/`` first, then in
``socketio.assets_dir`` when set, else in ``public/node_modules`` of the
checkout, ``./public/node_modules`` and ``./node_modules``.
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

#: Where a built package keeps its copies, one file per URL name.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tgext/socketio
VENDOR = os.path.join(_PACKAGE, 'static', 'vendor')

_CHECKOUT = os.path.dirname(os.path.dirname(_PACKAGE))


def candidate_dirs(configured=None):
    """Folders searched for ``node_modules`` content after :data:`VENDOR`."""
    if configured:
        return [configured]
    return [os.path.join(_CHECKOUT, 'public', 'node_modules'),
            os.path.join(os.getcwd(), 'public', 'node_modules'),
            os.path.join(os.getcwd(), 'node_modules')]


def candidate_paths(name, configured=None):
    """Every path that may serve asset ``name``, first match wins."""
    return [os.path.join(VENDOR, name)] + [os.path.join(folder, ASSETS[name])
                                           for folder in candidate_dirs(configured)]


@functools.lru_cache(maxsize=None)
def asset_path(name, configured=None):
    """The file serving asset ``name``; ``LookupError`` says how to install it."""
    paths = candidate_paths(name, configured)
    for path in paths:
        if os.path.isfile(path):
            return path
    raise LookupError(
        '%s not found in %s. Installed with pip: this tgext.socketio was built without '
        'its front-end files; reinstall it from a wheel or sdist built with node/npm '
        'available (see "Building a release" in the README). In a checkout: run '
        '`make assets` (npm ci in public/). Or set socketio.assets_dir to a node_modules '
        'folder that has it.' % (ASSETS[name], ', '.join(paths)))


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
