"""Replies to a single client never depend on the bus.

python-socketio routes every emit, even to one sid, through the pub/sub
manager: with Redis down a handler's ``self.emit`` raised PublishError, the
error event was lost and, raised from the error-event emit, so was the
acknowledgement. A client connected to this process now gets them directly.
"""
import time

from tests import servers
from tests.helpers import client, start_app


def test_acks_error_events_and_self_emit_reach_the_client_while_redis_is_down():
    redis_server = servers.Redis()
    app = start_app(['-m', 'tests.sample_apps.everything'], backend=redis_server.url)
    sio = None
    try:
        sio, seen = client(app.url, '/features')
        assert sio.call('echo', 'up', namespace='/features') == 'up'
        redis_server.kill()
        for attempt in range(3):
            ack = sio.call('nosuch', namespace='/features', timeout=10)
            assert set(ack) == {'error'}, ack
            [(event,)] = seen.wait_for('error', count=attempt + 1)[-1:]
            assert event == ack['error']
        failure = sio.call('boom', namespace='/features', timeout=10)
        assert failure['error']['name'] == 'internal_error'
        sio.emit('ticks', 5, namespace='/features')
        assert seen.wait_for('tick', count=5) == [(n,) for n in range(5)]
        assert sio.call('echo', 'still', namespace='/features', timeout=10) == 'still'
        assert app.alive()
        time.sleep(0.3)
        assert 'PublishError' not in app.output()
    finally:
        if sio is not None:
            sio.disconnect()
        app.stop()
        servers.close(redis_server)
