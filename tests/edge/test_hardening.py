"""The server under bad input, slow clients and churn: bounded loops, real processes."""
import random
import socket
import threading
import time

import pytest
import requests
import websocket

from tests.helpers import client, raw_websocket, start_app, stats


@pytest.fixture
def server():
    """A fresh feature app per test: each measures its own memory and leftovers."""
    process = start_app(['-m', 'tests.sample_apps.everything'], env={'SLOW_CLIENT_TIMEOUT': '2'})
    yield process
    process.stop()



def settled_stats(server, timeout=15):
    """Stats once every connection is gone (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        current = stats(server)
        if (current['connections'] == 0 and current['engineio_sockets'] == 0) \
                or time.monotonic() > deadline:
            return current
        time.sleep(0.1)




def random_frame(rng):
    """One malformed Engine.IO/Socket.IO frame."""
    kind = rng.randrange(7)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 1:
        return ''.join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(1, 100)))
    if kind == 2:  # event packets with wrong types or broken JSON
        body = rng.choice(['[1,2]', '"x"', '{"a":', '[null]', '[[]]', '[{}]', '[true,1]', '',
                           '["echo",' + '[' * 50, '["%s"]' % ('e' * 5000)])
        return '42/features,' + body
    if kind == 3:  # binary events whose attachment count lies
        count = rng.randrange(0, 4)
        return '45%d-/features,["echo",{"_placeholder":true,"num":%d}]' % (
            count, rng.randrange(-2, 9))
    if kind == 4:  # packet types that clients may not send, unknown namespaces
        return rng.choice(['44/features,{"message":"x"}', '41/nowhere,', '40/nowhere,',
                           '43/features,99[]', '4-1', '6', '5', '3probe', '2probe'])
    if kind == 5:
        return '4' + 'y' * rng.choice([10, 100000, 1100000])
    return rng.choice(['', ' ', '\x00', '0', '1', '4', '40', '42', '421', '42/'])


def test_fuzzing_leaves_the_server_and_a_listening_client_unharmed(server):
    listener, heard = client(server.url, '/features')
    try:
        listener.emit('ticks', 100000, namespace='/features')
        heard.wait_for('tick', 3)
        rng = random.Random(20261123)
        deadline = time.monotonic() + 60
        for _ in range(40):
            assert time.monotonic() < deadline
            try:
                ws = raw_websocket(server.url)
                ws.settimeout(0.2)
                for _ in range(10):
                    frame = random_frame(rng)
                    (ws.send_binary if isinstance(frame, bytes) else ws.send)(frame)
                ws.close()
            except (websocket.WebSocketException, OSError):
                pass  # the server may close on nonsense: fine, as long as it stays up
        handshake = requests.get(server.url + '/socketio/?EIO=4&transport=polling').text
        sid = handshake[handshake.index('"sid":"') + 7:].split('"')[0]
        for _ in range(20):
            body = random_frame(rng)
            requests.post(server.url + '/socketio/?EIO=4&transport=polling&sid=' + sid,
                          data=body if isinstance(body, bytes) else body.encode('utf-8'),
                          timeout=10)
        before = len(heard.of('tick'))
        time.sleep(0.5)
        assert len(heard.of('tick')) > before  # the stream never stopped
        assert listener.call('echo', 'still fine', namespace='/features') == 'still fine'
        assert requests.get(server.url + '/').text == 'features app'
    finally:
        listener.disconnect()


def test_a_client_that_stops_reading_is_dropped_and_others_keep_pace(server):
    # A 10 s stream of 1 KB chunks to everyone, and 4 KB ones to the stalled client only:
    # its backlog passes max_queued_packets (1,000) and stays there for longer than
    # slow_client_timeout (2 s here) well before the stream ends.
    count, size, per_second, heavy_size = 5000, 1000, 500, 4000
    readers = [client(server.url, '/features') for _ in range(2)]
    for sio, _ in readers:
        sio.call('join', 'flood', namespace='/features')
    stalled = raw_websocket(server.url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    stalled.send('42/features,["join","flood"]')  # then never reads again
    stalled.send('42/features,["join","heavy"]')
    before = stats(server)
    stream_ended = []

    def stream():
        requests.get(server.url + '/flood', timeout=120, params={
            'count': count, 'size': size, 'per_second': per_second, 'heavy_size': heavy_size})
        stream_ended.append(time.monotonic())

    flood = threading.Thread(target=stream)
    flood.start()
    try:
        for _, seen in readers:
            chunks = seen.wait_for('chunk', count, timeout=60)
            assert [data['n'] for (data,) in chunks] == list(range(count))
        readers_done = time.monotonic()
        flood.join(60)
        after = stats(server)
        lag = readers_done - stream_ended[0]
        assert lag < 3, 'readers finished %.1f s after the stream ended' % lag
        # what waited for the stalled client (at most ~2,000 packets of 5 KB) is freed
        assert after['rss_kb'] - before['rss_kb'] < 30 * 1024
        assert 'Dropping slow client' in server.output()
        assert after['engineio_sockets'] == 2
    finally:
        stalled.close()
        for sio, _ in readers:
            sio.disconnect()


def test_connect_disconnect_cycles_leave_nothing_behind(server):
    def cycles(count, deadline):
        for _ in range(count):
            assert time.monotonic() < deadline
            sio, _ = client(server.url, '/features')
            sio.call('join', 'churn', namespace='/features')
            sio.emit('ticks', 1000, namespace='/features')  # a spawned greenlet to clean up
            sio.disconnect()

    def parallel_cycles(total):
        deadline = time.monotonic() + 240
        threads = [threading.Thread(target=cycles, args=(total // 4, deadline)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(250)

    parallel_cycles(200)  # warm-up: caches, pools, lazily built objects
    base = settled_stats(server)
    parallel_cycles(1000)
    after = settled_stats(server)
    assert after['connections'] == 0 and after['engineio_sockets'] == 0
    assert after['rooms'] == base['rooms']
    assert after['greenlets'] <= base['greenlets'] + 5
    assert after['rss_kb'] <= base['rss_kb'] * 1.10, (base, after)


def test_connections_live_through_ping_cycles_and_silent_ones_are_closed():
    server = start_app(['-m', 'tests.sample_apps.everything'],
                       env={'PING_INTERVAL': '1', 'PING_TIMEOUT': '1'})
    try:
        alive, _ = client(server.url, '/features', ('websocket',))
        polling, _ = client(server.url, '/features', ('polling',))
        silent = raw_websocket(server.url)  # never answers a ping
        time.sleep(4.5)
        assert alive.call('echo', 'ok', namespace='/features') == 'ok'
        assert polling.call('echo', 'ok', namespace='/features') == 'ok'
        current = stats(server)
        assert current['engineio_sockets'] == 2 and current['connections'] == 2
        assert current['greenlet_kinds'].get('_send_ping_now', 0) <= 2
        alive.disconnect()
        polling.disconnect()
        silent.close()
    finally:
        server.stop()
