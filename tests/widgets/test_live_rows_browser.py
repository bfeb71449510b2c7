"""on_rows widgets in Chromium follow a live model's rows: every change once, in every
page, whatever the order of a writer's commit and publish against the page's render;
tokens that do not hold show; rows are read again, without a reload, when deltas cannot say."""
import threading
import time
import uuid

import pytest
import requests

from tests.browser import ConsoleErrors
from tests.helpers import CuttableProxy, start_app

APP = ['-m', 'tests.sample_apps.live_todos']


@pytest.fixture(scope='module')
def todos(tmp_path_factory):
    """The live TODO app on memory://, keeping 8 publications per channel."""
    path = tmp_path_factory.mktemp('live-todos') / 'todos.db'
    process = start_app(APP, env={'LIVE_TODOS_DB': str(path), 'LIVE_TODOS_HISTORY': '*:8:300'})
    yield process
    process.stop()


_lists = iter(range(100, 10000))


@pytest.fixture
def list_id():
    """A list of its own for each test: the module's tests share one database."""
    return next(_lists)


def call(app, action, **params):
    response = requests.get(app.url + '/' + action, params=params, timeout=60)
    assert response.ok, response.text
    return response.json()


def state(app, list_id):
    return call(app, 'state', list_id=list_id)['rows']


def shown(page):
    return page.locator('#todos .todo').all_inner_texts()


def open_list(browser, url, list_id, subscribed=True, **params):
    page = browser.new_context().new_page()
    errors = ConsoleErrors(page)
    page.goto(url + '/?' + '&'.join('%s=%s' % pair for pair in
                                    dict(params, list_id=list_id).items()))
    page.evaluate('window.marker = "no reload"')
    if subscribed:
        page.wait_for_function('document.RAWidgets.todos && '
                               'document.RAWidgets.todos.subscriptions.length', timeout=20000)
    return page, errors


def events(page, name=None):
    found = page.evaluate('window.events || []')
    return [event for event in found if name is None or event[1] == name]


