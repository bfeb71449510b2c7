"""The HTTP API, called as another service would, against the streams sample app."""
import json
import time

import pytest
import requests
import webtest

from tgext.socketio.http_api import auth
from tgext.socketio.testing import SocketIOTestClient
from tests.helpers import start_app
from tests.sample_apps import streams_app

KEY = {'Authorization': 'Bearer ' + streams_app.API_KEY}


@pytest.fixture
def app():
    return webtest.TestApp(streams_app.make_app(**{'socketio.api_secret': 'shared secret'}))


@pytest.fixture
def subscriber(app):
    client = SocketIOTestClient(app, namespaces=['/news'])
    assert client.call('subscribe', 'room', '1', namespace='/news') == 'room-1'
    yield client
    client.disconnect()


def received(client):
    client.call('unsubscribe', 'nothing', namespace='/news')  # a round trip
    return [event['args'][0] for event in client.get_received('/news')
            if event['name'] == 'publication']


def publish(app, body, headers=KEY, status=200):
    return app.post('/api/publish', body if isinstance(body, bytes) else json.dumps(body),
                    headers=dict(headers, **{'Content-Type': 'application/json'}),
                    status=status).json


def test_publish_returns_the_position_and_reaches_subscribers(app, subscriber):
    answer = publish(app, {'channel': 'room-1', 'namespace': '/news', 'data': {'n': 1}})
    assert answer['position']['offset'] == 1
    assert received(subscriber) == [{'n': 1}]


def test_history_presence_channels_and_disconnect(app, subscriber):
    for n in range(3):
        publish(app, {'channel': 'room-1', 'namespace': '/news', 'data': {'n': n}})
    history = app.get('/api/history', {'channel': 'room-1', 'namespace': '/news', 'limit': 2},
                      headers=KEY).json
    assert [data['n'] for data, _ in history['publications']] == [1, 2]  # the newest two
    since = json.dumps(history['publications'][0][1])
    later = app.get('/api/history', {'channel': 'room-1', 'namespace': '/news',
                                     'since': since}, headers=KEY).json
    assert [data['n'] for data, _ in later['publications']] == [2] and later['recovered']
    channels = app.get('/api/channels', headers=KEY).json
    assert channels['servers'] == 1
    assert {'namespace': '/news', 'channel': 'room-1', 'subscribers': 1} in channels['channels']
    assert 'members' in app.get('/api/presence', {'channel': 'room-1', 'namespace': '/news'},
                                headers=KEY).json
    answer = app.post('/api/disconnect', json.dumps({'user': 'nobody'}), headers=KEY).json
    assert answer['disconnected'] == 0


def test_a_signed_request_is_accepted_and_a_bad_one_refused(app, subscriber):
    body = json.dumps({'channel': 'room-1', 'namespace': '/news', 'data': {'n': 7}}).encode()
    stamp = str(int(time.time()))
    signature = auth.sign('shared secret', stamp, 'POST', '/api/publish', body)
    publish(app, body, {'X-Timestamp': stamp, 'X-Signature': signature})
    for headers in ({'X-Timestamp': stamp, 'X-Signature': '0' * 64},
                    {'X-Timestamp': str(int(time.time()) - 3600),
                     'X-Signature': auth.sign('shared secret', str(int(time.time()) - 3600),
                                              'POST', '/api/publish', body)}):
        assert publish(app, body, headers, status=403)['error']['name'] == 'unauthorized'
    assert received(subscriber) == [{'n': 7}]


@pytest.mark.parametrize('body, headers, status, name', [
    ({'channel': 'room-1', 'data': 1}, {}, 403, 'unauthorized'),
    ({'channel': 'room-1', 'data': 1}, {'Authorization': 'Bearer wrong'}, 403, 'unauthorized'),
    (b'{"channel": "room-1", "data": ', KEY, 400, 'invalid_argument'),
    (b'{"channel": "room-1", "data": NaN}', KEY, 400, 'invalid_argument'),
    ({'channel': 'room-1'}, KEY, 400, 'invalid_argument'),
    ({'channel': ['room-1'], 'data': 1}, KEY, 400, 'invalid_argument'),
    (json.dumps({'channel': 'room-1', 'data': 'x' * 70000}).encode(), KEY, 413,
     'body_too_large'),
], ids=['no-key', 'wrong-key', 'not-json', 'nan', 'no-data', 'bad-channel', 'too-large'])
def test_bad_requests_get_a_clear_error_and_publish_nothing(app, subscriber, body, headers,
                                                            status, name):
    assert publish(app, body, headers, status=status)['error']['name'] == name
    assert received(subscriber) == []


