"""``python -m tgext.socketio history``: a channel's kept publications, read in a subprocess
from a real Redis and a MongoDB-protocol server after publishing from a script."""
import json
import subprocess
import time
import uuid

import pytest

from tests import servers
from tests.helpers import PYTHON, ROOT
from tgext.socketio import history, publish


@pytest.fixture(scope='module', params=['redis', 'mongodb'])
def backend(request):
    server = servers.Redis() if request.param == 'redis' else servers.Mongo(durable=False)
    yield server
    servers.close(server)


def cli(*args):
    return subprocess.run([PYTHON, '-m', 'tgext.socketio', 'history', *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def read(*args):
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def published(backend, count, bus_channel=None):
    channel = 'room-%s' % uuid.uuid4().hex[:8]
    positions = [publish(channel, {'n': n}, backend=backend.url, bus_channel=bus_channel)
                 for n in range(count)]
    return channel, positions


def test_the_kept_publications_in_order_as_the_python_api_gives_them(backend):
    channel, positions = published(backend, 5)
    assert [p['offset'] for p in positions] == [1, 2, 3, 4, 5]
    expected = [[{'n': n}, positions[n]] for n in range(5)]
    assert read('--backend', backend.url, channel) == {
        'channel': channel, 'recovered': True, 'publications': expected}
    assert [list(pair) for pair in history(channel, backend=backend.url)] == expected
    assert read('--backend', backend.url, 'room-never-used') == {
        'channel': 'room-never-used', 'recovered': True, 'publications': []}


def test_since_a_position_or_an_offset_and_a_limit(backend):
    channel, positions = published(backend, 5)
    after_second = read('--backend', backend.url, '--since', '2', channel)
    assert after_second['recovered'] is True
    assert after_second['publications'] == [[{'n': n}, positions[n]] for n in (2, 3, 4)]
    assert read('--backend', backend.url, '--since', json.dumps(positions[3]), channel)[
        'publications'] == [[{'n': 4}, positions[4]]]
    assert read('--backend', backend.url, '--since', '2', '--limit', '2', channel)[
        'publications'] == [[{'n': n}, positions[n]] for n in (2, 3)]
    # --limit alone: the newest ones, still oldest first
    assert read('--backend', backend.url, '--limit', '1', channel)['publications'] == [
        [{'n': 4}, positions[4]]]
    assert read('--backend', backend.url, '--limit', '2', channel)['publications'] == [
        [{'n': n}, positions[n]] for n in (3, 4)]
    assert len(read('--backend', backend.url, '--limit', '9', channel)['publications']) == 5
    assert read('--backend', backend.url, '--since', '5', channel) == {
        'channel': channel, 'recovered': True, 'publications': []}
    other_epoch = read('--backend', backend.url, '--since',
                       json.dumps({'epoch': 'gone', 'offset': 2}), channel)
    assert other_epoch == {'channel': channel, 'recovered': False, 'publications': []}


def test_the_ini_gives_the_bus_channel_and_the_apps_read_bounds(backend, tmp_path):
    """Stores keep what the writers' policy says (here 100 for 300 s); reads bound it again
    by age: with the app's socketio.history (5 s), the publications older than that are not
    given, as the app would not give them. (5 s, not less: the command line's own start
    must fit in the window, and on a loaded machine it takes seconds.)"""
    channel, positions = published(backend, 2, bus_channel='ops-test')
    time.sleep(5.2)
    positions += [publish(channel, {'n': n}, backend=backend.url, bus_channel='ops-test')
                  for n in (2, 3)]
    ini = tmp_path / 'production.ini'
    ini.write_text('[app:main]\nsocketio.backend = %s\nsocketio.channel = ops-test\n'
                   'socketio.history = room-*:100:5\n' % backend.url)
    # what the app itself gives: the last 5 seconds', and not all since the beginning
    assert read('-c', str(ini), channel) == {
        'channel': channel, 'recovered': False,
        'publications': [[{'n': n}, positions[n]] for n in (2, 3)]}
    # without the policy: all the store holds, under the same --channel-name
    assert len(read('--backend', backend.url, '--channel-name', 'ops-test', channel)[
        'publications']) == 4
    assert read('--backend', backend.url, channel)['publications'] == []  # another bus channel


@pytest.mark.parametrize('url, message', [
    ('amqp://guest:guest@127.0.0.1:1//', 'amqp:// keeps no history'),
    ('memory://', 'memory:// keeps history inside each server process'),
    ('redis://127.0.0.1:1/0', 'history failed: ConnectionError'),
])
def test_backends_without_a_readable_history_are_refused(url, message):
    done = cli('--backend', url, 'room-1')
    assert done.returncode == 1 and done.stdout == ''
    assert message in done.stderr


def test_malformed_options_are_usage_errors():
    for args in (['--since', 'yesterday'], ['--since', '{"epoch": "e"}'], ['--limit', '0']):
        done = cli('--backend', 'redis://127.0.0.1:1/0', *args, 'room-1')
        assert done.returncode == 2, (args, done.stderr)
    assert 'give --backend URL or -c FILE.ini' in cli('room-1').stderr
