"""What waits for one client, counted in bytes.

python-engineio queues each client's packets in a queue of its own, which its
transport drains: a poll takes what is there and answers with it, a WebSocket's
writer takes what is there and writes it. What it took is still held until it is
written, so it stays counted until the transport comes back for more (the next
blocking ``get``): :attr:`OutboundQueue.bytes` is what is queued plus what is
being written, the latter ``COPIES`` times: a packet being written is also held as
its encoded payload and its frame (a poll's body, a WebSocket message), as one
being made is as its JSON text and its packet.

A packet is weighed once it is made, which is when it already takes that room: so
while a backlog waits, a client is also refused the next packet when the room left
could not hold one as large as the largest of that backlog
(:attr:`OutboundQueue.largest`, forgotten each time the transport finds the queue
empty).
"""
from gevent.queue import JoinableQueue

#: The copies of a packet the server holds while it is being made or written.
COPIES = 3


class OutboundQueue(JoinableQueue):
    """A client's packet queue that knows how many bytes wait in it (``bytes``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_put = None  # called after each put (a WebSocket's lane wakes its writer)
        self.bytes = 0
        self.in_hand = 0  # taken by the transport, not yet known to be written
        self.largest = 0  # the largest packet put in since the queue was last empty

    def put(self, item, block=True, timeout=None):
        size = size_of(item)
        self.bytes += size
        self.largest = max(self.largest, size)
        super().put(item, block, timeout)
        if self.on_put is not None:
            self.on_put()

    def get(self, block=True, timeout=None):
        if block:  # the transport wrote what it took before
            self.written()
        item = super().get(block, timeout)
        size = size_of(item)
        self.in_hand += size
        self.bytes += (COPIES - 1) * size
        return item

    def take_all(self):
        """Everything queued, taken by a writer (up to the ``None`` that ends a session)."""
        taken = []
        while self.queue and (not taken or taken[-1] is not None):
            taken.append(self.get(block=False))
            self.task_done()
        return taken

    def written(self):
        """What the transport took is written."""
        self.bytes -= COPIES * self.in_hand
        self.in_hand = 0
        if not self.queue:
            self.largest = 0

    def drop_queued(self):
        """Free what is queued now (what is being written cannot be taken back)."""
        self.queue.clear()
        self.bytes = COPIES * self.in_hand


def size_of(eio_packet):
    """The bytes of an Engine.IO packet's payload (0 for the queue's ``None`` sentinel)."""
    data = getattr(eio_packet, 'data', None)
    return len(data) if isinstance(data, (str, bytes)) else 0
