"""History kept in the process: the memory backend's, and positions without history."""
import collections
import threading
import time
import uuid

from . import position


class _Stream:
    __slots__ = ('offset', 'entries', 'dropped_time')

    def __init__(self):
        self.offset = 0
        self.entries = collections.deque()  # (offset, time, data)
        self.dropped_time = None  # when the newest entry no longer kept was published


class MemoryHistory:
    """Each channel's recent publications in a ring buffer of this process."""

    keeps_history = True

    def __init__(self, url='memory://', bus_channel=None):
        self.epoch = uuid.uuid4().hex[:12]
        self._streams = {}
        self._lock = threading.Lock()

    def append(self, channel, data, size, seconds):
        """Record ``data`` on ``channel``; its position."""
        now = time.time()
        with self._lock:
            stream = self._streams.setdefault(channel, _Stream())
            stream.offset += 1
            if size and self.keeps_history:
                stream.entries.append((stream.offset, now, data))
            self._trim(stream, size, seconds, now)
            return position(self.epoch, stream.offset)

    def top(self, channel):
        """The position of the last publication on ``channel``."""
        stream = self._streams.get(channel)
        return position(self.epoch, stream.offset if stream else 0)

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        """``(publications, recovered)`` after position ``after`` (or time ``after_time``).

        Publications are ``(data, position)`` in order; ``recovered`` is False
        when some of what followed is no longer kept (or the epoch changed).
        """
        with self._lock:
            stream = self._streams.get(channel) or _Stream()
            self._trim(stream, size, seconds, time.time())
            if after is not None:
                if after.get('epoch') != self.epoch and not (stream.offset == 0
                                                            and not after.get('offset')):
                    return [], False
                kept = [entry for entry in stream.entries if entry[0] > after['offset']]
                first_needed = after['offset'] + 1
                recovered = (stream.offset < first_needed
                             or bool(kept) and kept[0][0] == first_needed)
            else:
                kept = [entry for entry in stream.entries if entry[1] > after_time]
                recovered = stream.dropped_time is None or stream.dropped_time <= after_time
            kept = kept[:limit] if limit else kept
            return [(data, position(self.epoch, offset)) for offset, _, data in kept], recovered

    @staticmethod
    def _trim(stream, size, seconds, now):
        entries = stream.entries
        while entries and (len(entries) > size or now - entries[0][1] > seconds):
            stream.dropped_time = entries.popleft()[1]


class ProcessPositions(MemoryHistory):
    """Positions from the publishing process, no history (a bus that keeps none)."""

    keeps_history = False

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        return [], False