def test_without_a_key_or_secret_the_api_is_off():
    app = webtest.TestApp(streams_app.make_app(**{'socketio.api_keys': ''}))
    answer = app.post('/api/publish', '{}', headers=KEY, status=404).json
    assert answer['error']['name'] == 'api_disabled'


def test_unknown_operations_and_wrong_methods(app):
    assert app.get('/api/nope', headers=KEY, status=404).json['error']['name'] == \
        'no_such_operation'
    assert app.get('/api/publish', headers=KEY, status=405).json['error']['name'] == \
        'method_not_allowed'


def _chunked(body):
    yield body  # requests sends a generator's body chunked: no Content-Length


def test_keys_and_signatures_are_never_logged_and_refusals_publish_nothing():
    """A real server process logging everything (DEBUG, access log): right and wrong keys (in
    both documented headers), right and wrong signatures; none of them, nor the key or
    the secret, appear in its output, and only the accepted publications were made."""
    from tests.http_api import logged_app
    process = start_app(['-m', 'tests.http_api.logged_app'])
    url = process.url + '/api/'
    wrong_key = 'wr0ng-key-an-attacker-tried-0b7e93f1'
    stamp = str(int(time.time()))
    signatures = []

    def publish_with(headers_of, n):
        body = json.dumps({'channel': 'room-77', 'namespace': '/news', 'data': {'n': n}})
        headers = headers_of(body.encode())
        signatures.extend(value for name, value in headers.items() if name == 'X-Signature')
        return requests.post(url + 'publish', data=body, timeout=10,
                             headers=dict(headers, **{'Content-Type': 'application/json'}))

    def signed(secret, when=stamp):
        return lambda body: {'X-Timestamp': when, 'X-Signature': auth.sign(
            secret, when, 'POST', '/api/publish', body)}
    attempts = [
        (lambda body: {'Authorization': 'Bearer ' + logged_app.API_KEY}, 200),
        (lambda body: {'X-API-Key': logged_app.API_KEY}, 200),
        (lambda body: {'Authorization': 'Bearer ' + wrong_key}, 403),
        (lambda body: {'X-API-Key': wrong_key}, 403),
        (signed(logged_app.API_SECRET), 200),
        (signed('not the secret'), 403),
        (signed(logged_app.API_SECRET, str(int(time.time()) - 3600)), 403),  # too old
        (lambda body: {'X-Timestamp': stamp, 'X-Signature': signatures[0].upper()[::-1]}, 403),
    ]
    try:
        accepted = []
        for n, (headers_of, status) in enumerate(attempts):
            answer = publish_with(headers_of, n)
            assert answer.status_code == status, (n, answer.text)
            if status == 200:
                accepted.append(n)
                assert answer.json()['position']['offset'] == len(accepted)
            else:
                assert answer.json()['error']['name'] == 'unauthorized'
                assert wrong_key not in answer.text and logged_app.API_KEY not in answer.text
        by_header = {'X-API-Key': logged_app.API_KEY}
        history = requests.get(url + 'history', params={'channel': 'room-77',
                                                        'namespace': '/news'},
                               headers=by_header, timeout=10)
        assert [data['n'] for data, _ in history.json()['publications']] == accepted == [0, 1, 4]
        unmeasured = requests.post(url + 'publish', data=_chunked(b'{"channel": "room-77"}'),
                                   headers=dict(by_header, **{'Content-Type': 'application/json'}),
                                   timeout=10)
        assert 'Content-Length' not in unmeasured.request.headers
        assert unmeasured.status_code == 411
        assert unmeasured.json()['error']['name'] == 'length_required'
        too_large = requests.post(url + 'publish', data=b'{"data": "%s"}' % (b'x' * 70000),
                                  headers=by_header, timeout=10)
        assert too_large.status_code == 413
        assert too_large.json()['error']['name'] == 'body_too_large'
        assert publish_with(lambda body: by_header, 8).status_code == 200  # still serving
    finally:
        process.stop()
    output = process.output()
    assert 'POST /api/publish' in output and 'DEBUG' in output, output[-2000:]  # it did log
    for secret in [logged_app.API_KEY, logged_app.API_SECRET, wrong_key] + signatures:
        for start in range(len(secret) - 15):  # nor any 16 characters of them
            assert secret[start:start + 16].lower() not in output.lower(), secret
