"""Positions, history and recovery with official clients, two processes and real stores.

A client that was away resubscribes on the other process with its last position
(the wire contract the README documents) and gets what it missed, in order, once.
"""
import time

import pytest
import requests

from tests import servers
from tests.helpers import CuttableProxy, client, start_app

STORES = {'memory': None, 'redis': servers.Redis, 'mongodb': servers.Mongo}


@pytest.fixture(scope='module', params=sorted(STORES))
def pair(request):
    backend = STORES[request.param]() if STORES[request.param] else None
    url = backend.url if backend else 'memory://'
    if getattr(backend, 'external', None):  # a MongoDB at MONGO_URL: earlier runs' history
        lose_data(backend)
    a = start_app(['-m', 'tests.sample_apps.everything'], backend=url)
    b = a if backend is None else start_app(['-m', 'tests.sample_apps.everything'], backend=url)
    yield a, b, backend
    a.stop()
    if b is not a:
        b.stop()
    if backend is not None:
        servers.close(backend)


def lose_data(backend):
    """What a restart without persistence does: Redis FLUSHALL, or drop the MongoDB database."""
    if backend.url.startswith('mongodb'):
        import pymongo
        with pymongo.MongoClient(backend.url) as mongo:
            mongo.drop_database(mongo.get_default_database(default='tgext_socketio').name)
    else:
        import redis
        redis.Redis.from_url(backend.url).flushall()


def publish(process, channel, first, count):
    for number in range(first, first + count):
        response = requests.get(process.url + '/publish',
                                params={'channel': channel, 'message': str(number)}, timeout=10)
        assert response.ok, response.text


def recover(process, since, room):
    sio, seen = client(process.url, '/rooms')
    return sio, seen, sio.call('recover', (since, 'room', room), namespace='/rooms', timeout=10)


def messages(publications):
    return [data['message'] for data, *_ in publications]


def test_a_client_away_for_10_s_recovers_everything_on_the_other_process(pair):
    a, b, _ = pair
    proxy = CuttableProxy(a.port)
    try:
        away, seen = client(proxy.url, '/rooms')
        answer = away.call('recover', ({'time': time.time()}, 'room', '41'), namespace='/rooms')
        assert answer['recovered'] is True and answer['channel'] == 'room-41'
        publish(b, 'room-41', 0, 3)
        live = seen.wait_for('publication', 3)
        assert messages(live) == ['0', '1', '2']
        last = live[-1][2]
        proxy.cut()  # the network dies under the client
        started = time.monotonic()
        publish(a, 'room-41', 3, 100)
        time.sleep(max(0.0, 10 - (time.monotonic() - started)))
    finally:
        proxy.close()
    back, back_seen, answer = recover(b, last, '41')
    try:
        assert answer['recovered'] is True
        assert messages(answer['publications']) == [str(number) for number in range(3, 103)]
        offsets = [position['offset'] for _, position in answer['publications']]
        assert offsets == list(range(last['offset'] + 1, last['offset'] + 101))
        assert answer['position'] == answer['publications'][-1][1]
        publish(a, 'room-41', 103, 1)  # live again, right after
        [(data, channel, position)] = back_seen.wait_for('publication')
        assert (data['message'], position['offset']) == ('103', last['offset'] + 101)
    finally:
        back.disconnect()


def test_beyond_the_history_size_recovery_says_it_is_incomplete(pair):
    a, b, _ = pair
    sio, seen, answer = recover(a, {'time': time.time()}, '42')
    sio.disconnect()
    top = answer['position']
    publish(b, 'room-42', 0, 130)  # the history keeps 100 per channel
    back, _, answer = recover(a, top, '42')
    back.disconnect()
    assert answer['recovered'] is False
    assert messages(answer['publications']) == [str(number) for number in range(30, 130)]


def test_history_is_read_by_subscribers_only(pair):
    a, b, _ = pair
    publish(a, 'room-43', 0, 5)
    sio, seen = client(b.url, '/rooms')
    try:
        refused = sio.call('history', ('room-43', {'limit': 2}), namespace='/rooms')
        assert refused['error']['name'] == 'method_access_denied'
        assert sio.call('subscribe', ('room', '43'), namespace='/rooms') == 'room-43'
        answer = sio.call('history', ('room-43', {'limit': 2}), namespace='/rooms')
        assert messages(answer['publications']) == ['0', '1']
    finally:
        sio.disconnect()


def test_a_store_that_lost_its_data_starts_a_new_epoch(pair):
    """Redis flushed or the MongoDB database dropped (a restart without persistence), or a
    new process for memory://."""
    a, b, backend = pair
    sio, _, answer = recover(a, {'time': time.time()}, '44')
    sio.disconnect()
    publish(a, 'room-44', 0, 2)
    if backend is not None:
        lose_data(backend)
        other = b
    else:
        other = start_app(['-m', 'tests.sample_apps.everything'])
    try:
        publish(other, 'room-44', 2, 1)
        back, _, recovered = recover(other, {'epoch': answer['position']['epoch'],
                                             'offset': 2}, '44')
        back.disconnect()
    finally:
        if other is not b:
            other.stop()
    assert recovered['recovered'] is False
    assert recovered['position']['epoch'] != answer['position']['epoch']
