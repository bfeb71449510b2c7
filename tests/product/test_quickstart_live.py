"""The README's live TODO list (section 5) in a quickstarted app built from the wheel.

The app is made by :func:`tests.quickstart.build` (``gearbox quickstart -a -s``, Kajiki,
repoze.who, SQLite, the chat of ``test_quickstart.py``, our wheel installed); then
:func:`integrate_live` adds to it what README section 5 *A live TODO list, end to end* tells a
user to add, taking every snippet out of README.md by its ``<!-- quickstart-live-* -->`` marker
so that the README cannot drift from what is tested: the dependencies (``tgext.socketio[redis]``,
Genshi) and ``pip install -e '.[development]'``, the ``@live`` model, the namespace and the
widget, the pages (Kajiki and Genshi) and form actions, the script, ``test.ini``'s backend, the
coverage line and the app's own tests. Redis (a free port) is the backend of
``development.ini``: the script is another process, which ``memory://`` cannot reach.

What is asserted is what users see: three Chromium pages (two users, a Kajiki and a Genshi
page) show each change (a form POST, a click of another page, the script, a delete) once, and
nothing of an action or a handler that wrote, published and raised; the script on
``memory://`` fails loudly; the app's own suite passes with its coverage gate on.

``TGEXT_QUICKSTART_LIVE_DIR=/some/dir`` keeps the app there between runs (to work on this test;
delete the directory after changing the library or the README).
"""
import json
import os
import re
import sqlite3
import sys
import tempfile
import time

import pytest
import requests

from tests import quickstart
from tests.helpers import ROOT, client, login

pytestmark = pytest.mark.timeout(420)

README = os.path.join(ROOT, 'README.md')
P = quickstart.PACKAGE
NS = '/todos'
README_BACKEND = 'redis://127.0.0.1:6379/0'   # the README's backend line; the test's Redis instead


# The README's snippets ---------------------------------------------------------------------

def _readme():
    with open(README, encoding='utf-8') as source:
        return source.read()


def snippet(tag):
    """The fenced block after ``<!-- tag -->``, ``myapp`` made the quickstarted package."""
    found = re.findall(r'<!-- %s -->\n```[a-z]*\n(.*?)```' % re.escape(tag), _readme(), re.S)
    assert len(found) == 1, 'README.md has %d blocks marked <!-- %s -->' % (len(found), tag)
    return found[0].replace('myapp', P)


def inline(tag):
    """The inline code after ``<!-- tag -->``."""
    found = re.findall(r'<!-- %s -->`([^`]+)`' % re.escape(tag), _readme())
    assert len(found) == 1, 'README.md has %d inline codes marked <!-- %s -->' % (len(found), tag)
    return found[0].replace('myapp', P)


def split_class(code, header):
    """``(imports, body)`` of a snippet ``imports + header + body`` adding to a class; the body
    starts after a ``...`` line when there is one (what the class already has)."""
    head, _, body = code.partition(header + '\n')
    assert body, 'the snippet does not show %r:\n%s' % (header, code)
    if re.match(r'\s+\.\.\.', body):
        body = body.split('\n', 1)[1]
    return head.strip() + '\n', body


def add_imports(text, imports):
    """``text`` with ``imports`` after its last top-level import before its first class."""
    first_class = text.index('\nclass ')
    last = max(match.end() for match in re.finditer(r'^(?:from|import) .*\n', text[:first_class],
                                                    re.M))
    return text[:last] + imports + text[last:]


def edit(app, relative, change):
    path = app.path(*relative.split('/'))
    with open(path, encoding='utf-8') as source:
        text = source.read()
    with open(path, 'w', encoding='utf-8') as target:
        target.write(change(text))


