"""The bridge from one python-socketio namespace to per-connection objects.

python-socketio keeps one handler object per namespace for all clients; the
bridge is that object. It makes a :class:`SocketIONamespace` instance for
each connection, runs the connection's events in order in its mailbox,
inside the TurboGears context of the connection's handshake, and reports
failures to the client as ``error`` events. Connections opened and closed and
events received are told to the server's :mod:`.hooks`.
"""
import logging

import socketio
from socketio import packet

from ..edge.middleware import HANDOFF
from . import dispatch, tgcontext
from .base import event_handlers
from .errors import (InternalError, InvalidMethodArgs, MethodAccessDenied, NoSuchMethod,
                     SocketIOError, shown)
from .mailbox import Mailbox

log = logging.getLogger(__name__)

#: Environ key holding the handshake payload while ``allow_only`` is checked.
AUTH = 'tgext.socketio.auth'


class _Connection:
    __slots__ = ('instance', 'tg_locals', 'mailbox')

    def __init__(self, instance, tg_locals):
        self.instance = instance
        self.tg_locals = tg_locals
        self.mailbox = Mailbox()


class NamespaceBridge(socketio.Namespace):
    """Serves the namespace ``path`` with instances of ``namespace_class``."""

    def __init__(self, path, namespace_class, runtime, hooks):
        super().__init__(path)
        self.namespace_class = namespace_class
        self.runtime = runtime
        self.error_event = runtime.error_event  # also what the server's refusals are called
        self.hooks = hooks
        self.connections = {}

    def mailbox_of(self, sid):
        """The mailbox of connection ``sid``'s events, or None if it is not connected."""
        connection = self.connections.get(sid)
        return None if connection is None else connection.mailbox

    def trigger_event(self, event, sid, *args):
        """Called by python-socketio for connect and disconnect only."""
        if event == 'connect':
            return self._connect(sid, *args)
        if event == 'disconnect':
            return self._disconnect(sid, *args)
        return self.server.not_handled

    def receive(self, sid, ack_id, data):
        """Queue a client event ``data`` (``[name, *args]``) in its mailbox."""
        connection = self.connections.get(sid)
        if connection is not None:
            if self.hooks.event_received:
                self.hooks.call('event_received', connection.instance, data)
            connection.mailbox.put(self._answer, connection, ack_id, data)

    def _connect(self, sid, environ, auth=None):
        handoff = environ.get(HANDOFF)
        if handoff is None or handoff.tg_locals is None:
            raise socketio.exceptions.ConnectionRefusedError(
                'handshake did not go through TurboGears')
        tg_locals = handoff.tg_locals
        with tgcontext.pushed(tg_locals):
            try:
                allow_only = self.namespace_class.allow_only
                if allow_only is not None:  # checked on a copy of the environ, with the auth
                    dispatch.check_predicate(allow_only,
                                             dict(tg_locals.request.environ, **{AUTH: auth}))
                instance = self.namespace_class(self.server, self.namespace, sid,
                                                tg_locals.request, auth=auth)
                held = _hold_emits(instance)
                with self.runtime.unit_of_work():
                    instance.on_connect()
            except MethodAccessDenied as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
            except socketio.exceptions.ConnectionRefusedError:
                raise
            except Exception:
                log.exception('Error connecting to %s', self.namespace)
                raise socketio.exceptions.ConnectionRefusedError(
                    'Internal server error') from None
        connection = self.connections[sid] = _Connection(instance, tg_locals)
        del instance.emit
        if held:  # python-socketio confirms the connection when we return; these follow
            connection.mailbox.put(_send_held, instance, held)
        if self.hooks.connection_opened:  # errors logged: the client is connected now
            self.hooks.call('connection_opened', instance)
        return True

    def _disconnect(self, sid, reason=None):
        connection = self.connections.pop(sid, None)
        if connection is not None:
            connection.mailbox.put(self._finish, connection, reason)

    def _finish(self, connection, reason):
        connection.mailbox.close()
        if self.hooks.connection_closed:  # after its last event
            self.hooks.call('connection_closed', connection.instance)
        try:
            with tgcontext.pushed(connection.tg_locals), self.runtime.unit_of_work():
                connection.instance.on_disconnect(reason)
        finally:
            connection.instance._kill_greenlets()

    def _answer(self, connection, ack_id, data):
        result = self._run(connection, data)
        if ack_id is not None:
            self._ack(connection.instance.sid, ack_id, result)

    def _run(self, connection, data):
        instance = connection.instance
        with tgcontext.pushed(connection.tg_locals):
            try:
                with self.runtime.unit_of_work():
                    method = self._handler(instance, data)
                    return dispatch.call(method, data[1:], instance.request.environ)
            except SocketIOError as error:
                payload = error.payload()
            except Exception:
                log.exception('Error dispatching %s in %s', shown(data[:1]), self.namespace)
                payload = InternalError('Internal server error').payload()
        instance.emit(self.runtime.error_event, payload)
        return {'error': payload}

    def _handler(self, instance, data):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise InvalidMethodArgs('an event is a list that starts with its name')
        event = data[0]
        name = event_handlers(type(instance)).get(event)
        if name is None:
            raise NoSuchMethod('no handler for event %r' % shown(event), event=shown(event))
        return getattr(instance, name)

    def _ack(self, sid, ack_id, result):
        if result is None:
            args = []
        elif isinstance(result, tuple):
            args = list(result)
        else:
            args = [result]
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        if eio_sid is not None:
            self.server._send_packet(eio_sid, self.server.packet_class(
                packet.ACK, namespace=self.namespace, id=ack_id, data=args))


def _hold_emits(instance):
    """Keep what ``instance.emit`` sends until the connection is confirmed, as node does."""
    held = []
    instance.emit = lambda *args, **kwargs: held.append((args, kwargs))
    return held


def _send_held(instance, held):
    for args, kwargs in held:
        instance.emit(*args, **kwargs)
