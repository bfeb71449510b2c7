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

WebSockets are served by gevent-websocket's handler (any
other handler answers the upgrade with 500 and clients silently stay on
long-polling) and every accepted socket gets ``TCP_NODELAY``.

Each WebSocket holds its connection's objects for as long as it lives, so the
server trims what an idle one costs (measured in ``docs/performance.md``):
a 1 KiB read buffer instead of 8 KiB, and, unless ``GEVENT_TRACK_GREENLET_TREE``
is set, greenlets that do not record who spawned them (a debugging aid).
"""
import importlib.util
import logging
import os
import re
import socket
import sys

import gevent
from gevent import monkey, pywsgi
from geventwebsocket.handler import WebSocketHandler

log = logging.getLogger(__name__)


class SocketIOHandler(WebSocketHandler):
    """gevent-websocket's handler, reading through a small buffer.

    pywsgi gives every connection an 8 KiB read buffer that a WebSocket keeps
    for its whole life; Socket.IO frames are small, and a larger read goes
    straight past the buffer anyway.
    """

    read_buffer_size = 1024

    def __init__(self, sock, address, server):
        super().__init__(sock, address, server)
        self.rfile.close()  # the socket stays open
        self.rfile = sock.makefile('rb', self.read_buffer_size)


class NoDelayWSGIServer(pywsgi.WSGIServer):
    """gevent's WSGI server with Nagle's algorithm off on every connection.

    Without it, back-to-back small frames (ten ``bang!`` in a row) wait for
    delayed ACKs, about 40 ms each.
    """

    def handle(self, client_socket, address):
        client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle(client_socket, address)


def make_server(app, host='127.0.0.1', port=8080, access_log=False):
    """A ready-to-start gevent server for ``app`` with WebSocket support."""
    if 'GEVENT_TRACK_GREENLET_TREE' not in os.environ:
        gevent.config.track_greenlet_tree = False  # ~1.5 KiB less per parked greenlet
    return NoDelayWSGIServer((host, int(port)), app, handler_class=SocketIOHandler,
                             log=log if access_log else None, error_log=log)


def serve(app, host='127.0.0.1', port=8080, access_log=False):
    """Serve ``app`` forever."""
    server = make_server(app, host, port, access_log)
    log.info('Serving on http://%s:%s', host, server.server_port)
    server.serve_forever()


def server_factory(global_conf, host='127.0.0.1', port='8080', access_log='false'):
    """PasteDeploy server factory: ``use = egg:tgext.socketio#gevent``.

    Monkey-patches the calling process, which is the one that serves (with
    ``gearbox serve --reload``, the reloader's worker; its parent only watches
    files and never makes the server). PasteDeploy calls it before it loads
    the app, so before TurboGears is imported; if something imported
    TurboGears earlier, ``make_wsgi_app`` still stops with ``NotMonkeyPatched``.
    """
    if not monkey.is_module_patched('socket'):
        monkey.patch_all()
    from paste.deploy.converters import asbool  # tg's would import TurboGears here

    def run(app):
        serve(app, host, int(port), asbool(access_log))
    return run


def script_app_factory(global_conf, script, factory='make_app', **app_conf):
    """PasteDeploy app factory for an app in a file that is not an installed module.

    ``use = egg:tgext.socketio#script`` with ``script = %(here)s/app.py`` calls
    ``make_app(global_conf, **app_conf)`` of that file (``factory`` names
    another function). The file is imported under a name made from its path,
    so ``gearbox serve --reload`` watches it.
    """
    path = os.path.abspath(os.path.join(global_conf.get('here', ''), script))
    name = 'tgext_socketio_script_' + re.sub(r'\W', '_', path)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None:
            raise ImportError('cannot load the app script %s' % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return getattr(sys.modules[name], factory)(global_conf, **app_conf)
