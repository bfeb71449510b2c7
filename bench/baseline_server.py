"""The baseline: plain python-socketio 5 on gevent, with the same handlers and wire
protocol as the examples (chat and pingpong), served as python-socketio's documentation
shows (gevent's pywsgi with gevent-websocket's handler) plus TCP_NODELAY.

python bench/baseline_server.py --port N [--backend redis://...]
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import uuid  # noqa: E402

import socketio  # noqa: E402

from geventwebsocket.handler import WebSocketHandler  # noqa: E402

from tgext.socketio.serving import NoDelayWSGIServer  # noqa: E402


class PingPong(socketio.Namespace):
    def on_ping(self, sid, attack):
        if attack.get('type') == 'fireball':
            for _ in range(10):
                self.emit('pong', {'sound': 'bang!'}, to=sid)
        else:
            self.emit('pong', {'sound': 'pong'}, to=sid)


class Chat(socketio.Namespace):
    def on_connect(self, sid, environ):
        self.save_session(sid, {'uid': uuid.uuid4().hex[:8]})

    def on_subscribe(self, sid, name, room_id):
        session = self.get_session(sid)
        session['room'] = 'room-%s' % room_id
        self.emit('userid', session['uid'], to=sid)
        self.enter_room(sid, session['room'])
        return session['room']

    def on_user_message(self, sid, text):
        session = self.get_session(sid)
        self.emit('publication', ({'uid': session['uid'], 'message': str(text)[:500]},
                                  session['room']), to=session['room'])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--backend', default='memory://')
    args = parser.parse_args()
    manager = None
    if args.backend.startswith('redis'):
        manager = socketio.RedisManager(args.backend)
    server = socketio.Server(async_mode='gevent', client_manager=manager)
    server.register_namespace(PingPong('/pingpong'))
    server.register_namespace(Chat('/chat'))
    app = socketio.WSGIApp(server, socketio_path='socketio')
    NoDelayWSGIServer(('127.0.0.1', args.port), app, handler_class=WebSocketHandler,
                      log=None).serve_forever()


if __name__ == '__main__':
    main()
