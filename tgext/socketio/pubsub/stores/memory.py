"""History kept in the process: the memory backend's, and positions without history.

Every ``EXPIRE_EVERY`` seconds a timer drops what is older than its channel's age
limit, and forgets a channel whose last publication is that old: its buffer and
counter are freed, and the C allocator is asked to give the freed pages back to the
system (glibc's ``malloc_trim``: without it, thousands of small buffers freed among
live objects keep the process's RSS up). A channel published to again after that
starts over in a new epoch (``<store epoch>.<n>``), as a store that lost its history
does.
"""
import collections
import ctypes
import ctypes.util
import threading
import time
import uuid

from . import position
from .sweeping import EXPIRE_EVERY, sweep_every


class _Stream:
    __slots__ = ('epoch', 'offset', 'entries', 'dropped_time', 'seconds', 'last_time')

    def __init__(self, epoch):
        self.epoch = epoch
        self.offset = 0
        self.entries = collections.deque()  # (offset, time, data)
        self.dropped_time = None  # when the newest entry no longer kept was published
        self.seconds = 0.0        # the channel's age limit, as last published with
        self.last_time = 0.0      # when it was last published to


class MemoryHistory:
    """Each channel's recent publications in a ring buffer of this process."""

    keeps_history = True
    #: Whether append() encodes the data as JSON (NaN refused) before anything is sent.
    encodes_json = False

    def __init__(self, url='memory://', bus_channel=None):
        self.epoch = uuid.uuid4().hex[:12]
        self._streams = {}
        self._forgotten = 0  # channels forgotten so far: new ones get a new epoch after one
        self._forgotten_time = None  # the newest publication time of a forgotten channel
        self._lock = threading.Lock()
        sweep_every(EXPIRE_EVERY, self, _expire_and_trim)

    def _epoch_of_new(self):
        return '%s.%d' % (self.epoch, self._forgotten) if self._forgotten else self.epoch

    def append(self, channel, data, size, seconds):
        """Record ``data`` on ``channel``; its position."""
        now = time.time()
        with self._lock:
            stream = self._streams.get(channel)
            if stream is None:
                stream = self._streams[channel] = _Stream(self._epoch_of_new())
            stream.offset += 1
            stream.seconds, stream.last_time = seconds, now
            if size and self.keeps_history:
                stream.entries.append((stream.offset, now, data))
            self._trim(stream, size, seconds, now)
            return position(stream.epoch, stream.offset)

    def top(self, channel):
        """The position of the last publication on ``channel``."""
        stream = self._streams.get(channel)
        return position(stream.epoch, stream.offset) if stream else position(
            self._epoch_of_new(), 0)

    def expire(self, now=None):
        """Drop what is older than its channel's age, and forget channels that old; whether
        anything was dropped."""
        now = time.time() if now is None else now
        dropped = False
        with self._lock:
            forgotten = 0
            for channel, stream in list(self._streams.items()):
                kept = len(stream.entries)
                self._trim(stream, kept, stream.seconds, now)
                dropped = dropped or len(stream.entries) < kept
                if not stream.entries and now - stream.last_time > stream.seconds:
                    del self._streams[channel]
                    dropped = True
                    forgotten += 1
                    self._forgotten_time = max(self._forgotten_time or 0.0, stream.last_time)
            self._forgotten += forgotten
            if forgotten > len(self._streams):  # a dict keeps its size: copy what is left
                self._streams = dict(self._streams)
        return dropped

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        """``(publications, recovered)`` after position ``after`` (or time ``after_time``).

        Publications are ``(data, position)`` in order; ``recovered`` is False
        when some of what followed is no longer kept (or the epoch changed).
        """
        with self._lock:
            stream = self._streams.get(channel)
            if stream is None:  # never published to, or forgotten: nothing kept
                if after is not None:
                    return [], not after.get('offset') or (
                        after.get('epoch') == self.epoch and not self._forgotten)
                return [], self._forgotten_time is None or self._forgotten_time <= after_time
            self._trim(stream, size, seconds, time.time())
            if after is not None:
                if after.get('epoch') != stream.epoch and after.get('offset'):
                    return [], False
                kept = [entry for entry in stream.entries if entry[0] > after['offset']]
                first_needed = after['offset'] + 1
                recovered = (stream.offset < first_needed
                             or bool(kept) and kept[0][0] == first_needed)
            else:
                kept = [entry for entry in stream.entries if entry[1] > after_time]
                recovered = stream.dropped_time is None or stream.dropped_time <= after_time
            kept = kept[:limit] if limit else kept
            return [(data, position(stream.epoch, offset)) for offset, _, data in kept], recovered

    @staticmethod
    def _trim(stream, size, seconds, now):
        entries = stream.entries
        while entries and (len(entries) > size or now - entries[0][1] > seconds):
            stream.dropped_time = entries.popleft()[1]


def _glibc():
    path = ctypes.util.find_library('c')
    library = ctypes.CDLL(path) if path else None
    return library if hasattr(library, 'malloc_trim') else None


_LIBC = _glibc()


def _expire_and_trim(store):
    if store.expire() and _LIBC is not None:
        _LIBC.malloc_trim(0)


class ProcessPositions(MemoryHistory):
    """Positions from the publishing process, no history (a bus that keeps none)."""

    keeps_history = False

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        return [], False
