"""RactiveWidgets in headless Chromium: first paint, take-over, safety, pushed updates."""
import requests

from tests.sample_apps.gallery import XSS_BODY, XSS_TITLE
from tests.browser import ConsoleErrors

CARD_TITLES = ['One', 'Two', XSS_TITLE, 'Child']
WIDGET_IDS = ['board', 'child', 'first', 'parent', 'second', 'xss']


def open_gallery(browser, url, javascript=True):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    errors = ConsoleErrors(page)
    page.goto(url + '/')
    if javascript:
        page.wait_for_function('!!(document.RAWidgets && document.RAWidgets.board)')
    return page, errors


def test_without_javascript_the_initial_data_is_visible(browser, gallery):
    page, _ = open_gallery(browser, gallery.url, javascript=False)
    assert page.locator('.card-title').all_inner_texts() == CARD_TITLES
    assert page.locator('#items .item').all_inner_texts() == ['one', 'two']
    assert page.inner_text('#profile') == 'Ada London'
    page.context.close()


def test_ractive_takes_over_without_duplicating_anything(browser, gallery):
    page, errors = open_gallery(browser, gallery.url)
    assert sorted(page.evaluate('Object.keys(document.RAWidgets)')) == WIDGET_IDS
    assert page.locator('.card-title').all_inner_texts() == CARD_TITLES
    assert page.locator('.card-body').count() == 4  # two roots per card, each once
    assert page.locator('.parent').count() == 1
    assert page.locator('#items .item').all_inner_texts() == ['one', 'two']
    # the same class twice: two independent instances
    page.evaluate("document.RAWidgets.first.set('title', 'Changed')")
    assert page.locator('.card-title').all_inner_texts()[:2] == ['Changed', 'Two']
    assert page.inner_text('.parent') == 'parent (ready)'  # ractive_init ran once
    # the nested child is its own widget, untouched by its parent's redraw
    page.evaluate("document.RAWidgets.parent.set('label', 'outer')")
    assert page.inner_text('#child .card-title') == 'Child'
    assert page.inner_text('.parent') == 'outer'
    leaked = page.evaluate("['Card', 'Parent', 'Board', 'RactiveWidget'].filter(n => n in window)")
    assert leaked == []
    assert errors == []
    page.context.close()


def test_an_xss_payload_shows_as_text(browser, gallery):
    page, errors = open_gallery(browser, gallery.url)
    assert page.evaluate('window.pwned') is None
    assert page.inner_text('#xss .card-title') == XSS_TITLE
    assert page.evaluate("document.querySelector('#xss .card-body').textContent") == XSS_BODY
    assert page.locator('#xss img').count() == 0
    page.evaluate("document.RAWidgets.xss.set('title', '<b id=injected>bold</b>')")
    assert page.locator('#injected').count() == 0
    assert errors == []
    page.context.close()


def test_pushed_events_and_server_updates_redraw_the_board(browser, gallery):
    page, errors = open_gallery(browser, gallery.url)
    page.wait_for_function('!!(document.RAWidgets.board && window.io)')
    page.click('#change')
    page.wait_for_function("document.getElementById('note').textContent === 'direct!'")
    assert page.inner_text('#score') == '42'                          # set
    assert page.locator('#items .item').all_inner_texts() == ['two', 'three']  # append, remove
    assert page.inner_text('#profile') == 'Ada Turin'                 # merge
    assert errors == []
    page.context.close()


def test_a_controller_action_updates_every_open_page(browser, gallery):
    pages = [open_gallery(browser, gallery.url) for _ in range(2)]
    for page, _ in pages:
        page.wait_for_function("document.RAWidgets.board.subscriptions.includes('board')")
    requests.get(gallery.url + '/announce', params={'text': 'hello everyone'}).raise_for_status()
    for page, errors in pages:
        page.wait_for_function("document.getElementById('headline').textContent === "
                               "'hello everyone'")
        page.wait_for_function("document.querySelectorAll('#items .item').length === 3")
        assert page.locator('#items .item').all_inner_texts()[-1] == 'from controller'
        assert errors == []
        page.context.close()
