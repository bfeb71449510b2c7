"""A shared TODO list of a @live SQLite model shown by an on_rows RactiveWidget.

Run as a server: ``python -m tests.sample_apps.live_todos --port N [--backend URL]``;
``LIVE_TODOS_DB`` names the SQLite file (processes given the same file share the
rows), ``LIVE_TODOS_HISTORY`` the ``socketio.history`` policy.

Besides the ordinary actions (``add``, ``toggle``, ``remove``, ``bulk_done``), test-only
steps take apart what a live model does in one go, so that a test can order them:
``raw_commit`` commits a row with plain SQL (no live model sees it) and ``raw_publish``
publishes its hand-built delta later; a page rendered with ``?gate=NAME`` takes the
channel's position, then waits at the gate ``NAME`` before reading its rows
(``gate_wait``/``gate_open``). None of this is in the library.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import collections  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

import gevent.event  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import tgext.tw2  # noqa: E402
import tw2.core as twc  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker  # noqa: E402
from tg import MinimalApplicationConfigurator, TGController, expose  # noqa: E402
from tg.configurator.components.statics import StaticsConfigurationComponent  # noqa: E402
from tg.configurator.components.transactions import (  # noqa: E402
    TransactionManagerConfigurationComponent)
from zope.sqlalchemy import register  # noqa: E402

import tgext.socketio  # noqa: E402
from axf_ractive import RactiveWidget, on_publication, on_rows, update  # noqa: E402
from tgext.socketio import PubSubNamespace, SocketIOController, publish  # noqa: E402
from tgext.socketio.live import deltas, live, rows  # noqa: E402
from tgext.socketio.namespaces.errors import InvalidMethodArgs  # noqa: E402
from tgext.socketio.pubsub import tokens  # noqa: E402
from tgext.socketio.sse import EventStreamController  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PUBLIC = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'public')
SECRET = 'live todos test secret'
EVENTS = ['subscribed', 'refreshed', 'refresh_failed', 'subscription_rejected', 'refused']

Base = declarative_base()
maker = sessionmaker()
DB = scoped_session(maker)
register(DB)


@live(channel='todos-{list_id}', fields=('id', 'text', 'done'), namespace='/todos')
class Todo(Base):
    __tablename__ = 'todos'
    id = sa.Column(sa.Integer, primary_key=True)
    list_id = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(sa.String(200), nullable=False)
    done = sa.Column(sa.Boolean, nullable=False, default=False)


class TodoList(RactiveWidget):
    """The rows of one list, kept by on_rows; each row reads ``id:text:done|open``."""

    namespace = '/todos'
    ractive_params = ['todos', 'list_id', 'rename_to']
    todos = twc.Param(default=[])
    rename_to = twc.Param(default='')
    list_id = twc.Param(default=1)
    order = twc.Param(default=None)
    ractive_template = (
        '<ul class="todos">{{#todos}}<li class="todo">{{id}}:{{text}}:'
        '{{#done}}done{{/done}}{{^done}}open{{/done}}</li>{{/todos}}</ul>'
        '<button class="rename" on-click="@this.send(\'rename\', rename_to)">rename</button>')
    # every event the module fires, for the tests: window.events = [[widget, name, ...]]
    ractive_init = ('window.events = window.events || []; %r.forEach(function (name) {'
                    ' ractive.on(name, function (ctx, a, b) {'
                    ' window.events.push([ractive.el.id, name, a, b]); }); });' % EVENTS)

    def prepare(self):
        self.bindings = [on_rows('todos', subscribe=('todos', str(self.list_id)),
                                 order=self.order)]
        super().prepare()


class Dashboard(RactiveWidget):
    """The same rows, read-only: it follows them over Server-Sent Events (``/events``)."""

    namespace = '/todos'
    ractive_params = ['todos']
    todos = twc.Param(default=[])
    bindings = [on_rows('todos', order='id')]
    events_url = '/events'
    ractive_template = TodoList.ractive_template.split('<button')[0]
    ractive_init = TodoList.ractive_init


class Notes(RactiveWidget):
    """Plain publications of ``notes``, upserted by id."""

    namespace = '/todos'
    ractive_params = ['notes']
    notes = twc.Param(default=[])
    bindings = [on_publication('notes', upsert='notes', key='id')]
    ractive_template = '<ol class="notes">{{#notes}}<li class="note">{{text}}</li>{{/notes}}</ol>'


class Who(RactiveWidget):
    """Nothing to show: its socket is what the test looks at."""

    namespace = '/todos'
    ractive_params = ['name']
    name = twc.Param(default='')
    ractive_template = '<p class="who" on-click="@this.send(\'whoami\')">{{name}}</p>'


class TodoNamespace(PubSubNamespace):
    def subscribe_todos(self, list_id):
        if int(list_id) == 13:
            return False  # nobody sees list 13
        return 'todos-%d' % int(list_id)

    def subscribe_notes(self):
        return 'notes'

    def on_rename(self, text=None):
        if not text:
            raise InvalidMethodArgs('a name is needed')
        return text

    def on_whoami(self):
        return {'auth': self.auth}


class SocketIO(SocketIOController):
    todos = TodoNamespace


def _gated(state):
    """Runs a page's row query only when its gate says so (``?gate=NAME``)."""
    name = state.execution_options.get('live_todos_gate')
    if not name or not state.is_select:
        return None
    gate = GATES[name]
    gate['positioned'].set()  # rows() took the position just before this query
    gate['read'].wait(120)
    result = state.invoke_statement().freeze()  # every row read: no SQLite lock is left
    gate['done'].set()
    gate['render'].wait(120)
    return result()


