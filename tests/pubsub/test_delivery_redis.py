"""redis://: the bus is a stream; a listener resumes at the entry after the last it read."""
import json
import threading
import time

import pytest
import redis

from tests import servers
from tests.helpers import CuttableProxy
from tgext.socketio import PublishError, history, publish
from tgext.socketio.pubsub.backends.redis import RedisManager


def _listening(url):
    listener = RedisManager(url)
    received = []
    threading.Thread(target=lambda: [received.append(_number(json.loads(message)))
                                     for message in listener._listen()], daemon=True).start()
    return received


def _number(message):
    """``n`` of a bare ``{'n': n}``, or the data of a ``publish()``'d emit."""
    return message['n'] if 'n' in message else message['data'][0]


def _wait(received, last, timeout=15):
    deadline = time.monotonic() + timeout
    while received[-1:] != [last] and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # a duplicate would arrive by now


def test_a_listener_whose_connection_is_killed_misses_nothing():
    """Its connection killed 10 times while 300 entries are added: each is read once, in
    order (PUBLISH/SUBSCRIBE lost whatever was published while it resubscribed)."""
    redis_server = servers.Redis()
    try:
        admin = redis.Redis.from_url(redis_server.url)
        writer = RedisManager(redis_server.url, write_only=True)
        received = _listening(redis_server.url)
        kills = 0
        _wait_for_a_reader(admin)  # a listener starts from the entries added after it
        for number in range(300):
            if number % 30 == 15:  # kill the listener's connection, once it has one again
                _wait_for_a_reader(admin)
                for reader in [c['id'] for c in admin.client_list() if c['cmd'] == 'xread']:
                    admin.client_kill_filter(_id=reader)
                    kills += 1
            writer._publish({'n': number})
            time.sleep(0.005)
        _wait(received, 299)
        assert kills >= 10
        assert received == list(range(300))
    finally:
        servers.close(redis_server)


def _script_runs(admin):
    """How many times Redis ran a Lua script (by EVAL or EVALSHA) to completion."""
    stats = admin.info('commandstats')
    return sum(stats.get('cmdstat_' + name, {}).get('calls', 0)
               - stats.get('cmdstat_' + name, {}).get('failed_calls', 0)
               for name in ('eval', 'evalsha'))


def _wait_for_a_reader(admin):
    deadline = time.monotonic() + 15
    while not [c for c in admin.client_list() if c['cmd'] == 'xread']:
        assert time.monotonic() < deadline, 'the listener never read'
        time.sleep(0.02)


def test_the_stream_is_trimmed_to_about_maxlen():
    redis_server = servers.Redis()
    try:
        writer = RedisManager(redis_server.url + '?maxlen=100', write_only=True)
        assert writer.maxlen == 100 and 'maxlen' not in writer.redis_url
        for number in range(1000):
            writer._publish({'n': number})
        length = redis.Redis.from_url(redis_server.url).xlen('tgext.socketio')
        assert 100 <= length <= 200, length  # MAXLEN ~ trims whole nodes of 100 entries
    finally:
        servers.close(redis_server)


@pytest.mark.parametrize('lost', ['history script', 'bus entry'])
def test_a_publish_whose_answer_redis_lost_is_delivered_once_at_one_position(lost):
    """Redis carries out a write of ``publish()`` and dies before answering, then comes
    back 1 s later: the publish returns (it was not refused), its publication is
    delivered once and kept once, at the next offset. Raising instead would be a lie:
    Redis, restarted from its append-only file, delivers what it wrote."""
    redis_server = servers.Redis()
    proxy = CuttableProxy(redis_server.port)
    try:
        admin = redis.Redis.from_url(redis_server.url)
        received = _listening(redis_server.url)
        _wait_for_a_reader(admin)
        through_proxy = 'redis://127.0.0.1:%d/0' % proxy.port
        publish('room-1', 0, backend=through_proxy)  # both connections are open now
        proxy.cut_at_answer(1 if lost == 'history script' else 2)
        threading.Timer(1, proxy.plug).start()
        assert publish('room-1', 1, backend=through_proxy)['offset'] == 2
        _wait(received, 1)
        assert received == [0, 1]
        assert [offset['offset'] for _, offset in history('room-1', backend=redis_server.url)
                ] == [1, 2]
        sent_twice = (_script_runs(admin) == 3,
                      admin.xlen('tgext.socketio') == 3)  # the proof that the answer was lost
        assert sent_twice == ((True, False) if lost == 'history script' else (False, True))
        proxy.cut()  # Redis unreachable: refused at once, and not delivered
        with pytest.raises(PublishError):
            publish('room-1', 2, backend=through_proxy)
        time.sleep(0.5)
        assert received == [0, 1]
    finally:
        proxy.close()
        servers.close(redis_server)
