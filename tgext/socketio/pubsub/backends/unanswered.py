"""A publish the backend may have carried out without saying so: seen through, not raised.

When a backend dies between doing a write and answering it, the publisher
cannot tell whether the write happened. Raising then would break the promise
that a publish that raised is never delivered: the backend, restarted with
its data, delivers it. So a backend's writer tells two failures apart:

- :class:`NotSent`: the backend surely did nothing (the connection was
  refused, no server was found, no connection was free): the publish raises
  at once;
- :class:`Unanswered`: the write went out and no answer came back: it is sent
  again, flagged as a retry, until the backend answers or ``patience``
  seconds pass. A retried write must be idempotent: bus messages carry an id
  their readers deliver once, and a history append looks for the publication
  before appending it.
"""
import collections
import time

#: Seconds a publish whose answer was lost keeps trying to learn its outcome.
PATIENCE = 10


class NotSent(Exception):
    """The backend could not be reached: the write did not happen."""


class Unanswered(Exception):
    """The backend may have done the write; its answer was lost."""


def until_answered(attempt, patience=PATIENCE, pause=0.1):
    """The result of ``attempt(retry=False)``, or of ``attempt(retry=True)`` run again
    after an attempt raised :class:`Unanswered` (see the module's docstring)."""
    deadline = None
    while True:
        try:
            return attempt(retry=deadline is not None)
        except NotSent:
            if deadline is None:
                raise
            last = Unanswered('the backend did not come back within %s s' % patience)
        except Unanswered as exc:
            last = exc
            deadline = deadline or time.monotonic() + patience
        if time.monotonic() >= deadline:
            raise last
        time.sleep(pause)


class RecentIds:
    """The last ``size`` message ids seen, so that a publish sent again (or read again after
    a reconnection) is delivered once."""

    def __init__(self, size):
        self._order = collections.deque()
        self._ids = set()
        self._size = size

    def add(self, message_id):
        """Remember ``message_id``; False if it was already remembered (None: never)."""
        if message_id is None:
            return True
        if message_id in self._ids:
            return False
        if len(self._order) == self._size:
            self._ids.discard(self._order.popleft())
        self._order.append(message_id)
        self._ids.add(message_id)
        return True
