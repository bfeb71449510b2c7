"""The live console's Socket.IO side and its parts, in process (memory://).

The console in Chromium and the command line's ``disconnect --user``, over two processes on a
real Redis, are tests/console/test_console_browser.py.
"""
import time

import gevent
import pytest
import webtest

from tests.sample_apps.presence_app import make_app
from tgext.socketio.console import ConsoleController
from tgext.socketio.cluster.activity import ActivityFeed
from tgext.socketio.console.overview import summarize
from tgext.socketio.testing import SocketIOTestClient

CONSOLE = '/tgext-console'


@pytest.fixture
def app():
    return webtest.TestApp(make_app(**{'socketio.backend': 'memory://'}))


def logged_in(app, user):
    test_app = webtest.TestApp(app.app)
    test_app.post('/login_handler', params={'login': user, 'password': user})
    return test_app


def console(app):
    return SocketIOTestClient(logged_in(app, 'user0'), path='/console/', namespaces=[CONSOLE])


def chat(app, user):
    sio = SocketIOTestClient(logged_in(app, user), namespaces=['/chat'])
    sio.__enter__()
    assert sio.call('subscribe', 'room', '1', namespace='/chat') == 'room-1'
    return sio


def test_the_overview_lists_connections_and_channels(app):
    tabs = [chat(app, 'user2'), chat(app, 'user2'), chat(app, 'user3')]
    with console(app) as operator:
        overview = operator.call('refresh', namespace=CONSOLE)
        assert overview['totals'] == {'processes': 1, 'connections': 4, 'users': 3,
                                      'channels': 1}
        assert sorted(c['user'] for c in overview['connections'] if c['namespace'] == '/chat') \
            == ['user2', 'user2', 'user3']
        assert overview['channels'] == [{'namespace': '/chat', 'channel': 'room-1',
                                         'subscribers': 3, 'members': 2}]
        assert operator.wait_for('console_overview', namespace=CONSOLE)[0]['totals'] \
            == overview['totals']
    for tab in tabs:
        tab.disconnect()


def test_publish_and_history_from_the_console(app):
    tab = chat(app, 'user2')
    with console(app) as operator:
        answer = operator.call('publish', '/chat', 'room-1', '{"text": "from the console"}',
                               namespace=CONSOLE)
        assert answer['text'].startswith('published to room-1')
        data, channel, position = tab.wait_for('publication', namespace='/chat')
        assert (data, channel, position) == ({'text': 'from the console'}, 'room-1',
                                             answer['position'])
        history = operator.call('history', 'room-1', 5, '/chat', namespace=CONSOLE)
        assert history['complete'] is True
        assert [p['detail'] for p in history['publications']] == ['{"text": "from the console"}']
    tab.disconnect()


@pytest.mark.parametrize('event, args, error', [
    ('publish', ('/chat', 'room-1', '{"x": NaN}'), 'invalid_data'),
    ('publish', ('/chat', 'room-1', 'not json'), 'invalid_data'),
    ('publish', ('/chat', ['room-1'], '1'), 'invalid_argument'),
    ('history', ('room-1', 'all'), 'invalid_argument'),
    ('history', ('room-1', 10 ** 9), 'invalid_argument'),
    ('disconnect_connection', ('/chat', 42), 'invalid_argument'),
    ('disconnect_user', ('',), 'invalid_argument'),
])
def test_bad_requests_get_an_error_and_the_console_goes_on(app, event, args, error):
    with console(app) as operator:
        answer = operator.call(event, *args, namespace=CONSOLE)
        assert answer['error']['name'] == error
        assert operator.wait_for('error', namespace=CONSOLE)[0]['name'] == error
        assert operator.call('refresh', namespace=CONSOLE)['totals']['processes'] == 1


def test_disconnect_a_connection_or_every_connection_of_a_user(app):
    user2 = [chat(app, 'user2'), chat(app, 'user2')]
    user3 = chat(app, 'user3')
    with console(app) as operator:
        overview = operator.call('refresh', namespace=CONSOLE)
        sid = next(c['sid'] for c in overview['connections'] if c['user'] == 'user3')
        assert operator.call('disconnect_connection', '/chat', sid,
                             namespace=CONSOLE)['disconnected'] == 1
        assert operator.call('disconnect_user', 'user2', namespace=CONSOLE)['disconnected'] == 2
    for tab in user2 + [user3]:
        deadline = time.monotonic() + 5
        while tab.is_connected('/chat') and time.monotonic() < deadline:
            gevent.sleep(0.05)  # the in-process client reads in a greenlet
        assert not tab.is_connected('/chat')


def test_only_the_predicate_opens_the_console(app):
    assert logged_in(app, 'user1').get('/console/', status=403)
    with pytest.raises(ConnectionError, match='403'):   # no Engine.IO session at all
        SocketIOTestClient(logged_in(app, 'user1'), path='/console/',
                           namespaces=[CONSOLE]).__enter__()
    with pytest.raises(TypeError):
        ConsoleController(None)


def test_the_overview_merges_the_servers_of_every_process():
    def answer(pid, connections, channels):
        return {'hostname': 'h', 'pid': pid, 'started': 100.0 + pid,
                'namespaces': {'/chat': len(connections)},
                'connections': [{'namespace': '/chat', 'sid': 's%d%s' % (pid, user),
                                 'user': user, 'address': '127.0.0.1', 'channels': []}
                                for user in connections],
                'channels': channels}
    merged = summarize({
        'a': answer(1, ['u1', 'u2'], [['/chat', 'room-1', 2, ['u1', 'u2']], ['/chat', 'x', 1, []]]),
        'b': answer(1, [], []),   # a second server of process 1 (the console's)
        'c': answer(2, ['u2', None], [['/chat', 'room-1', 2, ['u2']]])})
    assert [(p['pid'], p['servers'], p['connections']) for p in merged['processes']] == \
        [(1, 2, 2), (2, 1, 2)]
    assert merged['totals'] == {'processes': 2, 'connections': 4, 'users': 2, 'channels': 2}
    assert [(c['channel'], c['subscribers'], c['members']) for c in merged['channels']] == \
        [('room-1', 4, 2), ('x', 1, None)]


def test_the_live_log_is_sampled_and_counts_what_it_leaves_out():
    feed = ActivityFeed()
    feed.per_second = 3
    feed.note('event', '/chat', event='not watched')
    feed.watch()
    for number in range(5):
        feed.note('event', '/chat', event='e%d' % number)
    assert [entry['event'] for entry in feed._entries] == ['e0', 'e1', 'e2']
    assert feed._skipped == 2
    delivered = []
    feed.listeners.add(delivered.append)
    deadline = time.monotonic() + 2
    while not delivered and time.monotonic() < deadline:
        gevent.sleep(0.05)
    assert delivered and delivered[0]['skipped'] == 2 and len(delivered[0]['entries']) == 3