GATES = collections.defaultdict(lambda: {step: gevent.event.Event()
                                         for step in ('positioned', 'read', 'done', 'render')})
event.listen(maker, 'do_orm_execute', _gated)


def _row(todo_id):
    return DB.execute(sa.text('SELECT id, text, done FROM todos WHERE id = :id'),
                      {'id': int(todo_id)}).mappings().one()


class RootController(TGController):
    socketio = SocketIO()
    events = EventStreamController('/todos', keepalive=1.0)

    @expose('gallery.html')
    def dashboard(self, list_id='1'):
        """The list as a read-only dashboard: no Socket.IO client on the page."""
        query = DB.query(Todo).filter_by(list_id=int(list_id)).order_by(Todo.id)
        return dict(widgets=[Dashboard(id='todos', todos=rows(query, 'todos-%s' % list_id))])

    @expose('gallery.html')
    def index(self, list_id='1', token='', gate='', order=None, refresh_url=None):
        """The list; ``token``: ``forged``, ``expired`` or ``none`` spoils the rows' token."""
        list_id = int(list_id)
        query = DB.query(Todo).filter_by(list_id=list_id).order_by(Todo.id)
        if gate:
            query = query.execution_options(live_todos_gate=gate)
        found = rows(query, 'todos-%d' % list_id)
        if token == 'forged':
            found.token = tokens.issue(b'another secret', found.channel, '/todos', None, 60)
        elif token == 'expired':
            found.token = tokens.issue(SECRET.encode(), found.channel, '/todos', None, -10)
        elif token == 'none':
            found.token = None
        return dict(widgets=[TodoList(id='todos', todos=found, list_id=list_id, order=order,
                                      refresh_url=refresh_url)])

    @expose('gallery.html')
    def notes(self):
        return dict(widgets=[Notes(id='notes')])

    @expose('gallery.html')
    def sockets(self):
        return dict(widgets=[Who(id='plain', name='plain'),
                             Who(id='same', name='same'),
                             Who(id='ws', name='ws', socket_options={
                                 'transports': ['websocket'], 'auth': {'who': 'ws'}})])

    @expose('json')
    def add(self, text, list_id='1'):
        todo = Todo(text=text, list_id=int(list_id))
        DB.add(todo)
        DB.flush()
        return dict(id=todo.id)

    @expose('json')
    def toggle(self, id):
        todo = DB.get(Todo, int(id))
        todo.done = not todo.done
        return dict(id=todo.id)

    @expose('json')
    def rename(self, id, text):
        DB.get(Todo, int(id)).text = text
        return dict(id=int(id))

    @expose('json')
    def remove(self, id):
        DB.delete(DB.get(Todo, int(id)))
        return dict(id=int(id))

    @expose('json')
    def bulk_done(self, list_id='1'):
        """A bulk update: the ORM cannot describe it, the channel gets a refresh."""
        count = DB.query(Todo).filter(Todo.list_id == int(list_id)).update({'done': True})
        return dict(count=count)

    @expose('json')
    def state(self, list_id='1'):
        """The list as the widget shows it, from the database."""
        return dict(rows=['%d:%s:%s' % (todo.id, todo.text, 'done' if todo.done else 'open')
                          for todo in DB.query(Todo).filter_by(list_id=int(list_id))
                          .order_by(Todo.id)])

    # Test-only steps: a commit and its publication apart, and a render held at a gate.

    @expose('json')
    def raw_commit(self, text, list_id='1'):
        """Commit a row with plain SQL, at once: no live model publishes it."""
        with ENGINE.begin() as connection:
            result = connection.execute(
                sa.text('INSERT INTO todos (list_id, text, done) VALUES (:list, :text, 0)'),
                {'list': int(list_id), 'text': text})
        return dict(id=result.lastrowid)

    @expose('json')
    def raw_publish(self, id, list_id='1'):
        """Publish the hand-built delta of row ``id`` as it is now."""
        row = dict(_row(id), done=bool(_row(id)['done']))
        publish('todos-%d' % int(list_id),
                deltas.publication([deltas.delta('Todo', 'id', [row], [])]), namespace='/todos')
        return dict(published=int(id))

    @expose('json')
    def gate_wait(self, name, step):
        return dict(reached=GATES[name][step].wait(60))

    @expose('json')
    def gate_open(self, name, step):
        GATES[name][step].set()
        return dict(opened=step)

    @expose('json')
    def publish_note(self, id, text, to_widget=''):
        note = {'id': int(id), 'text': text}
        if to_widget:
            note = update(to_widget, note, upsert='notes', key='id')
        publish('notes', note, namespace='/todos')
        return dict(published=note)


