"""What waits for one client, counted in bytes.

python-engineio queues each client's packets in a queue of its own, which its
transport drains: a poll takes what is there and answers with it, a WebSocket's
writer takes what is there and writes it. What it took is still held until it is
written, so it stays counted until the transport comes back for more (the next
blocking ``get``): :attr:`OutboundQueue.bytes` is what is queued plus what is
being written.
"""
from gevent.queue import JoinableQueue


class OutboundQueue(JoinableQueue):
    """A client's packet queue that knows how many bytes wait in it (``bytes``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bytes = 0
        self.in_hand = 0  # taken by the transport, not yet known to be written

    def put(self, item, block=True, timeout=None):
        self.bytes += size_of(item)
        super().put(item, block, timeout)

    def get(self, block=True, timeout=None):
        if block:  # the transport wrote what it took before
            self.bytes -= self.in_hand
            self.in_hand = 0
        item = super().get(block, timeout)
        self.in_hand += size_of(item)
        return item

    def drop_queued(self):
        """Free what is queued now (what is being written cannot be taken back)."""
        self.queue.clear()
        self.bytes = self.in_hand


def size_of(eio_packet):
    """The bytes of an Engine.IO packet's payload (0 for the queue's ``None`` sentinel)."""
    data = getattr(eio_packet, 'data', None)
    return len(data) if isinstance(data, (str, bytes)) else 0
