"""The HTTP API, called as another service would, against the streams sample app."""
import json
import time

import pytest
import webtest

from tgext.socketio.http_api import auth
from tgext.socketio.testing import SocketIOTestClient
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
