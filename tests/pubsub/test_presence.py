"""Presence: members are users, cluster-wide, on the bus itself.

Fast tier: the in-process client on memory://. Real tier: three app processes
sharing a real Redis, official python-socketio clients logged in through
repoze.who, the CLI in a subprocess, and a kill -9.
"""
import collections
import json
import signal
import subprocess
import time

import gevent
import pytest
import requests
import socketio
import webtest

from tests import servers
from tests.sample_apps.presence_app import make_app
from tests.helpers import PYTHON, client, login, start_app
from tgext.socketio.pubsub import bus
from tgext.socketio.testing import SocketIOTestClient


# -- the hook on python-socketio ----------------------------------------------------------

class _ScriptedManager(socketio.PubSubManager):
    """A bus that yields what the test says, as Redis would (JSON strings)."""

    def __init__(self, messages):
        super().__init__(channel='test')
        self.messages = messages
        self.emitted = []

    def _publish(self, data):
        pass

    def _listen(self):
        yield from self.messages

    def _handle_emit(self, message):
        self.emitted.append(message['event'])


def test_bus_hook_still_sees_our_messages():
    """python-socketio's _thread must still read the bus through self._listen(): our
    messages reach our handlers and python-socketio's own still reach it."""
    ours = {'method': 'tgext', 'kind': 'probe', 'host_id': 'elsewhere', 'n': 1}
    theirs = {'method': 'emit', 'event': 'hello', 'data': [1], 'namespace': '/',
              'host_id': 'elsewhere'}
    manager = _ScriptedManager([json.dumps(ours), json.dumps(theirs).encode(), ours])
    server = socketio.Server(client_manager=manager)
    seen = []
    bus.attach(server).on('probe', seen.append)
    manager._thread()  # returns when _listen() is exhausted
    assert [message['n'] for message in seen] == [1, 1], (
        'python-socketio no longer reads the bus through _listen(): '
        'see tgext/socketio/pubsub/bus.py')
    assert manager.emitted == ['hello']


# -- fast tier: one process, memory:// --------------------------------------------------

@pytest.fixture
def app():
    return webtest.TestApp(make_app(**{'socketio.backend': 'memory://'}))


def tab(app, user=None):
    test_app = webtest.TestApp(app.app)
    if user:
        test_app.post('/login_handler', params={'login': user, 'password': user})
    sio = SocketIOTestClient(test_app, namespaces=['/chat'])
    sio.__enter__()
    return sio


def test_tabs_of_a_user_are_one_member(app):
    observer = tab(app, 'user0')
    assert observer.call('subscribe', 'room', '1', namespace='/chat') == 'room-1'
    tabs = [tab(app, 'user1') for _ in range(3)]
    for sio in tabs:
        assert sio.call('subscribe', 'room', '1', namespace='/chat') == 'room-1'
    stats = observer.call('presence_stats', 'room-1', namespace='/chat')
    assert stats == {'clients': 4, 'users': 2}
    assert observer.call('presence', 'room-1', namespace='/chat') == [{'id': 'user0'},
                                                                        {'id': 'user1'}]
    tabs[0].__exit__(None, None, None)
    tabs[1].call('unsubscribe', 'room-1', namespace='/chat')
    gevent.sleep(0.3)
    assert observer.call('presence_stats', 'room-1', namespace='/chat') == \
        {'clients': 2, 'users': 2}
    tabs[2].__exit__(None, None, None)
    gevent.sleep(0.3)
    assert observer.call('presence_stats', 'room-1', namespace='/chat') == \
        {'clients': 1, 'users': 1}
    received = [args[0] for event, args in _events(observer) if event.startswith('presence_')]
    assert changes(received) == [('joins', 'user0'), ('joins', 'user1'), ('leaves', 'user1')]


def changes(diffs):
    """``[(joins/leaves, member id)]`` of ``diffs``, in order."""
    return [(kind, member['id']) for diff in diffs for kind in ('joins', 'leaves')
            for member in diff[kind]]


def _events(sio):
    return [(item['name'], item['args']) for item in sio.get_received(namespace='/chat')]


def test_anonymous_clients_are_one_member_per_connection(app):
    first, second = tab(app), tab(app)
    for sio in (first, second):
        sio.call('subscribe', 'room', '7', namespace='/chat')
    members = first.call('presence', 'room-7', namespace='/chat')
    assert len(members) == 2 and all(member['id'] for member in members)


