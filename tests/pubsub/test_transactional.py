"""Publishing is tied to the transaction: sent when it commits, never when it aborts.

Real TurboGears apps under the transaction manager with SQLite, spoken to with
the in-process client: an action, a socket handler, a script's transaction.
"""
import subprocess

import pytest
import sqlalchemy as sa
import transaction
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker
from tg import MinimalApplicationConfigurator, TGController, expose
from zope.sqlalchemy import register

import tgext.socketio
from tgext.socketio import PendingPublication, PubSubNamespace, SocketIOController, publish
from tgext.socketio.testing import SocketIOTestClient
from tests.helpers import PYTHON, ROOT, app_with_database

Base = declarative_base()
DB = scoped_session(sessionmaker())
register(DB)


class Item(Base):
    __tablename__ = 'items'
    id = sa.Column(sa.Integer, primary_key=True)
    text = sa.Column(sa.String(50), nullable=False)


def add_and_publish(text, fail):
    DB.add(Item(text=text))
    DB.flush()
    returned = publish('items', {'text': text}, namespace='/items')
    if fail:
        raise RuntimeError('after the publish, before the commit')
    return returned


class Items(PubSubNamespace):
    def subscribe_items(self):
        return 'items'

    def on_add(self, text, fail=False):
        returned = self.publish('items', {'text': text, 'via': 'self.publish'})
        add_and_publish(text, fail)
        return repr(returned)

    def on_add_now(self, text):
        self.publish('items', {'text': text, 'now': True}, immediate=True)
        raise RuntimeError('aborts, but the publication had left')


class Realtime(SocketIOController):
    items = Items


class Root(TGController):
    socketio = Realtime()

    @expose('json')
    def add(self, text, fail=''):
        returned = add_and_publish(text, bool(fail))
        return {'returned': repr(returned)}


@pytest.fixture
def app(tmp_path):
    with app_with_database(Root(), Base.metadata, DB, tmp_path / 'items.db') as app:
        yield app


def subscriber(app):
    client = SocketIOTestClient(app, namespaces=['/items'])
    assert client.call('subscribe', 'items', namespace='/items') == 'items'
    return client


def publications(client):
    client.call('subscribe', 'items', namespace='/items')  # a round trip: all sent is here
    return [event['args'][0] for event in client.get_received('/items')
            if event['name'] == 'publication']


def texts():
    DB.remove()
    return [item.text for item in DB.query(Item).order_by(Item.id)]


def test_an_action_that_raises_after_publishing_publishes_nothing(app):
    with subscriber(app) as client:
        with pytest.raises(RuntimeError):  # a 500 page, behind the error middleware
            app.get('/add', params={'text': 'ghost', 'fail': '1'})
        app.get('/add', params={'text': 'kept'})
        assert publications(client) == [{'text': 'kept'}]
    assert texts() == ['kept']


def test_inside_an_action_publish_returns_a_pending_publication(app):
    assert 'PendingPublication' in app.get('/add', params={'text': 'one'}).json['returned']


def test_a_handler_that_raises_after_publishing_publishes_nothing(app):
    with subscriber(app) as client:
        answer = client.call('add', 'ghost', True, namespace='/items')
        assert answer['error']['name'] == 'internal_error'
        client.call('add', 'kept', namespace='/items')
        assert publications(client) == [{'text': 'kept', 'via': 'self.publish'},
                                        {'text': 'kept'}]  # in call order
    assert texts() == ['kept']


def test_immediate_sends_at_once_even_inside_a_transaction(app):
    with subscriber(app) as client:
        client.call('add_now', 'early', namespace='/items')
        assert publications(client) == [{'text': 'early', 'now': True}]


def test_a_scripts_transaction_sends_on_commit_in_order_and_drops_on_abort(app):
    with subscriber(app) as client:
        with transaction.manager:
            first = add_and_publish('first', False)
            second = add_and_publish('second', False)
            assert isinstance(first, PendingPublication) and first.state == 'pending'
        assert (first.state, second.state) == ('sent', 'sent')
        assert second.position['offset'] == first.position['offset'] + 1
        with pytest.raises(RuntimeError), transaction.manager:
            dropped = add_and_publish('dropped', False)
            raise RuntimeError('the script fails before its commit')
        assert dropped.state == 'aborted' and dropped.position is None
        assert publications(client) == [{'text': 'first'}, {'text': 'second'}]


def test_outside_a_transaction_publish_sends_at_once_and_returns_the_position(app):
    with subscriber(app) as client:
        position = publish('items', {'text': 'now'}, namespace='/items')
        assert set(position) == {'epoch', 'offset'}
        assert publications(client) == [{'text': 'now'}]


def test_a_handler_publishes_through_the_app_serving_it_when_another_was_made(app):
    """The quickstart's test harness makes two apps (load_app, then setup_app)."""
    with subscriber(app) as client:
        other = MinimalApplicationConfigurator()
        other.update_blueprint({'root_controller': Root()})
        tgext.socketio.plugme(other)
        other.make_wsgi_app()  # the process config is now the other app's
        client.call('add', 'here', namespace='/items')
        assert publications(client) == [{'text': 'here', 'via': 'self.publish'},
                                        {'text': 'here'}]


#: A script (or `gearbox tgshell`) that loads the app and publishes: it serves nobody.
SCRIPT = """
from tg import MinimalApplicationConfigurator
import tgext.socketio
from tests.pubsub.test_transactional import Root
config = MinimalApplicationConfigurator()
config.update_blueprint({'root_controller': Root()})
tgext.socketio.plugme(config)
config.make_wsgi_app()
tgext.socketio.publish('items', {'text': 'lost'}, namespace='/items')
"""


def test_memory_publish_from_a_process_that_serves_nothing_is_an_error():
    script = subprocess.run([PYTHON, '-c', SCRIPT], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert script.returncode != 0
    assert 'PublishError: publish() on memory:// reaches only the clients' in script.stderr
