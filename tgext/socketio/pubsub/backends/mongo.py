"""``mongodb://``: fan-out through a capped collection tailed by every server.

Each message is a document appended to the capped collection named after the
channel (in the URL's database, ``tgext_socketio`` by default); each server
follows it with a tailable-await cursor. A cursor that dies (empty
collection, server restart) is reopened after the last message seen. Each
document carries its publish's id ``u``: a publish inserted again after a
lost answer (see :mod:`.unanswered`) is read once.

A MongoDB that restarts without its data (an in-memory server) has lost the
capped collection, and the first insert after the restart would silently
create an ordinary one, on which no tailable cursor can be opened. So a
publisher checks the collection again whenever its connection pool was
cleared (the server went away), and a listener that finds an ordinary
collection converts it to a capped one (``convertToCapped``) or, where the
server cannot (SecantusDB), reads it by polling until it can tail again.
"""
import datetime
import time
import uuid

import socketio
from bson import ObjectId

from . import PublishError
from .unanswered import PATIENCE, NotSent, RecentIds, Unanswered, until_answered

_SEEN_MEMORY = 10000
_REOPEN_WINDOW = datetime.timedelta(seconds=5)


def mongo_client(pymongo, url, **options):
    """A client of ``url`` that fails fast and journals every write (``j: true``): a write
    MongoDB acknowledged survives a kill -9 of the server, so an accepted publish is not lost."""
    return pymongo.MongoClient(url, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000,
                               journal=True, **options)


class MongoManager(socketio.PubSubManager):
    """A python-socketio pub/sub manager on a MongoDB capped collection."""

    name = 'mongodb'
    capped_size = 16 * 1024 * 1024
    unanswered_patience = PATIENCE  # seconds, see :mod:`.unanswered`

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        import pymongo
        import pymongo.monitoring
        super().__init__(channel=channel, write_only=write_only)
        self._pymongo = pymongo
        self._collection_ready = False  # again after any error: the server may be new
        self.client = mongo_client(pymongo, url,
                                   event_listeners=[_pool_cleared_listener(pymongo, self)])
        database = self.client.get_default_database(default='tgext_socketio')
        self.collection = database[channel]

    def _ensure_collection(self):
        """Before publishing: create the capped collection if it is missing."""
        if not self._collection_ready:
            self._create_capped()
            self._collection_ready = True

    def _create_capped(self):
        """Create the capped collection if missing; True if the collection is capped."""
        database = self.collection.database
        info = list(database.list_collections(filter={'name': self.collection.name}))
        if not info:
            try:
                database.create_collection(self.collection.name, capped=True,
                                           size=self.capped_size)
            except self._pymongo.errors.CollectionInvalid:
                pass  # another server created it first
            info = list(database.list_collections(filter={'name': self.collection.name}))
        return bool(info and info[0].get('options', {}).get('capped'))

    def _convert_to_capped(self):
        """Turn an ordinary collection (made by an insert) into a capped one, keeping
        its documents in order; False where the server cannot (SecantusDB)."""
        try:
            self.collection.database.command('convertToCapped', self.collection.name,
                                             size=self.capped_size)
        except self._pymongo.errors.OperationFailure as exc:
            self._get_logger().warning(
                'MongoDB collection %s is not capped and cannot be converted (%s): '
                'reading it by polling', self.collection.full_name, exc)
            return False
        return True

    def _publish(self, data):
        message_id = uuid.uuid4().hex  # the same for every retry of this publish
        try:
            until_answered(lambda retry: self._insert(data, message_id),
                           self.unanswered_patience)
        except (NotSent, Unanswered, self._pymongo.errors.PyMongoError) as exc:
            self._collection_ready = False
            raise PublishError('cannot publish to MongoDB: %s' % exc) from exc

    def _insert(self, data, message_id):
        """Insert the message: :class:`.NotSent` when no server was found, :class:`.Unanswered`
        when the connection failed (MongoDB may have the document)."""
        errors = self._pymongo.errors
        try:
            self._ensure_collection()
            self.collection.insert_one({'u': message_id, 'message': data})
        except errors.ServerSelectionTimeoutError as exc:
            raise NotSent(exc) from exc
        except errors.ConnectionFailure as exc:
            self._collection_ready = False
            raise Unanswered(exc) from exc

    def _listen(self):
        seen = RecentIds(_SEEN_MEMORY)
        since = None
        tailable = None  # unknown: check (and create or convert) the collection
        retry_sleep = 0.1
        while True:
            try:
                if since is None:  # first start: skip what was published before it
                    since = ObjectId.from_datetime(_utcnow() - _REOPEN_WINDOW)
                    for document in self.collection.find({'_id': {'$gte': since}},
                                                         {'_id': 1, 'u': 1}):
                        seen.add(_message_id(document))
                if tailable is None:
                    tailable = self._create_capped() or self._convert_to_capped()
                elif not tailable:  # polling: the collection may be capped again
                    tailable = self._create_capped()
                if tailable:
                    cursor = self.collection.find(
                        {'_id': {'$gte': since}},
                        cursor_type=self._pymongo.CursorType.TAILABLE_AWAIT)
                else:  # an ordinary collection: poll it in insertion order
                    cursor = self.collection.find({'_id': {'$gte': since}}).sort(
                        '$natural', 1)
                for document in cursor:
                    retry_sleep = 0.1
                    if seen.add(_message_id(document)):
                        since = ObjectId.from_datetime(
                            document['_id'].generation_time - _REOPEN_WINDOW)
                        yield document['message']
                time.sleep(0.1)  # the cursor died (empty collection) or the poll is done
            except self._pymongo.errors.PyMongoError as exc:
                tailable = None
                self._collection_ready = False
                self._get_logger().error('Cannot receive from MongoDB (%s), retrying in %s s',
                                         exc, retry_sleep)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 5)


def _pool_cleared_listener(pymongo, manager):
    """A pool listener marking ``manager``'s collection unchecked whenever the server
    went away: it may come back empty, and the next insert would create an ordinary
    collection."""
    events = pymongo.monitoring.ConnectionPoolListener
    ignored = {name: (lambda self, event: None) for name in dir(events)
               if name.startswith(('pool_', 'connection_'))}

    def pool_cleared(self, event):
        manager._collection_ready = False

    return type('PoolCleared', (events,), {**ignored, 'pool_cleared': pool_cleared})()


def _message_id(document):
    """The id of a publish: inserted again after a lost answer, it is one message."""
    return document.get('u', document['_id'])


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)
