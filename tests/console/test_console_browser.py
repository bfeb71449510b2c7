"""The live console in Chromium, and the command line's ``disconnect``, over two app processes
on a real Redis.

The console (``tgext.socketio.console.ConsoleController``, mounted by the test app behind
``has_permission('console')``) shows the connections of both processes, shows in its live log
a publication made from the command line, publishes to a page of the other process, and
disconnects every connection of a user; users without the permission get 403.
"""
import json
import subprocess
import time

import pytest
import requests
import socketio

from tests import servers
from tests.browser import ConsoleErrors, chromium
from tests.helpers import PYTHON, login, start_app
from tgext.socketio.pubsub import bus
from tgext.socketio.pubsub.backends.redis import RedisManager

ROWS = "Array.from(document.querySelectorAll('%s')).map(e => e.textContent.trim())"


@pytest.fixture(scope='module')
def cluster():
    redis = servers.Redis()
    apps = [start_app(['-m', 'tests.sample_apps.presence_app'], backend=redis.url)
            for _ in range(2)]
    yield redis, apps
    for app in apps:
        app.stop()
    redis.stop()


def pids(apps):
    return sorted(str(requests.get(app.url + '/who', params={'channel': 'none'},
                                   timeout=10).json()['pid']) for app in apps)


def open_console(browser, app, user='user0'):
    context = browser.new_context()
    cookie = login(app.url, user, user)['Cookie'].split('=', 1)
    context.add_cookies([{'name': cookie[0], 'value': cookie[1], 'url': app.url}])
    page = context.new_page()
    errors = ConsoleErrors(page)
    page.goto(app.url + '/console/')
    return page, errors


def test_console_shows_and_steers_the_whole_cluster(cluster):
    redis, apps = cluster
    # the stock client: the in-order one cannot be disconnected by the server from its thread
    watched = socketio.Client(reconnection=False)
    watched.connect(apps[1].url, namespaces=['/chat'], socketio_path='socketio',
                    transports=['websocket'],
                    headers=login(apps[0].url, 'user3', 'user3'), wait_timeout=10)
    assert watched.call('subscribe', ('room', '1'), namespace='/chat', timeout=10) == 'room-1'
    with chromium() as browser:
        console, errors = open_console(browser, apps[0])
        # both processes, whichever serves the page, and the connection of the other one
        console.wait_for_function('(pids) => JSON.stringify(%s.sort()) === JSON.stringify(pids)'
                                  % (ROWS % '.processes .pid'), arg=pids(apps), timeout=10000)
        console.wait_for_selector('.connection:has(.user:text-is("user3"))', timeout=10000)
        row = console.locator('.channel-row[data-channel="room-1"]')
        assert row.locator('.subscribers').inner_text() == '1'
        assert row.locator('.members').inner_text() == '1'

        # a publication from the command line shows in the live log within a second
        console.wait_for_timeout(2500)  # the console has asked every process to record
        done = subprocess.run([PYTHON, '-m', 'tgext.socketio', 'publish', '--backend', redis.url,
                               '--namespace', '/chat', 'room-1', '{"text": "from the cli"}'],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        published = time.monotonic()
        console.wait_for_selector('.log .entry.publication:has-text("from the cli")',
                                  timeout=1000)
        assert time.monotonic() - published < 1.0
        # the log's filter hides what does not match
        console.fill('.console-log input.filter', 'nothing matches this')
        console.wait_for_function("document.querySelectorAll('.log .entry').length === 0")
        console.fill('.console-log input.filter', 'from the cli')
        console.wait_for_selector('.log .entry.publication:has-text("from the cli")')

        # its publish form reaches a page served by the other process
        room = browser.new_context().new_page()
        room_errors = ConsoleErrors(room)
        room.goto(apps[1].url + '/room?number=1')
        room.wait_for_function("document.RAWidgets.room && "
                               "document.RAWidgets.room.subscriptions.length === 1")
        console.fill('.console-publish input.namespace', '/chat')
        console.fill('.console-publish input.channel', 'room-1')
        console.fill('.console-publish input.data', json.dumps({'text': 'from the console'}))
        console.click('.console-publish button.publish')
        room.wait_for_selector('.lines li:text-is("from the console")', timeout=5000)
        console.wait_for_selector('.console-publish .notice:has-text("published to room-1")')

        # every connection of user3 (on the other process) is disconnected from the console
        console.click('.connection:has(.user:text-is("user3")) button.disconnect-user')
        deadline = time.monotonic() + 5
        while watched.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not watched.connected
        console.wait_for_selector('.console-publish .notice:has-text("disconnected 1")')
        assert errors == [] and room_errors == []


def test_users_without_the_permission_get_403(cluster):
    _, apps = cluster
    cookie = login(apps[0].url, 'user1', 'user1')
    for path in ('/console/', '/console/?EIO=4&transport=polling'):
        assert requests.get(apps[0].url + path, headers=cookie, timeout=10).status_code == 403
    with chromium() as browser:
        page, _ = open_console(browser, apps[0], user='user1')
        assert 'console-cluster' not in page.content()


def test_the_command_line_disconnects_a_user_everywhere(cluster):
    redis, apps = cluster
    clients = []
    for user, app in [('user4', apps[0]), ('user4', apps[1]), ('user5', apps[1])]:
        sio = socketio.Client(reconnection=False)
        sio.connect(app.url, namespaces=['/chat'], socketio_path='socketio',
                    transports=['websocket'], headers=login(app.url, user, user), wait_timeout=10)
        clients.append(sio)
    done = subprocess.run([PYTHON, '-m', 'tgext.socketio', 'disconnect', '--backend', redis.url,
                           '--user', 'user4'], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)['disconnected'] == 2
    deadline = time.monotonic() + 5
    while any(sio.connected for sio in clients[:2]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [sio.connected for sio in clients] == [False, False, True]
    clients[2].disconnect()


def test_a_disconnect_question_heard_twice_acts_once(cluster):
    """Askers repeat a question until they hear it on the bus: a server that hears it again
    answers as the first time and does not disconnect the user's new connection."""
    redis, apps = cluster
    question = {'method': bus.METHOD, 'kind': 'query', 'what': 'disconnect', 'user': 'user6',
                'query_id': 'asked-twice', 'host_id': 'test-asker'}
    asker = RedisManager(redis.url, write_only=True)
    connections = []
    for _ in range(2):
        sio = socketio.Client(reconnection=False)
        sio.connect(apps[1].url, namespaces=['/chat'], socketio_path='socketio',
                    transports=['websocket'], headers=login(apps[1].url, 'user6', 'user6'),
                    wait_timeout=10)
        connections.append(sio)
        asker._publish(question)
        time.sleep(1)
    assert [sio.connected for sio in connections] == [False, True]
    connections[1].disconnect()
