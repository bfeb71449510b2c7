"""redis://: the bus is a stream; a listener resumes at the entry after the last it read."""
import json
import threading
import time

import redis

from tests import servers
from tgext.socketio.backends.redis import RedisManager


def _listening(url):
    listener = RedisManager(url)
    received = []
    threading.Thread(target=lambda: [received.append(json.loads(message)['n'])
                                     for message in listener._listen()], daemon=True).start()
    return received


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
