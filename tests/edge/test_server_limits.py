"""Server limits, replayed: slow-loris headers and a connection flood (issue #18).

The pingpong example served by ``gearbox serve`` with the documented server section plus
``max_connections`` and ``header_timeout``; every loop is bounded in count and time.
"""
import os
import re
import select
import socket
import time

import requests
import websocket

from tests.helpers import PYTHON, ROOT, Process, free_port, http_from
from tests.helpers import client as socketio_client

GEARBOX = os.path.join(os.path.dirname(PYTHON), 'gearbox')
INI = '''[server:main]
use = egg:tgext.socketio#gevent
host = 127.0.0.1
port = %(port)d
max_connections = %(max_connections)s
header_timeout = 3

[app:main]
use = egg:tgext.socketio#script
script = %(root)s/examples/pingpong/app.py

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %%(levelname)s %%(name)s %%(message)s
'''


def gearbox(tmp_path, max_connections=''):
    port = free_port()
    ini = tmp_path / 'limits.ini'
    ini.write_text(INI % {'port': port, 'root': ROOT, 'max_connections': max_connections})
    return Process([GEARBOX, 'serve', '-c', str(ini)], port=port, timeout=60)


def round_trip(sio):
    started = time.monotonic()
    sio.call('ping', {'type': 'ping'}, namespace='/pingpong', timeout=5)  # raises if no ack
    return time.monotonic() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def test_at_the_connection_cap_new_clients_get_503_at_once(tmp_path):
    server = gearbox(tmp_path, max_connections=40)
    held = []
    try:
        sio, _ = socketio_client(server.url, '/pingpong')
        for _ in range(39):  # the cap, with the client's WebSocket
            held.append(websocket.create_connection(
                server.url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket',
                timeout=10))
        for _ in range(30):
            started = time.monotonic()
            refused = requests.get(server.url + '/', timeout=5)
            assert refused.status_code == 503
            assert time.monotonic() - started < 0.5
        assert round_trip(sio) < 1           # the ones in keep going
        held.pop().close()
        deadline = time.monotonic() + 5
        while requests.get(server.url + '/', timeout=5).status_code == 503:
            assert time.monotonic() < deadline, 'a freed slot was not given again'
            time.sleep(0.1)
        sio.disconnect()
    finally:
        for ws in held:
            ws.close()
        server.stop()
    log = server.output()
    assert len(re.findall(r'Refused \(connection cap\)', log)) == 1, log[-2000:]
    assert 'Traceback' not in log


def test_slow_loris_headers_are_cut_and_others_keep_answering(tmp_path):
    server = gearbox(tmp_path)
    slow = []
    try:
        sio, _ = socketio_client(server.url, '/pingpong')
        for _ in range(4200):  # one address, a header line a second, never the blank line
            connection = socket.create_connection(('127.0.0.1', server.port), timeout=10,
                                                  source_address=('127.0.0.3', 0))
            connection.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
            slow.append(connection)
        pages, trips, answered, held = [], [], {}, []
        started = time.monotonic()
        http = http_from('127.0.0.4')
        while time.monotonic() - started < 8 and len(answered) < len(slow):
            held.append(len(slow) - len(answered))  # slow requests open while we measure
            for connection in slow:
                if connection not in answered:
                    try:
                        connection.sendall(b'X-Slow: 1\r\n')
                    except OSError:
                        answered[connection] = b''
            for _ in range(10):
                page_started = time.monotonic()
                assert http.get(server.url + '/', timeout=5).status_code == 200
                pages.append(time.monotonic() - page_started)
                trips.append(round_trip(sio))
            for connection in _readable(slow, answered):
                answered[connection] = connection.recv(200)
        sio.disconnect()
    finally:
        for connection in slow:
            connection.close()
        server.stop()
    assert held[0] > 2000, 'measured only once most slow requests were cut: %s' % held
    assert len(answered) == len(slow), '%d of %d slow requests still open' % (
        len(slow) - len(answered), len(slow))
    assert {answer[:12] for answer in answered.values()} <= {b'HTTP/1.1 408', b''}
    assert percentile(pages, 0.99) < 0.2 and percentile(trips, 0.99) < 0.2
    assert server.output().count('Refused (slow request headers)') < 10  # not one per request


def _readable(slow, answered):
    """The slow connections not answered yet that have something to read."""
    poller = select.poll()
    open_ones = {c.fileno(): c for c in slow if c not in answered}
    for fileno in open_ones:
        poller.register(fileno, select.POLLIN)
    return [open_ones[fileno] for fileno, _ in poller.poll(0)]


def test_a_flood_of_malformed_packets_is_one_log_line_not_tracebacks(tmp_path):
    server = gearbox(tmp_path)
    try:
        sio, recorder = socketio_client(server.url, '/pingpong')
        ws = websocket.create_connection(
            server.url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket',
            timeout=10)
        assert ws.recv().startswith('0{')
        for number in range(300):
            ws.send(('42/pingpong,1["ping",{"type":', '4Z', '451-/pingpong,["ping",{')[number % 3])
        round_trip(sio)
        recorder.wait_for('pong')
        ws.close()
        sio.disconnect()
    finally:
        server.stop()
    log = server.output()
    assert log.count('Refused (malformed packet)') == 1, log[-2000:]
    assert 'Traceback' not in log
