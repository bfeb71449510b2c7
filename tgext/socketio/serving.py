"""Serving a TurboGears app that speaks Socket.IO, on gevent.

Importing this module monkey-patches the process with gevent, which must
happen before TurboGears, tw2, redis or kombu are imported; PasteDeploy
loads the server before the app, so ``gearbox serve`` with::

    [server:main]
    use = egg:tgext.socketio#gevent
    host = 127.0.0.1
    port = 8080

patches in time. WebSockets are served by gevent-websocket's handler (any
other handler answers the upgrade with 500 and clients silently stay on
long-polling) and every accepted socket gets ``TCP_NODELAY``.

Each WebSocket holds its connection's objects for as long as it lives, so the
server trims what an idle one costs (measured in ``docs/performance.md``):
a 1 KiB read buffer instead of 8 KiB, and, unless ``GEVENT_TRACK_GREENLET_TREE``
is set, greenlets that do not record who spawned them (a debugging aid).
"""
from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import gevent  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

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
    """PasteDeploy server factory: ``use = egg:tgext.socketio#gevent``."""
    from tg.support.converters import asbool

    def run(app):
        serve(app, host, int(port), asbool(access_log))
    return run
