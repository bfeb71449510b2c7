"""Live models: committed changes become keyed deltas on their channels, and nothing else.

A TurboGears app under the transaction manager, SQLite through zope.sqlalchemy
(as a quickstarted app has it), a subscriber speaking the real protocol.
"""
import subprocess

import pytest
import sqlalchemy as sa
import transaction
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker
from tg import MinimalApplicationConfigurator, TGController, expose
from zope.sqlalchemy import register

import tgext.socketio
from tgext.socketio import PubSubNamespace, SocketIOController
from tgext.socketio.live import live, rows
from tgext.socketio.testing import SocketIOTestClient
from tests.helpers import PYTHON, ROOT, app_with_database

Base = declarative_base()
DB = scoped_session(sessionmaker())
register(DB)


@live(channel='todos-{list_id}', fields=('id', 'text', 'done'), namespace='/todos')
class Todo(Base):
    __tablename__ = 'todos'
    id = sa.Column(sa.Integer, primary_key=True)
    list_id = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(sa.String(100), nullable=False)
    done = sa.Column(sa.Boolean, nullable=False, default=False)
    note = sa.Column(sa.String(100))  # private: never published


class Todos(PubSubNamespace):
    def subscribe_todos(self, list_id):
        return 'todos-%d' % int(list_id)


class Realtime(SocketIOController):
    todos = Todos


class Root(TGController):
    socketio = Realtime()

    @expose('json')
    def add(self, text, list_id='1', fail=''):
        DB.add(Todo(text=text, list_id=int(list_id)))
        DB.flush()
        if fail:
            raise RuntimeError('the action fails after its write')
        return {}

    @expose('json')
    def first_paint(self, list_id='1'):
        found = rows(DB.query(Todo).filter_by(list_id=int(list_id)).order_by(Todo.id),
                     'todos-%s' % list_id)
        return {'rows': list(found), 'position': found.position, 'channel': found.channel,
                'key': found.key}


@pytest.fixture
def app(tmp_path):
    with app_with_database(Root(), Base.metadata, DB, tmp_path / 'todos.db') as app:
        yield app


@pytest.fixture
def lists(app):
    """Subscribers of lists 1 and 2."""
    clients = {}
    for list_id in (1, 2):
        client = clients[list_id] = SocketIOTestClient(app, namespaces=['/todos'])
        assert client.call('subscribe', 'todos', list_id, namespace='/todos') == \
            'todos-%d' % list_id
    yield clients
    for client in clients.values():
        client.disconnect()


def received(client):
    client.call('unsubscribe', 'nothing', namespace='/todos')  # a round trip: all sent is here
    return [event['args'][0] for event in client.get_received('/todos')
            if event['name'] == 'publication']


def test_a_committed_insert_is_one_upsert_of_the_public_fields(app, lists):
    app.get('/add', params={'text': 'milk'})
    [publication] = received(lists[1])
    assert publication == {'live': [{'model': 'Todo', 'key': 'id', 'delete': [],
                                     'upsert': [{'id': 1, 'text': 'milk', 'done': False}]}]}
    assert received(lists[2]) == []


def test_a_rolled_back_write_publishes_nothing(app, lists):
    with pytest.raises(RuntimeError):
        app.get('/add', params={'text': 'ghost', 'fail': '1'})
    with pytest.raises(RuntimeError), transaction.manager:
        DB.add(Todo(text='script ghost', list_id=1))
        DB.flush()
        raise RuntimeError('the script fails before its commit')
    assert received(lists[1]) == []


def test_a_burst_in_one_commit_is_one_publication_per_channel(app, lists):
    with transaction.manager:
        DB.add_all([Todo(text='item %d' % n, list_id=1 + n % 2) for n in range(1000)])
    [one] = received(lists[1])
    [two] = received(lists[2])
    assert len(one['live'][0]['upsert']) == len(two['live'][0]['upsert']) == 500


def test_updates_publish_the_row_once_and_private_changes_publish_nothing(app, lists):
    with transaction.manager:
        DB.add(Todo(text='milk', list_id=1))
    received(lists[1])
    with transaction.manager:
        todo = DB.query(Todo).one()
        todo.done = True
        DB.flush()
        todo.text = 'oat milk'
    with transaction.manager:
        DB.query(Todo).one().note = 'private'
    [publication] = received(lists[1])
    assert publication['live'][0]['upsert'] == [{'id': 1, 'text': 'oat milk', 'done': True}]


