"""A TurboGears app exercising every feature, with real repoze.who logins
(:mod:`tests.sample_apps.logins`). Run as a server:
``python -m tests.sample_apps.everything --port N [--backend URL]``.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import collections  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402

import gevent  # noqa: E402
from greenlet import greenlet  # noqa: E402
import tg  # noqa: E402
from formencode import validators  # noqa: E402
from tg import TGController, expose, require, validate  # noqa: E402
from tg.predicates import has_permission, not_anonymous  # noqa: E402

from tests.sample_apps import logins  # noqa: E402
from tgext.socketio import (PublishError, PubSubNamespace, SocketIOController,  # noqa: E402
                            SocketIOError, SocketIONamespace, publish)

USERS = {'alice': ('wonderland', ['admin']), 'bob': ('builder', [])}


def user_name(request):
    identity = request.identity
    return identity['user'] if identity else None


class Features(SocketIONamespace):
    def on_connect(self):
        self.session['connected_as'] = user_name(self.request)

    def on_echo(self, *args):
        return args

    def on_join(self, room):
        self.join(room)
        return room

    def on_leave(self, room):
        self.leave(room)
        return room

    def on_say(self, room, text):
        self.emit_to_room(room, 'said', text, include_self=False)

    def on_shout(self, text):
        self.broadcast('shouted', text)

    def on_whoami(self):
        gevent.sleep(0.05)  # let other clients' events interleave
        return {'session': self.session['connected_as'],
                'tg_request': user_name(tg.request),
                'marker': tg.request.GET.get('marker')}

    @require(not_anonymous(msg='log in first'))
    def on_secret(self):
        return 'the secret'

    @require(has_permission('admin', msg='admins only'))
    def on_admin(self):
        return 'admin area'

    @validate({'number': validators.Int(min=1, not_empty=True)})
    def on_double(self, number):
        return number * 2

    def on_boom(self):
        raise ValueError('kaboom')

    def on_refuse(self):
        raise SocketIOError('not today', name='custom_refusal', hint='tomorrow')

    def on_remember(self, value):
        self.session['value'] = value

    def on_recall(self):
        return self.session.get('value')

    def on_ticks(self, count):
        def tick():
            for number in range(count):
                self.emit('tick', number)
                gevent.sleep(0.02)
        self.spawn(tick)

    def on_interleave(self, room, count, size):
        """``count`` events ``seq`` of ``size`` bytes, to this client and to ``room`` in
        turn, then the acknowledgement."""
        for number in range(count):
            if number % 2:
                self.emit('seq', number, 'x' * size)
            else:
                self.emit_to_room(room, 'seq', number, 'x' * size)
        return count

    def on_bye(self):
        self.disconnect()


class Private(SocketIONamespace):
    allow_only = not_anonymous(msg='private namespace: log in first')

    def on_hello(self):
        return 'hello ' + user_name(self.request)


class Rooms(PubSubNamespace):
    def subscribe_room(self, number):
        return 'room-%s' % number

    def subscribe_lobby(self):
        return None

    def subscribe_closed(self):
        return False

    @require(has_permission('admin', msg='admins only'))
    def subscribe_staff(self):
        return 'staff'

    @validate({'number': validators.Int(min=1, not_empty=True)})
    def subscribe_numbered(self, number):
        return 'numbered-%s' % number

    def subscribe_broken(self):
        raise RuntimeError('hook failed')

    def on_post(self, channel, message):
        if channel not in self.channels:
            raise SocketIOError('subscribe to %r before posting to it' % channel,
                                name='not_subscribed')
        self.publish(channel, {'message': message})
        return True


def curfew(server, bus, hooks):
    """A feature of the app's own (``socketio.features``): room 'curfew' is closed."""
    def subscribing(instance, channel):
        if channel == 'room-curfew':
            raise SocketIOError('room-curfew is closed at night', name='curfew')
    hooks.add('subscribing', subscribing)


class SocketIO(SocketIOController):
    features = Features
    private = Private
    rooms = Rooms

    @expose()
    def about(self):
        return 'an ordinary page beside the endpoint'


def live_greenlets():
    """Live greenlets by what they run."""
    kinds = collections.Counter()
    for obj in gc.get_objects():
        if isinstance(obj, greenlet) and not obj.dead:
            run = getattr(obj, '_run', None) or getattr(obj, 'run', None)
            kinds[getattr(run, '__qualname__', type(obj).__name__)] += 1
    return kinds


def rss_kb():
    with open('/proc/self/status') as status:
        return int(next(line for line in status if line.startswith('VmRSS')).split()[1])


class RootController(TGController):
    socketio = SocketIO()

    @expose()
    def index(self):
        return 'features app'

    @expose('json')
    def stats(self):
        """What the server holds, for leak tests."""
        server = self.socketio.server
        gc.collect()
        greenlets = live_greenlets()
        return {'connections': sum(len(bridge.connections)
                                   for bridge in server.namespace_handlers.values()),
                'rooms': sum(len(rooms) for rooms in server.manager.rooms.values()),
                'engineio_sockets': len(server.eio.sockets),
                'greenlets': sum(greenlets.values()), 'greenlet_kinds': greenlets,
                'rss_kb': rss_kb(), 'pid': os.getpid()}

    @expose('json')
    def burst(self, channel, count, first='0'):
        """Publish messages ``first`` .. ``first + count - 1`` to ``channel`` from as many
        concurrent greenlets."""
        numbers = range(int(first), int(first) + int(count))
        publishers = [gevent.spawn(publish, channel, {'message': number}, namespace='/rooms')
                      for number in numbers]
        gevent.joinall(publishers, raise_error=True)
        return {'published': int(count)}

    @expose('json')
    def flood(self, count, size, per_second='1000', heavy_size='0'):
        """Broadcast ``count`` chunks of ``size`` bytes to the room 'flood', paced,
        and as many of ``heavy_size`` bytes to the room 'heavy'."""
        chunk, heavy = 'x' * int(size), 'h' * int(heavy_size)
        server = self.socketio.server
        batch = max(1, int(per_second) // 50)
        for number in range(int(count)):
            server.emit('chunk', {'n': number, 'data': chunk}, to='flood', namespace='/features')
            if heavy:
                server.emit('heavy', heavy, to='heavy', namespace='/features')
            if number % batch == batch - 1:
                gevent.sleep(0.02)
        return {'sent': int(count)}

    @expose('json')
    def publish(self, channel, message, namespace='/rooms'):
        try:
            publish(channel, {'message': message}, namespace=namespace)
        except PublishError as exc:
            tg.response.status = 503
            return {'error': str(exc)}
        return {'published': channel}


def make_app(global_conf=None, **app_conf):
    return logins.make_app(RootController(), USERS, dict({'socketio.features': [curfew]},
                                                         **app_conf))


if __name__ == '__main__':
    logins.serve(make_app, **{
        'socketio.cors_allowed_origins': os.environ.get('CORS', ''),
        'socketio.slow_client_timeout': os.environ.get('SLOW_CLIENT_TIMEOUT', '5'),
        'socketio.ping_interval': os.environ.get('PING_INTERVAL', '25'),
        'socketio.ping_timeout': os.environ.get('PING_TIMEOUT', '20')})
