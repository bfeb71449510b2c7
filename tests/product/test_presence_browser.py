"""The chat's rooms are presence channels: each page shows who is in the room (on_presence).

The chat's user is the browser: the page sets a cookie with its id, so two
browser contexts are two users and two tabs of one context are one user.
"""
import time

from tests.browser import ConsoleErrors, chromium
from tests.helpers import CuttableProxy

MEMBERS = "Array.from(document.querySelectorAll('#members .member')).map(e => e.dataset.id)"


def open_room(context, url, room='1'):
    page = context.new_page()
    errors = ConsoleErrors(page)
    page.goto('%s/?room=%s' % (url, room))
    page.wait_for_function("document.getElementById('uid').dataset.uid.length === 8")
    return page, errors


def wait_for_members(page, uids, timeout=5000):
    page.wait_for_function('(uids) => JSON.stringify(%s.sort()) === JSON.stringify(uids)'
                           % MEMBERS, arg=sorted(uids), timeout=timeout)


def members(page):
    return sorted(page.evaluate(MEMBERS))


def test_each_page_shows_who_is_in_the_room(chat):
    with chromium() as browser:
        alice_context, bob_context = browser.new_context(), browser.new_context()
        alice, alice_errors = open_room(alice_context, chat.url)
        bob, bob_errors = open_room(bob_context, chat.url)
        elsewhere, _ = open_room(browser.new_context(), chat.url, room='2')
        both = [alice.get_attribute('#uid', 'data-uid'), bob.get_attribute('#uid', 'data-uid')]
        assert both[0] != both[1]
        for page in (alice, bob):
            wait_for_members(page, both)
        wait_for_members(elsewhere, [elsewhere.get_attribute('#uid', 'data-uid')])

        # a second tab of the same browser is the same user: one member, not two
        alice_again, again_errors = open_room(alice_context, chat.url)
        assert alice_again.get_attribute('#uid', 'data-uid') == both[0]
        wait_for_members(alice_again, both)
        alice_again.close()  # alice is still here in her first tab: nobody leaves
        time.sleep(1.5)
        assert members(bob) == members(alice) == sorted(both)

        # closing alice's last page removes her from bob's list within a few seconds
        started = time.monotonic()
        alice_context.close()
        wait_for_members(bob, both[1:], timeout=5000)
        assert time.monotonic() - started < 5
        assert members(elsewhere) == [elsewhere.get_attribute('#uid', 'data-uid')]
        assert alice_errors == [] and bob_errors == [] and again_errors == []


def test_a_reconnected_page_asks_again_who_is_here(chat):
    """While bob is cut off, alice leaves and carol comes: bob sees it once back."""
    proxy = CuttableProxy(chat.port)
    try:
        with chromium() as browser:
            alice, _ = open_room(browser.new_context(), chat.url)
            bob, bob_errors = open_room(browser.new_context(), proxy.url)
            uids = {'alice': alice.get_attribute('#uid', 'data-uid'), 'bob': bob.get_attribute('#uid', 'data-uid')}
            wait_for_members(bob, uids.values())
            proxy.cut()
            bob.wait_for_selector('#chat.axf-ractive-disconnected', state='attached')
            alice.context.close()
            carol, _ = open_room(browser.new_context(), chat.url)
            uids['carol'] = carol.get_attribute('#uid', 'data-uid')
            wait_for_members(carol, [uids['carol']])  # the server saw bob go too
            assert members(bob) == sorted([uids['alice'], uids['bob']])  # missed both events
            proxy.plug()
            wait_for_members(bob, [uids['bob'], uids['carol']], timeout=15000)
            bob.wait_for_selector('#chat:not(.axf-ractive-disconnected)', state='attached')
            assert all('net::ERR_' in error for error in bob_errors), bob_errors  # while cut
    finally:
        proxy.close()
