"""Namespaces as a client sees them, over both transports, with the official client."""
import threading

import pytest
import requests
import socketio

from tests.helpers import login
TRANSPORTS = {'websocket': ('websocket',), 'polling': ('polling',)}


@pytest.fixture(params=sorted(TRANSPORTS))
def transports(request):
    return TRANSPORTS[request.param]


def test_handler_return_value_is_the_acknowledgement(features, transports, connect):
    sio, _ = connect(features.url, '/features', transports)
    assert sio.call('echo', ('a', 1), namespace='/features') == ('a', 1)
    assert sio.transport() == transports[0]


def test_session_is_private_to_each_connection(features, connect):
    first, _ = connect(features.url, '/features')
    second, _ = connect(features.url, '/features')
    first.call('remember', 'one', namespace='/features')
    second.call('remember', 'two', namespace='/features')
    assert first.call('recall', namespace='/features') == 'one'
    assert second.call('recall', namespace='/features') == 'two'


def test_rooms_and_broadcast(features, connect):
    alice, alice_saw = connect(features.url, '/features')
    bob, bob_saw = connect(features.url, '/features', ('polling',))
    carol, carol_saw = connect(features.url, '/features')
    alice.call('join', 'r1', namespace='/features')
    bob.call('join', 'r1', namespace='/features')
    alice.call('say', ('r1', 'hello room'), namespace='/features')
    assert bob_saw.wait_for('said') == [('hello room',)]
    carol.call('shout', 'hi all', namespace='/features')
    for recorder in (alice_saw, bob_saw, carol_saw):
        assert recorder.wait_for('shouted') == [('hi all',)]
    assert alice_saw.of('said') == [] and carol_saw.of('said') == []
    bob.call('leave', 'r1', namespace='/features')
    alice.call('say', ('r1', 'anyone?'), namespace='/features')
    alice.call('echo', namespace='/features')  # a round trip after the say
    bob.call('echo', namespace='/features')
    assert bob_saw.of('said') == [('hello room',)]


def test_spawned_greenlets_run_and_die_with_the_connection(features, connect):
    sio, seen = connect(features.url, '/features')
    sio.emit('ticks', 1000, namespace='/features')
    seen.wait_for('tick', 3)
    sio.disconnect()
    watcher, _ = connect(features.url, '/features')  # healthy after the ticker died
    assert watcher.call('echo', 'ok', namespace='/features') == 'ok'


def test_server_side_disconnect(features, connect):
    sio, _ = connect(features.url, '/features')
    gone = threading.Event()
    sio.on('disconnect', lambda *args: gone.set(), namespace='/features')
    sio.emit('bye', namespace='/features')
    assert gone.wait(10)
    sio.disconnect()


def test_concurrent_clients_each_get_their_own_request(features):
    """50 clients whose handlers sleep in between still see their own tg.request."""
    results, errors = {}, []

    def one(number):
        try:
            headers = login(features.url, 'alice', 'wonderland') if number % 2 else {}
            sio = socketio.Client(reconnection=False)
            sio.connect(features.url + '/?marker=%d' % number, namespaces=['/features'],
                        socketio_path='socketio', transports=['websocket'], headers=headers)
            results[number] = [sio.call('whoami', namespace='/features') for _ in range(3)]
            sio.disconnect()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 50
    for number, answers in results.items():
        user = 'alice' if number % 2 else None
        for answer in answers:
            assert answer == {'session': user, 'tg_request': user, 'marker': str(number)}


def test_other_pages_of_the_controller_stay_pages(features):
    response = requests.get(features.url + '/socketio/about')
    assert response.text == 'an ordinary page beside the endpoint'
    assert requests.get(features.url + '/socketio/').status_code == 400
