"""Client-chosen names are echoed cut short, and undeclared namespaces are refused (#18).

Against the feature app (real server, official client): a 900 kB event name comes back in
``no_such_method`` cut to ``NAME_CHARS``, as do refused subscriptions; the console's live
log holds it cut as well; ``/``, which the app does not declare, is refused like any
other unknown namespace.
"""
import pytest
import webtest

from tests.helpers import connect_refusals
from tests.sample_apps.presence_app import make_app
from tgext.socketio.namespaces.errors import NAME_CHARS
from tgext.socketio.testing import SocketIOTestClient

HUGE = 'x' * 900000
CONSOLE = '/tgext-console'


def test_an_unknown_event_name_is_echoed_cut_short(features, connect):
    sio, recorder = connect(features.url, '/features')
    answer = sio.call(HUGE, namespace='/features', timeout=10)
    error = answer['error']
    assert error['name'] == 'no_such_method'
    assert len(error['event']) == NAME_CHARS and error['event'].endswith('…')
    assert len(error['message']) < NAME_CHARS + 50
    assert len(repr(recorder.wait_for('error')[0])) < 3 * NAME_CHARS + 200


def test_a_refused_subscription_name_is_echoed_cut_short(features, connect):
    sio, _ = connect(features.url, '/rooms')
    error = sio.call('subscribe', HUGE, namespace='/rooms', timeout=10)['error']
    assert error['name'] == 'subscription_rejected'
    assert len(error['message']) < NAME_CHARS + 50


@pytest.mark.parametrize('namespace', ['/', '/nothing-here'])
def test_undeclared_namespaces_are_refused(features, namespace):
    assert connect_refusals(features.url, namespace) == ['Unable to connect']


def test_the_console_live_log_shows_names_cut_short():
    app = webtest.TestApp(make_app(**{'socketio.backend': 'memory://'}))
    operator_app, user_app = webtest.TestApp(app.app), webtest.TestApp(app.app)
    for test_app, user in ((operator_app, 'user0'), (user_app, 'user2')):
        test_app.post('/login_handler', params={'login': user, 'password': user})
    with SocketIOTestClient(operator_app, path='/console/', namespaces=[CONSOLE]) as operator, \
            SocketIOTestClient(user_app, namespaces=['/chat']) as user:
        operator.call('refresh', namespace=CONSOLE)  # the console is open: the log records
        user.emit(HUGE, 'hello', namespace='/chat')
        for _ in range(50):  # connections come first
            [entry] = operator.wait_for('console_log', namespace=CONSOLE, timeout=5)
            if entry['kind'] == 'event' and entry['namespace'] == '/chat':
                break
        assert len(entry['event']) == NAME_CHARS
