"""The README's Presence and Operations snippets, in the README's app (on Redis)."""
import time

import requests

from tests.helpers import client
from tests.product.test_readme import readme_app  # noqa: F401 - the README app fixture


def test_presence_snippet(readme_app):  # noqa: F811
    tabs = [client(readme_app.url, '/room', auth={'name': 'ann'}), client(readme_app.url, '/room')]
    try:
        for sio, _ in tabs:
            assert sio.call('subscribe', ('room', '1'), namespace='/room') == 'room-1'
        first, seen = tabs[0]
        diff, channel = seen.wait_for('presence_diff')[0]
        assert channel == 'room-1' and diff['joins'][0]['name'] == 'ann'
        members = first.call('presence', 'room-1', namespace='/room')
        assert sorted(m['name'] for m in members) == ['ann', 'guest']
        response = requests.get(readme_app.url + '/who/', params={'room': '1'}, timeout=10)
        assert response.ok, readme_app.output()[-3000:]
        who = response.json()
        assert (who['clients'], who['users'], len(who['members'])) == (2, 2, 2)
    finally:
        for sio, _ in tabs:
            sio.disconnect()


def test_operations_snippet(readme_app):  # noqa: F811
    for _ in range(50):  # healthy once the first probe came back
        response = requests.get(readme_app.url + '/health/', timeout=10)
        if response.status_code == 200:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    assert response.json()['status'] == 'ok'
    metrics = requests.get(readme_app.url + '/metrics/', timeout=10).text
    assert 'tgext_socketio_events_in_total' in metrics
    assert 'tgext_socketio_bus_lag_seconds' in metrics


def test_console_snippet_mounts_a_protected_console(readme_app):  # noqa: F811
    """The README's app has no logins: nobody has the permission, so everyone gets 401, on the
    page and on its Socket.IO endpoint (the console itself is tested in Chromium elsewhere)."""
    for path in ('/console/', '/console/?EIO=4&transport=polling'):
        assert requests.get(readme_app.url + path, timeout=10).status_code == 401
