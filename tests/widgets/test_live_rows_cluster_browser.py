"""on_rows widgets with two app processes on Redis: rows committed through one process
reach pages served by the other, and a page cut off for 10 s ends as a fresh one."""
import time

import pytest

from tests.helpers import CuttableProxy, start_app
from tests.widgets.test_live_rows_browser import APP, call, events, open_list, settle, shown

CUT_SECONDS = 10


@pytest.fixture(scope='module')
def apps(redis, tmp_path_factory):
    """Two processes of the live TODO app on one SQLite file and one Redis (history: 8)."""
    env = {'LIVE_TODOS_DB': str(tmp_path_factory.mktemp('live-cluster') / 'todos.db'),
           'LIVE_TODOS_HISTORY': '*:8:300'}
    first = start_app(APP, backend=redis.url, env=env)  # one after the other: one creates
    second = start_app(APP, backend=redis.url, env=env)  # the table
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture
def proxy(apps):
    proxy = CuttableProxy(apps[0].port)
    yield proxy
    proxy.close()


_lists = iter(range(500, 10000))


def test_rows_committed_through_one_process_reach_a_page_served_by_the_other(browser, apps):
    served, writer = apps
    list_id = next(_lists)
    call(writer, 'add', text='before', list_id=list_id)
    page, errors = open_list(browser, served.url, list_id)
    milk = call(writer, 'add', text='milk', list_id=list_id)['id']
    call(writer, 'toggle', id=milk)
    call(writer, 'add', text='eggs', list_id=list_id)
    assert len(settle(page, writer, list_id)) == 3
    assert [name for _, name, *_ in events(page)] == ['subscribed']
    assert errors == []
    page.context.close()


@pytest.mark.parametrize('changes, refreshed', [(4, 0), (12, 1)],
                         ids=['recovers the deltas', 'beyond the history reads its rows'])
def test_a_page_cut_off_for_10_s_ends_as_a_freshly_loaded_page(browser, apps, proxy, changes,
                                                                 refreshed):
    served, writer = apps
    list_id = next(_lists)
    ids = [call(writer, 'add', text='row %d' % n, list_id=list_id)['id'] for n in range(3)]
    page, _ = open_list(browser, proxy.url, list_id)
    cut_at = time.monotonic()
    proxy.cut()  # connections reset, new ones refused: a dead network, not a clean close
    page.wait_for_selector('#todos.axf-ractive-disconnected', state='attached', timeout=45000)
    for n in range(changes):  # spread over the cut
        if n % 3 == 0:
            call(writer, 'toggle', id=ids[0])
        elif n % 3 == 1:
            call(writer, 'add', text='missed %d' % n, list_id=list_id)
        else:
            call(writer, 'rename', id=ids[1], text='renamed %d' % n)
        time.sleep(min(0.5, CUT_SECONDS / (2 * changes)))
    call(writer, 'remove', id=ids[2])
    time.sleep(max(0, CUT_SECONDS - (time.monotonic() - cut_at)))
    proxy.plug()
    final = settle(page, writer, list_id, timeout=40)
    fresh, _ = open_list(browser, served.url, list_id)
    assert shown(fresh) == final
    assert len(events(page, 'refreshed')) == refreshed
    page.wait_for_selector('#todos:not(.axf-ractive-disconnected):not(.axf-ractive-stale)',
                           state='attached')
    page.context.close()
    fresh.context.close()
