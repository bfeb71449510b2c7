"""Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
import contextlib

from playwright.sync_api import sync_playwright

CHROMIUM = '/usr/bin/chromium'
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']


@contextlib.contextmanager
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleErrors(list):
    """Collects a page's console errors, uncaught exceptions and failed responses."""

    def __init__(self, page):
        super().__init__()
        page.on('console', lambda message: message.type == 'error' and self.append(message.text))
        page.on('pageerror', lambda error: self.append(str(error)))
        page.on('response', lambda response: response.status >= 400 and self.append(
            'HTTP %s %s' % (response.status, response.url)))
