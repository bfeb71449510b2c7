"""The WebSocket write path (:mod:`tgext.socketio.edge.fastlane`): frames written from the
emitting greenlet where nothing waits, through the queue where something does, in order."""
import json
import socket
import time
from types import SimpleNamespace

import gevent
import gevent.socket
import pytest
from engineio import packet as eio_packet

from tests.helpers import client, raw_websocket
from tgext.socketio.edge.fastlane import frame_of, write_now
from tgext.socketio.edge.outbound import OutboundQueue
from tgext.socketio.edge.overrides import Server


def test_a_slow_reader_gets_direct_and_queued_frames_whole_and_in_order(features):
    """400 events of 10 kB, to the client and to its room in turn, to a WebSocket with a
    4 kB receive buffer read slowly: the kernel takes frames in part, what it leaves goes
    through the queue; every frame arrives whole (the client parses each), in order."""
    ws = raw_websocket(features.url, timeout=20,
                       sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    ws.send('42/features,1["join","lanes"]')
    assert ws.recv() == '43/features,1["lanes"]'
    watcher, recorder = client(features.url, '/features')
    assert watcher.call('join', 'lanes', namespace='/features', timeout=10) == 'lanes'
    ws.send('42/features,2["interleave","lanes",400,10000]')
    received = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = ws.recv()
        if message == '2':  # a ping
            ws.send('3')
            continue
        if message.startswith('43/features,2'):
            assert json.loads(message[len('43/features,2'):]) == [400]
            break
        event, number, data = json.loads(message[len('42/features,'):])
        assert (event, len(data)) == ('seq', 10000)
        received.append(number)
        if len(received) < 100:
            time.sleep(0.002)  # slow at first: the kernel's buffers fill
    assert received == list(range(400))
    assert [args[0] for args in recorder.wait_for('seq', 200, timeout=20)] == \
        list(range(0, 400, 2))
    watcher.disconnect()
    ws.close()


def test_what_the_kernel_leaves_of_a_frame_goes_before_the_next():
    """A unit test of write_now with a real socket pair of small buffers: frames written at
    once while nothing waits, the end of one the kernel took in part queued first, and
    everything after it queued behind; read back, the frames are whole and in order."""
    sender, receiver = gevent.socket.socketpair()
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    receiver.settimeout(5)
    queue = OutboundQueue()
    lane = SimpleNamespace(upgrading=False, closing=False, queue=queue,
                           tgext_lane=SimpleNamespace(raw=sender._sock, writing=None))
    packets = [eio_packet.Packet(eio_packet.MESSAGE, '%04d' % n + 'x' * 3000) for n in range(40)]
    direct = 0
    for pkt in packets:
        if write_now(lane, pkt):
            direct += 1
        else:
            queue.put(pkt)
    assert 0 < direct < len(packets) and queue.qsize() > 1

    def drain():  # what the writer does
        sender.sendall(b''.join(frame_of(queue.get(block=False)) for _ in range(queue.qsize())))
    writer = gevent.spawn(drain)
    expected = b''.join(frame_of(pkt) for pkt in packets)
    got = b''
    while len(got) < len(expected):
        try:
            got += receiver.recv(65536)
        except socket.timeout:
            break
    writer.join(timeout=5)
    assert got == expected
    sender.close()
    receiver.close()


def test_nothing_is_written_directly_while_a_frame_is_being_written():
    writer = SimpleNamespace(raw=SimpleNamespace(send=pytest.fail), writing=None)
    lane = SimpleNamespace(upgrading=False, closing=False, queue=OutboundQueue(),
                           tgext_lane=writer)
    writer.writing = gevent.spawn(gevent.sleep, 1)  # a frame is being written
    assert write_now(lane, eio_packet.Packet(eio_packet.MESSAGE, 'second')) is False
    writer.writing.kill()
    writer.writing = None
    lane.queue.put(eio_packet.Packet(eio_packet.MESSAGE, 'first'))  # one waits
    assert write_now(lane, eio_packet.Packet(eio_packet.MESSAGE, 'second')) is False
    lane.queue = OutboundQueue()
    lane.upgrading = True  # still on long-polling
    assert write_now(lane, eio_packet.Packet(eio_packet.MESSAGE, 'second')) is False


def test_a_reply_to_a_connected_client_is_the_packet_python_socketio_would_send():
    """``emit_to_connected`` (a handler's ``self.emit``) skips python-socketio's room lookups,
    not its spelling of the arguments: for each kind of data, the same frames as
    ``emit(to=sid, ignore_queue=True)``; nothing, and False, for a client not connected."""
    server = Server(async_mode='gevent')
    sent = []
    server.eio.send_packet = lambda eio_sid, pkt: sent.append((eio_sid, pkt.encode()))
    sid = server.manager.connect('eio-1', '/chat')
    for data in [None, 'x', ('a', 'b'), (('a',),), {'k': 1}, [1, 2], (), b'\x00binary']:
        server.emit('event', data, to=sid, namespace='/chat', ignore_queue=True)
        by_python_socketio = sent[:]
        sent.clear()
        assert server.emit_to_connected(sid, '/chat', 'event', data) is True
        assert sent == by_python_socketio and sent
        sent.clear()
    assert server.emit_to_connected('someone-else', '/chat', 'event', 1) is False
    assert server.emit_to_connected(sid, '/elsewhere', 'event', 1) is False
    assert not sent
