"""The internals of python-socketio, python-engineio, gevent-websocket and pywsgi we build on.

tgext.socketio.edge.overrides, .edge.websocket, .edge.fastlane, .edge.idle, .edge.packets,
.pubsub.backends and .pubsub.delivery_hook override or call these; each is listed here with
the parameters we rely on, so that a release that renames or reshapes one fails this test by
name instead of breaking clients at run time.
`make test-matrix` runs it at both ends of the pinned range.
"""
import inspect
import socket
import types

import engineio
import engineio.socket
import gevent
import gevent.socket
import geventwebsocket.handler
import geventwebsocket.websocket
import pytest
import socketio
import socketio.packet
from gevent import pywsgi

from tgext.socketio.edge.outbound import OutboundQueue

# (owner, attribute, the leading parameters after self we rely on, or None for "exists")
INTERNALS = [
    (engineio.Server, 'start_background_task', ['target']),
    (engineio.Server, 'handle_request', ['environ', 'start_response']),
    (engineio.Server, 'disconnect', ['sid']),
    (engineio.Server, 'create_queue', []),
    (engineio.Server, 'send_packet', ['sid', 'pkt']),
    (engineio.Server, '_log_error_once', ['message', 'message_key']),
    (engineio.socket.Socket, '_websocket_handler', ['ws']),
    (engineio.socket.Socket, 'poll', []),
    (engineio.socket.Socket, '_send_ping', []),
    (engineio.socket.Socket, 'send', ['pkt']),
    (engineio.socket.Socket, 'receive', ['pkt']),
    (engineio.socket.Socket, 'close', ['wait', 'abort', 'reason']),
    (socketio.Server, '_engineio_server_class', []),
    (socketio.Server, '_handle_event', ['eio_sid', 'namespace', 'id', 'data']),
    (socketio.Server, '_handle_eio_connect', ['eio_sid', 'environ']),
    (socketio.Server, '_handle_eio_message', ['eio_sid', 'data']),
    (socketio.Server, '_handle_eio_disconnect', ['eio_sid', 'reason']),
    (socketio.Server, '_send_packet', ['eio_sid', 'pkt']),
    (socketio.Server, '_send_eio_packet', ['eio_sid', 'eio_pkt']),
    (socketio.Manager, 'emit', ['event', 'data', 'namespace', 'room', 'skip_sid', 'callback',
                                'to']),
    (socketio.packet.Packet, '__init__', ['packet_type', 'data', 'namespace', 'id', 'binary',
                                          'encoded_packet']),
    (socketio.packet.Packet, 'data_is_binary', ['data']),
    (socketio.packet.Packet, 'uses_binary_events', None),
    (socketio.PubSubManager, '_handle_emit', ['message']),
    (socketio.PubSubManager, '_publish', ['data']),
    (socketio.PubSubManager, '_listen', []),
    (socketio.PubSubManager, '_thread', []),
    (socketio.KombuManager, '_exchange', []),
    (socketio.KombuManager, '_connection', []),
    (geventwebsocket.websocket.WebSocket, 'read_frame', []),
    (geventwebsocket.websocket.WebSocket, 'receive', []),
    (geventwebsocket.websocket.WebSocket, 'close', ['code', 'message']),
    (geventwebsocket.websocket.WebSocket, 'current_app', None),
    (geventwebsocket.websocket.Header, 'mask_payload', ['payload']),
    (geventwebsocket.websocket.Header, 'encode_header', ['fin', 'opcode', 'mask', 'length',
                                                         'flags']),
    (geventwebsocket.handler.WebSocketHandler, 'upgrade_websocket', []),
    (geventwebsocket.handler.WebSocketHandler, 'upgrade_connection', []),
    (geventwebsocket.handler.WebSocketHandler, 'run_websocket', []),
    (pywsgi.WSGIHandler, 'handle', []),
]


@pytest.mark.parametrize('owner, name, parameters', INTERNALS,
                         ids=['%s.%s' % (owner.__name__, name) for owner, name, _ in INTERNALS])
def test_the_internal_we_build_on_is_still_there(owner, name, parameters):
    member = inspect.getattr_static(owner, name, None)
    assert member is not None, '%s.%s is gone: see tgext.socketio.edge' % (
        owner.__name__, name)
    if parameters is None:
        return
    function = getattr(owner, name)
    found = [p for p in inspect.signature(function).parameters if p != 'self']
    assert found[:len(parameters)] == parameters, '%s.%s%s changed' % (
        owner.__name__, name, inspect.signature(function))


