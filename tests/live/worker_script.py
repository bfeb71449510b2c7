"""A worker that uses the live TODO app's models and nothing else of it: no TurboGears
config, no Socket.IO served. ``python -m tests.live.worker_script DB_PATH BACKEND LIST TEXT...``
commits one row per TEXT in one transaction."""
import sys

import sqlalchemy as sa
import transaction

from tests.sample_apps.live_todos import DB, Base, Todo
from tgext.socketio import live

if __name__ == '__main__':
    path, backend, list_id, *texts = sys.argv[1:]
    engine = sa.create_engine('sqlite:///%s' % path, connect_args={'timeout': 30})
    Base.metadata.create_all(engine)
    DB.configure(bind=engine)
    live.configure(backend=backend)
    with transaction.manager:
        for text in texts:
            DB.add(Todo(list_id=int(list_id), text=text))
    print('committed %d' % len(texts))
