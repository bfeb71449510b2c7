"""MongoHistory against a SecantusDB server (or the MongoDB at MONGO_URL): positions,
trimming, recovery answers and epochs, as the memory and Redis stores give them."""
import subprocess
import time
import uuid
from datetime import timezone

import pymongo
import pytest

from tests import servers
from tests.helpers import PYTHON, ROOT
from tgext.socketio import history
from tgext.socketio.pubsub.backends import PublishError
from tgext.socketio.pubsub.stores import store_for
from tgext.socketio.pubsub.stores.mongo import MongoHistory
from tgext.socketio.pubsub.stores.sweeping import EXPIRE_EVERY


@pytest.fixture(scope='module')
def mongo():
    server = servers.Mongo(durable=False)
    yield server
    servers.close(server)


@pytest.fixture
def store(mongo):
    store = store_for(mongo.url, 'test-%s' % uuid.uuid4().hex[:8])
    yield store
    store.entries.drop()
    store.meta.drop()


def test_store_for_mongodb_urls(store):
    assert isinstance(store, MongoHistory)
    assert store.entries.name.endswith('.history')


def test_offsets_grow_per_channel_in_one_epoch(store):
    assert store.top('a') == {'epoch': None, 'offset': 0}
    positions = [store.append('a', {'n': n}, 10, 60) for n in range(3)]
    assert [p['offset'] for p in positions] == [1, 2, 3]
    assert len({p['epoch'] for p in positions}) == 1
    assert store.append('b', 'x', 10, 60)['offset'] == 1
    assert store.top('a') == positions[-1]
    assert store.entries.index_information().get('c_1_o_1')


def test_since_a_position_and_a_time(store):
    start = time.time() - 1
    positions = [store.append('a', n, 10, 60) for n in range(5)]
    assert store.since('a', after=positions[1], size=10, seconds=60) == (
        [(n, positions[n]) for n in range(2, 5)], True)
    assert store.since('a', after=positions[1], size=10, seconds=60, limit=2)[0] == [
        (2, positions[2]), (3, positions[3])]
    assert store.since('a', after=positions[-1], size=10, seconds=60) == ([], True)
    assert store.since('a', after_time=start, size=10, seconds=60) == (
        [(n, positions[n]) for n in range(5)], True)
    assert store.since('a', after={'epoch': None, 'offset': 0}, size=10, seconds=60)[1] is True
    assert store.since('new', after={'epoch': None, 'offset': 0}, size=10, seconds=60) == (
        [], True)
    assert store.since('new', after_time=start, size=10, seconds=60) == ([], True)


def test_beyond_the_size_recovery_is_incomplete(store):
    first = store.append('a', 0, 3, 60)
    positions = [store.append('a', n, 3, 60) for n in range(1, 6)]
    assert store.entries.count_documents({'c': 'a'}) == 3
    data, recovered = store.since('a', after=first, size=3, seconds=60)
    assert (data, recovered) == ([(n, positions[n - 1]) for n in range(3, 6)], False)
    assert store.since('a', after_time=0.0, size=3, seconds=60)[1] is False
    assert store.since('a', after=positions[1], size=3, seconds=60)[1] is True


def test_older_than_the_age_is_gone(store):
    first = store.append('a', 0, 10, 1.0)
    time.sleep(1.2)
    second = store.append('a', 1, 10, 1.0)
    assert store.entries.count_documents({'c': 'a'}) == 1
    assert store.since('a', after=first, size=10, seconds=1.0) == ([(1, second)], True)
    assert store.since('a', after={'epoch': first['epoch'], 'offset': 0}, size=10,
                       seconds=1.0) == ([(1, second)], False)
    time.sleep(1.2)  # nothing kept any more: a client away longer than the age missed some
    assert store.since('a', after=first, size=10, seconds=1.0) == ([], False)
    assert store.since('a', after_time=time.time() - 5, size=10, seconds=1.0) == ([], False)


def test_size_zero_keeps_nothing_but_gives_positions(store):
    assert store.append('a', 0, 0, 60)['offset'] == 1
    assert store.append('a', 1, 0, 60)['offset'] == 2
    assert store.entries.count_documents({}) == 0


def test_lost_counter_starts_a_new_epoch(store):
    old = [store.append('a', n, 10, 60) for n in range(3)]
    store.meta.drop()  # the counters are gone (a dropped database, a server without data)
    assert store.since('a', after=old[-1], size=10, seconds=60) == ([], False)
    new = store.append('a', 'again', 10, 60)
    assert new['offset'] == 1 and new['epoch'] != old[0]['epoch']
    assert store.since('a', after=old[1], size=10, seconds=60) == ([], False)
    assert store.since('a', after_time=0.0, size=10, seconds=60) == ([('again', new)], True)
    assert store.entries.count_documents({'c': 'a'}) == 1  # the old epoch's are deleted


def test_a_hole_of_a_failed_insert_means_not_recovered(store):
    positions = [store.append('a', n, 10, 60) for n in range(4)]
    store.entries.delete_one({'c': 'a', 'o': 3})
    assert store.since('a', after=positions[1], size=10, seconds=60) == ([(3, positions[3])],
                                                                         False)


