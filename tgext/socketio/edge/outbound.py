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
import collections
import time

from gevent.event import Event
from gevent.queue import Empty

#: The copies of a packet the server holds while it is being made or written.
COPIES = 3


class OutboundQueue:
    """A client's packet queue that knows how many bytes wait in it (``bytes``).

    What python-engineio asks of gevent's ``JoinableQueue`` (``put``, ``get`` raising
    ``gevent.queue.Empty``, ``task_done``, ``join``, ``qsize``) in one deque: the
    events a transport waits on exist only while it waits (an idle WebSocket's
    writer never does, see :mod:`.fastlane`).
    """

    def __init__(self):
        self.queue = collections.deque()
        self.on_put = None  # called after each put (a WebSocket's lane wakes its writer)
        self.bytes = 0
        self.in_hand = 0  # taken by the transport, not yet known to be written
        self.largest = 0  # the largest packet put in since the queue was last empty
        self._arrived = None  # set by the next put, while a transport waits for one
        self._unfinished = 0  # put and not yet marked done (python-engineio joins)
        self._all_done = None  # set once nothing is unfinished, while someone joins

    def qsize(self):
        return len(self.queue)

    def put(self, item, block=True, timeout=None):
        size = size_of(item)
        self.bytes += size
        self.largest = max(self.largest, size)
        self.queue.append(item)
        self._unfinished += 1
        if self._arrived is not None:
            self._arrived.set()
        if self.on_put is not None:
            self.on_put()

    def get(self, block=True, timeout=None):
        if block:  # the transport wrote what it took before
            self.written()
            self._wait_for_one(timeout)
        elif not self.queue:
            raise Empty()
        item = self.queue.popleft()
        size = size_of(item)
        self.in_hand += size
        self.bytes += (COPIES - 1) * size
        return item

    def _wait_for_one(self, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.queue:
            if self._arrived is None or self._arrived.is_set():
                self._arrived = Event()
            arrived = self._arrived
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0 or not arrived.wait(left):
                raise Empty()
        self._arrived = None

    def task_done(self):
        self._unfinished -= 1
        self._tell_if_all_done()

    def _tell_if_all_done(self):
        if self._unfinished <= 0 and self._all_done is not None:
            self._all_done.set()

    def join(self, timeout=None):
        """Wait until every item put was marked done."""
        if self._unfinished > 0:
            if self._all_done is None:
                self._all_done = Event()
            self._all_done.wait(timeout)

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
        self._unfinished -= len(self.queue)
        self.queue.clear()
        self.bytes = COPIES * self.in_hand
        self._tell_if_all_done()


def size_of(eio_packet):
    """The bytes of an Engine.IO packet's payload (0 for the queue's ``None`` sentinel)."""
    data = getattr(eio_packet, 'data', None)
    return len(data) if isinstance(data, (str, bytes)) else 0
