"""Security defaults: same-origin only unless configured, for polling and WebSocket alike."""
import pytest
import requests
import websocket

from tests.helpers import start_app


@pytest.fixture(scope='module')
def allow_listed():
    process = start_app(['-m', 'tests.apps.features'], env={'CORS': 'http://good.example'})
    yield process
    process.stop()


def polling_handshake(url, origin):
    return requests.get(url + '/socketio/?EIO=4&transport=polling', headers={'Origin': origin})


def websocket_handshake(url, origin):
    """The Engine.IO open packet, or a false value when no session was opened.

    gevent-websocket answers the upgrade before the app runs; a refused origin
    then gets no Engine.IO session and a closed socket.
    """
    try:
        ws = websocket.create_connection(
            url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket', origin=origin,
            timeout=5)
    except (websocket.WebSocketException, OSError):
        return None
    try:
        return ws.recv()
    except (websocket.WebSocketException, OSError):
        return None
    finally:
        ws.close()


def test_same_origin_is_the_default(features):
    assert polling_handshake(features.url, features.url).status_code == 200
    refused = polling_handshake(features.url, 'http://evil.example')
    assert refused.status_code == 400 and 'Access-Control-Allow-Origin' not in refused.headers
    assert websocket_handshake(features.url, features.url).startswith('0{')
    assert not websocket_handshake(features.url, 'http://evil.example')


def test_allowed_origins_are_configurable(allow_listed):
    allowed = polling_handshake(allow_listed.url, 'http://good.example')
    assert allowed.status_code == 200
    assert allowed.headers['Access-Control-Allow-Origin'] == 'http://good.example'
    assert polling_handshake(allow_listed.url, 'http://evil.example').status_code == 400
    assert websocket_handshake(allow_listed.url, 'http://good.example').startswith('0{')
    assert not websocket_handshake(allow_listed.url, 'http://evil.example')
