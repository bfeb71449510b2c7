"""Bytes bounded per client outbound: the 48-history-requests attack of issue #18, replayed.

A channel holds a full history (100 publications of 200 kB, the default
``socketio.history``); a client subscribes, asks for that history 48 times in 3 kB
and never reads. Answers are capped (``socketio.max_answer_bytes``, 500 kB) and what
waits for one client is bounded (``socketio.max_outbound_bytes``, 10 MB): the
server grows by less than the budget and 10 %, drops the client, and another
client's round trips go on.
"""
import json
import socket
import threading
import time

import pytest
import requests
from engineio import packet as eio_packet
from gevent.queue import Empty

from tests.helpers import client, raw_websocket, rss_kb, start_app, stats
from tgext.socketio.edge.outbound import OutboundQueue

BUDGET = 10000000          # the default socketio.max_outbound_bytes
ANSWER = 500000            # the default socketio.max_answer_bytes
PUBLICATION = 200000


@pytest.fixture
def server():
    process = start_app(['-m', 'tests.sample_apps.everything'])
    yield process
    process.stop()


def fill(server, channel, count):
    filler, _ = client(server.url, '/rooms')
    assert filler.call('subscribe', ('room', channel), namespace='/rooms', timeout=10)
    for _ in range(count):
        assert filler.call('post', ('room-' + channel, 'x' * PUBLICATION), namespace='/rooms',
                           timeout=10)
    filler.disconnect()


def websocket_that_stops_reading(url):
    """A raw WebSocket subscribed to room-full, with a small receive buffer: ``send(text)``."""
    ws = raw_websocket(url, '/rooms', timeout=10,
                       sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    ws.send('42/rooms,0["subscribe","room","full"]')
    assert ws.recv() == '43/rooms,0["room-full"]'
    return ws.send


def poller_that_stops_polling(url):
    """A long-polling session subscribed to room-full that posts and never polls again."""
    answer = requests.get(url + '/socketio/?EIO=4&transport=polling', timeout=10).text
    session = url + '/socketio/?EIO=4&transport=polling&sid=' + json.loads(answer[1:])['sid']

    def send(text):  # once the server dropped the session: 400
        requests.post(session, data=text, timeout=10)
    send('40/rooms,')
    assert requests.get(session, timeout=10).text.startswith('40/rooms,')
    send('42/rooms,0["subscribe","room","full"]')
    assert requests.get(session, timeout=10).text == '43/rooms,0["room-full"]'
    return send


def test_history_answers_are_capped_with_a_continuation(server, connect):
    fill(server, 'paged', 12)
    sio, _ = connect(server.url, '/rooms')
    sio.call('subscribe', ('room', 'paged'), namespace='/rooms', timeout=10)
    pages, since = [], None
    while len(pages) < 10:
        answer = sio.call('history', ('room-paged', {'since': since}), namespace='/rooms',
                          timeout=10)
        pages.append(len(answer['publications']))
        if not answer.get('more'):
            break
        since = answer['publications'][-1][1]
    assert pages == [ANSWER // PUBLICATION] * 6  # each answer as full as the cap allows
    recovered = sio.call('recover', ({'time': 0}, 'room', 'paged'), namespace='/rooms',
                         timeout=10)
    assert (len(recovered['publications']), recovered['more']) == (ANSWER // PUBLICATION, True)
    assert recovered['position'] == recovered['publications'][-1][1]


@pytest.mark.parametrize('attacker', [websocket_that_stops_reading, poller_that_stops_polling])
def test_48_history_requests_that_are_never_read_stay_within_the_budget(server, attacker):
    fill(server, 'full', 100)
    probe, _ = client(server.url, '/rooms')
    probe.call('subscribe', ('room', 'probe'), namespace='/rooms', timeout=10)
    before = stats(server)
    pid, baseline = before['pid'], rss_kb(before['pid'])
    send = attacker(server.url)
    peak, sampling = [baseline], True

    def sample():
        while sampling:
            peak.append(rss_kb(pid))
            time.sleep(0.005)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sent = ''.join('42/rooms,%d["history","room-full"]' % n for n in range(1, 49))
    for number in range(1, 49):
        send('42/rooms,%d["history","room-full"]' % number)
    assert len(sent) < 3000
    time.sleep(6)  # the attack's window, sampled; /stats lists every object, not meanwhile
    sampling = False
    sampler.join()
    deadline = time.monotonic() + 20
    while stats(server)['connections'] > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stats(server)['connections'] == 1, 'the attacker was not dropped'
    grown = (max(peak) - baseline) * 1024
    assert grown < BUDGET * 1.1, 'grew by %d bytes' % grown
    started = time.monotonic()
    assert probe.call('post', ('room-probe', 'still here'), namespace='/rooms', timeout=5)
    assert time.monotonic() - started < 1
    probe.disconnect()


def test_the_largest_packet_of_a_backlog_is_forgotten_once_it_is_written():
    """A client sent one packet of 4 MB is held to it only while its backlog waits: once
    the transport finds the queue empty, a small packet weighs what it weighs."""

    queue = OutboundQueue()
    queue.put(eio_packet.Packet(eio_packet.MESSAGE, 'x' * 4000000))
    queue.put(eio_packet.Packet(eio_packet.MESSAGE, 'small'))
    assert queue.largest == 4000000
    queue.get()  # the large one is being written
    queue.get()  # written; the small one is being written
    assert queue.largest == 4000000, 'the small one was queued behind it'
    with pytest.raises(Empty):  # the transport comes back for more and finds none
        queue.get(timeout=0.01)
    assert (queue.largest, queue.bytes) == (0, 0)
