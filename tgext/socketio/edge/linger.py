"""How a worker greenlet waits a moment for its next job before it ends.

An active client's events, or its WebSocket's messages, reuse one greenlet; an idle client
holds none. One timer serves the worker's whole life, and a wait is a
:class:`gevent.hub.Waiter`: a ``gevent.event.Event`` wait would make a ``Timeout`` and link
and unlink the greenlet for each job.
"""
import gevent
from gevent.hub import Waiter


class Linger:
    """A worker's wait for its next job, given up after ``seconds``."""

    __slots__ = ('timer', 'waiter')

    def __init__(self, seconds):
        self.timer = gevent.get_hub().loop.timer(seconds)
        self.waiter = None  # while the worker waits

    def wait(self):
        """True once woken (:meth:`wake`), False if the seconds ran out first."""
        waiter = self.waiter = Waiter()
        self.timer.start(self.wake, False)
        try:
            return waiter.get()
        finally:
            self.timer.stop()
            if self.waiter is waiter:  # killed while it waited
                self.waiter = None

    def wake(self, woken=True):
        """Resume the worker with ``woken`` if it waits (from the hub or a greenlet);
        whether it waited."""
        waiter, self.waiter = self.waiter, None
        if waiter is None:
            return False
        if gevent.getcurrent() is waiter.hub:
            waiter.switch(woken)
        else:
            waiter.hub.loop.run_callback(waiter.switch, woken)
        return True

    def close(self):
        """Free the timer: the worker ends."""
        self.timer.close()
