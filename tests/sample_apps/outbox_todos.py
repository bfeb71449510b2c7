"""A @live TODO model with the transactional outbox on, served to Socket.IO subscribers.

Run as a server: ``python -m tests.sample_apps.outbox_todos --port N --backend URL``;
``OUTBOX_DB_URL`` is the SQLAlchemy URL of the database (a SQLite file or a PostgreSQL
database shared with the writers of ``tests/live/outbox_writer.py``), ``OUTBOX_LEASE``
and ``OUTBOX_INTERVAL`` the relay's ``socketio.outbox.lease`` and ``.interval``.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker  # noqa: E402
from tg import MinimalApplicationConfigurator, TGController, expose  # noqa: E402
from tg.configurator.components.transactions import (  # noqa: E402
    TransactionManagerConfigurationComponent)
from zope.sqlalchemy import register  # noqa: E402

import tgext.socketio  # noqa: E402
from tgext.socketio import PubSubNamespace, SocketIOController  # noqa: E402
from tgext.socketio.live import live  # noqa: E402

Base = declarative_base()
DB = scoped_session(sessionmaker())
register(DB)


@live(channel='todos-{list_id}', fields=('id', 'text'), namespace='/todos')
class Todo(Base):
    __tablename__ = 'outbox_todos'
    id = sa.Column(sa.Integer, primary_key=True)
    list_id = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(sa.String(200), nullable=False)


def engine_for(url):
    """The engine of ``url``; SQLite in WAL mode, so that the processes sharing it wait little."""
    if not url.startswith('sqlite'):
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={'timeout': 30})

    @event.listens_for(engine, 'connect')
    def _wal(connection, record):
        connection.execute('PRAGMA journal_mode=WAL')
    return engine


class TodoNamespace(PubSubNamespace):
    def subscribe_todos(self, list_id):
        return 'todos-%d' % int(list_id)


class SocketIO(SocketIOController):
    todos = TodoNamespace


class RootController(TGController):
    socketio = SocketIO()

    @expose('json')
    def add(self, text, list_id='1'):
        todo = Todo(text=text, list_id=int(list_id))
        DB.add(todo)
        DB.flush()
        return dict(id=todo.id)


def make_app(global_conf=None, **app_conf):
    engine = engine_for(os.environ['OUTBOX_DB_URL'])
    Base.metadata.create_all(engine)
    DB.configure(bind=engine)
    config = MinimalApplicationConfigurator()
    config.register(TransactionManagerConfigurationComponent)
    config.update_blueprint({
        'root_controller': RootController(),
        'tm.enabled': True,
        'use_sqlalchemy': True,
        'DBSession': DB,
        'socketio.outbox': True,
        'socketio.outbox.lease': float(os.environ.get('OUTBOX_LEASE', 1)),
        'socketio.outbox.interval': float(os.environ.get('OUTBOX_INTERVAL', 0.2)),
    })
    tgext.socketio.plugme(config)
    return config.make_wsgi_app({}, dict(app_conf))


if __name__ == '__main__':
    from examples.configuration import run
    run(make_app)
