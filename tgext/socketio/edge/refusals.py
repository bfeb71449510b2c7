"""One warning line per kind of refused or malformed input, at most every ``INTERVAL`` s.

A client can send refused input as fast as it likes; the log must not grow as fast. The
first of a kind is logged at once, the next one after the interval says how many were
not logged meanwhile. Never a traceback.
"""
import logging
import time

#: Seconds between two lines of one kind.
INTERVAL = 10.0

log = logging.getLogger('tgext.socketio.refusals')

_last = {}     # kind -> time of its last line
_skipped = {}  # kind -> refusals not logged since


def note(kind, message, *args):
    """Log ``message % args`` as a refusal of ``kind``, unless one was logged lately."""
    now = time.monotonic()
    last = _last.get(kind)
    if last is not None and now - last < INTERVAL:
        _skipped[kind] = _skipped.get(kind, 0) + 1
        return
    _last[kind] = now
    skipped = _skipped.pop(kind, 0)
    if skipped:
        log.warning('Refused (%s): ' + message + ' (and %d more in %.0f s)', kind, *args,
                    skipped, now - last)
    else:
        log.warning('Refused (%s): ' + message, kind, *args)