def test_only_subscribers_of_a_presence_channel_may_ask(app):
    sio = tab(app, 'user2')
    assert sio.call('presence', 'room-1', namespace='/chat')['error']['name'] == \
        'not_subscribed'
    assert sio.call('subscribe', 'plain', namespace='/chat') == 'plain'
    assert sio.call('presence_stats', 'plain', namespace='/chat')['error']['name'] == \
        'not_a_presence_channel'


# -- real tier: one process, the official client ------------------------------------------

def test_joins_within_a_window_reach_a_subscriber_as_one_diff():
    """20 users subscribing within one window (``socketio.presence_window``, 1 s here) reach
    a subscriber already there as one presence_diff: one frame, not 20; their leaves too."""
    app = start_app(['-m', 'tests.sample_apps.presence_app'], env={'PRESENCE_WINDOW': '1'})
    clients = []
    try:
        observer, seen = client(app.url, '/chat')
        clients.append(observer)
        assert observer.call('subscribe', ('room', '1'), namespace='/chat', timeout=10)
        [(own, channel)] = seen.wait_for('presence_diff')
        assert channel == 'room-1' and len(own['joins']) == 1 and own['leaves'] == []
        tabs = [client(app.url, '/chat')[0] for _ in range(20)]
        clients += tabs
        for sio in tabs:  # all at once: their joins fall in one window
            sio.emit('subscribe', ('room', '1'), namespace='/chat')
        [_, (diff, channel)] = seen.wait_for('presence_diff', 2)
        assert channel == 'room-1' and diff['leaves'] == []
        assert len({member['id'] for member in diff['joins']}) == 20
        assert observer.call('presence_stats', 'room-1', namespace='/chat',
                             timeout=10) == {'clients': 21, 'users': 21}
        for sio in tabs:
            sio.emit('unsubscribe', 'room-1', namespace='/chat')
        [*_, (diff, _)] = seen.wait_for('presence_diff', 3)
        assert diff['joins'] == [] and len(diff['leaves']) == 20
        time.sleep(1.5)  # a window later: nothing more
        assert [event for event, _ in seen.events] == ['presence_diff'] * 3
    finally:
        for sio in clients:
            sio.disconnect()
        app.stop()


# -- real tier: three processes on Redis ------------------------------------------------

OBSERVER = 'user0'


def placement():
    """``{user: [process index of each of its 3 tabs]}``: user0 (the observers) has a tab
    on each process; users 1-3 only on process 2; users 4-9 spread over all three."""
    tabs = {OBSERVER: [0, 1, 2]}
    for number in range(1, 4):
        tabs['user%d' % number] = [2, 2, 2]
    for number in range(4, 10):
        tabs['user%d' % number] = [(number + t) % 3 for t in range(3)]
    return tabs


