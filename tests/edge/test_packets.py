"""Outgoing packets encode their data before walking it for binary
(:mod:`tgext.socketio.edge.packets`): what they send must be python-socketio's, byte for byte."""
import datetime

import pytest
from socketio import packet

from tgext.socketio.edge.packets import JSONFirstPacket

DATA = [None, [], ['event'], ['event', {'rows': [{'id': 1, 'text': 'milk'}], 'done': False}],
        ['event', 'é', 1.5, None, [1, [2, [3]]]],
        ['event', {'picture': b'\x89PNG', 'nested': [b'\x00']}],  # binary: attachments
        ['event', bytearray(b'abc')]]


@pytest.mark.parametrize('data', DATA, ids=range(len(DATA)))
@pytest.mark.parametrize('packet_type, namespace, id', [
    (packet.EVENT, None, None), (packet.EVENT, '/chat', 7), (packet.ACK, '/', 3)])
def test_a_packet_encodes_as_python_socketios(data, packet_type, namespace, id):
    ours = JSONFirstPacket(packet_type, data=data, namespace=namespace, id=id)
    theirs = packet.Packet(packet_type, data=data, namespace=namespace, id=id)
    assert ours.encode() == theirs.encode()
    assert ours.packet_type == theirs.packet_type and ours.encode() == theirs.encode()


def test_data_that_does_not_encode_fails_as_it_did():
    """Not JSON and not binary: python-socketio's TypeError, when the packet is encoded."""
    pkt = JSONFirstPacket(packet.EVENT, data=['event', datetime.date(2026, 12, 7)])
    with pytest.raises(TypeError, match='not JSON serializable'):
        pkt.encode()


def test_an_incoming_packet_decodes_as_python_socketios():
    encoded = '2/chat,12["event",{"a":[1,2]}]'
    ours, theirs = JSONFirstPacket(encoded_packet=encoded), packet.Packet(encoded_packet=encoded)
    assert (ours.packet_type, ours.namespace, ours.id, ours.data) == (
        theirs.packet_type, theirs.namespace, theirs.id, theirs.data)
    assert ours.encode() == encoded
