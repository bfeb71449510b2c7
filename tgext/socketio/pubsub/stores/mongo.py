"""History in MongoDB: a counter document per channel, and the publications in a collection.

In the URL's database (``tgext_socketio`` by default), next to the bus's
capped collection ``<bus channel>``:

- ``<bus channel>.history.meta``: ``{_id: channel, e: epoch, o: last offset, x: expiry}``;
  a publication takes its offset with one ``find_one_and_update`` (``$inc``),
  atomic across processes, after creating the document if missing (an upsert
  that ``$setOnInsert``s a new random epoch; see :meth:`MongoHistory._next`
  for why not one upserting ``$inc``). A channel whose counter document
  vanished (a dropped database, a server restarted without its data) starts
  over with a new epoch.
- ``<bus channel>.history``: ``{c: channel, o: offset, e: epoch, t: time, x: expiry,
  d: data}`` indexed on ``(c, o)``; ``d`` is the JSON text, as the Redis store keeps it
  (what clients receive, whatever BSON could not hold). Each append deletes
  the channel's entries beyond its size, older than its age, or of an
  older epoch; reads ignore what is too old, too far back or of another epoch.

Expiry, as in Redis, needs no new write: an entry's ``x`` is its time plus its
channel's age, a counter's a day past that (published to again, the channel starts
a new epoch). Every serving (monkey-patched) process deletes what is past its ``x``
every :data:`~.sweeping.EXPIRE_EVERY` seconds (:meth:`MongoHistory.expire`), and ``x``
has a TTL index, so MongoDB's own TTL monitor (once a minute) deletes it where no
server runs.

Unlike Redis's Lua script, taking the offset and inserting the entry are two
operations: a reader may see a later publication of another process before an
earlier one is inserted. A reader that finds such a hole reads again shortly;
a hole that stays (the insert failed, and the publisher got a PublishError)
makes recovery across it answer ``recovered: False``.
"""
import json
import logging
import time
import uuid
from datetime import datetime, timezone

import gevent.monkey

from ..backends import PublishError
from ..backends.mongo import mongo_client
from . import position
from .sweeping import EXPIRE_EVERY, sweep_every

log = logging.getLogger(__name__)

_HOLE_RETRIES = (0.02, 0.05, 0.1)  # seconds to wait for an insert in flight
_COUNTER_OUTLIVES = 86400  # seconds a counter is kept past its channel's age, as in Redis


def _date(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc)


