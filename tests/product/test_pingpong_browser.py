"""The pingpong page as a person uses it, in headless Chromium."""
from tests.browser import ConsoleErrors


def test_ping_then_fireball(browser, pingpong):
    page = browser.new_page()
    errors = ConsoleErrors(page)
    page.goto(pingpong.url + '/')
    page.wait_for_function('!!(document.RAWidgets && document.RAWidgets.pingpong)')
    page.click('#ping')
    page.wait_for_function("document.querySelectorAll('#messages .sound').length === 1")
    page.click('#fireball')
    page.wait_for_function("document.querySelectorAll('#messages .sound').length === 11")
    sounds = page.locator('#messages .sound').all_inner_texts()
    assert sounds == ['pong'] + ['bang!'] * 10
    # The talk's line: a plain push on the widget's data redraws it too.
    page.evaluate("document.RAWidgets.pingpong.get('messages').push({sound: 'by hand'})")
    page.wait_for_function("document.querySelectorAll('#messages .sound').length === 12")
    assert page.locator('#messages .sound').last.inner_text() == 'by hand'
    assert errors == []
    page.close()
