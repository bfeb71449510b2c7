"""Telling a server's ``publication_delivered`` hook when publications reach its clients
(see :mod:`tgext.socketio.namespaces.hooks`)."""
import socketio

from .publishing import ROOM_PREFIX


def report_deliveries(server, hooks):
    """Call ``hooks.publication_delivered`` when a publication reaches ``server``'s clients.

    Publications reach a server's clients where its manager delivers locally: a
    pub/sub manager's ``_handle_emit`` (each message of the bus), any other
    manager's ``emit``. Wrapped on the manager instance; nothing more is done
    while nobody listens.
    """
    manager = server.manager
    distributed = isinstance(manager, socketio.PubSubManager)
    deliver = manager._handle_emit if distributed else manager.emit

    def _handle_emit(message):
        if hooks.publication_delivered:
            _tell(server, hooks, message.get('event'), message.get('data'),
                  message.get('namespace'), message.get('room'))
        return deliver(message)

    def emit(event, data, namespace, room=None, skip_sid=None, callback=None, to=None,
             **kwargs):
        if hooks.publication_delivered:
            _tell(server, hooks, event, data, namespace, to or room)
        return deliver(event, data, namespace, room=room, skip_sid=skip_sid,
                       callback=callback, to=to, **kwargs)

    if distributed:
        manager._handle_emit = _handle_emit
    else:
        manager.emit = emit


def _tell(server, hooks, event, data, namespace, room):
    """Tell ``hooks`` of an emit that is a publication to one of ``server``'s namespaces."""
    if (namespace in server.namespace_handlers
            and isinstance(room, str) and room.startswith(ROOM_PREFIX)
            and isinstance(data, (list, tuple)) and len(data) == 3
            and isinstance(data[2], dict) and 'offset' in data[2]):
        hooks.call('publication_delivered', namespace, event, data[0], data[1], data[2])
