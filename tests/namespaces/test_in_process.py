"""The fast tier: apps built in this process, spoken to with tgext.socketio.testing.

No server, no port, no monkey-patching: what a TurboGears developer's own tests do.
"""
import gevent
import pytest
import sqlalchemy as sa
import transaction
import webtest
from backlash import DebuggedApplication
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker
from tg import MinimalApplicationConfigurator, TGController, expose, request_local
from zope.sqlalchemy import register

import tgext.socketio
from tgext.socketio import PubSubNamespace, SocketIOController, SocketIONamespace, publish
from tgext.socketio.testing import ConnectionRefused, SocketIOTestClient
from tgext.socketio.namespaces.unit_of_work import UnitOfWork
from tests.helpers import in_process_app

Base = declarative_base()


class Note(Base):
    __tablename__ = 'notes'
    id = sa.Column(sa.Integer, primary_key=True)
    text = sa.Column(sa.String(100), nullable=False)


class Notes(PubSubNamespace):
    def subscribe_room(self, room_id):
        return False if room_id == 'secret' else 'room-%s' % room_id

    def on_ping(self, value):
        self.emit('pong', value)
        return value, 'ack'

    def on_add(self, text):
        self.session['db'].add(Note(text=text))       # no commit: the event is the unit

    def on_add_then_fail(self, text):
        self.session['db'].add(Note(text=text))
        raise RuntimeError('boom')

    def on_count(self):
        return self.session['db'].query(Note).count()

    def on_connect(self):
        self.session['db'] = self.request.environ['test.dbsession']


class SocketIO(SocketIOController):
    notes = Notes


class Root(TGController):
    realtime = SocketIO()

    @expose('json')
    def announce(self, text):
        publish('room-1', {'text': text}, namespace='/notes')
        return {'sent': text}

    @expose()
    def index(self):
        return 'plain page'


def lazily(app):
    """A middleware that does its work while its response is iterated, as many do."""
    def middleware(environ, start_response):
        yield from app(environ, start_response)
    return middleware


@pytest.fixture
def database(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'notes.db'),
                              poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=0,
                              pool_timeout=2)
    Base.metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine))
    register(session)
    yield session
    session.remove()
    engine.dispose()


def make_app(database, wrap=None, **blueprint):
    config = MinimalApplicationConfigurator()
    config.update_blueprint(dict({
        'root_controller': Root(), 'tm.enabled': True, 'use_sqlalchemy': True,
        'DBSession': database}, **blueprint))
    tgext.socketio.plugme(config)
    app = config.make_wsgi_app()
    inner = app.app  # below the Socket.IO layer, as a debugger or any layer would wrap it
    app.app = (wrap or (lambda wsgi: wsgi))(inner)
    return webtest.TestApp(app, extra_environ={'test.dbsession': database})


@pytest.mark.parametrize('wrap', [None, lazily, lambda app: DebuggedApplication(app)],
                         ids=['plain', 'lazy-middleware', 'backlash-debugger'])
def test_handshake_events_and_acks_whatever_wraps_the_app(database, wrap):
    app = make_app(database, wrap)
    with SocketIOTestClient(app, path='/realtime/', namespaces=['/notes']) as client:
        assert client.call('ping', {'n': 1}, namespace='/notes') == ({'n': 1}, 'ack')
        assert client.wait_for('pong', namespace='/notes') == [{'n': 1}]
    assert _no_context_left_pushed()
    assert app.get('/').text == 'plain page'


def _no_context_left_pushed():
    try:
        request_local.context._current_obj()
    except TypeError:
        return True
    return False


def test_an_event_commits_on_success_and_aborts_on_error(database):
    app = make_app(database)
    with SocketIOTestClient(app, path='/realtime/', namespaces=['/notes']) as client:
        client.call('add', 'kept', namespace='/notes')
        answer = client.call('add_then_fail', 'dropped', namespace='/notes')
        assert answer['error']['name'] == 'internal_error'
        assert client.call('count', namespace='/notes') == 1
    assert [note.text for note in database.query(Note)] == ['kept']


def test_sessions_are_released_after_each_event(database):
    """A pool of 2 connections serves 20 clients in a row: none is kept by a handler."""
    app = make_app(database)
    for _ in range(20):
        with SocketIOTestClient(app, path='/realtime/', namespaces=['/notes']) as client:
            assert client.call('count', namespace='/notes') == 0
    assert database.get_bind().pool.checkedout() == 0


def test_without_the_unit_of_work_nothing_is_committed_for_the_handler(database):
    app = make_app(database, **{'socketio.transaction': 'false'})
    with SocketIOTestClient(app, path='/realtime/', namespaces=['/notes']) as client:
        client.call('add', 'pending', namespace='/notes')
    database.remove()
    assert database.query(Note).count() == 0


def test_publish_from_a_controller_before_any_client_and_to_subscribers(database):
    app = make_app(database)
    assert app.get('/announce', params={'text': 'nobody listens'}).json == {
        'sent': 'nobody listens'}
    with SocketIOTestClient(app, path='/realtime/', namespaces=['/notes']) as client:
        assert client.call('subscribe', 'room', '1', namespace='/notes') == 'room-1'
        app.get('/announce', params={'text': 'hello'})
        assert client.wait_for('publication', namespace='/notes')[:2] == [
            {'text': 'hello'}, 'room-1']
        refused = client.call('subscribe', 'room', 'secret', namespace='/notes')
        assert refused['error']['name'] == 'subscription_rejected'


def test_unknown_namespace_is_refused(database):
    app = make_app(database)
    with pytest.raises(ConnectionRefused):
        SocketIOTestClient(app, path='/realtime/', namespaces=['/nowhere'])


def test_the_endpoint_path_is_known_from_the_mounted_controller(database):
    from tgext.socketio.namespaces.runtime import current
    make_app(database)
    assert current().path_of('/notes') == '/realtime'


def test_unit_of_work_commits_aborts_and_releases(database):
    unit = UnitOfWork({'tm.enabled': 'true', 'use_sqlalchemy': True, 'DBSession': database})
    with unit():
        database.add(Note(text='one'))
    with pytest.raises(ValueError), unit():
        database.add(Note(text='two'))
        raise ValueError('no')
    assert [note.text for note in database.query(Note)] == ['one']
    assert transaction.manager.get() is not None
    assert database.get_bind().pool.checkedout() == 1  # only this test's own query
    database.remove()
    assert database.get_bind().pool.checkedout() == 0


def test_a_simple_namespace_without_database(database):
    class Echo(SocketIONamespace):
        def on_echo(self, *args):
            return args

    app = in_process_app({'/echo': Echo})
    with SocketIOTestClient(app, namespaces=['/echo']) as client:
        assert client.call('echo', 1, 'two', namespace='/echo') == (1, 'two')


def test_the_servers_own_refusals_are_the_apps_error_event():
    """A client refused by the server itself (here: more events waiting than
    ``socketio.max_queued_events``) hears it under the app's ``socketio.error_event``."""
    class Slow(SocketIONamespace):
        def on_work(self):
            gevent.sleep(0.2)

    app = in_process_app({'/slow': Slow}, **{'socketio.error_event': 'oops',
                                              'socketio.max_queued_events': 1})
    client = SocketIOTestClient(app, namespaces=['/slow'])
    try:
        for _ in range(3):  # the first runs, the second waits, the third is one too many
            client.emit('work', namespace='/slow')
        [refusal] = client.wait_for('oops', namespace='/slow', timeout=5)
        assert refusal['name'] == 'too_many_events'
    finally:
        client.disconnect()