def test_the_state_we_read_is_still_there():
    server = socketio.Server(async_mode='threading')
    assert server.manager_initialized is False and server.environ == {}
    assert hasattr(server, '_binary_packet')
    eio = engineio.Server(async_mode='threading')
    assert eio.sockets == {} and eio.ping_interval and eio.max_http_buffer_size
    eio_socket = engineio.socket.Socket(eio, 'sid')
    assert (eio_socket.closing, eio_socket.closed) == (False, False)
    assert (eio_socket.upgrading, eio_socket.upgraded) == (False, False)
    assert hasattr(eio_socket, 'last_ping') and eio_socket.queue.qsize() == 0


def test_a_socket_takes_its_queue_from_the_server_and_polls_it_blocking_first():
    """What the byte count of ``edge.outbound`` relies on: the transport takes its packets
    with one blocking ``get`` and then non-blocking ones, coming back once they are written."""
    taken = []

    class Queue(OutboundQueue):
        def get(self, block=True, timeout=None):
            taken.append(block)
            return super().get(block, timeout)

    class Server(engineio.Server):
        def create_queue(self):
            return Queue()
    eio_socket = engineio.socket.Socket(Server(async_mode='gevent'), 'sid')
    assert isinstance(eio_socket.queue, Queue)
    eio_socket.queue.put(engineio.packet.Packet(engineio.packet.NOOP))
    eio_socket.queue.put(engineio.packet.Packet(engineio.packet.NOOP))
    assert len(eio_socket.poll()) == 2
    assert taken == [True, False, False]


def test_python_engineios_websocket_writer_is_the_closure_the_lane_replaces():
    """edge.fastlane starts a Lane in place of the writer python-engineio defines inside
    ``Socket._websocket_handler``, reading the socket and the WebSocket from its closure."""
    from tgext.socketio.edge import fastlane
    assert {'self', 'ws'} <= set(fastlane._ENGINEIO_WRITER.co_freevars)


def test_python_engineios_websocket_handler_lets_a_kept_connection_go():
    """edge.idle ends a WebSocket's request by raising a BaseException from the handler's first
    wait once the writer runs: python-engineio's loop must let it through, the session open."""
    from tgext.socketio.edge import idle

    class KeptWebSocket:
        def wait(self):
            raise idle._Kept

        def send(self, message):
            pass

        def close(self):
            pass
    eio_socket = engineio.socket.Socket(engineio.Server(async_mode='gevent'), 'sid')
    with pytest.raises(idle._Kept):
        eio_socket._websocket_handler(KeptWebSocket())
    assert eio_socket.connected and eio_socket.upgraded and not eio_socket.closed
    eio_socket.queue.put(None)  # the writer ends
    gevent.sleep(0.01)


def test_pywsgi_closes_no_socket_its_handler_let_go_of():
    """SocketIOHandler.take_socket detaches the connection's descriptor and sets the handler's
    socket to None: pywsgi's handler and its server's close of the old socket leave it open."""
    ours, theirs = gevent.socket.socketpair()
    kept = gevent.socket.socket(fileno=ours.detach())
    handler = pywsgi.WSGIHandler.__new__(pywsgi.WSGIHandler)
    handler.socket = None
    handler.handle()
    ours.close()  # what gevent's StreamServer does once the handler returns
    theirs.sendall(b'still open')
    assert kept.recv(16) == b'still open'
    kept.shutdown(socket.SHUT_RDWR)
    kept.close()
    theirs.close()


def test_a_replaced_websocket_is_freed_without_defining_a_class(monkeypatch):
    """edge.websocket replaces the WebSocket gevent-websocket's handler makes; the replaced
    one's ``__del__`` closes it and asks its handler's ``server.application.current_app``,
    which gevent-websocket answers with a class defined on the spot when there is none."""
    import builtins

    from tgext.socketio.edge import websocket
    defined = []
    build_class = builtins.__build_class__
    monkeypatch.setattr(builtins, '__build_class__',
                        lambda *args, **kw: defined.append(args[1]) or build_class(*args, **kw))
    stream = types.SimpleNamespace(read=None, write=None)
    plain = geventwebsocket.websocket.WebSocket({}, stream, None)
    plain.closed = True
    plain.handler = websocket._REPLACED
    del plain
    assert defined == []
    handler = types.SimpleNamespace(server=types.SimpleNamespace(application=object()))
    plain = geventwebsocket.websocket.WebSocket({}, stream, handler)
    plain.closed = True
    defined.clear()
    del plain
    assert 'MockApp' in defined  # what _REPLACED spares, still there in gevent-websocket
