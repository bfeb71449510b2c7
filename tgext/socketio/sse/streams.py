"""The open event streams of one server, fed by its ``publication_delivered`` and
``presence_told`` hooks.

Each publication that reaches the server is encoded once and offered to the
streams of its channel; a stream keeps what it has not written yet, up to
``max_queued`` events: beyond that its client does not read (or reads too
slowly), and the stream is ended with an ``error`` event, its queue dropped, as
a slow Socket.IO client is. The hub listens to the hook only while a stream is
open: with none, publications cost nothing more.
"""
import collections

import gevent.event

from ..namespaces import hooks
from ..pubsub.presence import DIFF_EVENT
from . import wire


class Stream:
    """One client's stream: its channels, their last positions, what waits to be written."""

    def __init__(self, namespace, channels, address, max_queued):
        self.namespace = namespace
        self.address = address
        self.positions = dict.fromkeys(channels)  # channel -> last position written
        self.max_queued = max_queued
        self.overflowed = False
        self._pending = collections.deque()
        self._wakeup = gevent.event.Event()

    def offer(self, event, payload_json, channel, position=None):
        """A publication (or, with no position, a presence change) for this stream; never
        blocks: the bus listener calls it."""
        if self.overflowed:
            return
        if len(self._pending) >= self.max_queued:
            self.overflowed = True
            self._pending.clear()
        else:
            self._pending.append((event, payload_json, channel, position))
        self._wakeup.set()

    def resume(self, channel, position):
        """``channel`` was replayed up to ``position``: what is queued up to it is skipped."""
        self.positions[channel] = position

    def chunks(self, keepalive):
        """The stream's bytes as they come, with a comment every ``keepalive`` seconds."""
        while True:
            if not self._pending and not self.overflowed:
                self._wakeup.clear()
                if not self._wakeup.wait(keepalive):
                    yield wire.KEEPALIVE
                    continue
            if self.overflowed:
                yield wire.control('error', {
                    'name': 'slow_consumer',
                    'message': 'more than %d events waited for this stream: reconnect with '
                               'Last-Event-ID to resume' % self.max_queued})
                return
            chunk = self.written(*self._pending.popleft())
            if chunk is not None:
                yield chunk

    def written(self, event, payload_json, channel, position):
        """The bytes of one publication, or None if it was already written (replayed)."""
        if position is None:  # a presence change: no position to resume from
            return wire.event(event, payload_json)
        last = self.positions.get(channel)
        if (last is not None and last.get('epoch') == position.get('epoch')
                and position['offset'] <= last['offset']):
            return None
        self.positions[channel] = position
        return wire.event(event, payload_json, wire.event_id(self.positions))


class Hub:
    """The streams of one server, by ``(namespace, channel)``."""

    def __init__(self, server):
        self.server = server
        self._streams = {}
        self._per_address = collections.Counter()

    def open_count(self, address):
        return self._per_address[address]

    def add(self, stream):
        if not self._streams:
            server_hooks = hooks.of(self.server)
            server_hooks.add('publication_delivered', self.deliver)
            server_hooks.add('presence_told', self.tell_presence)
        for channel in stream.positions:
            self._streams.setdefault((stream.namespace, channel), set()).add(stream)
        self._per_address[stream.address] += 1

    def remove(self, stream):
        for channel in stream.positions:
            streams = self._streams.get((stream.namespace, channel))
            if streams is not None:
                streams.discard(stream)
                if not streams:
                    del self._streams[(stream.namespace, channel)]
        self._per_address[stream.address] -= 1
        if self._per_address[stream.address] <= 0:
            del self._per_address[stream.address]
        if not self._streams:
            server_hooks = hooks.of(self.server)
            server_hooks.remove('publication_delivered', self.deliver)
            server_hooks.remove('presence_told', self.tell_presence)

    def deliver(self, namespace, event, data, channel, position):
        """The hook's listener: offer a publication to the streams of its channel."""
        streams = self._streams.get((namespace, channel))
        if streams:
            payload_json = wire.json_text(data)  # once for all of them
            for stream in list(streams):
                stream.offer(event, payload_json, channel, position)


    def tell_presence(self, namespace, diff, channel):
        """The hook's listener: members joined and left a presence channel of streams."""
        streams = self._streams.get((namespace, channel))
        if streams:
            payload_json = wire.json_text({'channel': channel, **diff})
            for stream in list(streams):
                stream.offer(DIFF_EVENT, payload_json, channel)


def hub_of(server):
    """The :class:`Hub` of ``server``, made on first use."""
    hub = getattr(server, 'tgext_sse', None)
    if hub is None:
        hub = server.tgext_sse = Hub(server)
    return hub