ENGINE = None


def make_app(global_conf=None, **app_conf):
    global ENGINE
    path = os.environ.get('LIVE_TODOS_DB') or os.path.join(tempfile.mkdtemp(), 'todos.db')
    ENGINE = sa.create_engine('sqlite:///%s' % path, connect_args={'timeout': 30})

    @event.listens_for(ENGINE, 'connect')
    def _wal(connection, record):
        connection.execute('PRAGMA journal_mode=WAL')  # two processes, readers and a writer

    Base.metadata.create_all(ENGINE)
    DB.configure(bind=ENGINE)
    config = MinimalApplicationConfigurator()
    config.register(StaticsConfigurationComponent)
    config.register(TransactionManagerConfigurationComponent)
    config.update_blueprint({
        'root_controller': RootController(),
        'renderers': ['genshi', 'json'],
        'default_renderer': 'genshi',
        'paths': {'templates': [os.path.join(HERE, 'templates')], 'static_files': PUBLIC},
        'serve_static': True,
        'tw2.enabled': True,
        'debug': False,
        'auto_reload_templates': False,
        'templating.genshi.doctype': 'html5',
        'tm.enabled': True,
        'use_sqlalchemy': True,
        'DBSession': DB,
        'socketio.token_secret': SECRET,
        # a connection cut without a close is noticed within seconds, on any transport
        'socketio.ping_interval': 2, 'socketio.ping_timeout': 3,
        'socketio.history': os.environ.get('LIVE_TODOS_HISTORY', '*:8:300'),
    })
    tgext.tw2.plugme(config)
    tgext.socketio.plugme(config)
    return config.make_wsgi_app({}, dict(app_conf))


if __name__ == '__main__':
    from examples.configuration import run
    run(make_app)
