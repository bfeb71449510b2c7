"""Ordered, per-connection execution of a client's events.

Events of one client must run in the order they were sent, while different
clients run concurrently. A greenlet per event (python-socketio's default)
loses the order and costs a spawn per message; a mailbox has one worker
greenlet that drains it, and lingers briefly for the next event before it
exits, so an active client reuses one greenlet and an idle one holds none
(:class:`~tgext.socketio.edge.linger.Linger`).
"""
import collections
import logging

import gevent

from ..edge.linger import Linger

log = logging.getLogger(__name__)


class Mailbox:
    """A FIFO of jobs drained by at most one greenlet at a time.

    An idle mailbox holds no queue, event or greenlet: it is part of every
    connection, and most connections are idle most of the time.
    """

    __slots__ = ('_jobs', '_linger', '_worker', '_closed', 'weight', '_next_weight')

    #: Seconds an idle worker waits for the next job before it exits: long enough for
    #: an active client's next event, short enough that one-off events (thousands of
    #: subscriptions at once) leave no timers behind.
    linger = 0.1

    def __init__(self):
        self._jobs = None  # a deque, while a worker runs
        self._linger = None  # the worker's wait for the next job, while a worker runs
        self._worker = None
        self._closed = False
        self.weight = 0  # the sum of the weights of the waiting jobs (bytes, for the server)
        self._next_weight = 0

    def put(self, job, *args):
        """Queue ``job(*args)``; it runs after every job queued before it."""
        if self._closed:
            return
        if self._worker is None:
            self._jobs = collections.deque()
            self._linger = Linger(self.linger)
            self._worker = gevent.spawn(self._drain, self._jobs, self._linger)
        weight, self._next_weight = self._next_weight, 0
        self.weight += weight
        self._jobs.append((job, args, weight))
        self._linger.wake()

    def weigh_next(self, weight):
        """Count ``weight`` in :attr:`weight` for the next job put, while it waits."""
        self._next_weight = weight

    def __len__(self):
        """Jobs waiting to run."""
        return len(self._jobs) if self._jobs is not None else 0

    def clear(self):
        """Drop the jobs waiting to run; later ones are still accepted."""
        if self._jobs is not None:
            self._jobs.clear()
        self.weight = 0

    def close(self):
        """Drop queued jobs and let the worker go; a job already running finishes."""
        self._closed = True
        if self._worker is not None:
            self._jobs.clear()
            self._linger.wake()
        self.weight = 0

    def _drain(self, jobs, linger):
        try:
            while True:
                while jobs:
                    job, args, weight = jobs.popleft()
                    self.weight -= weight
                    try:
                        job(*args)
                    except Exception:
                        log.exception('Unhandled error in connection job %r', job)
                if self._closed:
                    return
                if not linger.wait() and not jobs:
                    return
        finally:
            linger.close()
            self._worker = self._jobs = self._linger = None
