"""State is freed: the memory attacks of issue #18, replayed against a real server.

Odd-path handshakes are refused and leave nothing; channels used once and channels
whose history expired are forgotten by the memory store's sweep (every
``EXPIRE_EVERY`` seconds), their buffers, counters and publish locks with them.
At the issue's numbers (6,000 handshakes, 20,000 channels, 400 x 500 kB); each first
shows that the state was there.
"""
import time

import pytest
import requests

from tests.helpers import PYTHON, Process, free_port
from tgext.socketio.pubsub.stores.memory import EXPIRE_EVERY, MemoryHistory
from tgext.socketio.pubsub.stores.redis import RedisHistory

MB = 1024 * 1024
SERVE = '''
from gevent import monkey; monkey.patch_all()
import sys
from tg import expose
from tests.sample_apps import everything
from tgext.socketio import publish
from tgext.socketio.serving import serve


@expose('json')
def spread(self, count, size):
    """One publication of ``size`` bytes to each of ``count`` new channels."""
    for number in range(int(count)):
        publish('oneoff-%d' % number, {'data': '%08d' % number + 'x' * int(size)},
                namespace='/rooms')
    return {'published': int(count)}


everything.RootController.spread = spread
serve(everything.make_app(**{'socketio.history': sys.argv[2]}), '127.0.0.1', int(sys.argv[1]))
'''


@pytest.fixture
def server():
    port = free_port()
    process = Process([PYTHON, '-c', SERVE, str(port), '*:100:1'], port=port)
    yield process
    process.stop()


def rss(server):
    return requests.get(server.url + '/stats', timeout=30).json()['rss_kb'] * 1024


def settled_rss(server, below, seconds):
    """The server's RSS once it is under ``below``, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        now = rss(server)
        if now < below or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


def test_odd_path_handshakes_get_404_and_leave_nothing(server):
    http = requests.Session()
    odd = server.url + '/socketio/index/%s?EIO=4&transport=polling'
    assert http.get(odd % 'warm', timeout=10).status_code == 404
    before = rss(server)
    for number in range(6000):
        assert http.get(odd % ('%04d' % number + 'x' * 7000), timeout=10).status_code == 404
    assert rss(server) - before < 5 * MB
    assert http.get(server.url + '/socketio/?EIO=4&transport=polling',
                    timeout=10).text.startswith('0{')


@pytest.mark.parametrize('channels, size', [(20000, 100), (400, 500000)],
                         ids=['one-off channels', 'expired histories'])
def test_channels_nobody_uses_are_forgotten_after_their_window(server, channels, size):
    requests.get(server.url + '/spread', params={'count': 10, 'size': size}, timeout=60)
    time.sleep(EXPIRE_EVERY + 1.5)
    before = rss(server)
    requests.get(server.url + '/spread', params={'count': channels, 'size': size}, timeout=120)
    assert rss(server) - before > 8 * MB  # what the sweep must free
    after = settled_rss(server, before + 5 * MB, EXPIRE_EVERY * 2 + 5)
    assert after - before < 5 * MB, 'still %d bytes more' % (after - before)


def test_a_forgotten_channel_starts_over_in_a_new_epoch():
    store = MemoryHistory()
    first = store.append('room', 'hello', 100, 1)
    assert store.expire(now=time.time() + 0.5) is False      # in its window: kept
    assert store.expire(now=time.time() + 2) is True          # forgotten
    assert store.since('room', after=first) == ([], False)    # what followed may be gone
    assert store.since('room', after={'epoch': first['epoch'], 'offset': 0}) == ([], True)
    again = store.append('room', 'again', 100, 1)
    assert again['epoch'] != first['epoch'] and again['offset'] == 1
    assert store.since('room', after=first, size=100, seconds=1) == ([], False)
    assert store.since('room', after={'epoch': first['epoch'], 'offset': 0}, size=100,
                       seconds=1) == ([('again', again)], True)


def test_redis_history_keys_expire_by_themselves(redis):
    store = RedisHistory(redis.url, 'expiry-test')
    store.append('room', 'hello', 100, 1)
    stream, counter = store._keys('room')
    assert 0 < store.client.pttl(stream) <= 1000
    assert 86400000 < store.client.pttl(counter) <= 86401000  # offsets outlive the history
