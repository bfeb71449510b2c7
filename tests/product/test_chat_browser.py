"""The chat example as people use it: two browser pages and a controller action."""
import requests

from tests.browser import ConsoleErrors, chromium


def open_room(browser, url, room):
    context = browser.new_context()
    page = context.new_page()
    errors = ConsoleErrors(page)
    page.goto('%s/?room=%s' % (url, room))
    page.wait_for_function("document.getElementById('uid').dataset.uid.length === 8")
    page.wait_for_function("document.RAWidgets.chat.subscriptions.includes('room-%s')" % room)
    return page, errors


def lines(page):
    """Each message as "who: text"."""
    return page.eval_on_selector_all('.line', "lines => lines.map(line => "
                                     "line.querySelector('.who').textContent + ': ' + "
                                     "line.querySelector('.text').textContent)")


def test_two_pages_exchange_messages_and_see_announcements(chat):
    with chromium() as browser:
        alice, alice_errors = open_room(browser, chat.url, '1')
        bob, bob_errors = open_room(browser, chat.url, '1')
        elsewhere, _ = open_room(browser, chat.url, '2')
        alice_name = alice.inner_text('#uid')  # a name one can read, e.g. "Swift Panda"
        assert len(alice_name.split()) == 2
        alice.fill('#text', 'hello bob <b>bold?</b>')
        alice.click('button[type=submit]')
        bob.wait_for_function("document.querySelectorAll('.line').length === 1")
        assert lines(bob) == ['%s: hello bob <b>bold?</b>' % alice_name]
        assert requests.get(chat.url + '/announce', params={'room': '1', 'message': 'closing soon'}
                            ).json() == {'published': 'room-1'}
        for page in (alice, bob):
            page.wait_for_function("document.querySelectorAll('.line').length === 2")
            assert lines(page)[-1] == 'server: closing soon'
        assert lines(elsewhere) == []
        assert alice_errors == [] and bob_errors == []
