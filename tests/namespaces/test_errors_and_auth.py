"""@require, @validate and bad input, as error events a client receives."""
import json

import pytest
import requests
import websocket

from tests.helpers import connect_refusals, login


def error_of(recorder):
    [(payload,)] = recorder.wait_for('error')
    return payload


def test_require_denies_anonymous_and_the_handler_does_not_run(features, connect):
    sio, seen = connect(features.url, '/features')
    answer = sio.call('secret', namespace='/features')
    assert answer['error']['name'] == 'method_access_denied'
    assert error_of(seen) == {'name': 'method_access_denied', 'message': 'log in first'}


def test_require_allows_a_logged_in_user(features, connect):
    sio, seen = connect(features.url, '/features', headers=login(features.url, 'bob', 'builder'))
    assert sio.call('secret', namespace='/features') == 'the secret'
    denied = sio.call('admin', namespace='/features')
    assert denied['error'] == {'name': 'method_access_denied', 'message': 'admins only'}
    admin, _ = connect(features.url, '/features',
                       headers=login(features.url, 'alice', 'wonderland'))
    assert admin.call('admin', namespace='/features') == 'admin area'


def test_namespace_predicate_refuses_the_connection(features, connect):
    assert connect_refusals(features.url, '/private') == [
        {'message': 'private namespace: log in first'}]
    allowed, _ = connect(features.url, '/private', headers=login(features.url, 'bob', 'builder'))
    assert allowed.call('hello', namespace='/private') == 'hello bob'


def test_validate_converts_and_reports_field_errors(features, connect):
    sio, seen = connect(features.url, '/features')
    assert sio.call('double', '21', namespace='/features') == 42
    answer = sio.call('double', '0', namespace='/features')
    assert answer['error']['name'] == 'invalid_method_args'
    assert set(answer['error']['errors']) == {'number'}
    assert '1 or greater' in answer['error']['errors']['number']
    assert error_of(seen)['name'] == 'invalid_method_args'


def test_wrong_number_of_arguments_is_invalid(features, connect):
    sio, _ = connect(features.url, '/features')
    answer = sio.call('remember', namespace='/features')
    assert answer['error']['name'] == 'invalid_method_args'


@pytest.mark.parametrize('event', ['no_such_thing', 'connect', 'disconnect'])
def test_unknown_or_reserved_event_is_no_such_method(features, event, connect):
    sio, seen = connect(features.url, '/features')
    sio.emit(event, namespace='/features')
    payload = error_of(seen)
    assert payload['name'] == 'no_such_method' and payload['event'] == event
    assert sio.call('echo', 'still here', namespace='/features') == 'still here'


def test_handler_exception_is_an_internal_error_and_harms_nobody(features, connect):
    bystander, bystander_saw = connect(features.url, '/features')
    sio, seen = connect(features.url, '/features')
    sio.emit('boom', namespace='/features')
    assert error_of(seen) == {'name': 'internal_error', 'message': 'Internal server error'}
    assert sio.call('echo', 'alive', namespace='/features') == 'alive'
    assert bystander.call('echo', 'fine', namespace='/features') == 'fine'
    assert bystander_saw.of('error') == []
    assert 'ValueError: kaboom' in features.output()  # logged with its traceback


def test_handler_can_raise_its_own_error(features, connect):
    sio, seen = connect(features.url, '/features')
    sio.emit('refuse', namespace='/features')
    assert error_of(seen) == {'name': 'custom_refusal', 'message': 'not today',
                              'hint': 'tomorrow'}


def test_unknown_namespace_is_a_connect_error(features):
    assert connect_refusals(features.url, '/nowhere') == ['Unable to connect']


def raw_websocket(url):
    ws = websocket.create_connection(
        url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket', timeout=5)
    assert ws.recv().startswith('0{')  # Engine.IO open
    return ws


@pytest.mark.parametrize('frame', [
    '4garbage', '42/features,["unterminated', '42/features,{"not": "a list"}', '42/features,[]',
    '42/features,[42]', '451-/features,["x",{"_placeholder":true,"num":9}]', '9', '',
    '4' + 'x' * 2000000,
])
def test_malformed_packets_leave_the_server_and_others_unharmed(features, frame, connect):
    bystander, _ = connect(features.url, '/features')
    ws = raw_websocket(features.url)
    try:
        ws.send('40/features,')
        assert ws.recv().startswith('40/features,')
        ws.settimeout(0.5)
        try:
            ws.send(frame)
            ws.recv()  # an error event, a close, or nothing at all
        except (websocket.WebSocketException, OSError):
            pass  # the server may drop a client that speaks nonsense
        assert bystander.call('echo', 'ok', namespace='/features') == 'ok'
    finally:
        ws.close()
    assert requests.get(features.url + '/').text == 'features app'


def test_oversized_polling_post_is_refused(features):
    handshake = requests.get(features.url + '/socketio/?EIO=4&transport=polling').text
    sid = json.loads(handshake[1:])['sid']
    response = requests.post(features.url + '/socketio/?EIO=4&transport=polling&sid=' + sid,
                             data='4' + 'x' * 2000000)
    assert response.status_code == 413
    assert requests.get(features.url + '/').text == 'features app'
