"""A backend that takes a publish and dies before answering, then comes back within the
publisher's patience: the publish returns and its message is delivered once.

The publisher reaches the real server through a proxy that cuts every connection when the
server's answer arrives, before it passes, and lets nobody through for 3 s: the server did
the write, the publisher cannot know it. Raising there would be a lie (the server has the
message and delivers it). A publish made while nothing gets through still raises.
(The Redis history script's half of it is in test_delivery_redis.)
"""
import json
import threading
import time

import pytest

from tests import servers
from tests.helpers import CuttableProxy
from tgext.socketio import PublishError
from tgext.socketio.pubsub.backends.amqp import AmqpManager
from tgext.socketio.pubsub.backends.mongo import MongoManager
from tgext.socketio.pubsub.backends.redis import RedisManager

KINDS = {
    'redis': (servers.Redis, RedisManager, 'redis://127.0.0.1:%d/0'),
    # through the proxy only (not the address the server gives), and no server monitoring
    # during the test: its answers would be the ones cut
    'mongodb': (servers.Mongo, MongoManager,
                'mongodb://127.0.0.1:%d/tgext_socketio_tests?directConnection=true'
                '&heartbeatFrequencyMS=60000&serverMonitoringMode=poll'),
    'amqp': (servers.RabbitMQ, AmqpManager, 'amqp://guest:guest@127.0.0.1:%d//'),
}


def _listening(manager):
    received = []

    def listen():
        for message in manager._listen():
            received.append((json.loads(message) if isinstance(message, (str, bytes))
                             else message)['n'])
    threading.Thread(target=listen, daemon=True).start()
    return received


@pytest.mark.parametrize('kind', sorted(KINDS))
def test_a_publish_whose_answer_was_lost_returns_and_is_delivered_once(kind):
    server_class, manager_class, proxied_url = KINDS[kind]
    server = server_class()
    if getattr(server, 'external', None):
        servers.close(server)
        pytest.skip('the server at MONGO_URL is not behind our proxy')
    proxy = CuttableProxy(server.port)
    try:
        received = _listening(manager_class(server.url))
        writer = manager_class(proxied_url % proxy.port, write_only=True)
        writer.unanswered_patience = 6  # seconds (10 by default): enough for a 3 s outage
        deadline = time.monotonic() + 30
        while not received:  # the listener reads, and the writer's connection is open
            assert time.monotonic() < deadline, 'the listener never read a probe'
            writer._publish({'n': -1})
            time.sleep(0.2)
        proxy.cut_at_answer(1)
        threading.Timer(3, proxy.plug).start()  # longer than the clients' own retries
        started = time.monotonic()
        writer._publish({'n': 1})
        assert time.monotonic() - started >= 2.9  # it waited for the server to come back
        deadline = time.monotonic() + 10
        while 1 not in received and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a duplicate would arrive by now
        assert [n for n in received if n >= 0] == [1]
        proxy.cut()  # nothing gets through: it raises, and is never delivered
        writer.unanswered_patience = 1
        with pytest.raises(PublishError):
            writer._publish({'n': 2})
        proxy.plug()
        time.sleep(1)
        assert [n for n in received if n >= 0] == [1]
    finally:
        proxy.close()
        servers.close(server)
