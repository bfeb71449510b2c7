"""A freshly quickstarted TurboGears app that uses tgext.socketio as the README says.

This module is the contract between the library and a user who follows the README in an
app made by ``gearbox quickstart -a -s NAME`` (full stack: Kajiki, SQLAlchemy with the zope
transaction manager, repoze.who, SQLite, ``debug = true``). :func:`build` makes such an app in
a temporary directory, never committed, with a throwaway virtualenv of its own (same
interpreter, dependencies from pip's cache and the local wheel houses) where tgext.socketio is
a normal, non-editable install of a wheel built from this checkout
(``pip wheel --no-deps -w DIR ROOT``), and the app is ``pip install -e 'APP[development]'``
as the quickstart's README says (the development extra brings the testing extra, alembic
and tg.devtools, hence the debug bar).

What the user does, and so what the library must support:

* ``config/app_cfg.py`` gets, at its end::

      import tgext.tw2                      # the quickstart has no ToscaWidgets2:
      tgext.tw2.plugme(base_config)         # widgets need it (README, section 4)
      base_config.update_blueprint({'tw2.enabled': True})

      import tgext.socketio
      tgext.socketio.plugme(base_config)

* a new ``NAME/controllers/realtime.py``: ``class SocketIO(SocketIOController)`` listing the
  namespaces, here ``chat = Chat``, where ``Chat(PubSubNamespace)``

  - requires a logged-in user (``allow_only = not_anonymous()``),
  - ``subscribe_room(room_id)`` returns ``'room-<id>'``,
  - ``on_say(self, channel, text)`` adds a ``Message`` row with ``DBSession.add(...)``,
    ``DBSession.flush()`` (for its id) and *does not commit*: the library runs each event
    inside the app's transaction, as TurboGears runs an action (commit when the handler
    returns, abort when it raises, the session removed afterwards so its connection goes
    back to the pool; SQLite's write lock is not held after the event), then
    ``self.publish(channel, {...})``; it returns ``'ok'`` (the acknowledgement is sent
    after the commit);
  - ``on_count(self)`` returns ``DBSession.query(Message).count()``;
  - ``on_fail(self)`` adds and flushes a row then raises: the row is not committed and the client gets
    the ``error`` event named ``internal_error``;

  and ``controllers/root.py`` does ``from NAME.controllers.realtime import SocketIO`` and puts
  ``socketio = SocketIO()`` on ``RootController`` (the endpoint is ``/socketio/``), and the
  live console as ``console = ConsoleController(has_permission('manage'))``.
* a model ``NAME/model/message.py``: ``Message(id, text, user_name)``, imported by
  ``model/__init__.py`` like the quickstart's auth models; ``gearbox setup-app`` creates it.
* pages: ``/messages`` (Kajiki) lists the rows; ``/announce?text=..`` calls
  ``tgext.socketio.publish('room-1', {...}, namespace='/chat')`` from a controller action;
  ``/live`` shows ``LiveWidget(axf_ractive.RactiveWidget)`` (namespace ``/chat``,
  ``bindings = [on_publication(('room', '1'), append='lines')]``) from a Kajiki template
  with ``${w.display()}``.
* ``development.ini``: ``[server:main] use = egg:tgext.socketio#gevent`` on 127.0.0.1 and a
  free port, ``socketio.backend = memory://`` in ``[app:main]``, ``debug = true`` kept.
* Loading the app without serving it (``gearbox setup-app``, ``gearbox tgshell``, the app's
  own pytest suite, ``paste.deploy.loadapp``) works without gevent's monkey-patching; only
  serving needs it, and ``egg:tgext.socketio#gevent`` does it.
* The Socket.IO client and Ractive are served at ``/_socketio/socket.io.min.js`` and
  ``/_socketio/ractive.min.js`` from the installed wheel (the app has no npm).
* ``tgext.socketio.testing.SocketIOTestClient(webtest_app, path='/socketio/',
  namespaces=[...])`` drives namespaces in-process from the app's own tests
  (``NAME/tests/functional/test_chat.py`` below).
* The app's own suite, ``python -m pytest`` in the app (the 20 generated tests,
  ``test_pages.py`` testing the added pages with the generated ``TestController`` and no
  socket, and ``test_chat.py``), passes with its 90 % coverage gate.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

from tests.helpers import ROOT, Process, free_port, wait_for_port

NAME = 'QsChat'
PACKAGE = 'qschat'
BASE_PYTHON = getattr(sys, '_base_executable', sys.executable)
DEVTOOLS = 'tg.devtools==2.5.1'  # gearbox quickstart, pinned

# The variables of the test run that must not leak into the app's processes: the app
# runs from its own venv and imports tgext.socketio from the installed wheel only.
_LEAKS = ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONHOME', 'PYTEST_CURRENT_TEST', 'PYTEST_ADDOPTS',
          'COV_CORE_SOURCE', 'COV_CORE_CONFIG', 'COV_CORE_DATAFILE')


class QuickstartApp:
    """Paths of the generated app and its venv, and how long each set-up step took."""

    def __init__(self, base):
        self.base = base
        self.dir = os.path.join(base, NAME)
        self.venv = os.path.join(base, 'venv')
        self.wheels = os.path.join(base, 'wheels')
        self.timings = {}
        self.port = free_port()

    @property
    def bin(self):
        return os.path.join(self.venv, 'bin')

    def env(self, **extra):
        env = {key: value for key, value in os.environ.items() if key not in _LEAKS}
        env['PATH'] = self.bin + os.pathsep + env.get('PATH', '')
        env['VIRTUAL_ENV'] = self.venv
        env.update(extra)
        return env

    def run(self, args, timeout=120, **kwargs):
        """Run ``args`` (``bin/`` programs of the venv first on PATH) in the app's dir."""
        kwargs.setdefault('cwd', self.dir)
        return subprocess.run(args, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, **kwargs)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ini_copy(self, port, name=None):
        """development.ini with another port, next to it (``%(here)s`` stays the app)."""
        with open(self.path('development.ini'), encoding='utf-8') as ini:
            text = ini.read()
        text = text.replace('port = %s\n' % self.port, 'port = %s\n' % port, 1)
        target = self.path(name or 'development-%s.ini' % port)
        with open(target, 'w', encoding='utf-8') as ini:
            ini.write(text)
        return target

    def serve(self, *extra, ini='development.ini', port=None, timeout=60):
        """``gearbox serve -c INI`` in its own process group, once it listens."""
        port = port or self.port
        return AppProcess([os.path.join(self.bin, 'gearbox'), 'serve', '-c', ini] + list(extra),
                          port=port, env=self.env(), cwd=self.dir, timeout=timeout)


