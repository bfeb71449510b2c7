"""Prometheus metrics, scraped from a real process after real traffic on a real Redis."""
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests import servers
from tests.helpers import client, start_app


@pytest.fixture(scope='module')
def deployment():
    backend = servers.Redis()
    app = start_app(['-m', 'tests.sample_apps.presence_app'], backend=backend.url,
                    env={'HEALTH_INTERVAL': '0.5'})
    yield backend, app
    app.stop()
    backend.stop()


def scrape(app):
    response = requests.get(app.url + '/metrics', timeout=10)
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('text/plain; version=')
    return {sample.name: sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def test_counters_after_traffic(deployment):
    backend, app = deployment
    before = scrape(app)
    clients = [client(app.url, '/chat') for _ in range(3)]
    try:
        for sio, recorder in clients:  # each told of its own join: one diff each
            assert sio.call('subscribe', ('room', '5'), namespace='/chat', timeout=10) == 'room-5'
            recorder.wait_for('presence_diff')
        for number in range(4):
            assert clients[0][0].call('post', ('room-5', 'm%d' % number), namespace='/chat',
                                      timeout=10) is True
        for _, recorder in clients:
            recorder.wait_for('publication', 4)
        time.sleep(1)  # a few health probes
        after = scrape(app)
        assert after['tgext_socketio_connections'] == 3
        # 3 subscribes + 4 posts (presence requests are events too: none here)
        assert after['tgext_socketio_events_in_total'] - before['tgext_socketio_events_in_total'] \
            == 7
        # 4 publications + 3 presence diffs (anonymous: one member per connection)
        assert after['tgext_socketio_events_out_total'] - \
            before['tgext_socketio_events_out_total'] == 4 + 3
        # each publication to 3 clients; diffs: the 1st to 1, the 2nd to 2, the 3rd to 3
        assert after['tgext_socketio_deliveries_total'] - \
            before['tgext_socketio_deliveries_total'] == 4 * 3 + 1 + 2 + 3
        assert after['tgext_socketio_slow_client_drops_total'] == 0
        assert after['tgext_socketio_bus_publish_errors_total'] == 0
        assert after['tgext_socketio_bus_healthy'] == 1
        assert 0 <= after['tgext_socketio_bus_lag_seconds'] < 1
    finally:
        for sio, _ in clients:
            sio.disconnect()


def test_publish_errors_counted_when_the_bus_is_down(deployment):
    backend, app = deployment
    try:
        backend.stop()
        response = requests.get(app.url + '/announce', params={'channel': 'room-6', 'text': 'x'},
                                timeout=30)
        assert response.status_code == 503 and 'cannot publish' in response.json()['error']
        deadline = time.monotonic() + 10
        while True:
            metrics = scrape(app)
            if metrics['tgext_socketio_bus_healthy'] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert metrics['tgext_socketio_bus_publish_errors_total'] >= 1
        assert metrics['tgext_socketio_bus_healthy'] == 0
    finally:
        backend.start()


def test_every_counted_method_is_still_called_in_process():
    """The counters wrap methods of python-socketio's server: if one is renamed or no longer
    called, this fails (memory://, the in-process client)."""
    import webtest
    from tests.sample_apps.presence_app import make_app
    from tgext.socketio.cluster.metrics import samples
    from tgext.socketio.namespaces.runtime import current
    from tgext.socketio.testing import SocketIOTestClient

    app = webtest.TestApp(make_app(**{'socketio.backend': 'memory://'}))
    runtime = current()
    with SocketIOTestClient(app, namespaces=['/chat']) as sio:
        assert sio.call('subscribe', 'room', '2', namespace='/chat') == 'room-2'
        assert sio.call('post', 'room-2', 'hi', namespace='/chat') is True
        sio.wait_for('publication', namespace='/chat')
        sio.wait_for('presence_diff', namespace='/chat')
        counted = samples(runtime)
        assert counted['connections'] == 1
        assert counted['events_in'] == 2
        assert counted['events_out'] == 2           # the presence diff, the publication
        assert counted['deliveries'] == 2
        (server,) = runtime.servers_with('/chat')  # the console has its own
        eio_sid = next(iter(server.eio.sockets))
        server._drop(eio_sid)                       # what a slow client gets (edge/overrides.py)
        assert samples(runtime)['slow_client_drops'] == 1
