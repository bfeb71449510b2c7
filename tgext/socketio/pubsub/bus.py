"""Messages of tgext.socketio's own between server processes, on the pub/sub bus itself.

Presence tables, health probes and cluster queries travel on the same bus
(Redis channel, RabbitMQ exchange, MongoDB collection) as python-socketio's
emits, so they work on every backend, a third-party one included. They are
dicts ``{'method': 'tgext', 'kind': KIND, 'host_id': ..., 'pid': ..., 'hostname': ...}``.

python-socketio's ``PubSubManager._thread`` reads the bus through the
manager's ``_listen()`` generator and drops any ``method`` it does not know.
:func:`attach` wraps ``_listen`` *on the manager instance*: the wrapper takes
our messages out of the stream and hands them to handlers by ``kind``, and
passes everything else on untouched. ``_listen`` (and ``_publish``) are the
two methods python-socketio asks every backend to implement, so this holds
across backends and across python-socketio's own refactorings of ``_thread``;
``tests/pubsub/test_presence.py::test_bus_hook_still_sees_our_messages`` fails loudly
if ``_thread`` stops reading ``self._listen()``.

On ``memory://`` (no bus) published messages are handed to the handlers at once.
"""
import logging
import os
import socket
import time

import gevent
import gevent.queue
import socketio

log = logging.getLogger(__name__)

#: ``method`` of our bus messages (python-socketio ignores unknown methods).
METHOD = 'tgext'
_MARKER = b'"tgext"'
#: Sent with every message, with the pid: which process a server (host id) lives in.
HOSTNAME = socket.gethostname()


class Bus:
    """The custom-message side of one python-socketio server's manager."""

    def __init__(self, server):
        self.server = server
        self.manager = server.manager
        self.host_id = getattr(self.manager, 'host_id', None) or id(self.manager)
        self.handlers = {}        # kind -> [callable(message)]
        self.distributed = isinstance(self.manager, socketio.PubSubManager)
        self.listening = False    # the manager's listener runs (set by start())
        self._outbox = None
        self._on_start = []
        self.publish_errors = 0

    def on(self, kind, handler):
        """Call ``handler(message)`` for each bus message of ``kind`` (own ones included)."""
        self.handlers.setdefault(kind, []).append(handler)

    def when_started(self, function):
        """Run ``function()`` once the process listens to the bus (now if it does)."""
        if self.listening:
            function()
        else:
            self._on_start.append(function)

    def start(self):
        """The manager's listener has started: start sending, run what waited for it."""
        if self.listening:
            return
        self.listening = True
        if self.distributed:
            self._outbox = gevent.queue.Queue()
            gevent.spawn(self._send_loop)
        for function in self._on_start:
            function()
        self._on_start = []

    def publish(self, kind, **payload):
        """Send a message of ``kind`` to every process (this one included), without blocking.

        Messages of one process leave in the order they were published, from one
        greenlet. Without a listening bus they go to this process's handlers only.
        """
        message = dict(payload, method=METHOD, kind=kind, host_id=self.host_id,
                       sent=time.time(), pid=os.getpid(), hostname=HOSTNAME)
        if not self.distributed:
            self.dispatch(message)
        elif self._outbox is not None:
            self._outbox.put(message)
        else:  # a process that does not listen: nobody to tell (see app.endpoint._listen)
            self.dispatch(message)

    def _send_loop(self):
        while True:
            message = self._outbox.get()
            try:
                self.manager._publish(message)
            except Exception as exc:
                self.publish_errors += 1
                log.warning('Cannot publish %s to the bus: %s', message.get('kind'), exc)

    def dispatch(self, message):
        for handler in self.handlers.get(message.get('kind'), ()):
            try:
                handler(message)
            except Exception:
                log.exception('Error handling bus message %r', message.get('kind'))

    def wrap_listen(self):
        """Take our messages out of what ``manager._listen()`` yields (see module doc)."""
        original = self.manager._listen
        bus = self

        def _listen():
            for message in original():
                ours = decode(bus.manager, message)
                if ours is None:
                    yield message
                else:
                    bus.dispatch(ours)
        self.manager._listen = _listen

def decode(manager, message):
    """``message`` of ``manager``'s bus as our dict, or None if it is python-socketio's."""
    if isinstance(message, dict):
        return message if message.get('method') == METHOD else None
    raw = message.encode('utf-8') if isinstance(message, str) else message
    if not isinstance(raw, (bytes, bytearray)) or _MARKER not in raw:
        return None  # cheap: python-socketio's messages are parsed once, by it
    try:
        data = manager.json.loads(message)
    except Exception:
        return None
    if isinstance(data, dict) and data.get('method') == METHOD:
        return data
    return None


def attach(server):
    """Give ``server`` a :class:`Bus` (``server.tgext_bus``), before its listener starts."""
    bus = server.tgext_bus = Bus(server)
    if bus.distributed and not server.manager.write_only:
        bus.wrap_listen()
    return bus


def of(server):
    """The Bus of ``server``, or None."""
    return getattr(server, 'tgext_bus', None)
