"""``mongodb://``: fan-out through a capped collection tailed by every server.

Each message is a document appended to the capped collection named after the
channel (in the URL's database, ``tgext_socketio`` by default); each server
follows it with a tailable-await cursor. A cursor that dies (empty
collection, server restart) is reopened after the last message seen.
"""
import collections
import datetime
import time

import socketio
from bson import ObjectId

from . import PublishError

_SEEN_MEMORY = 10000
_REOPEN_WINDOW = datetime.timedelta(seconds=5)


class MongoManager(socketio.PubSubManager):
    """A python-socketio pub/sub manager on a MongoDB capped collection."""

    name = 'mongodb'
    capped_size = 16 * 1024 * 1024

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        import pymongo
        super().__init__(channel=channel, write_only=write_only)
        self._pymongo = pymongo
        self.client = pymongo.MongoClient(url, serverSelectionTimeoutMS=2000,
                                          connectTimeoutMS=2000)
        database = self.client.get_default_database(default='tgext_socketio')
        self.collection = database[channel]
        self._collection_ready = False  # again after any error: the server may be new

    def _ensure_collection(self):
        if self._collection_ready:
            return
        database = self.collection.database
        if self.collection.name not in database.list_collection_names():
            try:
                database.create_collection(self.collection.name, capped=True,
                                           size=self.capped_size)
            except self._pymongo.errors.CollectionInvalid:
                pass  # another server created it first
        self._collection_ready = True

    def _publish(self, data):
        try:
            self._ensure_collection()
            self.collection.insert_one({'message': data})
        except self._pymongo.errors.PyMongoError as exc:
            self._collection_ready = False
            raise PublishError('cannot publish to MongoDB: %s' % exc) from exc

    def _listen(self):
        seen = _RecentIds(_SEEN_MEMORY)
        since = None
        retry_sleep = 0.1
        while True:
            try:
                self._ensure_collection()
                if since is None:  # first start: skip what was published before it
                    since = ObjectId.from_datetime(_utcnow() - _REOPEN_WINDOW)
                    for document in self.collection.find({'_id': {'$gte': since}}, {'_id': 1}):
                        seen.add(document['_id'])
                cursor = self.collection.find(
                    {'_id': {'$gte': since}},
                    cursor_type=self._pymongo.CursorType.TAILABLE_AWAIT)
                for document in cursor:
                    retry_sleep = 0.1
                    if seen.add(document['_id']):
                        since = ObjectId.from_datetime(
                            document['_id'].generation_time - _REOPEN_WINDOW)
                        yield document['message']
                time.sleep(retry_sleep)  # the cursor died: empty collection
            except self._pymongo.errors.PyMongoError as exc:
                self._collection_ready = False
                self._get_logger().error('Cannot receive from MongoDB (%s), retrying in %s s',
                                         exc, retry_sleep)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 5)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class _RecentIds:
    """The last ``size`` ids seen, to skip documents read again on reopening."""

    def __init__(self, size):
        self._order = collections.deque()
        self._ids = set()
        self._size = size

    def add(self, document_id):
        """Remember ``document_id``; False if it was already remembered."""
        if document_id in self._ids:
            return False
        if len(self._order) == self._size:
            self._ids.discard(self._order.popleft())
        self._order.append(document_id)
        self._ids.add(document_id)
        return True
