"""JSON data through python-socketio without its walks of every value for binary.

python-socketio looks for ``bytes`` in an event's data with a recursive Python walk, in
``PubSubManager.emit`` (to make the bus message) and again in ``Packet.__init__`` (to choose
the packet type), before ``json.dumps`` encodes it: for a publication of 10,000 rows, each
walk costs more than the encoding (~28 ms against ~14). Most data is JSON, and the encoding
must be made anyway:

* :class:`JSONFirstPacket` encodes the data first and walks it only if that fails;
* :func:`emit_json` emits data known to be JSON (:func:`tgext.socketio.publish` takes only
  JSON) as python-socketio's manager would, making its bus message without the walk.
"""
import socketio
from socketio import packet


class JSONFirstPacket(packet.Packet):
    """python-socketio's packet, whose outgoing event or acknowledgement is walked for binary
    only if its data fails to encode as JSON. Encoded when :meth:`encode` is called, as
    python-socketio's: a server refuses a packet over its budget before it is encoded."""

    def __init__(self, packet_type=packet.EVENT, data=None, namespace=None, id=None,
                 binary=None, encoded_packet=None):
        self._binary_unknown = (binary is None and encoded_packet is None and data is not None
                                and packet_type in _BINARY_TYPES and self.uses_binary_events)
        super().__init__(packet_type, data, namespace, id,
                         False if self._binary_unknown else binary, encoded_packet)

    def encode(self):
        """python-socketio's encoding, its data encoded before it is ever walked."""
        if not self._binary_unknown:
            return super().encode()
        self._binary_unknown = False
        try:
            encoded_data = self.json.dumps(self.data, separators=(',', ':'))
        except (TypeError, ValueError):  # bytes, or data no encoding takes: walked
            if self.data_is_binary(self.data):
                self.packet_type = _BINARY_TYPES[self.packet_type]
            return super().encode()
        encoded = str(self.packet_type)
        if self.namespace is not None and self.namespace != '/':
            encoded += self.namespace + ','
        if self.id is not None:
            encoded += str(self.id)
        return encoded + encoded_data


#: The packet types that may carry binary data, and their binary twins.
_BINARY_TYPES = {packet.EVENT: packet.BINARY_EVENT, packet.ACK: packet.BINARY_ACK}


def emit_json(manager, event, args, namespace, room):
    """``manager.emit(event, args, namespace, room=room)`` for a tuple ``args`` of JSON data
    and no callback. A pub/sub manager's bus message is the one ``PubSubManager.emit`` makes,
    delivered here (where the manager serves clients) and published, as it does both."""
    if not isinstance(manager, socketio.PubSubManager):
        return manager.emit(event, args, namespace, room=room)
    message = {'method': 'emit', 'event': event, 'data': list(args), 'binary': False,
               'namespace': namespace, 'room': room, 'skip_sid': None, 'callback': None,
               'host_id': manager.host_id}
    if manager.server is not None:
        manager._handle_emit(message)
    manager._publish(message)
