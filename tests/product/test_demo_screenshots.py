"""The README's screenshots, taken from the running demo (``make demo``) in Chromium, so they
show what the code shows now; and what a newcomer sees of it: readable, separate names in the
chat's member list, and no Ractive debug banner in the browser console unless the app's
``socketio.ractive_debug`` asks for it (the examples' development.ini does)."""
import os
import re

import requests

from tests.browser import ConsoleErrors
from tests.helpers import PYTHON, ROOT, Process, free_port

IMAGES = os.path.join(ROOT, 'docs', 'images')
README = os.path.join(ROOT, 'README.md')
VENV_BIN = os.path.dirname(PYTHON)
BANNER = 'debug mode'  # Ractive's "Ractive.js 1.4.4 in debug mode, more..." group
#: Three browsers, by the id their cookie names: the chat shows a name made from it.
PEOPLE = {'06290a1b': 'Gentle Otter', '0e039012': 'Swift Falcon', '070a5044': 'Happy Panda'}
MEMBER_NAMES = "Array.from(document.querySelectorAll('#members .member .name'))" \
               ".map(e => e.textContent)"


class Browser:
    """Pages in contexts of their own, and every console message any of them printed."""

    def __init__(self, browser):
        self.browser = browser
        self.messages = []
        self.errors = []
        self.requested = []  # every URL the pages asked for

    def page(self, url, uid=None):
        context = self.browser.new_context(viewport={'width': 1200, 'height': 720})
        if uid:
            context.add_cookies([{'name': 'chat_uid', 'value': uid, 'url': url}])
        page = context.new_page()
        page.on('console', lambda message: self.messages.append(message.text))
        page.on('request', lambda request: self.requested.append(request.url))
        self.errors.append(ConsoleErrors(page))
        return page


def banners(messages):
    return [message for message in messages if BANNER in message]


def test_the_chat_and_the_console_as_the_readme_shows_them(chat, browser):
    browsers = Browser(browser)
    pages = {}
    for uid, name in PEOPLE.items():
        page = pages[name] = browsers.page(chat.url, uid)
        page.goto(chat.url + '/?room=1')
        assert page.inner_text('#uid') == name  # the first paint knows who you are
        page.wait_for_function("document.RAWidgets.chat.subscriptions.includes('room-1')")
    names = sorted(PEOPLE.values())
    for page in pages.values():
        page.wait_for_function('(names) => JSON.stringify(%s.sort()) === JSON.stringify(names)'
                               % MEMBER_NAMES, arg=names, timeout=10000)
    otter = pages['Gentle Otter']
    # as rendered: each name on a line of its own, none glued to the next, one row each
    rendered = [line.strip() for line in otter.inner_text('#members').splitlines()]
    assert all(name in rendered for name in names), rendered
    boxes = [otter.locator('#members .member').nth(n).bounding_box() for n in range(3)]
    tops = sorted(box['y'] for box in boxes)
    assert all(lower - upper >= 20 for upper, lower in zip(tops, tops[1:])), boxes

    for name, text in [('Gentle Otter', 'Is the build green?'),
                       ('Swift Falcon', 'Green on both workers, and the history replays.'),
                       ('Happy Panda', 'Then I deploy after lunch.')]:
        pages[name].fill('#text', text)
        pages[name].click('#send button')
        otter.wait_for_function("(text) => Array.from(document.querySelectorAll('.line .text'))"
                                ".some(e => e.textContent === text)", arg=text)
    assert requests.get(chat.url + '/announce', params={'room': '1', 'message':
                        'Deploy window opens at 14:00.'}, timeout=10).ok
    otter.wait_for_function("document.querySelectorAll('.line').length === 4")
    os.makedirs(IMAGES, exist_ok=True)
    otter.screenshot(path=os.path.join(IMAGES, 'chat.png'))

    console = browsers.page(chat.url)
    console.goto(chat.url + '/console/')
    console.wait_for_selector('.connection .channel:text-is("room-1")')
    console.wait_for_timeout(2500)  # the processes record once the console's lease is out
    pages['Swift Falcon'].fill('#text', 'The console shows this one.')
    pages['Swift Falcon'].click('#send button')
    console.wait_for_selector('.log .entry.publication:has-text("The console shows this one")')
    console.screenshot(path=os.path.join(IMAGES, 'console.png'), full_page=True)

    for image in ('chat.png', 'console.png'):  # written now, and shown by the README
        assert os.path.getsize(os.path.join(IMAGES, image)) > 20000
        assert '](docs/images/%s)' % image in open(README, encoding='utf-8').read()
    assert banners(browsers.messages) == [], browsers.messages  # production: no banner
    elsewhere = [url for url in browsers.requested
                 if not url.startswith((chat.url + '/', 'ws://127.0.0.1:%d/' % chat.port))]
    assert elsewhere == [] and any(url.endswith('.css') for url in browsers.requested)
    assert all(errors == [] for errors in browsers.errors), browsers.errors


def test_the_development_ini_turns_ractive_debug_mode_on(browser):
    """The other side of the setting: gearbox with the example's development.ini
    (``socketio.ractive_debug = true``) prints Ractive's banner, so the check above sees it
    when there is one."""
    port = free_port()
    config = open(os.path.join(ROOT, 'examples/chat/development.ini')).read()
    assert re.search(r'^socketio\.ractive_debug = true', config, re.M)
    ini = os.path.join(ROOT, 'examples/chat/test-debug-%s.ini' % port)
    with open(ini, 'w') as out:
        out.write(config.replace('port = 8080', 'port = %s' % port))
    try:
        process = Process([os.path.join(VENV_BIN, 'gearbox'), 'serve', '-c', ini], port=port)
        try:
            browsers = Browser(browser)
            page = browsers.page(process.url)
            page.goto(process.url + '/?room=2')
            page.wait_for_function("document.RAWidgets && document.RAWidgets.chat && "
                                   "document.RAWidgets.chat.subscriptions.includes('room-2')")
            assert browsers.errors == [[]], browsers.errors
            assert banners(browsers.messages), browsers.messages  # "...in debug mode, more..."
        finally:
            process.stop()
    finally:
        os.unlink(ini)