class AppProcess(Process):
    """helpers.Process with exactly the environment given (not merged with ours)."""

    def __init__(self, args, port, env, cwd, timeout=60):
        self.log = tempfile.NamedTemporaryFile(prefix='tgext-socketio-qs-', suffix='.log',
                                               delete=False)
        self.port = port
        self.popen = subprocess.Popen(args, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                      env=env, start_new_session=True)
        try:
            wait_for_port(port, self.popen, timeout)
        except Exception as error:
            self.stop()
            raise AssertionError('could not start %s (%s):\n%s'
                                 % (' '.join(args), error, self.output()[-6000:]))


def _check(result, what):
    if result.returncode != 0:
        raise AssertionError('%s failed (exit %s):\n%s\n%s' % (
            what, result.returncode, result.stdout[-4000:], result.stderr[-6000:]))
    return result


def _timed(app, step, function, *args, **kwargs):
    start = time.monotonic()
    try:
        return function(*args, **kwargs)
    finally:
        app.timings[step] = round(time.monotonic() - start, 1)


def build(base):
    """Quickstart, integrate and install the app under ``base``; returns a QuickstartApp."""
    app = QuickstartApp(base)
    start = time.monotonic()
    quiet = ['--quiet', '--disable-pip-version-check']
    clean = app.env()
    clean['PATH'] = os.environ.get('PATH', '')
    # The venv and the wheel at once (two cores). The venv gets no pip of its own (ensurepip
    # takes seconds): our pip installs into it with --python.
    venv = subprocess.Popen([BASE_PYTHON, '-m', 'venv', '--without-pip', app.venv], env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wheel = _timed(app, 'wheel', subprocess.run,
                   [sys.executable, '-m', 'pip', 'wheel', *quiet, '--no-deps', '-w', app.wheels,
                    ROOT], env=clean, capture_output=True, text=True, timeout=300)
    _check(wheel, 'pip wheel of %s' % ROOT)
    venv_output = venv.communicate(timeout=120)[0]
    app.timings['venv'] = round(time.monotonic() - start, 1)
    if venv.returncode:
        raise AssertionError('python -m venv failed: %s' % venv_output)

    # tg.devtools goes into the app's venv, never ours: its tgext.debugbar installs an
    # old-style namespace .pth that hides an editable tgext.socketio.
    _timed(app, 'tg.devtools', lambda: _check(
        app.run([sys.executable, '-m', 'pip', '--python', os.path.join(app.bin, 'python'),
                 'install', *quiet, '--no-compile', DEVTOOLS], timeout=600, cwd=base),
        'pip install %s' % DEVTOOLS))
    _timed(app, 'quickstart', lambda: _check(
        subprocess.run([os.path.join(app.bin, 'gearbox'), 'quickstart', '-a', '-s', NAME],
                       cwd=base, env=clean, capture_output=True, text=True, timeout=120),
        'gearbox quickstart -a -s %s' % NAME))
    _timed(app, 'integrate', integrate, app)

    wheels = glob.glob(os.path.join(app.wheels, 'tgext_socketio-*.whl'))
    assert len(wheels) == 1, wheels
    # One resolver run: the library's wheel (not editable) and the app, as its README says.
    _timed(app, 'pip install', lambda: _check(
        app.run([sys.executable, '-m', 'pip', '--python', os.path.join(app.bin, 'python'),
                 'install', *quiet, '--no-compile', wheels[0], '-e', '%s[development]' % app.dir],
                timeout=600),
        'pip install of the wheel and the app'))
    app.timings['total'] = round(time.monotonic() - start, 1)
    with open(os.path.join(base, 'timings.json'), 'w', encoding='utf-8') as done:
        json.dump(app.timings, done)
    return app


def reuse(base):
    """The app a previous :func:`build` left in ``base`` (``TGEXT_QUICKSTART_DIR``), or None.

    For working on these tests only: the app keeps the wheel and the database it had.
    """
    marker = os.path.join(base, 'timings.json')
    if not os.path.exists(marker):
        return None
    app = QuickstartApp(base)
    with open(marker, encoding='utf-8') as done:
        app.timings = json.load(done)
    with open(app.path('development.ini'), encoding='utf-8') as ini:
        app.port = int(re.search(r'^port = (\d+)$', ini.read(), re.M).group(1))
    return app


def _write(app, relative, text):
    path = app.path(*relative.split('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as target:
        target.write(textwrap.dedent(text).lstrip('\n'))


def _append(app, relative, text):
    with open(app.path(*relative.split('/')), 'a', encoding='utf-8') as target:
        target.write(text)


def _replace(app, relative, old, new):
    path = app.path(*relative.split('/'))
    with open(path, encoding='utf-8') as source:
        text = source.read()
    assert old in text, 'the quickstart changed: %r is not in %s' % (old, relative)
    with open(path, 'w', encoding='utf-8') as target:
        target.write(text.replace(old, new, 1))


def integrate(app):
    """What a user following the README adds to the quickstarted app."""
    p = PACKAGE
    _append(app, p + '/config/app_cfg.py', textwrap.dedent('''

        # ToscaWidgets2: the quickstart does not enable it, reactive widgets need it.
        import tgext.tw2
        tgext.tw2.plugme(base_config)
        base_config.update_blueprint({'tw2.enabled': True})

        # Realtime.
        import tgext.socketio
        tgext.socketio.plugme(base_config)
    '''))

    _write(app, p + '/model/message.py', '''
        """A chat message, written by the /chat namespace."""
        from sqlalchemy import Column
        from sqlalchemy.types import Integer, Unicode

        from %(p)s.model import DeclarativeBase

        __all__ = ['Message']


        class Message(DeclarativeBase):
            __tablename__ = 'message'

            id = Column(Integer, autoincrement=True, primary_key=True)
            text = Column(Unicode(500), nullable=False)
            user_name = Column(Unicode(16), nullable=False)
    ''' % {'p': p})
    _replace(app, p + '/model/__init__.py',
             "from %s.model.auth import User, Group, Permission\n" % p,
             "from %s.model.auth import User, Group, Permission\n"
             "from %s.model.message import Message\n" % (p, p))
    _replace(app, p + '/model/__init__.py', "'Permission')", "'Permission', 'Message')")

    _write(app, p + '/controllers/realtime.py', '''
        """The Socket.IO endpoint of the app: the /chat namespace."""
        from tg.predicates import not_anonymous

        from tgext.socketio import PubSubNamespace, SocketIOController

        from %(p)s.model import DBSession, Message


        class Chat(PubSubNamespace):
            allow_only = not_anonymous(msg='log in first')

            def subscribe_room(self, room_id):
                return 'room-%%s' %% room_id

            def on_say(self, channel, text):
                user_name = self.request.identity['repoze.who.userid']
                message = Message(text=text, user_name=user_name)
                DBSession.add(message)
                DBSession.flush()                  # for its id; no commit here
                self.publish(channel, {'id': message.id, 'text': text, 'user_name': user_name})
                return 'ok'

            def on_count(self):
                return DBSession.query(Message).count()

            def on_fail(self):
                DBSession.add(Message(text='never committed', user_name='nobody'))
                DBSession.flush()
                raise RuntimeError('on_fail fails on purpose')


        class SocketIO(SocketIOController):
            chat = Chat
    ''' % {'p': p})

    _write(app, p + '/controllers/live.py', '''
        """A reactive widget that shows what is published to room 1."""
        import tw2.core as twc
        from axf_ractive import RactiveWidget, on_publication


        class LiveWidget(RactiveWidget):
            namespace = '/chat'
            ractive_params = ['lines']
            lines = twc.Param(default=[])
            bindings = [on_publication(('room', '1'), append='lines')]
            ractive_template = """
        <ul id="lines">{{#lines}}<li class="line">{{user_name}}: {{text}}</li>{{/lines}}</ul>
        """
    ''')

    _replace(app, p + '/controllers/root.py',
             "from %s.controllers.error import ErrorController\n" % p,
             "from %(p)s.controllers.error import ErrorController\n"
             "from %(p)s.controllers.realtime import SocketIO\n"
             "from %(p)s.controllers.live import LiveWidget\n"
             "from %(p)s.model import DBSession, Message\n"
             "from tg.predicates import has_permission\n"
             "from tgext.socketio.console import ConsoleController\n"
             "import tgext.socketio\n" % {'p': p})
    _replace(app, p + '/controllers/root.py', "    error = ErrorController()\n",
             "    error = ErrorController()\n    socketio = SocketIO()\n"
             "    console = ConsoleController(has_permission('manage'))\n")
    # RootController is the last statement of root.py: its new methods go at the end.
    _append(app, p + '/controllers/root.py', textwrap.indent(textwrap.dedent('''

        @expose('%(p)s.templates.messages')
        def messages(self):
            """Every chat message."""
            return dict(page='messages',
                        messages=DBSession.query(Message).order_by(Message.id).all())

        @expose('json')
        def announce(self, text=''):
            """Publish to room 1 from an ordinary action."""
            tgext.socketio.publish('room-1', {'text': text, 'user_name': 'server'},
                                   namespace='/chat')
            return dict(sent=text)

        @expose('%(p)s.templates.live')
        def live(self):
            """Room 1, live."""
            return dict(page='live', w=LiveWidget(id='live'))
    ''' % {'p': p}), '    '))

    _write(app, p + '/templates/messages.xhtml', '''
        <html py:extends="master.xhtml" py:strip="True">
          <head py:block="head" py:strip="True">
            <title py:block="master_title">Messages</title>
          </head>
          <body py:block="body" py:strip="True">
            <h1>Messages</h1>
            <ul id="messages">
              <li py:for="m in messages" class="message">${m.user_name}: ${m.text}</li>
            </ul>
            <p id="count">${len(messages)} messages</p>
          </body>
        </html>
    ''')
    _write(app, p + '/templates/live.xhtml', '''
        <html py:extends="master.xhtml" py:strip="True">
          <head py:block="head" py:strip="True">
            <title py:block="master_title">Live</title>
          </head>
          <body py:block="body" py:strip="True">
            <h1>Room 1, live</h1>
            ${w.display()}
          </body>
        </html>
    ''')

    _write(app, p + '/tests/functional/test_pages.py', '''
        """The pages the user added, with the generated TestController (no socket)."""
        import transaction

        from %(p)s.model import DBSession, Message
        from %(p)s.tests import TestController


        class TestPages(TestController):
            def test_messages_lists_rows(self):
                DBSession.add(Message(text='hello', user_name='manager'))
                DBSession.flush()
                transaction.commit()
                assert 'manager: hello' in self.app.get('/messages').text

            def test_announce_without_any_client(self):
                assert self.app.get('/announce', params={'text': 'x'}).json == {'sent': 'x'}

            def test_live_shows_the_widget(self):
                page = self.app.get('/live')
                assert '<ul id="lines">' in page.text, page.text
    ''' % {'p': p})

    _write(app, p + '/tests/functional/test_chat.py', '''
        """The /chat namespace, in-process (tgext.socketio.testing)."""
        from tgext.socketio.testing import SocketIOTestClient

        from %(p)s.tests import TestController


        class TestChat(TestController):
            application_under_test = 'main'

            def test_say_is_published(self):
                self.app.post('/login_handler',
                              params={'login': 'manager', 'password': 'managepass'})
                with SocketIOTestClient(self.app, path='/socketio/',
                                        namespaces=['/chat']) as client:
                    assert client.call('subscribe', 'room', '1', namespace='/chat') == 'room-1'
                    client.emit('say', 'room-1', 'hi', namespace='/chat')
                    received = client.wait_for('publication', namespace='/chat')
                    assert received[0]['text'] == 'hi'
    ''' % {'p': p})

    ini = app.path('development.ini')
    _replace(app, 'development.ini',
             '[server:main]\nuse = egg:gearbox#wsgiref\nhost = 127.0.0.1\nport = 8080\n',
             '[server:main]\nuse = egg:tgext.socketio#gevent\nhost = 127.0.0.1\n'
             'port = %s\n' % app.port)
    _replace(app, 'development.ini', '[app:main]\nuse = egg:%s\n' % NAME,
             '[app:main]\nuse = egg:%s\nsocketio.backend = memory://\n' % NAME)
    with open(ini, encoding='utf-8') as source:
        assert '\ndebug = true\n' in source.read(), 'the quickstart has no debug = true'


def remove(app_or_base):
    base = getattr(app_or_base, 'base', app_or_base)
    shutil.rmtree(base, ignore_errors=True)


def junit_outcomes(report, output):
    """``{'class::test': 'passed' | 'failure' | 'error' | 'skipped'}`` of a pytest JUnit
    ``report`` (``output``: what that pytest printed, shown when it wrote none)."""
    from xml.etree import ElementTree
    assert os.path.exists(report), 'pytest wrote no report:\n%s' % output[-5000:]
    outcomes = {}
    for case in ElementTree.parse(report).iter('testcase'):
        problems = [child.tag for child in case if child.tag in ('failure', 'error', 'skipped')]
        outcomes['%s::%s' % (case.get('classname'), case.get('name'))] = (
            problems[0] if problems else 'passed')
    return outcomes