def test_json_like_redis(store):
    store.append('a', {'$x': [1, 2], 'big': 2 ** 70}, 10, 60)
    [(data, _)], _ = store.since('a', after_time=0.0, size=10, seconds=60)
    assert data == {'$x': [1, 2], 'big': 2 ** 70}


def test_a_mongodb_that_is_down_raises_publish_error():
    store = MongoHistory('mongodb://127.0.0.1:1/db?serverSelectionTimeoutMS=300', 'x')
    with pytest.raises(PublishError):
        store.append('a', 1, 10, 60)
    with pytest.raises(TypeError):
        store.append('a', object(), 10, 60)


def test_concurrent_publishers_get_distinct_ordered_offsets(store, mongo):
    """Even creating the channel's counter together (SecantusDB answered None to one
    of two concurrent upserts: see MongoHistory._next)."""
    import threading
    other = MongoHistory(mongo.url, store.entries.name[:-len('.history')])
    got = []

    def publish(history, base):
        for n in range(20):
            got.append(history.append('a', base + n, 100, 60)['offset'])

    threads = [threading.Thread(target=publish, args=(history, base))
               for history, base in ((store, 0), (other, 100))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(1, 41))
    publications, recovered = store.since('a', after={'epoch': None, 'offset': 0}, size=100,
                                          seconds=60)
    assert recovered is True
    assert [p['offset'] for _, p in publications] == list(range(1, 41))
    assert sorted(data for data, _ in publications) == list(range(20)) + list(range(100, 120))


def test_a_hole_of_an_insert_in_flight_is_waited_for(store):
    import threading
    positions = [store.append('a', n, 10, 60) for n in range(4)]
    late = store.entries.find_one_and_delete({'c': 'a', 'o': 3}, {'_id': 0})
    threading.Timer(0.03, store.entries.insert_one, [late]).start()
    assert store.since('a', after=positions[1], size=10, seconds=60) == (
        [(2, positions[2]), (3, positions[3])], True)


def test_since_a_time_between_publications(store):
    positions = [store.append('a', n, 10, 60) for n in range(4)]
    second = store.entries.find_one({'c': 'a', 'o': 2})['t']
    assert store.since('a', after_time=second, size=10, seconds=60) == (
        [(2, positions[2]), (3, positions[3])], True)
    assert store.since('a', after_time=second, size=10, seconds=60, limit=1)[0] == [
        (2, positions[2])]


SERVING_PUBLISHER = """
from gevent import monkey; monkey.patch_all()
import sys, gevent
from tgext.socketio.pubsub.stores.mongo import MongoHistory
store = MongoHistory(sys.argv[1], sys.argv[2])
store.append('short', 'gone', 10, 2)
store.append('long', 'kept', 10, 60)
print('published', flush=True)
gevent.sleep(60)
"""


def test_expired_history_goes_without_a_new_publication(mongo):
    """A serving (monkey-patched) process publishes on a channel kept 2 s, and never again:
    its sweep deletes the entry once that old, and a channel kept longer keeps its own."""
    bus_channel = 'expiry-%s' % uuid.uuid4().hex[:8]
    publisher = subprocess.Popen([PYTHON, '-c', SERVING_PUBLISHER, mongo.url, bus_channel],
                                 stdout=subprocess.PIPE, cwd=ROOT)
    database = pymongo.MongoClient(mongo.url).get_default_database(default='tgext_socketio')
    entries, counters = database[bus_channel + '.history'], database[bus_channel + '.history.meta']
    try:
        assert publisher.stdout.readline() == b'published\n'
        published = time.time()
        assert entries.count_documents({'c': 'short'}) == 1
        while entries.count_documents({'c': 'short'}) and (
                time.time() < published + 2 + EXPIRE_EVERY + 1):
            time.sleep(0.1)
        assert entries.count_documents({'c': 'short'}) == 0
        assert time.time() - published > 1.8  # not before its age
        assert history('short', backend=mongo.url, bus_channel=bus_channel) == []  # reads 300 s
        assert [data for data, _ in history('long', backend=mongo.url,
                                             bus_channel=bus_channel)] == ['kept']
        assert counters.find_one({'_id': 'short'})['o'] == 1  # counters outlive it by a day
    finally:
        publisher.kill()
        publisher.wait()
        entries.drop()
        counters.drop()


def test_where_no_server_sweeps_mongodbs_ttl_monitor_expires_it(store, mongo):
    """This process is not monkey-patched, so its store does not sweep: the TTL indexes on
    the expiry dates are what deletes (SecantusDB's TTL pass is driven at once here)."""
    now = time.time()
    store.append('short', 'gone', 10, 1)
    store.append('long', 'kept', 10, 60)
    for collection in (store.entries, store.meta):
        assert collection.index_information()['x_1']['expireAfterSeconds'] == 0
    counter = store.meta.find_one({'_id': 'short'})['x'].replace(tzinfo=timezone.utc)
    assert -0.01 < counter.timestamp() - (now + 1 + 86400) < 2  # a day past the channel's age (ms)
    time.sleep(1.1)
    deadline = time.time() + (65 if mongo.external else 5)  # mongod's TTL monitor: 1/min
    while store.entries.count_documents({'c': 'short'}) and time.time() < deadline:
        if not mongo.external:
            store.client.admin.command('secantusAdmin.pruneTtl')
        time.sleep(0.2)
    assert [entry['c'] for entry in store.entries.find()] == ['long']
