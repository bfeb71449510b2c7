"""Widgets in Chromium catch up after a network cut, and say when they cannot."""
import time

import pytest
import requests

from tests.browser import ConsoleErrors
from tests.helpers import CuttableProxy, start_app


@pytest.fixture
def proxy(gallery):
    proxy = CuttableProxy(gallery.port)
    yield proxy
    proxy.close()


def lines(page, widget):
    return page.locator('#%s .line' % widget).all_inner_texts()


def publish(gallery, start, count, only_feed=None):
    params = {'start': start, 'count': count}
    if only_feed:
        params['only_feed'] = only_feed
    assert requests.get(gallery.url + '/publish_lines', params=params, timeout=30).ok


def open_feed(browser, url):
    page = browser.new_context().new_page()
    errors = ConsoleErrors(page)
    page.goto(url + '/feed')
    page.wait_for_function("document.RAWidgets.feed && document.RAWidgets.feed.subscriptions.length"
                           " && document.RAWidgets.mirror.subscriptions.length")
    return page, errors


def wait_for_lines(page, widget, count, timeout=15):
    page.wait_for_function('document.querySelectorAll("#%s .line").length >= %d'
                           % (widget, count), timeout=timeout * 1000)
    return lines(page, widget)


def test_a_cut_page_catches_up_in_order_without_duplicates(browser, gallery, proxy):
    page, errors = open_feed(browser, proxy.url)
    publish(gallery, 0, 3)
    assert wait_for_lines(page, 'feed', 3) == ['line 0', 'line 1', 'line 2']
    proxy.cut()
    page.wait_for_selector('#feed.axf-ractive-disconnected', state='attached')
    publish(gallery, 3, 40)
    time.sleep(2)
    proxy.plug()
    expected = ['line %d' % number for number in range(43)]
    assert wait_for_lines(page, 'feed', 43) == expected
    assert wait_for_lines(page, 'mirror', 43) == expected
    page.wait_for_selector('#feed:not(.axf-ractive-disconnected)', state='attached')
    publish(gallery, 43, 1)
    assert wait_for_lines(page, 'feed', 44) == expected + ['line 43']
    time.sleep(0.5)
    assert lines(page, 'feed') == expected + ['line 43']  # nothing else came
    assert [error for error in errors if 'net::ERR_' not in error] == []  # but the cut's
    page.context.close()


def test_a_server_addressed_change_applies_once_to_its_widget_only(browser, gallery):
    page, _ = open_feed(browser, gallery.url)
    before = len(lines(page, 'feed'))
    publish(gallery, 100, 0, only_feed='to feed alone')
    page.wait_for_function('document.querySelectorAll("#feed .line").length > %d' % before)
    time.sleep(0.5)
    assert lines(page, 'feed')[before:] == ['to feed alone']
    assert 'to feed alone' not in lines(page, 'mirror')
    page.context.close()


def test_what_is_published_between_first_paint_and_subscription_shows(browser, gallery):
    context = browser.new_context()
    page = context.new_page()
    # Hold the Socket.IO client: the page was rendered on the server, nothing subscribed yet.
    held = []
    page.route('**/socket.io.min.js', lambda route: held.append(route))
    page.goto(gallery.url + '/feed', wait_until='commit')
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, 'the page never asked for the Socket.IO client'
    publish(gallery, 200, 2)  # after the render, before the subscription
    held[0].continue_()
    assert wait_for_lines(page, 'feed', 2)[-2:] == ['line 200', 'line 201']
    context.close()


def test_a_refused_subscription_is_visible_on_the_widget(browser, gallery):
    page, _ = open_feed(browser, gallery.url)
    page.wait_for_selector('#refused.axf-ractive-rejected', state='attached')
    assert page.evaluate('document.RAWidgets.refused.subscriptions') == []
    page.context.close()


def test_beyond_the_history_the_page_refreshes_itself(browser, gallery, proxy):
    page, _ = open_feed(browser, proxy.url)
    page.evaluate('window.beforeReload = true')
    proxy.cut()
    page.wait_for_selector('#feed.axf-ractive-disconnected', state='attached')
    publish(gallery, 300, 120)  # the history keeps 100 per channel
    proxy.plug()
    page.wait_for_function('window.beforeReload === undefined', timeout=20000)
    page.wait_for_function('document.RAWidgets && document.RAWidgets.feed')
    page.context.close()


def test_a_recovery_capped_in_bytes_comes_page_by_page(browser):
    """An answer carries at most socketio.max_answer_bytes (here ~3 publications) and says
    "more": the widget reads the rest from the history before the live ones."""
    small = start_app(['-m', 'tests.sample_apps.gallery'],
                      env={'GALLERY_MAX_ANSWER_BYTES': '150'})
    proxy = CuttableProxy(small.port)
    try:
        page, _ = open_feed(browser, proxy.url)
        publish(small, 0, 2)
        assert wait_for_lines(page, 'feed', 2) == ['line 0', 'line 1']
        proxy.cut()
        page.wait_for_selector('#feed.axf-ractive-disconnected', state='attached')
        publish(small, 2, 20)
        proxy.plug()
        expected = ['line %d' % number for number in range(22)]
        assert wait_for_lines(page, 'feed', 22) == expected
        publish(small, 22, 1)
        assert wait_for_lines(page, 'feed', 23) == expected + ['line 22']
        time.sleep(0.5)
        assert lines(page, 'feed') == expected + ['line 22']
        page.context.close()
    finally:
        proxy.close()
        small.stop()
