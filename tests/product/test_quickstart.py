"""tgext.socketio in a real ``gearbox quickstart`` app, integrated as the README says.

The app, its venv and the contract are in :mod:`tests.quickstart`. Everything a test
asserts is what the app's user sees: exit codes, pages, what official clients and
Chromium receive. Set-up (venv, wheel, quickstart, install) takes ~20 s, the module ~2-3 min.

``TGEXT_QUICKSTART_DIR=/some/dir`` builds the app there once and reuses it on later runs
(to work on these tests; delete the directory after changing the library or the contract).
"""
import os
import sqlite3
import tempfile
import time

import pytest
import requests
import socketio

from tests import quickstart
from tests.helpers import client, connect_refusals, free_port, login

pytestmark = pytest.mark.timeout(300)
NS = '/chat'


@pytest.fixture(scope='module')
def qs():
    kept = os.environ.get('TGEXT_QUICKSTART_DIR')   # to work on these tests: build once
    if kept:
        app = quickstart.reuse(kept)
        if app is None:
            os.makedirs(kept, exist_ok=True)
            app = quickstart.build(kept)
        yield app
        return
    base = tempfile.mkdtemp(prefix='tgext-socketio-quickstart-')
    try:
        app = quickstart.build(base)
    except BaseException:
        quickstart.remove(base)
        raise
    print('\nquickstart set-up took %(total)s s: %(timings)s'
          % {'total': app.timings['total'], 'timings': app.timings})
    yield app
    quickstart.remove(app)


@pytest.fixture(scope='module')
def setup_app(qs):
    """``gearbox setup-app -c development.ini``, once."""
    return qs.run([os.path.join(qs.bin, 'gearbox'), 'setup-app', '-c', 'development.ini'])


@pytest.fixture(scope='module')
def database(qs, setup_app):
    """The app's SQLite database, made by ``gearbox setup-app``.

    If setup-app fails (test 1 says so), the database is made by the same command under a
    monkey-patched interpreter, so that the other tests still show their own failures.
    """
    if setup_app.returncode != 0:
        patched = qs.run([os.path.join(qs.bin, 'python'), '-c',
                          'from gevent import monkey; monkey.patch_all()\n'
                          'import sys\nfrom gearbox.main import main\n'
                          'sys.argv = ["gearbox", "setup-app", "-c", "development.ini"]\n'
                          'sys.exit(main())'])
        if patched.returncode != 0:
            raise AssertionError('gearbox setup-app failed, so there is no database:\n%s'
                                 % patched.stderr[-3000:])
    return qs.path('devdata.db')


@pytest.fixture(scope='module')
def server(qs, database):
    """``gearbox serve -c development.ini`` (gevent server, ``debug = true``)."""
    process = qs.serve()
    yield process
    process.stop()


def _connect(process, headers, namespace=NS):
    """helpers.client, failing with what the server logged."""
    try:
        return client(process.url, namespace, headers=headers)
    except Exception as error:
        raise AssertionError('a client could not connect to %s: %r%s'
                             % (namespace, error, _output(process)))


@pytest.fixture
def clients():
    """Connected clients, all disconnected when the test ends."""
    made = []

    def connect(process, headers=None, namespace=NS):
        sio, recorder = _connect(process, headers, namespace)
        made.append(sio)
        return sio, recorder
    yield connect
    for sio in made:
        sio.disconnect()


def _output(process):
    return '\n--- server log (end) ---\n%s' % process.output()[-5000:]


def _messages(url):
    page = requests.get(url + '/messages', timeout=15)
    assert page.status_code == 200, 'GET /messages: %s\n%s' % (page.status_code, page.text[:3000])
    return page.text


def _tg_write(url, title):
    """A plain TurboGears write (the quickstart's todo demo); '' if it worked, else why not."""
    response = requests.post(url + '/demo/add', data={'title': title}, timeout=30)
    if response.status_code != 200 or 'database is locked' in response.text:
        return 'POST /demo/add answered %s%s' % (
            response.status_code, ' (database is locked)' if 'database is locked'
            in response.text else ': ' + response.text[:1500])
    if title not in requests.get(url + '/demo/todos', timeout=15).text:
        return 'the todo %r written by POST /demo/add is not on /demo/todos' % title
    return ''


# 1 -------------------------------------------------------------------------------------