def test_a_row_that_moves_is_a_delete_on_the_old_channel_and_an_upsert_on_the_new(app, lists):
    with transaction.manager:
        DB.add(Todo(text='milk', list_id=1))
    received(lists[1])
    with transaction.manager:
        DB.query(Todo).one().list_id = 2
    [left] = received(lists[1])
    [arrived] = received(lists[2])
    assert (left['live'][0]['delete'], left['live'][0]['upsert']) == ([1], [])
    assert arrived['live'][0]['upsert'] == [{'id': 1, 'text': 'milk', 'done': False}]


def test_deletes_and_a_savepoint_rolled_back(app, lists):
    with transaction.manager:
        DB.add_all([Todo(text='keep', list_id=1), Todo(text='drop', list_id=1)])
    received(lists[1])
    with transaction.manager:
        DB.delete(DB.query(Todo).filter_by(text='drop').one())
        savepoint = DB.begin_nested()
        DB.add(Todo(text='undone', list_id=1))
        DB.flush()
        savepoint.rollback()
    [publication] = received(lists[1])
    assert (publication['live'][0]['delete'], publication['live'][0]['upsert']) == ([2], [])


def test_bulk_statements_send_a_refresh_of_the_channels_they_touched(app, lists):
    with transaction.manager:
        DB.add_all([Todo(text='a', list_id=1), Todo(text='b', list_id=2)])
    received(lists[1]), received(lists[2])
    with transaction.manager:
        DB.query(Todo).filter(Todo.list_id == 1).update({'done': True})
    assert received(lists[1]) == [{'live': [{'model': 'Todo', 'refresh': True}]}]
    assert received(lists[2]) == []
    with transaction.manager:
        DB.execute(sa.update(Todo).where(Todo.text == 'b').values(list_id=1))
    assert received(lists[1]) == received(lists[2]) == [
        {'live': [{'model': 'Todo', 'refresh': True}]}]
    with transaction.manager:
        DB.execute(sa.delete(Todo))
    assert received(lists[1]) == [{'live': [{'model': 'Todo', 'refresh': True}]}]


def test_the_first_paint_takes_the_position_before_the_rows(app, lists):
    app.get('/add', params={'text': 'milk'})
    first = app.get('/first_paint').json
    assert first['rows'] == [{'id': 1, 'text': 'milk', 'done': False}]
    assert (first['channel'], first['key']) == ('todos-1', 'id')
    assert first['position']['offset'] == 1
    app.get('/add', params={'text': 'eggs'})
    replay = lists[1].call('recover', first['position'], 'todos', 1, namespace='/todos')
    assert [data['live'][0]['upsert'] for data, _ in replay['publications']] == [
        [{'id': 2, 'text': 'eggs', 'done': False}]]


#: A script (or `gearbox tgshell`) that loads the app and commits a live row: it serves nobody.
SCRIPT = """
import sys
import sqlalchemy as sa
import transaction
from tg import MinimalApplicationConfigurator
import tgext.socketio
from tests.live.test_live_models import DB, Base, Root, Todo
engine = sa.create_engine('sqlite:///' + sys.argv[1])
Base.metadata.create_all(engine)
DB.configure(bind=engine)
config = MinimalApplicationConfigurator()
config.update_blueprint({'root_controller': Root()})
tgext.socketio.plugme(config)
config.make_wsgi_app()
with transaction.manager:
    DB.add(Todo(text='lost', list_id=1))
"""


def test_a_process_that_cannot_publish_fails_the_commit_loudly(tmp_path):
    """memory:// in a process that serves no client (a script, `gearbox tgshell`)."""
    path = tmp_path / 'todos.db'
    script = subprocess.run([PYTHON, '-c', SCRIPT, str(path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert script.returncode != 0
    assert 'PublishError' in script.stderr and 'memory://' in script.stderr
    engine = sa.create_engine('sqlite:///%s' % path)
    with engine.connect() as connection:  # nothing was committed
        assert connection.execute(sa.text('SELECT count(*) FROM todos')).scalar() == 0
    engine.dispose()


def test_a_commit_outside_a_request_goes_through_the_app_that_serves(app, lists):
    """The quickstart's test harness makes the app (load_app), then a second one to set the
    database up (setup_app): a test's own commit still reaches the first app's clients."""
    second = MinimalApplicationConfigurator()
    second.update_blueprint({'root_controller': Root()})
    tgext.socketio.plugme(second)
    second.make_wsgi_app()  # the process config is the second app's now
    with transaction.manager:  # a test's own fixture row, outside any request
        DB.add(Todo(text='fixture', list_id=1))
    [publication] = received(lists[1])
    assert publication['live'][0]['upsert'][0]['text'] == 'fixture'