class Cluster:
    def __init__(self):
        self.redis = servers.Redis()
        self.apps = [start_app(['-m', 'tests.sample_apps.presence_app'], backend=self.redis.url)
                     for _ in range(3)]
        self.cookies = {}
        self.clients = []

    def cookie(self, user):
        if user not in self.cookies:
            self.cookies[user] = login(self.apps[0].url, user, user)
        return self.cookies[user]

    def tab(self, user, process):
        sio, recorder = client(self.apps[process].url, '/chat', headers=self.cookie(user))
        self.clients.append(sio)
        assert sio.call('subscribe', ('room', '1'), namespace='/chat', timeout=10) == 'room-1'
        return sio, recorder

    def who(self, process):
        return requests.get(self.apps[process].url + '/who', params={'channel': 'room-1'},
                            timeout=10).json()

    def cli(self, *args):
        done = subprocess.run([PYTHON, '-m', 'tgext.socketio', *args,
                               '--backend', self.redis.url], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def close(self):
        for sio in self.clients:
            sio.disconnect()
        for app in self.apps:
            app.stop()
        self.redis.stop()


@pytest.fixture(scope='module')
def cluster():
    cluster = Cluster()
    yield cluster
    cluster.close()


def presence_events(recorder, kind):
    """How often each member was in the ``kind`` (joins/leaves) of the diffs received."""
    return collections.Counter(member['id'] for diff, _ in recorder.of('presence_diff')
                               for member in diff[kind])


def wait_until(condition, timeout, message=''):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def stats_everywhere(cluster, processes):
    return [(cluster.who(p)['clients'], cluster.who(p)['users']) for p in processes]


def test_ten_users_three_tabs_three_processes(cluster):
    tabs = placement()
    observers = [cluster.tab(OBSERVER, process) for process in range(3)]
    user_tabs = {user: [cluster.tab(user, process) for process in processes]
                 for user, processes in tabs.items() if user != OBSERVER}
    others = sorted(user_tabs)

    # every process and the CLI see 30 connections of 10 users
    wait_until(lambda: stats_everywhere(cluster, range(3)) == [(30, 10)] * 3, 10,
               'not 30/10 everywhere: %r' % (stats_everywhere(cluster, range(3)),))
    members = [member['id'] for member in cluster.who(1)['members']]
    assert members == sorted(tabs)
    answer = cluster.cli('presence', '--namespace', '/chat', 'room-1')
    assert (answer['clients'], answer['users'], answer['processes']) == (30, 10, 3)
    assert [member['id'] for member in answer['members']] == sorted(tabs)
    channels = cluster.cli('channels')['channels']
    assert channels == [{'namespace': '/chat', 'channel': 'room-1', 'subscribers': 30}]

    # one join per user at each observer, not one per tab, heartbeats included (> 5 s)
    for _, recorder in observers:
        wait_until(lambda r=recorder: set(presence_events(r, 'joins')) >= set(others),
                   10)
    time.sleep(6)
    for _, recorder in observers:
        joins = presence_events(recorder, 'joins')
        assert all(joins[user] == 1 for user in others), joins
        assert not presence_events(recorder, 'leaves')

    # user5 closes two of its three tabs: no leave; then the third: exactly one
    leaving = user_tabs['user5']
    for sio, _ in leaving[:2]:
        sio.disconnect()
    wait_until(lambda: stats_everywhere(cluster, range(3)) == [(28, 10)] * 3, 10)
    time.sleep(1)
    for _, recorder in observers:
        assert not presence_events(recorder, 'leaves')
    leaving[2][0].disconnect()
    wait_until(lambda: stats_everywhere(cluster, range(3)) == [(27, 9)] * 3, 10)
    for _, recorder in observers:
        wait_until(lambda r=recorder: presence_events(r, 'leaves'), 10)
    time.sleep(1)
    for _, recorder in observers:
        assert presence_events(recorder, 'leaves') == {'user5': 1}

    # kill -9 of process 2: users 1-3 (only there) leave once each, within 30 s
    killed_at = time.monotonic()
    cluster.apps[2].stop(signal.SIGKILL)
    remaining = {user: [p for p in processes if p != 2]
                 for user, processes in tabs.items() if user != 'user5'}
    expected_clients = sum(len(processes) for processes in remaining.values())
    expected_users = sum(1 for processes in remaining.values() if processes)
    assert (expected_clients, expected_users) == (12, 6)
    wait_until(lambda: stats_everywhere(cluster, range(2)) == [(12, 6)] * 2, 30,
               'members of the killed process still there after 30 s')
    removed_after = time.monotonic() - killed_at
    for _, recorder in observers[:2]:
        wait_until(lambda r=recorder: sum(presence_events(r, 'leaves').values()) >= 4, 5)
    time.sleep(6)  # a heartbeat later: nothing more
    for _, recorder in observers[:2]:
        assert presence_events(recorder, 'leaves') == \
            {'user5': 1, 'user1': 1, 'user2': 1, 'user3': 1}
    answer = cluster.cli('presence', '--namespace', '/chat', 'room-1')
    assert (answer['clients'], answer['users'], answer['processes']) == (12, 6, 2)
    print('members of the killed process removed after %.1f s' % removed_after)
    assert removed_after < 30


# -- the other buses: the same messages on RabbitMQ and MongoDB -------------------------

@pytest.mark.parametrize('kind', ['amqp', 'mongodb'])
def test_two_processes_on_other_backends(kind):
    """A user's tabs on two processes are one member; the CLI sees both servers."""
    backend = servers.RabbitMQ() if kind == 'amqp' else servers.Mongo()
    apps, clients = [], []
    try:
        apps = [start_app(['-m', 'tests.sample_apps.presence_app'], backend=backend.url)
                for _ in range(2)]
        cookie = login(apps[0].url, 'user1', 'user1')
        observer, seen = client(apps[1].url, '/chat', headers=login(apps[0].url, 'user0',
                                                                           'user0'))
        clients.append(observer)
        assert observer.call('subscribe', ('room', '1'), namespace='/chat', timeout=10)
        for app in apps:
            sio, _ = client(app.url, '/chat', headers=cookie)
            clients.append(sio)
            assert sio.call('subscribe', ('room', '1'), namespace='/chat', timeout=10)
        wait_until(lambda: observer.call('presence_stats', 'room-1', namespace='/chat',
                                         timeout=10) == {'clients': 3, 'users': 2}, 15)
        done = subprocess.run([PYTHON, '-m', 'tgext.socketio', 'presence', '--backend',
                               backend.url, '--namespace', '/chat', 'room-1'],
                              capture_output=True, text=True, timeout=60)
        answer = json.loads(done.stdout)
        assert (answer['clients'], answer['users'], answer['processes']) == (3, 2, 2)
        clients[1].disconnect()      # user1's tab on process 0: user1 stays
        clients[2].disconnect()      # and on process 1: user1 leaves, once
        wait_until(lambda: presence_events(seen, 'leaves'), 15)
        time.sleep(1)
        assert presence_events(seen, 'joins')['user1'] == 1
        assert presence_events(seen, 'leaves') == {'user1': 1}
    finally:
        for sio in clients:
            sio.disconnect()
        for app in apps:
            app.stop()
        servers.close(backend)


# -- the tables' rules, without servers ---------------------------------------------------

class _FakeBus:
    host_id, distributed, listening = 'here', True, True

    def __init__(self):
        self.sent = []

    def on(self, kind, handler):
        pass

    def when_started(self, function):
        pass

    def publish(self, kind, **payload):
        self.sent.append((kind, payload))


class _FakeServer:
    namespace_handlers = {'/chat': None}  # the tracker tells only its server's namespaces

    def __init__(self):
        self.told = []

    def emit(self, event, data, to=None, namespace=None, ignore_queue=False):
        assert ignore_queue  # each process tells its own subscribers, never the bus
        diff, channel = data
        assert (event, to, namespace) == ('presence_diff', 'channel:' + channel, '/chat')
        self.told.append((channel, diff))

    def diffs(self):
        """``[(channel, join ids, leave ids)]`` told once the window is over, forgotten."""
        gevent.sleep(WINDOW * 5)
        told, self.told = self.told, []
        return [(channel, [member['id'] for member in diff['joins']],
                 [member['id'] for member in diff['leaves']]) for channel, diff in told]


WINDOW = 0.02


def _tracker(server, hooks=None):
    from tgext.socketio.namespaces.hooks import Hooks
    from tgext.socketio.pubsub.presence import PresenceTracker
    return PresenceTracker(server, _FakeBus(), hooks or Hooks(), window=WINDOW)


def test_tables_heartbeats_repair_and_expiry():
    server = _FakeServer()
    tracker = _tracker(server)
    tracker.expiry = 0.2
    row = lambda *ids: [['/chat', 'room-1', {i: [{'id': i}, 1] for i in ids}]]  # noqa: E731
    tracker.add('/chat', 'room-1', 'sid-1', {'id': 'ann'})
    tracker._received({'kind': 'presence', 'host_id': 'b', 'full': False,
                       'rows': row('ann', 'bob')})
    assert server.diffs() == [('room-1', ['ann', 'bob'], [])]
    assert tracker.stats('/chat', 'room-1') == {'clients': 3, 'users': 2}
    # a heartbeat of b without bob (its leave delta was lost): bob leaves, ann stays
    tracker._received({'kind': 'presence', 'host_id': 'b', 'full': True, 'rows': row('ann')})
    assert server.diffs() == [('room-1', [], ['bob'])]
    tracker._received({'kind': 'presence', 'host_id': 'b', 'full': False,
                       'rows': row('ann', 'cid')})
    assert server.diffs() == [('room-1', ['cid'], [])]
    # our own messages are ignored
    tracker._received({'kind': 'presence', 'host_id': 'here', 'full': True, 'rows': []})
    time.sleep(0.3)
    tracker._expire()  # b is silent: cid leaves once; ann is still here (sid-1)
    assert server.diffs() == [('room-1', [], ['cid'])]
    assert tracker.stats('/chat', 'room-1') == {'clients': 1, 'users': 1}
    tracker.remove('/chat', 'room-1', 'sid-1')
    assert server.diffs() == [('room-1', [], ['ann'])]


def test_a_window_tells_each_channel_its_net_change_in_one_diff():
    """Whatever came and went during a window is one presence_diff per channel (and one
    ``presence_told``): the change since the last diff."""
    from tgext.socketio.namespaces.hooks import Hooks
    hooks, heard = Hooks(), []
    hooks.add('presence_told', lambda *args: heard.append(args))
    server = _FakeServer()
    tracker = _tracker(server, hooks)
    tracker.add('/chat', 'room-1', 'sid-ann', {'id': 'ann'})
    tracker.add('/chat', 'room-1', 'sid-bob', {'id': 'bob'})
    assert server.diffs() == [('room-1', ['ann', 'bob'], [])]
    heard.clear()
    for number in range(100):
        tracker.add('/chat', 'room-1', 'sid-%d' % number, {'id': 'user%d' % number})
    tracker.add('/chat', 'room-1', 'sid-cid', {'id': 'cid'})      # came and went: not told
    tracker.remove('/chat', 'room-1', 'sid-cid')
    tracker.remove('/chat', 'room-1', 'sid-bob')                  # went and came back renamed
    tracker.add('/chat', 'room-1', 'sid-bob2', {'id': 'bob', 'name': 'Bob'})
    tracker.remove('/chat', 'room-1', 'sid-ann')
    tracker.add('/chat', 'room-2', 'sid-dan', {'id': 'dan'})
    told = server.told  # the diffs themselves, once the window is over
    assert server.diffs() == [
        ('room-1', ['user%d' % number for number in range(100)] + ['bob'], ['ann']),
        ('room-2', ['dan'], [])]
    diff = told[0][1]
    assert diff['joins'][-1] == {'id': 'bob', 'name': 'Bob'}
    assert heard == [('/chat', diff, 'room-1'), ('/chat', {'joins': [{'id': 'dan'}], 'leaves': []},
                                                  'room-2')]
    tracker.remove('/chat', 'room-1', 'sid-bob2')
    tracker.add('/chat', 'room-1', 'sid-bob3', {'id': 'bob', 'name': 'Bob'})
    assert server.diffs() == [('room-1', ['bob'], [])]  # went and came back: a join replaces


def test_a_tracker_tells_only_the_namespaces_of_its_server():
    """An app with two endpoints has two servers per process, each with a tracker that hears
    the other's tables: only the server serving the namespace tells its subscribers."""
    server = _FakeServer()
    tracker = _tracker(server)
    tracker.add('/elsewhere', 'room-1', 'sid-1', {'id': 'ann'})
    tracker.add('/chat', 'room-1', 'sid-2', {'id': 'bob'})
    assert server.diffs() == [('room-1', ['bob'], [])]
    assert tracker.stats('/elsewhere', 'room-1') == {'clients': 1, 'users': 1}


def test_a_member_without_an_id_refuses_the_subscription_and_joins_nothing():
    from tests.helpers import in_process_app
    from tgext.socketio import PubSubNamespace, publish
    from tgext.socketio.testing import SocketIOTestClient

    class Nameless(PubSubNamespace):
        presence_channels = ['room-*']

        def subscribe_room(self, number):
            return 'room-%s' % number

        def presence_info(self):
            return {'name': 'no id'}

    app = in_process_app({'/nameless': Nameless})
    with SocketIOTestClient(app, namespaces=['/nameless']) as client:
        answer = client.call('subscribe', 'room', '1', namespace='/nameless')
        assert answer['error']['name'] == 'subscription_rejected'
        assert answer['error']['reason'] == 'invalid_presence_info'
        publish('room-1', 'to nobody', namespace='/nameless')
        assert client.call('presence', 'room-1', namespace='/nameless')['error']['name'] == \
            'not_subscribed'
        # the refusal and the presence question's error; no publication
        assert [event['name'] for event in client.get_received('/nameless')] == ['error', 'error']
