"""mongodb://: the listener resumes after a restart that lost the capped collection.

An in-memory SecantusDB comes back empty after a kill: the first insert after
the restart creates an ordinary collection, on which no tailable cursor opens.
Before the fix the listener retried that tailable cursor forever and its
process never received anything again.
"""
import threading
import time

from tests import servers
from tgext.socketio.pubsub.backends.mongo import MongoManager


def test_the_listener_resumes_after_an_in_memory_server_restarts_empty():
    mongo = servers.Mongo(durable=False)
    if mongo.external:
        mongo.close()
        return
    listener = MongoManager(mongo.url)
    writer = MongoManager(mongo.url, write_only=True)
    received, published, failed = [], [], []
    threading.Thread(target=lambda: [received.append(message['n'])
                                     for message in listener._listen()], daemon=True).start()
    try:
        deadline = time.monotonic() + 10
        while not received:  # the listener is tailing
            assert time.monotonic() < deadline
            writer._publish({'n': -1})
            time.sleep(0.1)

        def stream():
            for number in range(150):
                try:
                    writer._publish({'n': number})
                    published.append(number)
                except Exception:
                    failed.append(number)
                time.sleep(0.05)

        thread = threading.Thread(target=stream)
        thread.start()
        time.sleep(2)
        mongo.kill()
        time.sleep(1)
        mongo.start()
        after_restart = len(published) + len(failed)  # started once the server was back
        thread.join(60)
        deadline = time.monotonic() + 20
        while received[-1:] != published[-1:] and time.monotonic() < deadline:
            time.sleep(0.05)
        numbers = [number for number in received if number >= 0]
        assert numbers == sorted(set(numbers)), 'duplicates or disorder'
        assert not set(numbers) & set(failed)
        missing = [n for n in published if n >= after_restart and n not in numbers]
        assert not missing, 'published after the restart, never received: %s' % missing[:20]
        assert published[-1] in numbers
    finally:
        mongo.close()


def test_the_listener_reads_an_ordinary_collection_an_insert_created():
    """The race the publishers' check cannot close: an insert reached a server that came
    back empty and created an ordinary collection. The listener converts it where the
    server can, else (SecantusDB: no convertToCapped) reads it by polling, in order."""
    import pymongo
    mongo = servers.Mongo(durable=False)
    if mongo.external:
        mongo.close()
        return
    try:
        collection = pymongo.MongoClient(mongo.url).get_default_database()['tgext.socketio']
        collection.insert_one({'message': {'n': 'made by an insert'}})
        assert not collection.options().get('capped')
        listener = MongoManager(mongo.url)
        writer = MongoManager(mongo.url, write_only=True)
        received = []
        threading.Thread(target=lambda: [received.append(message['n'])
                                         for message in listener._listen()],
                         daemon=True).start()
        time.sleep(0.5)
        for number in range(50):
            writer._publish({'n': number})
        deadline = time.monotonic() + 10
        while received[-1:] != [49] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert received[-50:] == list(range(50)), received
        assert len(received) <= 51  # the older document at most, once
    finally:
        mongo.close()