def write(app, relative, text):
    path = app.path(*relative.split('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as target:
        target.write(text)


def insert_after(text, anchor, addition):
    assert anchor in text, 'the quickstart changed: no %r' % anchor
    return text.replace(anchor, anchor + addition, 1)


# Not in the README: the failures it promises nothing of, in the app for the test only.

FAILING_HANDLER = '''

# Test only: a handler that writes, publishes by hand, then raises.
def _add_then_fail(self, text):  # pragma: no cover
    todo = Todo(list_id=1, text=text)
    DBSession.add(todo)
    DBSession.flush()
    self.publish('todos-1', {'live': [{'model': 'Todo', 'key': 'id', 'delete': [],
                                       'upsert': [{'id': todo.id, 'text': text, 'done': False}]}]})
    raise RuntimeError('add_then_fail fails on purpose')


Todos.on_add_then_fail = _add_then_fail
'''

FAILING_ACTION = '''

    # Test only: an action that writes, publishes by hand, then raises.
    @expose()
    def add_then_fail(self, text):  # pragma: no cover
        todo = Todo(list_id=1, text=text)
        DBSession.add(todo)
        DBSession.flush()
        tgext.socketio.publish('todos-1', {'live': [{
            'model': 'Todo', 'key': 'id', 'delete': [],
            'upsert': [{'id': todo.id, 'text': text, 'done': False}]}]}, namespace='/todos')
        raise RuntimeError('add_then_fail fails on purpose')
'''


def integrate_live(app, backend):
    """What README section 5 tells a user to add for the live TODO list, from the README."""
    # Dependencies, then `pip install -e '.[development]'` (the wheel given, so that
    # tgext.socketio[redis] is this checkout's).
    dependencies = re.findall(r'^\s*("[^"]+",)', snippet('quickstart-live-dependencies'), re.M)
    assert dependencies, snippet('quickstart-live-dependencies')
    edit(app, 'pyproject.toml', lambda text: insert_after(
        text, 'dependencies = [\n', ''.join('  %s\n' % line for line in dependencies)))
    edit(app, 'pyproject.toml', lambda text: text + '\n' + snippet('quickstart-live-coverage'))
    [wheel] = [name for name in os.listdir(app.wheels) if name.startswith('tgext_socketio-')]
    quickstart._check(app.run(
        [sys.executable, '-m', 'pip', '--python', os.path.join(app.bin, 'python'),
         'install', '--quiet', '--disable-pip-version-check', '--no-compile',
         os.path.join(app.wheels, wheel), '-e', '.[development]'], timeout=600),
        "pip install -e '.[development]' with the README's dependencies")

    # The model.
    write(app, P + '/model/todos.py', snippet('quickstart-live-model'))
    edit(app, P + '/model/__init__.py',
         lambda text: text + inline('quickstart-live-model-import') + '\n')

    # The namespace and the widget, mounted on the endpoint.
    write(app, P + '/controllers/todos.py', snippet('quickstart-live-todos') + FAILING_HANDLER)
    imports, body = split_class(snippet('quickstart-live-mount'),
                                'class SocketIO(SocketIOController):')
    edit(app, P + '/controllers/realtime.py',
         lambda text: add_imports(text, imports) + body)

    # The pages and actions on RootController (the last statement of root.py).
    imports, body = split_class(snippet('quickstart-live-root'),
                                'class RootController(BaseController):')
    edit(app, P + '/controllers/root.py',
         lambda text: add_imports(text, imports) + '\n' + body + FAILING_ACTION)
    edit(app, P + '/config/app_cfg.py',
         lambda text: text + '\n' + inline('quickstart-live-renderers') + '\n')
    write(app, P + '/templates/todos.xhtml', snippet('quickstart-live-kajiki'))
    write(app, P + '/templates/todos_genshi.html', snippet('quickstart-live-genshi'))

    # The script, the backend, the app's tests.
    write(app, 'add_todo.py', snippet('quickstart-live-script'))
    backend_line = snippet('quickstart-live-backend').strip()
    assert backend_line == 'socketio.backend = %s' % README_BACKEND, backend_line
    edit(app, 'development.ini', lambda text: text.replace(
        'socketio.backend = memory://\n', backend_line.replace(README_BACKEND, backend) + '\n', 1))
    edit(app, 'test.ini', lambda text: insert_after(
        text, '[app:main]\n', snippet('quickstart-live-test-ini')))
    write(app, P + '/tests/functional/test_todos.py', snippet('quickstart-live-tests'))

    setup = app.run([os.path.join(app.bin, 'gearbox'), 'setup-app', '-c', 'development.ini'],
                    timeout=180)
    quickstart._check(setup, 'gearbox setup-app -c development.ini')


# Fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def qs(redis):
    """The quickstarted app with the README's live TODO list, its database made."""
    kept = os.environ.get('TGEXT_QUICKSTART_LIVE_DIR')
    if kept:
        app = quickstart.reuse(kept)
        if app is None:
            os.makedirs(kept, exist_ok=True)
            app = quickstart.build(kept)
        if not os.path.exists(os.path.join(kept, 'live.done')):
            integrate_live(app, redis.url)
            open(os.path.join(kept, 'live.done'), 'w').close()
        edit(app, 'development.ini', lambda text: re.sub(
            r'^socketio\.backend = redis://.*$', 'socketio.backend = ' + redis.url, text,
            flags=re.M))
        yield app
        return
    base = tempfile.mkdtemp(prefix='tgext-socketio-quickstart-live-')
    try:
        app = quickstart.build(base)
        start = time.monotonic()
        integrate_live(app, redis.url)
        app.timings['live'] = round(time.monotonic() - start, 1)
    except BaseException:
        quickstart.remove(base)
        raise
    print('\nquickstart set-up took %s s: %s' % (app.timings['total'] + app.timings['live'],
                                                 app.timings))
    yield app
    quickstart.remove(app)


@pytest.fixture(scope='module')
def server(qs):
    process = qs.serve()
    yield process
    process.stop()


def _log(process):
    return '\n--- server log (end) ---\n%s' % process.output()[-5000:]


def database_rows(qs, list_id=1):
    """``['text:done|open']`` of the list, from the app's SQLite file."""
    with sqlite3.connect(qs.path('devdata.db'), timeout=30) as connection:
        return ['%s:%s' % (text, 'done' if done else 'open') for text, done in connection.execute(
            'SELECT text, done FROM todos WHERE list_id = ? ORDER BY id', (list_id,))]


def run_script(qs, ini, text):
    return qs.run([os.path.join(qs.bin, 'python'), 'add_todo.py', ini, text], timeout=120)


# The pages ---------------------------------------------------------------------------------

# Every state the widget's rows go through: a MutationObserver adds one ['text:done|open', ...]
# each time the list shows something else (what a user could have seen).
OBSERVE = """() => {
  window.marker = 'no reload';
  window.states = [];
  const el = document.getElementById('todos');
  const take = () => {
    const rows = Array.from(el.querySelectorAll('li.todo')).map(li =>
      li.querySelector('.text').textContent + ':' + (li.classList.contains('done') ? 'done' : 'open'));
    const now = JSON.stringify(rows);
    if (window.states[window.states.length - 1] !== now) window.states.push(now);
  };
  take();
  new MutationObserver(take).observe(el, {subtree: true, childList: true, attributes: true,
                                          characterData: true});
}"""


class Page:
    def __init__(self, browser, url, user, password, path):
        self.name = '%s %s' % (user, path)
        self.url = url
        self.context = browser.new_context()
        cookie = login(url, user, password)['Cookie'].split('=', 1)
        self.context.add_cookies([{'name': cookie[0], 'value': cookie[1], 'url': url}])
        self.context.route('**/*', lambda route: route.continue_()
                           if route.request.url.startswith(url) else route.abort())  # no CDN
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda error: self.errors.append(str(error)))
        self.page.on('console', lambda message: message.type == 'error' and 'net::ERR_FAILED'
                     not in message.text and self.errors.append(message.text))
        self.page.on('response', lambda response: response.status >= 400 and self.errors.append(
            'HTTP %s %s' % (response.status, response.url)))
        response = self.page.goto(url + path)
        assert response.status == 200, '%s: %s\n%s' % (self.name, response.status,
                                                      response.text()[:3000])

    def subscribed(self):
        try:
            self.page.wait_for_function(
                "() => { const r = document.RAWidgets && document.RAWidgets.todos;"
                " return !!r && r.subscriptions.indexOf('todos-1') >= 0; }", timeout=20000)
        except Exception:
            raise AssertionError('%s: the widget did not subscribe to todos-1: %r\n%s'
                                 % (self.name, self.errors, self.page.content()[:3000]))

    def observe(self):
        self.page.evaluate(OBSERVE)

    def shown(self):
        return self.page.evaluate('window.states[window.states.length - 1]')

    def states(self):
        return [json.loads(state) for state in self.page.evaluate('window.states')]


def wait_until(pages, expected, what, server, timeout=20):
    """Every page shows ``expected`` (the list's rows, in order) within ``timeout`` s."""
    target = json.dumps(expected, separators=(',', ':'))  # as JSON.stringify
    deadline = time.monotonic() + timeout
    for page in pages:
        while page.page.evaluate('window.states[window.states.length - 1]') != target:
            if time.monotonic() > deadline:
                raise AssertionError('%s: after %s, the page shows %s, not %s; errors: %r%s'
                                     % (page.name, what, page.shown(), target, page.errors,
                                        _log(server)))
            page.page.wait_for_timeout(100)


def changes_of(states, text):
    """What happened to the row ``text`` along ``states``: a list of its successive shows
    (``'open'``, ``'done'``, ``'absent'``, or ``'2 times'`` when shown twice)."""
    seen = []
    for rows in states:
        mine = [row.rsplit(':', 1)[1] for row in rows if row.rsplit(':', 1)[0] == text]
        now = 'absent' if not mine else mine[0] if len(mine) == 1 else '%d times' % len(mine)
        if not seen or seen[-1] != now:
            seen.append(now)
    return seen


def test_every_change_reaches_every_page_once(qs, server):
    """Three pages (a manager's Kajiki page, an editor's Kajiki page, the editor's Genshi
    page) follow list 1 while a fourth page adds a row by the form, one page toggles it, the
    script inserts one and the fourth page deletes it: every page shows each change once; an
    action and a socket handler that write, publish and raise change none."""
    from tests.browser import chromium
    url = server.url
    with sqlite3.connect(qs.path('devdata.db'), timeout=30) as connection:
        connection.execute('DELETE FROM todos')  # rows of an earlier run (a kept app)
    before = requests.post(url + '/add_todo', data={'text': 'first paint', 'list_id': '1'},
                           headers=login(url, 'manager', 'managepass'), allow_redirects=False,
                           timeout=30)
    assert before.status_code == 302, before.text[-3000:] + _log(server)
    assert database_rows(qs) == ['first paint:open']

    with chromium() as browser:
        watched = [Page(browser, url, 'manager', 'managepass', '/todos?list_id=1'),
                   Page(browser, url, 'editor', 'editpass', '/todos?list_id=1'),
                   Page(browser, url, 'editor', 'editpass', '/todos_genshi?list_id=1')]
        for page in watched:
            page.subscribed()
            page.observe()
        assert [page.states()[-1] for page in watched] == [['first paint:open']] * 3

        # A form POST (a fourth page submits the Kajiki page's form).
        actor = Page(browser, url, 'manager', 'managepass', '/todos?list_id=1')
        actor.page.fill('#new-todo input[name=text]', 'from the form')
        with actor.page.expect_navigation():
            actor.page.click('#new-todo button[type=submit]')
        expected = ['first paint:open', 'from the form:open']
        assert database_rows(qs) == expected
        wait_until(watched, expected, 'the form POST', server)

        # Toggled by a click in another page (the editor's Genshi page): @this.send('toggle').
        watched[2].page.click('#todos li.todo:has-text("from the form") .text')
        expected = ['first paint:open', 'from the form:done']
        wait_until(watched, expected, "the Genshi page's toggle", server)
        assert database_rows(qs) == expected

        # Inserted by the script, another process, through Redis.
        script = run_script(qs, 'development.ini', 'from the script')
        assert script.returncode == 0, 'add_todo.py exited with %s:\n%s\n%s' % (
            script.returncode, script.stdout[-3000:], script.stderr[-5000:])
        expected.append('from the script:open')
        assert database_rows(qs) == expected
        wait_until(watched, expected, 'the script', server)

        # Deleted by the fourth page's button (its form POST).
        actor.page.reload()
        actor.subscribed()
        with actor.page.expect_navigation():
            actor.page.click('#todos li.todo:has-text("from the script") button.delete')
        expected = ['first paint:open', 'from the form:done']
        assert database_rows(qs) == expected
        wait_until(watched, expected, 'the delete', server)

        # An action and a socket handler that write, publish by hand and then raise.
        failed = requests.get(url + '/add_then_fail', params={'text': 'rolled back action'},
                              timeout=30)
        assert failed.status_code == 500, failed.status_code
        sio, recorder = client(url, NS, headers=login(url, 'manager', 'managepass'))
        try:
            answer = sio.call('add_then_fail', 'rolled back handler', namespace=NS, timeout=15)
        finally:
            sio.disconnect()
        assert isinstance(answer, dict) and answer['error']['name'] == 'internal_error', answer
        assert database_rows(qs) == expected
        # A publication would take milliseconds; the script's took less than this.
        watched[0].page.wait_for_timeout(2500)

        for page in watched:
            states = page.states()
            assert states[-1] == expected, '%s ends with %r, the database has %r' % (
                page.name, states[-1], expected)
            assert page.page.evaluate('window.marker') == 'no reload', page.name
            history = {text: changes_of(states, text) for text in (
                'first paint', 'from the form', 'from the script', 'rolled back action',
                'rolled back handler')}
            assert history == {
                'first paint': ['open'],
                'from the form': ['absent', 'open', 'done'],
                'from the script': ['absent', 'open', 'absent'],
                'rolled back action': ['absent'],
                'rolled back handler': ['absent'],
            }, '%s: the rows went through %r (states: %r)' % (page.name, history, states)
            assert page.errors == [], '%s: %r' % (page.name, page.errors)
        assert actor.errors == [], actor.errors


def test_the_script_on_memory_fails_loudly(qs):
    """On memory:// the script's commit raises PublishError: exit 1, nothing committed."""
    ini = qs.ini_copy(qs.port, 'development-memory.ini')
    edit(qs, 'development-memory.ini', lambda text: re.sub(
        r'^socketio\.backend = .*$', 'socketio.backend = memory://', text, flags=re.M))
    before = database_rows(qs)
    result = run_script(qs, os.path.basename(ini), 'never seen')
    assert result.returncode != 0, 'add_todo.py on memory:// exited with 0:\n%s\n%s' % (
        result.stdout[-3000:], result.stderr[-3000:])
    assert 'PublishError' in result.stderr, result.stderr[-5000:]
    assert database_rows(qs) == before, 'the script committed on memory://'


def test_the_apps_own_suite_passes_with_its_coverage_gate(qs):
    """``python -m pytest`` in the app, as its README says (gate on), with the README's
    test_todos.py, test.ini line and coverage line."""
    report = qs.path('junit-live.xml')
    result = qs.run([os.path.join(qs.bin, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider',
                     '--junitxml', report], timeout=300)
    output = result.stdout + result.stderr
    outcomes = quickstart.junit_outcomes(report, output)
    todos = {name: outcome for name, outcome in outcomes.items() if 'test_todos' in name}
    assert len(todos) == 4 and set(todos.values()) == {'passed'}, (
        "the README's test_todos.py: %r\n%s" % (todos, output[-6000:]))
    assert result.returncode == 0, 'the app\'s suite exited with %s (outcomes %r):\n%s' % (
        result.returncode, {k: v for k, v in outcomes.items() if v != 'passed'}, output[-6000:])
    assert 'Required test coverage of 90% reached' in output, output[-3000:]
    # With the README's coverage line, the lines after the client's calls are counted too
    # (without it, those of test_todos.py after each call() and wait_for() are not).
    assert re.search(r'test_todos\.py\s+\d+\s+0\s+100%', output), output[-3000:]

