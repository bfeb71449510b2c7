"""Live data: committed database changes reach every open view by themselves.

A SQLAlchemy model declared with :func:`live` publishes keyed deltas of its
rows on their channels after each commit (never on rollback, one publication
per channel per transaction); :func:`rows` reads a channel's rows for a first
paint, position first, so that a view replaying the deltas after it neither
doubles nor misses a row. The wire contract is in :mod:`.deltas`.

May use: edge, namespaces, pubsub.
"""
from .declaration import configure, live
from .snapshot import LiveRows, rows

__all__ = ['LiveRows', 'configure', 'live', 'rows']
