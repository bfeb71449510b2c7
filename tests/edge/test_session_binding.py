"""A session belongs to its handshake: the console steals of issue #18, replayed.

The operator (``user0``, who has the console permission) opens the console's socket; an
attacker who learns the sid, by JSONP from a page the operator visits or any other way,
gets nothing from it: not from another address, not without the operator's cookie.
"""
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import socketio

from tests.helpers import http_from, in_process_app, login, start_app
from tgext.socketio import SocketIONamespace

CONSOLE = '/tgext-console'


@pytest.fixture(scope='module')
def app():
    process = start_app(['-m', 'tests.sample_apps.presence_app'])
    yield process
    process.stop()


@pytest.fixture
def operator(app):
    """The operator's console socket over long-polling, and the Cookie header it has."""
    cookie = login(app.url, 'user0', 'user0')
    http = requests.Session()  # the client sends its headers with the handshake only
    http.cookies.set(*cookie['Cookie'].split('=', 1))
    sio = socketio.Client(reconnection=False, http_session=http)
    sio.connect(app.url, namespaces=[CONSOLE], socketio_path='console', transports=['polling'],
                wait_timeout=10)
    yield sio, cookie
    sio.disconnect()


def session_url(app, sid):
    return app.url + '/console/?EIO=4&transport=polling&sid=' + sid


def assert_still_serves(sio):
    overview = sio.call('refresh', namespace=CONSOLE, timeout=10)
    assert overview['totals']['connections'] >= 1
    assert sio.connected


def test_a_stolen_sid_from_another_address_without_cookies_is_refused(app, operator):
    sio, _ = operator
    attacker = http_from('127.0.0.2')
    joined = attacker.post(session_url(app, sio.eio.sid), data='40%s,' % CONSOLE, timeout=10)
    assert (joined.status_code, joined.text) == (400, 'this session belongs to another client')
    polled = attacker.get(session_url(app, sio.eio.sid), timeout=10)
    assert polled.status_code == 400
    assert_still_serves(sio)


def test_a_stolen_sid_from_the_same_address_needs_the_operators_cookie(app, operator):
    sio, cookie = operator
    for headers in ({}, {'Cookie': 'authtkt=forged'}):
        refused = requests.post(session_url(app, sio.eio.sid), data='40%s,' % CONSOLE,
                                headers=headers, timeout=10)
        assert refused.status_code == 400
    assert_still_serves(sio)


def test_a_websocket_upgrade_of_a_stolen_sid_is_refused_before_it_opens(app, operator):
    sio, cookie = operator
    with socket.create_connection(('127.0.0.1', app.port), timeout=10,
                                  source_address=('127.0.0.2', 0)) as raw:
        raw.sendall(('GET /console/?EIO=4&transport=websocket&sid=%s HTTP/1.1\r\n'
                     'Host: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                     'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
                     'Sec-WebSocket-Version: 13\r\n%s\r\n'
                     % (sio.eio.sid, app.port, 'Cookie: %s\r\n' % cookie['Cookie'])).encode())
        answer = b''.join(iter(lambda: raw.recv(4096), b'')).decode()  # until it closes
    assert answer.startswith('HTTP/1.1 400')
    assert answer.endswith('this session belongs to another client')
    assert_still_serves(sio)


class _AttackerPage(BaseHTTPRequestHandler):
    """A page of the same site on another port: it reads a JSONP handshake of the console."""

    page = b''

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


def test_the_jsonp_console_steal_in_chromium_is_refused(app, browser):
    _AttackerPage.page = ('<script>window.___eio = [data => { window.stolen = data; }];</script>'
                          '<script src="%s/console/?EIO=4&transport=polling&j=0"'
                          ' onerror="window.failed = true"></script>' % app.url).encode()
    attacker = ThreadingHTTPServer(('127.0.0.1', 0), _AttackerPage)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        name, value = login(app.url, 'user0', 'user0')['Cookie'].split('=', 1)
        context.add_cookies([{'name': name, 'value': value, 'url': app.url}])
        page = context.new_page()
        statuses = []
        page.on('response', lambda response: '/console/' in response.url
                and statuses.append(response.status))
        page.goto('http://127.0.0.1:%d/' % attacker.server_port)
        page.wait_for_function('window.failed || window.stolen !== undefined', timeout=10000)
        assert page.evaluate('window.stolen') is None
        assert statuses == [400]
    finally:
        context.close()
        attacker.shutdown()


class Echo(SocketIONamespace):
    def on_echo(self, value):
        return value


@pytest.mark.parametrize('enabled, status', [(False, 400), (True, 200)])
def test_jsonp_polling_is_served_only_when_enabled(enabled, status):
    test_app = in_process_app({'/echo': Echo}, **{'socketio.jsonp': enabled})
    answer = test_app.get('/socketio/?EIO=4&transport=polling&j=0', status='*',
                          extra_environ={'tgext.socketio.in_process': True})
    assert answer.status_int == status
    assert ('___eio[0]("0{' in answer.text) is enabled


def test_an_allow_only_namespace_cannot_be_entered_through_a_stolen_sid():
    """bob, logged in, holds a session on /features; his sid, replayed without his cookie
    (from his address or another), cannot open the private namespace (``allow_only``
    logged-in users), while bob opens it through his own session."""
    app = start_app(['-m', 'tests.sample_apps.everything'])
    try:
        http = requests.Session()
        http.cookies.set(*login(app.url, 'bob', 'builder')['Cookie'].split('=', 1))
        bob = socketio.Client(reconnection=False, http_session=http)
        bob.connect(app.url, namespaces=['/features'], socketio_path='socketio',
                    transports=['polling'], wait_timeout=10)
        stolen = app.url + '/socketio/?EIO=4&transport=polling&sid=' + bob.eio.sid
        for thief in (requests.Session(), http_from('127.0.0.2')):
            refused = thief.post(stolen, data='40/private,', timeout=10)
            assert (refused.status_code, refused.text) == \
                (400, 'this session belongs to another client')
        assert bob.call('whoami', namespace='/features', timeout=10)['session'] == 'bob'
        bob.disconnect()
        bob.connect(app.url, namespaces=['/private'], socketio_path='socketio',
                    transports=['polling'], wait_timeout=10)
        assert bob.call('hello', namespace='/private', timeout=10) == 'hello bob'
        bob.disconnect()
    finally:
        app.stop()