def test_setup_app_succeeds(qs, setup_app):
    assert setup_app.returncode == 0, (
        'gearbox setup-app -c development.ini exited with %s after plugme:\n%s\n%s'
        % (setup_app.returncode, setup_app.stdout[-2000:], setup_app.stderr[-4000:]))
    with sqlite3.connect(qs.path('devdata.db')) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {'message', 'tg_user'} <= tables, tables


# 2 -------------------------------------------------------------------------------------

def test_app_test_suite_passes(qs):
    """``python -m pytest`` in the app, as its README says: coverage gate on.

    The suite is the 20 generated tests, ``test_pages.py`` (the added pages, no socket) and
    ``test_chat.py`` (the in-process Socket.IO client, test 9 on its own).
    """
    report = qs.path('junit.xml')
    # --continue-on-collection-errors: test_chat.py cannot even be imported while
    # tgext.socketio.testing is missing; the other tests must still say how they fare.
    result = qs.run([os.path.join(qs.bin, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider',
                     '--continue-on-collection-errors', '--junitxml', report], timeout=240)
    output = result.stdout + result.stderr
    assert 'NotMonkeyPatched' not in output, (
        'the app\'s own tests (no server, no gevent) hit NotMonkeyPatched:\n%s' % output[-5000:])
    outcomes = quickstart.junit_outcomes(report, output)
    generated = {name: outcome for name, outcome in outcomes.items()
                 if 'test_chat' not in name and 'test_pages' not in name}
    assert len(generated) == 20 and set(generated.values()) == {'passed'}, (
        'the 20 generated tests (none: pytest stopped before running them): %r\n%s'
        % (generated, output[-5000:]))
    pages = {name: outcome for name, outcome in outcomes.items() if 'test_pages' in name}
    assert len(pages) == 3 and set(pages.values()) == {'passed'}, (
        'the added pages (test_pages.py): %r\n%s' % (pages, output[-5000:]))
    assert result.returncode == 0, (
        'the app\'s suite (with test_chat.py and the 90%% coverage gate) exited with %s:\n%s'
        % (result.returncode, output[-5000:]))
    assert 'Required test coverage of 90% reached' in output, output[-3000:]


# 3 -------------------------------------------------------------------------------------

def test_tgshell_loads_the_app_without_monkey_patching(qs):
    script = qs.path('shell_check.py')
    with open(script, 'w', encoding='utf-8') as source:
        source.write("import gevent.monkey\n"
                     "print('PATCHED', gevent.monkey.is_module_patched('socket'))\n"
                     "print('STATUS', app.get('/login').status_int)\n"
                     "print('MODEL', model.Message.__tablename__)\n")
    result = qs.run([os.path.join(qs.bin, 'gearbox'), 'tgshell', '-c', 'development.ini',
                     script])
    output = result.stdout + result.stderr
    assert result.returncode == 0 and 'STATUS 200' in output and 'MODEL message' in output, (
        'gearbox tgshell exited with %s:\n%s' % (result.returncode, output[-5000:]))
    assert 'PATCHED False' in output, output[-2000:]

    loaded = qs.run([os.path.join(qs.bin, 'python'), '-c',
                     "from paste.deploy import loadapp; import os; "
                     "app = loadapp('config:development.ini', relative_to=os.getcwd()); "
                     "print('LOADED', type(app).__name__)"])
    assert loaded.returncode == 0 and 'LOADED' in loaded.stdout, (
        'paste.deploy.loadapp exited with %s:\n%s' % (loaded.returncode, loaded.stderr[-5000:]))


# 4 -------------------------------------------------------------------------------------

def test_say_is_published_and_committed(server, clients):
    url = server.url
    sio, recorder = clients(server, login(url, 'manager', 'managepass'))
    assert sio.call('subscribe', ('room', '1'), namespace=NS, timeout=10) == 'room-1'
    listener, heard = clients(server, login(url, 'editor', 'editpass'))
    assert listener.call('subscribe', ('room', '1'), namespace=NS, timeout=10) == 'room-1'

    answer = sio.call('say', ('room-1', 'hello from manager'), namespace=NS, timeout=10)
    assert answer == 'ok', 'say answered %r (errors: %r)%s' % (
        answer, recorder.of('error'), _output(server))
    data, channel, _ = heard.wait_for('publication')[0]
    assert channel == 'room-1'
    assert isinstance(data.pop('id', None), int), data
    assert data == {'text': 'hello from manager', 'user_name': 'manager'}
    assert recorder.wait_for('publication')[0][0]['text'] == 'hello from manager'

    # The acknowledgement came after the commit: the row is on the page already, and the
    # event's transaction holds no lock on the database.
    committed = 'manager: hello from manager' in _messages(url)
    write = _tg_write(url, 'todo after a socket write')
    assert committed and not write, '%s%s%s' % (
        '' if committed else 'the row written by say is not on /messages (not committed). ',
        write, _output(server))
    assert recorder.of('error') == [], recorder.of('error')


def test_fail_is_rolled_back_and_reported(server, clients):
    url = server.url
    sio, recorder = clients(server, login(url, 'manager', 'managepass'))
    before = sio.call('count', namespace=NS, timeout=10)
    assert isinstance(before, int), 'count answered %r' % (before,)

    answer = sio.call('fail', namespace=NS, timeout=10)
    error = recorder.wait_for('error')[0][0]
    assert error['name'] == 'internal_error', error
    assert isinstance(answer, dict) and answer['error']['name'] == 'internal_error', answer
    assert 'never committed' not in _messages(url), (
        'the row added before the exception was committed' + _output(server))
    write = _tg_write(url, 'todo after a failed socket event')
    assert not write, write + _output(server)
    after = sio.call('count', namespace=NS, timeout=10)
    assert after == before, (
        'count was %r before fail and %r after: the failed event\'s row was not rolled back '
        '(the next event of the connection still sees it)' % (before, after))
    assert sio.connected, 'the failing event closed the connection'


def test_hundred_clients_do_not_exhaust_the_pool(server):
    url = server.url
    cookie = login(url, 'editor', 'editpass')
    counts = []
    started = time.monotonic()
    for number in range(100):
        sio, recorder = _connect(server, cookie)
        try:
            counts.append(sio.call('count', namespace=NS, timeout=10))
        except socketio.exceptions.TimeoutError:
            raise AssertionError('client %d got no answer to count within 10 s (pool '
                                 'exhausted?); errors: %r%s' % (number, recorder.of('error'),
                                                                _output(server)))
        finally:
            sio.disconnect()
    assert all(isinstance(count, int) for count in counts), counts[:5]
    assert len(set(counts)) == 1, 'nobody wrote, yet count changed: %r' % sorted(set(counts))
    for page in ('/messages', '/demo', '/login'):
        response = requests.get(url + page, timeout=15)
        assert response.status_code == 200, 'GET %s after 100 clients: %s\n%s' % (
            page, response.status_code, response.text[:2000])
    write = _tg_write(url, 'todo after 100 clients')
    assert not write, write + _output(server)
    print('100 clients one after another: %.1f s' % (time.monotonic() - started))


def test_anonymous_client_is_refused(server):
    try:
        refusals = connect_refusals(server.url, NS)
    except AssertionError:
        raise
    except Exception as error:
        raise AssertionError('an anonymous client got %r instead of a connect error%s'
                             % (error, _output(server)))
    assert refusals, 'no connect error for an anonymous client'


# 5 -------------------------------------------------------------------------------------

def test_announce_before_any_client_then_subscribers_receive(qs, database, clients):
    port = free_port()
    process = qs.serve(ini=os.path.basename(qs.ini_copy(port)), port=port)
    try:
        url = process.url
        first = requests.get(url + '/announce', params={'text': 'nobody listens'}, timeout=15)
        assert first.status_code == 200, '/announce before any client: %s\n%s%s' % (
            first.status_code, first.text[:3000], _output(process))
        assert first.json() == {'sent': 'nobody listens'}

        sio, recorder = clients(process, login(url, 'editor', 'editpass'))
        assert sio.call('subscribe', ('room', '1'), namespace=NS, timeout=10) == 'room-1'
        later = requests.get(url + '/announce', params={'text': 'later news'}, timeout=15)
        assert later.status_code == 200, later.text[:3000]
        data, channel, _ = recorder.wait_for('publication')[0]
        assert (data, channel) == ({'text': 'later news', 'user_name': 'server'}, 'room-1')
    finally:
        process.stop()


# 6 -------------------------------------------------------------------------------------

def test_serve_with_reload_answers_a_handshake(qs, database, clients):
    port = free_port()
    process = qs.serve('--reload', ini=os.path.basename(qs.ini_copy(port)), port=port)
    try:
        url = process.url
        sio, recorder = clients(process, login(url, 'manager', 'managepass'))
        assert sio.call('subscribe', ('room', '2'), namespace=NS, timeout=10) == 'room-2'
        assert isinstance(sio.call('count', namespace=NS, timeout=10), int)
    finally:
        process.stop()


# 7 -------------------------------------------------------------------------------------

@pytest.mark.parametrize('asset', ['socket.io.min.js', 'ractive.min.js'])
def test_client_assets_are_served_from_the_wheel(server, asset):
    response = requests.get(server.url + '/_socketio/' + asset, timeout=15)
    assert response.status_code == 200, (
        '/_socketio/%s answered %s from the wheel install (the app has no npm): %s%s'
        % (asset, response.status_code, response.text[-1500:], _output(server)))
    assert len(response.content) > 10000 and b'function' in response.content


# 8 -------------------------------------------------------------------------------------

def test_widget_shows_an_announcement_in_chromium(server):
    from tests.browser import chromium
    url = server.url
    errors = []
    with chromium() as browser:
        page = browser.new_page()
        # The quickstart's master template links a CDN: no network here.
        page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url)
                   else route.abort())
        page.on('pageerror', lambda error: errors.append(str(error)))
        page.on('console', lambda message: message.type == 'error' and 'net::ERR_FAILED'
                not in message.text and errors.append(message.text))   # not the CDN
        page.on('response', lambda response: response.status >= 400 and errors.append(
            'HTTP %s %s' % (response.status, response.url)))
        page.goto(url + '/login')
        page.fill('input[name=login]', 'manager')
        page.fill('input[name=password]', 'managepass')
        page.click('button[type=submit]')
        page.wait_for_load_state()
        response = page.goto(url + '/live')
        assert response.status == 200, response.text()[:3000]
        assert page.locator('#lines').count() == 1, 'no widget markup on /live:\n%s' % (
            page.content()[:3000])
        try:
            page.wait_for_function(
                "() => { const r = document.RAWidgets && document.RAWidgets.live;"
                " return !!r && r.subscriptions.indexOf('room-1') >= 0; }", timeout=10000)
        except Exception:
            raise AssertionError('the widget did not subscribe to room-1; page errors: %r\n%s%s'
                                 % (errors, page.content()[:3000], _output(server)))
        announce = requests.get(url + '/announce', params={'text': 'seen in the browser'},
                                timeout=15)
        assert announce.status_code == 200, announce.text[:2000]
        try:
            page.wait_for_selector('#lines .line:has-text("server: seen in the browser")',
                                   timeout=5000)
        except Exception:
            raise AssertionError('the announcement did not appear in the widget; errors: %r'
                                 '\n%s%s' % (errors, page.content()[:3000], _output(server)))


