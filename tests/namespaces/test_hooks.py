"""The extension point: a feature of the app's own hears what happens, in order; a hook
nobody listens to is empty, and the console's live log listens only while watched."""
import time

import gevent
import pytest
import webtest
from tg import MinimalApplicationConfigurator, TGController, expose

import tgext.socketio
from tgext.socketio import PubSubNamespace, SocketIOController, SocketIOError, publish
from tgext.socketio.cluster import activity
from tgext.socketio.namespaces import hooks
from tgext.socketio.namespaces.runtime import current
from tgext.socketio.testing import SocketIOTestClient


class Room(PubSubNamespace):
    def subscribe_room(self, number):
        return 'room-%s' % number

    def on_say(self, text):
        self.publish('room-1', {'text': text})
        return 'said'


class SocketIO(SocketIOController):
    room = Room


class Root(TGController):
    socketio = SocketIO()

    @expose('json')
    def announce(self):
        publish('room-1', {'text': 'from a controller'}, namespace='/room')
        return {}


class Recorder:
    """A feature that writes down every hook it hears."""

    def __init__(self):
        self.heard = []
        self.servers = []

    def attach(self, server, bus, server_hooks):
        self.servers.append(server)
        server_hooks.add('connection_opened', lambda i: self.heard.append(('opened', i.sid)))
        server_hooks.add('connection_closed', lambda i: self.heard.append(('closed', i.sid)))
        server_hooks.add('event_received', lambda i, data: self.heard.append(
            ('event', i.namespace, data[0])))
        server_hooks.add('channel_joined', lambda i, channel: self.heard.append(
            ('joined', channel)))
        server_hooks.add('channel_left', lambda i, channel: self.heard.append(('left', channel)))
        server_hooks.add('publication_delivered', self.delivered)

    def delivered(self, namespace, event, data, channel, position):
        self.heard.append(('delivered', event, data['text'], channel, position['offset'],
                           namespace))


def make_app(**blueprint):
    config = MinimalApplicationConfigurator()
    config.update_blueprint(dict({'root_controller': Root()}, **blueprint))
    tgext.socketio.plugme(config)
    return webtest.TestApp(config.make_wsgi_app())


def test_a_feature_of_the_app_hears_every_hook_in_order():
    recorder = Recorder()
    app = make_app(**{'socketio.features': [recorder.attach]})
    [server] = recorder.servers
    with SocketIOTestClient(app, namespaces=['/room']) as client:
        assert client.call('subscribe', 'room', '1', namespace='/room') == 'room-1'
        assert client.call('say', 'hi', namespace='/room') == 'said'
        client.wait_for('publication', namespace='/room')
        app.get('/announce')
        client.wait_for('publication', namespace='/room')
        assert client.call('unsubscribe', 'room-1', namespace='/room') == 'room-1'
        [sid] = list(server.namespace_handlers['/room'].connections)
    assert recorder.heard == [
        ('opened', sid),
        ('event', '/room', 'subscribe'), ('joined', 'room-1'),
        ('event', '/room', 'say'), ('delivered', 'publication', 'hi', 'room-1', 1, '/room'),
        ('delivered', 'publication', 'from a controller', 'room-1', 2, '/room'),
        ('event', '/room', 'unsubscribe'), ('left', 'room-1'),
        ('closed', sid)]


def test_hooks_nobody_listens_to_are_empty_and_the_live_log_listens_only_while_watched():
    _wait_until_no_console_watches()  # an earlier test's, in this process
    make_app()
    [server] = current().servers
    server_hooks = hooks.of(server)
    # presence is the only built-in feature that listens all the time
    assert [(name, len(getattr(server_hooks, name))) for name in hooks.HOOKS] == [
        ('connection_opened', 0), ('connection_closed', 1), ('event_received', 0),
        ('subscribing', 1), ('channel_joined', 1), ('channel_left', 1),
        ('publication_delivered', 0), ('presence_told', 0)]
    feed = activity.FEED
    lease = feed.lease
    feed.lease = 0.3
    try:
        activity.watch([server])
        assert len(server_hooks.event_received) == 1
        assert len(server_hooks.publication_delivered) == 1
        deadline = time.monotonic() + 10
        while server_hooks.event_received and time.monotonic() < deadline:
            gevent.sleep(0.1)
        assert server_hooks.event_received == () and server_hooks.publication_delivered == ()
    finally:
        feed.lease = lease


def _wait_until_no_console_watches():
    activity.FEED.watched_until = 0.0
    deadline = time.monotonic() + 10
    while activity.FEED._flusher is not None and time.monotonic() < deadline:
        gevent.sleep(0.05)


def test_listeners_are_called_in_order_and_a_removed_one_no_more():
    server_hooks = hooks.Hooks()
    listener = object()
    server_hooks.add('channel_left', listener)
    server_hooks.remove('channel_left', listener)
    server_hooks.remove('channel_left', listener)  # not listening: nothing happens
    assert server_hooks.channel_left == ()
    heard = []
    server_hooks.add('channel_left', lambda *args: heard.append(('first',) + args))
    server_hooks.add('channel_left', lambda *args: heard.append(('second',) + args))
    server_hooks.call('channel_left', 'instance', 'room-1')
    assert heard == [('first', 'instance', 'room-1'), ('second', 'instance', 'room-1')]


class Refusing:
    """A feature that refuses subscriptions to 'room-2' (after a publication to it went out
    while it was deciding) and fails on every event it hears."""

    def __init__(self):
        self.heard = []

    def attach(self, server, bus, server_hooks):
        server_hooks.add('subscribing', self.subscribing)
        server_hooks.add('channel_joined',
                         lambda i, channel: self.heard.append(('joined', channel)))
        server_hooks.add('channel_left', lambda i, channel: self.heard.append(('left', channel)))
        server_hooks.add('event_received', self.broken)

    def subscribing(self, instance, channel):
        if channel == 'room-2':
            publish('room-2', {'text': 'while deciding'}, namespace='/room')
            raise SocketIOError('room 2 is closed', name='room_closed')

    def broken(self, instance, data):
        raise RuntimeError('a broken feature')


def test_a_refused_subscription_subscribes_to_nothing_and_a_broken_listener_harms_nobody():
    refusing = Refusing()
    app = make_app(**{'socketio.features': [refusing.attach]})
    with SocketIOTestClient(app, namespaces=['/room']) as client:
        answer = client.call('subscribe', 'room', '2', namespace='/room')
        assert answer['error'] == {'name': 'subscription_rejected', 'message': 'room 2 is closed',
                                   'reason': 'room_closed', 'channel': 'room-2'}
        assert refusing.heard == []               # nobody was told of a subscription
        [server] = current().servers
        assert not server.manager.rooms['/room'].get('channel:room-2')
        publish('room-2', {'text': 'closed room'}, namespace='/room')
        assert client.call('subscribe', 'room', '1', namespace='/room') == 'room-1'
        assert client.call('subscribe', 'room', '1', namespace='/room') == 'room-1'  # again
        assert client.call('say', 'still here', namespace='/room') == 'said'
        data, channel, position = client.wait_for('publication', namespace='/room')
        assert (data, channel) == ({'text': 'still here'}, 'room-1')  # nothing of room-2
        assert client.call('unsubscribe', 'room-1', namespace='/room') == 'room-1'
    assert refusing.heard == [('joined', 'room-1'), ('left', 'room-1')]  # subscribed once


def test_a_hook_that_does_not_exist_is_refused_by_name():
    with pytest.raises(ValueError, match="no hook 'channel_join'"):
        hooks.Hooks().add('channel_join', print)