class MongoHistory:
    """Each channel's recent publications in a MongoDB collection."""

    keeps_history = True
    encodes_json = True

    def __init__(self, url, bus_channel='tgext.socketio'):
        import pymongo
        self._pymongo = pymongo
        self.client = mongo_client(pymongo, url)
        database = self.client.get_default_database(default='tgext_socketio')
        self.entries = database[bus_channel + '.history']
        self.meta = database[bus_channel + '.history.meta']
        self._indexed = False
        self._sweep_failed = False
        if gevent.monkey.is_module_patched('socket'):  # else its blocking I/O would stall gevent
            sweep_every(EXPIRE_EVERY, self, MongoHistory.expire)

    def _ensure_index(self):
        if not self._indexed:
            self.entries.create_index([('c', 1), ('o', 1)])
            for collection in (self.entries, self.meta):
                collection.create_index('x', expireAfterSeconds=0)
            self._indexed = True

    def expire(self):
        """Delete the entries and counters past their expiry."""
        now = _date(time.time())
        try:
            for collection in (self.entries, self.meta):
                collection.delete_many({'x': {'$lt': now}})
        except self._pymongo.errors.PyMongoError as exc:
            if not self._sweep_failed:  # once until a sweep works again
                log.warning('cannot delete expired MongoDB history (retrying every %s s): %s',
                            EXPIRE_EVERY, exc)
            self._sweep_failed = True
        else:
            self._sweep_failed = False

    def _next(self, channel, expiry):
        """The channel's counter document after taking one offset.

        Not one upserting ``find_one_and_update``: SecantusDB answers None (no
        document, no error) to one of two concurrent upserts of a new channel, its
        ``$inc`` applied, so that offset would be lost to its publisher. So the
        offset is taken from an existing document, which, when missing, is first
        created by an upsert that only ``$setOnInsert``s a new epoch (harmless
        when concurrent: one creates it, the others change nothing).
        """
        for _ in range(3):
            meta = self.meta.find_one_and_update(
                {'_id': channel}, {'$inc': {'o': 1}, '$set': {'x': _date(expiry)}},
                return_document=self._pymongo.ReturnDocument.AFTER)
            if meta is not None:
                return meta
            try:
                self.meta.update_one({'_id': channel}, {'$setOnInsert': {
                    'e': uuid.uuid4().hex[:12], 'o': 0}}, upsert=True)
            except self._pymongo.errors.DuplicateKeyError:
                pass  # another publisher created it first (MongoDB)
        raise self._pymongo.errors.OperationFailure(
            'the counter of channel %r vanished three times' % channel)

    def append(self, channel, data, size, seconds):
        """Record ``data`` on ``channel``; its position."""
        now = time.time()
        text = json.dumps(data, allow_nan=False)
        try:
            meta = self._next(channel, now + seconds + _COUNTER_OUTLIVES)
            epoch, offset = meta['e'], meta['o']
            if offset == 1:  # a new epoch: the database may be new too
                self._indexed = False
            self._ensure_index()
            if size:
                self.entries.insert_one({'c': channel, 'o': offset, 'e': epoch, 't': now,
                                         'x': _date(now + seconds), 'd': text})
            self.entries.delete_many({'c': channel, '$or': [
                {'o': {'$lte': offset - size}}, {'t': {'$lt': now - seconds}},
                {'e': {'$ne': epoch}}]})
        except self._pymongo.errors.PyMongoError as exc:
            self._indexed = False
            raise PublishError('cannot publish to MongoDB (recording the publication): %s' % exc) from exc
        return position(epoch, offset)

    def top(self, channel):
        """The position of the last publication on ``channel``."""
        meta = self.meta.find_one({'_id': channel}) or {}
        return position(meta.get('e'), int(meta.get('o', 0)))

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        """``(publications, recovered)`` after position ``after`` (or time ``after_time``),
        as :meth:`~tgext.socketio.pubsub.stores.memory.MemoryHistory.since`."""
        for wait in _HOLE_RETRIES + (None,):
            publications, recovered, hole = self._since(channel, after, after_time, size,
                                                        seconds, limit)
            if not hole or wait is None:
                return publications, recovered
            time.sleep(wait)

    def _since(self, channel, after, after_time, size, seconds, limit):
        """``(publications, recovered, hole)``: ``hole`` when an entry that should be
        kept is missing while later ones are there (an insert may be in flight)."""
        meta = self.meta.find_one({'_id': channel}) or {}
        epoch, top = meta.get('e'), int(meta.get('o', 0))
        kept_query = {'c': channel, 'e': epoch, 'o': {'$gt': top - size},
                      't': {'$gte': time.time() - seconds}}
        if after is not None:
            if epoch is None:  # nothing published since the database began
                return [], not after.get('offset'), False
            if after.get('epoch') is None and not after.get('offset'):
                after = position(epoch, 0)  # subscribed before the channel's first publication
            if after.get('epoch') != epoch:
                return [], False, False
            query = dict(kept_query, o={'$gt': max(top - size, after['offset'])})
            kept = self._find(query, limit)
            first_needed = after['offset'] + 1
            recovered = top <= after['offset'] or bool(kept) and kept[0][0] == first_needed
            hole = bool(kept) and not recovered and first_needed > top - size
        else:
            oldest = self._find(kept_query, 1)
            kept = self._find(dict(kept_query, t=dict(kept_query['t'], **{'$gt': after_time})),
                              limit)
            if oldest:  # all kept since after_time, or nothing was ever dropped
                recovered = oldest[0][1] <= after_time or oldest[0][0] == 1
            else:  # nothing kept: never used, or expired, so older than its age
                recovered = top == 0 or time.time() - after_time <= seconds
            hole = False
        hole = hole or any(later[0] != earlier[0] + 1 for earlier, later in zip(kept, kept[1:]))
        return ([(json.loads(data), position(epoch, offset)) for offset, _, data in kept],
                recovered, hole)

    def _find(self, query, limit):
        cursor = self.entries.find(query, {'_id': 0, 'o': 1, 't': 1, 'd': 1}).sort('o', 1)
        if limit:
            cursor = cursor.limit(limit)
        return [(entry['o'], entry['t'], entry['d']) for entry in cursor]
