"""Ordered, per-connection execution of a client's events.

Events of one client must run in the order they were sent, while different
clients run concurrently. A greenlet per event (python-socketio's default)
loses the order and costs a spawn per message; a mailbox keeps one worker
greenlet alive only while the client has work queued.
"""
import collections
import logging

import gevent

log = logging.getLogger(__name__)


class Mailbox:
    """A FIFO of jobs drained by at most one greenlet at a time."""

    def __init__(self):
        self._jobs = collections.deque()
        self._worker = None
        self._closed = False

    def put(self, job, *args):
        """Queue ``job(*args)``; it runs after every job queued before it."""
        if self._closed:
            return
        self._jobs.append((job, args))
        if self._worker is None:
            self._worker = gevent.spawn(self._drain)

    def close(self):
        """Drop queued jobs; a job already running finishes."""
        self._closed = True
        self._jobs.clear()

    def _drain(self):
        try:
            while self._jobs:
                job, args = self._jobs.popleft()
                try:
                    job(*args)
                except Exception:
                    log.exception('Unhandled error in connection job %r', job)
        finally:
            self._worker = None