def test_console_for_the_manager_403_for_the_editor(server, clients):
    """The console mounted behind has_permission('manage'): the quickstart's manager sees the
    connections in Chromium (the app's Kajiki pages, its auth, the installed wheel)."""
    from tests.browser import ConsoleErrors, chromium
    url = server.url
    assert requests.get(url + '/console/', headers=login(url, 'editor', 'editpass'),
                        timeout=15).status_code == 403
    clients(server, login(url, 'editor', 'editpass'))
    cookie = login(url, 'manager', 'managepass')['Cookie'].split('=', 1)
    with chromium() as browser:
        context = browser.new_context()
        context.add_cookies([{'name': cookie[0], 'value': cookie[1], 'url': url}])
        page = context.new_page()
        errors = ConsoleErrors(page)
        response = page.goto(url + '/console/')
        assert response.status == 200, response.text()[:3000]
        try:
            page.wait_for_selector('.connection:has(.user:text-is("editor"))', timeout=10000)
        except Exception:
            raise AssertionError('the console does not show the editor\'s connection: %r\n%s%s'
                                 % (errors, page.content()[:3000], _output(server)))
        assert errors == []


# 9 -------------------------------------------------------------------------------------

def test_app_tests_with_the_in_process_client(qs):
    result = qs.run([os.path.join(qs.bin, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider',
                     '-o', 'addopts=', os.path.join(quickstart.PACKAGE, 'tests', 'functional',
                                                    'test_chat.py')], timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and '1 passed' in output, (
        '%s/tests/functional/test_chat.py (tgext.socketio.testing.SocketIOTestClient) '
        'exited with %s:\n%s' % (quickstart.PACKAGE, result.returncode, output[-5000:]))