def settle(page, app, list_id, timeout=20):
    """Wait until the page shows what the database holds, and check it stays so."""
    expected = state(app, list_id)
    deadline = time.monotonic() + timeout
    while shown(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert shown(page) == expected
    page.wait_for_timeout(700)  # nothing late doubles a row
    assert shown(page) == expected
    assert page.evaluate('window.marker') == 'no reload'
    return expected


def test_changes_appear_in_every_page_exactly_once(browser, todos, list_id):
    before = call(todos, 'add', text='before', list_id=list_id)['id']
    pages = [open_list(browser, todos.url, list_id) for _ in range(3)]
    milk = call(todos, 'add', text='milk', list_id=list_id)['id']
    eggs = call(todos, 'add', text='eggs', list_id=list_id)['id']
    call(todos, 'toggle', id=milk)
    call(todos, 'rename', id=eggs, text='brown eggs')
    call(todos, 'remove', id=before)
    expected = ['%d:milk:done' % milk, '%d:brown eggs:open' % eggs]
    for page, errors in pages:
        assert settle(page, todos, list_id) == expected
        assert [name for _, name, *_ in events(page)] == ['subscribed']  # deltas, no re-read
        assert errors == []
        page.context.close()


def test_order_keeps_the_list_sorted(browser, todos, list_id):
    for text in ('b', 'c'):
        call(todos, 'add', text=text, list_id=list_id)
    page, _ = open_list(browser, todos.url, list_id, order='-text')
    ids = [call(todos, 'add', text=text, list_id=list_id)['id'] for text in ('a', 'd')]
    call(todos, 'rename', id=ids[0], text='e')
    deadline = time.monotonic() + 20
    while len(shown(page)) < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    assert [row.split(':')[1] for row in shown(page)] == ['e', 'd', 'c', 'b']
    page.context.close()


# A writer's commit (C) and publish (P) against a page's position (Pos) and read (Rd):
# every order with C before P and Pos before Rd.
ORDERS = ['C P Pos Rd', 'C Pos P Rd', 'C Pos Rd P', 'Pos C P Rd', 'Pos C Rd P', 'Pos Rd C P']


@pytest.mark.parametrize('order', ORDERS)
def test_commit_render_and_publish_interleaved_every_way(browser, todos, list_id, order):
    call(todos, 'add', text='already there', list_id=list_id)
    steps = order.split()
    gate = uuid.uuid4().hex
    written = {}

    def do(step):
        if step == 'C':
            written['id'] = call(todos, 'raw_commit', text='race item', list_id=list_id)['id']
        elif step == 'P':
            call(todos, 'raw_publish', id=written['id'], list_id=list_id)

    def writer():
        try:
            assert call(todos, 'gate_wait', name=gate, step='positioned')['reached']
            for step in steps[steps.index('Pos') + 1:steps.index('Rd')]:
                do(step)
            call(todos, 'gate_open', name=gate, step='read')
            assert call(todos, 'gate_wait', name=gate, step='done')['reached']
            for step in steps[steps.index('Rd') + 1:]:
                do(step)
        except Exception as error:  # reported by the main thread
            written['error'] = error
        finally:
            call(todos, 'gate_open', name=gate, step='read')
            call(todos, 'gate_open', name=gate, step='render')

    for step in steps[:steps.index('Pos')]:
        do(step)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    page, errors = open_list(browser, todos.url, list_id, gate=gate)
    thread.join(60)
    assert not thread.is_alive() and 'error' not in written, written
    final = settle(page, todos, list_id)
    assert [row.split(':')[1] for row in final] == ['already there', 'race item']
    assert len(set(shown(page))) == len(shown(page)) == 2
    assert errors == []
    page.context.close()


@pytest.mark.parametrize('spoiled', ['forged', 'expired', 'refused by the hook'])
def test_a_page_whose_subscription_does_not_hold_receives_nothing(browser, todos, spoiled):
    if spoiled == 'refused by the hook':
        list_id, params = 13, {'token': 'none'}  # subscribe_todos refuses list 13
    else:
        list_id, params = next(_lists), {'token': spoiled}
    call(todos, 'add', text='first paint', list_id=list_id)
    page, _ = open_list(browser, todos.url, list_id, subscribed=False, **params)
    page.wait_for_selector('#todos.axf-ractive-rejected', state='attached', timeout=20000)
    first_paint = shown(page)
    call(todos, 'add', text='not for this page', list_id=list_id)
    page.wait_for_timeout(1500)
    assert shown(page) == first_paint
    assert page.evaluate('document.RAWidgets.todos.subscriptions') == []
    [rejection] = events(page, 'subscription_rejected')
    reason = {'forged': 'invalid_token', 'expired': 'expired_token',
              'refused by the hook': None}[spoiled]
    assert rejection[3]['name'] == 'subscription_rejected'
    if reason:
        assert rejection[3]['reason'] == reason
    # an expired token is renewed once by a refresh (which here expires again), no more
    assert len(events(page, 'refreshed')) == (1 if spoiled == 'expired' else 0)
    assert page.evaluate('window.marker') == 'no reload'
    page.context.close()


def test_an_expired_token_is_renewed_by_reading_the_rows_again(browser, todos, list_id):
    call(todos, 'add', text='milk', list_id=list_id)
    page, errors = open_list(browser, todos.url, list_id, token='expired',
                             refresh_url='/%3Flist_id=' + str(list_id))
    call(todos, 'add', text='eggs', list_id=list_id)
    settle(page, todos, list_id)
    assert [name for _, name, *_ in events(page)] == ['refreshed', 'subscribed']
    assert not page.locator('#todos.axf-ractive-rejected').count()
    page.context.close()


def test_a_refresh_delta_reads_the_rows_again_without_a_reload(browser, todos, list_id):
    for text in ('a', 'b'):
        call(todos, 'add', text=text, list_id=list_id)
    page, errors = open_list(browser, todos.url, list_id)
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")
    assert call(todos, 'bulk_done', list_id=list_id)['count'] == 2
    assert [row.split(':')[2] for row in settle(page, todos, list_id)] == ['done', 'done']
    assert [name for _, name, *_ in events(page)] == ['subscribed', 'refreshed', 'subscribed']
    call(todos, 'add', text='after', list_id=list_id)  # and it follows deltas again
    assert len(settle(page, todos, list_id)) == 3
    assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations
    assert not page.locator('#todos.axf-ractive-stale').count()
    assert errors == []
    page.context.close()


@pytest.fixture
def proxy(todos):
    proxy = CuttableProxy(todos.port)
    yield proxy
    proxy.close()


@pytest.mark.parametrize('changes, refreshed', [(3, 0), (12, 1)],
                         ids=['recovered', 'beyond the history'])
def test_a_cut_page_catches_up_or_reads_its_rows_again(browser, todos, proxy, list_id, changes,
                                                       refreshed):
    ids = [call(todos, 'add', text='row %d' % n, list_id=list_id)['id'] for n in range(3)]
    page, _ = open_list(browser, proxy.url, list_id)
    proxy.cut()
    page.wait_for_selector('#todos.axf-ractive-disconnected', state='attached', timeout=45000)
    for n in range(changes):  # history keeps 8 per channel
        if n % 3 == 0:
            call(todos, 'toggle', id=ids[0])
        elif n % 3 == 1:
            call(todos, 'add', text='missed %d' % n, list_id=list_id)
        else:
            call(todos, 'rename', id=ids[1], text='renamed %d' % n)
    call(todos, 'remove', id=ids[2])
    proxy.plug()
    settle(page, todos, list_id, timeout=30)
    assert len(events(page, 'refreshed')) == refreshed
    page.wait_for_selector('#todos:not(.axf-ractive-disconnected):not(.axf-ractive-stale)',
                           state='attached')
    page.context.close()


def test_upsert_replaces_by_key_and_applies_twice_as_once(browser, todos):
    page = browser.new_context().new_page()
    errors = ConsoleErrors(page)
    page.goto(todos.url + '/notes')
    page.wait_for_function('document.RAWidgets.notes.subscriptions.length', timeout=20000)
    call(todos, 'publish_note', id=1, text='one')
    call(todos, 'publish_note', id=2, text='two')
    call(todos, 'publish_note', id=1, text='one again')
    call(todos, 'publish_note', id=1, text='one again')
    call(todos, 'publish_note', id=2, text='two, server-addressed', to_widget='notes')
    call(todos, 'publish_note', id=2, text='two, server-addressed', to_widget='notes')
    page.wait_for_function("document.querySelectorAll('#notes .note')[1] && document."
                           "querySelectorAll('#notes .note')[1].textContent.includes('server')",
                           timeout=20000)
    page.wait_for_timeout(500)
    assert page.locator('#notes .note').all_inner_texts() == ['one again', 'two, server-addressed']
    assert errors == []
    page.context.close()


def test_widgets_with_socket_options_get_a_socket_of_their_own(browser, todos):
    page = browser.new_context().new_page()
    page.goto(todos.url + '/sockets')
    page.wait_for_function('document.RAWidgets.ws && document.RAWidgets.ws.socket.connected && '
                           'document.RAWidgets.plain.socket.connected', timeout=20000)
    assert page.evaluate('document.RAWidgets.plain.socket === document.RAWidgets.same.socket')
    assert page.evaluate('document.RAWidgets.plain.socket !== document.RAWidgets.ws.socket')
    assert page.evaluate('document.RAWidgets.ws.socket.io !== document.RAWidgets.plain.socket.io')
    assert page.evaluate('document.RAWidgets.ws.socket.io.engine.transport.name') == 'websocket'
    whoami = ("name => new Promise(done => document.RAWidgets[name].socket.emit('whoami', done))")
    assert page.evaluate(whoami, 'ws') == {'auth': {'who': 'ws'}}
    assert page.evaluate(whoami, 'plain') == {'auth': None}
    page.context.close()


def test_a_refused_send_shows_until_a_send_succeeds(browser, todos, list_id):
    page, _ = open_list(browser, todos.url, list_id)
    page.click('#todos .rename')  # rename_to is '': the server refuses
    page.wait_for_selector('#todos.axf-ractive-refused', state='attached', timeout=20000)
    [refused] = events(page, 'refused')
    assert refused[2] == 'rename' and refused[3]['name'] == 'invalid_method_args'
    page.evaluate("document.RAWidgets.todos.set('rename_to', 'a name')")
    page.click('#todos .rename')
    page.wait_for_selector('#todos:not(.axf-ractive-refused)', state='attached', timeout=20000)
    assert len(events(page, 'refused')) == 1
    page.context.close()


def test_a_send_the_edge_refuses_without_an_answer_shows_too(browser, todos):
    """Attachments over max_http_buffer_size: an error event and a disconnection, no ack."""
    page = browser.new_context().new_page()
    page.goto(todos.url + '/sockets')
    page.wait_for_function('document.RAWidgets.ws && document.RAWidgets.ws.socket.connected',
                           timeout=20000)
    page.evaluate("""() => {
        const ws = document.RAWidgets.ws;
        ws.on('refused', (ctx, event, error) => { window.refused = [event, error.name]; });
        const part = () => new ArrayBuffer(400 * 1024);  // three: over the 1 MB limit
        ws.send('rename', part(), part(), part());
    }""")
    page.wait_for_selector('#ws.axf-ractive-refused', state='attached', timeout=20000)
    assert page.evaluate('window.refused') == ['rename', 'attachments_too_large']
    assert not page.locator('#plain.axf-ractive-refused').count()
    page.context.close()


def open_dashboard(browser, url, list_id):
    page = browser.new_context().new_page()
    errors = ConsoleErrors(page)
    page.goto('%s/dashboard?list_id=%s' % (url, list_id))
    page.evaluate('window.marker = "no reload"')
    page.wait_for_function('document.RAWidgets.todos && '
                           'document.RAWidgets.todos.subscriptions.length', timeout=20000)
    return page, errors


@pytest.mark.parametrize('changes, refreshed', [(3, 0), (12, 1)],
                         ids=['recovered', 'beyond the history'])
def test_a_read_only_widget_follows_its_rows_over_server_sent_events(browser, todos, proxy,
                                                                     list_id, changes,
                                                                     refreshed):
    ids = [call(todos, 'add', text='row %d' % n, list_id=list_id)['id'] for n in range(3)]
    page, errors = open_dashboard(browser, proxy.url, list_id)
    assert page.evaluate('typeof window.io') == 'undefined'  # no Socket.IO client loaded
    call(todos, 'toggle', id=ids[0])
    settle(page, todos, list_id)
    assert errors == []  # the cut will make the browser say the stream broke off
    proxy.cut()
    page.wait_for_selector('#todos.axf-ractive-disconnected', state='attached', timeout=45000)
    for n in range(changes):  # history keeps 8 per channel
        call(todos, 'add', text='missed %d' % n, list_id=list_id)
    call(todos, 'remove', id=ids[2])
    proxy.plug()
    settle(page, todos, list_id, timeout=30)
    assert len(events(page, 'refreshed')) == refreshed
    page.context.close()
