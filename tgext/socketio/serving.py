"""Serving a TurboGears app that speaks Socket.IO, on gevent.

gevent must monkey-patch the process before TurboGears, tw2, redis or kombu
are imported. PasteDeploy makes the server before it loads the app, so
``gearbox serve`` (``--reload`` too) with::

    [server:main]
    use = egg:tgext.socketio#gevent
    host = 127.0.0.1
    port = 8080

patches in time: :func:`server_factory` patches when it is called, in the
process that serves. Importing this module patches nothing: gearbox's
``--reload`` worker imports it while hupper's threads already run, and
patching inside that import cannot hand the import lock back
(``RuntimeError: cannot release un-acquired lock``).

WebSockets are served by :mod:`.edge.websocket`'s handler. Unless
``GEVENT_TRACK_GREENLET_TREE`` is set, greenlets do not record who spawned them
(a debugging aid that costs ~1.5 KiB per parked greenlet). What the process holds
once the app is loaded is frozen out of the garbage collector's full collections
(:func:`freeze_startup_heap`).
"""
import gc
import importlib.util
import logging
import os
import re
import sys

import gevent
from gevent import monkey

from .edge.gevent_check import require_monkey_patching
from .edge.websocket import NoDelayWSGIServer, SocketIOHandler

log = logging.getLogger(__name__)


def freeze_startup_heap():
    """Leave what the process holds now out of the garbage collector's full collections.

    Once the app is loaded, its modules, classes, configuration and templates live as long
    as the process, and every full collection would scan them again: ~70 ms for a small
    TurboGears app, a pause that every client feels, and the collections come more often
    while clients connect. This collects the start-up garbage, then freezes the rest
    (:func:`gc.freeze`). :func:`make_server` calls it; under another server, call it once
    the app is loaded (gunicorn: a ``post_worker_init`` hook).
    """
    gc.collect()
    gc.freeze()


def make_server(app, host='127.0.0.1', port=8080, access_log=False, max_connections=None,
                header_timeout=10.0, freeze_heap=True):
    """A ready-to-start gevent server for ``app`` with WebSocket support.

    ``max_connections``: connections open at once, beyond which new ones get 503 at once
    (default: the process's file-descriptor limit less 100); ``header_timeout``: seconds
    a request's line and headers may take (see :mod:`.edge.websocket`); ``freeze_heap``:
    whether to :func:`freeze_startup_heap`. Raises
    :class:`~tgext.socketio.edge.gevent_check.NotMonkeyPatched` with the fix unless gevent
    patched the process before TurboGears was imported.
    """
    require_monkey_patching()
    if 'GEVENT_TRACK_GREENLET_TREE' not in os.environ:
        gevent.config.track_greenlet_tree = False  # ~1.5 KiB less per parked greenlet
    if freeze_heap:
        freeze_startup_heap()
    return NoDelayWSGIServer((host, int(port)), app, handler_class=SocketIOHandler,
                             log=log if access_log else None, error_log=log,
                             max_connections=max_connections,
                             header_timeout=float(header_timeout))


def serve(app, host='127.0.0.1', port=8080, access_log=False, max_connections=None,
          header_timeout=10.0, freeze_heap=True):
    """Serve ``app`` forever (the options of :func:`make_server`)."""
    server = make_server(app, host, port, access_log, max_connections, header_timeout,
                         freeze_heap)
    log.info('Serving on http://%s:%s', host, server.server_port)
    server.serve_forever()


def server_factory(global_conf, host='127.0.0.1', port='8080', access_log='false',
                   max_connections='', header_timeout='10', freeze_heap='true'):
    """PasteDeploy server factory: ``use = egg:tgext.socketio#gevent``.

    Monkey-patches the calling process, which is the one that serves (with
    ``gearbox serve --reload``, the reloader's worker; its parent only watches
    files and never makes the server). PasteDeploy calls it before it loads
    the app, so before TurboGears is imported; if something imported
    TurboGears earlier, serving stops with ``NotMonkeyPatched`` and the fix.
    """
    if not monkey.is_module_patched('socket'):
        monkey.patch_all()
    from paste.deploy.converters import asbool  # tg's would import TurboGears here

    def run(app):
        serve(app, host, int(port), asbool(access_log), int(max_connections or 0) or None,
              float(header_timeout), asbool(freeze_heap))
    return run


def script_app_factory(global_conf, script, factory='make_app', **app_conf):
    """PasteDeploy app factory for an app in a file that is not an installed module.

    ``use = egg:tgext.socketio#script`` with ``script = %(here)s/app.py`` calls
    ``make_app(global_conf, **app_conf)`` of that file (``factory`` names
    another function). The file is imported under a name made from its path,
    so ``gearbox serve --reload`` watches it.
    """
    path = os.path.abspath(os.path.join(global_conf.get('here', ''), script))
    return getattr(load_script(path), factory)(global_conf, **app_conf)


def load_script(path):
    """The module of the Python file ``path``, imported once under a name made from its path
    (for files that are not an installed module, like the examples)."""
    name = 'tgext_socketio_script_' + re.sub(r'\W', '_', path)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None:
            raise ImportError('cannot load the script %s' % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
