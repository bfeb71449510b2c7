"""An idle WebSocket holds no greenlet (:mod:`tgext.socketio.edge.idle`): its request ends once
it is open and a watcher reads it; it reads, answers and closes as before."""
import base64
import os
import socket
import struct
import time

from tests.helpers import client, raw_websocket, stats

#: What gevent's server runs a connection's requests in.
REQUEST = '_handle_and_close_when_done'


def sockets_once(server, done, timeout=10):
    """The server's engine.io sockets once ``done(count)`` (bounded wait; the session's app
    may still be closing the sockets of earlier tests)."""
    deadline = time.monotonic() + timeout
    current = stats(server)
    while not done(current['engineio_sockets']) and time.monotonic() < deadline:
        time.sleep(0.1)
        current = stats(server)
    return current


def test_idle_websockets_hold_no_greenlet_and_still_answer(features):
    """20 official clients held open add no greenlet to the server (each held its request's,
    parked in a read, before); each still gets its answers, and no request is left running."""
    base = stats(features)
    clients = [client(features.url, '/features')[0] for _ in range(20)]
    try:
        held = sockets_once(features, lambda count: count >= 20)
        assert held['engineio_sockets'] >= 20
        deadline = time.monotonic() + 5  # the greenlet that read a client's last message
        while held['greenlets'] >= base['greenlets'] + 5 and time.monotonic() < deadline:
            time.sleep(0.1)  # lingers for Reader.linger (0.1 s) for the next one
            held = stats(features)
        assert held['greenlets'] < base['greenlets'] + 5, str(held['greenlet_kinds'])
        for number, sio in enumerate(clients):
            assert sio.call('echo', number, namespace='/features', timeout=5) == number
        requests = stats(features)['greenlet_kinds'].get(REQUEST, 0)
        assert requests <= base['greenlet_kinds'].get(REQUEST, 0)  # the stats request's
    finally:
        for sio in clients:
            sio.disconnect()
    assert sockets_once(features, lambda count: count <= base['engineio_sockets'])[
        'engineio_sockets'] <= base['engineio_sockets']


def upgraded(server, *frames):
    """A raw socket that asked for a WebSocket and sent ``frames`` in the same write, once
    the 101 is read."""
    sock = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    request = ('GET /socketio/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n'
               'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
               'Sec-WebSocket-Key: %s\r\n\r\n' % base64.b64encode(os.urandom(16)).decode())
    sock.sendall(request.encode() + b''.join(frames))
    head = b''
    while b'\r\n\r\n' not in head:
        head += sock.recv(1)
    assert head.startswith(b'HTTP/1.1 101')
    return sock


def masked(payload, opcode=0x1):
    """A client's frame."""
    payload = payload.encode() if isinstance(payload, str) else payload
    mask = os.urandom(4)
    body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return struct.pack('!BB', 0x80 | opcode, 0x80 | len(payload)) + mask + body


def read_frame(sock):
    """A server's (unmasked, short) frame: ``(opcode, payload)``."""
    first, second = struct.unpack('!BB', read_exactly(sock, 2))
    length = second & 0x7f
    if length == 126:
        length = struct.unpack('!H', read_exactly(sock, 2))[0]
    return first & 0x0f, read_exactly(sock, length)


def read_exactly(sock, size):
    data = b''
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, 'connection closed after %r' % data
        data += chunk
    return data


def test_frames_sent_with_the_upgrade_request_are_read(features):
    """Frames that come in one write with the request are read ahead of the WebSocket by
    the request's reader: the connection's new reader gets them."""
    sock = upgraded(features, masked('40/features,'), masked('42/features,7["echo","early"]'))
    frames = [read_frame(sock)[1].decode() for _ in range(3)]
    assert frames[0].startswith('0{') and frames[1].startswith('40/features,')
    assert frames[2] == '43/features,7["early"]'
    sock.close()


def test_a_server_disconnect_closes_the_connection(features):
    """The server ends the session (a client over ``max_attachments``): the client gets the
    close frame, answers it, and the server closes the TCP connection (the watcher's reader
    ends it)."""
    base = stats(features)
    sock = upgraded(features, masked('40/features,'))
    sock.sendall(masked('45101-/features,["echo",{"_placeholder":true,"num":0}]'))
    frames = []
    while not frames or frames[-1][0] != 0x8:
        frames.append(read_frame(sock))
    assert any(b'attachments_too_large' in payload for _, payload in frames), frames
    sock.sendall(masked(frames[-1][1], opcode=0x8))
    assert sock.recv(1) == b''  # closed by the server, not left open
    sock.close()
    assert sockets_once(features, lambda count: count <= base['engineio_sockets'])[
        'engineio_sockets'] <= base['engineio_sockets']
