"""Security defaults: same-origin only unless configured, for polling and WebSocket alike."""
import pytest
import requests
import websocket

from tests.helpers import start_app
from tgext.socketio.edge.origins import refusal_for_origin


@pytest.fixture(scope='module')
def allow_listed():
    process = start_app(['-m', 'tests.sample_apps.everything'], env={'CORS': 'http://good.example'})
    yield process
    process.stop()


def polling_handshake(url, origin):
    return requests.get(url + '/socketio/?EIO=4&transport=polling', headers={'Origin': origin})


def websocket_handshake(url, origin):
    """The Engine.IO open packet, or a false value when no session was opened."""
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


def websocket_refusal(url, origin):
    """The status and body of a refused WebSocket upgrade (it must be refused)."""
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket', origin=origin,
            timeout=5)
    return refused.value.status_code, refused.value.resp_body


def test_a_refused_origin_gets_403_before_the_upgrade(features, allow_listed):
    for server in (features, allow_listed):
        status, body = websocket_refusal(server.url, 'http://evil.example')
        assert status == 403
        assert b'http://evil.example' in body and b'cors_allowed_origins' in body


def environ(origin=None, host='app.example:8080', scheme='http', **extra):
    env = {'wsgi.url_scheme': scheme, 'HTTP_HOST': host, **extra}
    if origin is not None:
        env['HTTP_ORIGIN'] = origin
    return env


@pytest.mark.parametrize('allowed, origin, refused', [
    (None, 'http://app.example:8080', False),  # same origin as the Host
    (None, 'https://app.example:8080', True),  # another scheme is another origin
    (None, 'http://evil.example', True),
    (None, None, False),  # no Origin: not a browser, as python-engineio
    ([], 'http://evil.example', True),
    ('*', 'http://evil.example', False),
    (['http://a.example', '*'], 'http://evil.example', False),
    ('http://good.example', 'http://good.example', False),
    ('http://good.example', 'http://evil.example', True),
    (['http://a.example', 'http://b.example'], 'http://b.example', False),
    (['http://a.example', 'http://b.example'], 'http://c.example', True),
    (lambda origin, environ: origin.endswith('.good.example'), 'http://x.good.example', False),
    (lambda origin: origin.endswith('.good.example'), 'http://evil.example', True),
])
def test_refusal_for_origin_has_the_semantics_of_cors_allowed_origins(allowed, origin,
                                                                         refused):
    refusal = refusal_for_origin(environ(origin), allowed)
    if refused:
        status, reason = refusal
        assert status == '403 Forbidden' and origin in reason
    else:
        assert refusal is None


def test_refusal_for_origin_behind_a_proxy():
    proxied = environ('https://public.example', host='127.0.0.1:8080',
                      HTTP_X_FORWARDED_PROTO='https', HTTP_X_FORWARDED_HOST='public.example')
    assert refusal_for_origin(proxied, None) is None
    assert refusal_for_origin(environ('http://127.0.0.1:8080', host='127.0.0.1:8080',
                                      HTTP_X_FORWARDED_HOST='public.example'), None) is None
    assert refusal_for_origin(environ('https://other.example', host='127.0.0.1:8080',
                                      HTTP_X_FORWARDED_HOST='public.example'), None)
