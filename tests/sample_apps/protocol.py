"""The app the official socket.io-protocol suite expects, on tgext.socketio's public API.

``python -m tests.sample_apps.protocol --port N [--stock]``: ``--stock`` serves the same
handlers with plain python-socketio, the baseline the suite is compared with.
Both use the suite's 300 ms ping interval and 200 ms ping timeout.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import argparse  # noqa: E402

from tg import MinimalApplicationConfigurator, TGController  # noqa: E402

import tgext.socketio  # noqa: E402
from tgext.socketio import SocketIOController, SocketIONamespace, on  # noqa: E402

PING_INTERVAL, PING_TIMEOUT = 0.3, 0.2


class Suite(SocketIONamespace):
    def on_connect(self):
        self.emit('auth', self.auth if self.auth is not None else {})

    def on_message(self, *args):
        self.emit('message-back', *args)

    @on('message-with-ack')
    def message_with_ack(self, *args):
        return args


class SocketIO(SocketIOController):
    namespaces = {'/': Suite, '/custom': Suite}


class Root(TGController):
    socketio = SocketIO()


def our_app():
    config = MinimalApplicationConfigurator()
    config.update_blueprint({'root_controller': Root(),
                             'socketio.ping_interval': PING_INTERVAL,
                             'socketio.ping_timeout': PING_TIMEOUT,
                             'socketio.cors_allowed_origins': '*'})
    tgext.socketio.plugme(config)
    return config.make_wsgi_app()


def stock_app():
    import socketio
    sio = socketio.Server(async_mode='gevent', ping_interval=PING_INTERVAL,
                          ping_timeout=PING_TIMEOUT, cors_allowed_origins='*')
    for namespace in ('/', '/custom'):
        def connect(sid, environ, auth=None, namespace=namespace):
            sio.start_background_task(sio.emit, 'auth', auth if auth is not None else {},
                                      to=sid, namespace=namespace)

        def message(sid, *args, namespace=namespace):
            sio.emit('message-back', args, to=sid, namespace=namespace)

        sio.on('connect', connect, namespace=namespace)
        sio.on('message', message, namespace=namespace)
        sio.on('message-with-ack', lambda sid, *args: args, namespace=namespace)
    return socketio.WSGIApp(sio, socketio_path='socketio')


if __name__ == '__main__':
    from tgext.socketio.serving import serve
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--stock', action='store_true')
    parser.add_argument('--backend', default='memory://')  # accepted as by every test app
    args = parser.parse_args()
    serve(stock_app() if args.stock else our_app(), '127.0.0.1', args.port)
